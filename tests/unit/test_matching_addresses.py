"""Japanese address normalisation of the matcher (enrollment.matching.addresses)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrollment.matching.addresses import kanji_number, normalize_address, parse_address, towns_agree


@pytest.mark.parametrize(
    "raw",
    [
        "東京都小金井市本町1丁目2番3号",
        "小金井市本町1丁目2番3号",  # prefecture left out
        "東京都小金井市本町一丁目二番三号",  # kanji numerals
        "東京都小金井市本町1-2-3",
        "東京都小金井市本町１－２－３",  # full-width digits and hyphen
        "東京都小金井市本町1ー2ー3",  # long-vowel mark typed as a hyphen
        "東京都小金井市本町1‐2−3",  # other hyphen-like characters
        "東京都小金井市本町1丁目2-3",
        "東京都小金井市本町1丁目2番地3",
        "東京都 小金井市 本町 1-2-3",
        "〒184-0004 東京都小金井市本町1-2-3",
    ],
)
def test_block_address_notations_are_equal(raw):
    assert normalize_address(raw) == "小金井市本町1-2-3"


def test_kanji_numbers():
    assert kanji_number("一") == 1
    assert kanji_number("十") == 10
    assert kanji_number("二十三") == 23
    assert kanji_number("百二") == 102
    assert kanji_number("一〇三") == 103


def test_larger_kanji_numbers_in_a_block_address():
    assert parse_address("小金井市本町二十三番地の四").block == ("23", "4")
    assert parse_address("小金井市本町百二十番地").block == ("120",)


def test_building_and_room_are_split_from_the_block_address():
    a = parse_address("東京都小金井市本町一丁目2番3号 コーポ本町101号室")
    assert (a.town, a.block, a.building, a.room) == ("小金井市本町", ("1", "2", "3"), "コーポ本町", "101")
    assert parse_address("小金井市本町1-2-3コーポ本町101").canonical == a.canonical
    assert parse_address("小金井市本町1-2-3　コーポ本町　１０１").canonical == a.canonical


def test_a_fourth_number_is_the_room():
    a = parse_address("小金井市本町1-2-3-101")
    assert a.block == ("1", "2", "3")
    assert a.room == "101"
    assert a.building == ""


def test_numbers_inside_place_names_are_not_block_numbers():
    assert parse_address("東京都千代田区一番町23番地").town == "千代田区一番町"
    assert parse_address("東京都千代田区一番町23番地").block == ("23",)
    hokkaido = parse_address("北海道札幌市中央区北1条西2丁目3番地")
    assert (hokkaido.town, hokkaido.block) == ("札幌市中央区北1条西", ("2", "3"))


def test_county_and_oaza_are_dropped_but_kept_inside_city_names():
    assert parse_address("東京都西多摩郡瑞穂町大字箱根ケ崎123番地").town == "瑞穂町箱根ケ崎"
    assert parse_address("奈良県大和郡山市北郡山町248番地4").town == "大和郡山市北郡山町"
    assert parse_address("福島県郡山市朝日1-2-3").town == "郡山市朝日"


def test_small_ke_and_ga_are_one_spelling_in_town_names():
    assert parse_address("自由が丘1-2-3").town == parse_address("自由ヶ丘1-2-3").town


def test_town_may_leave_out_the_municipality():
    assert towns_agree("小金井市本町", "本町")
    assert towns_agree("横浜市中区本町", "中区本町")
    assert not towns_agree("中本町", "本町")
    assert not towns_agree("本町", "中町")


def test_block_key_ignores_the_municipality_prefix():
    assert parse_address("小金井市本町1-2-3").block_key() == parse_address("本町1丁目2番3号").block_key()
    assert parse_address("小金井市本町").block_key() == ""


def test_empty_address():
    assert parse_address("").is_empty
    assert parse_address(None).is_empty
    assert normalize_address("   ") == ""


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_normalize_address_never_raises_and_is_idempotent(text):
    once = normalize_address(text)
    assert normalize_address(once) == once


address_parts = st.sampled_from(
    ["東京都", "小金井市", "本町", "一", "二十三", "丁目", "番地", "番", "号", "の", "-", "ー", "－", "1", "23",
     "０", " ", "　", "コーポ", "101", "号室", "町", "条", "郡", "大字", "〒", "\u200b", "ヶ", "が"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(address_parts, max_size=14).map("".join))
def test_normalize_address_is_idempotent_on_address_like_text(text):
    once = normalize_address(text)
    assert normalize_address(once) == once
