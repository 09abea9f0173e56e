"""People: resident register (住民基本台帳), NHI ledger (国保被保険者台帳), ISA records."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from nhi_portal.models import ImportBatch, Municipality, bulk_fk
from nhi_portal.scoping import ScopedQuerySet


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class ResidentStatus(models.TextChoices):
    RESIDENT = "resident", _("在住")
    MOVED_OUT = "moved_out", _("転出")
    DIED = "died", _("死亡")
    LEFT_JAPAN = "left_japan", _("国外転出")


RESIDENT_STATUS_FROM_REGISTER = {
    "在住": ResidentStatus.RESIDENT,
    "転出": ResidentStatus.MOVED_OUT,
    "死亡": ResidentStatus.DIED,
    "国外転出": ResidentStatus.LEFT_JAPAN,
}


class Resident(models.Model):
    """A person in the resident register (住民基本台帳), current values. History: ResidentEvent."""

    municipality = bulk_fk(Municipality)
    resident_code = models.CharField(_("住民票コード"), max_length=11)
    name_alpha = models.CharField(_("氏名（英字）"), max_length=120, blank=True)
    name_kana = models.CharField(_("氏名（カナ）"), max_length=120, blank=True)
    name_kanji = models.CharField(_("氏名（漢字）・通称"), max_length=120, blank=True)
    sex = models.CharField(_("性別"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("生年月日"), null=True, blank=True)
    nationality = models.CharField(_("国籍"), max_length=2, blank=True)
    residence_status = models.CharField(_("在留資格"), max_length=40, blank=True)
    # 在留期間 and its end (在留期間の満了の日), as the register carries them for foreign residents.
    residence_period = models.CharField(_("在留期間"), max_length=20, blank=True)
    residence_expiry = models.DateField(_("在留期間の満了日"), null=True, blank=True)
    lg_code = models.CharField(_("地方公共団体コード"), max_length=6)
    address = models.CharField(_("住所"), max_length=200)
    postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    household_head_code = models.CharField(_("世帯主の住民票コード"), max_length=11, blank=True)
    moved_in_date = models.DateField(_("転入日"), null=True, blank=True)
    moved_out_date = models.DateField(_("転出・死亡日"), null=True, blank=True)
    status = models.CharField(_("状態"), max_length=12, choices=ResidentStatus.choices)
    first_batch = bulk_fk(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL)
    last_batch = bulk_fk(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("住民")
        verbose_name_plural = _("住民")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "resident_code"], name="resident_code_unique"),
        ]
        # The household box and letters to the head of household look people up by head code.
        indexes = [
            models.Index(fields=["municipality", "household_head_code"], name="resident_household_idx"),
            # The residents with a Latin name (the matching candidates, ~10%): the match run finds
            # those whose matching features are stale from this index alone. Ids grow with each
            # import, so COPY appends to it.
            models.Index(
                fields=["municipality", "id"],
                include=["updated_at"],
                condition=~models.Q(name_alpha=""),
                name="resident_named_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident_code} {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.name_alpha or self.name_kanji or self.name_kana

    @property
    def is_foreign(self) -> bool:
        return bool(self.nationality) and self.nationality != "JP"


class ResidentEvent(models.Model):
    """What changed in the register and when (異動履歴): one row per import that changed a person.
    When a person first appeared is `Resident.first_batch`."""

    class Kind(models.TextChoices):
        CHANGED = "changed", _("変更")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="events")
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    changes = models.JSONField(_("変更内容"), default=dict)  # {field: [old, new]}
    recorded_at = models.DateTimeField(_("記録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("住民異動履歴")
        verbose_name_plural = _("住民異動履歴")
        ordering = ["resident", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.kind} {self.recorded_at:%Y-%m-%d}"


class NhiMembership(models.Model):
    """One period of NHI membership from the ledger (国民健康保険被保険者台帳)."""

    municipality = bulk_fk(Municipality)
    insured_number = models.CharField(_("被保険者番号"), max_length=20)
    resident_code = models.CharField(_("住民票コード"), max_length=11, db_index=True)
    household_head_code = models.CharField(_("世帯主の住民票コード"), max_length=11, blank=True)
    acquired_date = models.DateField(_("資格取得日"))
    lost_date = models.DateField(_("資格喪失日"), null=True, blank=True)
    lost_reason = models.CharField(_("喪失事由"), max_length=40, blank=True)
    last_batch = bulk_fk(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("国保資格")
        verbose_name_plural = _("国保資格")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "insured_number", "acquired_date"], name="nhi_period_unique"
            ),
        ]
        indexes = [models.Index(fields=["municipality", "resident_code"], name="nhi_resident_idx")]

    def __str__(self) -> str:
        return f"{self.insured_number} ({self.acquired_date}–{self.lost_date or ''})"

    def is_active_on(self, day) -> bool:
        return self.acquired_date <= day and (self.lost_date is None or self.lost_date > day)


class Annex(models.IntegerChoices):
    """Which list a record comes from: the ISA annexes, or the Japan Pension Service lists (DOMAIN §3),
    which are matched the same way and so share the table."""

    ENTRY = 1, _("別紙1 入国")
    SEPARATION = 2, _("別紙2 受入終了（離職）")
    STATUS_CHANGE = 3, _("別紙3 在留資格変更")
    PENSION_CAT2_LOST = 21, _("年金 第2号被保険者資格喪失")
    PENSION_CAT13_LOST = 22, _("年金 第1号・第3号被保険者資格喪失")


class IsaRecord(models.Model):
    """One row of an ISA file (特定技能外国人の情報). Raw values as sent beside the cleaned ones
    (raw NULL = identical to the cleaned text); a value with an error is stored empty and its
    field listed in `problem_fields`."""

    municipality = bulk_fk(Municipality)
    batch = bulk_fk(ImportBatch, on_delete=models.CASCADE, related_name="isa_records")
    row_number = models.PositiveIntegerField(_("データ行番号"))  # 1-based data row in the source file
    line_number = models.PositiveIntegerField(_("行"))  # physical line, header = 1
    annex = models.PositiveSmallIntegerField(_("別紙"), choices=Annex.choices)
    raw_name = models.TextField(null=True, blank=True)
    raw_lg_code = models.TextField(null=True, blank=True)
    raw_address = models.TextField(null=True, blank=True)
    raw_sex = models.TextField(null=True, blank=True)
    raw_birth_date = models.TextField(null=True, blank=True)
    raw_event_date = models.TextField(null=True, blank=True)
    name = models.CharField(_("氏名（英字）"), max_length=200, blank=True)
    lg_code = models.CharField(_("地方公共団体コード"), max_length=6, blank=True)
    address = models.CharField(_("住居地"), max_length=300, blank=True)
    sex = models.CharField(_("性別"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("生年月日"), null=True, blank=True)
    event_date = models.DateField(_("事由発生日"), null=True, blank=True)
    problem_fields = models.CharField(_("問題のある項目"), max_length=100, blank=True)  # comma-separated

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("ISA記録")
        verbose_name_plural = _("ISA記録")
        ordering = ["batch", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "batch", "row_number"], name="isa_row_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number} {self.name}"

    @property
    def problems(self) -> list[str]:
        return [f for f in self.problem_fields.split(",") if f]

    def raw(self, field: str) -> str:
        """What the ISA sent for `field` (raw NULL means it equals the cleaned text)."""
        value = getattr(self, f"raw_{field}")
        return value if value is not None else str(getattr(self, field) or "")

    @property
    def event_label(self) -> str:
        return {1: "入国（上陸）日", 2: "受入終了（離職）日", 3: "在留資格変更日"}.get(
            self.annex, "資格喪失日"
        )

    @property
    def is_pension(self) -> bool:
        return self.annex >= 20
