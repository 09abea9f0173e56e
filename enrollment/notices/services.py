"""Notice rules: who may open a draft and when, editing a draft, asking for approval, approval by
a supervisor who did not write it (four eyes), rejection and withdrawal with their reasons, the
notice form rendered as a PDF at approval, and the sending recorded. Each change is one
transaction with its NoticeEvent and change-log rows.

Nothing here reads an ISA record or a match decision: a notice rests on the register, the NHI
ledger and the office's own facts (DOMAIN §8)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from enrollment.models import (
    ImmigrationNotice,
    NoticeDocument,
    NoticeEvent,
    NoticeFact,
    NoticeGround,
    NoticeSettings,
    NoticeState,
    Resident,
    SendMethod,
)
from enrollment.notices import selectors
from enrollment.notices.documents import MAX_PER_NOTICE, CheckedDocument
from nhi_portal.audit import sha256_of
from nhi_portal.changelog import log_change
from nhi_portal.models import ChangeAction
from nhi_portal.retention import delete_stored_files

logger = logging.getLogger(__name__)

# Events whose actor took part in writing the notice: none of them may approve it.
AUTHOR_ACTIONS = ("created", "edited", "submitted")


class NoticeRefused(ValueError):
    """Why the portal refuses a notice action (Japanese, shown to the clerk)."""


@dataclass(frozen=True)
class FactInput:
    occurred_on: date
    description: str


@dataclass(frozen=True)
class DraftInput:
    grounds: list[NoticeGround]
    facts: list[FactInput]
    employment: str = ""
    schooling: str = ""
    summary: str = ""


def _event(notice: ImmigrationNotice, action: str, *, user, before: str = "", note: str = "") -> None:
    NoticeEvent.objects.create(
        notice=notice, municipality_id=notice.municipality_id, actor=user, action=action,
        from_state=before, to_state=notice.state, note=note,
    )  # fmt: skip


def _move(notice: ImmigrationNotice, state: str, action: str, *, user, note: str = "", fields=()) -> None:
    before = notice.state
    notice.state = state
    notice.updated_at = timezone.now()
    notice.save(update_fields=["state", "updated_at", *fields])
    _event(notice, action, user=user, before=before, note=note)
    log_change(
        user=user,
        action=ChangeAction.UPDATE,
        instance=notice,
        changes={"state": (before, state), **{f: ("", getattr(notice, f)) for f in fields if f != "pdf"}},
    )


def _locked(notice: ImmigrationNotice) -> ImmigrationNotice:
    return ImmigrationNotice.objects.select_for_update().get(pk=notice.pk)


def authors_of(notice: ImmigrationNotice) -> set[int]:
    """Who wrote, changed or submitted the notice (user ids)."""
    ids = set(
        notice.events.filter(action__in=AUTHOR_ACTIONS, actor__isnull=False).values_list(
            "actor_id", flat=True
        )
    )
    return ids | {notice.created_by_id}


# Opening a draft ----------------------------------------------------------------------------------


def draft_refusal(*, resident: Resident, today: date | None = None) -> str | None:
    """Why no draft can be opened for this person (None = one can). Shown on the person's page and
    on the draft form before anything is typed."""
    today = today or timezone.localdate()
    found = selectors.notice_settings(municipality_id=resident.municipality_id)
    if found is None or not found.grounds.filter(active=True).exists():
        return (
            "入管への通知の設定（通知先の地方出入国在留管理局と通知の理由の一覧）がまだありません。"
            "管理者に設定を依頼してください。"
        )
    if not resident.is_foreign:
        return "通知の対象は外国籍の方です。この方は住民記録で日本国籍（または国籍が空欄）です。"
    items = selectors.person_items(resident=resident, today=today)
    if items.period is None:
        return "国保の被保険者台帳にこの方の資格がありません。通知の対象は国保の被保険者です。"
    open_notice = selectors.open_notice_of(resident=resident)
    if open_notice is not None:
        return (
            f"この方には作業中の通知（{open_notice.number}、{open_notice.get_state_display()}）があります。"
            "新しく作らず、その通知を開いてください。"
        )
    return None


def _input_refusal(data: DraftInput, *, municipality_id: int) -> str | None:
    if not data.grounds:
        return "通知の理由を1つ以上選んでください。"
    if any(g.municipality_id != municipality_id for g in data.grounds):
        return "選んだ通知の理由がこの自治体の一覧にありません。画面を開き直して選び直してください。"
    if not data.facts:
        return "確認した事実を1つ以上、日付とともに書いてください。"
    return None


def _store_documents(
    notice: ImmigrationNotice, documents: list[tuple[str, CheckedDocument]], *, user
) -> list[NoticeDocument]:
    stored = []
    for title, doc in documents:
        document = NoticeDocument(
            notice=notice,
            title=title or doc.original_name,
            original_name=doc.original_name,
            content_type=doc.content_type,
            size_bytes=len(doc.content),
            sha256=doc.sha256,
            uploaded_by=user,
        )
        # A random stored name: the original name may itself be personal (it is kept in the row).
        document.file.save(f"{uuid.uuid4().hex}{doc.extension}", ContentFile(doc.content), save=False)
        document.save()
        stored.append(document)
    return stored


def _write_facts(notice: ImmigrationNotice, facts: list[FactInput]) -> None:
    notice.facts.all().delete()
    NoticeFact.objects.bulk_create(
        NoticeFact(notice=notice, occurred_on=f.occurred_on, description=f.description.strip(), position=i)
        for i, f in enumerate(facts)
    )


def _next_serial(settings_row: NoticeSettings, fiscal_year: int) -> int:
    # The settings row is locked by the caller: two drafts opened at once get different numbers.
    top = (
        ImmigrationNotice.objects.for_municipality(settings_row.municipality_id)
        .filter(fiscal_year=fiscal_year)
        .aggregate(top=Max("serial"))["top"]
    )
    return (top or 0) + 1


@transaction.atomic
def notice_create(
    *,
    resident: Resident,
    user,
    data: DraftInput,
    documents: list[tuple[str, CheckedDocument]] = (),
    today: date | None = None,
) -> ImmigrationNotice:
    """Open a draft (下書き) about `resident` written by `user`."""
    today = today or timezone.localdate()
    settings_row = (
        NoticeSettings.objects.select_for_update().filter(municipality_id=resident.municipality_id).first()
    )
    if refusal := draft_refusal(resident=resident, today=today):
        raise NoticeRefused(refusal)
    if refusal := _input_refusal(data, municipality_id=resident.municipality_id):
        raise NoticeRefused(refusal)
    if len(documents) > MAX_PER_NOTICE:
        raise NoticeRefused(f"添付できる資料は1件の通知につき{MAX_PER_NOTICE}件までです。")
    year = selectors.fiscal_year_of(today)
    notice = ImmigrationNotice.objects.create(
        municipality_id=resident.municipality_id,
        resident=resident,
        fiscal_year=year,
        serial=_next_serial(settings_row, year),
        employment=data.employment.strip(),
        schooling=data.schooling.strip(),
        summary=data.summary.strip(),
        created_by=user,
    )
    notice.grounds.set(data.grounds)
    _write_facts(notice, data.facts)
    _store_documents(notice, list(documents), user=user)
    _event(notice, "created", user=user)
    log_change(
        user=user,
        action=ChangeAction.CREATE,
        instance=notice,
        changes={"resident_id": ("", resident.pk), "state": ("", notice.state)},
    )
    logger.info("immigration notice %s opened as draft", notice.pk)
    return notice


def edit_refusal(notice: ImmigrationNotice) -> str | None:
    if notice.state != NoticeState.DRAFT:
        return f"この通知は「{notice.get_state_display()}」です。修正できるのは下書きだけです。"
    return None


@transaction.atomic
def notice_update(
    *,
    notice: ImmigrationNotice,
    user,
    data: DraftInput,
    documents: list[tuple[str, CheckedDocument]] = (),
    remove_documents: list[int] = (),
) -> ImmigrationNotice:
    """Change a draft. Whoever changes it becomes one of its writers (and may not approve it)."""
    notice = _locked(notice)
    if refusal := edit_refusal(notice):
        raise NoticeRefused(refusal)
    if refusal := _input_refusal(data, municipality_id=notice.municipality_id):
        raise NoticeRefused(refusal)
    kept = notice.documents.exclude(pk__in=list(remove_documents))
    if kept.count() + len(documents) > MAX_PER_NOTICE:
        raise NoticeRefused(f"添付できる資料は1件の通知につき{MAX_PER_NOTICE}件までです。")
    removed = list(notice.documents.filter(pk__in=list(remove_documents)))
    files = [d.file.name for d in removed]
    storage = NoticeDocument._meta.get_field("file").storage
    for document in removed:
        document.delete()
    transaction.on_commit(lambda: delete_stored_files(storage, files))
    notice.employment, notice.schooling = data.employment.strip(), data.schooling.strip()
    notice.summary = data.summary.strip()
    notice.updated_at = timezone.now()
    notice.save(update_fields=["employment", "schooling", "summary", "updated_at"])
    notice.grounds.set(data.grounds)
    _write_facts(notice, data.facts)
    _store_documents(notice, list(documents), user=user)
    _event(notice, "edited", user=user)
    log_change(
        user=user, action=ChangeAction.UPDATE, instance=notice,
        changes={"documents_removed": ("", len(removed)), "documents_added": ("", len(documents))},
    )  # fmt: skip
    return notice


# Asking for approval, approving, rejecting, withdrawing ---------------------------------------------


def submit_refusal(notice: ImmigrationNotice) -> str | None:
    if notice.state != NoticeState.DRAFT:
        return f"この通知は「{notice.get_state_display()}」です。承認を依頼できるのは下書きだけです。"
    if not notice.grounds.exists():
        return "通知の理由が選ばれていません。下書きを修正して理由を選んでください。"
    if not notice.facts.exists():
        return "確認した事実が書かれていません。下書きを修正して、日付とともに書いてください。"
    return None


@transaction.atomic
def notice_submit(*, notice: ImmigrationNotice, user) -> ImmigrationNotice:
    notice = _locked(notice)
    if refusal := submit_refusal(notice):
        raise NoticeRefused(refusal)
    notice.submitted_by, notice.submitted_at = user, timezone.now()
    _move(notice, NoticeState.SUBMITTED, "submitted", user=user, fields=["submitted_by", "submitted_at"])
    return notice


def approval_refusal(notice: ImmigrationNotice, user, *, action: str = "承認") -> str | None:
    """Why this user may not approve (or reject) the notice; None = may. Shown before any form."""
    if notice.state != NoticeState.SUBMITTED:
        return f"この通知は「{notice.get_state_display()}」です。{action}できるのは承認待ちの通知だけです。"
    if not user.has_perm("portal.approve_immigration_notices"):
        return f"入管への通知を{action}できるのは監督者だけです。"
    if user.pk in authors_of(notice):
        return (
            f"この通知を作成・修正・承認依頼した人は{action}できません。"
            f"書いた人とは別の監督者が{action}してください。"
        )
    return None


@transaction.atomic
def notice_approve(
    *, notice: ImmigrationNotice, user, note: str = "", today: date | None = None
) -> ImmigrationNotice:
    """A supervisor who did not write it approves; the notice form is rendered now and kept, so
    what was approved is exactly what is sent."""
    from enrollment.notices.pdf import render_notice_pdf

    today = today or timezone.localdate()
    notice = _locked(notice)
    if refusal := approval_refusal(notice, user):
        raise NoticeRefused(refusal)
    notice.approved_by, notice.approved_at, notice.approval_note = user, timezone.now(), note.strip()
    notice.issue_date = today
    pdf = render_notice_pdf(notice, today=today)
    notice.pdf.save(f"notice-{notice.fiscal_year}-{notice.serial:04d}-{uuid.uuid4().hex[:8]}.pdf",
                    ContentFile(pdf), save=False)  # fmt: skip
    notice.pdf_sha256 = sha256_of(pdf)
    _move(notice, NoticeState.APPROVED, "approved", user=user, note=note.strip(),
          fields=["approved_by", "approved_at", "approval_note", "issue_date", "pdf", "pdf_sha256"])  # fmt: skip
    return notice


@transaction.atomic
def notice_reject(*, notice: ImmigrationNotice, user, reason: str) -> ImmigrationNotice:
    """The approver refuses the notice (却下); the reason stays with it."""
    notice = _locked(notice)
    if refusal := approval_refusal(notice, user, action="却下"):
        raise NoticeRefused(refusal)
    if not reason.strip():
        raise NoticeRefused("却下の理由を書いてください。")
    notice.closed_by, notice.closed_at, notice.close_reason = user, timezone.now(), reason.strip()
    _move(notice, NoticeState.REJECTED, "rejected", user=user, note=reason.strip(),
          fields=["closed_by", "closed_at", "close_reason"])  # fmt: skip
    return notice


def withdraw_refusal(notice: ImmigrationNotice, user) -> str | None:
    if notice.state not in selectors.OPEN_NOTICE_STATES:
        return f"この通知は「{notice.get_state_display()}」です。取り下げられるのは送付前の通知だけです。"
    if user.pk not in authors_of(notice) and not user.has_perm("portal.approve_immigration_notices"):
        return "取り下げられるのは、この通知を書いた人か監督者だけです。"
    return None


@transaction.atomic
def notice_withdraw(*, notice: ImmigrationNotice, user, reason: str) -> ImmigrationNotice:
    """The office decides not to send the notice (取下げ); the reason stays with it."""
    notice = _locked(notice)
    if refusal := withdraw_refusal(notice, user):
        raise NoticeRefused(refusal)
    if not reason.strip():
        raise NoticeRefused("取り下げる理由を書いてください。")
    notice.closed_by, notice.closed_at, notice.close_reason = user, timezone.now(), reason.strip()
    _move(notice, NoticeState.WITHDRAWN, "withdrawn", user=user, note=reason.strip(),
          fields=["closed_by", "closed_at", "close_reason"])  # fmt: skip
    return notice


# Sending --------------------------------------------------------------------------------------------


def sent_refusal(notice: ImmigrationNotice) -> str | None:
    if notice.state != NoticeState.APPROVED:
        return f"この通知は「{notice.get_state_display()}」です。送付を記録できるのは承認済みの通知だけです。"
    return None


@transaction.atomic
def notice_record_sent(
    *, notice: ImmigrationNotice, user, sent_on: date, method: str, note: str = "", today: date | None = None
) -> ImmigrationNotice:
    """Record that the approved notice left the office: the day, how, and who recorded it."""
    today = today or timezone.localdate()
    notice = _locked(notice)
    if refusal := sent_refusal(notice):
        raise NoticeRefused(refusal)
    if method not in SendMethod.values:
        raise NoticeRefused("送付の方法を選んでください。")
    if sent_on > today:
        raise NoticeRefused("送付日に未来の日付は入れられません。送付した日を入れてください。")
    if notice.issue_date and sent_on < notice.issue_date:
        raise NoticeRefused(
            f"送付日が承認した日（{notice.issue_date:%Y-%m-%d}）より前です。送付した日を確かめてください。"
        )
    if method == SendMethod.OTHER and not note.strip():
        raise NoticeRefused("送付の方法が「その他」のときは、どう送ったかを書いてください。")
    notice.sent_on, notice.sent_method, notice.sent_note = sent_on, method, note.strip()
    notice.sent_by, notice.sent_recorded_at = user, timezone.now()
    _move(notice, NoticeState.SENT, "sent", user=user, note=note.strip(),
          fields=["sent_on", "sent_method", "sent_note", "sent_by", "sent_recorded_at"])  # fmt: skip
    return notice
