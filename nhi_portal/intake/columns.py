"""Column-at-a-time validation: each distinct value of a column is cleaned and checked once
(dates, codes and sexes repeat a lot; names and addresses once each), then the results are
spread back over the rows with Arrow. Problems come back per row index."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nhi_portal.intake.errors import ERROR, RowProblem

# fn(raw value) -> (clean value or None, ((reason, severity), ...))
CellFn = Callable[[str], tuple[object, tuple[tuple[str, str], ...]]]
# many(distinct raw values) -> (clean values, {index: problems} for the values with problems)
ManyFn = Callable[[list[str]], tuple[list, dict[int, tuple[tuple[str, str], ...]]]]
# vector(column) -> (clean values, ok): a whole-column Arrow fast path; where ok is False the value
# is cleaned by fn/many instead (see nhi_portal.intake.values.address_column)
VectorFn = Callable[[pa.Array], tuple[pa.Array, pa.Array]]


@dataclass
class Cells:
    values: pa.Array
    problems: dict[int, tuple[tuple[str, str], ...]]  # row index → problems


def map_column(
    array: pa.Array,
    fn: CellFn,
    *,
    type: pa.DataType | None = None,
    cache: dict | None = None,
    many: ManyFn | None = None,
    fast: str = "",
    vector: VectorFn | None = None,
) -> Cells:
    """Apply `fn` to each distinct value (or `many` to all distinct values at once, which is
    faster for columns where nearly every value is different: names, addresses). `fast` is a
    regular expression of values that are already clean (e.g. eleven digits): when every
    value matches it, the column is taken as it is without a look at each value."""
    type = type or pa.string()
    if len(array) == 0:
        return Cells(pa.array([], type), {})
    if fast and pc.all(pc.match_substring_regex(array, fast)).as_py():
        return Cells(array.cast(type), {})
    if vector is not None:
        return _vectorised(array, fn, type=type, cache=cache, many=many, vector=vector)
    encoded = pc.dictionary_encode(array)
    uniques = encoded.dictionary.to_pylist()
    if many is not None:
        clean, bad = many(uniques)
    else:
        clean, bad = [], {}
        for code, value in enumerate(uniques):
            hit = cache.get(value) if cache is not None else None
            if hit is None:
                hit = fn(value)
                if cache is not None and len(cache) < 500_000:
                    cache[value] = hit
            clean.append(hit[0])
            if hit[1]:
                bad[code] = hit[1]
    values = pa.array(clean, type).take(encoded.indices)
    problems: dict[int, tuple[tuple[str, str], ...]] = {}
    if bad:
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        for row in np.flatnonzero(np.isin(indices, list(bad))).tolist():
            problems[row] = bad[int(indices[row])]
    return Cells(values, problems)


def _vectorised(array: pa.Array, fn: CellFn, *, type, cache, many, vector: VectorFn) -> Cells:
    """The Arrow fast path for the cells it can take; the rest one value at a time (map_column)."""
    values, ok = vector(array)
    if pc.all(ok).as_py():
        return Cells(values.cast(type), {})
    rest = np.flatnonzero(~ok.to_numpy(zero_copy_only=False))
    slow = map_column(array.take(pa.array(rest)), fn, type=type, cache=cache, many=many)
    merged = pc.replace_with_mask(values.cast(type), pc.invert(ok), slow.values)
    return Cells(merged, {int(rest[i]): found for i, found in slow.problems.items()})


@dataclass
class RowProblems:
    """Collects the problems of one slice of rows and which fields of each row are unusable."""

    lines: np.ndarray
    problems: list[RowProblem] = field(default_factory=list)
    bad_fields: dict[int, list[str]] = field(default_factory=dict)

    def add(self, cells: Cells, raw: pa.Array, *, field_name: str, label: str) -> None:
        if not cells.problems:
            return
        for row, found in cells.problems.items():
            raw_value = raw[row].as_py() or ""
            for reason, severity in found:
                self.problems.append(
                    RowProblem(int(self.lines[row]), label, raw_value, reason, severity, field_name)
                )
                if severity == ERROR:
                    fields = self.bad_fields.setdefault(row, [])
                    if field_name not in fields:
                        fields.append(field_name)

    def add_rows(self, rows: list[int], raw: pa.Array, *, field_name: str, label: str, reason: str) -> None:
        for row in rows:
            self.problems.append(
                RowProblem(int(self.lines[row]), label, raw[row].as_py() or "", reason, ERROR, field_name)
            )
            fields = self.bad_fields.setdefault(row, [])
            if field_name not in fields:
                fields.append(field_name)

    def field_column(self, n: int) -> pa.Array:
        """The comma-separated unusable fields of every row ('' for clean rows)."""
        if not self.bad_fields:
            return pa.array([""] * n, pa.string())
        out = [""] * n
        for row, fields in self.bad_fields.items():
            out[row] = ",".join(fields)
        return pa.array(out, pa.string())

    def error_mask(self, n: int) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        if self.bad_fields:
            mask[list(self.bad_fields)] = True
        return mask


def null_if_equal(raw: pa.Array, clean: pa.Array) -> pa.Array:
    """Raw values are kept only where they differ from the cleaned text (NULL = same)."""
    same = pc.fill_null(pc.equal(raw, clean), False)
    return pc.if_else(same, pa.scalar(None, pa.string()), raw)


def constant(value, n: int, type: pa.DataType) -> pa.Array:
    return pa.array(np.full(n, value), type) if value is not None else pa.nulls(n, type)


def constant_text(value: str, n: int) -> pa.Array:
    """`value` n times as a string column, built from its buffers. Used for the timestamp of an
    import: Arrow's CSV writer formats a timestamp column at about 2 s per million rows, the
    same text as a string costs nothing, and PostgreSQL's COPY reads it all the same."""
    data = value.encode("utf-8")
    offsets = np.arange(0, (n + 1) * len(data), len(data), dtype=np.int32)[: n + 1]
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data * n))


class SeenKeys:
    """Integer keys already met in earlier slices of a file, with the line each was first met on:
    sorted numpy runs merged now and then (a few bytes a key, where a Python set of millions of
    keys costs hundreds of MB and a dict of their lines more)."""

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted keys, their lines)

    def first_lines(self, keys: np.ndarray) -> np.ndarray:
        """The line each key was first met on, 0 for keys not met before."""
        found = np.zeros(len(keys), dtype=np.int64)
        for run_keys, run_lines in self._runs:
            at = np.searchsorted(run_keys, keys)
            at[at == len(run_keys)] = 0
            hit = (run_keys[at] == keys) & (found == 0)
            found[hit] = run_lines[at[hit]]
        return found

    def add(self, keys: np.ndarray, lines: np.ndarray) -> None:
        """Add keys not met before (each once)."""
        if not len(keys):
            return
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], lines[order]))
        # Merge the small runs into the large one when they hold as many keys (log n runs at most).
        while len(self._runs) > 1 and len(self._runs[-1][0]) * 2 >= len(self._runs[-2][0]):
            (k2, l2), (k1, l1) = self._runs.pop(), self._runs.pop()
            keys_, lines_ = np.concatenate([k1, k2]), np.concatenate([l1, l2])
            order = np.argsort(keys_, kind="stable")
            self._runs.append((keys_[order], lines_[order]))


def first_occurrence(keys: np.ndarray, lines: np.ndarray, seen: SeenKeys) -> np.ndarray:
    """For each key: the line of an earlier row with the same key (in this slice or before it),
    or 0 where the key is met for the first time. Records the new keys in `seen`."""
    earlier = seen.first_lines(keys)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    repeat = np.zeros(len(keys), dtype=bool)
    repeat[1:] = sorted_keys[1:] == sorted_keys[:-1]
    if repeat.any():
        # Within the slice: the first row of each run of equal keys is the one kept.
        group_start = np.maximum.accumulate(np.where(repeat, 0, np.arange(len(keys))))
        first_line = lines[order][group_start]
        within = np.zeros(len(keys), dtype=np.int64)
        within[order[repeat]] = first_line[repeat]
        earlier = np.where(earlier > 0, earlier, within)
    new = earlier == 0
    seen.add(keys[new], lines[new])
    return earlier


@dataclass
class Check:
    """How one column is validated: the cell function, the Arrow type of the clean value, and
    whether results are cached across slices (worth it for repeated values: dates, codes)."""

    fn: CellFn
    type: pa.DataType = field(default_factory=pa.string)
    cached: bool = False
    source: str = ""  # the table column it reads, when it differs from the field name
    many: ManyFn | None = None  # a whole-column version of fn (for nearly-unique columns)
    fast: str = ""  # regex of values already clean (see map_column)
    vector: VectorFn | None = None  # an Arrow fast path over the whole column (see map_column)
    max_length: int = 0  # longest clean value the database column holds (0: no limit)


@dataclass
class Validated:
    found: RowProblems
    raw: dict[str, pa.Array]
    clean: dict[str, pa.Array]


def validate_slice(part, checks: dict[str, Check], *, label_of, caches: dict[str, dict]) -> Validated:
    found = RowProblems(part.lines)
    raw: dict[str, pa.Array] = {}
    clean: dict[str, pa.Array] = {}
    for name, check in checks.items():
        key = check.source or name
        raw[name] = part.column(key)
        cache = caches.setdefault(name, {}) if check.cached else None
        cells = map_column(
            raw[name], check.fn, type=check.type, cache=cache, many=check.many, fast=check.fast,
            vector=check.vector,
        )  # fmt: skip
        found.add(cells, raw[name], field_name=name, label=label_of(key))
        if check.max_length and len(cells.values):
            cells.values = _limit_length(
                cells.values, check.max_length, found, raw[name], name, label_of(key)
            )
        clean[name] = cells.values
    return Validated(found, raw, clean)


def _limit_length(
    values: pa.Array, limit: int, found: RowProblems, raw: pa.Array, name: str, label: str
) -> pa.Array:
    """A value longer than its column can hold is a row problem (stored empty), not a failed import."""
    too_long = pc.fill_null(pc.greater(pc.utf8_length(values), limit), False)
    if not pc.any(too_long).as_py():
        return values
    rows = np.flatnonzero(too_long.to_numpy(zero_copy_only=False)).tolist()
    found.add_rows(rows, raw, field_name=name, label=label, reason=f"長すぎます（{limit}文字まで）")
    return pc.if_else(too_long, pa.scalar("", values.type), values)
