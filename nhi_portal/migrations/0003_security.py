"""Security: the session generation (sign out everywhere), the export hash on access-log entries,
and three append-only records — the change log, sign-in events and retention purges — each
refusing UPDATE and DELETE in PostgreSQL itself, like the access log (0002)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

APPEND_ONLY_TABLES = ["portal_changelog", "portal_securityevent", "portal_retentionpurge"]


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(
            f"""
            CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{table} is append-only';
            END;
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
            """
        )


def drop_append_only(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY_TABLES:
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}; DROP FUNCTION IF EXISTS {table}_append_only();"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesslog",
            name="content_sha256",
            field=models.CharField(blank=True, max_length=64, verbose_name="出力内容のハッシュ（SHA-256）"),
        ),
        migrations.AddField(
            model_name="user",
            name="session_generation",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="セッション世代"),
        ),
        migrations.CreateModel(
            name="RetentionPurge",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, verbose_name="日時"
                    ),
                ),
                ("retention_years", models.PositiveSmallIntegerField(verbose_name="保存年数")),
                ("cutoff", models.DateField(verbose_name="この月より前を削除")),
                ("trigger", models.CharField(max_length=20, verbose_name="実行のきっかけ")),
                ("counts", models.JSONField(default=dict, verbose_name="種類ごとの件数")),
                ("deleted", models.JSONField(default=dict, verbose_name="削除した行数")),
                ("batches", models.JSONField(default=list, verbose_name="削除した取込")),
                (
                    "municipality",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="portal.municipality",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "保存期間経過データの削除",
                "verbose_name_plural": "保存期間経過データの削除",
                "ordering": ["-at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="ChangeLog",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, verbose_name="日時"
                    ),
                ),
                ("request_id", models.CharField(blank=True, max_length=64)),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("create", "作成"),
                            ("update", "変更"),
                            ("delete", "削除"),
                            ("purge", "保存期間経過による削除"),
                        ],
                        max_length=10,
                        verbose_name="操作",
                    ),
                ),
                ("model", models.CharField(max_length=80, verbose_name="対象の種類")),
                ("object_id", models.CharField(max_length=64, verbose_name="対象ID")),
                ("field", models.CharField(blank=True, max_length=80, verbose_name="項目")),
                ("old_value", models.TextField(blank=True, verbose_name="変更前")),
                ("new_value", models.TextField(blank=True, verbose_name="変更後")),
                (
                    "municipality",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="portal.municipality",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="職員",
                    ),
                ),
            ],
            options={
                "verbose_name": "変更記録",
                "verbose_name_plural": "変更記録",
                "ordering": ["-at", "-id"],
                "indexes": [
                    models.Index(fields=["municipality", "at"], name="changelog_municipality_idx"),
                    models.Index(fields=["model", "object_id"], name="changelog_object_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="SecurityEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, verbose_name="日時"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("signed_in", "ログイン"),
                            ("signed_out", "ログアウト"),
                            ("signin_failed", "ログイン失敗"),
                            ("locked_out", "ロック（失敗の繰り返し）"),
                            ("otp_verified", "2段階認証 成功"),
                            ("otp_failed", "2段階認証 失敗"),
                            ("otp_device_added", "認証アプリを登録"),
                            ("otp_device_removed", "認証アプリの登録を削除"),
                            ("session_expired", "セッション期限切れ"),
                            ("signed_out_everywhere", "すべての端末からログアウト"),
                            ("token_created", "APIトークンを発行"),
                            ("token_revoked", "APIトークンを無効化"),
                            ("token_refused", "APIトークンを拒否"),
                        ],
                        max_length=24,
                        verbose_name="種類",
                    ),
                ),
                ("username", models.CharField(blank=True, max_length=150, verbose_name="ユーザー名")),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True, verbose_name="接続元")),
                ("request_id", models.CharField(blank=True, max_length=64)),
                ("detail", models.CharField(blank=True, max_length=200, verbose_name="内容")),
                (
                    "municipality",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="portal.municipality",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="職員",
                    ),
                ),
            ],
            options={
                "verbose_name": "認証の記録",
                "verbose_name_plural": "認証の記録",
                "ordering": ["-at", "-id"],
                "indexes": [
                    models.Index(fields=["municipality", "at"], name="securityevent_municipality_idx")
                ],
            },
        ),
        migrations.RunPython(append_only, drop_append_only),
    ]
