"""Build synthetic input files the way they arrive (CP932 + CRLF by default)."""

from __future__ import annotations

ISA_HEADERS = {
    1: "入国年月日（上陸年月日）",
    2: "受入終了（離職）年月日",
    3: "在留資格変更年月日",
}
ISA_BASE = ["氏名（英字）", "住居地（地方公共団体コード）", "住居地", "性別", "生年月日"]

GOOD_ROWS = [
    ["NGUYEN VAN AN", "132101", "東京都小金井市本町一丁目2番3号", "男", "19980412", "20261001"],
    ["TRAN THI BINH", "132101", "東京都小金井市中町2-3-4", "女", "20000105", "20261002"],
    ["SITI RAHAYU", "132101", "東京都小金井市前原町3丁目1番5号 メゾン前原201", "女", "19990720", "20261003"],
]

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


def csv_bytes(header, rows, *, encoding="cp932", newline="\r\n", bom=False, final_newline=True) -> bytes:
    def quote(value: str) -> str:
        if any(ch in value for ch in ',"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [",".join(quote(v) for v in header), *(",".join(quote(v) for v in row) for row in rows)]
    text = newline.join(lines) + (newline if final_newline else "")
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def isa_bytes(rows=None, *, annex=1, **kwargs) -> bytes:
    return csv_bytes([*ISA_BASE, ISA_HEADERS[annex]], GOOD_ROWS if rows is None else rows, **kwargs)


def resident_row(code: str, **values) -> list[str]:
    row = {
        "resident_code": code, "name_alpha": "NGUYEN VAN AN", "name_kana": "グエン ヴァン アン", "name_kanji": "",
        "sex": "1", "birth_date": "1998-04-12", "nationality": "VN", "residence_status": "特定技能1号",
        "lg_code": "132101", "address": "東京都小金井市本町1丁目2番3号", "moved_in_date": "2024-04-01",
        "moved_out_date": "", "status": "在住", "postal_code": "184-0004", "household_head_code": code,
    }  # fmt: skip
    row.update(values)
    return [row[h] for h in RESIDENT_HEADER]


def residents_bytes(rows, **kwargs) -> bytes:
    return csv_bytes(
        RESIDENT_HEADER,
        rows,
        encoding=kwargs.pop("encoding", "utf-8"),
        newline=kwargs.pop("newline", "\n"),
        **kwargs,
    )


def ledger_bytes(rows, **kwargs) -> bytes:
    return csv_bytes(
        LEDGER_HEADER,
        rows,
        encoding=kwargs.pop("encoding", "utf-8"),
        newline=kwargs.pop("newline", "\n"),
        **kwargs,
    )
