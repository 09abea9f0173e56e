"""A few weeks of office work on the demo municipality, so that the dashboard, the supervisor page
and the ISA month diff have something to show (demo_setup, after the first nightly batch):

1. the ISA files of the two months before the generated month, made from that month's records —
   some people appear again unchanged, some at another address, some under another annex (they
   entered one month and left their job the next), some only earlier, and a few rows
   keyed wrongly (sex or birth date unreadable), which matching sends to review — imported by
   a second nightly batch;
2. the first reminders printed (a real print batch) and posted today, a few replies (most of
   them "enrolled"), one letter back as undeliverable, one review decision by the supervisor.

Deterministic: the same demo data gives the same files and the same choices. Skipped once the
municipality has a print batch (running demo_setup again changes nothing)."""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import date, timedelta
from pathlib import Path

from django.utils import timezone

from enrollment.cases import printing, services
from enrollment.linking import review
from enrollment.models import (
    CaseKind,
    IsaRecord,
    LinkStatus,
    MatchDecision,
    PrintBatch,
    ReminderCase,
    Resident,
    ResidentStatus,
    Response,
)
from nhi_portal import nightly
from nhi_portal.models import LANDED_STATUSES, ImportKind, JobStatus, User

HEADER = ["氏名（英字）", "住居地（地方公共団体コード）", "住居地", "性別", "生年月日"]
EVENT_HEADER = {1: "入国年月日（上陸年月日）", 2: "受入終了（離職）年月日", 3: "在留資格変更年月日"}


def _month_before(month: date, count: int = 1) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _row(name: str, lg_code: str, address: str, sex: str, born: date, event: date) -> list[str]:
    return [
        name,
        lg_code,
        address,
        {"M": "男", "F": "女"}.get(sex, ""),
        f"{born:%Y-%m-%d}",
        f"{event:%Y-%m-%d}",
    ]


def _csv(annex: int, rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*HEADER, EVENT_HEADER[annex]])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _moved(address: str, rng: random.Random) -> str:
    """Another flat or house nearby: the last number of the address changes."""
    numbers = list(re.finditer(r"\d+", address))
    if not numbers:
        return f"{address} {201 + rng.randrange(8)}号室"
    last = numbers[-1]
    value = int(last.group()) + 1 + rng.randrange(5)
    return f"{address[: last.start()]}{value}{address[last.end() :]}"


def earlier_months(municipality, month: date, seed: int) -> dict[str, bytes]:
    """The ISA files of the two months before `month`, made from `month`'s records and the register."""
    rng = random.Random(f"nhi-demo:{seed}:office")
    records = list(
        IsaRecord.objects.for_municipality(municipality.pk)
        .filter(batch__kind=ImportKind.ISA, batch__status__in=LANDED_STATUSES, batch__data_month=month)
        .exclude(name="")
        .exclude(birth_date=None)
        .order_by("batch_id", "row_number")
    )
    files: dict[tuple[date, int], list[list[str]]] = {}

    def add(when: date, annex: int, name, lg_code, address, sex, born) -> None:
        event = when + timedelta(days=rng.randrange(27))
        files.setdefault((when, annex), []).append(_row(name, lg_code, address, sex, born, event))

    previous, before = _month_before(month), _month_before(month, 2)
    for record in records:
        draw = rng.random()
        values = (record.name, record.lg_code, record.address, record.sex, record.birth_date)
        if draw < 0.30:  # the same again last month
            add(previous, record.annex, *values)
        elif draw < 0.45:  # last month at another address
            add(previous, record.annex, record.name, record.lg_code, _moved(record.address, rng), *values[3:])
        elif draw < 0.55 and record.annex != 1:  # entered last month, left the job or changed status now
            add(previous, 1, *values)
        if rng.random() < 0.2:  # and some two months ago as well
            add(before, 1, *values)
    # People of the register who are only in the earlier months, and a few rows keyed wrongly.
    seen = {(r.name, r.birth_date) for r in records}
    residents = [
        r
        for r in Resident.objects.for_municipality(municipality.pk)
        .filter(status=ResidentStatus.RESIDENT)
        .exclude(nationality__in=["", "JP"])
        .exclude(name_alpha="")
        .exclude(birth_date=None)
        .order_by("resident_code")[:2000]
        if (r.name_alpha, r.birth_date) not in seen
    ]
    workers = [r for r in residents if r.residence_status.startswith("特定技能")]
    rng.shuffle(workers)
    for person in workers[:12]:
        add(rng.choice((previous, before)), rng.choice((1, 1, 2, 3)), person.name_alpha, person.lg_code,
            person.address, person.sex, person.birth_date)  # fmt: skip
    rest = [r for r in residents if r not in workers[:12]]
    rng.shuffle(rest)
    for index, person in enumerate(rest[:6]):
        # A cell the importer cannot read (sex as text, an impossible birth date): the row is kept
        # with the value empty, the file needs attention, and matching always asks a person.
        row = _row(person.name_alpha, person.lg_code, person.address, person.sex, person.birth_date, previous)
        if index % 3 == 2:
            row[4] = f"{person.birth_date.year}-02-30"
        else:
            row[3] = "不明"
        files.setdefault((previous, 1), []).append(row)
    return {
        f"isa_{when:%Y-%m}_annex{annex}.csv": _csv(annex, rows)
        for (when, annex), rows in sorted(files.items())
    }


def office_work(*, municipality, data_dir: Path, seed: int, stdout) -> None:
    if PrintBatch.objects.for_municipality(municipality.pk).exists():
        return
    month = (
        IsaRecord.objects.for_municipality(municipality.pk)
        .filter(batch__kind=ImportKind.ISA, batch__data_month__isnull=False)
        .order_by("-batch__data_month")
        .values_list("batch__data_month", flat=True)
        .first()
    )
    if month is None:
        return
    inbox = nightly.inbox_for(municipality) / ImportKind.ISA
    inbox.mkdir(parents=True, exist_ok=True)
    for name, content in earlier_months(municipality, month, seed).items():
        (data_dir / name).write_bytes(content)
        (inbox / name).write_bytes(content)
    stdout.write("前の2か月分のISAファイルで、夜間バッチをもう一度実行しています…")
    run = nightly.nightly_execute(run_id=nightly.nightly_create(municipality=municipality).pk)
    for step in run.steps:
        stdout.write(f"  {step['label']}: {step['message'] or step['status']}")
    if run.status != JobStatus.SUCCEEDED:
        raise RuntimeError(f"夜間バッチが失敗しました: {run.error}")

    clerk = User.objects.get(username="clerk")
    supervisor = User.objects.get(username="supervisor")
    rng = random.Random(f"nhi-demo:{seed}:replies")
    today = timezone.localdate()
    batch = printing.print_batch_create(
        municipality=municipality, kind=CaseKind.ENROLLMENT, second=False, user=clerk, enqueue=False
    )
    batch = printing.print_batch_render(batch_id=batch.pk)
    sent = printing.print_batch_mark_sent(batch=batch, sent_on=today, user=clerk)
    cases = list(
        ReminderCase.objects.for_municipality(municipality.pk)
        .filter(letters__print_batch=batch, letters__sent_on=today)
        .order_by("pk")
        .distinct()
    )
    rng.shuffle(cases)
    replies = cases[: max(1, len(cases) // 4)]
    for case in replies:
        answer = Response.ENROLLED if rng.random() < 0.8 else Response.MOVED_AWAY
        services.case_record_response(case=case, response=answer, note="窓口で確認（デモ）", user=clerk)
    if len(cases) > len(replies):
        returned = cases[len(replies)]
        services.letter_record_returned(
            letter=returned.letters.get(print_batch=batch),
            user=clerk,
            returned_on=today,
            note="宛所不明（デモ）",
        )
    waiting = MatchDecision.objects.for_municipality(municipality.pk).filter(status=LinkStatus.PENDING_REVIEW)
    first = waiting.order_by("pk").first()
    candidates = review.candidate_ids(first) if first is not None else []
    if candidates:
        review.review_confirm(
            decision=first, user=supervisor, resident_id=candidates[0], note="生年月日の入力誤り（デモ）"
        )
    stdout.write(
        f"窓口の作業：勧奨通知 {sent}通を印刷・送付、回答 {len(replies)}件、返戻 1通、"
        f"審査待ち {waiting.count()}件"
    )
