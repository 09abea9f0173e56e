"""What goes into the templates: sheet geometry from LayoutConfig, the filled and language-tagged
messages of a letter body (per `Variant`), and the personal data of an overlay page.

Everything that varies between letters of the same variant lives in `overlay_context`; a new
personal field in `body_context` would put the wrong person's data on other letters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .address import PT_PER_MM, name_font_pt, name_line, normalize_postal_code, text_width_em
from .catalogue import Run, fill, load_catalogue
from .content import LayoutConfig, LetterContent, LetterKind, Sender
from .languages import LANGUAGES, format_date

Overrides = Mapping[str, Mapping[str, str]]  # lang → message id → text (municipality wording)


@dataclass(frozen=True)
class Text:
    """One message in Japanese and in the letter's second language ("" for Japanese only)."""

    ja: SafeString
    fx: SafeString


# --- geometry ------------------------------------------------------------------------------------

SUBJECT_ROW_MM = 5.0  # one label line of the 対象者 box
SUBJECT_SLOT_MM = 7.0  # the name line of the 対象者 box
ISSUER_ROW_MM = 5.0


def geometry(layout: LayoutConfig) -> dict:
    """Every position both templates need, in mm. Sheet coordinates (from the sheet's top-left
    corner) for the overlay; `*_in` values are relative to the body's content box."""
    side, top, bottom = layout.margin_side_mm, layout.margin_top_mm, layout.margin_bottom_mm
    left, text_top, width, height = layout.text_box_mm
    window_right = layout.window_left_mm + layout.window_width_mm
    issuer_left = max(window_right + 6, 210 - side - 72)
    issuer_top = top + 1
    subject_top = issuer_top + 4 * ISSUER_ROW_MM + 3
    subject_height = 1 + 2 * SUBJECT_ROW_MM + SUBJECT_SLOT_MM
    window_bottom = layout.window_top_mm + layout.window_height_mm
    name_line = layout.name_font_pt * layout.line_height / PT_PER_MM
    fonts: dict[str, tuple[str, ...]] = {}
    for lang in LANGUAGES.values():
        fonts.setdefault(lang.css_class, lang.fonts)
    return {
        "margin_top": top,
        "margin_side": side,
        "margin_bottom": bottom,
        "font_classes": [{"name": n, "stack": ", ".join(f'"{f}"' for f in s)} for n, s in fonts.items()],
        "text_left": left,
        "text_top": text_top,
        "text_width": width,
        "text_height": height,
        "issuer_left": issuer_left,
        "issuer_top": issuer_top,
        "issuer_width": 210 - side - issuer_left,
        "issuer_row": ISSUER_ROW_MM,
        "issuer_left_in": issuer_left - side,
        "issuer_top_in": issuer_top + ISSUER_ROW_MM - top,  # below the letter number
        "address_line_mm": layout.address_font_pt * layout.line_height / PT_PER_MM,
        "name_line_mm": name_line,
        "name_top": text_top + height - name_line,
        "subject_left_in": issuer_left - side,
        "subject_top_in": subject_top - top,
        "subject_width": 210 - side - issuer_left,
        "subject_height": subject_height,
        "subject_row": SUBJECT_ROW_MM,
        "subject_slot": SUBJECT_SLOT_MM,
        "subject_name_left": issuer_left + 2,
        "subject_name_width": 210 - side - issuer_left - 4,
        "subject_name_top": subject_top + subject_height - SUBJECT_SLOT_MM,
        "head_height": max(window_bottom, subject_top + subject_height) + 3 - top,
        "fold_left": 3 - side,
        "fold_tops": [99 - top, 198 - top],
        "fold_marks": layout.fold_marks,
        "footer_top": 297 - bottom / 2 - 1.5,
        "duplex": layout.duplex,
        # The reply form: a box of two label rows and two slots at the top right of its sheet.
        "form_id_height": 2 * SUBJECT_ROW_MM + 2 * SUBJECT_SLOT_MM,
        "form_slot_left": issuer_left + 2,
        "form_slot_width": 210 - side - issuer_left - 4,
        "form_number_top": top + SUBJECT_ROW_MM,
        "form_name_top": top + 2 * SUBJECT_ROW_MM + SUBJECT_SLOT_MM,
    }


@lru_cache(maxsize=8)
def _geometry_cached(layout: LayoutConfig) -> dict:
    return geometry(layout)


def layout_problems(layout: LayoutConfig) -> list[str]:
    """Settings that cannot print a usable letter (checked at start-up by the lead's settings)."""
    problems = []
    g = geometry(layout)
    if layout.window_left_mm < 0 or layout.window_top_mm < 0:
        problems.append("窓の位置が用紙の外です")
    if g["issuer_width"] < 50:
        problems.append("窓が右に寄りすぎて、発行者欄（幅50mm以上）が入りません")
    if layout.window_top_mm + layout.window_height_mm > 99:
        problems.append("窓が三つ折りの最初の面（上から99mm）に収まっていません")
    if g["text_width"] <= 20 or g["text_height"] <= 15:
        problems.append("窓の余白が大きすぎて、宛名を印字する場所がありません")
    if layout.chunk_size < 1:
        problems.append("chunk_size は1以上にしてください")
    return problems


# --- messages ------------------------------------------------------------------------------------

# A reading in brackets after kanji, 国民健康保険（こくみんけんこうほけん）: printed smaller, like ruby, and
# never split across lines. The brackets stay in the text (copy, search, screen readers). One span
# per reading: a second (to keep the word with its reading) costs 15 % of a preview's time.
_READING = re.compile(r"([\u3400-\u9fff\u3005]+)(（[\u3041-\u309f\u30fc]+）)")


def _html(runs: Iterable[Run], block_lang: str) -> SafeString:
    parts = []
    for run in runs:
        text = escape(run.text)
        if run.lang == "ja":
            text = _READING.sub(r'\1<span class="yomi">\2</span>', text)
        if run.lang == block_lang:
            parts.append(text)
        else:
            parts.append(f'<span lang="{run.lang}" class="{LANGUAGES[run.lang].css_class}">{text}</span>')
    return mark_safe("".join(parts))  # noqa: S308 - every piece escaped above


class Catalogues:
    """Catalogues loaded once per render call, with the municipality's overrides."""

    def __init__(self, overrides: Overrides | None) -> None:
        self.overrides = overrides or {}
        self._loaded: dict[str, Mapping[str, str]] = {}

    def __call__(self, lang: str) -> Mapping[str, str]:
        if lang not in self._loaded:
            self._loaded[lang] = load_catalogue(lang, self.overrides.get(lang))
        return self._loaded[lang]


def overrides_key(overrides: Overrides | None) -> tuple:
    if not overrides:
        return ()
    return tuple(sorted((lang, tuple(sorted(msgs.items()))) for lang, msgs in overrides.items()))


@dataclass(frozen=True)
class Variant:
    """Everything the body text of a letter depends on; letters with equal variants share a body."""

    kind: LetterKind
    second: bool
    fx_lang: str | None
    issue_date: date
    ex_officio: bool
    lost_employee_insurance: bool
    deadline: date | None
    first_letter_date: date | None
    has_subject: bool
    household_note: bool
    national: bool = False  # a Japanese national: no residence card, no three-month rule

    @property
    def reply_form(self) -> bool:
        return self.kind == LetterKind.WITHDRAWAL


def variant_of(letter: LetterContent) -> Variant:
    subject = letter.subject_name.strip()
    return Variant(
        kind=LetterKind(letter.kind),
        second=letter.second,
        fx_lang=letter.foreign_language,
        issue_date=letter.issue_date,
        ex_officio=letter.ex_officio_notice,
        lost_employee_insurance=letter.lost_employee_insurance and letter.kind == LetterKind.ENROLLMENT,
        deadline=letter.deadline,
        first_letter_date=letter.first_letter_date if letter.second else None,
        has_subject=bool(subject),
        household_note=bool(subject) and subject != letter.addressee_name.strip(),
        national=letter.japanese_national,
    )


def _bring_keys(v: Variant) -> list[str]:
    # Japanese nationals have no residence card, and need no passport to enroll.
    if v.kind == LetterKind.WITHDRAWAL:
        keys = ["bring_this_letter", "bring_new_insurance_proof", "bring_my_number"]
        return keys if v.national else [*keys, "bring_residence_card"]
    keys = ["bring_this_letter", "bring_my_number"]
    if not v.national:
        keys[1:1] = ["bring_residence_card", "bring_passport"]
    if v.lost_employee_insurance:
        keys.append("bring_loss_certificate")
    return keys


def _why_key(v: Variant) -> str:
    """The reason, spoken to the person concerned, or about them to the head of household."""
    key = f"why_{v.kind.value}"
    if v.kind == LetterKind.ENROLLMENT and v.national:
        key += "_national"
    return key + ("_other" if v.household_note else "")


_FORM_KEYS = (
    "form_title", "form_intro", "form_person", "form_family", "form_insurer", "form_number",
    "form_acquired", "form_employer", "form_enclose", "form_signature", "form_phone", "form_date",
    "form_send_to",
)  # fmt: skip
# The reply form's rows: (message, a tall box for handwriting, what is pre-printed in the box).
_FORM_ROWS = (
    ("form_family", True, ""),
    ("form_insurer", False, ""),
    ("form_number", False, ""),
    ("form_acquired", False, "　　　　年　　　月　　　日"),
    ("form_employer", False, ""),
    ("form_signature", False, ""),
    ("form_phone", False, ""),
    ("form_date", False, "　　　　年　　　月　　　日"),
)
_WELCOME_KEYS = (
    "card_heading", "welcome_card", "premium_heading", "welcome_premium", "welcome_pay",
    "welcome_prepay", "welcome_unpaid", "welcome_change",
)  # fmt: skip


_LABEL_KEYS = (
    "subject_label",
    "household_head_note",
    "summary_heading",
    "deadline_label",
    "why_heading",
    "bring_heading",
    "where_heading",
    "where_place",
    "where_hours",
    "contact_heading",
    "contact_body",
    "already_done",
)


def _format(value: date | None, lang: str) -> str:
    return format_date(value, lang) if value else ""


def body_context(v: Variant, sender: Sender, catalogues: Catalogues, anchor: str = "") -> dict:
    """The template context of one variant's body (everything but the personal data)."""
    fx_lang = v.fx_lang
    ja_msgs, fx_msgs = catalogues("ja"), catalogues(fx_lang) if fx_lang else None
    postal = normalize_postal_code(sender.postal_code) or sender.postal_code
    office_address = f"〒{postal} {sender.address}"
    if sender.counter:
        office_address += f" {sender.counter}"
    common = {"phone": sender.phone, "opens": sender.opens, "closes": sender.closes}
    values_ja = common | {
        "deadline": _format(v.deadline, "ja"),
        "office": sender.office,
        "office_address": office_address,
        "first_date": _format(v.first_letter_date, "ja"),
        "hours": sender.hours or f"月曜日〜金曜日 {sender.opens}〜{sender.closes}",
        "interpreter": sender.interpreter,
    }
    values_fx: dict = {}
    if fx_lang:
        # The office's Japanese name and address (what the resident shows, what the post reads),
        # then their Latin forms. Chinese readers read the Japanese kanji; Latin adds nothing.
        latin = fx_lang != "zh-Hans"
        office: tuple[Run, ...] = (Run("ja", sender.office),)
        if sender.office_latin and latin:
            office += (Run(fx_lang, f" ({sender.office_latin})"),)
        address: tuple[Run, ...] = (Run("ja", office_address),)
        address_latin = ", ".join(part for part in (sender.counter_latin, sender.address_latin) if part)
        if address_latin and latin:
            address += (Run(fx_lang, f" ({address_latin}, {postal})"),)
        values_fx = common | {
            "deadline": _format(v.deadline, fx_lang),
            "office": office,
            "office_address": address,
            "first_date": _format(v.first_letter_date, fx_lang),
            "hours": sender.hours_latin or f"Mon–Fri {sender.opens}–{sender.closes}",
            "interpreter": sender.interpreter_latin or (Run("ja", sender.interpreter),),
        }

    def text(key: str) -> Text:
        ja = _html(fill(ja_msgs[key], values_ja, "ja"), "ja")
        if fx_lang is None or fx_msgs is None:
            return Text(ja, SafeString(""))
        return Text(ja, _html(fill(fx_msgs[key], values_fx, fx_lang), fx_lang))

    kind = v.kind.value
    other = "_other" if v.household_note else ""
    context = {
        "anchor": anchor,
        "kind": kind,
        "fx": LANGUAGES[fx_lang] if fx_lang else None,
        "solo": fx_lang is None,
        "has_subject": v.has_subject,
        "household_note": v.household_note,
        "issue_date_ja": format_date(v.issue_date, "ja"),
        "issue_date_fx": format_date(v.issue_date, fx_lang) if fx_lang else "",
        "issuer": sender.issuer or sender.municipality_name,
        "deadline_ja": _format(v.deadline, "ja"),
        "deadline_fx": _format(v.deadline, fx_lang) if fx_lang else "",
        "title": text(f"title_{kind}"),
        "interpreter": text("interpreter") if sender.interpreter else None,
        "msg": {key: text(key) for key in _LABEL_KEYS},
    }
    if v.kind == LetterKind.WELCOME:
        context |= {
            "intro": text(f"welcome_intro{other}"),
            "welcome": {key: text(key) for key in _WELCOME_KEYS},
            "prepay": sender.prepayment,
            "unpaid": not v.national,  # the residence-status warning concerns foreign nationals
        }
        return context
    return context | {
        "summary": text(f"summary_{kind}{other}"),
        "why": text(_why_key(v)),
        "late_enrollment": text("late_enrollment") if v.kind == LetterKind.ENROLLMENT else None,
        "ex_officio": text(f"ex_officio{other}") if v.ex_officio else None,
        "second_notice": text("second_notice") if v.second else None,
        "second_intro": text("second_intro") if v.second else None,
        "bring": [text(key) for key in _bring_keys(v)],
        "post_reply": text("post_reply") if v.reply_form else None,
        "form": (form := {key: text(key) for key in _FORM_KEYS}) if v.reply_form else None,
        "form_rows": [(form[key], tall, filler) for key, tall, filler in _FORM_ROWS] if v.reply_form else [],
        "form_anchor": f"f{anchor}" if v.reply_form and anchor else "",
        "office_address_ja": office_address,
        "office_ja": sender.office,
    }


def overlay_context(letter: LetterContent, layout: LayoutConfig, sender: Sender) -> dict:
    """The personal data of one letter, for its overlay page."""
    fx_lang = letter.foreign_language
    subject = letter.subject_name.strip()
    subject_pt = 12.0
    if subject:
        fitting = _geometry_cached(layout)["subject_name_width"] * PT_PER_MM / text_width_em(f"{subject} 様")
        if fitting < 12:
            subject_pt = max(7.0, round(fitting - 0.05, 1))
    name_pt = name_font_pt(letter.addressee_name, layout) or layout.min_name_font_pt
    form_name = f"{subject or letter.addressee_name.strip()} 様"
    form_pt = 12.0
    if letter.reply_form:
        fitting = _geometry_cached(layout)["form_slot_width"] * PT_PER_MM / text_width_em(form_name)
        if fitting < 12:
            form_pt = max(7.0, round(fitting - 0.05, 1))
    return {
        "letter_number": letter.letter_number,
        "postal_code": normalize_postal_code(letter.postal_code) or letter.postal_code,
        "address_lines": [line.strip() for line in letter.address_lines if line and line.strip()],
        "name_line": name_line(letter.addressee_name),
        "name_style": f"font-size: {name_pt}pt" if name_pt != layout.name_font_pt else "",
        "name_pt": name_pt,
        "subject_name": subject,
        "subject_style": f"font-size: {subject_pt}pt" if subject_pt != 12 else "",
        "subject_pt": subject_pt,
        "fx": LANGUAGES[fx_lang] if fx_lang else None,
        "form": letter.reply_form,
        "form_name": form_name,
        "form_name_style": f"font-size: {form_pt}pt" if form_pt != 12 else "",
        "form_name_pt": form_pt,
    }
