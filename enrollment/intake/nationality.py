"""Nationality notations in register extracts → ISO 3166-1 alpha-2."""

from __future__ import annotations

# The nationalities a municipal register sees most, in the notations extracts use.
_ALIASES = {
    "JP": ("JPN", "日本", "ニホン"),
    "VN": ("VNM", "ベトナム", "VIETNAM", "VIET NAM"),
    "CN": ("CHN", "中国", "中華人民共和国", "CHINA"),
    "PH": ("PHL", "フィリピン", "PHILIPPINES"),
    "ID": ("IDN", "インドネシア", "INDONESIA"),
    "MM": ("MMR", "ミャンマー", "MYANMAR"),
    "NP": ("NPL", "ネパール", "NEPAL"),
    "KR": ("KOR", "韓国", "大韓民国", "KOREA"),
    "KP": ("PRK", "朝鮮"),
    "TW": ("TWN", "台湾", "TAIWAN"),
    "BR": ("BRA", "ブラジル", "BRAZIL"),
    "PE": ("PER", "ペルー", "PERU"),
    "TH": ("THA", "タイ", "THAILAND"),
    "LK": ("LKA", "スリランカ", "SRI LANKA"),
    "BD": ("BGD", "バングラデシュ", "BANGLADESH"),
    "KH": ("KHM", "カンボジア", "CAMBODIA"),
    "MN": ("MNG", "モンゴル", "MONGOLIA"),
    "IN": ("IND", "インド", "INDIA"),
    "PK": ("PAK", "パキスタン", "PAKISTAN"),
    "US": ("USA", "アメリカ", "アメリカ合衆国", "米国", "UNITED STATES"),
    "GB": ("GBR", "英国", "イギリス", "UNITED KINGDOM"),
    "UZ": ("UZB", "ウズベキスタン", "UZBEKISTAN"),
    "LA": ("LAO", "ラオス", "LAOS"),
}
_LOOKUP = {alias: code for code, aliases in _ALIASES.items() for alias in (code, *aliases)}


def parse_nationality(value: str) -> tuple[str, str | None]:
    text = value.strip().upper()
    if not text:
        return "", "国籍が空です"
    if text in _LOOKUP:
        return _LOOKUP[text], None
    if len(text) == 2 and text.isascii() and text.isalpha():
        return text, None  # another ISO alpha-2 code
    return "", "国籍は ISO 3166-1 の2文字コード（VN、CN など）か、主な国名（ベトナム など）で指定してください"


def nationality_cell(raw: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Columnar cell function (nhi_portal.intake.columns)."""
    from nhi_portal.intake.values import clean_text

    cleaned = clean_text(raw)
    if any(severity == "error" for _, severity in cleaned.problems):
        return "", tuple(cleaned.problems)
    code, reason = parse_nationality(cleaned.value)
    problems = tuple(cleaned.problems)
    return code, (*problems, (reason, "error")) if reason else problems
