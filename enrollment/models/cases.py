"""Reminder cases (勧奨ケース) and their letters: a case per person and kind follows the person
from the matched record to a response, a second reminder, or — for withdrawal — an approved ex
officio withdrawal (職権喪失) exported for the NHI core system."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models.matching import MatchDecision
from enrollment.models.people import IsaRecord, Resident
from nhi_portal.models import AppendOnlyError, Job, Municipality, _private_storage, bulk_fk
from nhi_portal.scoping import ScopedQuerySet


class CaseKind(models.TextChoices):
    ENROLLMENT = "enrollment", _("加入勧奨")
    WITHDRAWAL = "withdrawal", _("資格喪失届の勧奨")


class CaseState(models.TextChoices):
    OPEN = "open", _("対応前")
    LETTER_QUEUED = "letter_queued", _("勧奨通知 印刷待ち")
    LETTER_SENT = "letter_sent", _("勧奨通知 送付済み（回答待ち）")
    SECOND_QUEUED = "second_queued", _("再勧奨 印刷待ち")
    SECOND_SENT = "second_sent", _("再勧奨 送付済み（回答待ち）")
    EX_OFFICIO_PROPOSED = "ex_officio_proposed", _("職権喪失 承認待ち")
    EX_OFFICIO_APPROVED = "ex_officio_approved", _("職権喪失 承認済み（基幹系へ出力待ち）")
    ADDRESS_UNKNOWN = "address_unknown", _("居所不明（調査中）")
    RESPONDED = "responded", _("回答あり")
    CLOSED = "closed", _("完了")


OPEN_STATES = [s for s in CaseState.values if s != CaseState.CLOSED]


class Response(models.TextChoices):
    ENROLLED = "enrolled", _("国保に加入した")
    WITHDREW = "withdrew", _("資格喪失届を出した")
    MOVED_AWAY = "moved_away", _("転出した")
    LEFT_JAPAN = "left_japan", _("出国した")
    OTHER = "other", _("その他")


class CloseReason(models.TextChoices):
    ENROLLED = "enrolled", _("国保に加入（台帳で確認）")
    WITHDREW = "withdrew", _("資格を喪失（台帳で確認）")
    RESPONSE = "response", _("回答により完了")
    MOVED_AWAY = "moved_away", _("転出")
    LEFT_JAPAN = "left_japan", _("出国")
    DIED = "died", _("死亡")
    EX_OFFICIO = "ex_officio", _("職権喪失を基幹系へ出力")
    OTHER = "other", _("その他")


class ReminderCase(models.Model):
    """One person, one kind of reminder, from opening to closing. At most one open case per
    person and kind; later records about the person attach to it."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, db_constraint=False, related_name="cases"
    )
    kind = models.CharField(_("種類"), max_length=12, choices=CaseKind.choices)
    state = models.CharField(_("状態"), max_length=24, choices=CaseState.choices, default=CaseState.OPEN)
    source = models.CharField(
        _("きっかけ"), max_length=40
    )  # isa_1 / isa_2 / isa_3 / pension_cat2 / pension_cat13
    lost_employee_insurance = models.BooleanField(default=False)  # ask for proof of lost employee insurance
    opened_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    deadline = models.DateField(_("回答期限"), null=True, blank=True)
    response = models.CharField(_("回答"), max_length=12, choices=Response.choices, blank=True)
    response_note = models.TextField(_("回答の内容"), blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_reason = models.TextField(_("承認の理由"), blank=True)
    # 資格喪失年月日: the day NHI membership ends under an ex officio withdrawal — the day the person
    # became an employee insured (NHI Act art. 8: from that day), as the pension list says; set
    # by the clerk who proposes it, exported for the core system.
    loss_date = models.DateField(_("資格喪失年月日"), null=True, blank=True)
    export = models.ForeignKey(
        "ExOfficioExport", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    closed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    close_reason = models.CharField(_("完了の理由"), max_length=16, choices=CloseReason.choices, blank=True)
    close_note = models.TextField(blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("勧奨ケース")
        verbose_name_plural = _("勧奨ケース")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "resident", "kind"],
                condition=~models.Q(state="closed"),
                name="one_open_case_per_person_and_kind",
            )
        ]
        indexes = [
            models.Index(fields=["municipality", "state", "deadline"], name="case_worklist_idx"),
            models.Index(fields=["resident"], name="case_resident_idx"),
            # The case list, newest first: a page is read from the index, not sorted from every case.
            models.Index(fields=["municipality", "-opened_at", "-id"], name="case_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state != CaseState.CLOSED


class CaseIntake(models.Model):
    """What became of each matched record for cases (ケース化の結果): a case opened, the record
    attached to an open case, or no case — with the reason, so it can be shown."""

    class Outcome(models.TextChoices):
        OPENED = "opened", _("ケースを作成")
        ATTACHED = "attached", _("既存のケースに追加")
        SKIPPED = "skipped", _("ケース不要")

    class SkipReason(models.TextChoices):
        ALREADY_INSURED = "already_insured", _("すでに国保に加入している")
        NOT_INSURED = "not_insured", _("国保に加入していない（喪失の勧奨は不要）")
        MOVED_OUT = "moved_out", _("転出している")
        DIED = "died", _("死亡している")
        LEFT_JAPAN = "left_japan", _("国外に転出している")
        NOT_RESIDENT = "not_resident", _("住民ではない")

    municipality = bulk_fk(Municipality)
    isa_record = models.OneToOneField(
        IsaRecord, on_delete=models.CASCADE, db_constraint=False, related_name="case_intake"
    )
    decision = models.ForeignKey(
        MatchDecision, null=True, on_delete=models.SET_NULL, db_constraint=False, related_name="+"
    )
    resident = bulk_fk(Resident, null=True, on_delete=models.SET_NULL)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    skip_reason = models.CharField(max_length=16, choices=SkipReason.choices, blank=True)
    case = models.ForeignKey(ReminderCase, null=True, on_delete=models.SET_NULL, related_name="intakes")
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["municipality", "outcome"], name="intake_outcome_idx")]

    def __str__(self) -> str:
        return f"{self.isa_record_id}: {self.outcome}"


class CaseEvent(models.Model):
    """The case's history (経過), append-only: who moved it from which state to which, and why."""

    case = models.ForeignKey(ReminderCase, on_delete=models.CASCADE, related_name="events")
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["case", "at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("case events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("case events cannot be deleted")


class LetterStatus(models.TextChoices):
    QUEUED = "queued", _("印刷待ち")
    HELD = "held", _("保留（宛先を確認）")
    PRINTED = "printed", _("印刷済み")
    SENT = "sent", _("送付済み")
    RETURNED = "returned", _("返戻")
    CANCELLED = "cancelled", _("取りやめ")


class LetterType(models.TextChoices):
    """What a letter is: the two reminders of a case, or the welcome letter (加入のお知らせ) sent
    when the case closes because the person enrolled."""

    ENROLLMENT = "enrollment", _("加入勧奨")
    WITHDRAWAL = "withdrawal", _("資格喪失届の勧奨")
    WELCOME = "welcome", _("加入のお知らせ")


class Letter(models.Model):
    """One reminder letter (勧奨通知書): who it is addressed to (as printed), its language, its
    number and deadline, and what happened to it."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(ReminderCase, on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(_("種類"), max_length=12, choices=LetterType.choices)
    second = models.BooleanField(_("再勧奨"), default=False)
    number = models.CharField(_("文書番号"), max_length=30)
    language = models.CharField(_("併記する言語"), max_length=10, blank=True)
    status = models.CharField(
        _("状態"), max_length=10, choices=LetterStatus.choices, default=LetterStatus.QUEUED
    )
    hold_reason = models.TextField(_("保留の理由"), blank=True)
    addressee_name = models.CharField(_("宛名"), max_length=200)
    subject_name = models.CharField(_("対象者"), max_length=200, blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=8, blank=True)
    address_lines = models.JSONField(_("宛先住所"), default=list)
    ex_officio_notice = models.BooleanField(_("職権喪失の予告を記載"), default=False)
    lost_employee_insurance = models.BooleanField(default=False)
    first_letter_date = models.DateField(null=True, blank=True)
    print_batch = models.ForeignKey(
        "PrintBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="letters"
    )
    issue_date = models.DateField(_("発行日"), null=True, blank=True)
    sent_on = models.DateField(_("送付日"), null=True, blank=True)
    deadline = models.DateField(_("回答期限"), null=True, blank=True)
    returned_on = models.DateField(_("返戻日"), null=True, blank=True)
    return_note = models.TextField(blank=True)
    # The reply form (返信用紙: 資格喪失届 by post) of a withdrawal reminder, as the clerk recorded it.
    reply_received_on = models.DateField(_("返信用紙の受付日"), null=True, blank=True)
    reply = models.JSONField(_("返信用紙の記載内容"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知書")
        verbose_name_plural = _("通知書")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "number"], name="letter_number_unique")
        ]
        indexes = [models.Index(fields=["municipality", "status", "kind"], name="letter_status_idx")]

    def __str__(self) -> str:
        return self.number


class PrintBatch(models.Model):
    """A print run (印刷バッチ): queued letters of one kind in one print-ready PDF, sorted by
    postal code, with a cover sheet. Marking it sent sets the sending date and the deadlines."""

    class Status(models.TextChoices):
        RENDERING = "rendering", _("作成中")
        READY = "ready", _("印刷できます")
        SENT = "sent", _("送付済み")
        FAILED = "failed", _("失敗")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("種類"), max_length=12, choices=LetterType.choices)
    second = models.BooleanField(_("再勧奨"), default=False)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.RENDERING)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    letter_count = models.PositiveIntegerField(_("通数"), default=0)
    page_count = models.PositiveIntegerField(_("ページ数"), default=0)
    pdf = models.FileField(storage=_private_storage, upload_to="letters/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    issue_date = models.DateField(_("発行日"), null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    rendered_at = models.DateTimeField(null=True, blank=True)
    sent_on = models.DateField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    downloads = models.PositiveIntegerField(_("ダウンロード回数"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("印刷バッチ")
        verbose_name_plural = _("印刷バッチ")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"印刷 #{self.pk}"


class ExOfficioExport(models.Model):
    """The list of approved ex officio withdrawals handed to the NHI core system (基幹系)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(storage=_private_storage, upload_to="exports/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    case_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"職権喪失出力 #{self.pk}"
