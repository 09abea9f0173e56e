"""A trigram index on residents' Latin names (PostgreSQL only), for the register search: a word of
a name anywhere in the name (`NGUYEN` in `TRAN NGUYEN AN`) without reading millions of rows.
Partial: Japanese nationals have no Latin name and no entries. SQLite (the embedded demo) has no
such index and searches by scanning, which is quick at its size."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS resident_name_alpha_trgm ON enrollment_resident "
    "USING gin (upper(name_alpha::text) gin_trgm_ops) WHERE name_alpha <> ''",
]
DROP = ["DROP INDEX IF EXISTS resident_name_alpha_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0010_match_keys_hashed")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
