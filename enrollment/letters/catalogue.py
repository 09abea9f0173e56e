"""Letter texts: one JSON catalogue per language (catalogues/<lang>.json, message id → text with
{placeholders}), municipality overrides on top, and filling a message into tagged text runs.

A municipality edits wording without code: the lead stores overrides per municipality and passes
them to `load_catalogue(lang, overrides)`. An override must keep the message's placeholders, so a
letter can never lose its deadline or phone number through an edit. Pure Python; no Django.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from .languages import LANGUAGES

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogues"

# Only {lower_snake} names are placeholders; str.format is not used because an editable text
# must not reach attributes ({office.__class__}) or crash on a stray brace.
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class CatalogueError(ValueError):
    """A catalogue or override that would print a wrong letter; the message says what and where."""


def placeholders(text: str) -> frozenset[str]:
    return frozenset(_PLACEHOLDER.findall(text))


@cache
def _default_catalogue(lang: str) -> Mapping[str, str]:
    if lang not in LANGUAGES:
        raise CatalogueError(f"言語 {lang} のカタログはありません（使える言語: {', '.join(LANGUAGES)}）")
    path = CATALOGUE_DIR / f"{lang}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise CatalogueError(f"{path.name}: メッセージIDと文字列の組でなければなりません")
    return MappingProxyType(data)


def load_catalogue(lang: str, overrides: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """The messages of `lang`: the shipped default with `overrides` (message id → text) applied.

    Raises CatalogueError for an unknown message id, or an override whose placeholders differ
    from the default text's (a dropped {deadline} would print a letter without its deadline).
    """
    base = _default_catalogue(lang)
    if not overrides:
        return base
    merged = dict(base)
    for key, text in overrides.items():
        if key not in base:
            raise CatalogueError(f"{lang}: メッセージID「{key}」はありません")
        if not isinstance(text, str) or not text.strip():
            raise CatalogueError(f"{lang}/{key}: 空の文言は使えません")
        if placeholders(text) != placeholders(base[key]):
            expected = "、".join(sorted(f"{{{p}}}" for p in placeholders(base[key]))) or "なし"
            raise CatalogueError(f"{lang}/{key}: 差し込み項目は {expected} と同じでなければなりません")
        merged[key] = text
    return MappingProxyType(merged)


def catalogue_problems() -> list[str]:
    """Every way the shipped catalogues disagree with the Japanese one (keys, placeholders)."""
    problems: list[str] = []
    reference = _default_catalogue("ja")
    for lang in LANGUAGES:
        messages = _default_catalogue(lang)
        for key in sorted(reference.keys() - messages.keys()):
            problems.append(f"{lang}: 「{key}」がありません")
        for key in sorted(messages.keys() - reference.keys()):
            problems.append(f"{lang}: 「{key}」は日本語カタログにありません")
        for key in sorted(reference.keys() & messages.keys()):
            if placeholders(messages[key]) != placeholders(reference[key]):
                problems.append(f"{lang}/{key}: 差し込み項目が日本語と違います")
            if not messages[key].strip():
                problems.append(f"{lang}/{key}: 空です")
            stray = _PLACEHOLDER.sub("", messages[key])
            if "{" in stray or "}" in stray:
                problems.append(f"{lang}/{key}: 差し込み項目の書き方が正しくありません")
    return problems


# --- filling messages into language-tagged runs -------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A piece of text with the language its glyphs must come from."""

    lang: str
    text: str


_KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006"
# A Japanese term quoted in a non-CJK sentence: kana, kanji, the prolonged sound mark and CJK or
# full-width punctuation. In Chinese only runs with kana are Japanese (Han is Chinese there).
_JA_IN_OTHER = re.compile(f"[{_KANA}{_HAN}\u3000-\u303f\uff01-\uff65]+")
_JA_IN_CHINESE = re.compile(f"[{_KANA}{_HAN}]*[{_KANA}][{_KANA}{_HAN}]*")


def tag_japanese_runs(text: str, lang: str) -> list[Run]:
    """Split a `lang` sentence into runs, tagging quoted Japanese (在留カード) as lang="ja" so it
    gets Japanese glyph forms and the Japanese font."""
    if lang == "ja" or not text:
        return [Run(lang, text)] if text else []
    pattern = _JA_IN_CHINESE if lang == "zh-Hans" else _JA_IN_OTHER
    runs: list[Run] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            runs.append(Run(lang, text[pos : m.start()]))
        runs.append(Run("ja", m.group()))
        pos = m.end()
    if pos < len(text):
        runs.append(Run(lang, text[pos:]))
    return runs


Value = str | tuple[Run, ...]


def fill(template: str, values: Mapping[str, Value], lang: str) -> tuple[Run, ...]:
    """Substitute {placeholders} in a `lang` message. A str value is text of the message's
    language; a tuple of runs keeps its own tags (the office's Japanese name in a Burmese line)."""
    runs: list[Run] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        runs.extend(tag_japanese_runs(template[pos : m.start()], lang))
        name = m.group(1)
        if name not in values:
            raise CatalogueError(f"{lang}: 差し込み項目 {{{name}}} の値がありません")
        value = values[name]
        runs.extend(tag_japanese_runs(value, lang) if isinstance(value, str) else value)
        pos = m.end()
    runs.extend(tag_japanese_runs(template[pos:], lang))
    return tuple(_merge(runs))


def _merge(runs: list[Run]) -> list[Run]:
    merged: list[Run] = []
    for run in runs:
        if not run.text:
            continue
        if merged and merged[-1].lang == run.lang:
            merged[-1] = Run(run.lang, merged[-1].text + run.text)
        else:
            merged.append(run)
    return merged
