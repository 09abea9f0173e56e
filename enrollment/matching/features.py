"""Normalised matching features, computed once per ISA record or register resident, so that scoring a
pair is only cheap comparisons. Also a flat stored form for the Django layer's columns. No Django.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from ._slots import slots_constructor
from .addresses import EMPTY_ADDRESS, Address, make_address, parse_address
from .names import (
    alias_phonetic_key,
    kana_phonetic_key,
    latin_phonetic_key,
    name_parts,
    normalize_name,
)

# ISA fields whose import problems forbid an automatic match (still matched on the other fields).
MATCHING_FIELDS = frozenset({"name", "sex", "birth_date", "address", "lg_code"})

_SEX = {"M": "M", "F": "F", "男": "M", "女": "F", "男性": "M", "女性": "F", "1": "M", "2": "F"}


def normalize_sex(value: str | None) -> str | None:
    if not value:
        return None
    if value in _SEX:  # the keys are already NFKC, stripped and upper case
        return _SEX[value]
    return _SEX.get(unicodedata.normalize("NFKC", value).strip().upper())


def normalize_lg_code(value: str | None) -> str:
    if value and value.isascii() and value.isdigit():  # the usual 132101: NFKC and strip change nothing
        return value
    return unicodedata.normalize("NFKC", value or "").strip()


@lru_cache(maxsize=1 << 16)
def _reading(raw: str) -> tuple[str, str]:
    """The katakana reading (NFKC, stripped) and its phonetic key (cached: readings recur)."""
    kana = unicodedata.normalize("NFKC", raw).strip()
    return kana, kana_phonetic_key(kana)


@lru_cache(maxsize=1 << 14)
def _alias(raw: str) -> tuple[str, str]:
    """The 通称 (NFKC, stripped) and its phonetic key."""
    alias = unicodedata.normalize("NFKC", raw).strip()
    return alias, alias_phonetic_key(alias)


@lru_cache(maxsize=1 << 15)
def _birth_digits(birth_date: date) -> str:
    return f"{birth_date.year:04d}{birth_date.month:02d}{birth_date.day:02d}"


@dataclass(frozen=True, slots=True)
class Features:
    """What the matcher knows about one person record, already normalised.

    Both sides use this class: for an ISA record `phonetic` comes from the Latin name and `problems`
    lists fields the import could not read; for a resident `phonetic`/`alias_phonetic` come from the
    katakana reading and the 通称, and `status` is the register status.
    """

    key: str
    name: str
    tokens: tuple[str, ...]
    sorted_tokens: tuple[str, ...]
    anagram: str
    joined: str
    phonetic: str
    sex: str | None
    birth_date: date | None
    birth_digits: str
    lg_code: str
    address: Address
    alias_phonetic: str = ""
    kana: str = ""
    alias: str = ""
    status: str = "resident"
    problems: frozenset[str] = field(default_factory=frozenset)

    @property
    def has_problem_in_matching_field(self) -> bool:
        return bool(self.problems & MATCHING_FIELDS)

    @property
    def identity_key(self) -> tuple[str, date | None, str | None]:
        """Name (spacing and order ignored), birth date, sex: equal keys may still be different people."""
        return (self.anagram, self.birth_date, self.sex)

    def to_stored(self) -> dict[str, str]:
        """Flat string columns for a database row; `Features.from_stored` rebuilds without re-normalising."""
        return {
            "key": self.key,
            "name": self.name,
            "phonetic": self.phonetic,
            "alias_phonetic": self.alias_phonetic,
            "kana": self.kana,
            "alias": self.alias,
            "sex": self.sex or "",
            "birth_date": self.birth_date.isoformat() if self.birth_date else "",
            "lg_code": self.lg_code,
            "town": self.address.town,
            "block": self.address.block_text,
            "building": self.address.building,
            "room": self.address.room,
            "status": self.status,
            "problems": ",".join(sorted(self.problems)) if self.problems else "",
        }

    @classmethod
    def from_stored(cls, row: Mapping[str, str]) -> Features:
        return cls.from_stored_values(
            row["key"], [row.get(name) for name in STORED_COLUMNS], row.get("problems") or ""
        )

    @classmethod
    def from_stored_values(cls, key: str, values: Sequence[str | None], problems: str = "") -> Features:
        """`from_stored` for the stored columns as a sequence in `STORED_COLUMNS` order (a database
        row as it comes): built by the ten thousand per matching chunk, so no mapping in between."""
        (
            name,
            phonetic,
            alias_phonetic,
            kana,
            alias,
            sex,
            birth,
            lg_code,
            town,
            block,
            building,
            room,
            status,
        ) = values
        name = name or ""
        tokens, sorted_tokens, anagram, joined = name_parts(name)
        birth_date, birth_digits = _stored_birth(birth) if birth else (None, "")
        return _make_features(
            key, name, tokens, sorted_tokens, anagram, joined, phonetic or "", sex or None, birth_date, birth_digits,
            lg_code or "", make_address(town or "", tuple(block.split("-")) if block else (), building or "", room or ""),
            alias_phonetic or "", kana or "", alias or "", status or "resident",
            frozenset(problems.split(",")) if problems else _NO_PROBLEMS,
        )  # fmt: skip


# The columns `to_stored` gives besides "key" and "problems", in the order `from_stored_values` takes.
STORED_COLUMNS = (
    "name", "phonetic", "alias_phonetic", "kana", "alias", "sex", "birth_date", "lg_code", "town", "block",
    "building", "room", "status",
)  # fmt: skip


@lru_cache(maxsize=1 << 15)
def _stored_birth(iso: str) -> tuple[date, str]:
    birth_date = date.fromisoformat(iso)
    return birth_date, _birth_digits(birth_date)


# Features(*values) without the dataclass __init__ (see _slots): built by the million.
_make_features = slots_constructor(Features)
_NO_PROBLEMS: frozenset[str] = frozenset()


def _build(
    *,
    key: str,
    name: str,
    phonetic: str,
    sex: str | None,
    birth_date: date | None,
    lg_code: str,
    address: Address,
    alias_phonetic: str = "",
    kana: str = "",
    alias: str = "",
    status: str = "resident",
    problems: frozenset[str] = _NO_PROBLEMS,
) -> Features:
    tokens, sorted_tokens, anagram, joined = name_parts(name)
    return _make_features(
        key, name, tokens, sorted_tokens, anagram, joined, phonetic, sex, birth_date,
        _birth_digits(birth_date) if birth_date else "", lg_code, address, alias_phonetic, kana, alias, status,
        problems,
    )  # fmt: skip


def record_features(
    *,
    record_id: str | int,
    name: str | None,
    lg_code: str | None,
    address: str | None,
    sex: str | None,
    birth_date: date | None,
    problems: Iterable[str] = (),
) -> Features:
    """Features of an ISA record. A matching field that is empty counts as a problem: never auto-match it."""
    normalized = normalize_name(name)
    sex_value = normalize_sex(sex)
    lg = normalize_lg_code(lg_code)
    parsed = parse_address(address)
    found = set(problems)
    for field_name, missing in (
        ("name", not normalized),
        ("sex", sex_value is None),
        ("birth_date", birth_date is None),
        ("address", parsed.is_empty),
        ("lg_code", not lg),
    ):
        if missing:
            found.add(field_name)
    return _build(
        key=str(record_id),
        name=normalized,
        phonetic=latin_phonetic_key(normalized),
        sex=sex_value,
        birth_date=birth_date,
        lg_code=lg,
        address=parsed,
        problems=frozenset(found),
    )


def resident_features(
    *,
    resident_id: str | int,
    name_alpha: str | None,
    name_kana: str | None = "",
    name_kanji: str | None = "",
    sex: str | None,
    birth_date: date | None,
    lg_code: str | None,
    address: str | None,
    status: str = "resident",
) -> Features:
    """Features of a register resident (住民基本台帳). `name_kanji` is the 通称 (alias) when registered."""
    kana, phonetic = _reading(name_kana) if name_kana else ("", "")
    alias, alias_phonetic = _alias(name_kanji) if name_kanji else ("", "")
    name = normalize_name(name_alpha)
    tokens, sorted_tokens, anagram, joined = name_parts(name)
    return _make_features(  # _build(...), without its keyword arguments: built by the million
        str(resident_id), name, tokens, sorted_tokens, anagram, joined, phonetic, normalize_sex(sex), birth_date,
        _birth_digits(birth_date) if birth_date else "", normalize_lg_code(lg_code),
        parse_address(address) if address else EMPTY_ADDRESS, alias_phonetic, kana, alias, status or "resident",
        _NO_PROBLEMS,
    )  # fmt: skip
