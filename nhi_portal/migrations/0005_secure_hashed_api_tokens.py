"""API tokens stored as digests (django-rest-knox) instead of DRF's plain-text keys.

A key that was in use keeps working: its SHA-512 digest (knox's hash of the same string) and its
first characters (the lookup prefix) move into knox's table, with the creation time it had and an
expiry NHI_API_TOKEN_DAYS after it. The plain-text table is then dropped, so no key remains
readable in the database."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations

PLAIN_TABLE = "authtoken_token"


def move_plain_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    connection = schema_editor.connection
    if PLAIN_TABLE not in connection.introspection.table_names():
        return
    AuthToken = apps.get_model("knox", "AuthToken")
    days = timedelta(days=settings.NHI_API_TOKEN_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {PLAIN_TABLE}")  # noqa: S608 (constant)
        plain = cursor.fetchall()
    for key, user_id, created in plain:
        digest = hash_token(key)
        AuthToken.objects.bulk_create(
            [
                AuthToken(
                    digest=digest,
                    token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
                    user_id=user_id,
                    expiry=created + days,
                )
            ]
        )
        # auto_now_add stamped today: keep the token's real age (its expiry counts from it).
        AuthToken.objects.filter(digest=digest).update(created=created)
    schema_editor.execute(f"DROP TABLE {PLAIN_TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_notices_permissions"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(move_plain_tokens, migrations.RunPython.noop)]
