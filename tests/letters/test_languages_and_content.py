"""Which language a resident gets, how dates are written, and which letters must not be printed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from enrollment.letters import LetterKind, content_problems, format_date, language_for_nationality
from enrollment.letters.samples import sample_letter


@pytest.mark.parametrize(
    ("nationality", "lang"),
    [("VN", "vi"), ("ID", "id"), ("MM", "my"), ("CN", "zh-Hans"), ("NP", "ne"), ("PH", "en"),
     ("BR", "en"), ("vn", "vi"), ("JP", None), ("", "en")],
)  # fmt: skip
def test_second_language_follows_nationality(nationality, lang):
    assert language_for_nationality(nationality) == lang


def test_explicit_language_wins_over_nationality():
    letter = sample_letter("enrollment", "vi")
    assert letter.foreign_language == "vi"
    assert replace(letter, language="en").foreign_language == "en"
    assert replace(letter, language="ja").foreign_language is None


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ja", "令和8年（2026年）12月25日"),
        ("en", "December 25, 2026"),
        ("vi", "ngày 25 tháng 12 năm 2026"),
        ("id", "25 Desember 2026"),
        ("zh-Hans", "2026年12月25日"),
        ("my", "၂၀၂၆ ခုနှစ် ဒီဇင်ဘာလ ၂၅ ရက်"),
        ("ne", "सन् २०२६ डिसेम्बर २५"),
    ],
)
def test_dates_are_written_as_each_language_writes_them(lang, text):
    assert format_date(date(2026, 12, 25), lang) == text


def test_first_year_of_an_era_is_gannen():
    assert format_date(date(2019, 5, 1), "ja") == "令和元年（2019年）5月1日"


def test_sample_letters_are_consistent():
    for kind in ("enrollment", "withdrawal", "enrollment_second", "withdrawal_second"):
        assert content_problems(sample_letter(kind, "vi")) == []


def test_second_notice_needs_the_first_letter_date():
    letter = replace(sample_letter("enrollment_second", "vi"), first_letter_date=None)
    assert any("前回の通知日" in p for p in content_problems(letter))


def test_ex_officio_statement_only_on_withdrawal_reminders():
    letter = replace(sample_letter("enrollment", "vi"), ex_officio_notice=True)
    assert any("資格喪失届の勧奨にだけ" in p for p in content_problems(letter))


def test_ex_officio_needs_a_deadline_at_least_a_month_after_the_letter():
    # DOMAIN.md §3: the designated date must be at least one month after the reminder.
    letter = sample_letter("withdrawal", "vi")
    assert letter.kind == LetterKind.WITHDRAWAL and letter.ex_officio_notice
    too_soon = replace(letter, issue_date=date(2026, 11, 25), deadline=date(2026, 12, 24))
    assert any("1か月後以降" in p for p in content_problems(too_soon))
    assert content_problems(replace(too_soon, deadline=date(2026, 12, 25))) == []
    month_end = replace(letter, issue_date=date(2027, 1, 31), deadline=date(2027, 2, 28))
    assert content_problems(month_end) == []


def test_deadline_must_follow_issue_date():
    letter = replace(sample_letter("enrollment", "vi"), deadline=date(2026, 11, 1))
    assert any("期限" in p for p in content_problems(letter))
