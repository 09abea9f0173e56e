"""Instalment agreements (分納誓約) and the arrears linkage exports (previewed → approved →
produced)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nhi_portal.models import Job, Municipality, bulk_fk
from nhi_portal.scoping import ScopedQuerySet


def _private_storage():
    from nhi_portal.storage import PrivateStorage

    return PrivateStorage()


class AgreementStatus(models.TextChoices):
    ACTIVE = "active", _("有効")
    CANCELLED = "cancelled", _("取消")


class InstalmentAgreement(models.Model):
    """An instalment agreement (分納誓約): the household promises to pay its arrears in monthly
    amounts. Whether it is honoured on a date is worked out from the payments (arrears/rules.py);
    while it is, the arrears it was made for are not flagged for the linkage."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    household_head_code = models.CharField(_("世帯主の住民票コード"), max_length=11, db_index=True)
    agreed_on = models.DateField(_("誓約日"))
    first_due_date = models.DateField(_("初回の納付期限"))
    monthly_amount = models.PositiveIntegerField(_("毎月の納付額（円）"))
    months = models.PositiveSmallIntegerField(_("回数"))
    note = models.CharField(_("備考"), max_length=200, blank=True)
    status = models.CharField(
        _("状態"), max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.ACTIVE
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("記録日時"), default=timezone.now)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消の理由"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("分納誓約")
        verbose_name_plural = _("分納誓約")
        ordering = ["household_head_code", "-agreed_on", "-id"]

    def __str__(self) -> str:
        return f"分納誓約 {self.household_head_code} {self.agreed_on:%Y-%m-%d}"

    @property
    def terms(self):
        from arrears.rules import AgreementTerms

        return AgreementTerms(self.agreed_on, self.first_due_date, self.monthly_amount, self.months)

    @property
    def last_due_date(self):
        return self.terms.schedule()[-1]


class ExportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("確認待ち")
    APPROVED = "approved", _("承認済み（作成中）")
    PRODUCED = "produced", _("作成済み")
    FAILED = "failed", _("失敗")
    WITHDRAWN = "withdrawn", _("取下げ")


class LinkageExport(models.Model):
    """One arrears linkage export (滞納情報の連携): previewed by a clerk, approved by a supervisor
    (a second person), then produced by a Celery job. The lines are frozen at preview, so the file
    is made from exactly what was approved; the layout version, parameters, approver and the
    file's SHA-256 are kept, and producing it again gives the same bytes."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    layout_version = models.CharField(_("レイアウト版"), max_length=10)
    as_of = models.DateField(_("基準日"))
    parameters = models.JSONField(_("条件"), default=dict)
    status = models.CharField(
        _("状態"), max_length=12, choices=ExportStatus.choices, default=ExportStatus.PREVIEWED
    )
    fingerprint = models.CharField(_("確認内容のハッシュ"), max_length=64)
    flagged_count = models.PositiveIntegerField(_("対象者"), default=0)
    excluded_count = models.PositiveIntegerField(_("除外"), default=0)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("承認日時"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(storage=_private_storage, upload_to="linkage/%Y/%m/", blank=True)
    file_name = models.CharField(_("ファイル名"), max_length=120, blank=True)
    sha256 = models.CharField(_("内容ハッシュ（SHA-256）"), max_length=64, blank=True)
    size_bytes = models.PositiveIntegerField(default=0)
    produced_at = models.DateTimeField(_("作成完了日時"), null=True, blank=True)
    error = models.TextField(_("失敗の理由"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("滞納情報の連携出力")
        verbose_name_plural = _("滞納情報の連携出力")
        ordering = ["-prepared_at", "-id"]

    def __str__(self) -> str:
        return f"連携出力 #{self.pk}（{self.layout_version}、基準日 {self.as_of:%Y-%m-%d}）"


class LineDecision(models.TextChoices):
    FLAGGED = "flagged", _("連携対象")
    EXCLUDED = "excluded", _("除外")


class LinkageExportLine(models.Model):
    """One foreign insured person in a linkage export, as previewed: flagged or excluded, why, and
    the values the file is written from (copied, so a later register change cannot alter it)."""

    export = models.ForeignKey(LinkageExport, on_delete=models.CASCADE, related_name="lines")
    decision = models.CharField(_("判定"), max_length=10, choices=LineDecision.choices)
    reason = models.CharField(_("理由コード"), max_length=4)
    resident = bulk_fk("enrollment.Resident", on_delete=models.DO_NOTHING)
    resident_code = models.CharField(_("住民票コード"), max_length=11)
    insured_number = models.CharField(_("被保険者番号"), max_length=20, blank=True)
    name_alpha = models.CharField(_("氏名（英字）"), max_length=120, blank=True)
    name_kana = models.CharField(_("氏名（カナ）"), max_length=120, blank=True)
    birth_date = models.DateField(_("生年月日"), null=True, blank=True)
    sex = models.CharField(_("性別"), max_length=1, blank=True)
    nationality = models.CharField(_("国籍"), max_length=2)
    household_head_codes = models.CharField(_("世帯主の住民票コード"), max_length=120)
    fiscal_years = models.CharField(_("未納のある年度"), max_length=60, blank=True)
    overdue_instalments = models.PositiveIntegerField(_("未納の期数"), default=0)
    overdue_amount = models.BigIntegerField(_("未納額"), default=0)
    months_in_arrears = models.PositiveIntegerField(_("滞納月数"), default=0)
    oldest_due_date = models.DateField(_("最も古い納期限"), null=True, blank=True)

    class Meta:
        verbose_name = _("連携出力の明細")
        verbose_name_plural = _("連携出力の明細")
        ordering = ["export", "decision", "resident_code"]
        indexes = [models.Index(fields=["export", "decision", "resident_code"], name="linkage_line_idx")]

    def __str__(self) -> str:
        return f"{self.export_id}:{self.resident_code} {self.decision}"

    @property
    def reason_text(self) -> str:
        from arrears.rules import REASON_TEXT

        return REASON_TEXT.get(self.reason, self.reason)


class LinkageSettings(models.Model):
    """The office's arrears-linkage policy (滞納情報の連携の設定), set by a supervisor: the thresholds
    below which nobody is flagged, and who in a household with arrears is flagged. A municipality
    without a row uses the defaults (`LinkageSettings.defaults_for`). Changes go to the change log."""

    municipality = models.OneToOneField(Municipality, on_delete=models.PROTECT, related_name="+")
    min_months = models.PositiveSmallIntegerField(_("滞納月数の下限"), default=3)
    min_amount = models.PositiveIntegerField(_("未納額の下限（円）"), default=10_000)
    flag_adult_members = models.BooleanField(_("成年の世帯員も連携する"), default=True)
    flag_minors = models.BooleanField(_("未成年の世帯員も連携する"), default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新日時"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("滞納情報の連携の設定")
        verbose_name_plural = _("滞納情報の連携の設定")

    def __str__(self) -> str:
        return f"連携の設定 {self.municipality_id}"

    @classmethod
    def defaults_for(cls, municipality_id: int) -> LinkageSettings:
        """The municipality's settings, or the defaults (not saved) when none were set."""
        found = cls.objects.for_municipality(municipality_id).first()
        return found or cls(municipality_id=municipality_id)
