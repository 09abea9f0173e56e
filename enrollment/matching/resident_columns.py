"""The register's matching index computed a column at a time: the stored features and the hashed
blocking keys of many residents at once, equal to `resident_features(...).to_stored()` and
`{key_hash(k) for k in resident_keys(...)}` resident by resident (a test holds them equal; those two
stay the one definition of a resident's features and keys).

Each column is cleaned once per distinct value with the same functions `resident_features` uses
(names, readings, addresses repeat: households, dormitories, common names), the results are spread
back over the rows with Arrow, and the key strings are assembled by Arrow from the parts. What
stays in Python is one call per distinct value, and one blake2b per distinct key (`key_hash`).
No Django.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from hashlib import blake2b

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .addresses import parse_address
from .blocking import MAX_TOKENS
from .features import STORED_COLUMNS, _alias, _reading, normalize_lg_code, normalize_sex
from .names import WILDCARD, name_parts, normalize_name

# The input columns (Arrow string arrays, birth_date as ISO text or null), as the register holds them.
INPUT_COLUMNS = ("name_alpha", "name_kana", "name_kanji", "sex", "birth_date", "lg_code", "address", "status")


@dataclass
class IndexColumns:
    """Features (one row per resident, `STORED_COLUMNS` as string arrays) and keys (resident row
    number → key hash, each pair once)."""

    stored: dict[str, pa.Array]
    key_rows: np.ndarray  # int64: the row (0-based, in the input's order) the key belongs to
    key_hashes: np.ndarray  # int64: key_hash of the key


def _distinct(array: pa.Array, fn: Callable[[str], tuple], width: int) -> list[pa.Array]:
    """`fn` once per distinct value (nulls read as ""), its `width` results spread over the rows."""
    array = pc.fill_null(array, "")
    encoded = pc.dictionary_encode(array)
    indices = encoded.indices
    results = [fn(value) for value in encoded.dictionary.to_pylist()]
    columns = list(zip(*results, strict=True)) if results else [() for _ in range(width)]
    return [pa.array(column, pa.string()).take(indices) for column in columns]


def _name(raw: str) -> tuple[str, str, str]:
    """Canonical name, its blocking tokens joined by spaces (sorted, distinct, at most MAX_TOKENS),
    and its anagram key."""
    name = normalize_name(raw)
    tokens, _, anagram, _ = name_parts(name)
    return name, " ".join(sorted(set(tokens))[:MAX_TOKENS]), anagram


def _reading_of(raw: str) -> tuple[str, str]:
    return _reading(raw) if raw else ("", "")


def _alias_of(raw: str) -> tuple[str, str]:
    return _alias(raw) if raw else ("", "")


def _address(raw: str) -> tuple[str, str, str, str, str]:
    address = parse_address(raw) if raw else parse_address(None)
    return address.town, address.block_text, address.building, address.room, address.block_key()


def index_columns(columns: dict[str, pa.Array]) -> IndexColumns:
    """Stored features and key hashes of the residents in `columns` (see INPUT_COLUMNS)."""
    n = len(columns["name_alpha"])
    name, tokens, anagram = _distinct(columns["name_alpha"], _name, 3)
    kana, phonetic = _distinct(columns["name_kana"], _reading_of, 2)
    alias, alias_phonetic = _distinct(columns["name_kanji"], _alias_of, 2)
    (sex,) = _distinct(columns["sex"], lambda v: (normalize_sex(v) or "",), 1)
    (lg_code,) = _distinct(columns["lg_code"], lambda v: (normalize_lg_code(v),), 1)
    town, block, building, room, block_key = _distinct(columns["address"], _address, 5)
    (status,) = _distinct(columns["status"], lambda v: (v or "resident",), 1)
    birth = pc.fill_null(columns["birth_date"], "")
    stored = {
        "name": name, "phonetic": phonetic, "alias_phonetic": alias_phonetic, "kana": kana, "alias": alias,
        "sex": sex, "birth_date": birth, "lg_code": lg_code, "town": town, "block": block,
        "building": building, "room": room, "status": status,
    }  # fmt: skip
    assert tuple(stored) == STORED_COLUMNS
    key_rows, key_hashes = _keys(n, tokens, anagram, pc.replace_substring(birth, "-", ""), block_key)
    return IndexColumns(stored=stored, key_rows=key_rows, key_hashes=key_hashes)


def _keys(
    n: int, tokens: pa.Array, anagram: pa.Array, digits: pa.Array, block: pa.Array
) -> tuple[np.ndarray, np.ndarray]:
    """`resident_keys` for every row at once: the key strings assembled by Arrow, then hashed."""
    rows = np.arange(n, dtype=np.int64)
    token_lists = pc.split_pattern(tokens, " ")
    counts = pc.list_value_length(token_lists).to_numpy(zero_copy_only=False)
    counts = np.where(pc.equal(tokens, "").to_numpy(zero_copy_only=False), 0, counts)
    named = counts > 0  # a resident without a Latin name token has no keys
    dated = named & pc.not_equal(digits, "").to_numpy(zero_copy_only=False)
    has_block = named & pc.not_equal(block, "").to_numpy(zero_copy_only=False)
    plain_anagram = pc.not_equal(anagram, "").to_numpy(zero_copy_only=False) & ~pc.match_substring(
        anagram, WILDCARD
    ).to_numpy(zero_copy_only=False)
    # The tokens of the named rows, flat, with the row each belongs to (a nameless row's list is [""]).
    token_row = np.repeat(rows, np.where(named, counts, 0))
    flat_tokens = pc.list_flatten(token_lists.filter(pa.array(named)))

    parts: list[tuple[np.ndarray, pa.Array]] = []

    def add(mask: np.ndarray, *pieces) -> None:
        where = np.flatnonzero(mask)
        if not len(where):
            return
        take = pa.array(where)
        values = [p if isinstance(p, str) else p.take(take) for p in pieces]
        parts.append((rows[where], pc.binary_join_element_wise(*values, "")))

    def add_per_token(mask: np.ndarray, prefix: str, value: pa.Array) -> None:
        keep = mask[token_row]
        if not keep.any():
            return
        take = pa.array(np.flatnonzero(keep))
        owners = token_row[keep]
        joined = pc.binary_join_element_wise(
            prefix, value.take(pa.array(owners)), ":", flat_tokens.take(take), ""
        )
        parts.append((owners, joined))

    add_per_token(dated, "d:", digits)
    add(dated & plain_anagram, "y:", pc.utf8_slice_codeunits(digits, 0, 4), ":", anagram)
    add(dated & plain_anagram, "m:", pc.utf8_slice_codeunits(digits, 4), ":", anagram)
    add(dated & has_block, "b:", block, ":", digits)
    add_per_token(has_block, "a:", block)
    add(named, "n:", anagram)
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    owners = np.concatenate([p[0] for p in parts])
    keys = pa.concat_arrays([p[1] for p in parts])
    hashes = _hash_keys(keys)
    # Each (resident, hash) once, as `{key_hash(k) for k in resident_keys(f)}` has it: sorted by
    # both (lexsort: np.unique over rows sorts them as bytes, ten times slower), repeats dropped.
    order = np.lexsort((hashes, owners))
    owners, hashes = owners[order], hashes[order]
    first = np.ones(len(owners), dtype=bool)
    first[1:] = (owners[1:] != owners[:-1]) | (hashes[1:] != hashes[:-1])
    return owners[first], hashes[first]


def _hash_keys(keys: pa.Array) -> np.ndarray:
    """`key_hash` of every key, computed once per distinct key."""
    encoded = pc.dictionary_encode(keys)
    distinct = encoded.dictionary.cast(pa.binary()).to_pylist()
    digests = b"".join([blake2b(key, digest_size=8).digest() for key in distinct])
    hashes = np.frombuffer(digests, dtype="<i8").astype(np.int64)
    return hashes[encoded.indices.to_numpy(zero_copy_only=False)]
