"""ISA files: every notation they arrive in, every kind of bad row, every structural rejection,
and idempotent re-import."""

from datetime import date

import pytest

from enrollment.models import IsaRecord
from nhi_portal.models import BatchStatus, ImportBatch
from tests.intake.builders import GOOD_ROWS, ISA_BASE, ISA_HEADERS, csv_bytes, isa_bytes
from tests.intake.helpers import issue_texts, run_import

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "options",
    [
        {"encoding": "cp932", "newline": "\r\n"},
        {"encoding": "cp932", "newline": "\n"},
        {"encoding": "utf-8", "newline": "\r\n"},
        {"encoding": "utf-8", "newline": "\n", "bom": True},
        {"encoding": "utf-8", "newline": "\n", "final_newline": False},
    ],
)
def test_encodings_and_line_endings(municipality, options):
    batch = run_import(municipality, isa_bytes(**options))
    assert batch.status == BatchStatus.IMPORTED, batch.rejection_reason
    assert batch.rows_total == 3
    names = list(IsaRecord.objects.filter(batch=batch).order_by("row_number").values_list("name", flat=True))
    assert names == ["NGUYEN VAN AN", "TRAN THI BINH", "SITI RAHAYU"]


@pytest.mark.parametrize("annex", [1, 2, 3])
def test_annex_is_recognised_from_the_header(municipality, annex):
    batch = run_import(municipality, isa_bytes(annex=annex))
    assert batch.annex == annex
    assert set(IsaRecord.objects.filter(batch=batch).values_list("annex", flat=True)) == {annex}


def test_forced_annex_must_agree_with_the_header(municipality):
    batch = run_import(municipality, isa_bytes(annex=2), annex=1)
    assert batch.status == BatchStatus.REJECTED
    assert "一致しません" in batch.rejection_reason
    assert not IsaRecord.objects.exists()


def test_header_variants_half_width_brackets_and_short_names(municipality):
    header = ["氏名(英字)", "住居地(地方公共団体コード)", "住居地", "性別", "生年月日", "入国年月日"]
    batch = run_import(municipality, csv_bytes(header, GOOD_ROWS))
    assert batch.status == BatchStatus.IMPORTED
    assert batch.annex == 1


@pytest.mark.parametrize(
    ("birth", "event", "expected_birth"),
    [
        ("19980412", "20261001", date(1998, 4, 12)),
        ("1998/04/12", "2026/10/01", date(1998, 4, 12)),
        ("1998-04-12", "2026-10-01", date(1998, 4, 12)),
        ("平成10年4月12日", "令和8年10月1日", date(1998, 4, 12)),
        ("H10.4.12", "R8.10.1", date(1998, 4, 12)),
        ("１９９８０４１２", "２０２６１００１", date(1998, 4, 12)),
    ],
)
def test_date_notations(municipality, birth, event, expected_birth):
    rows = [["NGUYEN VAN AN", "132101", "東京都小金井市本町1-2-3", "男", birth, event]]
    batch = run_import(municipality, isa_bytes(rows))
    record = IsaRecord.objects.get(batch=batch)
    assert (record.birth_date, record.event_date) == (expected_birth, date(2026, 10, 1))
    assert record.raw_birth_date == birth  # what the ISA sent is kept
    assert batch.data_month == date(2026, 10, 1)


@pytest.mark.parametrize(
    ("raw", "sex"),
    [("男", "M"), ("女", "F"), ("M", "M"), ("f", "F"), ("1", "M"), ("2", "F"), ("１", "M"), ("男性", "M")],
)
def test_sex_notations(municipality, raw, sex):
    rows = [["NGUYEN VAN AN", "132101", "東京都小金井市本町1-2-3", raw, "19980412", "20261001"]]
    batch = run_import(municipality, isa_bytes(rows))
    assert IsaRecord.objects.get(batch=batch).sex == sex


def test_full_width_letters_and_surrounding_spaces_are_cleaned(municipality):
    rows = [
        [
            "　ＮＧＵＹＥＮ　　ＶＡＮ　ＡＮ ",
            " １３２１０１ ",
            " 東京都小金井市本町１－２－３ ",
            " 男 ",
            " 19980412",
            "20261001 ",
        ]
    ]
    batch = run_import(municipality, isa_bytes(rows))
    record = IsaRecord.objects.get(batch=batch)
    assert batch.status == BatchStatus.IMPORTED
    assert record.name == "NGUYEN VAN AN"
    assert record.lg_code == "132101"
    assert record.address == "東京都小金井市本町1-2-3"
    assert record.raw_name == "　ＮＧＵＹＥＮ　　ＶＡＮ　ＡＮ "


def test_bad_rows_are_kept_with_their_reasons(municipality):
    rows = [
        GOOD_ROWS[0],
        ["TRAN THI BINH", "132102", "東京都小金井市中町2-3-4", "女", "20000230", "20261002"],
        ["", "132101", "東京都小金井市", "X", "令和0年1月1日", "20261002"],
        ["=cmd|' /C calc'!A0", "131016", "<script>alert(1)</script>", "1", "19990101", "20261003"],
    ]
    batch = run_import(municipality, isa_bytes(rows))
    assert batch.status == BatchStatus.NEEDS_ATTENTION
    assert batch.rows_total == 4
    assert batch.rows_with_errors == 3
    issues = issue_texts(batch)
    assert any(t.startswith("3:住居地（地方公共団体コード）:") and "検査数字" in t for t in issues)
    assert any(t.startswith("3:生年月日:") and "存在しない" in t for t in issues)
    assert any(t.startswith("4:氏名（英字）:") and "空" in t for t in issues)
    assert any(t.startswith("4:性別:") for t in issues)
    assert any(t.startswith("4:生年月日:") and "ありません" in t for t in issues)
    assert any(t.startswith("5:氏名（英字）:") and "数式" in t for t in issues)
    assert any(t.startswith("5:住居地（地方公共団体コード）:") and "この自治体" in t for t in issues)
    assert any(t.startswith("5:住居地:") for t in issues)
    # every row is kept; unreadable values are empty, their raw text is not lost
    records = {r.row_number: r for r in IsaRecord.objects.filter(batch=batch)}
    assert len(records) == 4
    assert records[1].problem_fields == ""
    assert records[2].birth_date is None and records[2].raw_birth_date == "20000230"
    assert set(records[2].problems) == {"lg_code", "birth_date"}
    assert records[4].name == "" and records[4].raw_name.startswith("=cmd")


def test_invisible_characters_are_removed_with_a_warning(municipality):
    rows = [["NGUYEN\u200b VAN\u200f AN", "132101", "東京都小金井市本町1-2-3", "男", "19980412", "20261001"]]
    batch = run_import(municipality, isa_bytes(rows, encoding="utf-8"))
    record = IsaRecord.objects.get(batch=batch)
    assert record.name == "NGUYEN VAN AN"
    assert record.problem_fields == ""  # usable: a warning, not an error
    assert batch.status == BatchStatus.NEEDS_ATTENTION
    assert batch.rows_with_warnings == 1
    assert batch.issues.get().severity == "warning"


def test_ward_codes_belong_to_the_designated_city(designated_city):
    rows = [
        ["NGUYEN VAN AN", "141011", "神奈川県横浜市鶴見区1-2-3", "男", "19980412", "20261001"],
        ["TRAN THI BINH", "141038", "神奈川県横浜市西区2-3-4", "女", "20000105", "20261002"],
        ["SITI RAHAYU", "132101", "東京都小金井市本町1-2-3", "女", "19990720", "20261003"],
    ]
    batch = run_import(designated_city, isa_bytes(rows))
    codes = dict(IsaRecord.objects.filter(batch=batch).values_list("row_number", "lg_code"))
    assert codes == {1: "141011", 2: "141038", 3: ""}
    assert issue_texts(batch) == [
        "4:住居地（地方公共団体コード）:この自治体（またはその区）のコードではありません"
    ]


@pytest.mark.parametrize(
    ("data", "reason_part", "line"),
    [
        (b"", "空", None),
        (csv_bytes([*ISA_BASE, ISA_HEADERS[1]], []), "データ行がありません", None),
        (
            csv_bytes(["氏名（英字）", "住居地", "性別", "生年月日", "入国年月日（上陸年月日）"], GOOD_ROWS),
            "必要な列がありません",
            1,
        ),
        (csv_bytes([*ISA_BASE, ISA_HEADERS[1], "備考"], [[*r, "x"] for r in GOOD_ROWS]), "想定外の列", 1),
        (
            csv_bytes([*ISA_BASE, ISA_HEADERS[1], ISA_HEADERS[2]], [[*r, "20261001"] for r in GOOD_ROWS]),
            "判別できません",
            1,
        ),
        (csv_bytes([*ISA_BASE[:4], "性別", ISA_HEADERS[1]], GOOD_ROWS), "2回", 1),
        (isa_bytes([GOOD_ROWS[0], GOOD_ROWS[1][:4]], final_newline=False), "途中で切れて", 3),
        (isa_bytes([GOOD_ROWS[0], [*GOOD_ROWS[1], "extra"], GOOD_ROWS[2]]), "多すぎます", 3),
        (isa_bytes() + b'NGUYEN,"132101,open quote', "引用符", 5),
        (isa_bytes() + b"\x00\x01\x02PK", "バイナリ", 5),
        (isa_bytes(encoding="cp932") + "東京".encode() + b"\r\n", "混ざって", 5),
        (isa_bytes(encoding="utf-8") + "東京,都\n".encode("cp932"), "混在", 5),
        (isa_bytes(encoding="utf-8") + isa_bytes(encoding="utf-8", bom=True), "BOM", 5),
    ],
)
def test_structural_problems_reject_the_whole_file(municipality, data, reason_part, line):
    batch = run_import(municipality, data, filename="bad.csv")
    assert batch.status == BatchStatus.REJECTED
    assert reason_part in batch.rejection_reason
    assert "bad.csv" in batch.rejection_reason
    if line:
        assert f"{line}行目" in batch.rejection_reason
    assert not IsaRecord.objects.exists()
    assert not batch.issues.exists()


def test_a_very_long_single_line_is_refused(municipality):
    data = isa_bytes(encoding="utf-8") + b"A" * (5 * 1024 * 1024) + b"\n"
    batch = run_import(municipality, data)
    assert batch.status == BatchStatus.REJECTED
    assert "長すぎます" in batch.rejection_reason
    assert not IsaRecord.objects.exists()


def test_reimporting_the_same_content_changes_nothing(municipality):
    first = run_import(municipality, isa_bytes())
    again = run_import(municipality, isa_bytes())
    assert again.pk == first.pk
    assert ImportBatch.objects.count() == 1
    assert IsaRecord.objects.count() == 3


def test_a_rejected_file_can_be_sent_again_after_fixing(municipality):
    bad = run_import(municipality, isa_bytes([GOOD_ROWS[0][:3]], final_newline=False))
    assert bad.status == BatchStatus.REJECTED
    good = run_import(municipality, isa_bytes())
    assert good.status == BatchStatus.IMPORTED
    assert IsaRecord.objects.filter(batch=good).count() == 3


def test_batch_records_where_it_came_from(municipality):
    batch = run_import(municipality, isa_bytes(), filename="2026-10_annex1.csv")
    assert batch.source_name == "2026-10_annex1.csv"
    assert len(batch.sha256) == 64
    assert batch.encoding == "cp932"
    assert batch.imported_at is not None
    assert batch.summary == {"records": 3}


def test_row_numbers_are_data_rows_and_lines_are_physical(municipality):
    data = csv_bytes([*ISA_BASE, ISA_HEADERS[1]], [GOOD_ROWS[0], ["", "", "", "", "", ""], GOOD_ROWS[1]])
    data = data.replace(b"\r\n,,,,,\r\n", b"\r\n\r\n")  # a blank line in the middle
    batch = run_import(municipality, data)
    rows = list(
        IsaRecord.objects.filter(batch=batch).order_by("row_number").values_list("row_number", "line_number")
    )
    assert rows == [(1, 2), (2, 4)]


def test_excel_unicode_text_is_read_like_the_csv(municipality):
    """Excel's 「Unicode テキスト」 (UTF-16LE with BOM, tab-separated) gives the same records as the
    CSV, and the batch says what the file was."""
    text = "\r\n".join("\t".join(row) for row in [[*ISA_BASE, ISA_HEADERS[1]], *GOOD_ROWS]) + "\r\n"
    batch = run_import(
        municipality, "\ufeff".encode("utf-16-le") + text.encode("utf-16-le"), filename="isa.txt"
    )
    assert batch.status == BatchStatus.IMPORTED, batch.rejection_reason
    assert batch.encoding == "utf-16-le"
    stored = list(
        IsaRecord.objects.filter(batch=batch)
        .order_by("row_number")
        .values_list("name", "lg_code", "address", "sex", "birth_date", "event_date")
    )
    assert stored[0] == (
        "NGUYEN VAN AN",
        "132101",
        "東京都小金井市本町一丁目2番3号",
        "M",
        date(1998, 4, 12),
        date(2026, 10, 1),
    )
    assert [s[0] for s in stored] == ["NGUYEN VAN AN", "TRAN THI BINH", "SITI RAHAYU"]


def test_event_before_birth_and_a_minor_holder_are_row_problems(municipality):
    """A Specified Skilled Worker is at least 18: a landing date before the birth date, or one at
    which the holder would be a child, is listed like any row problem (line, column, value, why)
    and keeps the record from an automatic match; 18 on the day itself is fine."""
    rows = [
        ["NGUYEN VAN AN", "132101", "東京都小金井市本町1-2-3", "男", "20261115", "20261001"],  # born after
        ["TRAN THI BINH", "132101", "東京都小金井市中町2-3-4", "女", "2011/10/02", "2026/10/01"],  # 14
        ["SITI RAHAYU", "132101", "東京都小金井市前原町3-1-5", "女", "20081001", "20261001"],  # 18 that day
    ]
    batch = run_import(municipality, isa_bytes(rows))
    assert batch.status == BatchStatus.NEEDS_ATTENTION
    issues = list(batch.issues.order_by("line").values_list("line", "column", "value", "reason", "severity"))
    assert [(line, column, value, severity) for line, column, value, _, severity in issues] == [
        (2, "生年月日", "20261115", "error"),
        (3, "生年月日", "2011/10/02", "error"),
    ]
    assert "入国年月日（上陸年月日）（2026-10-01）が生年月日より前です" in issues[0][3]
    assert "2026-10-01）の時点で14歳です。特定技能は18歳以上" in issues[1][3]
    records = {r.name: r for r in IsaRecord.objects.filter(batch=batch)}
    assert records["TRAN THI BINH"].problems == ["birth_date"]
    assert records["TRAN THI BINH"].birth_date == date(2011, 10, 2)  # both dates kept: either may be wrong
    assert records["SITI RAHAYU"].problems == []
    assert batch.rows_with_errors == 2


def test_a_minor_at_separation_is_a_problem_in_every_annex(municipality):
    rows = [["NGUYEN VAN AN", "132101", "東京都小金井市本町1-2-3", "男", "20100101", "20261001"]]
    batch = run_import(municipality, isa_bytes(rows, annex=2))
    assert [(i.line, i.column) for i in batch.issues.all()] == [(2, "生年月日")]
    assert "受入終了（離職）年月日（2026-10-01）の時点で16歳です" in batch.issues.get().reason


def test_a_file_of_another_municipality_is_refused_whole(municipality):
    """Every row with another municipality's code: the wrong office's file. Refused before anything
    is stored, saying whose codes they are and what to do."""
    rows = [
        [name, "141011", "神奈川県横浜市鶴見区鶴見中央1-2-3", sex, birth, event]
        for name, _, _, sex, birth, event in GOOD_ROWS
    ]
    batch = run_import(municipality, isa_bytes(rows))
    assert batch.status == BatchStatus.REJECTED
    assert "3行すべての住所のコードが" in batch.rejection_reason
    assert "141011" in batch.rejection_reason
    assert "別の自治体のファイルのようです" in batch.rejection_reason
    assert "住居地（地方公共団体コード）" in batch.rejection_reason
    assert not IsaRecord.objects.exists()
    assert not batch.issues.exists()


def test_a_few_people_registered_elsewhere_are_row_problems_not_a_refusal(municipality):
    """ISA sorts by the address at extraction: people who moved carry another code. One row of this
    municipality's is enough for the file to be this municipality's."""
    rows = [
        [name, "141011", address, sex, birth, event] for name, _, address, sex, birth, event in GOOD_ROWS[:2]
    ]
    batch = run_import(municipality, isa_bytes([*rows, GOOD_ROWS[2]]))
    assert batch.status == BatchStatus.NEEDS_ATTENTION
    assert IsaRecord.objects.filter(batch=batch).count() == 3
    assert [i.line for i in batch.issues.all()] == [2, 3]
