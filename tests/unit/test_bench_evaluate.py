"""The benchmark's scoring against truth.csv (bench.evaluate), the FEBRL4 mapping (bench.febrl) and
the Splink reference's normalisation and decision rule (bench.splink_reference; Splink itself only
in the slow end-to-end test, skipped when the optional `bench` dependencies are not installed)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from bench import evaluate as ev
from bench import febrl
from bench import splink_reference as sr

F1, F2 = "isa_annex1_entry.csv", "isa_annex2_separation.csv"


def truth(row, code, expected="match", differences="", source=F1):
    return {
        "source_file": source,
        "row_number": row,
        "resident_code": code,
        "differences": differences,
        "expected": expected,
    }


def pred(row, code, decision, source=F1, score=1.0):
    return {
        "source_file": source,
        "row_number": row,
        "resident_code": code,
        "decision": decision,
        "score": score,
    }


# --- evaluate ------------------------------------------------------------------------------------


def test_figures_on_a_small_example():
    t = [
        truth(1, "A"),
        truth(2, "B", differences="name_typo"),
        truth(3, "C", differences="name_typo;address_moved"),
        truth(4, "D", differences="dob_digit_off"),
        truth(5, "", "not_in_register", "similar_name_in_register"),
        truth(6, "E", "ambiguous", "same_name_dob_sex_in_register"),
        truth(1, "F", source=F2),
        truth(2, "", "not_in_register", "unregistered", source=F2),
    ]
    p = [
        pred(1, "A", "auto_match"),  # correct
        pred(2, "X", "auto_match"),  # wrong resident
        pred(3, "C", "review"),  # missed: review
        pred(4, "", "no_match"),  # missed: no match
        pred(5, "Z", "auto_match"),  # false positive
        pred(6, "E", "auto_match"),  # ambiguous auto-matched (the true one, still an error)
        pred(1, "F", "auto_match", source=F2),  # correct
        pred(2, "", "no_match", source=F2),  # correct rejection
    ]
    e = ev.evaluate(p, t)
    assert e.records == 8
    assert (e.auto, e.review, e.decisions["no_match"]) == (5, 1, 2)
    assert e.correct_auto == 2
    assert e.precision == pytest.approx(2 / 5)
    assert e.true_matches == 5
    assert e.recall == pytest.approx(2 / 5)
    assert e.review_rate == pytest.approx(1 / 8)
    assert e.false_auto == {"wrong_resident": 1, "not_in_register": 1, "ambiguous": 1}
    assert e.missed == {"wrong_resident": 1, "review": 1, "no_match": 1}
    assert e.ambiguous == {"auto_match": 1}
    assert e.ambiguous_auto_true_resident == 1
    assert e.not_in_register == {"auto_match": 1, "no_match": 1}
    typo = e.by_label["name_typo"]
    assert typo.records == 2
    assert typo.false_auto == {"wrong_resident": 1}
    assert typo.missed == {"wrong_resident": 1, "review": 1}
    assert e.by_label["address_moved"].missed == {"review": 1}
    assert e.by_label["similar_name_in_register"].false_auto == {"not_in_register": 1}
    assert e.by_label["same_name_dob_sex_in_register"].false_auto == {"ambiguous": 1}
    assert e.by_label[ev.NO_LABEL].records == 2
    assert e.by_label[ev.NO_LABEL].false_auto_total == 0
    summary = e.summary()
    assert summary["precision"] == pytest.approx(0.4)
    assert summary["false_auto"]["ambiguous"] == 1


def test_ambiguous_sent_to_review_is_not_an_error():
    e = ev.evaluate(
        [pred(1, "A", "auto_match"), pred(2, "E", "review")],
        [truth(1, "A"), truth(2, "E", "ambiguous", "same_name_dob_sex_in_register")],
    )
    assert e.precision == 1.0
    assert e.recall == 1.0
    assert e.review_rate == 0.5
    assert e.ambiguous == {"review": 1}
    assert not e.false_auto and not e.missed


def test_missing_prediction_counts_as_no_match_and_extra_ones_are_ignored():
    e = ev.evaluate([pred(9, "Q", "auto_match")], [truth(1, "A")])
    assert e.missing_predictions == 1
    assert e.unknown_predictions == 1
    assert e.decisions == {"no_match": 1}
    assert e.missed == {"no_match": 1}
    assert e.recall == 0.0
    assert e.precision == 1.0  # nothing auto-matched


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="two predictions"):
        ev.evaluate([pred(1, "A", "review"), pred(1, "A", "review")], [truth(1, "A")])
    with pytest.raises(ValueError, match="unknown decision"):
        ev.evaluate([pred(1, "A", "maybe")], [truth(1, "A")])
    with pytest.raises(ValueError, match="unknown expected"):
        ev.evaluate([], [truth(1, "A", "perhaps")])


def test_row_numbers_may_be_strings():
    e = ev.evaluate([pred("1", "A", "auto_match")], [truth(1, "A")])
    assert e.correct_auto == 1


def test_files_round_trip(tmp_path):
    rows = [pred(1, "A", "auto_match", score=0.99), pred(2, "", "no_match", score=0.0)]
    ev.write_predictions(tmp_path / "p.csv", rows)
    back = ev.read_predictions(tmp_path / "p.csv")
    assert [r["row_number"] for r in back] == [1, 2]
    assert back[0]["score"] == pytest.approx(0.99)
    with (tmp_path / "truth.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["source_file", "row_number", "resident_code", "differences", "expected"])
        writer.writerow([F1, 1, "A", "", "match"])
        writer.writerow([F1, 2, "", "unregistered", "not_in_register"])
    e = ev.evaluate(back, ev.read_truth(tmp_path / "truth.csv"))
    assert (e.precision, e.recall, e.review_rate) == (1.0, 1.0, 0.0)


def test_side_by_side_table():
    t = [truth(1, "A"), truth(2, "B", differences="name_typo")]
    ours = ev.evaluate([pred(1, "A", "auto_match"), pred(2, "B", "auto_match")], t)
    theirs = ev.evaluate([pred(1, "A", "auto_match"), pred(2, "B", "review")], t)
    text = ev.format_comparison([ours, theirs], ["NHI Portal", "Splink"], seconds=[1.25, None])
    lines = text.splitlines()
    assert "NHI Portal" in lines[0] and "Splink" in lines[0]
    assert "100.00%" in lines[1]
    recall_line = next(line for line in lines if line.startswith("recall"))
    assert "100.00%" in recall_line and "50.00%" in recall_line
    seconds_line = next(line for line in lines if line.startswith("seconds"))
    assert "1.2" in seconds_line and seconds_line.rstrip().endswith("-")
    typo_line = next(line for line in lines if "name_typo" in line)
    assert "0/0 (1)" in typo_line and "0/1 (1)" in typo_line
    with pytest.raises(ValueError):
        ev.format_comparison([ours], ["a", "b"])


# --- FEBRL4 mapping ----------------------------------------------------------------------------------

FEBRL_HEADER = (
    "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, "
    "date_of_birth, soc_sec_id\n"
)


def test_febrl_mapping(tmp_path):
    source = tmp_path / "febrl"
    source.mkdir()
    (source / "dataset4a.csv").write_text(
        FEBRL_HEADER
        + "rec-7-org, michaela, neumann, 8, stanley street, miami, winston hills, 4223, nsw, 19151111, 5304218\n"
        + "rec-12-org, jack, , 3, light street, , windermere, 3212, vic, 19650231, 1551941\n",
        encoding="utf-8",
    )
    (source / "dataset4b.csv").write_text(
        FEBRL_HEADER
        + "rec-12-dup-0, elton, , 3, light setreet, , windermere, 3212, vic, , 1551941\n"
        + "rec-7-dup-0, neumann, michaela, 8, stanley street, miami, winston hills, 4223, nsw, 19151311, 5304218\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    summary = febrl.write_febrl4(out, directory=source)
    assert summary["residents"] == 2 and summary["isa_records"] == {febrl.ISA_FILE: 2}
    residents = list(csv.DictReader((out / "residents.csv").open(encoding="utf-8")))
    assert residents[0]["resident_code"] == "90000000007"
    assert residents[0]["name_alpha"] == "MICHAELA NEUMANN"
    assert residents[0]["birth_date"] == "1915-11-11"
    assert {r["sex"] for r in residents} == {"男"}  # FEBRL has no sex: one placeholder for all
    assert residents[0]["address"] == "8 stanley street, miami, winston hills 4223 nsw"
    assert residents[1]["birth_date"] == ""  # 31 February
    raw = (out / febrl.ISA_FILE).read_bytes()
    assert raw.count(b"\r\n") == 3
    lines = raw.decode("cp932").splitlines()
    assert lines[0].startswith("氏名（英字）,住居地（地方公共団体コード）")
    assert lines[1].split(",")[0] == "ELTON"
    assert {line.split(",")[-3] for line in lines[1:]} == {"男"}
    rows = list(csv.DictReader((out / "truth.csv").open(encoding="utf-8")))
    assert [r["resident_code"] for r in rows] == ["90000000012", "90000000007"]
    assert rows[0]["differences"] == "given_name_differs;dob_missing;address_differs"
    assert rows[1]["differences"] == "name_swapped;dob_invalid"
    assert {r["expected"] for r in rows} == {"match"}
    # The Splink side reads the same files.
    register, isa = sr.load_files(out)
    assert len(register) == 2 and list(isa["row_number"]) == [1, 2]


def test_febrl_helpers():
    assert febrl.febrl_number("rec-1070-dup-0") == 1070
    assert febrl.iso_birth_date("19480930") == "1948-09-30"
    assert febrl.iso_birth_date("1948093") == ""
    assert febrl.latin_name("", "green") == "GREEN"


# --- Splink reference: normalisation and decision --------------------------------------------------


def test_name_and_address_normalisation():
    assert sr.normalize_name("ＮＧＵＹＥＮ，　VĂN  Đức ") == "NGUYEN VAN DUC"
    assert sr.normalize_name("NGUY?N V?N AN") == "NGUY?N V?N AN"
    register = sr.normalize_address("東京都小金井市本町1丁目20番21号　メゾン小金井B102号室")
    assert register == "小金井市本町1-20-21メゾン小金井B102"
    assert sr.normalize_address("小金井市本町一丁目二十番二十一号 メゾン小金井B102") == register
    assert sr.normalize_address("東京都小金井市本町１ー２０ー２１　メゾン小金井Ｂ１０２") == register
    assert sr.address_block(register) == "小金井市本町1-20-21"
    assert sr.address_block("8stanleystreet,miami") == ""
    assert sr.parse_iso_date("平成10年4月12日") == "1998-04-12"
    assert sr.parse_iso_date("1998/04/31") is None
    assert sr.normalize_sex("2") == "F" and sr.normalize_sex("") is None


def test_decision_rule():
    isa = pd.DataFrame(
        {
            "unique_id": ["a", "b", "c", "d", "e"],
            "source_file": [F1] * 5,
            "row_number": [1, 2, 3, 4, 5],
        }
    )
    pairs = pd.DataFrame(
        [
            ("a", "R1", 0.999, 20.0),
            ("a", "R2", 0.01, -2.0),
            ("b", "R3", 0.995, 15.0),  # a second plausible candidate: review
            ("b", "R4", 0.97, 12.0),
            ("c", "R5", 0.7, 3.0),
            ("d", "R6", 0.2, -1.0),
        ],
        columns=["isa_id", "resident_id", "match_probability", "match_weight"],
    )
    rows = sr.decide(pairs, isa, auto_probability=0.9, review_probability=0.5, close_margin=3.0)
    assert [(r["decision"], r["resident_code"]) for r in rows] == [
        ("auto_match", "R1"),
        ("review", "R3"),
        ("review", "R5"),
        ("no_match", ""),
        ("no_match", ""),
    ]


@pytest.mark.slow
def test_splink_end_to_end_on_generated_data(tmp_path):
    pytest.importorskip("splink")
    from demo.generator import generate

    generate(tmp_path, residents=3000, seed=3, isa_records=200)
    rows, seconds, details = sr.run_splink(tmp_path)
    e = ev.evaluate(rows, ev.read_truth(tmp_path / "truth.csv"))
    assert e.records == 200 and e.missing_predictions == 0
    assert seconds > 0 and set(details["timings"]) >= {"load", "train", "predict"}
    assert e.precision >= 0.98 and e.recall >= 0.9
