"""Candidate generation (blocking): string keys for residents (stored, indexed) and for ISA records
(looked up). A resident is a candidate when it shares at least one key with the record. No Django.

Passes (key prefix: what must be right for the pass to find the true person). Each pass tolerates a
different error, so one wrong field never loses the person:

  d:  birth date + one name token       — name typos, a missing middle name, merged spacing, name order
  y:  name letters (anagram) + birth year  — wrong month/day, day-month swap
  m:  name letters + month-day          — wrong birth year
  a:  block address + one name token    — wrong birth date together with a name typo (person not moved)
  b:  block address + birth date        — name badly mangled (person not moved)
  n:  name letters alone                — only for an ISA record without a birth date

A '?' in an ISA name (a letter CP932 could not encode: NGUY?N) is spelled out as the likely letters
in the record's d:/a: keys; the name-letter keys are skipped for such a name.

The `n:` block sizes double as name frequencies (see `name_frequency_key`), so residents always store
it. "Name letters" is the sorted letters of the whole name, so order, spacing and merging do not change
it. Common tokens (NGUYEN, VAN, THI) appear only combined with a birth date or block address, which
keeps blocks small: about 400,000 Latin-name residents over ~15,000 plausible birth dates. Sex and
municipality code are left out of every key, so an error there loses nothing.

Record keys add the day-month-swapped birth date where that is a valid date, so residents store each
key only once. The lookup should skip any key whose block holds more than `MAX_BLOCK_SIZE` residents
(the Django layer keeps a count per key): such a key says too little to be worth the pairs it makes.
"""

from __future__ import annotations

from datetime import date
from hashlib import blake2b

from .features import Features
from .names import WILDCARD, wildcard_expansions

MAX_BLOCK_SIZE = 200
MAX_TOKENS = 6  # names with more tokens are rare; extra tokens add keys without adding recall


def _tokens(f: Features) -> list[str]:
    return sorted(set(f.tokens))[:MAX_TOKENS]


def _query_tokens(f: Features) -> list[str]:
    """A record's tokens, with each '?' (a letter lost in CP932) spelled out as the likely letters."""
    if WILDCARD not in f.joined:
        return _tokens(f)
    return sorted({s for t in set(f.tokens) for s in wildcard_expansions(t)})


def _swapped(d: date | None) -> str:
    """YYYYMMDD of the birth date with day and month swapped, "" when that is no other valid date."""
    if d is None or d.day > 12 or d.day == d.month:
        return ""
    try:
        date(d.year, d.day, d.month)
    except ValueError:
        return ""
    return f"{d.year:04d}{d.day:02d}{d.month:02d}"


def _date_keys(f: Features, digits: str, block: str, tokens: list[str]) -> list[str]:
    keys = [f"d:{digits}:{t}" for t in tokens]
    anagram = f.anagram
    if anagram and WILDCARD not in anagram:
        keys.append(f"y:{digits[:4]}:{anagram}")
        keys.append(f"m:{digits[4:]}:{anagram}")
    if block:
        keys.append(f"b:{block}:{digits}")
    return keys


def resident_keys(f: Features) -> list[str]:
    """Keys to store for a resident. Residents without a Latin name are never candidates: no keys."""
    if not f.tokens:
        return []
    block = f.address.block_key()
    tokens = _tokens(f)
    keys = _date_keys(f, f.birth_digits, block, tokens) if f.birth_digits else []
    if block:
        keys += [f"a:{block}:{t}" for t in tokens]
    keys.append(f"n:{f.anagram}")
    return keys


def record_keys(f: Features) -> list[str]:
    """Keys to look up for an ISA record (a superset of the resident's: swapped birth date included)."""
    block = f.address.block_key()
    tokens = _query_tokens(f)
    keys: list[str] = []
    if f.birth_digits:
        keys.extend(_date_keys(f, f.birth_digits, block, tokens))
        if swapped := _swapped(f.birth_date):
            keys.extend(k for k in _date_keys(f, swapped, block, tokens) if not k.startswith("y:"))
    if f.tokens:
        if block:
            keys.extend(f"a:{block}:{t}" for t in tokens)
        if not f.birth_date:  # for dated records it would only add namesakes the other passes rule out
            keys.append(f"n:{f.anagram}")
    return keys


def key_hash(key: str) -> int:
    """The key as a signed 64-bit integer, the form the Django layer stores and looks up (stable
    across processes and machines, unlike `hash`). Two keys sharing a hash only make one block hold
    both; at 64 bits and tens of millions of keys that is about one block in a billion."""
    return int.from_bytes(blake2b(key.encode(), digest_size=8).digest(), "little", signed=True)


def name_frequency_key(f: Features) -> str:
    """The key whose block size is the number of residents sharing the record's name letters (for
    the term-frequency adjustment of name agreement); "" for a record without a name."""
    return f"n:{f.anagram}" if f.anagram else ""
