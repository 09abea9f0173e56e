"""Poppler helpers (pdftotext, pdftotext -bbox, pdffonts, pdfinfo) that read a letter PDF the
way a person, a postal worker or a printer would."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

MM = 72 / 25.4  # PDF points per mm

POPPLER_MISSING = [
    tool for tool in ("pdftotext", "pdffonts", "pdfinfo", "pdftoppm") if shutil.which(tool) is None
]


def pdftotext(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    return subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def squash(text: str) -> str:
    """Whitespace-free NFC text: pdftotext breaks lines wherever the layout did."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


@dataclass(frozen=True)
class Word:
    text: str
    x0: float  # points from the left edge of the page
    y0: float  # points from the top edge of the page
    x1: float
    y1: float


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def words(pdf: Path, page: int = 1) -> list[Word]:
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        Word(html.unescape(m[5]), float(m[1]), float(m[2]), float(m[3]), float(m[4]))
        for m in _WORD.finditer(out)
    ]


def page_count(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M)[1])


def pdf_fonts(pdf: Path) -> list[tuple[str, bool]]:
    """(font name without subset tag, embedded?) for every font of the PDF."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    fonts = []
    for line in out.splitlines()[2:]:
        parts = line.split()  # name type… encoding emb sub uni object-number generation
        fonts.append((parts[0].split("+", 1)[-1], parts[-5] == "yes"))
    return fonts
