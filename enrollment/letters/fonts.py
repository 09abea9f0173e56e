"""The fonts letters are set in: where fontconfig finds them and which characters they cover.

WeasyPrint picks fonts through fontconfig by family name, so this module asks fontconfig the same
question (fc-match) to learn which file and face a family name resolves to, and reads that face's
character map. `missing_fonts()` is the start-up check (a server without fonts-noto-cjk would
otherwise print letters in a substitute font, or in tofu boxes); `uncovered()` tells whether a
text can be printed at all (a register's private-use 外字 cannot).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

from .languages import LANGUAGES, NOTO_CJK_JP

# Characters that draw nothing and need no glyph of their own (shaping controls, line breaks).
_INVISIBLE = frozenset("\n\r\t\u200b\u200c\u200d\u2060\ufeff")


@dataclass(frozen=True)
class FontFace:
    family: str
    path: str
    index: int  # face index in a .ttc collection


class FontMissing(RuntimeError):
    pass


@cache
def resolve(family: str, *, bold: bool = False) -> FontFace:
    """The face fontconfig gives WeasyPrint for `family`; FontMissing if it would substitute."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise FontMissing("fc-match (fontconfig) is not installed")
    pattern = f"{family}:weight={'bold' if bold else 'regular'}"
    out = subprocess.run(  # noqa: S603 - fixed program, our own font names
        [fc_match, "--format=%{file}\n%{index}\n%{family}", pattern],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    path, index, families = out[0], int(out[1] or 0), out[2].split(",")
    if family not in families:
        raise FontMissing(f"font {family!r} is not installed (fontconfig offers {families[0]!r})")
    return FontFace(family, path, index)


def missing_fonts() -> list[str]:
    """Font families the letters need that this machine lacks (empty when all is well)."""
    needed = {font for lang in LANGUAGES.values() for font in lang.fonts}
    missing = []
    for family in sorted(needed):
        for bold in (False, True):
            try:
                resolve(family, bold=bold)
            except FontMissing as exc:
                missing.append(str(exc))
    return missing


@cache
def cmap(family: str, *, bold: bool = False) -> frozenset[int]:
    """Code points the resolved face has a glyph for."""
    from fontTools.ttLib import TTFont  # WeasyPrint depends on fontTools; imported late (slow)

    face = resolve(family, bold=bold)
    font = TTFont(face.path, fontNumber=face.index, lazy=True)
    return frozenset(font.getBestCmap())


def uncovered(text: str, fonts: tuple[str, ...], *, bold: bool = False) -> list[str]:
    """Characters of `text` that no font of the stack can draw (would fall back or show tofu)."""
    maps = [cmap(family, bold=bold) for family in fonts]
    missing = []
    for char in dict.fromkeys(text):
        if char in _INVISIBLE or char == " ":
            continue
        if not any(ord(char) in m for m in maps):
            missing.append(char)
    return missing


def unprintable_in_japanese(text: str) -> list[str]:
    """Characters of a Japanese field (address, name) that Noto Sans CJK JP cannot draw."""
    return uncovered(text, (NOTO_CJK_JP,))
