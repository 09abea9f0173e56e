"""Notices to the regional immigration services bureau (地方出入国在留管理局への通知): a clerk or
supervisor writes a draft about an NHI insured foreign resident who may not be engaged in the
activities of their residence status (在留資格の本来活動を行っていない可能性), a second supervisor
approves it, the portal renders the notice form and records how and when it was sent.

A notice rests on the NHI office's own facts — the register, the ledger, what the office saw and
heard — never on ISA records: nothing here refers to IsaRecord or MatchDecision (the confirmation
document of 2020-03-19 allows the ISA data only for promoting enrollment; DOMAIN §8)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models.people import Resident
from nhi_portal.models import AppendOnlyError, Municipality, _private_storage
from nhi_portal.scoping import ScopedQuerySet


class NoticeSettings(models.Model):
    """The municipality's settings for notices (通知の設定): the bureau the notices go to, the
    sender, and how long closed notices are kept."""

    municipality = models.OneToOneField(
        Municipality, on_delete=models.PROTECT, related_name="notice_settings", verbose_name=_("自治体")
    )
    bureau_name = models.CharField(
        _("宛先（地方出入国在留管理局）"),
        max_length=80,
        help_text=_("例: 東京出入国在留管理局長"),
    )
    bureau_section = models.CharField(
        _("宛先の部署"), max_length=80, blank=True, help_text=_("例: 審査管理部門")
    )
    bureau_postal_code = models.CharField(_("宛先の郵便番号"), max_length=8, blank=True)
    bureau_address = models.CharField(_("宛先の所在地"), max_length=200, blank=True)
    sender_title = models.CharField(
        _("差出人（長の職名）"),
        max_length=60,
        blank=True,
        help_text=_("空欄のときは自治体の「差出人」を使います。"),
    )
    number_prefix = models.CharField(
        _("文書番号の記号"),
        max_length=20,
        default="入管通知",
        help_text=_("文書番号は「記号 年度-連番」です。"),
    )
    retention_years = models.PositiveSmallIntegerField(
        _("保存年数"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_(
            "送付・却下・取下げから、この年数を過ぎた通知は添付書類とともに削除されます（件数だけが残ります）。"
        ),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("入管への通知の設定")
        verbose_name_plural = _("入管への通知の設定")

    def __str__(self) -> str:
        return f"{self.municipality.name}：{self.bureau_name}"


class NoticeGround(models.Model):
    """One ground for a notice in the municipality's own list (通知の理由), with its legal basis
    (根拠) printed beside it. A ground used by a notice is never deleted, only retired."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    settings = models.ForeignKey(NoticeSettings, on_delete=models.CASCADE, related_name="grounds")
    label = models.CharField(_("通知の理由"), max_length=120)
    legal_basis = models.CharField(_("根拠"), max_length=300)
    hint = models.CharField(_("補足（職員向け）"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    active = models.BooleanField(_("選べる"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知の理由")
        verbose_name_plural = _("通知の理由")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["settings", "label"], name="notice_ground_label_unique")
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        self.municipality_id = self.settings.municipality_id
        super().save(*args, **kwargs)


class NoticeState(models.TextChoices):
    DRAFT = "draft", _("下書き")
    SUBMITTED = "submitted", _("承認待ち")
    APPROVED = "approved", _("承認済み（送付待ち）")
    SENT = "sent", _("送付済み")
    REJECTED = "rejected", _("却下")
    WITHDRAWN = "withdrawn", _("取下げ")


CLOSED_NOTICE_STATES = (NoticeState.SENT, NoticeState.REJECTED, NoticeState.WITHDRAWN)


class SendMethod(models.TextChoices):
    MAIL = "mail", _("郵送")
    REGISTERED_MAIL = "registered_mail", _("簡易書留")
    HAND = "hand", _("持参")
    OTHER = "other", _("その他")


class ImmigrationNotice(models.Model):
    """One notice to the bureau about one resident (出入国在留管理局への通知), from draft to sent,
    rejected or withdrawn. The approver is never the writer."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, db_constraint=False, related_name="immigration_notices"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))  # of the day the draft was opened
    serial = models.PositiveIntegerField(_("連番"))  # within the municipality and fiscal year
    state = models.CharField(_("状態"), max_length=12, choices=NoticeState.choices, default=NoticeState.DRAFT)
    grounds = models.ManyToManyField(NoticeGround, related_name="notices", verbose_name=_("通知の理由"))
    employment = models.TextField(_("就労の状況"), blank=True)
    schooling = models.TextField(_("就学の状況"), blank=True)
    summary = models.TextField(_("通知の要旨"), blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("作成者")
    )
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新日時"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("承認依頼日時"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("承認日時"), null=True, blank=True)
    approval_note = models.TextField(_("承認の所見"), blank=True)
    issue_date = models.DateField(_("通知日"), null=True, blank=True)

    pdf = models.FileField(storage=_private_storage, upload_to="notices/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    sent_on = models.DateField(_("送付日"), null=True, blank=True)
    sent_method = models.CharField(_("送付の方法"), max_length=20, choices=SendMethod.choices, blank=True)
    sent_note = models.TextField(_("送付の記録"), blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_recorded_at = models.DateTimeField(null=True, blank=True)

    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("却下・取下げの日時"), null=True, blank=True)
    close_reason = models.TextField(_("却下・取下げの理由"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("入管への通知")
        verbose_name_plural = _("入管への通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year", "serial"], name="notice_number_unique"
            )
        ]
        indexes = [
            models.Index(fields=["municipality", "fiscal_year", "state"], name="notice_register_idx"),
            models.Index(fields=["resident"], name="notice_resident_idx"),
        ]

    def __str__(self) -> str:
        return f"入管通知 {self.fiscal_year}-{self.serial:04d}"

    @property
    def number(self) -> str:
        return f"{self.fiscal_year}-{self.serial:04d}"

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_NOTICE_STATES


class NoticeFact(models.Model):
    """One fact the office found, with its date (確認した事実): a treatment soon after enrollment,
    what the person said at the counter, a document received."""

    notice = models.ForeignKey(ImmigrationNotice, on_delete=models.CASCADE, related_name="facts")
    occurred_on = models.DateField(_("日付"))
    description = models.TextField(_("内容"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("確認した事実")
        verbose_name_plural = _("確認した事実")
        ordering = ["occurred_on", "position", "id"]

    def __str__(self) -> str:
        return f"{self.occurred_on:%Y-%m-%d}"


class NoticeDocument(models.Model):
    """A document attached to a notice (添付資料), kept in private storage like uploads."""

    notice = models.ForeignKey(ImmigrationNotice, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("資料名"), max_length=120)
    file = models.FileField(storage=_private_storage, upload_to="notice-documents/%Y/%m/", max_length=300)
    original_name = models.CharField(_("ファイル名"), max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.PositiveIntegerField(_("サイズ"), default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("添付資料")
        verbose_name_plural = _("添付資料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title


class NoticeEvent(models.Model):
    """The notice's history (経過), append-only: who did what, from which state to which, why."""

    notice = models.ForeignKey(ImmigrationNotice, on_delete=models.CASCADE, related_name="events")
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["notice", "at", "id"]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("notice events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("notice events cannot be deleted")
