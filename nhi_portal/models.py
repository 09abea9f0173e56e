"""Shared base models: municipalities (tenants), users, background jobs, the access log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from nhi_portal.domain.codes import lg_code_problem
from nhi_portal.scoping import ScopedQuerySet


def bulk_fk(to, *, on_delete=models.PROTECT, related_name="+", **kwargs) -> models.ForeignKey:
    """A reference from a bulk table (filled by COPY, millions of rows) to its municipality or
    batch. No database constraint and no separate index: per-row constraint checks would cost
    more than the import itself, the importer writes parent and rows in one transaction, and a
    composite index of the table leads with this column (see docs/architecture.md)."""
    return models.ForeignKey(
        to, on_delete=on_delete, related_name=related_name, db_constraint=False, db_index=False, **kwargs
    )


def validate_lg_code(value: str) -> None:
    problem = lg_code_problem(value)
    if problem:
        raise ValidationError(problem)


class MunicipalityQuerySet(models.QuerySet):
    def tenants(self):
        return self.filter(parent__isnull=True)


class Municipality(models.Model):
    """A municipality (市区町村). A designated city (政令指定都市) is the tenant; its wards (区) are
    children whose codes belong to it. Everything a user sees is scoped to one tenant."""

    lg_code = models.CharField(
        _("地方公共団体コード"), max_length=6, unique=True, validators=[validate_lg_code]
    )
    name = models.CharField(_("名称"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("所属する市（区の場合）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="wards",
    )
    # Sender block of letters and statements.
    department = models.CharField(_("担当課"), max_length=80, default="保険年金課", blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=8, blank=True)
    address = models.CharField(_("所在地"), max_length=200, blank=True)
    phone = models.CharField(_("電話番号"), max_length=40, blank=True)
    opening_hours = models.CharField(
        _("受付時間"), max_length=120, default="平日 8時30分～17時15分", blank=True
    )
    mayor_title = models.CharField(_("差出人（長の職名）"), max_length=60, blank=True)
    # The office as a foreign resident reads it on a letter (enrollment.cases.letters.sender_for):
    # each Japanese setting with its Latin form, printed beside it in the resident's language.
    office_name_latin = models.CharField(
        _("担当課の名称（英語表記）"), max_length=120, blank=True,
        help_text=_("例: Koganei City Hall, Insurance and Pension Division"),
    )  # fmt: skip
    address_latin = models.CharField(
        _("所在地（英語表記）"), max_length=200, blank=True,
        help_text=_("例: 6-6-3 Honcho, Koganei-shi, Tokyo"),
    )  # fmt: skip
    counter = models.CharField(
        _("窓口"), max_length=80, blank=True, help_text=_("庁舎内の場所。例: 第二庁舎1階 5番窓口")
    )
    counter_latin = models.CharField(
        _("窓口（英語表記）"), max_length=120, blank=True, help_text=_("例: Annex Building 1F, Counter 5")
    )
    opening_hours_latin = models.CharField(
        _("受付時間（英語表記）"), max_length=120, blank=True, help_text=_("例: Weekdays 8:30-17:15")
    )
    interpreter_service = models.CharField(
        _("通訳・多言語対応"), max_length=200, blank=True,
        help_text=_("窓口の通訳や電話通訳の案内。空欄なら通知書に載せません。例: 窓口で タブレット通訳を 使えます"),
    )  # fmt: skip
    interpreter_service_latin = models.CharField(
        _("通訳・多言語対応（英語表記）"), max_length=200, blank=True,
        help_text=_("例: Interpreting by tablet is available at the counter"),
    )  # fmt: skip
    prepayment_allowed = models.BooleanField(
        _("保険料の前納を受け付ける"), default=False,
        help_text=_("加入のお知らせで、1年分をまとめて前もって払えること（前納）を案内します。"),
    )  # fmt: skip

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("自治体")
        verbose_name_plural = _("自治体")
        ordering = ["lg_code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.lg_code}）"

    @property
    def tenant(self) -> Municipality:
        return self.parent or self

    def clean(self) -> None:
        if self.parent_id and self.parent and self.parent.parent_id:
            raise ValidationError(_("区の所属先は市（最上位の自治体）でなければなりません。"))

    def all_codes(self) -> set[str]:
        """This municipality's code and those of its wards."""
        return {self.lg_code, *self.wards.values_list("lg_code", flat=True)}


class Role(models.TextChoices):
    CLERK = "clerk", _("担当者")
    SUPERVISOR = "supervisor", _("監督者")
    AUDITOR = "auditor", _("監査")
    ADMINISTRATOR = "administrator", _("管理者")


class User(AbstractUser):
    """A member of staff. Belongs to exactly one municipality; roles are Django groups."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("所属自治体"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    # Part of the session auth hash: bumping it ends every session of the user ("sign out
    # everywhere", nhi_portal.security.sessions.sign_out_everywhere).
    session_generation = models.PositiveIntegerField(_("セッション世代"), default=0, editable=False)

    def get_full_name(self) -> str:
        """Family name first, as a Japanese office writes it (Django's default puts it last)."""
        return " ".join(part for part in (self.last_name.strip(), self.first_name.strip()) if part)

    @property
    def staff_name(self) -> str:
        """The member of staff as a paper names them: the full name, the login name only without one."""
        return self.get_full_name() or self.get_username()

    class Meta:
        verbose_name = _("職員")
        verbose_name_plural = _("職員")

    def _get_session_auth_hash(self, secret=None):
        # Django's hash covers the password only; ours also covers the session generation.
        return salted_hmac(
            "nhi_portal.models.User.get_session_auth_hash",
            f"{self.password}\x00{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def clean(self) -> None:
        super().clean()
        if self.municipality_id and self.municipality.parent_id:
            raise ValidationError({"municipality": _("職員は市（区ではなく）に所属させてください。")})

    @property
    def roles(self) -> set[str]:
        cached = getattr(self, "_roles_cache", None)
        if cached is None:
            cached = set(self.groups.values_list("name", flat=True)) if self.pk else set()
            self._roles_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def role_labels(self) -> str:
        return "・".join(str(Role(r).label) for r in Role.values if r in self.roles)


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("待機中")
    RUNNING = "running", _("実行中")
    SUCCEEDED = "succeeded", _("完了")
    FAILED = "failed", _("失敗")


class JobKind(models.TextChoices):
    IMPORT = "import", _("取込")
    MATCH = "match", _("突合")
    OPEN_CASES = "open_cases", _("ケース作成")
    RENDER_LETTERS = "render_letters", _("通知書作成")
    EXPORT = "export", _("出力")
    NIGHTLY = "nightly", _("夜間バッチ")
    PURGE = "purge", _("保存期間経過データの削除")


class Job(models.Model):
    """A background job whose progress the browser shows (import, matching, letters, exports)."""

    kind = models.CharField(_("種類"), max_length=20, choices=JobKind.choices)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="jobs")
    status = models.CharField(_("状態"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    title = models.CharField(_("内容"), max_length=200)
    total = models.PositiveIntegerField(_("全体"), default=0)
    done = models.PositiveIntegerField(_("処理済み"), default=0)
    message = models.CharField(_("状況"), max_length=300, blank=True)
    error = models.TextField(_("失敗の理由"), blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    result_url = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("ジョブ")
        verbose_name_plural = _("ジョブ")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class AppendOnlyError(Exception):
    pass


class AppendOnlyModel(models.Model):
    """Rows are written once: `save()` of an existing row and `delete()` raise (a PostgreSQL trigger
    refuses UPDATE and DELETE as well, migration portal.0003)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError(f"{self._meta.verbose_name} cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.verbose_name} cannot be deleted")


class AccessLog(models.Model):
    """Append-only record of one read of personal data (閲覧記録): who, when, from where, whom
    (ids only, never personal values), what action and for what purpose."""

    at = models.DateTimeField(_("日時"), default=timezone.now, db_index=True)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("職員"))
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    ip_address = models.GenericIPAddressField(_("接続元"), null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(_("操作"), max_length=40)
    purpose = models.CharField(_("利用目的"), max_length=40)
    object_type = models.CharField(_("対象の種類"), max_length=40)
    object_ids = models.JSONField(_("対象ID"), default=list)
    person_count = models.PositiveIntegerField(_("対象人数"), default=0)
    path = models.CharField(max_length=300, blank=True)
    # Exports (CSV, PDF batches): the SHA-256 of exactly what left the portal (nhi_portal.audit.log_export).
    content_sha256 = models.CharField(_("出力内容のハッシュ（SHA-256）"), max_length=64, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("閲覧記録")
        verbose_name_plural = _("閲覧記録")
        ordering = ["-at"]
        indexes = [models.Index(fields=["municipality", "at"]), models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.user_id} {self.action}"  # JST

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("access log entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("access log entries cannot be deleted")


class Capability(models.Model):
    """Holder of the portal's permissions (権限). Not a table: roles (groups) are given these
    permissions by a migration (nhi_portal.roles), and views declare which one they need."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_people", "住民・ISAデータを閲覧する"),
            ("import_files", "ファイルを取り込む"),
            ("run_matching", "突合を実行する"),
            ("review_matches", "突合結果を審査する"),
            ("work_cases", "勧奨ケースを処理する"),
            ("print_letters", "通知書を印刷する"),
            ("approve_ex_officio", "職権喪失を承認する"),
            ("view_arrears", "滞納情報を閲覧する"),
            ("import_receipts", "賦課・収納を取り込む"),
            ("issue_statements", "納付状況証明を発行する"),
            ("approve_exports", "外部連携の出力を承認する"),
            ("export_data", "データを出力する"),
            ("view_access_log", "閲覧記録を監査する"),
            ("administer", "システムを管理する"),
            # Notices to the regional immigration services bureau (enrollment.notices).
            ("draft_immigration_notices", "入管への通知を作成する"),
            ("approve_immigration_notices", "入管への通知を承認する"),
            ("view_immigration_notices", "入管への通知の一覧を閲覧する"),
        ]

    def __str__(self) -> str:
        return "capability"


def _private_storage():
    from nhi_portal.storage import PrivateStorage

    return PrivateStorage()


class ImportKind(models.TextChoices):
    ISA = "isa", _("ISA 特定技能ファイル")
    RESIDENTS = "residents", _("住民基本台帳")
    NHI_LEDGER = "nhi_ledger", _("国保被保険者台帳")
    PENSION_CAT2_LOST = "pension_cat2_lost", _("年金 第2号被保険者資格喪失者一覧")
    PENSION_CAT13_LOST = "pension_cat13_lost", _("年金 第1号・第3号被保険者資格喪失者一覧")
    ASSESSMENTS = "assessments", _("保険料 賦課")
    PAYMENTS = "payments", _("保険料 収納")
    AGREEMENTS = "agreements", _("分納誓約")


class BatchStatus(models.TextChoices):
    RECEIVED = "received", _("受付済み")
    IMPORTING = "importing", _("取込中")
    IMPORTED = "imported", _("取込完了")
    NEEDS_ATTENTION = "needs_attention", _("要確認")
    ACKNOWLEDGED = "acknowledged", _("確認済み")
    REJECTED = "rejected", _("取込不可")
    FAILED = "failed", _("失敗")


class BatchSource(models.TextChoices):
    UPLOAD = "upload", _("画面からアップロード")
    API = "api", _("API")
    COMMAND = "command", _("コマンド")
    INBOX = "inbox", _("受信フォルダ（夜間）")


class ImportMode(models.TextChoices):
    SNAPSHOT = "snapshot", _("全件")
    DELTA = "delta", _("差分")


# A batch whose content is in the database (a re-import of the same bytes changes nothing).
LANDED_STATUSES = (BatchStatus.IMPORTED, BatchStatus.NEEDS_ATTENTION, BatchStatus.ACKNOWLEDGED)


class ImportBatch(models.Model):
    """One received file (取込バッチ): where it came from, its content hash, what was read, and
    what became of it. Imported whole or not at all."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="batches")
    kind = models.CharField(_("種類"), max_length=24, choices=ImportKind.choices)
    annex = models.PositiveSmallIntegerField(_("別紙"), null=True, blank=True)
    mode = models.CharField(_("区分"), max_length=10, choices=ImportMode.choices, default=ImportMode.DELTA)
    source = models.CharField(_("受付経路"), max_length=10, choices=BatchSource.choices)
    source_name = models.CharField(_("ファイル名"), max_length=255)
    sha256 = models.CharField(_("内容ハッシュ（SHA-256）"), max_length=64)
    size_bytes = models.BigIntegerField(_("サイズ"), default=0)
    file = models.FileField(storage=_private_storage, upload_to="uploads/%Y/%m/", max_length=300, blank=True)
    encoding = models.CharField(_("文字コード"), max_length=16, blank=True)
    data_month = models.DateField(_("対象月"), null=True, blank=True)
    status = models.CharField(
        _("状態"), max_length=20, choices=BatchStatus.choices, default=BatchStatus.RECEIVED
    )
    rows_total = models.PositiveIntegerField(_("行数"), default=0)
    rows_with_errors = models.PositiveIntegerField(_("誤りのある行"), default=0)
    rows_with_warnings = models.PositiveIntegerField(_("注意のある行"), default=0)
    rejection_reason = models.TextField(_("取込不可の理由"), blank=True)
    summary = models.JSONField(_("結果の内訳"), default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("取込者")
    )
    created_at = models.DateTimeField(_("受付日時"), default=timezone.now, db_index=True)
    imported_at = models.DateTimeField(_("取込日時"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="batches")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("取込バッチ")
        verbose_name_plural = _("取込バッチ")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "kind", "sha256"],
                condition=models.Q(status__in=["imported", "needs_attention", "acknowledged"]),
                name="batch_content_imported_once",
            )
        ]
        indexes = [models.Index(fields=["municipality", "kind", "sha256"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source_name}"

    @property
    def annex_label(self) -> str:
        return {1: "別紙1 入国", 2: "別紙2 受入終了（離職）", 3: "別紙3 在留資格変更"}.get(
            self.annex or 0, ""
        )

    @property
    def kind_label(self) -> str:
        label = self.get_kind_display()
        return f"{label}（{self.annex_label}）" if self.annex else label

    @property
    def has_landed(self) -> bool:
        return self.status in LANDED_STATUSES


class ImportIssue(models.Model):
    """One problem found in one cell of a batch: `line N, column C: value — reason`."""

    # A broken file can have a problem on every line (bulk_fk); the (batch, line) index serves the report.
    batch = bulk_fk(ImportBatch, on_delete=models.CASCADE, related_name="issues")
    line = models.PositiveIntegerField(_("行"))
    column = models.CharField(_("列"), max_length=80)
    value = models.CharField(_("値"), max_length=200, blank=True)
    reason = models.CharField(_("理由"), max_length=300)
    severity = models.CharField(_("重大度"), max_length=8, default="error")

    class Meta:
        verbose_name = _("取込時の指摘")
        verbose_name_plural = _("取込時の指摘")
        ordering = ["batch", "line", "id"]
        indexes = [models.Index(fields=["batch", "line"], name="issue_batch_line_idx")]

    def __str__(self) -> str:
        return f"{self.line}行目 {self.column}: {self.reason}"


class NightlyRun(models.Model):
    """One run of the nightly batch (夜間バッチ) for one municipality: its steps in order, what
    each did, and why it failed if it did. A failed run can be re-run; finished steps are skipped."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="nightly_runs")
    status = models.CharField(_("状態"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    steps = models.JSONField(_("工程"), default=list)  # [{"name", "label", "status", "message"}]
    current_step = models.CharField(_("実行中の工程"), max_length=40, blank=True)
    error = models.TextField(_("失敗の理由"), blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    triggered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("夜間バッチ")
        verbose_name_plural = _("夜間バッチ")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"夜間バッチ #{self.pk} {self.get_status_display()}"

    def step_state(self, name: str) -> dict:
        return next((s for s in self.steps if s["name"] == name), {})

    @property
    def failed_step(self) -> dict:
        """The step that failed ({} when none did): its label and message."""
        return next((s for s in self.steps if s.get("status") == "failed"), {})


class ChangeAction(models.TextChoices):
    CREATE = "create", _("作成")
    UPDATE = "update", _("変更")
    DELETE = "delete", _("削除")
    PURGE = "purge", _("保存期間経過による削除")


class ChangeLog(AppendOnlyModel):
    """Append-only record of one change (変更記録): who changed which field of which object from
    what to what, when, under which request. Written by `nhi_portal.changelog.log_change` in the
    same transaction as the change (services, the admin site, the retention purge)."""

    at = models.DateTimeField(_("日時"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("職員")
    )
    municipality = models.ForeignKey(
        Municipality, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(_("操作"), max_length=10, choices=ChangeAction.choices)
    model = models.CharField(_("対象の種類"), max_length=80)  # app_label.model_name
    object_id = models.CharField(_("対象ID"), max_length=64)
    field = models.CharField(_("項目"), max_length=80, blank=True)
    old_value = models.TextField(_("変更前"), blank=True)
    new_value = models.TextField(_("変更後"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("変更記録")
        verbose_name_plural = _("変更記録")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["municipality", "at"], name="changelog_municipality_idx"),
            models.Index(fields=["model", "object_id"], name="changelog_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.model}#{self.object_id} {self.action} {self.field}"


class SecurityEventKind(models.TextChoices):
    SIGNED_IN = "signed_in", _("ログイン")
    SIGNED_OUT = "signed_out", _("ログアウト")
    SIGNIN_FAILED = "signin_failed", _("ログイン失敗")
    LOCKED_OUT = "locked_out", _("ロック（失敗の繰り返し）")
    OTP_VERIFIED = "otp_verified", _("2段階認証 成功")
    OTP_FAILED = "otp_failed", _("2段階認証 失敗")
    OTP_DEVICE_ADDED = "otp_device_added", _("認証アプリを登録")
    OTP_DEVICE_REMOVED = "otp_device_removed", _("認証アプリの登録を削除")
    SESSION_EXPIRED = "session_expired", _("セッション期限切れ")
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere", _("すべての端末からログアウト")
    TOKEN_CREATED = "token_created", _("APIトークンを発行")
    TOKEN_REVOKED = "token_revoked", _("APIトークンを無効化")
    TOKEN_REFUSED = "token_refused", _("APIトークンを拒否")


class SecurityEvent(AppendOnlyModel):
    """Append-only record of sign-in and credential events (認証の記録): sign-in, failures and
    lockouts, two-factor verification, session ends, API tokens. `username` is what was typed
    (a failure may name no real user); no password or secret is ever stored."""

    at = models.DateTimeField(_("日時"), default=timezone.now, db_index=True)
    kind = models.CharField(_("種類"), max_length=24, choices=SecurityEventKind.choices)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("職員")
    )
    username = models.CharField(_("ユーザー名"), max_length=150, blank=True)
    municipality = models.ForeignKey(
        Municipality, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ip_address = models.GenericIPAddressField(_("接続元"), null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.CharField(_("内容"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("認証の記録")
        verbose_name_plural = _("認証の記録")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["municipality", "at"], name="securityevent_municipality_idx")]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.username} {self.kind}"


class RetentionPurge(AppendOnlyModel):
    """One run of the retention purge for one municipality (保存期間経過データの削除): what was
    deleted, counted per kind and per table, and the batches it came from (ids, months, row
    counts — no personal values). Append-only: the counts are all that remains."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("日時"), default=timezone.now, db_index=True)
    retention_years = models.PositiveSmallIntegerField(_("保存年数"))
    cutoff = models.DateField(_("この月より前を削除"))
    trigger = models.CharField(_("実行のきっかけ"), max_length=20)  # schedule / command / test
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    counts = models.JSONField(_("種類ごとの件数"), default=dict)  # {kind: {"batches": n, "rows": n}}
    deleted = models.JSONField(_("削除した行数"), default=dict)  # {"app.Model": n}
    batches = models.JSONField(_("削除した取込"), default=list)  # [{id, kind, annex, data_month, rows}]

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("保存期間経過データの削除")
        verbose_name_plural = _("保存期間経過データの削除")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d} {self.municipality_id} {self.cutoff}"
