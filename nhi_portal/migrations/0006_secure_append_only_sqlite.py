"""The access log and the other append-only records refuse UPDATE and DELETE on SQLite too (the
embedded default), as the PostgreSQL triggers of 0002 and 0003 do there."""

from django.db import migrations

APPEND_ONLY_TABLES = ["portal_accesslog", "portal_changelog", "portal_securityevent", "portal_retentionpurge"]


def sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        for verb in ("UPDATE", "DELETE")
    ]


def drop_sqlite_triggers(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for verb in ("update", "delete")]


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in APPEND_ONLY_TABLES:
        for sql in sqlite_triggers(table):
            schema_editor.execute(sql)


def drop_append_only(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in APPEND_ONLY_TABLES:
        for sql in drop_sqlite_triggers(table):
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_secure_hashed_api_tokens")]

    operations = [migrations.RunPython(append_only, drop_append_only)]
