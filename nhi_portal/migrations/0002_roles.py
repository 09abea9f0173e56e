"""Create the four role groups with their permissions (nhi_portal.roles), and make the access
log append-only in PostgreSQL itself: UPDATE and DELETE raise."""

from django.db import migrations

from nhi_portal.roles import sync_role_groups

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION portal_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'portal_accesslog is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_accesslog_no_update BEFORE UPDATE OR DELETE ON portal_accesslog
    FOR EACH ROW EXECUTE FUNCTION portal_accesslog_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS portal_accesslog_no_update ON portal_accesslog;
DROP FUNCTION IF EXISTS portal_accesslog_append_only();
"""


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL)


def drop_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
        migrations.RunPython(append_only, drop_append_only),
    ]
