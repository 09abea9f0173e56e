"""The reference matcher for the matching benchmark: Splink 4 (probabilistic record linkage, Fellegi-
Sunter with EM) on DuckDB, configured the way a competent Splink user would, run on the files the
demo generator writes (or `bench.febrl` writes from FEBRL4).

    rows, seconds, details = run_splink(Path("var/bench/demo-200000-5000-7"))

`rows` are one prediction per ISA record (source_file, row_number, resident_code, decision, score)
for `bench.evaluate`; `seconds` is wall time from the loaded files (pandas frames) to the decisions:
normalisation, training, prediction and the per-record decision. `details` has the timings per
phase, the pair counts and the trained match weights. Needs the optional `bench` dependencies
(`pip install -e '.[bench]'`): Splink is not a dependency of the portal.

Inputs. Register: residents.csv, only residents with a Latin name (`name_alpha`), any status
(former residents are still candidates, as in the portal). ISA: the three annex files (CP932,
Japanese headers), row_number = 1-based data row of each file; dates in any of the ISA notations
(read with `nhi_portal.domain.wareki.parse_date`), sex as 男/女 or 1/2.

Normalisation (what a competent user does before Splink, nothing specific to the generator):
names NFKC (full-width letters), diacritics stripped, upper case, punctuation (comma, dots) to
spaces, spaces collapsed; derived: tokens sorted (word order), no spaces (merged/split words), the
token array. Dates to ISO. Addresses NFKC, no spaces, prefecture dropped, kanji numerals before
丁目/番/号 to digits, 「1丁目2番3号」 and 「1ー2ー3」 to 1-2-3, 「号室」 dropped; derived: the address up
to its block number (town + 1-2-3) without building and room.

Model (link_only, ISA × register):
  name      CustomComparison: exact sorted tokens (term-frequency adjusted) / same letters without
            spaces / Jaro-Winkler ≥ 0.95 on sorted tokens or Damerau-Levenshtein ≤ 1 without spaces /
            one token set inside the other / ≥ 2 shared tokens / Jaro-Winkler ≥ 0.88 / else
  dob       DateOfBirthComparison (exact, Damerau-Levenshtein ≤ 1, within 1 month, 1 year, 10 years)
  sex       ExactMatch;  lg_code  ExactMatch
  address   CustomComparison: exact / same block (building or room differs) / Jaro-Winkler ≥ 0.9 / else
Blocking for prediction (any rule): same birth date; same sorted name; a shared name token with the
same birth year, or with the same month-day (an exploded token array); same birth year-month and
first three name letters; same normalised address; a shared name token in the same block address.
Training: λ from a deterministic rule (same sorted name and birth date, recall 0.95); u by random
sampling (Splink's default 1M pairs, fixed seed); m by EM in two sessions, blocked on birth date
(trains name, sex, municipality, address) and on sorted name (trains birth date, sex, municipality,
address).

Decision per ISA record, from its scored candidates: auto_match when the best has match probability
≥ AUTO_PROBABILITY, no other candidate reaches REVIEW_PROBABILITY (two plausible people: a human
decides) and the best's match weight is CLOSE_MARGIN above the runner-up's; review when the best
reaches REVIEW_PROBABILITY; otherwise no_match. REVIEW_PROBABILITY = 0.5 is the usual "more likely
than not". AUTO_PROBABILITY was chosen on a separate tuning seed (generator seed 5, 200,000
residents, 5,000 ISA records), never on evaluation data: the smallest of the usual values (0.9,
0.95, 0.99, 0.995, 0.999) with precision ≥ 99.9% there. On that seed every one of them had 100%
precision once the runner-up rule was in (without it the 9 same-name/birth-date/sex records were
auto-matched); 0.9 gave recall 99.88%, review 0.22%; 0.99 recall 99.05%, review 1.02%.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from pathlib import Path

import pandas as pd

from nhi_portal.domain.wareki import DateProblem, parse_date

ISA_FILES = ("isa_annex1_entry.csv", "isa_annex2_separation.csv", "isa_annex3_status_change.csv")
ISA_COLUMNS = {
    "氏名（英字）": "name",
    "住居地（地方公共団体コード）": "lg_code",
    "住居地": "address",
    "性別": "sex",
    "生年月日": "dob",
}
SEX = {"男": "M", "女": "F", "1": "M", "2": "F", "M": "M", "F": "F", "男性": "M", "女性": "F"}

AUTO_PROBABILITY = 0.9  # chosen on the tuning seed, see the module docstring
CLOSE_MARGIN = 3.0  # match weight (log2 Bayes factor) of the best over the second-best candidate
REVIEW_PROBABILITY = 0.5
PREDICT_THRESHOLD = 0.001  # pairs below this probability are dropped by Splink's predict()
U_PAIRS = 1_000_000  # Splink's default
SEED = 42

# --- normalisation -------------------------------------------------------------------------------

_PUNCT = re.compile(r"[^A-Z?]+")
_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_KANJI_NUMBER = re.compile(r"[〇零一二三四五六七八九十]+(?=丁目|番地|番|号)")
_PREFECTURE = re.compile(r"^(東京都|北海道|京都府|大阪府|[^都道府県市区町村]{2,3}県)")
_DASH = re.compile(r"(?<=\d)[ー－−‐―–—-](?=\d)")
_CHOME_BAN_GO = re.compile(r"(\d+)丁目(\d+)(?:番地?|-)(\d+)号?")
_CHOME_BAN = re.compile(r"(\d+)丁目(\d+)番地?")
_BAN_GO = re.compile(r"(\d+)番地?(\d+)号?")
_BLOCK = re.compile(r"^(.*?\d+(?:-\d+)+)")  # town 1-2-3 / 1-2: a Japanese block number


def normalize_name(value: str | None) -> str:
    text = unicodedata.normalize("NFKC", value or "")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = text.upper().replace("Đ", "D").replace("Ø", "O")
    return " ".join(_PUNCT.sub(" ", text).split())


def _kanji_to_int(text: str) -> str:
    if "十" not in text:
        return "".join(str(_KANJI_DIGITS[c]) for c in text)
    tens, _, ones = text.partition("十")
    value = (_KANJI_DIGITS[tens] if tens else 1) * 10 + (_KANJI_DIGITS[ones] if ones else 0)
    return str(value)


def normalize_address(value: str | None) -> str:
    text = unicodedata.normalize("NFKC", value or "")
    text = re.sub(r"\s+", "", text)
    text = _PREFECTURE.sub("", text)
    text = _KANJI_NUMBER.sub(lambda m: _kanji_to_int(m[0]), text)
    text = _DASH.sub("-", text)
    text = _CHOME_BAN_GO.sub(r"\1-\2-\3", text)
    text = _CHOME_BAN.sub(r"\1-\2", text)
    text = _BAN_GO.sub(r"\1-\2", text)
    return text.replace("号室", "")


def address_block(normalized: str) -> str:
    """The address up to its block number (town 1-2-3), without building and room; "" when it has
    no such number."""
    m = _BLOCK.match(normalized)
    return m[1] if m else ""


def parse_iso_date(value: str | None) -> str | None:
    if not value or not str(value).strip():
        return None
    try:
        return parse_date(str(value)).isoformat()
    except DateProblem:
        return None


def normalize_sex(value: str | None) -> str | None:
    text = unicodedata.normalize("NFKC", value or "").strip().upper()
    return SEX.get(text)


def _none_if_empty(value: str) -> str | None:
    return value or None


def prepare(df: pd.DataFrame, *, name: str, dob: str, sex: str, lg_code: str, address: str) -> pd.DataFrame:
    """The Splink input table: normalised and derived columns (None for missing values)."""
    names = [normalize_name(v) for v in df[name]]
    tokens = [n.split() for n in names]
    addresses = [normalize_address(v) for v in df[address]]
    dobs = [parse_iso_date(v) for v in df[dob]]
    return pd.DataFrame(
        {
            "unique_id": df["unique_id"].to_numpy(),
            "name": [_none_if_empty(n) for n in names],
            "name_sorted": [_none_if_empty(" ".join(sorted(t))) for t in tokens],
            "name_nospace": [_none_if_empty("".join(t)) for t in tokens],
            "name_tokens": [sorted(set(t)) or None for t in tokens],
            "dob": dobs,
            "birth_year": [d[:4] if d else None for d in dobs],
            "birth_month": [d[:7] if d else None for d in dobs],
            "birth_day": [d[5:] if d else None for d in dobs],
            "name_prefix": [_none_if_empty("".join(t)[:3]) for t in tokens],
            "sex": [normalize_sex(v) for v in df[sex]],
            "lg_code": [_none_if_empty(unicodedata.normalize("NFKC", v or "").strip()) for v in df[lg_code]],
            "address": [_none_if_empty(a) for a in addresses],
            "address_block": [_none_if_empty(address_block(a)) for a in addresses],
        }
    )


# --- loading -------------------------------------------------------------------------------------


def isa_files(data_dir: Path) -> list[str]:
    """The ISA files of a data set: the generator's annex names, else any isa_*.csv (the 横浜市
    sample names them isa_entry.csv, isa_separation.csv, isa_status_change.csv)."""
    known = [name for name in ISA_FILES if (data_dir / name).exists()]
    return known or sorted(p.name for p in data_dir.glob("isa_*.csv"))


def load_files(data_dir: Path | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(register, isa) as raw string frames. Register: Latin-name residents only, every status.
    ISA: the annex files present in `data_dir`, with `source_file` and 1-based `row_number`."""
    data_dir = Path(data_dir)
    register_path = data_dir / "residents.csv"
    if not register_path.exists():
        register_path = data_dir / "residents.csv.gz"
    register = pd.read_csv(register_path, dtype=str, keep_default_na=False, encoding="utf-8", na_filter=False)
    register = register[register["name_alpha"].str.strip() != ""].reset_index(drop=True)
    register["unique_id"] = register["resident_code"]
    frames = []
    for filename in isa_files(data_dir):
        path = data_dir / filename
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp932", na_filter=False)
        df = df.rename(columns=ISA_COLUMNS)[list(ISA_COLUMNS.values())]
        df["source_file"] = filename
        df["row_number"] = range(1, len(df) + 1)
        frames.append(df)
    if not frames:
        raise FileNotFoundError(f"no ISA file in {data_dir}")
    isa = pd.concat(frames, ignore_index=True)
    isa["unique_id"] = isa["source_file"].str[:11] + ":" + isa["row_number"].astype(str)
    return register, isa


# --- Splink ----------------------------------------------------------------------------------------


def settings():
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description="Latin name",
        comparison_levels=[
            cll.NullLevel("name_sorted"),
            cll.ExactMatchLevel("name_sorted", term_frequency_adjustments=True),
            cll.ExactMatchLevel("name_nospace"),
            cll.Or(cll.JaroWinklerLevel("name_sorted", 0.95), cll.DamerauLevenshteinLevel("name_nospace", 1)),
            cll.Or(cll.ArraySubsetLevel("name_tokens"), cll.ArrayIntersectLevel("name_tokens", 2)),
            cll.JaroWinklerLevel("name_sorted", 0.88),
            cll.ElseLevel(),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_description="address",
        comparison_levels=[
            cll.NullLevel("address"),
            cll.ExactMatchLevel("address"),
            cll.ExactMatchLevel("address_block"),
            cll.JaroWinklerLevel("address", 0.9),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[
            name,
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d"),
            cl.ExactMatch("sex"),
            cl.ExactMatch("lg_code"),
            address,
        ],
        blocking_rules_to_generate_predictions=[
            block_on("dob"),
            block_on("name_sorted"),
            block_on("name_tokens", "birth_year", arrays_to_explode=["name_tokens"]),
            block_on("name_tokens", "birth_day", arrays_to_explode=["name_tokens"]),
            block_on("birth_month", "name_prefix"),
            block_on("address"),
            block_on("name_tokens", "address_block", arrays_to_explode=["name_tokens"]),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _train(linker) -> None:
    from splink import block_on

    linker.training.estimate_probability_two_random_records_match(
        [block_on("name_sorted", "dob")], recall=0.95
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=SEED)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_sorted"))


def _weights(linker) -> dict:
    """Trained match weights per comparison level, for the report (Splink internals: {} if they move)."""
    out = {}
    try:
        for comparison in linker._settings_obj.comparisons:
            out[comparison.output_column_name] = {
                level.label_for_charts: _rounded(level._log2_bayes_factor)
                for level in comparison.comparison_levels
                if not level.is_null_level
            }
    except AttributeError:
        return {}
    return out


def _rounded(value) -> float | None:
    try:
        return round(float(value), 2)
    except (TypeError, ValueError, OverflowError):
        return None


def decide(
    pairs: pd.DataFrame,
    isa: pd.DataFrame,
    *,
    auto_probability: float = AUTO_PROBABILITY,
    close_margin: float = CLOSE_MARGIN,
    review_probability: float = REVIEW_PROBABILITY,
) -> list[dict]:
    """One decision per ISA record from Splink's scored pairs (columns isa_id, resident_id,
    match_probability, match_weight): auto_match when the best candidate reaches
    `auto_probability`, no other candidate reaches `review_probability` and the best one's match
    weight is `close_margin` above the runner-up's; review when the best reaches
    `review_probability`; no_match otherwise (resident_code then empty)."""
    ordered = pairs.sort_values(["isa_id", "match_weight"], ascending=[True, False], kind="stable")
    groups = ordered.groupby("isa_id", sort=False)
    first = groups.nth(0).set_index("isa_id")
    second = groups.nth(1).set_index("isa_id")
    best = dict(
        zip(
            first.index,
            zip(first["match_probability"], first["match_weight"], first["resident_id"], strict=True),
            strict=True,
        )
    )
    runner_up = dict(
        zip(second.index, zip(second["match_probability"], second["match_weight"], strict=True), strict=True)
    )
    rows = []
    for isa_id, source_file, row_number in zip(
        isa["unique_id"], isa["source_file"], isa["row_number"], strict=True
    ):
        if isa_id not in best:
            rows.append(_row(source_file, row_number, "", "no_match", 0.0))
            continue
        probability, weight, resident = best[isa_id]
        second_probability, second_weight = runner_up.get(isa_id, (0.0, float("-inf")))
        if (
            probability >= auto_probability
            and second_probability < review_probability
            and weight - second_weight >= close_margin
        ):
            decision = "auto_match"
        elif probability >= review_probability:
            decision = "review"
        else:
            decision, resident = "no_match", ""
        rows.append(_row(source_file, row_number, str(resident), decision, float(probability)))
    return rows


def _row(source_file: str, row_number, resident_code: str, decision: str, score: float) -> dict:
    return {
        "source_file": source_file,
        "row_number": int(row_number),
        "resident_code": resident_code,
        "decision": decision,
        "score": round(score, 6),
    }


def scored_pairs(register: pd.DataFrame, isa: pd.DataFrame, *, threads: int | None = None) -> tuple:
    """Train Splink and score the blocked pairs. Returns (pairs frame, timings, details)."""
    import duckdb
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.WARNING)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    reg = prepare(
        register, name="name_alpha", dob="birth_date", sex="sex", lg_code="lg_code", address="address"
    )
    rec = prepare(isa, name="name", dob="dob", sex="sex", lg_code="lg_code", address="address")
    timings["normalise"] = time.perf_counter() - started

    started = time.perf_counter()
    connection = duckdb.connect()
    if threads:
        connection.execute(f"SET threads TO {int(threads)}")
    linker = Linker(
        [rec, reg], settings(), db_api=DuckDBAPI(connection), input_table_aliases=["isa", "register"]
    )
    _train(linker)
    timings["train"] = time.perf_counter() - started

    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_THRESHOLD)
    df = predictions.as_pandas_dataframe()
    timings["predict"] = time.perf_counter() - started

    left_is_isa = df["source_dataset_l"] == "isa"
    pairs = pd.DataFrame(
        {
            "isa_id": df["unique_id_l"].where(left_is_isa, df["unique_id_r"]),
            "resident_id": df["unique_id_r"].where(left_is_isa, df["unique_id_l"]),
            "match_probability": df["match_probability"],
            "match_weight": df["match_weight"],
        }
    )
    details = {
        "register_rows": len(reg),
        "isa_rows": len(rec),
        "pairs_above_threshold": len(pairs),
        "match_weights": _weights(linker),
        "probability_two_random_records_match": getattr(
            getattr(linker, "_settings_obj", None), "_probability_two_random_records_match", None
        ),
    }
    return pairs, timings, details


def run_splink(
    data_dir: Path | str, *, threads: int | None = None, keep_pairs: bool = False, **thresholds
) -> tuple[list[dict], float, dict]:
    """Run the reference on the generator's files in `data_dir`: (prediction rows, seconds, details).

    `seconds` counts from the loaded files to the decisions (normalisation, training, prediction,
    decision); reading the CSV files is in details["timings"]["load"]. `threads` caps DuckDB's
    threads (default: all cores). `keep_pairs` adds the scored pairs frame as details["pairs"]
    (for tuning; details is JSON-friendly without it). `thresholds` override auto_probability,
    close_margin, review_probability (tuning only)."""
    started = time.perf_counter()
    register, isa = load_files(data_dir)
    load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    pairs, timings, details = scored_pairs(register, isa, threads=threads)
    decide_started = time.perf_counter()
    rows = decide(pairs, isa, **thresholds)
    timings["decide"] = time.perf_counter() - decide_started
    seconds = time.perf_counter() - started
    timings["load"] = load_seconds
    details["timings"] = {k: round(v, 2) for k, v in timings.items()}
    details["thresholds"] = {
        "auto_probability": thresholds.get("auto_probability", AUTO_PROBABILITY),
        "close_margin": thresholds.get("close_margin", CLOSE_MARGIN),
        "review_probability": thresholds.get("review_probability", REVIEW_PROBABILITY),
    }
    if keep_pairs:
        details["pairs"] = pairs
    return rows, seconds, details
