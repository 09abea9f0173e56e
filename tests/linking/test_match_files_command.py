"""manage.py match_files on a designated city (政令指定都市): the city is created with its wards, so
the register's and the ISA files' ward codes are imported, not refused."""

import csv
import io

import pytest
from django.core.management import call_command

from demo import generate
from nhi_portal.models import LANDED_STATUSES, ImportBatch, ImportIssue, Municipality

pytestmark = pytest.mark.django_db

YOKOHAMA = "141003"


def run_match_files(directory, lg_code=YOKOHAMA):
    out = io.StringIO()
    call_command(
        "match_files",
        lg_code=lg_code,
        residents=str(directory / "residents.csv"),
        nhi_ledger=str(directory / "nhi_ledger.csv"),
        isa=[str(path) for path in sorted(directory.glob("isa_*.csv"))],
        out=str(directory / "matches.csv"),
        stdout=out,
    )
    return out.getvalue()


def test_a_designated_city_is_created_with_its_wards_and_no_ward_row_is_refused(tmp_path):
    generate(tmp_path, lg_code=YOKOHAMA, residents=300, seed=3)
    with (tmp_path / "residents.csv").open(encoding="utf-8") as fh:
        ward_codes = {row["lg_code"] for row in csv.DictReader(fh)}
    assert len(ward_codes) > 1 and YOKOHAMA not in ward_codes  # rows carry ward codes only

    output = run_match_files(tmp_path)

    city = Municipality.objects.get(lg_code=YOKOHAMA)
    assert set(city.wards.values_list("lg_code", flat=True)) == ward_codes
    assert "区を登録しました" in output
    batches = ImportBatch.objects.filter(municipality=city)
    assert batches.count() == 5 and all(b.status in LANDED_STATUSES for b in batches)
    assert not ImportIssue.objects.filter(batch__in=batches, column="lg_code").exists()
    isa_rows = sum(1 for path in tmp_path.glob("isa_*.csv") for _ in path.open(encoding="cp932")) - 3
    with (tmp_path / "matches.csv").open(encoding="utf-8") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == isa_rows


def test_an_ordinary_city_gets_no_wards(tmp_path):
    generate(tmp_path, lg_code="132101", residents=200, seed=3)
    run_match_files(tmp_path, lg_code="132101")
    assert not Municipality.objects.get(lg_code="132101").wards.exists()
