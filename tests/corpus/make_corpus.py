"""Generate the bad-input corpus (tests/corpus/<kind>/*.csv) and its manifest.

Run once from the project root after changing a case, and commit the outputs:

    .venv/bin/python tests/corpus/make_corpus.py

Deterministic: the same script writes the same bytes (no timestamps; the zip and xlsx members
carry a fixed date). Every file is small; the one large case (a 100 MB single line) is built
on the fly by tests/reliability/test_bad_input_corpus.py in tmp_path.

Each manifest entry says what the importer must do with the file:

- ``outcome``: ``rejected`` (structural problem: nothing imported, the batch holds the reason),
  ``needs_attention`` (imported, its row problems listed with line and column) or ``imported``.
- ``message`` / ``line`` / ``column``: a fragment of the rejection reason, the line it must name
  (``N行目``) and, for header problems, the column named in the reason; ``details``: more
  fragments (a money file rejected for its rows lists each ``N行目、列「C」``).
- ``problems``: for row problems, each ``{line, column, reason, severity}`` that must be listed.
- ``stored``: how many rows of the file must be stored (ISA rows are all kept; register and
  ledger rows with an error are not applied).
- ``options``: extra arguments for ``batch_receive`` (``annex``, ``mode``).
- ``bug``: a known defect (the test is ``xfail(strict=True)`` with this reason). The length
  defects show as a failed batch on PostgreSQL and as an unchecked over-long value on SQLite;
  ``bug_on`` names the one database a defect shows on, when it shows on only one.

The municipality is the test one: 小金井市, code 132101.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LG = "132101"  # 小金井市
ENTRIES: list[dict] = []

ISA_BASE = ["氏名（英字）", "住居地（地方公共団体コード）", "住居地", "性別", "生年月日"]
ISA_EVENT = {1: "入国年月日（上陸年月日）", 2: "受入終了（離職）年月日", 3: "在留資格変更年月日"}
ISA_HEADER = [*ISA_BASE, ISA_EVENT[1]]
ISA_GOOD = [
    ["NGUYEN VAN AN", LG, "東京都小金井市本町一丁目2番3号", "男", "19980412", "20261001"],
    ["TRAN THI BINH", LG, "東京都小金井市中町2-3-4", "女", "20000105", "20261002"],
    ["SITI RAHAYU", LG, "東京都小金井市前原町3丁目1番5号 メゾン前原201", "女", "19990720", "20261003"],
]
NAME, CODE, ADDRESS, SEX, BIRTH, EVENT = ISA_HEADER

RESIDENT_HEADER = [
    "resident_code", "name_alpha", "name_kana", "name_kanji", "sex", "birth_date", "nationality",
    "residence_status", "lg_code", "address", "moved_in_date", "moved_out_date", "status",
    "postal_code", "household_head_code",
]  # fmt: skip
LEDGER_HEADER = [
    "insured_number",
    "resident_code",
    "household_head_code",
    "acquired_date",
    "lost_date",
    "lost_reason",
]
PENSION_HEADER = [
    "氏名（英字）",
    "氏名（カナ）",
    "性別",
    "生年月日",
    "住所",
    "資格喪失年月日",
    "基礎年金番号",
]
PENSION_GOOD = [
    [
        "NGUYEN VAN AN",
        "グエン ヴァン アン",
        "男",
        "19980412",
        "東京都小金井市本町1-2-3",
        "20260915",
        "1234-567890",
    ],
    [
        "TRAN THI BINH",
        "チャン ティ ビン",
        "女",
        "20000105",
        "東京都小金井市中町2-3-4",
        "令和8年9月30日",
        "2345-678901",
    ],
]
PAYMENTS_HEADER = [
    "household_head_code",
    "fiscal_year",
    "instalment",
    "amount",
    "paid_date",
    "channel",
    "receipt_number",
]
PAYMENTS_GOOD = [
    ["10000000001", "2026", "1", "12300", "20260731", "bank", "R-0001"],
    ["10000000002", "令和8年度", "第2期", "12,300", "令和8年8月31日", "コンビニ", "R-0002"],
]


def resident_row(code: str, **values: str) -> list[str]:
    row = {
        "resident_code": code, "name_alpha": "NGUYEN VAN AN", "name_kana": "グエン ヴァン アン",
        "name_kanji": "", "sex": "1", "birth_date": "1998-04-12", "nationality": "VN",
        "residence_status": "特定技能1号", "lg_code": LG, "address": "東京都小金井市本町1丁目2番3号",
        "moved_in_date": "2024-04-01", "moved_out_date": "", "status": "在住", "postal_code": "184-0004",
        "household_head_code": code,
    }  # fmt: skip
    row.update(values)
    return [row[h] for h in RESIDENT_HEADER]


def ledger_row(
    number: str, code: str = "10000000001", acquired: str = "2025-04-01", lost: str = "", reason: str = ""
):
    return [number, code, code, acquired, lost, reason]


def quote(value: str) -> str:
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_text(header, rows, *, newline="\r\n", final_newline=True) -> str:
    lines = [",".join(quote(v) for v in header), *(",".join(quote(v) for v in row) for row in rows)]
    return newline.join(lines) + (newline if final_newline else "")


def tsv_text(header, rows, *, newline="\r\n") -> str:
    """Tab-separated, as Excel writes its text formats."""
    return newline.join(["\t".join(header), *("\t".join(row) for row in rows)]) + newline


def csv_bytes(header, rows, *, encoding="cp932", newline="\r\n", final_newline=True, bom=False) -> bytes:
    data = csv_text(header, rows, newline=newline, final_newline=final_newline).encode(encoding)
    return b"\xef\xbb\xbf" + data if bom else data


def add(kind: str, name: str, data: bytes, description: str, **expect) -> None:
    folder = HERE / kind
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    entry = {"file": f"{kind}/{name}", "kind": kind, "description": description}
    entry.update(expect)
    entry.setdefault("options", {})
    entry.setdefault("line", None)
    entry.setdefault("column", None)
    entry.setdefault("problems", [])
    ENTRIES.append(entry)


def rejected(message: str, line: int | None = None, column: str | None = None, **more) -> dict:
    return {"outcome": "rejected", "message": message, "line": line, "column": column, **more}


def attention(problems: list[tuple], stored: int, **more) -> dict:
    return {
        "outcome": "needs_attention",
        "stored": stored,
        "problems": [
            {"line": line, "column": column, "reason": reason, "severity": severity}
            for line, column, reason, severity in problems
        ],
        **more,
    }


def zip_bytes(members: dict[str, bytes]) -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 10, 1, 0, 0, 0)), content)
    return sink.getvalue()


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
EMPTY = "ファイルが空です"
BINARY = "バイナリデータ"
UNDECODABLE = "文字コードを判別できません"


def isa_cases() -> None:
    good = csv_bytes(ISA_HEADER, ISA_GOOD)
    good_utf8 = csv_bytes(ISA_HEADER, ISA_GOOD, encoding="utf-8")
    add("isa", "empty.csv", b"", "0 bytes", **rejected(EMPTY))
    add(
        "isa",
        "header_only.csv",
        csv_bytes(ISA_HEADER, []),
        "the header row and nothing else",
        **rejected("データ行がありません"),
    )
    add(
        "isa",
        "header_then_blank_lines.csv",
        csv_bytes(ISA_HEADER, []) + b"\r\n\r\n \r\n",
        "header, then only blank lines",
        **rejected("データ行がありません"),
    )
    add("isa", "only_blank_lines.csv", b"\r\n\r\n   \r\n\t\r\n", "nothing but blank lines", **rejected(EMPTY))
    add(
        "isa",
        "utf16le_bom.csv",
        "\ufeff".encode("utf-16-le") + csv_text(ISA_HEADER, ISA_GOOD).encode("utf-16-le"),
        "UTF-16 LE with BOM, comma-separated: decoded",
        outcome="imported",
        stored=3,
    )
    add(
        "isa",
        "excel_unicode_text.txt",
        "\ufeff".encode("utf-16-le") + tsv_text(ISA_HEADER, ISA_GOOD).encode("utf-16-le"),
        "Excel's 'Unicode text' (UTF-16 LE with BOM, tab-separated): decoded",
        outcome="imported",
        stored=3,
    )
    add(
        "isa",
        "utf16be_bom.csv",
        "\ufeff".encode("utf-16-be") + csv_text(ISA_HEADER, ISA_GOOD).encode("utf-16-be"),
        "UTF-16 BE with BOM: decoded",
        outcome="imported",
        stored=3,
    )
    add(
        "isa",
        "utf16le_no_bom.csv",
        csv_text(ISA_HEADER, ISA_GOOD).encode("utf-16-le"),
        "UTF-16 LE without BOM: recognised by its NUL bytes and decoded",
        outcome="imported",
        stored=3,
    )
    add(
        "isa",
        "euc_jp.csv",
        csv_bytes(ISA_HEADER, ISA_GOOD, encoding="euc_jp"),
        "EUC-JP",
        **rejected(UNDECODABLE, line=1),
    )
    latin1 = (
        csv_bytes(ISA_HEADER, [])
        + "José Müller,132101,".encode("latin-1")
        + ("東京都小金井市本町1-2-3,男,19980412,20261001\r\n".encode("cp932"))
    )
    add(
        "isa",
        "latin1_name_in_cp932.csv",
        latin1,
        "a name typed in Latin-1 (é ü) inside a Shift_JIS file",
        **rejected(UNDECODABLE, line=2),
    )
    add(
        "isa",
        "mixed_cp932_then_utf8.csv",
        good + "東京,132101,東京,1,19980412,20261001\r\n".encode(),
        "Shift_JIS file with a UTF-8 line appended",
        **rejected("混ざって", line=5),
    )
    add(
        "isa",
        "mixed_utf8_then_cp932.csv",
        good_utf8 + "NGUYEN,132101,東京都小金井市,男,19980412,20261001\r\n".encode("cp932"),
        "UTF-8 file with a Shift_JIS line appended",
        **rejected("混在", line=5),
    )
    add(
        "isa",
        "bom_in_the_middle.csv",
        b"\xef\xbb\xbf" + good_utf8 + b"\xef\xbb\xbf" + good_utf8,
        "two UTF-8 files with BOM glued together",
        **rejected("BOM", line=5),
    )
    add(
        "isa",
        "zip_archive.csv",
        zip_bytes({"annex1.csv": good}),
        "a zip archive renamed .csv",
        **rejected(BINARY, line=1),
    )
    xlsx = zip_bytes({
        "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8"?><Types/>',
        "xl/workbook.xml": b"<workbook/>",
        "xl/worksheets/sheet1.xml": b"<worksheet/>",
    })  # fmt: skip
    add(
        "isa",
        "excel_workbook.xlsx",
        xlsx,
        "an Excel workbook (xlsx) instead of its CSV",
        **rejected(BINARY, line=1),
    )
    add("isa", "png_image.csv", PNG, "a PNG image", **rejected(BINARY, line=3))
    add(
        "isa",
        "control_characters_flood.csv",
        bytes(range(1, 32)) * 8 + b"\r\n",
        "binary without NUL bytes",
        **rejected("制御文字が多すぎます"),
    )
    add(
        "isa",
        "nul_in_a_cell.csv",
        good + b"NGUYEN\x00VAN,132101,x,1,19980412,20261001\r\n",
        "a NUL byte inside a name cell",
        **rejected(BINARY, line=5),
    )
    add(
        "isa",
        "truncated_final_line.csv",
        csv_bytes(ISA_HEADER, [ISA_GOOD[0], ISA_GOOD[1][:3]], final_newline=False),
        "transfer cut off in the middle of the last row",
        **rejected("途中で切れて", line=3),
    )
    add(
        "isa",
        "truncated_multibyte_character.csv",
        good_utf8 + "NGUYEN,132101,東".encode()[:-1],
        "UTF-8 file cut in the middle of a character",
        **rejected("最後の文字が途中で切れています", line=5),
    )
    add(
        "isa",
        "quote_left_open.csv",
        good + b'NGUYEN,"132101,open quote\r\nTRAN,132101,x,1,19980412,20261001\r\n',
        "a quote opened and never closed",
        **rejected("引用符", line=5),
    )
    add(
        "isa",
        "quote_then_text.csv",
        csv_bytes(ISA_HEADER, [])
        + '"NGUYEN" VAN AN,132101,東京都小金井市本町1-2-3,男,19980412,20261001\r\n'.encode("cp932"),
        'text after a closing quote ("NGUYEN" VAN AN)',
        **rejected("引用符", line=2),
    )
    add(
        "isa",
        "extra_cell_in_a_row.csv",
        csv_bytes(ISA_HEADER, [ISA_GOOD[0], [*ISA_GOOD[1], "extra"], ISA_GOOD[2]]),
        "one row has a seventh cell",
        **rejected("多すぎます", line=3),
    )
    add(
        "isa",
        "missing_cell_in_a_row.csv",
        csv_bytes(ISA_HEADER, [ISA_GOOD[0], ISA_GOOD[1][:5], ISA_GOOD[2]]),
        "one row (not the last) has only five cells",
        **rejected("足りません", line=3),
    )
    add(
        "isa",
        "missing_header_column.csv",
        csv_bytes([NAME, ADDRESS, SEX, BIRTH, EVENT], [[r[0], *r[2:]] for r in ISA_GOOD]),
        "the municipality code column is missing",
        **rejected("必要な列がありません", line=1, column=CODE),
    )
    add(
        "isa",
        "unknown_header_column.csv",
        csv_bytes([*ISA_HEADER, "備考"], [[*r, "メモ"] for r in ISA_GOOD]),
        "an extra column 備考",
        **rejected("想定外の列", line=1, column="備考"),
    )
    add(
        "isa",
        "duplicated_header.csv",
        csv_bytes([*ISA_BASE[:4], SEX, EVENT], ISA_GOOD),
        "性別 twice (生年月日 missing)",
        **rejected("2回", line=1, column=SEX),
    )
    add(
        "isa",
        "two_event_columns.csv",
        csv_bytes([*ISA_HEADER, ISA_EVENT[2]], [[*r, "20261001"] for r in ISA_GOOD]),
        "annex 1 and annex 2 event columns at once",
        **rejected("判別できません", line=1),
    )
    add(
        "isa",
        "annex_does_not_match.csv",
        csv_bytes([*ISA_BASE, ISA_EVENT[2]], ISA_GOOD),
        "annex 2 file uploaded as annex 1",
        options={"annex": 1},
        **rejected("一致しません", line=1),
    )
    add(
        "isa",
        "cr_only_line_ends.csv",
        csv_bytes(ISA_HEADER, ISA_GOOD, newline="\r"),
        "classic Mac line ends (CR only)",
        **rejected("改行", line=1),
    )
    add(
        "isa",
        "blank_lines_before_header.csv",
        b"\r\n\r\n" + good,
        "two blank lines before the header",
        outcome="imported",
        stored=3,
    )
    add(
        "isa",
        "field_too_long.csv",
        csv_bytes(ISA_HEADER, [ISA_GOOD[0], ["A" * 5000, *ISA_GOOD[1][1:]]]),
        "a 5,000-character cell",
        **rejected("長すぎます", line=3),
    )
    add("isa", "dates.csv", csv_bytes(ISA_HEADER, [
        ISA_GOOD[0],
        ["TRAN THI BINH", LG, "東京都小金井市中町2-3-4", "女", "令和0年1月1日", "20261002"],
        ["SITI RAHAYU", LG, "東京都小金井市前原町3-1-5", "女", "2000年2月30日", "20261003"],
        ["LE VAN CUONG", LG, "東京都小金井市本町5-6-7", "男", "平成31年5月1日", "20261003"],
        ["PHAM THI DUNG", LG, "東京都小金井市本町5-6-8", "女", "20990101", "20261003"],
        ["HOANG VAN EM", LG, "東京都小金井市本町5-6-9", "男", "18991231", "令和元年4月30日"],
        ["VU THI GIANG", LG, "東京都小金井市本町5-6-10", "女", "1999/13/01", "R8.10.32"],
        ["DO VAN HAI", LG, "東京都小金井市本町5-6-11", "男", "きのう", "20991231"],
    ]), "impossible dates: 令和0年, 2月30日, 平成31年5月1日, future and too old dates, month 13, words",
        **attention([
            (3, BIRTH, "令和0年という年はありません", "error"),
            (4, BIRTH, "2000年2月30日は存在しない日付です", "error"),
            (5, BIRTH, "平成の期間", "error"),
            (6, BIRTH, "未来の日付", "error"),
            (7, BIRTH, "古すぎる日付", "error"),
            (7, EVENT, "令和の期間", "error"),
            (8, BIRTH, "存在しない日付", "error"),
            (8, EVENT, "存在しない日付", "error"),
            (9, BIRTH, "日付として読めません", "error"),
            (9, EVENT, "未来の日付", "error"),
        ], stored=8))  # fmt: skip
    add("isa", "dates_that_cannot_both_be_right.csv", csv_bytes(ISA_HEADER, [
        ISA_GOOD[0],
        ["TRAN THI BINH", LG, "東京都小金井市中町2-3-4", "女", "20261115", "20261002"],
        ["SITI RAHAYU", LG, "東京都小金井市前原町3-1-5", "女", "平成23年10月4日", "20261003"],
        ["LE VAN CUONG", LG, "東京都小金井市本町5-6-7", "男", "20081003", "20261003"],
    ]), "landing before birth, a holder of 14 (a Specified Skilled Worker is at least 18), one just 18",
        **attention([
            (3, BIRTH, "生年月日より前です", "error"),
            (4, BIRTH, "の時点で14歳です。特定技能は18歳以上", "error"),
        ], stored=4))  # fmt: skip
    add("isa", "another_municipalitys_file.csv", csv_bytes(ISA_HEADER, [
        [name, "131016", "東京都千代田区九段南1-2-1", sex, birth, event] for name, _, _, sex, birth, event in ISA_GOOD
    ]), "every row carries another municipality's code (千代田区 131016): the wrong office's file",
        **rejected("別の自治体のファイルのようです", column=CODE, details=["131016"]))  # fmt: skip
    add("isa", "bad_municipality_codes.csv", csv_bytes(ISA_HEADER, [
        ISA_GOOD[0],
        ["TRAN THI BINH", "132102", "東京都小金井市中町2-3-4", "女", "20000105", "20261002"],
        ["SITI RAHAYU", "13210", "東京都小金井市前原町3-1-5", "女", "19990720", "20261003"],
        ["LE VAN CUONG", "13210X", "東京都小金井市本町5-6-7", "男", "19970101", "20261003"],
        ["PHAM THI DUNG", "131016", "東京都千代田区九段南1-2-1", "女", "19960101", "20261003"],
        ["HOANG VAN EM", "", "東京都小金井市本町5-6-9", "男", "19950101", "20261003"],
    ]), "check digit wrong, 5 digits, a letter, another municipality, empty",
        **attention([
            (3, CODE, "検査数字が正しくありません（正しくは 132101）", "error"),
            (4, CODE, "6桁の数字", "error"),
            (5, CODE, "6桁の数字", "error"),
            (6, CODE, "この自治体", "error"),
            (7, CODE, "空です", "error"),
        ], stored=6))  # fmt: skip
    add("isa", "spreadsheet_formulas.csv", csv_bytes(ISA_HEADER, [
        ["=cmd|' /C calc'!A0", LG, "東京都小金井市本町1-2-3", "男", "19980412", "20261001"],
        ["+1+1", LG, "東京都小金井市本町1-2-4", "男", "19980412", "20261001"],
        ["@SUM(1)", LG, "東京都小金井市本町1-2-5", "男", "19980412", "20261001"],
        ["-2+3", LG, "東京都小金井市本町1-2-6", "男", "19980412", "20261001"],
        ["NGUYEN VAN AN", LG, "=HYPERLINK(\"http://example.com\",\"x\")", "男", "19980412", "20261001"],
        ["TRAN THI BINH", LG, "+81-3-1234-5678", "女", "20000105", "20261002"],
        ["SITI RAHAYU", LG, "@東京都", "女", "19990720", "20261003"],
    ]), "cells that a spreadsheet would run as formulas (CSV injection)",
        **attention([
            (2, NAME, "数式", "error"), (3, NAME, "数式", "error"), (4, NAME, "数式", "error"),
            (5, NAME, "数式", "error"), (6, ADDRESS, "数式", "error"), (7, ADDRESS, "数式", "error"),
            (8, ADDRESS, "数式", "error"),
        ], stored=7))  # fmt: skip
    add("isa", "html_and_script.csv", csv_bytes(ISA_HEADER, [
        ["<script>alert(1)</script>", LG, "東京都小金井市本町1-2-3", "男", "19980412", "20261001"],
        ["NGUYEN VAN AN", LG, "<img src=x onerror=alert(1)>東京都小金井市", "男", "19980412", "20261001"],
        ["TRAN THI BINH", LG, "東京都小金井市中町2-3-4 <b>201</b>", "女", "20000105", "20261002"],
    ], encoding="utf-8"), "HTML and script in names and addresses",
        **attention([
            (2, NAME, "< または >", "error"), (3, ADDRESS, "< または >", "error"), (4, ADDRESS, "< または >", "error"),
        ], stored=3))  # fmt: skip
    add("isa", "invisible_and_control_characters.csv", csv_bytes(ISA_HEADER, [
        ["NGUYEN\u200b VAN\u200d AN", LG, "東京都小金井市本町\u20601-2-3", "男", "19980412", "20261001"],
        ["TRAN THI BINH", LG, "東京都小金井市中町\x072-3-4", "女", "20000105", "20261002"],
        ["SITI\tRAHAYU", LG, "東京都小金井市前原町3-1-5", "女", "19990720", "20261003"],
        ["LE VAN CUONG", LG, "東京都小金井市本町\x1b[31m5-6-7", "男", "19970101", "20261003"],
        ["PHAM THI DUNG", LG, "東京都小金井市\x7f本町", "女", "19960101", "20261003"],
    ], encoding="utf-8"), "zero-width space/joiner, word joiner, BEL, TAB, ESC, DEL",
        **attention([
            (2, NAME, "見えない文字", "warning"), (2, ADDRESS, "見えない文字", "warning"),
            (3, ADDRESS, "制御文字", "error"), (4, NAME, "制御文字", "error"),
            (5, ADDRESS, "制御文字", "error"), (6, ADDRESS, "制御文字", "error"),
        ], stored=5))  # fmt: skip
    add(
        "isa",
        "zero_width_no_break_space_in_a_cell.csv",
        csv_bytes(
            ISA_HEADER,
            [
                ISA_GOOD[0],
                ["TRAN THI BINH", LG, "東京都小金井市中町\ufeff2-3-4", "女", "20000105", "20261002"],
            ],
            encoding="utf-8",
        ),
        "U+FEFF (zero-width no-break space) inside an address, not at the start of a line",
        **attention([(3, ADDRESS, "見えない文字", "warning")], stored=2),
    )
    add("isa", "right_to_left_marks.csv", csv_bytes(ISA_HEADER, [
        ["\u202eNGUYEN VAN AN", LG, "東京都小金井市本町1-2-3", "男", "19980412", "20261001"],
        ["TRAN\u200f THI\u200e BINH", LG, "東京都小金井市\u2067中町\u20692-3-4", "女", "20000105", "20261002"],
    ], encoding="utf-8"), "right-to-left override, RLM/LRM and isolates",
        **attention([
            (2, NAME, "見えない文字", "warning"), (3, NAME, "見えない文字", "warning"),
            (3, ADDRESS, "見えない文字", "warning"),
        ], stored=2))  # fmt: skip
    gaiji = (
        csv_bytes(ISA_HEADER, [])
        + b"NGUYEN VAN AN,132101,"
        + "東京都小金井市本町".encode("cp932")
        + (b"\xf0\x40\xf0\x41" + b"1-2-3," + "男".encode("cp932") + b",19980412,20261001\r\n")
    )
    add(
        "isa",
        "gaiji_private_use.csv",
        gaiji,
        "外字: CP932 user-defined characters (private use area)",
        **attention([(2, ADDRESS, "外字", "warning")], stored=1),
    )
    add(
        "isa",
        "quoted_line_break.csv",
        csv_bytes(
            ISA_HEADER,
            [
                ["NGUYEN VAN AN", LG, "東京都小金井市\r\n本町1-2-3", "男", "19980412", "20261001"],
                ["TRAN THI BINH", LG, "東京都小金井市中町2-3-4", "女", "20000230", "20261002"],
            ],
        ),
        "a quoted line break in an address, then a bad date on the next row (physical line 4)",
        **attention([(2, ADDRESS, "制御文字", "error"), (4, BIRTH, "存在しない日付", "error")], stored=2),
    )
    add("isa", "sex_values.csv", csv_bytes(ISA_HEADER, [
        ["NGUYEN VAN AN", LG, "東京都小金井市本町1-2-3", "9", "19980412", "20261001"],
        ["TRAN THI BINH", LG, "東京都小金井市中町2-3-4", "", "20000105", "20261002"],
        ["SITI RAHAYU", LG, "東京都小金井市前原町3-1-5", "X", "19990720", "20261003"],
        ["LE VAN CUONG", LG, "東京都小金井市本町5-6-7", "0", "19970101", "20261003"],
    ]), "sex 9, empty, X, 0",
        **attention([
            (2, SEX, "性別として読めません", "error"), (3, SEX, "性別が空です", "error"),
            (4, SEX, "性別として読めません", "error"), (5, SEX, "性別として読めません", "error"),
        ], stored=4))  # fmt: skip
    add("isa", "non_latin_names.csv", csv_bytes(ISA_HEADER, [
        ["グエン ヴァン アン", LG, "東京都小金井市本町1-2-3", "男", "19980412", "20261001"],
        ["", LG, "東京都小金井市中町2-3-4", "女", "20000105", "20261002"],
        ["NGUY?N VAN AN", LG, "東京都小金井市前原町3-1-5", "男", "19990720", "20261003"],
    ]), "a katakana name, an empty name, a '?' left by Shift_JIS conversion",
        **attention([
            (2, NAME, "英字以外", "error"), (3, NAME, "空です", "error"), (4, NAME, "「?」", "warning"),
        ], stored=3))  # fmt: skip
    add(
        "isa",
        "very_long_name.csv",
        csv_bytes(ISA_HEADER, [["NGUYEN " * 40 + "AN", *ISA_GOOD[0][1:]]]),
        "a 282-character name (within the CSV limit, beyond the column's 200)",
        **attention([(2, NAME, "長すぎ", "error")], stored=1),
    )
    add(
        "isa",
        "very_long_garbage_in_sex_and_date.csv",
        csv_bytes(ISA_HEADER, [[*ISA_GOOD[0][:3], "男" * 80, "1" * 80, ISA_GOOD[0][5]]]),
        "80 characters in the sex and birth date cells (raw values are kept: raw_sex is 60 long)",
        **attention(
            [(2, SEX, "性別として読めません", "error"), (2, BIRTH, "日付として読めません", "error")], stored=1
        ),
    )


def residents_cases() -> None:
    def data(rows, **kw):
        return csv_bytes(
            RESIDENT_HEADER, rows, encoding=kw.pop("encoding", "utf-8"), newline=kw.pop("newline", "\n"), **kw
        )

    good = [resident_row("10000000001"), resident_row("10000000002", name_alpha="TRAN THI BINH")]
    latin1 = csv_text(
        RESIDENT_HEADER,
        [
            resident_row(
                "10000000001", name_alpha="José Müller", name_kana="", address="Rue de l'Église 3", status="1"
            )
        ],
        newline="\n",
    ).encode("latin-1", errors="replace")
    add(
        "residents",
        "latin1.csv",
        latin1,
        "a whole register file saved as Latin-1",
        **rejected(UNDECODABLE, line=2),
    )
    add("residents", "euc_jp.csv", data(good, encoding="euc_jp"), "EUC-JP", **rejected(UNDECODABLE, line=2))
    add(
        "residents",
        "utf16le_bom.csv",
        "\ufeff".encode("utf-16-le") + csv_text(RESIDENT_HEADER, good).encode("utf-16-le"),
        "UTF-16 LE: decoded",
        outcome="imported",
        stored=2,
    )
    add("residents", "header_only.csv", data([]), "header only", **rejected("データ行がありません"))
    add(
        "residents",
        "missing_required_column.csv",
        csv_bytes(
            RESIDENT_HEADER[:12] + RESIDENT_HEADER[13:], [r[:12] + r[13:] for r in good], encoding="utf-8"
        ),
        "the status column is missing",
        **rejected("必要な列がありません", line=1, column="status"),
    )
    add(
        "residents",
        "same_column_twice.csv",
        csv_bytes([*RESIDENT_HEADER, "住民票コード"], [[*r, r[0]] for r in good], encoding="utf-8"),
        "resident_code and 住民票コード (the same column under two names)",
        **rejected("同じ項目の列が2つあります", line=1, column="resident_code"),
    )
    add(
        "residents",
        "cr_only_line_ends.csv",
        data(good, newline="\r"),
        "CR-only line ends",
        **rejected("改行", line=1),
    )
    add(
        "residents",
        "truncated_final_line.csv",
        data([good[0], good[1][:6]], final_newline=False),
        "cut off in the last row",
        **rejected("途中で切れて", line=3),
    )
    add(
        "residents",
        "duplicate_resident_codes.csv",
        data(
            [
                resident_row("10000000001"),
                resident_row("10000000002"),
                resident_row("10000000001", name_alpha="DUPLICATE"),
            ]
        ),
        "the same resident code on two rows",
        **attention([(4, "resident_code", "住民票コードが重複しています（2行目と同じ）", "error")], stored=2),
    )
    add("residents", "bad_values.csv", data([
        resident_row("10000000001"),
        resident_row("1000000000X", household_head_code="10000000001"),
        resident_row("10000000003", sex="9"),
        resident_row("10000000004", birth_date="2000-02-30"),
        resident_row("10000000005", birth_date="令和0年1月1日"),
        resident_row("10000000006", birth_date="2099-01-01"),
        resident_row("10000000007", name_kanji="=cmd|' /C calc'!A0"),
        resident_row("10000000008", address="<script>alert(1)</script>"),
        resident_row("10000000009", nationality="ZZZ"),
        resident_row("10000000010", status="不明"),
        resident_row("10000000011", postal_code="184-00"),
        resident_row("10000000012", lg_code="132102"),
        resident_row("10000000013", moved_in_date="平成31年5月1日"),
    ]), "one bad value per row",
        **attention([
            (3, "resident_code", "11桁の数字", "error"),
            (4, "sex", "性別として読めません", "error"),
            (5, "birth_date", "2000年2月30日は存在しない日付です", "error"),
            (6, "birth_date", "令和0年という年はありません", "error"),
            (7, "birth_date", "未来の日付", "error"),
            (8, "name_kanji", "数式", "error"),
            (9, "address", "< または >", "error"),
            (10, "nationality", "", "error"),
            (11, "status", "状態は", "error"),
            (12, "postal_code", "7桁の数字", "error"),
            (13, "lg_code", "検査数字", "error"),
            (14, "moved_in_date", "平成の期間", "error"),
        ], stored=1))  # fmt: skip
    add(
        "residents",
        "invisible_characters.csv",
        data(
            [
                resident_row("1000000000\u200b1", name_alpha="NGUYEN\u202e VAN AN"),
                resident_row("10000000002", name_kana="グエン\x00アン"),
            ]
        ),
        "a zero-width space in the resident code, RLO in a name; a NUL in a kana cell",
        **rejected(BINARY, line=3),
    )
    add("residents", "zero_width_in_code.csv", data([
        resident_row("1000000000\u200b1", name_alpha="NGUYEN\u202e VAN AN", household_head_code="10000000001"),
    ]), "a zero-width space in the resident code and RLO in the name: removed with a warning",
        **attention([
            (2, "resident_code", "見えない文字", "warning"), (2, "name_alpha", "見えない文字", "warning"),
        ], stored=1))  # fmt: skip
    add(
        "residents",
        "very_long_kanji_name.csv",
        data([resident_row("10000000001", name_kanji="山" * 150)]),
        "a 150-character kanji name (Resident.name_kanji holds 120)",
        **attention([(2, "name_kanji", "長すぎ", "error")], stored=0),
    )
    japanese = csv_bytes(
        ["住民票コード", "氏名英字", "氏名カナ", "氏名漢字", "性別", "生年月日", "国籍", "在留資格",
         "地方公共団体コード", "住所", "転入日", "転出日", "状態"],
        [resident_row("10000000001")[:13], resident_row("10000000002", birth_date="2000-02-30")[:13]],
    )  # fmt: skip
    add(
        "residents",
        "japanese_headers_bad_date.csv",
        japanese,
        "Japanese headers (CP932); a bad date must be reported under the file's own column name",
        **attention([(3, "生年月日", "存在しない日付", "error")], stored=1),
    )


def ledger_cases() -> None:
    def data(rows, **kw):
        return csv_bytes(
            LEDGER_HEADER, rows, encoding=kw.pop("encoding", "utf-8"), newline=kw.pop("newline", "\n"), **kw
        )

    add(
        "nhi_ledger",
        "lost_before_acquired.csv",
        data(
            [
                ledger_row("20000001"),
                ledger_row(
                    "20000002", code="10000000002", acquired="2025-04-01", lost="2025-03-31", reason="転出"
                ),
            ]
        ),
        "lost_date before acquired_date",
        **attention([(3, "lost_date", "資格喪失日が資格取得日より前です", "error")], stored=1),
    )
    add(
        "nhi_ledger",
        "duplicate_periods.csv",
        data(
            [
                ledger_row("20000001"),
                ledger_row("20000001", lost="2026-06-30", reason="社保加入"),
            ]
        ),
        "the same insured number and acquired date twice",
        **attention(
            [(3, "insured_number", "同じ被保険者番号・資格取得日の行があります（2行目）", "error")], stored=1
        ),
    )
    add("nhi_ledger", "bad_values.csv", data([
        ledger_row("20000001"),
        ledger_row("2000-0002"),
        ledger_row("20000003", acquired="令和0年4月1日"),
        ledger_row("20000004", acquired="2026-02-30"),
        ledger_row("20000005", acquired="2099-04-01"),
        ledger_row("20000006", code="1000000000"),
        ledger_row("20000007", reason="=1+1"),
        ledger_row("X" * 21),
    ]), "bad insured numbers, dates, codes, a formula",
        **attention([
            (3, "insured_number", "英数字20文字以内", "error"),
            (4, "acquired_date", "令和0年という年はありません", "error"),
            (5, "acquired_date", "存在しない日付", "error"),
            (6, "acquired_date", "未来の日付", "error"),
            (7, "resident_code", "11桁の数字", "error"),
            (7, "household_head_code", "11桁の数字", "error"),
            (8, "lost_reason", "数式", "error"),
            (9, "insured_number", "英数字20文字以内", "error"),
        ], stored=1))  # fmt: skip
    add(
        "nhi_ledger",
        "unknown_column.csv",
        csv_bytes([*LEDGER_HEADER, "memo"], [[*ledger_row("20000001"), "x"]], encoding="utf-8"),
        "an extra column",
        **rejected("想定外の列", line=1, column="memo"),
    )
    add(
        "nhi_ledger",
        "utf16le_bom.csv",
        "\ufeff".encode("utf-16-le") + csv_text(LEDGER_HEADER, [ledger_row("20000001")]).encode("utf-16-le"),
        "UTF-16 LE: decoded",
        outcome="imported",
        stored=1,
    )
    add("nhi_ledger", "png_image.csv", PNG, "a PNG image", **rejected(BINARY, line=3))
    add(
        "nhi_ledger",
        "missing_cell_in_a_row.csv",
        data([ledger_row("20000001")[:5], ledger_row("20000002")]),
        "a row with five cells",
        **rejected("足りません", line=2),
    )
    add(
        "nhi_ledger",
        "long_lost_reason.csv",
        data(
            [
                ledger_row(
                    "20000001",
                    lost="2026-06-30",
                    reason="社会保険に加入したため（勤務先: 株式会社小金井精密工業 本社工場 第二製造部 品質管理課）",
                ),
            ]
        ),
        "a 46-character lost_reason (NhiMembership.lost_reason holds 40)",
        **attention([(2, "lost_reason", "長すぎ", "error")], stored=0),
    )
    add("nhi_ledger", "all_cells_empty_row.csv", data([ledger_row("20000001"), [""] * 6]),
        "a row of empty cells (,,,,,)",
        **attention([
            (3, "insured_number", "英数字20文字以内", "error"), (3, "resident_code", "空です", "error"),
            (3, "household_head_code", "空です", "error"), (3, "acquired_date", "日付が空です", "error"),
        ], stored=1))  # fmt: skip


def pension_cases() -> None:
    name, _kana, sex, birth, address, lost, _number = PENSION_HEADER
    for kind in ("pension_cat2_lost", "pension_cat13_lost"):
        add(kind, "bad_values.csv", csv_bytes(PENSION_HEADER, [
            PENSION_GOOD[0],
            ["=cmd|' /C calc'!A0", "", "9", "20000230", "<b>東京都</b>小金井市", "19850101", ""],
            ["TRAN THI BINH", "", "女", "令和0年1月1日", "東京都小金井市中町2-3-4", "2099-01-01", ""],
            ["SITI RAHAYU", "", "女", "19990720", "", "平成31年5月1日", ""],
        ]), "formula, sex 9, 2月30日, HTML, a loss before 1986, 令和0年, a future loss, no address",
            **attention([
                (3, name, "数式", "error"), (3, sex, "性別として読めません", "error"),
                (3, birth, "存在しない日付", "error"), (3, address, "< または >", "error"),
                (3, lost, "古すぎる日付", "error"),
                (4, birth, "令和0年という年はありません", "error"), (4, lost, "未来の日付", "error"),
                (5, address, "住所が空です", "error"), (5, lost, "平成の期間", "error"),
            ], stored=4))  # fmt: skip
    add(
        "pension_cat2_lost",
        "missing_lost_date_column.csv",
        csv_bytes(PENSION_HEADER[:5], [r[:5] for r in PENSION_GOOD]),
        "the loss date column is missing",
        **rejected("必要な列がありません", line=1, column=lost),
    )
    add(
        "pension_cat2_lost",
        "same_column_twice.csv",
        csv_bytes([*PENSION_HEADER, "name_alpha"], [[*r, r[0]] for r in PENSION_GOOD]),
        "氏名（英字） and name_alpha",
        **rejected("同じ項目の列が2つあります", line=1, column=name),
    )
    add(
        "pension_cat2_lost",
        "latin1.csv",
        csv_bytes(PENSION_HEADER, []) + "José,,1,19980412,Rue 3,20260915,\r\n".encode("latin-1"),
        "a Latin-1 row in a Shift_JIS file",
        **rejected(UNDECODABLE, line=2),
    )
    add(
        "pension_cat2_lost",
        "truncated_final_line.csv",
        csv_bytes(PENSION_HEADER, [PENSION_GOOD[0], PENSION_GOOD[1][:4]], final_newline=False),
        "cut off in the last row",
        **rejected("途中で切れて", line=3),
    )
    add(
        "pension_cat13_lost",
        "header_only.csv",
        csv_bytes(PENSION_HEADER, []),
        "header only",
        **rejected("データ行がありません"),
    )
    add(
        "pension_cat13_lost",
        "euc_jp.csv",
        csv_bytes(PENSION_HEADER, PENSION_GOOD, encoding="euc_jp"),
        "EUC-JP",
        **rejected(UNDECODABLE, line=1),
    )
    add(
        "pension_cat13_lost",
        "bom_in_the_middle.csv",
        csv_bytes(PENSION_HEADER, PENSION_GOOD, encoding="utf-8", bom=True)
        + csv_bytes(PENSION_HEADER, PENSION_GOOD, encoding="utf-8", bom=True),
        "two files glued together",
        **rejected("BOM", line=4),
    )
    add(
        "pension_cat13_lost",
        "xlsx_header.csv",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml",
        "the first bytes of an xlsx",
        **rejected(BINARY, line=1),
    )
    add(
        "pension_cat13_lost",
        "invisible_characters.csv",
        csv_bytes(
            PENSION_HEADER,
            [
                [
                    "NGUYEN\u200b VAN AN",
                    "グエン",
                    "男",
                    "19980412",
                    "東京都小金井市\u202e本町1-2-3",
                    "20260915",
                    "",
                ],
            ],
            encoding="utf-8",
        ),
        "zero-width space and RLO",
        **attention(
            [(2, name, "見えない文字", "warning"), (2, address, "見えない文字", "warning")], stored=1
        ),
    )


def payments_cases() -> None:
    def data(rows, **kw):
        return csv_bytes(
            PAYMENTS_HEADER, rows, encoding=kw.pop("encoding", "utf-8"), newline=kw.pop("newline", "\n"), **kw
        )

    good = data(PAYMENTS_GOOD)
    add("payments", "empty.csv", b"", "0 bytes", **rejected(EMPTY))
    add("payments", "only_blank_lines.csv", b"\n\n\n", "blank lines only", **rejected(EMPTY))
    add("payments", "header_only.csv", data([]), "header only", **rejected("データ行がありません"))
    add("payments", "png_image.csv", PNG, "a PNG image", **rejected(BINARY, line=3))
    add(
        "payments",
        "zip_archive.csv",
        zip_bytes({"payments.csv": good}),
        "a zip archive",
        **rejected(BINARY, line=1),
    )
    add(
        "payments",
        "utf16le_bom.csv",
        "\ufeff".encode("utf-16-le") + csv_text(PAYMENTS_HEADER, PAYMENTS_GOOD).encode("utf-16-le"),
        "UTF-16 LE: decoded",
        outcome="imported",
        stored=len(PAYMENTS_GOOD),
    )
    add(
        "payments",
        "bom_in_the_middle.csv",
        b"\xef\xbb\xbf" + good + b"\xef\xbb\xbf" + good,
        "two files glued together",
        **rejected("BOM", line=4),
    )
    add(
        "payments",
        "mixed_utf8_then_cp932.csv",
        good + "10000000003,2026,1,12300,20260731,銀行,R-0003\n".encode("cp932"),
        "a Shift_JIS line in a UTF-8 file",
        **rejected("混在", line=4),
    )
    add(
        "payments",
        "nul_in_a_cell.csv",
        good + b"1000\x000000003,2026,1,12300,20260731,bank,R-0003\n",
        "a NUL byte in a cell",
        **rejected(BINARY, line=4),
    )
    add(
        "payments",
        "missing_channel_column.csv",
        csv_bytes(PAYMENTS_HEADER[:5], [r[:5] for r in PAYMENTS_GOOD], encoding="utf-8"),
        "the channel column is missing",
        **rejected("必要な列がありません", line=1, column="channel"),
    )
    add(
        "payments",
        "truncated_final_line.csv",
        data([PAYMENTS_GOOD[0], PAYMENTS_GOOD[1][:3]], final_newline=False),
        "cut off in the last row",
        **rejected("途中で切れて", line=3),
    )
    # Money files are stricter: one row with an error rejects the whole file, every bad line listed.
    add("payments", "bad_rows.csv", data([
        PAYMENTS_GOOD[0],
        ["10000000002", "2026", "1", "abc", "20260731", "bank", "R-0002"],
        ["10000000003", "2026", "1", "12300", "2026-02-30", "bank", "R-0003"],
        ["10000000004", "2026", "1", "12300", "20260731", "=cmd|' /C calc'!A0", "R-0004"],
        ["10000000005", "2026", "1", "12300", "2099-01-01", "bank", "R-0005"],
        ["10000000006", "2026", "1", "12300", "20260731", "bank", "R-0001"],
    ]), "bad amount, 2月30日, a formula as channel, a future payment, a repeated receipt number",
        **rejected("5行に誤りがあるため", details=[
            "3行目、列「amount」", "4行目、列「paid_date」", "5行目、列「channel」", "6行目、列「paid_date」",
            "7行目、列「receipt_number」",
        ]))  # fmt: skip
    add(
        "payments",
        "impossible_fiscal_years.csv",
        data(
            [
                ["10000000001", "令和0年度", "1", "12300", "20260731", "bank", "R-0001"],
                ["10000000002", "昭和80年度", "1", "12300", "20260731", "bank", "R-0002"],
            ]
        ),
        "令和0年度 and 昭和80年度 (昭和 ended in 1989)",
        **rejected("2行に誤りがあるため", details=["2行目、列「fiscal_year」", "3行目、列「fiscal_year」"]),
    )
    add(
        "payments",
        "invisible_characters.csv",
        data(
            [
                ["10000000001", "2026", "1", "12\u200b300", "20260731", "bank", "R-0001"],
            ]
        ),
        "a zero-width space inside an amount: removed with a warning",
        **attention([(2, "amount", "見えない文字", "warning")], stored=1),
    )


def main() -> None:
    for case in (isa_cases, residents_cases, ledger_cases, pension_cases, payments_cases):
        case()
    names = [e["file"] for e in ENTRIES]
    assert len(names) == len(set(names)), "duplicate corpus file names"
    manifest = {
        "municipality_lg_code": LG,
        "generated_by": "tests/corpus/make_corpus.py",
        "entries": ENTRIES,
    }
    (HERE / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{len(ENTRIES)} corpus files written under {HERE}")


if __name__ == "__main__":
    main()
