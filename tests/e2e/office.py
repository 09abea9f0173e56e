"""The month the end-to-end tests play through: a synthetic 小金井市 from the demo generator
(register, NHI ledger, the three ISA files, assessments and payments), plus four people written in
so that the review queue has exactly the work the supervisor does in the story:

- LE THI MAI: her ISA row (annex 2) has a birth date that does not exist — the file's bad row —
  and the address she had before she moved within the city. An unreadable field carries no
  evidence either way, and name and sex alone do not make her certain: the record goes to review,
  and she is the one the supervisor confirms. (With her current address it would be matched
  automatically, the unreadable birth date named in the explanation.)
- NGUYEN VAN DUC, twice: two residents with the same name, birth date and sex in one building
  (other rooms). The ISA record (annex 1) always goes to review; the supervisor searches the
  register and picks the one living at the ISA address.
- PHAM VAN LONG: a resident; the ISA record (annex 1) has his name, the day of his birth date
  the other way round (21 → 12) and another house on his street. The supervisor marks it
  "not resident".

Everything is synthetic; the generator is deterministic for a seed."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.generator import generate
from demo.receipts import generate_receipts
from demo.variants import SEX_STYLES, format_date
from enrollment.cases import services
from enrollment.linking import runs
from enrollment.linking.review import review_choose, review_confirm, review_not_resident
from enrollment.models import MatchDecision, Resident
from nhi_portal.models import BatchStatus, ImportBatch
from nhi_portal.services import staff_create
from tests.conftest import ensure_roles
from tests.factories import MunicipalityFactory
from tests.intake.helpers import run_import

SEED = 3
RESIDENTS = 1500
ISA_RECORDS = 40

PASSWORD = "e2e-pass-2026-koganei"  # every member of staff's, synthetic like everything else

ISA_FILES = {1: "isa_annex1_entry.csv", 2: "isa_annex2_separation.csv", 3: "isa_annex3_status_change.csv"}
BAD_ROW_FILE = ISA_FILES[2]


@dataclass(frozen=True)
class Person:
    code: str
    name: str
    sex: int  # 1 male, 2 female (as the register and ISA files write it)
    birth_date: date
    address: str
    postal_code: str


LE_THI_MAI = Person(
    "99900000011",
    "LE THI MAI",
    2,
    date(2000, 2, 3),
    "東京都小金井市本町2丁目5番8号　コーポ本町201号室",
    "1840004",
)
DUC_ELSEWHERE = Person(
    "99900000022",
    "NGUYEN VAN DUC",
    1,
    date(1999, 3, 14),
    "東京都小金井市緑町1丁目6番9号　グリーンコート緑町102号室",
    "1840003",
)
DUC_AT_ISA_ADDRESS = Person(
    "99900000033",
    "NGUYEN VAN DUC",
    1,
    date(1999, 3, 14),
    "東京都小金井市緑町1丁目6番9号　グリーンコート緑町305号室",
    "1840003",
)
PHAM_VAN_LONG = Person(
    "99900000044", "PHAM VAN LONG", 1, date(1995, 6, 21), "東京都小金井市梶野町2丁目8番14号", "1840002"
)
WRITTEN_IN = (LE_THI_MAI, DUC_ELSEWHERE, DUC_AT_ISA_ADDRESS, PHAM_VAN_LONG)

# What the ISA files say about them, by annex: (name, sex, birth date or a bad value, address, event).
LE_THI_MAI_ISA_ADDRESS = "東京都小金井市東町4丁目11番6号"  # where she lived before moving to 本町
PHAM_ISA_ADDRESS = "東京都小金井市梶野町2丁目8番3号"
PHAM_ISA_BIRTH = date(1995, 6, 12)
BAD_BIRTH_DATES = {  # 2000-02-30 in each notation the generator may give the file
    "yyyymmdd": "20000230",
    "slash": "2000/02/30",
    "iso": "2000-02-30",
    "era_kanji": "平成12年2月30日",
    "era_letter": "H12.2.30",
}


@dataclass
class Month:
    """The files of the month, on disk, ready to import or upload."""

    folder: Path
    month: str  # YYYY-MM of the ISA files
    isa: dict[int, Path]  # annex → file (with the written-in rows)

    def path(self, name: str) -> Path:
        return self.folder / name


def build_month(folder: Path) -> Month:
    summary = generate(folder, residents=RESIDENTS, seed=SEED, isa_records=ISA_RECORDS)
    generate_receipts(folder, seed=SEED)
    _append_residents(folder / "residents.csv")
    formats = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["isa_formats"]
    event = date.fromisoformat(f"{summary.month}-15")
    rows = {
        1: [
            (DUC_AT_ISA_ADDRESS.name, 1, DUC_AT_ISA_ADDRESS.birth_date, DUC_AT_ISA_ADDRESS.address),
            (PHAM_VAN_LONG.name, 1, PHAM_ISA_BIRTH, PHAM_ISA_ADDRESS),
        ],
        2: [(LE_THI_MAI.name, 2, None, LE_THI_MAI_ISA_ADDRESS)],  # None: the birth date that does not exist
    }
    for annex, extra in rows.items():
        style = formats[ISA_FILES[annex]]
        _append_isa(
            folder / ISA_FILES[annex], extra, date_style=style["date"], sex_style=style["sex"], event=event
        )
    return Month(folder=folder, month=summary.month, isa={a: folder / n for a, n in ISA_FILES.items()})


def _append_residents(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))
    taken = {line.split(",", 1)[0] for line in text.splitlines()}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    for person in WRITTEN_IN:
        assert person.code not in taken, "the generator used a code the story needs"
        writer.writerow(
            {
                **dict.fromkeys(header, ""),
                "resident_code": person.code,
                "name_alpha": person.name,
                "sex": "男" if person.sex == 1 else "女",
                "birth_date": person.birth_date.isoformat(),
                "nationality": "VN",
                "residence_status": "特定技能1号",
                "lg_code": "132101",
                "address": person.address,
                "moved_in_date": "2025-04-01",
                "status": "在住",
                "postal_code": person.postal_code,
                "household_head_code": person.code,
            }
        )
    path.write_text(text + out.getvalue(), encoding="utf-8")


def _append_isa(path: Path, rows, *, date_style: str, sex_style: str, event: date) -> None:
    """Rows in the file's own notation and encoding (CP932, CRLF as ISA sends them)."""
    data = path.read_bytes()
    encoding = "cp932"
    newline = b"\r\n" if b"\r\n" in data else b"\n"
    lines = [
        ",".join(
            [
                name,
                "132101",
                address,
                SEX_STYLES[sex_style][sex],
                format_date(birth, date_style) if birth else BAD_BIRTH_DATES[date_style],
                format_date(event, date_style),
            ]
        ).encode(encoding)
        for name, sex, birth, address in rows
    ]
    if not data.endswith(newline):
        data += newline
    path.write_bytes(data + newline.join(lines) + newline)


class Office:
    """小金井市 with its register and NHI ledger imported, its staff, and 千代田区 next door."""

    def __init__(self, month: Month) -> None:
        ensure_roles()
        self.month = month
        self.city = MunicipalityFactory(department="市民部 保険年金課 国保係")
        self.other_city = MunicipalityFactory(
            lg_code="131016", name="千代田区", address="東京都千代田区九段南1-2-1"
        )
        self.clerk = staff_create(
            username="tanaka", password=PASSWORD, municipality=self.city, role="clerk", full_name="田中 美咲"
        )
        self.supervisor = staff_create(
            username="suzuki",
            password=PASSWORD,
            municipality=self.city,
            role="supervisor",
            full_name="鈴木 健一",
        )
        self.device = TOTPDevice.objects.create(user=self.supervisor, name="認証アプリ", confirmed=True)
        self.other_clerk = staff_create(
            username="sato",
            password=PASSWORD,
            municipality=self.other_city,
            role="clerk",
            full_name="佐藤 由美",
        )
        for name, kind in (("residents.csv", "residents"), ("nhi_ledger.csv", "nhi_ledger")):
            batch = run_import(self.city, month.path(name).read_bytes(), kind=kind, filename=name)
            assert batch.status == BatchStatus.IMPORTED, batch.rejection_reason

    def import_isa(self) -> list[ImportBatch]:
        return [
            run_import(self.city, path.read_bytes(), filename=path.name) for path in self.month.isa.values()
        ]

    def match_all(self) -> None:
        for batch in self.import_isa():
            runs.run_inline(runs.match_start(batch=batch, dispatch=False))

    def decision_of(self, name: str) -> MatchDecision:
        return MatchDecision.objects.get(municipality=self.city, isa_record__name=name)

    def review_as_the_supervisor_did(self) -> None:
        """Step 2's outcome, through the services."""
        mai = self.decision_of(LE_THI_MAI.name)
        review_confirm(decision=mai, user=self.supervisor, resident_id=self.resident(LE_THI_MAI).pk, note="")
        duc = self.decision_of(DUC_AT_ISA_ADDRESS.name)
        review_choose(decision=duc, user=self.supervisor, resident=self.resident(DUC_AT_ISA_ADDRESS), note="")
        review_not_resident(decision=self.decision_of(PHAM_VAN_LONG.name), user=self.supervisor, note="")

    def open_cases(self) -> None:
        """What the nightly batch does after the review: open cases, queue their letters."""
        services.cases_open(municipality=self.city)

    def import_receipts(self) -> None:
        for name, kind in (("assessments.csv", "assessments"), ("payments.csv", "payments")):
            batch = run_import(self.city, self.month.path(name).read_bytes(), kind=kind, filename=name)
            assert batch.status in (BatchStatus.IMPORTED, BatchStatus.NEEDS_ATTENTION), batch.rejection_reason

    def resident(self, person) -> Resident:
        return Resident.objects.get(municipality=self.city, resident_code=person.code)
