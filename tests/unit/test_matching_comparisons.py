"""Comparison levels per field: each kind of name, birth date and address difference gets the level a
supervisor would give it (enrollment.matching.comparisons)."""

from __future__ import annotations

from datetime import date

import pytest

from enrollment.matching.comparisons import (
    ADDRESS_LEVELS,
    BIRTH_LEVELS,
    KANA_LEVELS,
    LG_LEVELS,
    NAME_LEVELS,
    SEX_LEVELS,
    compare_address,
    compare_birth_date,
    compare_kana,
    compare_lg_code,
    compare_name,
    compare_sex,
)
from enrollment.matching.features import record_features, resident_features

ADDRESS = "東京都小金井市本町1丁目2番3号 コーポ本町101"
BIRTH = date(1995, 4, 12)


def isa(name="NGUYEN VAN AN", *, birth=BIRTH, sex="M", lg_code="132101", address=ADDRESS):
    return record_features(
        record_id="isa-1", name=name, lg_code=lg_code, address=address, sex=sex, birth_date=birth
    )


def register(
    name="NGUYEN VAN AN",
    *,
    birth=BIRTH,
    sex="M",
    lg_code="132101",
    address=ADDRESS,
    kana="",
    alias="",
    status="resident",
):
    return resident_features(
        resident_id="r-1", name_alpha=name, name_kana=kana, name_kanji=alias, sex=sex, birth_date=birth,
        lg_code=lg_code, address=address, status=status,
    )  # fmt: skip


def name_level(isa_name, register_name):
    return NAME_LEVELS[compare_name(isa(isa_name), register(register_name))]


@pytest.mark.parametrize(
    ("isa_name", "register_name", "level"),
    [
        ("NGUYEN VAN AN", "NGUYEN VAN AN", "exact"),
        ("AN NGUYEN VAN", "NGUYEN VAN AN", "exact"),  # given name first
        ("NGUYỄN, VĂN AN", "NGUYEN VAN AN", "exact"),  # comma and diacritics
        ("ＮＧＵＹＥＮ　ＶＡＮ　ＡＮ", "NGUYEN VAN AN", "exact"),  # full width
        ("NGUY?N V?N AN", "NGUYEN VAN AN", "exact"),  # diacritics lost in CP932
        ("NGUYENVAN AN", "NGUYEN VAN AN", "joined"),  # merged spacing
        ("AN NGUYENVAN", "NGUYEN VAN AN", "joined"),  # merged and reordered
        ("SUPRI YADI", "SUPRIYADI", "joined"),  # split
        ("MARIA DELACRUZ", "MARIA DELA CRUZ", "joined"),
        ("NGUYEN AN", "NGUYEN VAN AN", "subset"),  # missing middle name
        ("SALAZAR MARIBEL", "SALAZAR MARIBEL DELA CRUZ", "subset"),  # a two-word middle name
        ("TRANBINH", "TRAN VAN BINH", "subset"),  # missing middle name and merged spacing
        ("NGUYEM VAN AN", "NGUYEN VAN AN", "fuzzy"),  # one-letter typo
        ("NUYEN MINH VINH", "NGUYEN MINH VINH", "fuzzy"),  # dropped letter
        ("PHAM THI LEN", "PHAM THI LIEN", "fuzzy"),
        ("SUPARMAM", "SUPARMAN", "fuzzy"),  # single-word name with a typo
        ("NGUYENVAN ANN", "NGUYEN VAN AN", "fuzzy"),  # merged spacing and a typo
        ("NGUYEN VAN ANH", "NGUYEN VAN AN", "partial"),  # AN/ANH: a typo, or a brother
        ("WATI", "WATI RAHAYU", "partial"),  # one word of the name only
        # Shares family and middle name only: its own level, whose weight each municipality's data sets
        # (next to nothing among Vietnamese names; much for a garbled given name in FEBRL).
        ("NGUYEN VAN BINH", "NGUYEN VAN AN", "token"),
        ("JOHX SMITH", "JOHN SMITH", "fuzzy"),
        ("HOLLIE BISHOP", "CAITLIN BISHOP", "token"),
        ("NGUYEN THI THANH", "NGUYEN THU THANH", "partial"),  # THI/THU: not a typo-level match
        ("TRAN THI HUONG", "LE VAN AN", "disagree"),
        # No token shared, one a typo of another, the rest replaced (FEBRL: NICHOLAS garbled, surname
        # replaced): its own level, learned; twins' given names are never typos of each other.
        ("NICHOLSA HO", "NICHOLAS EGLINTON", "near"),
        ("SOPHIE MASOJN", "HANNAH MASON", "near"),
        ("", "NGUYEN VAN AN", "missing"),
    ],
)
def test_name_levels(isa_name, register_name, level):
    assert name_level(isa_name, register_name) == level


@pytest.mark.parametrize(
    ("isa_birth", "level"),
    [
        (date(1995, 4, 12), "exact"),
        (date(1995, 4, 13), "typo"),  # one digit
        (date(1995, 7, 12), "typo"),
        (date(1959, 4, 12), "typo"),  # two neighbouring digits swapped
        (date(1995, 12, 4), "typo"),  # day and month swapped
        (date(1995, 9, 30), "year"),
        (date(1988, 1, 30), "disagree"),
        (None, "missing"),
    ],
)
def test_birth_date_levels(isa_birth, level):
    assert BIRTH_LEVELS[compare_birth_date(isa(birth=isa_birth), register())] == level


def test_sex_levels():
    assert SEX_LEVELS[compare_sex(isa(sex="男"), register(sex="M"))] == "agree"
    assert SEX_LEVELS[compare_sex(isa(sex="2"), register(sex="M"))] == "disagree"
    assert SEX_LEVELS[compare_sex(isa(sex="?"), register(sex="M"))] == "missing"


def test_municipality_code_levels():
    assert LG_LEVELS[compare_lg_code(isa(lg_code="132101"), register(lg_code="132101"))] == "exact"
    # Yokohama 中区 and 港北区 are wards of one designated city.
    assert LG_LEVELS[compare_lg_code(isa(lg_code="141046"), register(lg_code="141097"))] == "same_city"
    assert LG_LEVELS[compare_lg_code(isa(lg_code="141003"), register(lg_code="141097"))] == "same_city"
    assert LG_LEVELS[compare_lg_code(isa(lg_code="132101"), register(lg_code="131016"))] == "disagree"
    # Another municipality is what one expects of a resident who moved out or left Japan, and says
    # "somebody else" of one still living here (failure classes 2 and 3 of the matching issue).
    assert LG_LEVELS[
        compare_lg_code(isa(lg_code="132101"), register(lg_code="131016", status="moved_out"))
    ] == ("moved_away")
    assert LG_LEVELS[
        compare_lg_code(isa(lg_code="132101"), register(lg_code="131016", status="left_japan"))
    ] == ("moved_away")
    assert LG_LEVELS[compare_lg_code(isa(lg_code=""), register())] == "missing"


@pytest.mark.parametrize(
    ("isa_address", "register_address", "level"),
    [
        (ADDRESS, "小金井市本町1-2-3 コーポ本町101号室", "exact"),
        ("小金井市本町一丁目二番三号コーポ本町101", ADDRESS, "exact"),
        ("本町1-2-3-101", ADDRESS, "exact"),  # building name left out, room kept
        ("東京都小金井市本町1-2-3", ADDRESS, "block"),  # building and room left out
        # Another room: the same block and a text one character away (a slip, or a neighbour; learned).
        ("東京都小金井市本町1-2-3 コーポ本町102", ADDRESS, "block_close"),
        ("東京都小金井市本町1-2-3 ハイツ緑ヶ丘505", ADDRESS, "block"),  # another building
        ("東京都小金井市本町1-5-8", ADDRESS, "town_chome"),
        ("東京都小金井市本町3-2-3 コーポ本町101", ADDRESS, "similar"),  # another chome, one digit away
        ("東京都小金井市本町3-9-14", ADDRESS, "disagree"),  # another chome
        ("東京都小金井市緑町1-2-3 コーポ本町101", ADDRESS, "similar"),  # another town, one character away
        ("東京都府中市宮西町4-17-11", ADDRESS, "disagree"),
        # Addresses the Japanese parser does not understand (FEBRL's): a slip in the suburb.
        (
            "3 palmer street, tesbury, lake heights 2430 vic",
            "3 palmer street, tesbury, lake hieghts 2430 vic",
            "block_close",
        ),
        (
            "stockdale street, roweth lrpe, cleveland 3011 nws",
            "stockdale street, rowethorpe, cleveland 3011 nsw",
            "similar",
        ),
        # Two of its parts changed: most of the text still shared.
        (
            "5 stockdale street, rowethorpe, kingston 3011 vic",
            "stockdale street, rowethorpe, cleveland 3011 nsw",
            "resembling",
        ),
        ("", ADDRESS, "missing"),
    ],
)
def test_address_levels(isa_address, register_address, level):
    assert (
        ADDRESS_LEVELS[compare_address(isa(address=isa_address), register(address=register_address))] == level
    )


def test_kana_reading_and_alias_are_compared_with_the_latin_name():
    assert KANA_LEVELS[compare_kana(isa(), register(kana="グエン ヴァン アン"))] == "agree"
    assert KANA_LEVELS[compare_kana(isa(), register(kana="ヤマダ タロウ"))] == "disagree"
    assert KANA_LEVELS[compare_kana(isa(), register(alias="グエン・ヴァン・アン"))] == "agree"
    assert KANA_LEVELS[compare_kana(isa(), register(kana="", alias="山田太郎"))] == "missing"
    assert (
        KANA_LEVELS[compare_kana(isa("TRAN VAN ANH"), register("TRAN VAN ANH", kana="チャン ヴァン アイン"))]
        == "agree"
    )
