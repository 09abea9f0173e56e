"""Japanese local government codes (全国地方公共団体コード): 5 digits plus a check digit."""

from __future__ import annotations

import re

_SIX_DIGITS = re.compile(r"^[0-9]{6}$")


def lg_check_digit(first_five: str) -> int:
    """Check digit for the first five digits: weights 6..2, r = sum mod 11, (11 - r) mod 10."""
    if len(first_five) != 5 or not first_five.isascii() or not first_five.isdigit():
        raise ValueError("municipality code body must be 5 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first_five, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def with_check_digit(first_five: str) -> str:
    return f"{first_five}{lg_check_digit(first_five)}"


def lg_code_problem(code: str) -> str | None:
    """Return why `code` is not a valid 6-digit municipality code (Japanese), or None if it is."""
    if not code:
        return "地方公共団体コードが空です"
    if not _SIX_DIGITS.match(code):
        return "地方公共団体コードは6桁の数字で指定してください"
    if lg_check_digit(code[:5]) != int(code[5]):
        return f"地方公共団体コードの検査数字が正しくありません（正しくは {with_check_digit(code[:5])}）"
    return None


def is_valid_lg_code(code: str) -> bool:
    return lg_code_problem(code) is None


def prefecture_of(code: str) -> str:
    return code[:2]
