"""Which characters of one value differ from another, for the review screen's marks (差異の表示).
Pure Python (difflib), no Django: both values are normalised the same way first, so full-width
letters, case and spacing never count as differences."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from typing import NamedTuple

_SPACES = re.compile(r"\s+")


class Segment(NamedTuple):
    text: str
    changed: bool


def normalise(value: object) -> str:
    """NFKC (full-width → half-width, 丁目 forms untouched), upper case, single spaces."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).upper()
    return _SPACES.sub(" ", text).strip()


def _merge(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for segment in segments:
        if not segment.text:
            continue
        if merged and merged[-1].changed == segment.changed:
            merged[-1] = Segment(merged[-1].text + segment.text, segment.changed)
        else:
            merged.append(segment)
    return merged


def _char_segments(a: str, b: str) -> list[Segment]:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return [Segment(a[i1:i2], tag != "equal") for tag, i1, i2, _, _ in matcher.get_opcodes()]


def _closest(word: str, others: list[str]) -> str | None:
    best, best_ratio = None, 0.5  # below half the letters in common it is another word
    for other in others:
        ratio = SequenceMatcher(None, word, other, autojunk=False).ratio()
        if ratio > best_ratio:
            best, best_ratio = other, ratio
    return best


def _fixed_segments(a: str, b: str) -> list[Segment]:
    return [Segment(char, index >= len(b) or char != b[index]) for index, char in enumerate(a)]


def diff_segments(a: object, b: object, *, mode: str = "chars") -> list[Segment]:
    """The normalised text of `a` cut into segments, `changed` where it differs from `b`.

    Nothing is marked when either value is empty: there is nothing to compare with. Modes:
    "chars" (addresses): the longest common runs (difflib) are unchanged; "words" (Latin names,
    whose parts come in any order): each word of `a` is compared with the most similar word of
    `b`, so "AN NGUYEN VAN" against "NGUYEN VAN AN" marks nothing; "fixed" (dates, codes): position
    by position, so 1999-07-02 against 1999-07-20 marks both digits of the day.
    """
    left, right = normalise(a), normalise(b)
    if not left:
        return []
    if not right or left == right:
        return [Segment(left, False)]
    if mode == "fixed" and len(left) == len(right):
        return _merge(_fixed_segments(left, right))
    if mode != "words":
        return _merge(_char_segments(left, right))
    segments: list[Segment] = []
    others = right.split(" ")
    for number, word in enumerate(left.split(" ")):
        if number:
            segments.append(Segment(" ", False))
        closest = word if word in others else _closest(word, others)
        if closest is None:
            segments.append(Segment(word, True))
            continue
        others.remove(closest)
        segments.extend(_char_segments(word, closest))
    return _merge(segments)


def differs(a: object, b: object) -> bool:
    """The two values differ once normalised (and both are present)."""
    left, right = normalise(a), normalise(b)
    return bool(left and right) and left != right
