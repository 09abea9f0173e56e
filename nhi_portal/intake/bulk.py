"""Fast bulk inserts: PostgreSQL COPY when the database is PostgreSQL, bulk_create otherwise.
The one way importers write many rows."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

import pyarrow as pa
import pyarrow.csv as pacsv
from django.db import connection, models, transaction

logger = logging.getLogger(__name__)


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


class _ArrowCopySource:
    """A file-like object for COPY FROM STDIN. A producer thread validates the next rows and
    renders them to CSV while psycopg2 (which releases the GIL while it sends) streams the
    previous ones to PostgreSQL, so this process and the server work at the same time. The
    producer must not touch the database connection; its exceptions are re-raised here."""

    _DONE = object()

    def __init__(self, tables: Iterable[pa.Table]) -> None:
        self.rows = 0
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=3)
        self._thread = threading.Thread(target=self._produce, args=(iter(tables),), daemon=True)
        self._thread.start()

    def _produce(self, tables) -> None:
        try:
            for table in tables:
                if table.num_rows:
                    sink = io.BytesIO()
                    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(include_header=False))
                    self._queue.put((table.num_rows, sink.getvalue()))
            self._queue.put(self._DONE)
        except BaseException as exc:  # handed to the reading thread
            self._queue.put(exc)

    def read(self, size: int = -1) -> bytes:
        item = self._queue.get()
        if item is self._DONE:
            self._queue.put(self._DONE)
            return b""
        if isinstance(item, BaseException):
            self.error = item
            raise item
        rows, data = item
        self.rows += rows
        return data

    readline = read

    def close(self) -> None:
        """Drain the producer after an error so its thread ends."""
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.1)
            except queue.Empty:
                continue


def copy_arrow(model: type[models.Model], fields: Sequence[str], tables: Iterable[pa.Table]) -> int:
    """Insert Arrow tables whose columns are `fields` (in order). Strings are written quoted and
    nulls bare, which is exactly how COPY's CSV format tells '' from NULL."""
    if connection.vendor == "postgresql":
        columns = [model._meta.get_field(f.removesuffix("_id")).column for f in fields]
        return _copy_arrow_into(model._meta.db_table, columns, tables)
    count = 0
    for arrow_table in tables:
        rows = arrow_table.to_pylist()
        model.objects.bulk_create(
            [model(**dict(zip(fields, row.values(), strict=True))) for row in rows], batch_size=2000
        )
        count += len(rows)
    return count


def _copy_arrow_into(table_name: str, columns: Sequence[str], tables: Iterable[pa.Table]) -> int:
    qn = connection.ops.quote_name
    column_list = ", ".join(qn(c) for c in columns)
    source = _ArrowCopySource(tables)
    try:
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {qn(table_name)} ({column_list}) FROM STDIN WITH (FORMAT csv)", source, size=1 << 20
            )
    except Exception:
        # psycopg2 reports an exception raised while reading the rows as a cancelled COPY;
        # the reason a person needs is the original one (e.g. the file's line N is broken).
        if source.error is not None:
            raise source.error from None
        raise
    finally:
        source.close()
    return source.rows


def set_based() -> bool:
    """Whether a later snapshot or delta is applied by set-based SQL on a staging table
    (PostgreSQL) rather than compared row by row in Python (other databases; the tests' reference)."""
    return connection.vendor == "postgresql"


def copy_arrow_staged(
    model: type[models.Model], fields: Sequence[str], tables: Iterable[pa.Table], *, name: str
) -> tuple[str, int]:
    """PostgreSQL only, inside a transaction: COPY Arrow tables whose columns are `fields` into a
    temporary table shaped like those columns of `model` (dropped at the commit), for set-based SQL
    against the real table (a delta's diff and update). Returns the staging table's quoted name and
    the rows copied. (Not ANALYZEd: the planner sizes an unanalyzed table by its pages, enough for
    the one join that follows; ANALYZE cost 1.3 s of 400,000 staged rows under load.)"""
    meta = model._meta
    qn = connection.ops.quote_name
    columns = [meta.get_field(f.removesuffix("_id")).column for f in fields]
    staging = f"stage_{name}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {qn(staging)}")
        cursor.execute(
            f"CREATE TEMP TABLE {qn(staging)} ON COMMIT DROP AS "  # noqa: S608 - names from model meta
            f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(meta.db_table)} WITH NO DATA"
        )
    rows = _copy_arrow_into(staging, columns, tables)
    return qn(staging), rows


def copy_out_arrow(query: str, params: Sequence, names: Sequence[str]) -> dict[str, pa.Array]:
    """PostgreSQL only: the rows of `query` as Arrow string arrays by `names`, through COPY … TO
    STDOUT (CSV) and Arrow's CSV reader — columns without a Python object per value. SQL NULL
    comes back as null, an empty string as ""."""
    sink = io.BytesIO()
    with connection.cursor() as cursor:
        sql = cursor.cursor.mogrify(query, params).decode()
        cursor.cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", sink)
    if not sink.tell():
        return {name: pa.array([], pa.string()) for name in names}
    sink.seek(0)
    table = pacsv.read_csv(
        sink,
        read_options=pacsv.ReadOptions(column_names=list(names), block_size=16 << 20),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    return {name: table.column(name).combine_chunks() for name in names}


def analyze_after_commit(*models_: type[models.Model], vacuum: bool = False) -> None:
    """Refresh PostgreSQL's planner statistics of tables that just grew by thousands of rows, once
    the transaction commits. Until autovacuum gets round to it (a minute or more), the planner
    believes the table still holds what it did before — a list page that reads one page of an
    index then joins and sorts every row instead (the case list at 12,000 cases: 134 ms -> 54 ms).

    `vacuum`: VACUUM as well, which sets the visibility map: until then even an index-only scan
    reads each row's table page (the matching index after a rebuild). VACUUM cannot run inside a
    transaction: where the callback still runs inside one (an outer atomic block, a test's
    transaction), it only ANALYZEs."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models_)

    def analyze() -> None:
        with connection.cursor() as cursor:
            if vacuum and not connection.in_atomic_block:
                cursor.execute(f"VACUUM (ANALYZE) {tables}")
            else:
                cursor.execute(f"ANALYZE {tables}")

    transaction.on_commit(analyze, robust=True)


@contextlib.contextmanager
def indexes_built_after(model: type[models.Model]) -> Iterator[bool]:
    """Load an EMPTY table with its secondary indexes built once at the end, instead of row by row.

    Into an empty table PostgreSQL builds an index from sorted input in one pass, several times
    faster than inserting millions of keys in random order (the register's unique resident code,
    household and trigram name indexes: most of the time a first snapshot spent in the server).
    Inside the caller's transaction the indexes and unique constraints are dropped, the body
    loads the rows, and the same definitions (read from the catalogue, so the schema stays what
    the migrations made) are created again before the transaction commits: a failure rolls all
    of it back. Dropping an index locks the table until the commit, which is harmless only while
    the table holds nobody's rows, so anything else (a table of another municipality's rows, a
    database other than PostgreSQL) leaves the indexes alone. Yields whether it rebuilt them."""
    dropped = _drop_indexes_of_empty(model._meta.db_table)
    if dropped is None:
        yield False
        return
    yield True
    table = model._meta.db_table
    qn = connection.ops.quote_name
    constraints, indexes = dropped
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
    logger.info(
        "%s: %d indexes and %d constraints built after loading", table, len(indexes), len(constraints)
    )


def _drop_indexes_of_empty(table: str) -> tuple[list, list] | None:
    """Drop the secondary indexes and unique constraints of `table` if it is empty (PostgreSQL,
    inside a transaction); return their definitions, or None when nothing was dropped."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return None
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {qn(table)})")  # noqa: S608 - name from model meta
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(
            """
            SELECT con.conname, pg_get_constraintdef(con.oid)
              FROM pg_constraint con
             WHERE con.conrelid = %s::regclass AND con.contype = 'u'
               AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = con.conindid)
             ORDER BY con.conname
            """,
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(x.indexrelid)
              FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
             ORDER BY i.relname
            """,
            [table],
        )
        indexes = cursor.fetchall()
        for name, _ in constraints:
            cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {qn(name)}")
        # Index builds sort in memory up to this much (the server's default, 64 MB, spills to disk).
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    return constraints, indexes
