"""The ISA data's monthly difference: who is new this month, who appeared before unchanged, and
whose address, municipality code or annex changed since the latest month they appeared in."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from enrollment.reports import isa_diff
from nhi_portal.models import AccessLog, BatchStatus
from tests.conftest import signed_in
from tests.dashboard.helpers import stat, text
from tests.factories import ImportBatchFactory, IsaRecordFactory

pytestmark = pytest.mark.django_db

JUNE, JULY, AUGUST, SEPTEMBER = date(2026, 6, 1), date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)
HOME_A, HOME_B = "東京都小金井市本町1丁目2番3号", "東京都小金井市緑町4丁目5番6号"


def month_of(municipality, month, people, *, annex=1, status=BatchStatus.IMPORTED):
    """One ISA file of `month`: people as (name, birth date, address[, annex])."""
    batch = ImportBatchFactory(municipality=municipality, data_month=month, annex=annex, status=status,
                               rows_total=len(people))  # fmt: skip
    records = {}
    for row, person in enumerate(people, start=1):
        name, born, address, *rest = person
        records[name] = IsaRecordFactory(
            batch=batch, municipality=municipality, row_number=row, name=name, birth_date=born, address=address,
            annex=rest[0] if rest else annex,
        )  # fmt: skip
    return records


@pytest.fixture
def months(municipality, other_municipality):
    month_of(municipality, JUNE, [("MOVER BACK", date(1990, 1, 1), HOME_A)])
    month_of(municipality, JULY, [
        ("SAME PERSON", date(1991, 2, 2), HOME_A),
        ("MOVED PERSON", date(1992, 3, 3), HOME_A),
        ("LEFT JOB", date(1993, 4, 4), HOME_A),
        ("MOVER BACK", date(1990, 1, 1), HOME_B),
    ])  # fmt: skip
    month_of(other_municipality, JULY, [("SOMEONE ELSE", date(1994, 5, 5), HOME_A)])  # not ours
    month_of(municipality, JULY, [("NOT IMPORTED", date(1995, 6, 6), HOME_A)], status=BatchStatus.REJECTED)
    august = month_of(municipality, AUGUST, [
        ("SAME PERSON", date(1991, 2, 2), HOME_A),  # unchanged
        ("MOVED PERSON", date(1992, 3, 3), HOME_B),  # new address
        ("LEFT JOB", date(1993, 4, 4), HOME_A, 2),  # annex 1 → 2: left the job
        ("MOVER BACK", date(1990, 1, 1), HOME_A),  # B in July (the latest month) → A again
        ("SOMEONE ELSE", date(1994, 5, 5), HOME_A),  # only in the other municipality before: new here
        ("NOT IMPORTED", date(1995, 6, 6), HOME_A),  # only in a refused file before: new
        ("SAME NAME", date(1991, 2, 3), HOME_A),  # another birth date than SAME PERSON: another person
        ("", date(1999, 9, 9), HOME_A),  # unreadable name: cannot be compared
    ])  # fmt: skip
    month_of(municipality, SEPTEMBER, [("LATER", date(1980, 1, 1), HOME_A)])
    return august


def names(user, section) -> list[str]:
    return [r.name for r in isa_diff.section_records(user=user, month=AUGUST, section=section)]


def test_each_record_of_the_month_is_new_unchanged_or_changed(months, clerk):
    assert sorted(names(clerk, isa_diff.NEW)) == ["", "NOT IMPORTED", "SAME NAME", "SOMEONE ELSE"]
    assert names(clerk, isa_diff.UNCHANGED) == ["SAME PERSON"]
    assert names(clerk, isa_diff.CHANGED) == ["LEFT JOB", "MOVED PERSON", "MOVER BACK"]
    diff = isa_diff.month_diff(user=clerk, month=AUGUST)
    assert (diff.total, diff.counts) == (8, {"new": 4, "unchanged": 1, "changed": 3})


def test_what_changed_is_compared_with_the_latest_month(months, clerk):
    records = list(isa_diff.section_records(user=clerk, month=AUGUST, section=isa_diff.CHANGED))
    earlier = isa_diff.earlier_records(user=clerk, month=AUGUST, records=records)
    by_name = {r.name: earlier[r.pk] for r in records}
    assert by_name["MOVED PERSON"].month == JULY and by_name["MOVED PERSON"].address_changed
    assert not by_name["MOVED PERSON"].annex_changed
    assert by_name["LEFT JOB"].annex_changed and not by_name["LEFT JOB"].address_changed
    assert by_name["MOVER BACK"].month == JULY and by_name["MOVER BACK"].records[0].address == HOME_B


def test_the_first_month_is_all_new(months, clerk):
    diff = isa_diff.month_diff(user=clerk, month=JUNE)
    assert diff.counts == {"new": 1, "unchanged": 0, "changed": 0}


def test_the_page_has_a_tab_per_section_and_logs_what_it_shows(months, clerk):
    client = signed_in(clerk)
    page = client.get(reverse("isa-month-diff"), {"month": "2026-08", "section": "changed"}).content.decode()
    assert "2026年8月" in page
    assert stat(page, "住所・区分が変わった人") == "3件" and stat(page, "今月初めての人") == "4件"
    tabs = page[page.index('class="tabs"') : page.index("</nav>", page.index('class="tabs"'))]
    assert 'aria-current="page">住所・区分が変わった人（3）' in tabs
    table = page[page.index("<table") : page.index("</table>")]
    assert "<caption" in table and 'scope="col"' in table and 'lang="en"' in table
    assert text(table).count("変更") == 3 and 'class="is-different"' in table
    assert "MOVED PERSON" in table and "SAME PERSON" not in table and "SOMEONE ELSE" not in table
    entry = AccessLog.objects.get(action="view_isa_month_diff")
    shown = {months[n].pk for n in ("LEFT JOB", "MOVED PERSON", "MOVER BACK")}
    assert shown < set(entry.object_ids)  # and the earlier records shown beside them
    assert entry.purpose == "enrollment_promotion" and entry.object_type == "isa_record"


def test_the_newest_month_is_shown_first_and_any_month_can_be_chosen(months, clerk):
    client = signed_in(clerk)
    page = client.get(reverse("isa-month-diff")).content.decode()
    assert "ISAデータの月次差分：2026年9月" in page and "LATER" in page
    for held in ("2026-06", "2026-07", "2026-08", "2026-09"):
        assert f'<option value="{held}"' in page
    unknown = client.get(reverse("isa-month-diff"), {"month": "2020-01"}).content.decode()
    assert "指定された月のISAデータはありません" in unknown


def test_the_tables_are_paged(months, clerk, monkeypatch):
    from enrollment.reports.views import IsaMonthDiffView

    monkeypatch.setattr(IsaMonthDiffView, "paginate_by", 3)
    client = signed_in(clerk)
    first = client.get(reverse("isa-month-diff"), {"month": "2026-08", "section": "new"}).content.decode()
    second = client.get(
        reverse("isa-month-diff"), {"month": "2026-08", "section": "new", "page": 2}
    ).content.decode()
    assert "4件中 1〜3件" in first and "4件中 4〜4件" in second
    assert "section=new" in first[first.index('class="pagination"') :]


def test_another_municipality_sees_none_of_our_records(months, other_clerk):
    page = signed_in(other_clerk).get(reverse("isa-month-diff"), {"month": "2026-08"}).content.decode()
    assert "指定された月のISAデータはありません" in page  # 千代田区 holds July only
    assert "MOVED PERSON" not in page and "SAME PERSON" not in page
    assert isa_diff.month_diff(user=other_clerk, month=AUGUST).total == 0


def test_people_data_needs_the_permission(months, auditor):
    assert signed_in(auditor).get(reverse("isa-month-diff")).status_code == 403


def test_the_counts_take_a_fixed_number_of_queries(months, municipality, clerk, django_assert_num_queries):
    with django_assert_num_queries(3):
        isa_diff.month_diff(user=clerk, month=AUGUST)
    month_of(municipality, AUGUST, [(f"MORE {n}", date(1990, 1, 1), HOME_A) for n in range(20)], annex=3)
    with django_assert_num_queries(3):
        assert isa_diff.month_diff(user=clerk, month=AUGUST).total == 28
