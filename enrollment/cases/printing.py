"""Print batches (印刷バッチ): the queued letters of one kind rendered into one print-ready PDF
(postal-code order, a cover sheet), downloaded for printing, then marked sent — and the reads the
letters pages need, always scoped to the user's municipality.

Rendering runs on a Celery worker (`printing_tasks.render_print_batch_task`). The letter engine
lays out a batch in worker processes, which a daemonic process — a Celery prefork child — may not
start: there the batch is rendered in one process. Route the task to a worker that may start
processes (`celery -A nhi_portal worker -Q letters -P solo`, or `-P threads`) to use every core.
"""

from __future__ import annotations

import hashlib
import io
import logging
import multiprocessing
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from enrollment.cases.deadlines import deadline_for
from enrollment.cases.letters import content_of, layout, sender_for
from enrollment.cases.services import letters_mark_sent
from enrollment.letters import (
    KIND_LABELS_JA,
    LANGUAGES,
    BatchInfo,
    LetterContent,
    LetterKind,
    check_letter,
    render_letters,
    warm_bodies,
)
from enrollment.models import (
    CaseEvent,
    CaseState,
    Letter,
    LetterStatus,
    LetterType,
    PrintBatch,
    Resident,
    ResidentStatus,
)
from nhi_portal import jobs
from nhi_portal.audit import Purpose, log_export
from nhi_portal.models import JobKind

logger = logging.getLogger(__name__)

# Letters per batch: a bigger queue is printed in several batches (each about 40,000 pages).
MAX_LETTERS = 20_000
_HEARTBEAT_SECONDS = 2.0


class PrintRefused(ValueError):
    """Why the portal refuses a print action (Japanese, shown to the clerk)."""


def group_label(kind: str, second: bool) -> str:
    """加入勧奨 / 加入再勧奨 / 資格喪失届の勧奨 / 資格喪失届の再勧奨."""
    return KIND_LABELS_JA[(LetterKind(kind), bool(second))]


def batch_number(batch: PrintBatch) -> str:
    """The number on the cover sheet and in the file name, e.g. 132101-P00012."""
    return f"{batch.municipality.lg_code}-P{batch.pk:05d}"


def _letter_list_url() -> str:
    try:
        return reverse("letter-list")
    except NoReverseMatch:  # the pages are not installed (a script, a benchmark)
        return ""


def _queued(municipality_id: int, kind: str, second: bool) -> QuerySet[Letter]:
    return Letter.objects.for_municipality(municipality_id).filter(
        kind=kind, second=second, status=LetterStatus.QUEUED
    )


# Writes ---------------------------------------------------------------------------------------


def letter_bodies_warm(*, municipality) -> int:
    """Lay out today's bodies of the letters waiting to be printed (queued or held), as a preview
    shows them today, into the shared store: a clerk's first preview of any of them then only
    draws its overlay. Run by the letters worker after midnight and after the nightly batch has
    queued letters. Returns how many bodies were laid out (0 when all were there, or when no
    store is set: then there is nothing to share)."""
    if not getattr(settings, "NHI_LETTER_BODY_DIR", None):
        return 0
    letters = (
        Letter.objects.for_municipality(municipality.pk)
        .filter(status__in=(LetterStatus.QUEUED, LetterStatus.HELD))
        .select_related("case__resident")
    )
    contents = [letter_content(letter) for letter in letters.iterator(chunk_size=2000)]
    if not contents:
        return 0
    return warm_bodies(contents, layout(), sender_for(municipality))


@transaction.atomic
def print_batch_create(*, municipality, kind: str, second: bool, user, enqueue: bool = True) -> PrintBatch:
    """Start a print batch of the queued letters of one kind (勧奨 or 再勧奨). The letters are
    taken when the batch renders, on a worker, after this transaction commits."""
    if kind not in LetterType.values or (kind == LetterType.WELCOME and second):
        raise PrintRefused("通知書の種類を選んでください。")
    label = group_label(kind, second)
    queued = _queued(municipality.pk, kind, second).count()
    if not queued:
        raise PrintRefused(f"印刷待ちの{label}の通知書はありません。")
    busy = PrintBatch.objects.for_municipality(municipality.pk).filter(
        kind=kind, second=second, status=PrintBatch.Status.RENDERING
    )
    if busy.exists():
        # Not a lock: two batches started at once share the letters (the renderer skips rows
        # another batch holds), this only spares the clerk a pointless second batch.
        raise PrintRefused(f"{label}の印刷用PDFを作成中です。できあがってから次を作ってください。")
    batch = PrintBatch.objects.create(
        municipality=municipality,
        kind=kind,
        second=second,
        status=PrintBatch.Status.RENDERING,
        issue_date=timezone.localdate(),
        created_by=user if user is not None and user.is_authenticated else None,
    )
    batch.job = jobs.job_create(
        kind=JobKind.RENDER_LETTERS,
        municipality_id=municipality.pk,
        title=f"{label}の印刷用PDF（{batch_number(batch)}）",
        user=user,
        total=min(queued, MAX_LETTERS),
        params={"print_batch_id": batch.pk},
    )
    batch.save(update_fields=["job"])
    logger.info("print batch %s created: %s second=%s, %s queued", batch.pk, kind, second, queued)
    if enqueue:
        from enrollment.cases.printing_tasks import render_print_batch_task

        transaction.on_commit(lambda: render_print_batch_task.delay(batch.pk))
    return batch


def print_batch_render(*, batch_id: int) -> PrintBatch:
    """Render a batch: its letters in one PDF, stored with its hash, the letters printed — all in
    one transaction, so a worker killed midway leaves the batch rendering and its letters queued,
    and the re-run prints the same letters with the same issue date. Safe to run twice: a batch
    that is not rendering, or that another worker holds, is left alone."""
    batch = PrintBatch.objects.get(pk=batch_id)
    if batch.status != PrintBatch.Status.RENDERING:
        return batch
    jobs.job_start(batch.job_id, message="印刷待ちの通知書を集めています")
    try:
        with transaction.atomic():
            locked = (
                PrintBatch.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("municipality", "created_by")
                .filter(pk=batch_id, status=PrintBatch.Status.RENDERING)
                .first()
            )
            if locked is None:
                return PrintBatch.objects.get(pk=batch_id)
            _render(locked)
    except Exception as exc:
        logger.exception("print batch %s failed", batch_id)
        reason = (
            "印刷用PDFの作成中に予期しないエラーが起きました。通知書は印刷待ちのままです。"
            f"もう一度作成し、続くようなら管理者に連絡してください（{type(exc).__name__}）。"
        )
        PrintBatch.objects.filter(pk=batch_id).update(status=PrintBatch.Status.FAILED, error=reason)
        jobs.job_fail(batch.job_id, error=reason)
        _discard_stray_pdf(PrintBatch.objects.select_related("municipality").get(pk=batch_id))
    return PrintBatch.objects.get(pk=batch_id)


def _pdf_name(batch: PrintBatch) -> str:
    return batch.pdf.field.generate_filename(batch, f"letters_{batch_number(batch)}.pdf")


def _discard_stray_pdf(batch: PrintBatch) -> None:
    """The PDF an earlier rendering of this batch wrote before it was killed or failed: the
    transaction that recorded it rolled back, so nothing refers to the file, which holds personal
    data and would otherwise stay for ever (and push the batch's own PDF to another name)."""
    name = _pdf_name(batch)
    if batch.pdf.name != name and batch.pdf.storage.exists(name):
        logger.warning("print batch %s: removing %s left by a rendering that did not finish", batch.pk, name)
        batch.pdf.storage.delete(name)


def _render(batch: PrintBatch) -> None:
    job_id = batch.job_id
    letters = list(
        _queued(batch.municipality_id, batch.kind, batch.second)
        # the letters queued when the clerk asked, oldest first when there are too many
        .filter(created_at__lte=batch.created_at)
        .select_related("case__resident")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("created_at", "id")[:MAX_LETTERS]
    )
    jobs.job_progress(job_id, done=0, total=len(letters), message="宛先と内容を確認しています")
    page_layout, sender = layout(), sender_for(batch.municipality)
    printable: list[Letter] = []
    contents: list[LetterContent] = []
    held: list[Letter] = []
    for letter in letters:
        content = content_of(letter, issue_date=batch.issue_date)
        problems = check_letter(content, page_layout)
        if problems:
            letter.status, letter.hold_reason = LetterStatus.HELD, "／".join(problems)
            held.append(letter)
        else:
            printable.append(letter)
            contents.append(content)
    if not printable:
        # Held letters stay held (committed with the failure); nothing is printed.
        Letter.objects.bulk_update(held, ["status", "hold_reason"], batch_size=2000)
        reason = (
            f"印刷できる通知書がありませんでした（保留にした通知書 {len(held):,}通）。"
            if held
            else "印刷待ちの通知書がありませんでした（ほかの印刷バッチが先に印刷した可能性があります）。"
        )
        batch.status, batch.error = PrintBatch.Status.FAILED, reason
        batch.save(update_fields=["status", "error"])
        transaction.on_commit(lambda: jobs.job_fail(job_id, error=reason))
        return

    number = batch_number(batch)
    # A Celery prefork child is daemonic and may not start the engine's worker processes.
    workers = 1 if multiprocessing.current_process().daemon else None
    started = time.perf_counter()
    with _heartbeat(job_id, len(printable)):
        pdf = render_letters(
            contents,
            page_layout,
            sender,
            cover=BatchInfo(batch_number=number, printed_on=batch.issue_date),
            sort=True,
            workers=workers,
        )
    seconds = time.perf_counter() - started
    jobs.job_progress(job_id, done=len(printable), message="PDFを保存しています")

    # Writes last: on SQLite (the demo) the first write locks the database until the commit.
    Letter.objects.bulk_update(held, ["status", "hold_reason"], batch_size=2000)
    _discard_stray_pdf(batch)
    batch.pdf.save(f"letters_{number}.pdf", ContentFile(pdf), save=False)
    batch.sha256 = hashlib.sha256(pdf).hexdigest()
    batch.page_count = _page_count(pdf)
    batch.letter_count = len(printable)
    batch.status, batch.error, batch.rendered_at = PrintBatch.Status.READY, "", timezone.now()
    batch.save()
    ids = [letter.pk for letter in printable]
    for start in range(0, len(ids), 5000):
        Letter.objects.filter(pk__in=ids[start : start + 5000]).update(
            status=LetterStatus.PRINTED, print_batch=batch, issue_date=batch.issue_date
        )
    CaseEvent.objects.bulk_create(
        (
            CaseEvent(
                case_id=letter.case_id,
                municipality_id=batch.municipality_id,
                actor=batch.created_by,
                action="letter_printed",
                from_state=letter.case.state,
                to_state=letter.case.state,
                note=f"{letter.number}、印刷 {number}",
            )
            for letter in printable
        ),
        batch_size=2000,
    )
    message = f"{len(printable):,}通、{batch.page_count:,}ページを作成しました"
    if held:
        message += f"（保留 {len(held):,}通）"
    logger.info("print batch %s: %s in %.1f s", batch.pk, message, seconds)
    transaction.on_commit(
        lambda: jobs.job_succeed(
            job_id,
            message=message,
            result={"print_batch_id": batch.pk, "letters": len(printable), "held": len(held)},
            result_url=_letter_list_url(),
        )
    )


def print_batch_watchdog(*, stall_seconds: int) -> list[int]:
    """Batches still rendering that no worker renders (a renderer holds the batch's row lock) and
    that nobody started or queued for `stall_seconds` are queued again: their worker was killed
    (its message only comes back after the broker's visibility timeout) or Redis forgot the
    message. A duplicate is harmless (the batch is rendered once). Called by beat every minute."""
    from enrollment.cases.printing_tasks import render_print_batch_task

    cutoff = timezone.now() - timedelta(seconds=stall_seconds)
    waiting = PrintBatch.objects.filter(status=PrintBatch.Status.RENDERING, created_at__lt=cutoff)
    revived = []
    for batch_id in waiting.values_list("pk", flat=True):
        with transaction.atomic():
            batch = (
                PrintBatch.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("job")
                .filter(pk=batch_id, status=PrintBatch.Status.RENDERING)
                .first()
            )
            if batch is None:  # being rendered
                continue
            stamps = [batch.created_at]
            if batch.job is not None:
                stamps.append(batch.job.started_at or batch.created_at)
                if batch.job.params.get("queued_again"):
                    stamps.append(datetime.fromisoformat(batch.job.params["queued_again"]))
            if max(stamps) > cutoff:
                continue
            if batch.job is not None:
                batch.job.params = {**batch.job.params, "queued_again": timezone.now().isoformat()}
                batch.job.save(update_fields=["params"])
            logger.warning("print batch %s stalled: queued again", batch.pk)
            transaction.on_commit(lambda pk=batch.pk: render_print_batch_task.delay(pk))
            revived.append(batch.pk)
    return revived


@contextmanager
def _heartbeat(job_id: int | None, letters: int) -> Iterator[None]:
    """While the engine renders (it reports no progress of its own), tell the browser every few
    seconds that the work goes on and for how long it has."""
    if job_id is None:
        yield
        return
    stop = threading.Event()
    started = time.monotonic()

    def beat() -> None:
        while not stop.wait(_HEARTBEAT_SECONDS):
            elapsed = int(time.monotonic() - started)
            jobs.job_progress(
                job_id,
                done=0,
                message=f"{letters:,}通のPDFを作成しています（経過 {elapsed // 60}分{elapsed % 60:02d}秒）",
            )

    jobs.job_progress(job_id, done=0, message=f"{letters:,}通のPDFを作成しています")
    thread = threading.Thread(target=beat, name=f"print-heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _page_count(pdf: bytes) -> int:
    """The page tree's own count: reading it costs milliseconds, walking 40,000 pages seconds."""
    from pypdf import PdfReader

    return int(PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Pages"]["/Count"])


@dataclass(frozen=True)
class SendingCheck:
    """What marking a batch sent will do (for the confirm page)."""

    letters: int  # printed letters that become sent
    closed: int  # printed, but their case closed since: not sent (take them out of the post)
    deadline: date | None  # the reply deadline recorded for the letters (none for welcome letters)


def print_batch_sending(*, batch: PrintBatch, sent_on: date) -> SendingCheck:
    printed = Letter.objects.filter(print_batch=batch, status=LetterStatus.PRINTED)
    if batch.kind == LetterType.WELCOME:  # the case is closed by nature; no deadline
        return SendingCheck(printed.count(), 0, None)
    closed = printed.filter(case__state=CaseState.CLOSED).count()
    return SendingCheck(
        printed.count() - closed, closed, deadline_for(batch.issue_date or sent_on, second=batch.second)
    )


@transaction.atomic
def print_batch_mark_sent(*, batch: PrintBatch, sent_on: date, user) -> int:
    """The batch went into the post on `sent_on`: its letters are sent and their deadlines start
    (the case rules in `letters_mark_sent`). Letters whose case was closed after printing are not
    sent. Returns the number of letters marked sent."""
    batch = PrintBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != PrintBatch.Status.READY:
        raise PrintRefused(
            f"送付済みにできるのは「{PrintBatch.Status.READY.label}」の印刷バッチだけです"
            f"（この印刷バッチは「{batch.get_status_display()}」）。"
        )
    if batch.issue_date and sent_on < batch.issue_date:
        raise PrintRefused(f"送付日は発行日（{batch.issue_date:%Y-%m-%d}）より前にできません。")
    if sent_on > timezone.localdate():
        raise PrintRefused("送付日に未来の日付は指定できません。投函した日に記録してください。")
    if batch.kind == LetterType.WELCOME:
        count = _welcome_mark_sent(batch, sent_on, user)
    else:
        letters = Letter.objects.filter(print_batch=batch, status=LetterStatus.PRINTED).exclude(
            case__state=CaseState.CLOSED
        )
        count = letters_mark_sent(letters=letters, sent_on=sent_on, user=user)
    batch.status, batch.sent_on, batch.sent_by = PrintBatch.Status.SENT, sent_on, user
    batch.save(update_fields=["status", "sent_on", "sent_by"])
    logger.info("print batch %s sent on %s: %s letters", batch.pk, sent_on, count)
    return count


def _welcome_mark_sent(batch: PrintBatch, sent_on: date, user) -> int:
    """Welcome letters belong to closed cases and start no deadline: they become sent, and the
    case's history says so (the person's timeline shows it)."""
    letters = list(
        Letter.objects.filter(print_batch=batch, status=LetterStatus.PRINTED)
        .select_related("case")
        .select_for_update(of=("self",))
    )
    ids = [letter.pk for letter in letters]
    for start in range(0, len(ids), 5000):
        Letter.objects.filter(pk__in=ids[start : start + 5000]).update(
            status=LetterStatus.SENT, sent_on=sent_on
        )
    CaseEvent.objects.bulk_create(
        (
            CaseEvent(
                case_id=letter.case_id, municipality_id=batch.municipality_id, actor=user,
                action="welcome_sent", from_state=letter.case.state, to_state=letter.case.state,
                note=f"{letter.number}、送付 {sent_on:%Y-%m-%d}",
            )
            for letter in letters
        ),
        batch_size=2000,
    )  # fmt: skip
    return len(letters)


@transaction.atomic
def print_batch_download(*, batch: PrintBatch, request) -> PrintBatch:
    """Count a download of the batch PDF — the second and later ones are reprints — and write one
    access-log entry naming everyone on the letters (`request` is for the log only)."""
    if batch.status not in (PrintBatch.Status.READY, PrintBatch.Status.SENT) or not batch.pdf:
        raise PrintRefused("この印刷バッチにはダウンロードできるPDFがありません。")
    PrintBatch.objects.filter(pk=batch.pk).update(downloads=F("downloads") + 1)
    batch.refresh_from_db(fields=["downloads"])
    log_export(
        request,
        action="print_batch_download" if batch.downloads == 1 else "print_batch_reprint",
        purpose=Purpose.LETTERS,
        object_type="resident",
        ids=letter_people(Letter.objects.filter(print_batch=batch)),
        sha256=batch.sha256,
    )
    return batch


# Reads ----------------------------------------------------------------------------------------


def letter_people(letters: QuerySet[Letter]) -> list[int]:
    """Resident ids of everyone a set of letters names: the person concerned, and the head of
    household they are addressed to when that is someone else (for the access log)."""
    rows = list(
        letters.values_list(
            "municipality_id", "case__resident_id", "subject_name", "case__resident__household_head_code"
        )
    )
    ids = {resident_id for _, resident_id, _, _ in rows}
    heads: dict[int, set[str]] = {}
    for municipality_id, _, subject, head_code in rows:
        if subject and head_code:
            heads.setdefault(municipality_id, set()).add(head_code)
    for municipality_id, codes in heads.items():
        ids.update(
            Resident.objects.for_municipality(municipality_id)
            .filter(resident_code__in=list(codes), status=ResidentStatus.RESIDENT)
            .values_list("pk", flat=True)
        )
    return sorted(ids)


def letter_content(letter: Letter) -> LetterContent:
    """The letter as printed, or as it would be printed today. A sent letter's recorded deadline
    counts from the sending date; the paper shows the one counted from the issue date."""
    if letter.issue_date and letter.sent_on:
        return content_of(letter, deadline=deadline_for(letter.issue_date, second=letter.second))
    return content_of(letter)


@dataclass(frozen=True)
class LetterGroup:
    """Queued letters of one kind: a row of the letters page with its print button."""

    kind: str
    second: bool
    label: str
    queued: int
    rendering: bool  # a batch of this kind is being rendered

    @property
    def slug(self) -> str:
        return f"{self.kind}-second" if self.second else self.kind


GROUP_SLUGS = {
    f"{kind}-second" if second else kind: (kind, second)
    for kind in LetterType.values
    for second in (False, True)
    if not (kind == LetterType.WELCOME and second)
}


def letter_groups(*, user) -> list[LetterGroup]:
    counts = dict(
        (((kind, second), n) for kind, second, n in
         Letter.objects.for_user(user).filter(status=LetterStatus.QUEUED)
         .values_list("kind", "second").annotate(n=Count("id")).order_by())
    )  # fmt: skip
    rendering = set(
        PrintBatch.objects.for_user(user)
        .filter(status=PrintBatch.Status.RENDERING)
        .values_list("kind", "second")
    )
    return [
        LetterGroup(kind, second, group_label(kind, second), counts.get((kind, second), 0),
                    (kind, second) in rendering)
        for kind, second in GROUP_SLUGS.values()
    ]  # fmt: skip


@dataclass
class LetterTally:
    """One row of the letters page's counts: letters of one kind in one language, by state."""

    label: str
    language: str
    queued: int = 0
    held: int = 0
    printed: int = 0  # ever printed: waiting to be posted, sent or returned
    sent: int = 0
    returned: int = 0
    held_reasons: list[tuple[str, int]] = field(default_factory=list)


def language_label(code: str) -> str:
    """日本語のみ / 日本語と英語 … (the Japanese names staff read)."""
    if not code or code == "ja" or code not in LANGUAGES:
        return "日本語のみ" if not code or code == "ja" else code
    return f"日本語と{LANGUAGES[code].name_ja}"


def letter_tallies(*, user) -> list[LetterTally]:
    """How many letters of each kind and language are queued, held (and why), printed, sent and
    returned: two queries, whatever the number of letters."""
    letters = Letter.objects.for_user(user)
    tallies: dict[tuple, LetterTally] = {}

    def tally(kind: str, second: bool, language: str) -> LetterTally:
        language = language if language and language != "ja" else "ja"
        key = (kind, second, language)
        if key not in tallies:
            tallies[key] = LetterTally(group_label(kind, second), language_label(language))
        return tallies[key]

    rows = letters.values_list("kind", "second", "language", "status").annotate(n=Count("id")).order_by()
    for kind, second, language, status, n in rows:
        row = tally(kind, second, language)
        if status == LetterStatus.QUEUED:
            row.queued += n
        elif status == LetterStatus.HELD:
            row.held += n
        elif status in (LetterStatus.PRINTED, LetterStatus.SENT, LetterStatus.RETURNED):
            row.printed += n
            row.sent += n if status == LetterStatus.SENT else 0
            row.returned += n if status == LetterStatus.RETURNED else 0
    reasons = (
        letters.filter(status=LetterStatus.HELD)
        .values_list("kind", "second", "language", "hold_reason")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    for kind, second, language, reason, n in reasons:
        tally(kind, second, language).held_reasons.append((reason or "（理由の記録なし）", n))
    groups, languages = list(GROUP_SLUGS.values()), list(LANGUAGES)
    return [
        tallies[key]
        for key in sorted(
            tallies,
            key=lambda k: (
                groups.index((k[0], k[1])) if (k[0], k[1]) in groups else 99,
                languages.index(k[2]) if k[2] in languages else 99,
            ),
        )
    ]


def queued_count(*, user, kind: str, second: bool) -> int:
    return Letter.objects.for_user(user).filter(kind=kind, second=second, status=LetterStatus.QUEUED).count()


def held_letters(*, user) -> QuerySet[Letter]:
    return (
        Letter.objects.for_user(user)
        .filter(status=LetterStatus.HELD)
        .select_related("case")
        .order_by("created_at", "id")
    )


def print_batches(*, user) -> QuerySet[PrintBatch]:
    return (
        PrintBatch.objects.for_user(user).select_related("job", "municipality").order_by("-created_at", "-id")
    )


def print_batch_get(*, user, pk: int) -> PrintBatch:
    """Raises PrintBatch.DoesNotExist for another municipality's batch."""
    return print_batches(user=user).get(pk=pk)


def letter_get(*, user, pk: int) -> Letter:
    """Raises Letter.DoesNotExist for another municipality's letter."""
    return (
        Letter.objects.for_user(user)
        .select_related("case__resident", "municipality", "print_batch__municipality")
        .get(pk=pk)
    )
