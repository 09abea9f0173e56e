"""Fast bulk inserts: PostgreSQL COPY when the database is PostgreSQL, bulk_create otherwise.
The one way importers write many rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.db import connection, models


def _copy_value(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert plain tuples (values in `fields` order; foreign keys as ids via `<name>_id`)."""
    rows = list(rows)
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        columns = [model._meta.get_field(f.removesuffix("_id")).column for f in fields]
        buffer = io.StringIO()
        # QUOTE_NOTNULL: every value quoted, None left bare, which COPY reads as NULL.
        writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_NOTNULL)
        for row in rows:
            writer.writerow([_copy_value(v) for v in row])
        buffer.seek(0)
        table = connection.ops.quote_name(model._meta.db_table)
        column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {table} ({column_list}) FROM STDIN WITH (FORMAT csv)",
                buffer,
            )
        return len(rows)
    objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
    model.objects.bulk_create(objects, batch_size=2000)
    return len(objects)


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Update rows by primary key: each row is (pk, *values in `fields` order)."""
    rows = list(rows)
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        meta = model._meta
        columns = [meta.get_field(f.removesuffix("_id")).column for f in fields]
        qn = connection.ops.quote_name
        table = qn(meta.db_table)
        temp = qn(f"tmp_update_{meta.db_table}")
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {temp} ON COMMIT DROP AS "  # noqa: S608 - names from model meta
                f"SELECT {qn(meta.pk.column)}, {', '.join(qn(c) for c in columns)} FROM {table} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {temp}")
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_NOTNULL)
            for row in rows:
                writer.writerow([_copy_value(v) for v in row])
            buffer.seek(0)
            cursor.cursor.copy_expert(f"COPY {temp} FROM STDIN WITH (FORMAT csv)", buffer)
            assignments = ", ".join(f"{qn(c)} = t.{qn(c)}" for c in columns)
            cursor.execute(
                f"UPDATE {table} AS m SET {assignments} FROM {temp} AS t "  # noqa: S608
                f"WHERE m.{qn(meta.pk.column)} = t.{qn(meta.pk.column)}"
            )
        return len(rows)
    objects = []
    for pk, *values in rows:
        obj = model(pk=pk)
        for name, value in zip(fields, values, strict=True):
            setattr(obj, name, value)
        objects.append(obj)
    model.objects.bulk_update(objects, list(fields), batch_size=1000)
    return len(objects)
