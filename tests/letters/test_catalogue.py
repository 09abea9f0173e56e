"""Catalogues: complete in every language, placeholders intact, overrides checked, Japanese terms
inside foreign sentences tagged."""

from __future__ import annotations

import json

import pytest

from enrollment.letters import LANGUAGES, CatalogueError, catalogue_problems, load_catalogue
from enrollment.letters.catalogue import CATALOGUE_DIR, Run, fill, placeholders, tag_japanese_runs


def test_every_language_has_every_message_with_the_same_placeholders():
    assert catalogue_problems() == []
    reference = load_catalogue("ja")
    for lang in LANGUAGES:
        messages = load_catalogue(lang)
        assert messages.keys() == reference.keys(), lang
        for key, text in messages.items():
            assert placeholders(text) == placeholders(reference[key]), (lang, key)
            assert text.strip(), (lang, key)


def test_a_catalogue_file_per_language_and_no_other():
    assert sorted(p.stem for p in CATALOGUE_DIR.glob("*.json")) == sorted(LANGUAGES)
    for path in CATALOGUE_DIR.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # valid JSON, UTF-8


def test_the_deadline_office_and_phone_are_in_the_texts_that_need_them():
    for lang in LANGUAGES:
        messages = load_catalogue(lang)
        assert {"deadline", "office"} <= placeholders(messages["summary_enrollment"])
        assert {"deadline", "office"} <= placeholders(messages["summary_withdrawal"])
        assert "phone" in placeholders(messages["contact_body"])
        assert "first_date" in placeholders(messages["second_intro"])
        assert "職権による資格喪失処理" in messages["ex_officio"] or lang == "ja"


def test_no_text_asks_for_the_abolished_paper_insurance_card():
    # Paper cards stopped on 2024-12-02 (DOMAIN.md §5): nobody is told to bring 保険証.
    for lang in LANGUAGES:
        text = " ".join(load_catalogue(lang).values()).lower()
        assert "保険証" not in text
        assert "insurance card" not in text


def test_override_replaces_one_message_and_leaves_the_default_alone():
    custom = "電話（でんわ）で 聞（き）いて ください。{office}（{phone}）"
    merged = load_catalogue("ja", {"contact_body": custom})
    assert merged["contact_body"] == custom
    assert merged["title_enrollment"] == load_catalogue("ja")["title_enrollment"]
    assert load_catalogue("ja")["contact_body"] != custom


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"no_such_message": "x"}, "ありません"),
        ({"contact_body": "お問い合わせは窓口へ"}, "差し込み項目"),  # {office} and {phone} dropped
        ({"summary_enrollment": "{deadline}までに {office}で {typo}"}, "差し込み項目"),
        ({"title_enrollment": "  "}, "空"),
    ],
)
def test_override_that_would_print_a_wrong_letter_is_refused(overrides, reason):
    with pytest.raises(CatalogueError, match=reason):
        load_catalogue("ja", overrides)


def test_unknown_language_is_refused():
    with pytest.raises(CatalogueError):
        load_catalogue("xx")


def test_japanese_terms_in_foreign_sentences_are_tagged_japanese():
    runs = tag_japanese_runs("Residence card (在留カード)", "en")
    assert runs == [Run("en", "Residence card ("), Run("ja", "在留カード"), Run("en", ")")]
    # In Chinese only runs with kana are Japanese: Han characters are Chinese text.
    runs = tag_japanese_runs("在留卡（在留カード）", "zh-Hans")
    assert Run("ja", "在留カード") in runs
    assert Run("zh-Hans", "在留卡（") in runs


def test_fill_keeps_the_tags_of_values_and_refuses_missing_values():
    runs = fill("Come to {office}.", {"office": (Run("ja", "小金井市 保険年金課"),)}, "en")
    assert runs == (Run("en", "Come to "), Run("ja", "小金井市 保険年金課"), Run("en", "."))
    with pytest.raises(CatalogueError):
        fill("By {deadline}", {}, "en")
    # No attribute access or format-spec tricks from an editable text.
    assert fill("{office.__class__}", {"office": "x"}, "en") == (Run("en", "{office.__class__}"),)
