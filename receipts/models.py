"""Premiums assessed (賦課) and received (収納), and the payment status statements issued."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nhi_portal.models import ImportBatch, Municipality, bulk_fk
from nhi_portal.scoping import ScopedQuerySet

ELEVEN_DIGITS = RegexValidator(r"^[0-9]{11}$", _("住民票コードは11桁の数字です。"))
FISCAL_YEAR_RANGE = [MinValueValidator(2000), MaxValueValidator(2099)]


def _private_storage():
    from nhi_portal.storage import PrivateStorage

    return PrivateStorage()


class Assessment(models.Model):
    """One assessed instalment (期別の賦課額・納期限) of a household's premium for a fiscal year.

    Every row received is kept. A later row for the same household, fiscal year and instalment is
    a correction (更正): it becomes the current one (`is_current`) and the earlier rows stay as its
    history. Only current rows count for arrears."""

    municipality = bulk_fk(Municipality)
    household_head_code = models.CharField(
        _("世帯主の住民票コード"), max_length=11, validators=[ELEVEN_DIGITS]
    )
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), validators=FISCAL_YEAR_RANGE)
    instalment = models.PositiveSmallIntegerField(_("期別"))
    amount = models.PositiveIntegerField(_("賦課額（円）"))
    due_date = models.DateField(_("納期限"))
    is_current = models.BooleanField(_("現在の賦課"), default=True)
    batch = bulk_fk(ImportBatch, null=True, blank=True, on_delete=models.CASCADE)
    line = models.PositiveIntegerField(_("行"), default=0)
    recorded_at = models.DateTimeField(_("記録日時"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("訂正の理由"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("賦課（期別）")
        verbose_name_plural = _("賦課（期別）")
        ordering = ["household_head_code", "fiscal_year", "instalment", "-id"]
        indexes = [
            models.Index(
                fields=["municipality", "household_head_code", "fiscal_year", "instalment", "batch"],
                name="assessment_history_idx",
            ),
            models.Index(fields=["batch", "line"], name="assessment_batch_idx"),
        ]
        constraints = [
            # One current assessment per household, fiscal year and instalment: "the latest correction".
            models.UniqueConstraint(
                fields=["municipality", "household_head_code", "fiscal_year", "instalment"],
                condition=models.Q(is_current=True),
                name="assessment_one_current",
            ),
            models.CheckConstraint(
                condition=models.Q(instalment__gte=1, instalment__lte=24), name="assessment_instalment_range"
            ),
            # The arrears query turns (household, fiscal year) into one integer (arrears/engine.py).
            models.CheckConstraint(
                condition=models.Q(household_head_code__regex=r"^[0-9]{11}$"),
                name="assessment_household_digits",
            ),
            models.CheckConstraint(
                condition=models.Q(fiscal_year__gte=2000, fiscal_year__lte=2099),
                name="assessment_fiscal_year_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_head_code} {self.fiscal_year}年度 第{self.instalment}期 {self.amount}円"


class PaymentChannel(models.TextChoices):
    BANK = "bank", _("金融機関")
    KONBINI = "konbini", _("コンビニ")
    COUNTER = "counter", _("窓口")
    TRANSFER = "transfer", _("口座振替")
    PREPAYMENT = "prepayment", _("前納")
    REFUND = "refund", _("還付")


class Payment(models.Model):
    """One payment received (収納), a prepayment (前納: names the first instalment it covers) or a
    refund (還付: a negative amount). Payments apply to instalments by the 充当 rules
    (receipts/allocation.py)."""

    municipality = bulk_fk(Municipality)
    household_head_code = models.CharField(
        _("世帯主の住民票コード"), max_length=11, validators=[ELEVEN_DIGITS]
    )
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), validators=FISCAL_YEAR_RANGE)
    instalment = models.PositiveSmallIntegerField(_("期別"))
    amount = models.IntegerField(_("金額（円）"))
    paid_date = models.DateField(_("納付日"))
    channel = models.CharField(_("納付方法"), max_length=12, choices=PaymentChannel.choices)
    receipt_number = models.CharField(_("収納番号"), max_length=30, blank=True)
    batch = bulk_fk(ImportBatch, null=True, blank=True, on_delete=models.CASCADE)
    line = models.PositiveIntegerField(_("行"), default=0)
    recorded_at = models.DateTimeField(_("記録日時"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("備考"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("収納")
        verbose_name_plural = _("収納")
        ordering = ["household_head_code", "fiscal_year", "paid_date", "id"]
        indexes = [
            models.Index(
                fields=[
                    "municipality",
                    "household_head_code",
                    "fiscal_year",
                    "instalment",
                    "paid_date",
                    "amount",
                ],
                name="payment_key_idx",
            ),
            models.Index(fields=["batch", "line"], name="payment_batch_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "receipt_number"],
                condition=~models.Q(receipt_number=""),
                name="payment_receipt_number_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(instalment__gte=1, instalment__lte=24), name="payment_instalment_range"
            ),
            models.CheckConstraint(
                condition=models.Q(household_head_code__regex=r"^[0-9]{11}$"), name="payment_household_digits"
            ),
            models.CheckConstraint(
                condition=models.Q(fiscal_year__gte=2000, fiscal_year__lte=2099),
                name="payment_fiscal_year_range",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(channel="refund", amount__lt=0)
                    | (~models.Q(channel="refund") & models.Q(amount__gt=0))
                ),
                name="payment_sign_matches_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_head_code} {self.fiscal_year}年度 第{self.instalment}期 {self.amount}円"

    def clean(self) -> None:
        if self.channel == PaymentChannel.REFUND and self.amount >= 0:
            raise ValidationError({"amount": _("還付は負の金額で記録してください。")})
        if self.channel != PaymentChannel.REFUND and self.amount <= 0:
            raise ValidationError(
                {"amount": _("納付は正の金額で記録してください（還付は納付方法「還付」）。")}
            )


class PaymentStatement(models.Model):
    """A payment status statement (納付状況証明書) issued for one resident's household: who issued
    it, when, as of which date, and the PDF exactly as handed over (with its SHA-256)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("証明番号"), max_length=30)
    resident = bulk_fk("enrollment.Resident", on_delete=models.DO_NOTHING, verbose_name=_("対象者"))
    resident_code = models.CharField(_("住民票コード"), max_length=11)
    household_head_code = models.CharField(_("世帯主の住民票コード"), max_length=11)
    as_of = models.DateField(_("基準日"))
    fiscal_years = models.JSONField(_("対象年度"), default=list)
    purpose = models.CharField(_("用途"), max_length=60, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("発行日時"), default=timezone.now)
    file = models.FileField(storage=_private_storage, upload_to="statements/%Y/%m/", blank=True)
    sha256 = models.CharField(_("内容ハッシュ（SHA-256）"), max_length=64, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("納付状況証明書")
        verbose_name_plural = _("納付状況証明書")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "number"], name="statement_number_unique"),
        ]

    def __str__(self) -> str:
        return f"納付状況証明書 {self.number}"
