"""A small municipality's month of enrollment work, built through the real services, for the
dashboard and supervisor tests: four people matched (one enrolls after the letter, one is due
this week, one is overdue, one's letter comes back), twins waiting for review, and a record of
nobody in the register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from enrollment.cases import services
from enrollment.models import Letter, LetterStatus, ReminderCase, Response
from nhi_portal.models import BatchStatus, ImportBatch
from tests.factories import ImportBatchFactory, ResidentFactory
from tests.linking.helpers import isa_batch, match

PEOPLE = {
    "enrolls": ("NGUYEN VAN AN", date(1998, 4, 12), "M"),
    "due": ("LE THI HOA", date(1996, 2, 3), "F"),
    "overdue": ("DO MINH CHAU", date(1993, 7, 8), "M"),
    "returned": ("PHAM VAN BAO", date(1994, 5, 6), "M"),
}
TWINS = ("TRAN THI BINH", date(1995, 1, 3), "F")
NOBODY = ("SMITH JOHN", date(1980, 1, 1), "M")


def previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


@dataclass
class Town:
    batch: ImportBatch
    cases: dict[str, ReminderCase]


def sent(case: ReminderCase, *, on: date, user) -> None:
    """The case's queued letter is printed and posted on `on`."""
    Letter.objects.filter(case=case, status=LetterStatus.QUEUED).update(
        status=LetterStatus.PRINTED, issue_date=on
    )
    services.letters_mark_sent(
        letters=Letter.objects.filter(case=case, status=LetterStatus.PRINTED), sent_on=on, user=user
    )


def town(municipality, clerk, *, month: date | None = None, tag: str = "") -> Town:
    """The month's work (ISA data of `month`, by default last month; everything else happens today).
    `tag` is added to every name, for a second set of people in the same municipality."""
    today = timezone.localdate()
    month = month or previous_month(today)
    lg_code = municipality.lg_code
    shift = timedelta(days=400 if tag else 0)  # another name and birth date: not a candidate of the first
    named = {key: (f"{name} {tag}".strip(), born + shift, sex) for key, (name, born, sex) in PEOPLE.items()}
    twins = (f"{TWINS[0]} {tag}".strip(), TWINS[1] + shift, TWINS[2])
    people = {
        key: ResidentFactory(
            municipality=municipality, name_alpha=name, birth_date=born, sex=sex, lg_code=lg_code
        )
        for key, (name, born, sex) in named.items()
    }
    for _ in range(2):
        ResidentFactory(
            municipality=municipality, name_alpha=twins[0], birth_date=twins[1], sex=twins[2], lg_code=lg_code
        )
    rows = [
        {"name": name, "birth_date": born, "sex": sex, "lg_code": lg_code}
        for name, born, sex in (*named.values(), twins, NOBODY)
    ]
    batch = isa_batch(municipality, rows, month=month)
    match(batch)
    services.cases_open(municipality=municipality)
    cases = {key: ReminderCase.objects.get(resident=person) for key, person in people.items()}
    for case in cases.values():
        sent(case, on=today, user=clerk)
    services.case_record_response(case=cases["enrolls"], response=Response.ENROLLED, note="", user=clerk)
    ReminderCase.objects.filter(pk=cases["due"].pk).update(deadline=today)
    ReminderCase.objects.filter(pk=cases["overdue"].pk).update(deadline=today - timedelta(days=8))
    services.letter_record_returned(letter=cases["returned"].letters.get(), user=clerk, returned_on=today)
    return Town(batch, {key: ReminderCase.objects.get(pk=c.pk) for key, c in cases.items()})


def files(municipality) -> None:
    """Files received this month besides the town's ISA file (6 rows, annex 1): an annex-2 file
    needing attention (3 rows, 1 with an error), a refused register file; and a file received last
    month. The ISA files hold data of three months ago (not in the town's month)."""
    data_month = previous_month(previous_month(previous_month(timezone.localdate())))
    ImportBatchFactory(
        municipality=municipality, annex=2, rows_total=3, rows_with_errors=1, status=BatchStatus.NEEDS_ATTENTION,
        data_month=data_month, source_name="isa_annex2.csv",
    )  # fmt: skip
    ImportBatchFactory(
        municipality=municipality, kind="residents", annex=None, data_month=None, status=BatchStatus.REJECTED
    )
    old = ImportBatchFactory(municipality=municipality, rows_total=40, data_month=data_month)
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    ImportBatch.objects.filter(pk=old.pk).update(
        created_at=timezone.make_aware(datetime.combine(last_month, time(12)))
    )
