"""Latin name normalisation and token rules of the matcher (enrollment.matching.names)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrollment.matching.names import (
    alias_phonetic_key,
    kana_phonetic_key,
    latin_phonetic_key,
    normalize_name,
    resolve_wildcards,
    same_when_joined,
    tokens_close,
    wildcard_expansions,
)


@pytest.mark.parametrize(
    "raw",
    [
        "NGUYEN VAN AN",
        "nguyen van an",
        "NGUYỄN VĂN AN",  # diacritics
        "Nguyễn Văn An",
        "ＮＧＵＹＥＮ　ＶＡＮ　ＡＮ",  # full-width letters and ideographic space
        "  NGUYEN   VAN AN  ",  # padding and repeated spaces
        "NGUYEN,VAN AN",
        "NGUYEN, VAN AN",  # comma form
        "NGUYEN.VAN.AN",
        "NGU\u200bYEN VAN\u200f AN\u202c",  # zero-width space and bidi marks
        "\ufeffNGUYEN VAN AN",  # byte order mark at the start of a cell
        "NGUYEN\tVAN\nAN",
    ],
)
def test_notation_differences_normalise_to_the_same_name(raw):
    assert normalize_name(raw) == "NGUYEN VAN AN"


def test_vietnamese_d_with_stroke_becomes_d():
    assert normalize_name("ĐẶNG THỊ HỒNG") == "DANG THI HONG"
    assert normalize_name("đỗ đức") == "DO DUC"


def test_hyphens_split_and_apostrophes_join():
    assert normalize_name("ANNE-MARIE D'SOUZA") == "ANNE MARIE DSOUZA"
    assert normalize_name("O’BRIEN") == "OBRIEN"


def test_other_latin_letters_are_spelled_out():
    assert normalize_name("STRAßE ØRSTED ŁUKASZ") == "STRASSE ORSTED LUKASZ"


def test_cp932_lost_letters_stay_as_wildcards():
    assert normalize_name("NGUY?N V?N AN") == "NGUY?N V?N AN"
    assert normalize_name("NGUY？N") == "NGUY?N"  # full-width question mark
    assert normalize_name("NGUY\ufffdN") == "NGUY?N"  # decoding replacement character


def test_empty_and_non_latin_names_normalise_to_empty():
    assert normalize_name(None) == ""
    assert normalize_name("") == ""
    assert normalize_name("王小明") == ""
    assert normalize_name("12345 ,.-") == ""


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_normalize_name_never_raises_and_is_idempotent(text):
    once = normalize_name(text)
    assert normalize_name(once) == once
    assert once == once.strip()
    assert "  " not in once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(categories=["Lu", "Ll", "Mn", "Zs", "Pd", "Po", "Cf"])))
def test_normalize_name_is_idempotent_on_letter_heavy_text(text):
    once = normalize_name(text)
    assert normalize_name(once) == once


def test_tokens_close_allows_one_typo_in_tokens_of_four_letters_or_more():
    assert tokens_close("NGUYEN", "NGUYEM")
    assert tokens_close("NGUYEN", "NGUEYN")  # transposition
    assert tokens_close("LIEN", "LEN")  # a dropped letter
    assert tokens_close("SUPARMAN", "SUPRAMAM")  # two edits in a long token


def test_tokens_close_keeps_short_names_apart():
    assert not tokens_close("AN", "ANH")
    assert not tokens_close("LE", "LY")
    assert not tokens_close("THI", "THU")
    assert not tokens_close("HUNG", "HUONGG")  # two edits in a short token


def test_same_when_joined_handles_merged_split_and_reordered_spacing():
    assert same_when_joined(("AN", "NGUYENVAN"), ("AN", "NGUYEN", "VAN"))
    assert same_when_joined(("ANNGUYENVAN",), ("AN", "NGUYEN", "VAN"))
    assert same_when_joined(("CRUZ", "DELA", "MARIA"), ("DELACRUZ", "MARIA"))
    assert same_when_joined(("SUPRI", "YADI"), ("SUPRIYADI",))
    assert not same_when_joined(("NGUYEN", "VANAN"), ("NGUYEN", "NAVAN"))  # same letters, other name


def test_wildcards_resolve_against_the_other_name_only_when_they_fit():
    assert resolve_wildcards(("NGUY?N", "V?N", "AN"), ("AN", "NGUYEN", "VAN")) == ("NGUYEN", "VAN", "AN")
    assert resolve_wildcards(("TR?N",), ("NGUYEN",)) == ("TR?N",)


def test_wildcard_expansions_cover_the_vowel_and_d_and_give_up_when_too_many():
    assert "VAN" in wildcard_expansions("V?N")
    assert "DUC" in wildcard_expansions("??C")
    assert wildcard_expansions("???N") == []
    assert wildcard_expansions("VAN") == ["VAN"]


def test_katakana_reading_and_latin_name_share_a_phonetic_key():
    assert kana_phonetic_key("グエン ヴァン アン") == latin_phonetic_key("NGUYEN VAN AN")
    assert kana_phonetic_key("ｸﾞｴﾝ ｳﾞｧﾝ ｱﾝ") == latin_phonetic_key("NGUYEN VAN AN")  # half-width kana
    assert kana_phonetic_key("ワン シャオミン") == latin_phonetic_key("WANG XIAOMING")
    assert kana_phonetic_key("サントス マリア") == latin_phonetic_key("MARIA SANTOS")


def test_alias_key_reads_kana_and_latin_but_not_kanji():
    assert alias_phonetic_key("グエン") == kana_phonetic_key("グエン")
    assert alias_phonetic_key("ANNA") == latin_phonetic_key("ANNA")
    assert alias_phonetic_key("山田太郎") == ""
    assert kana_phonetic_key("山田") == ""
