"""What a letter says and where it goes on the sheet: plain dataclasses filled by the caller (the
case service builds them from the ORM; tests and samples build them by hand). No Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .languages import LANGUAGES, language_for_nationality


class LetterKind(StrEnum):
    ENROLLMENT = "enrollment"  # 加入勧奨（資格取得届の勧奨）: you seem to need to join NHI
    WITHDRAWAL = "withdrawal"  # 資格喪失届の勧奨: you joined employee insurance, file the withdrawal
    WELCOME = "welcome"  # 加入のお知らせ: after enrollment, what follows (certificate, premiums)


KIND_LABELS_JA = {
    (LetterKind.ENROLLMENT, False): "加入勧奨",
    (LetterKind.ENROLLMENT, True): "加入再勧奨",
    (LetterKind.WITHDRAWAL, False): "資格喪失届の勧奨",
    (LetterKind.WITHDRAWAL, True): "資格喪失届の再勧奨",
    (LetterKind.WELCOME, False): "加入のお知らせ",
}


@dataclass(frozen=True)
class LayoutConfig:
    """Sheet geometry, in mm from the top-left corner of the A4 sheet (210 × 297 mm).

    The window is the envelope's window as it lies over the sheet when the sheet is folded in three
    (Z or C fold, first panel = top 99 mm) and put in a 長形3号 window envelope (120 × 235 mm).
    The defaults fit the common 長3 window of 90 × 45 mm at 20 mm from the left and 12 mm from
    the top; measure the office's envelope stock with `render_test_sheet` and set these from
    Django settings. The sheet can slide a few mm in the envelope, so text stays
    `window_padding_mm` inside the window on every side.
    """

    window_left_mm: float = 20.0
    window_top_mm: float = 12.0
    window_width_mm: float = 90.0
    window_height_mm: float = 45.0
    window_padding_mm: float = 4.0
    address_font_pt: float = 11.0  # postal code and address lines
    name_font_pt: float = 14.0  # addressee name; shrinks for a long name …
    min_name_font_pt: float = 9.0  # … but not below this (a longer name holds the letter)
    line_height: float = 1.35  # in the window
    name_gap_mm: float = 2.0  # between the last address line and the name
    margin_top_mm: float = 10.0
    margin_side_mm: float = 15.0
    margin_bottom_mm: float = 14.0
    fold_marks: bool = True  # short ticks at the left edge where the sheet is folded (99, 198 mm)
    duplex: bool = False  # printed on both sides: every letter starts on a front page
    chunk_size: int = 250  # letters per WeasyPrint document in a batch (speed vs memory; 100
    # measured no better in the 10,000-letter benchmark, 1,000 about 50 % more CPU a letter)

    @property
    def text_box_mm(self) -> tuple[float, float, float, float]:
        """(left, top, width, height) of the area address text may use: window minus padding."""
        pad = self.window_padding_mm
        return (
            self.window_left_mm + pad,
            self.window_top_mm + pad,
            self.window_width_mm - 2 * pad,
            self.window_height_mm - 2 * pad,
        )


@dataclass(frozen=True)
class Sender:
    """The NHI office that sends the letter; its counter is where residents come."""

    municipality_name: str  # 小金井市
    department: str  # 市民部 保険年金課
    postal_code: str  # 184-8504
    address: str  # 東京都小金井市本町6丁目6番3号
    phone: str  # 042-387-9999
    opens: str = "8:30"
    closes: str = "17:15"
    issuer: str = ""  # the 名義 printed under the date, e.g. 小金井市長; default: municipality name
    office_latin: str = ""  # e.g. "Koganei City Hall, Insurance and Pension Division", shown to
    # foreign readers beside the Japanese office name
    counter: str = ""  # where in the building, e.g. 第二庁舎1階 5番窓口
    address_latin: str = ""  # e.g. "6-6-3 Honcho, Koganei-shi, Tokyo"
    counter_latin: str = ""  # e.g. "Annex Building 1F, Counter 5"
    hours: str = ""  # the opening hours as the municipality writes them (default: opens〜closes)
    hours_latin: str = ""  # e.g. "Weekdays 8:30-17:15"
    interpreter: str = ""  # interpreters or a language line at the counter; "" = none offered
    interpreter_latin: str = ""
    prepayment: bool = False  # 前納: premiums may be paid in advance (told in the welcome letter)

    @property
    def office(self) -> str:
        return f"{self.municipality_name} {self.department}".strip()


@dataclass(frozen=True)
class LetterContent:
    """One reminder letter (勧奨通知) to one household.

    `addressee_name` is who the envelope is addressed to: the head of household (世帯主), who
    makes NHI notifications. `subject_name` is the person the letter is about (対象者) when that is
    someone else or should be named explicitly. The letter's second language follows `language`
    if given, else the subject's `nationality` (ISO 3166-1 alpha-2).
    """

    kind: LetterKind
    letter_number: str  # e.g. 132101-2026-000123
    issue_date: date
    deadline: date | None  # None only for a welcome letter, which asks for nothing by a date
    postal_code: str  # 7 digits, with or without hyphen or 〒
    address_lines: tuple[str, ...]
    addressee_name: str
    subject_name: str = ""
    nationality: str = ""
    language: str | None = None  # explicit choice (the resident asked); "ja" = Japanese only
    second: bool = False  # 再勧奨: the second notice
    first_letter_date: date | None = None  # date of the first notice; required when second
    ex_officio_notice: bool = False  # withdrawal only: print the 職権による資格喪失処理 statement
    lost_employee_insurance: bool = False  # enrollment: ask for 健康保険資格喪失証明書
    # (ISA annex 2 separation, pension list of lost category-2 status)

    @property
    def japanese_national(self) -> bool:
        """A Japanese national (in a withdrawal case from the pension lists, or a family member):
        no residence card, no foreigners' three-month rule."""
        return self.nationality.strip().upper() == "JP"

    @property
    def reply_form(self) -> bool:
        """Withdrawal reminders carry a reply form (資格喪失届 by post) on a sheet of its own."""
        return self.kind == LetterKind.WITHDRAWAL

    @property
    def foreign_language(self) -> str | None:
        """The language printed beside Japanese, or None for a Japanese-only letter."""
        if self.language is not None:
            return None if self.language == "ja" else self.language
        return language_for_nationality(self.nationality)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS_JA[(LetterKind(self.kind), self.second)]


def _add_months(value: date, months: int) -> date:
    month0 = value.month - 1 + months
    year, month = value.year + month0 // 12, month0 % 12 + 1
    for day in (value.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def content_problems(letter: LetterContent) -> list[str]:
    """Reasons in Japanese why this letter must not be printed as it is (not the address)."""
    problems: list[str] = []
    if letter.kind not in tuple(LetterKind):
        problems.append(f"通知の種類「{letter.kind}」は不明です")
    if not letter.letter_number.strip():
        problems.append("通知番号がありません")
    if not letter.addressee_name.strip():
        problems.append("宛名がありません")
    if letter.kind == LetterKind.WELCOME:
        if letter.second or letter.ex_officio_notice:
            problems.append("加入のお知らせに再勧奨や職権喪失の記載は使えません")
    elif letter.deadline is None:
        problems.append("回答期限がありません")
    elif letter.deadline <= letter.issue_date:
        problems.append("期限が発行日より後になっていません")
    if letter.second:
        if letter.first_letter_date is None:
            problems.append("再勧奨には前回の通知日が必要です")
        elif letter.first_letter_date >= letter.issue_date:
            problems.append("前回の通知日が発行日より前になっていません")
    if letter.ex_officio_notice:
        if letter.kind != LetterKind.WITHDRAWAL:
            problems.append("職権による資格喪失処理の記載は資格喪失届の勧奨にだけ使えます")
        # DOMAIN §3: ex officio withdrawal needs a designated date at least one month after the
        # reminder that announced it. That is the first reminder; the second repeats the warning
        # with its own, shorter deadline (at least 14 days).
        elif not letter.second and (letter.deadline or letter.issue_date) < _add_months(letter.issue_date, 1):
            problems.append("職権による資格喪失処理を記載するときは、期限を発行日の1か月後以降にしてください")
    foreign = letter.foreign_language
    if foreign is not None and foreign not in LANGUAGES:
        problems.append(f"言語「{foreign}」の文面はありません")
    return problems
