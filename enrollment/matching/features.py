"""Normalised matching features, computed once per ISA record or register resident, so that scoring a
pair is only cheap comparisons. Also a flat stored form for the Django layer's columns. No Django.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from .addresses import EMPTY_ADDRESS, Address, parse_address
from .names import (
    alias_phonetic_key,
    anagram_key,
    kana_phonetic_key,
    latin_phonetic_key,
    name_tokens,
    normalize_name,
)

# ISA fields whose import problems forbid an automatic match (still matched on the other fields).
MATCHING_FIELDS = frozenset({"name", "sex", "birth_date", "address", "lg_code"})

_SEX = {"M": "M", "F": "F", "男": "M", "女": "F", "男性": "M", "女性": "F", "1": "M", "2": "F"}


def normalize_sex(value: str | None) -> str | None:
    if not value:
        return None
    return _SEX.get(unicodedata.normalize("NFKC", value).strip().upper())


def normalize_lg_code(value: str | None) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


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
            "problems": ",".join(sorted(self.problems)),
        }

    @classmethod
    def from_stored(cls, row: Mapping[str, str]) -> Features:
        block = row.get("block") or ""
        address = Address(
            row.get("town") or "", tuple(block.split("-")) if block else (), row.get("building") or "",
            row.get("room") or "",
        )  # fmt: skip
        birth = row.get("birth_date") or ""
        problems = row.get("problems") or ""
        return _build(
            key=row["key"],
            name=row.get("name") or "",
            phonetic=row.get("phonetic") or "",
            alias_phonetic=row.get("alias_phonetic") or "",
            kana=row.get("kana") or "",
            alias=row.get("alias") or "",
            sex=row.get("sex") or None,
            birth_date=date.fromisoformat(birth) if birth else None,
            lg_code=row.get("lg_code") or "",
            address=address,
            status=row.get("status") or "resident",
            problems=frozenset(problems.split(",")) if problems else frozenset(),
        )


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
    problems: frozenset[str] = frozenset(),
) -> Features:
    tokens = name_tokens(name)
    return Features(
        key=key,
        name=name,
        tokens=tokens,
        sorted_tokens=tuple(sorted(tokens)),
        anagram=anagram_key(tokens),
        joined="".join(tokens),
        phonetic=phonetic,
        sex=sex,
        birth_date=birth_date,
        birth_digits=f"{birth_date.year:04d}{birth_date.month:02d}{birth_date.day:02d}" if birth_date else "",
        lg_code=lg_code,
        address=address,
        alias_phonetic=alias_phonetic,
        kana=kana,
        alias=alias,
        status=status,
        problems=problems,
    )


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
    kana = unicodedata.normalize("NFKC", name_kana or "").strip()
    alias = unicodedata.normalize("NFKC", name_kanji or "").strip()
    return _build(
        key=str(resident_id),
        name=normalize_name(name_alpha),
        phonetic=kana_phonetic_key(kana),
        alias_phonetic=alias_phonetic_key(alias),
        kana=kana,
        alias=alias,
        sex=normalize_sex(sex),
        birth_date=birth_date,
        lg_code=normalize_lg_code(lg_code),
        address=parse_address(address) if address else EMPTY_ADDRESS,
        status=status or "resident",
    )
