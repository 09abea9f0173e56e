"""Deterministic synthetic data for demos, benchmarks and load tests: a resident register extract,
an NHI ledger extract, one month of the three ISA files and the ground truth linking them.

    generate(Path("var/demo"), residents=200_000, seed=1)

Same arguments → byte-identical files (one `random.Random` per stream, seeded from `seed`; no
clock, no hash randomisation). The population is cut into shards of SHARD_RESIDENTS residents that
are generated independently — in worker processes if `workers` > 1 — and streamed
to part files household by household, so 4 million residents need little memory: only the ISA
records (a few hundred bytes each) and one matching key per foreign resident are kept until the end.
The number of workers never changes the output.

Every name is a random combination of common name parts (names.py); resident codes and insured
numbers are permutations of a number range, not real codes. Pure Python, no Django.

Adding a file later (premium assessments, payments): write a sink with `add(household)` and
`close()` (see ResidentSink, LedgerSink) and append it in `generate`; every household passes through
all sinks with its members, address and NHI periods.
"""

from __future__ import annotations

import csv
import heapq
import itertools
import json
import math
import multiprocessing
import os
import random
import shutil
import threading
from array import array
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from demo.codes import ResidentCodes
from demo.names import (
    JP_FEMALE,
    JP_MALE,
    JP_SURNAMES,
    ForeignName,
    Part,
    Weighted,
    foreign_name,
    japanese_alias,
)
from demo.places import (
    NOTATION_STYLES,
    Address,
    Municipality,
    apartment_name,
    dormitory_name,
    isa_address,
    municipality_for,
    register_address,
    to_fullwidth,
    with_check_digit,
)
from demo.variants import (
    BIT,
    LABELS,
    SEX_STYLES,
    digit_off,
    format_date,
    labels_of,
    name_key,
    name_variant,
    near_miss_dates,
    near_name,
    pad,
    person_key,
    swapped_day_month,
    typo,
    within_one_edit,
)

# =================================================================================================
# Proportions. Rates of ISA differences are shares of the ISA records about a person who IS in the
# register, drawn as exact counts (rounded) and spread at random, independently of each other, so
# a few records carry two differences, as in real data.
# =================================================================================================

# Residents per shard. Shards are generated independently (in parallel when possible); the output
# depends on this number but not on the number of worker processes.
SHARD_RESIDENTS = 250_000

# Default month = the month before this fixed date (never today's date: output must not change).
REFERENCE_DATE = date(2025, 11, 1)

# --- population -----------------------------------------------------------------------------------
# About 10% foreign residents (Tokyo suburbs: 4-5%; industrial towns with many SSW: 10-20%; a
# demo needs enough of them). SSW are ~3% of residents, more when the requested ISA volume needs
# them: each in-register ISA record is a distinct SSW resident, plus 20% SSW who are in no file.
SSW_SHARE = 0.03
SSW_PER_ISA_RECORD = 1.2
OTHER_FOREIGN_SHARE = 0.07

# --- ISA volume -----------------------------------------------------------------------------------
DEFAULT_ISA_SHARE = 0.025  # records per resident per month when isa_records is None
ANNEX_SHARES = (0.45, 0.35, 0.20)  # 別紙1 entry, 別紙2 separation, 別紙3 status change
PREVIOUS_MONTH_EVENT_SHARE = 0.15  # events reported a month late

# --- people who are not in the register ----------------------------------------------------------
# A few % of records concern people the register does not know (notified elsewhere, not yet
# registered, a wrong municipality code). 40% of them are hard negatives: a resident has the same
# or an almost identical name (common Vietnamese names repeat a lot) with another birth date.
NOT_IN_REGISTER_RATE = 0.03
HARD_NEGATIVE_SHARE = 0.40

# --- differences of in-register records ------------------------------------------------------------
# Both sides copy the name from the residence card and the address from the residence notification
# the municipality itself forwarded, so most records agree. Address *notation* differs often (ISA
# keeps what was keyed: hyphens, full-width digits, no prefecture); building/room are dropped now
# and then; ~3% moved within the city between the two extractions. Name differences come from
# manual re-keying (order, comma, spacing, a missing middle name) and are each 1-2.5%; genuine
# typos ~1%; a wrong birth date (swap, one digit) or sex is rare (≤0.3%) because both come from the
# card. Together ~99% of true matches stay auto-matchable (name+birth date+sex, tolerant of
# notation), and the rest (wrong birth date, twins) must go to review.
DIFFERENCE_RATES = {
    "name_order_swapped": 0.025,
    "middle_name_missing": 0.015,
    "name_spacing": 0.015,
    "name_typo": 0.010,
    "diacritics": 0.003,  # appears as diacritics_lost ('?') in a CP932 file
    "name_comma": 0.015,
    "fullwidth_name": 0.010,
    "cell_padding": 0.015,
    "address_notation": 0.30,
    "address_kanji_numerals": 0.02,
    "address_building_missing": 0.04,
    "address_room_missing": 0.02,
    "address_moved": 0.03,
    "dob_day_month_swapped": 0.002,
    "dob_digit_off": 0.003,
    "fullwidth_date": 0.005,
    "sex_mismatch": 0.0005,
}
# Register status of the person is 転出/死亡/国外転出: they left after the ISA event (separated SSW
# often go home). The matcher must still find them; the case is then closed, not opened.
FORMER_RESIDENT_RATE = 0.025
# Another resident who shares the person's name and birth date (issue 12's patterns, as a
# 横浜市-sized month shows them: ~0.7% truly ambiguous, ~1.5% namesakes at other addresses, ~1.9%
# near-identical names, ~0.3% of the other sex). Kinds: the same sex at the same address
# (doppelganger: only a person can tell, truth "ambiguous"); the same sex at another address (the
# ISA address names one of them: truth "match"); the other sex; a near-identical name
# (AN/ANH, HOA/HOAI) with the same sex. The last three are decidable: truth "match".
AMBIGUOUS_RATE = 0.04
NAMESAKE_KINDS = Weighted(
    ("doppelganger_same_address", "namesake_other_address", "namesake_opposite_sex", "near_name_same_dob"),
    (18, 35, 8, 39),
)
# Of the records about people not in the register, a share is about people registered in another
# municipality (the ISA address is there); half of those share name, birth date and sex with a
# resident here who is still 在住 (no letter either way: truth "not_in_register").
REGISTERED_ELSEWHERE_SHARE = 0.4
# Errors that make a twin indistinguishable are not combined with a twin.
_NOT_WITH_TWIN = (
    "name_typo", "middle_name_missing", "name_spacing", "address_moved",
    "dob_day_month_swapped", "dob_digit_off", "sex_mismatch",
)  # fmt: skip

# --- nationalities, residence statuses ------------------------------------------------------------
# SSW by nationality (ISA statistics 2024: Vietnam about half, then Indonesia, Philippines, Myanmar).
SSW_NATIONALITIES = Weighted(
    ("VN", "ID", "PH", "MM", "CN", "NP", "TH", "LK", "KR"), (50, 17, 10, 10, 5, 3, 2.5, 1.5, 1)
)
# Other foreign residents (all statuses): overall Vietnam > China > Philippines > Indonesia >
# Myanmar > Nepal, Korea, then a few Brazilians, Thais, Sri Lankans, Americans.
OTHER_NATIONALITIES = Weighted(
    ("VN", "CN", "PH", "ID", "MM", "NP", "KR", "BR", "TH", "LK", "US"),
    (22, 26, 12, 5, 7, 7.5, 5, 4, 2.5, 2.5, 2.5),
)
MALE_SHARE = {"VN": 0.55, "ID": 0.7, "PH": 0.4, "MM": 0.5, "CN": 0.45, "NP": 0.6, "TH": 0.35}

_S = {
    "PR": "永住者", "SPR": "特別永住者", "LTR": "定住者", "SPJ": "日本人の配偶者等",
    "SPP": "永住者の配偶者等", "ENG": "技術・人文知識・国際業務", "SKL": "技能", "DEP": "家族滞在",
    "STU": "留学", "TIT1": "技能実習1号ロ", "TIT2": "技能実習2号ロ", "DA": "特定活動",
    "BM": "経営・管理", "PROF": "教授", "INS": "教育", "SSW1": "特定技能1号", "SSW2": "特定技能2号",
}  # fmt: skip
RESIDENCE_STATUSES = {
    nat: Weighted([_S[k] for k in mix], mix.values())
    for nat, mix in {
        "VN": {"TIT2": 20, "TIT1": 15, "STU": 20, "ENG": 20, "DEP": 8, "PR": 10, "DA": 4, "SPJ": 3},
        "CN": {"PR": 35, "ENG": 20, "STU": 15, "DEP": 10, "SPJ": 7, "LTR": 5, "BM": 5, "SKL": 3},
        "PH": {"PR": 45, "LTR": 15, "SPJ": 15, "TIT2": 12, "ENG": 5, "DEP": 3, "SPP": 5},
        "ID": {"TIT2": 35, "TIT1": 20, "STU": 15, "ENG": 10, "PR": 5, "DEP": 5, "DA": 10},
        "MM": {"TIT2": 20, "TIT1": 15, "STU": 20, "DA": 25, "ENG": 10, "PR": 5, "DEP": 5},
        "NP": {"STU": 35, "DEP": 25, "SKL": 15, "ENG": 15, "PR": 10},
        "KR": {"SPR": 45, "PR": 25, "ENG": 12, "STU": 10, "SPJ": 8},
        "BR": {"PR": 55, "LTR": 35, "SPJ": 10},
        "TH": {"SPJ": 30, "PR": 30, "TIT2": 25, "STU": 15},
        "LK": {"STU": 35, "ENG": 25, "DEP": 15, "DA": 15, "PR": 10},
        "US": {"ENG": 30, "PR": 25, "SPJ": 20, "PROF": 10, "INS": 15},
    }.items()
}
# Probability that a household headed by a person with this status is in NHI (students must join;
# trainees and engineers are almost always employee-insured).
NHI_BY_STATUS = {
    _S["STU"]: 0.92, _S["PR"]: 0.35, _S["SPR"]: 0.35, _S["LTR"]: 0.45, _S["SPJ"]: 0.3, _S["SPP"]: 0.35,
    _S["ENG"]: 0.08, _S["SKL"]: 0.4, _S["DEP"]: 0.5, _S["TIT1"]: 0.02, _S["TIT2"]: 0.02, _S["DA"]: 0.5,
    _S["BM"]: 0.75, _S["PROF"]: 0.05, _S["INS"]: 0.2,
}  # fmt: skip
_FAMILY_STATUSES = {_S["PR"], _S["SPR"], _S["LTR"], _S["BM"]}
_WORK_WITH_FAMILY = {_S["ENG"], _S["SKL"], _S["PROF"], _S["INS"], _S["DEP"]}
_DORM_STATUSES = {_S["TIT1"], _S["TIT2"]}

# --- Japanese households ----------------------------------------------------------------------------
# Household types of a Tokyo suburb (2020 census-like: ~36% one person, average size ~2.1).
_JP_TYPES = Weighted(("single", "couple", "family", "single_parent", "three_gen", "with_parent"),
                     (36, 20, 26, 7, 5, 6))  # fmt: skip
_SINGLE_AGES = Weighted(((18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 74), (75, 89), (90, 99)),
                        (18, 22, 12, 11, 10, 12, 13, 2))  # fmt: skip
_COUPLE_AGES = Weighted(((25, 34), (35, 44), (45, 54), (55, 64), (65, 74), (75, 92)), (8, 9, 11, 15, 27, 30))
_PARENT_AGES = Weighted(((28, 34), (35, 44), (45, 54), (55, 60)), (15, 40, 35, 10))
# NHI: self-employed, non-regular and unemployed people under 65, and most people aged 65-74.
_JP_NHI_BY_HEAD_AGE = ((25, 0.2), (60, 0.18), (65, 0.4), (75, 0.85), (200, 0.75))

# Ages of SSW: 19-45, most in their twenties (triangular, mode 26), as a quantile table.
_SSW_AGES = tuple(
    int(19 + math.sqrt(q * 27 * 7) if q < 7 / 27 else 46 - math.sqrt((1 - q) * 27 * 20))
    for q in ((i + 0.5) / 1000 for i in range(1000))
)

REGISTER_HEADER = (
    "resident_code", "name_alpha", "name_kana", "name_kanji", "sex", "birth_date", "nationality",
    "residence_status", "lg_code", "address", "moved_in_date", "moved_out_date", "status",
    "postal_code", "household_head_code",
)  # fmt: skip
LEDGER_HEADER = (
    "insured_number",
    "resident_code",
    "household_head_code",
    "acquired_date",
    "lost_date",
    "lost_reason",
)
ISA_COMMON_HEADER = ("氏名（英字）", "住居地（地方公共団体コード）", "住居地", "性別", "生年月日")
ISA_FILES = {
    1: ("isa_annex1_entry.csv", "入国年月日（上陸年月日）"),
    2: ("isa_annex2_separation.csv", "受入終了（離職）年月日"),
    3: ("isa_annex3_status_change.csv", "在留資格変更年月日"),
}
TRUTH_HEADER = ("source_file", "row_number", "resident_code", "differences", "expected")

_B_MOVED, _B_NOTATION, _B_KANJI = BIT["address_moved"], BIT["address_notation"], BIT["address_kanji_numerals"]
_B_BUILDING, _B_ROOM = BIT["address_building_missing"], BIT["address_room_missing"]
_ADDRESS_BITS = _B_MOVED | _B_NOTATION | _B_KANJI | _B_BUILDING | _B_ROOM
_NAME_BITS = sum(
    BIT[label]
    for label in (
        "name_order_swapped", "middle_name_missing", "name_spacing", "name_typo", "diacritics",
        "diacritics_lost", "name_comma", "fullwidth_name",
    )
)  # fmt: skip
_B_SWAP, _B_DIGIT = BIT["dob_day_month_swapped"], BIT["dob_digit_off"]
_DOB_BITS = _B_SWAP | _B_DIGIT
_B_SEX, _B_PADDING, _B_FULLWIDTH_DATE = BIT["sex_mismatch"], BIT["cell_padding"], BIT["fullwidth_date"]

RESIDENT, MOVED_OUT, DIED, LEFT_JAPAN = "在住", "転出", "死亡", "国外転出"
_FORMER_LABEL = {MOVED_OUT: "former_moved_out", DIED: "former_died", LEFT_JAPAN: "former_left_japan"}
_LOST_REASON = {MOVED_OUT: "転出", DIED: "死亡", LEFT_JAPAN: "国外転出"}
_SEX_TEXT = ("", "男", "女")
_SSW1, _SSW2 = _S["SSW1"], _S["SSW2"]


@dataclass
class GenerationSummary:
    lg_code: str
    municipality: str
    seed: int
    month: str
    register_date: str  # the date the register and ledger extracts are "as of"
    residents: int
    households: int
    foreign_residents: int
    ssw_residents: int
    nationalities: dict[str, int]
    statuses: dict[str, int]
    nhi_ledger_rows: int
    nhi_insured_now: int  # residents (在住) with an open NHI period
    isa_records: dict[str, int]  # per file
    isa_formats: dict[str, dict[str, str]]  # per file: date and sex notation
    expected: dict[str, int]  # match / not_in_register / ambiguous
    differences: dict[str, int]  # label → number of ISA records carrying it
    files: list[str] = field(default_factory=list)
    out_dir: Path | None = None  # not written to summary.json (keeps it path independent)

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("out_dir")
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# =================================================================================================
# People and households
# =================================================================================================


class Person:
    __slots__ = (
        "address", "code", "dob", "fname", "idx", "key", "moved_in", "moved_out", "name_alpha",
        "name_kana", "name_kanji", "nationality", "nhi", "residence_status", "sex", "status",
    )  # fmt: skip

    def __init__(self, idx, code, sex, dob, nationality, residence_status="", fname=None):
        self.idx = idx
        self.code = code
        self.sex = sex  # 1 male, 2 female
        self.dob = dob  # date ordinal
        self.nationality = nationality
        self.residence_status = residence_status
        self.fname: ForeignName | None = fname
        self.name_alpha = fname.alpha if fname else ""
        self.name_kana = fname.kana if fname else ""
        self.name_kanji = ""
        self.address: Address | None = None
        self.moved_in = 0  # ordinal, 0 = empty
        self.moved_out = 0
        self.status = RESIDENT
        self.nhi: list[tuple[int, int, str]] = []  # (acquired, lost or 0, lost reason)
        self.key = ""  # matching key (foreign residents): variants.person_key


class Household:
    __slots__ = ("address", "address_text", "members", "nhi")

    def __init__(self, members: list[Person], address: Address, address_text: str, nhi: bool):
        self.members = members  # head first
        self.address = address
        self.address_text = address_text
        self.nhi = nhi  # the household is (or was) an NHI household

    @property
    def head(self) -> Person:
        return self.members[0]


class _Iso:
    """date ordinal → 'YYYY-MM-DD' by table lookup (0 → ''): the register has millions of dates."""

    def __init__(self, last: int) -> None:
        self.base = date(1900, 1, 1).toordinal()
        self.table = [date.fromordinal(o).isoformat() for o in range(self.base, last + 1)]

    def __call__(self, ordinal: int) -> str:
        return self.table[ordinal - self.base] if ordinal else ""


class ResidentSink:
    """residents.csv, UTF-8, LF. Lines are joined by hand and written in blocks (4 million rows):
    no value can contain a comma, quote or line break (names and addresses come from the tables)."""

    def __init__(self, path: Path, iso: _Iso, *, header: bool = True) -> None:
        self._fh = path.open("w", encoding="utf-8", newline="")
        if header:
            self._fh.write(",".join(REGISTER_HEADER) + "\n")
        self._iso = iso
        self._lines: list[str] = []

    def add(self, hh: Household) -> None:
        table, base, head = self._iso.table, self._iso.base, hh.members[0].code
        tail = f"{hh.address.district.lg_code},{hh.address_text},"
        postal = hh.address.town.postal_code
        lines = self._lines
        for p in hh.members:
            lines.append(
                f"{p.code},{p.name_alpha},{p.name_kana},{p.name_kanji},{_SEX_TEXT[p.sex]},{table[p.dob - base]},"
                f"{p.nationality},{p.residence_status},{tail}{table[p.moved_in - base] if p.moved_in else ''},"
                f"{table[p.moved_out - base] if p.moved_out else ''},{p.status},{postal},{head}\n"
            )
        if len(lines) >= 8192:
            self.flush()

    def flush(self) -> None:
        self._fh.write("".join(self._lines))
        self._lines.clear()

    def close(self) -> None:
        self.flush()
        self._fh.close()


class LedgerSink:
    """One row per NHI period; a person keeps one insured number (8 digits) for all periods."""

    def __init__(
        self, path: Path, iso: _Iso, rng: random.Random, *, number_base: int = 0, header: bool = True
    ):
        self._fh = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._fh, lineterminator="\n")
        if header:
            self._writer.writerow(LEDGER_HEADER)
        self._iso = iso
        self._offset = rng.randrange(90_000_000)
        self._base = number_base  # numbers of different shards never collide: base = first resident index
        self.people = 0
        self.rows = 0
        self.insured_now = 0

    def add(self, hh: Household) -> None:
        iso, head = self._iso, hh.head.code
        for p in hh.members:
            if not p.nhi:
                continue
            number = (
                f"{10_000_000 + (2_654_435_761 * (self._base + self.people) + self._offset) % 90_000_000:08d}"
            )
            self.people += 1
            for acquired, lost, reason in p.nhi:
                self._writer.writerow((number, p.code, head, iso(acquired), iso(lost), reason))
                self.rows += 1
                if not lost and p.status == RESIDENT:
                    self.insured_now += 1

    def close(self) -> None:
        self._fh.close()


# =================================================================================================
# The generator
# =================================================================================================


def _month_bounds(month: str) -> tuple[date, date]:
    year, mon = (int(x) for x in month.split("-"))
    first = date(year, mon, 1)
    following = date(year + (mon == 12), mon % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _default_month() -> str:
    last = REFERENCE_DATE.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def _add_years(ordinal: int, years: int) -> int:
    d = date.fromordinal(ordinal)
    try:
        return d.replace(year=d.year + years).toordinal()
    except ValueError:  # 29 February
        return date(d.year + years, 3, 1).toordinal()


def _csv_line(fields) -> str:
    out = []
    for value in fields:
        if "," in value or '"' in value or "\n" in value or "\r" in value:
            value = '"' + value.replace('"', '""') + '"'
        out.append(value)
    return ",".join(out) + "\r\n"


_new_address = tuple.__new__  # Address(*fields) without the keyword-argument machinery


def _share_family_name(p: Person, head: Person) -> None:
    family = head.fname.words[0]
    words = p.fname.words
    if family[0] != "F" or words[0][0] != "F":
        return
    kanji = ""
    if p.fname.kanji and family[1].kanji:
        kanji = f"{family[1].kanji}　{words[1][1].kanji}"
    if p.name_kanji == p.fname.kanji:
        p.name_kanji = kanji
    p.fname = ForeignName((family, *words[1:]), kanji)
    p.name_alpha, p.name_kana = p.fname.alpha, p.fname.kana


class _Plan:
    """Counts decided before any row is written (so that exact numbers come out)."""

    def __init__(self, residents: int, isa_records: int, rng: random.Random) -> None:
        if residents < 1:
            raise ValueError("residents must be at least 1")
        if isa_records < 0:
            raise ValueError("isa_records must not be negative")
        per_annex = [round(isa_records * ANNEX_SHARES[0]), round(isa_records * ANNEX_SHARES[1])]
        per_annex.append(isa_records - sum(per_annex))
        self.negatives = [round(n * NOT_IN_REGISTER_RATE) for n in per_annex]
        in_register = [n - neg for n, neg in zip(per_annex, self.negatives, strict=True)]
        self.subjects = sum(in_register)
        self.ssw = min(
            residents, max(round(residents * SSW_SHARE), math.ceil(self.subjects * SSW_PER_ISA_RECORD))
        )
        if self.subjects > self.ssw:
            raise ValueError(
                f"{isa_records} ISA records need at least {self.subjects} SSW residents; "
                f"raise residents (now {residents})"
            )
        self.other_foreign = min(residents - self.ssw, round(residents * OTHER_FOREIGN_SHARE))
        self.japanese = residents - self.ssw - self.other_foreign

        # Annex and planned differences of each in-register subject, in the order they are met.
        annex = bytearray()
        for a, n in enumerate(in_register, start=1):
            annex += bytes([a]) * n
        rng.shuffle(annex)
        self.annex = annex
        k = self.subjects
        mask = array("Q", bytes(8 * k))
        rates = dict(DIFFERENCE_RATES, former=FORMER_RESIDENT_RATE, twin=AMBIGUOUS_RATE)
        bits = dict(BIT, former=1 << 62, twin=1 << 63)
        for label, rate in rates.items():
            count = min(k, round(rate * k))
            if label == "twin":
                count = min(count, self.other_foreign)
            for pos in rng.sample(range(k), count):
                mask[pos] |= bits[label]
        clear = sum(BIT[label] for label in _NOT_WITH_TWIN) | bits["former"]
        swap_and_digit = BIT["dob_day_month_swapped"] | BIT["dob_digit_off"]
        for pos in range(k):
            m = mask[pos]
            if m & bits["twin"]:
                m &= ~clear
            if m & swap_and_digit == swap_and_digit:
                m &= ~BIT["dob_digit_off"]
            mask[pos] = m
        self.mask = mask
        self.former_bit, self.twin_bit = bits["former"], bits["twin"]
        self.residents = residents

    def shards(self, shard_size: int) -> list[_ShardSpec]:
        """Cut the population into shards of about `shard_size` residents, each with its share of
        every quota and its slice of the planned ISA subjects. Shards are independent, so they can
        be generated in any order or in parallel; the output depends on `shard_size` only."""
        count = max(1, self.residents // max(1, shard_size))
        sizes = [self.residents // count + (i < self.residents % count) for i in range(count)]
        ssw = _share(self.ssw, sizes, sizes)
        other = _share(self.other_foreign, sizes, [n - k for n, k in zip(sizes, ssw, strict=True)])
        subjects = _share(self.subjects, ssw, ssw)
        reservoir = math.ceil(sum(round(n * HARD_NEGATIVE_SHARE) for n in self.negatives) / count)
        specs, first, start = [], 0, 0
        for i in range(count):
            end = start + subjects[i]
            twins = [pos for pos in range(start, end) if self.mask[pos] & self.twin_bit]
            for pos in twins[other[i] :]:  # a twin needs a free foreign resident in the shard
                self.mask[pos] &= ~self.twin_bit
            specs.append(_ShardSpec(i, count, first, sizes[i], ssw[i], other[i], start, end, reservoir))
            first += sizes[i]
            start = end
        return specs


def _share(total: int, weights: list[int], caps: list[int]) -> list[int]:
    """Split `total` in proportion to `weights` (cumulative rounding, so shortfalls carry over),
    never above `caps`."""
    whole = sum(weights) or 1
    out, given, cumulative = [], 0, 0
    for weight, cap in zip(weights, caps, strict=True):
        cumulative += weight
        got = max(0, min(cap, round(total * cumulative / whole) - given))
        out.append(got)
        given += got
    left = total - given
    for i, cap in enumerate(caps):  # only when a cap bit: fill any room left
        add = min(cap - out[i], left)
        out[i] += add
        left -= add
    if left:
        raise ValueError("quota does not fit the shards")
    return out


@dataclass(frozen=True)
class _ShardSpec:
    index: int
    count: int
    first_idx: int  # resident index of the first resident of the shard
    residents: int
    ssw: int
    other_foreign: int  # including the twins of the shard
    subject_start: int  # slice of the planned ISA subjects
    subject_end: int
    reservoir_size: int


class _Setting:
    """What every shard shares: municipality, dates, file notations, the plan, building pools."""

    def __init__(self, out_dir: Path, *, lg_code, residents, seed, isa_records, month, wards, isa_encoding):
        self.out_dir = out_dir
        self.seed = seed
        self.m: Municipality = municipality_for(lg_code, wards)
        self.month = month
        first, last = _month_bounds(month)
        self.month_first, self.month_last = first.toordinal(), last.toordinal()
        self.prev_first = (first - timedelta(days=1)).replace(day=1).toordinal()
        self.snapshot = _month_bounds(f"{(last + timedelta(days=1)):%Y-%m}")[1].toordinal()
        "".encode(isa_encoding)  # validates the codec name
        self.cp932 = isa_encoding.lower().replace("_", "").replace("-", "") in (
            "cp932",
            "shiftjis",
            "sjis",
            "ms932",
        )
        self.isa_encoding = isa_encoding
        self.plan = _Plan(residents, isa_records, random.Random(f"nhi-demo:{seed}:plan"))

        # File notations of this seed: each annex gets its own date style; both sex notations occur.
        fmt_rng = random.Random(f"nhi-demo:{seed}:formats")
        era = "era_kanji" if fmt_rng.random() < 0.5 else "era_letter"
        date_styles = ["yyyymmdd", "slash", era]
        fmt_rng.shuffle(date_styles)
        sex_styles = ["kanji", "digit", "kanji" if fmt_rng.random() < 0.5 else "digit"]
        fmt_rng.shuffle(sex_styles)
        self.date_style = dict(zip((1, 2, 3), date_styles, strict=True))
        self.sex_style = dict(zip((1, 2, 3), sex_styles, strict=True))

        # Place pools: apartment buildings and dormitories shared by many households.
        towns = [(d, t) for d in self.m.districts for t in d.towns]
        self.towns = Weighted(towns, [t.weight for _, t in towns])
        rnd = random.Random(f"nhi-demo:{seed}:places").random
        n_apartments = max(30, min(60_000, residents // 12))
        self.apartments = [_building(rnd, self.m, self.towns, dorm=False) for _ in range(n_apartments)]
        n_dorms = max(3, min(20_000, (self.plan.ssw + self.plan.other_foreign // 4) // 15))
        self.dorms = [_building(rnd, self.m, self.towns, dorm=True) for _ in range(n_dorms)]


def _block(rnd, town) -> tuple[int, int, int]:
    if town.chome:
        return 1 + int(rnd() * town.chome), 1 + int(rnd() * 28), 1 + int(rnd() * 24)
    return 0, 1 + int(rnd() * 1500), (0 if rnd() < 0.4 else 1 + int(rnd() * 15))


def _building(rnd, m: Municipality, towns: Weighted, *, dorm: bool) -> tuple[tuple, int, int]:
    """(Address fields without the room, floors, rooms per floor)."""
    district, town = towns.pick(rnd)
    block = _block(rnd, town)
    name = dormitory_name(rnd, m, town) if dorm else apartment_name(rnd, m, town)
    floors = 1 + int(rnd() * (3 if dorm else 5)) + (1 if rnd() < 0.15 else 0) * 5
    rooms = 2 + int(rnd() * 8)
    return (district, town, *block, name), floors, rooms


@dataclass
class _ShardResult:
    households: int
    foreign: int
    ssw_count: int
    nationalities: dict[str, int]
    statuses: dict[str, int]
    ledger_rows: int
    insured_now: int
    isa: dict
    keys: dict[str, int]
    names_by_dob: dict[int, list[str]]
    reservoir: list


def _part(out_dir: Path, name: str, spec: _ShardSpec) -> Path:
    return out_dir / name if spec.count == 1 else out_dir / f".{name}.part{spec.index:04d}"


class _Shard:
    """Generates the households of one shard (streamed to its part files) and the ISA records about
    them. The orchestrating instance (spec None) only adds the negatives and writes the rest."""

    def __init__(self, setting: _Setting, spec: _ShardSpec | None) -> None:
        self.setting = setting
        self.spec = spec
        self.out_dir = setting.out_dir
        self.seed = seed = setting.seed
        tag = "main" if spec is None else spec.index
        self.rng = random.Random(f"nhi-demo:{seed}:register:{tag}")
        self.rnd = self.rng.random
        self.isa_rng = random.Random(f"nhi-demo:{seed}:isa:{tag}")
        self.m = setting.m
        self.month = setting.month
        self.month_first, self.month_last = setting.month_first, setting.month_last
        self.prev_first, self.snapshot = setting.prev_first, setting.snapshot
        self.cp932, self.isa_encoding = setting.cp932, setting.isa_encoding
        self.plan = setting.plan
        self.date_style, self.sex_style = setting.date_style, setting.sex_style
        self._sex_text = {annex: SEX_STYLES[style] for annex, style in self.sex_style.items()}
        self._date_cache: dict[int, dict[int, str]] = {1: {}, 2: {}, 3: {}}
        self.towns, self.apartments, self.dorms = setting.towns, setting.apartments, setting.dorms
        self._code = ResidentCodes(seed)
        self.households = 0
        self.keys: dict[str, int] = {}  # matching key of every foreign resident → count
        self.names_by_dob: dict[int, list[str]] = {}  # dob * 2 + sex → name keys of foreign residents
        self.reservoir: list[tuple[ForeignName, int, int, str, str]] = []  # SSW for hard negatives
        self.reservoir_seen = 0
        self.pending_twins: list[tuple[int, int, Person]] = []
        # ISA records kept until the end: encoded line, resident idx (-1 = nobody), applied
        # differences, key of the ISA cells, key of the true person.
        self.isa = {a: ([], array("q"), array("Q"), [], []) for a in (1, 2, 3)}
        self.nationalities: dict[str, int] = {}
        self.statuses = dict.fromkeys((RESIDENT, MOVED_OUT, DIED, LEFT_JAPAN), 0)
        self.foreign = 0
        self.ssw_count = 0
        self.ledger_rows = self.insured_now = 0
        self.sinks: list = []
        if spec is None:
            return
        twins = sum(
            1 for j in range(spec.subject_start, spec.subject_end) if self.plan.mask[j] & self.plan.twin_bit
        )
        self.next_idx = self.first_idx = spec.first_idx
        self.end_idx = spec.first_idx + spec.residents
        self.rem_ssw = spec.ssw
        self.rem_fo = spec.other_foreign - twins
        self.rem_jp = spec.residents - spec.ssw - spec.other_foreign
        self.subjects_seen = spec.subject_start
        self.subjects_left = spec.subject_end - spec.subject_start
        self.reservoir_size = spec.reservoir_size
        self.iso = _Iso(self.snapshot + 400)
        header = spec.count == 1
        self.ledger = LedgerSink(
            _part(self.out_dir, "nhi_ledger.csv", spec),
            self.iso,
            random.Random(f"nhi-demo:{seed}:ledger"),
            number_base=spec.first_idx,
            header=header,
        )
        self.sinks = [
            ResidentSink(_part(self.out_dir, "residents.csv", spec), self.iso, header=header),
            self.ledger,
        ]

    # --- small helpers -------------------------------------------------------------------------------

    def _person(self, sex, dob, nationality, residence_status="", fname=None) -> Person:
        idx = self.next_idx
        self.next_idx += 1
        return Person(idx, self._code(idx), sex, dob, nationality, residence_status, fname)

    def _dob(self, age: int) -> int:
        return self.snapshot - age * 365 - age // 4 - int(self.rnd() * 365)

    def _event(self) -> int:
        rnd = self.rnd
        if rnd() < PREVIOUS_MONTH_EVENT_SHARE:
            return self.prev_first + int(rnd() * (self.month_first - self.prev_first))
        return self.month_first + int(rnd() * (self.month_last - self.month_first + 1))

    def _house(self) -> Address:
        district, town = self.towns.pick(self.rnd)
        return Address(district, town, *_block(self.rnd, town))

    def _room(self, pool) -> Address:
        rnd = self.rnd
        fields, floors, rooms = pool[int(rnd() * len(pool))]
        return _new_address(Address, (*fields, f"{1 + int(rnd() * floors)}{1 + int(rnd() * rooms):02d}"))

    def _foreign_address(self, dorm_share: float, apartment_share: float) -> Address:
        r = self.rnd()
        if r < dorm_share:
            return self._room(self.dorms)
        if r < dorm_share + apartment_share:
            return self._room(self.apartments)
        return self._house()

    def _leave(self, p: Person, status: str, earliest: int) -> None:
        """Mark a person as gone (転出/死亡/国外転出) on a date after `earliest`, ≤ register date."""
        earliest = max(earliest, p.moved_in + 1, p.dob + 1)
        if earliest >= self.snapshot:
            return
        p.status = status
        p.moved_out = earliest + int(self.rnd() * (self.snapshot - earliest))

    def _nhi_period(self, p: Person, acquired: int, *, end_reason: str = "") -> None:
        """Add one NHI period from `acquired`; it ends when the person left, or, with `end_reason`
        (社保加入, 生保開始), some time before the register date."""
        acquired = max(acquired, p.dob, p.moved_in)
        if acquired > self.snapshot or (p.moved_out and acquired > p.moved_out):
            return
        if p.status != RESIDENT:
            p.nhi.append((acquired, p.moved_out + 1, _LOST_REASON[p.status]))
            return
        if end_reason:
            lost = acquired + 30 + int(self.rnd() * 900)
            if lost <= self.snapshot:
                p.nhi.append((acquired, lost, end_reason))
            return
        p.nhi.append((acquired, 0, ""))

    def _emit(self, hh: Household) -> None:
        self.households += 1
        keys, statuses, address, by_dob = self.keys, self.statuses, hh.address, self.names_by_dob
        for p in hh.members:
            p.address = address
            statuses[p.status] += 1
            if p.fname is not None:
                self.foreign += 1
                self.nationalities[p.nationality] = self.nationalities.get(p.nationality, 0) + 1
                key = name_key(p.name_alpha)
                p.key = person_key(key, p.dob, p.sex)
                keys[p.key] = keys.get(p.key, 0) + 1
                bucket = by_dob.get(p.dob * 2 + p.sex)
                if bucket is None:
                    by_dob[p.dob * 2 + p.sex] = [key]
                else:
                    bucket.append(key)
                if p.residence_status in (_SSW1, _SSW2):
                    self.ssw_count += 1
        for sink in self.sinks:
            sink.add(hh)

    def _household(self, members, address, nhi) -> Household:
        return Household(members, address, register_address(self.m, address), nhi)

    # --- Japanese households ----------------------------------------------------------------------------

    def _jp_household(self) -> None:
        rnd = self.rnd
        kind = _JP_TYPES.pick(rnd)
        spec: list[tuple[int, int]] = []  # (sex, age), head first

        def band(table):
            lo, hi = table.pick(rnd)
            return lo + int(rnd() * (hi - lo + 1))

        if kind == "single":
            age = band(_SINGLE_AGES)
            spec.append((2 if rnd() < (0.62 if age >= 65 else 0.45) else 1, age))
        elif kind in ("couple", "family", "three_gen"):
            age = band(_COUPLE_AGES) if kind == "couple" else band(_PARENT_AGES)
            male_head = rnd() < 0.88
            spec.append((1 if male_head else 2, age))
            spec.append((2 if male_head else 1, max(20, age + int(rnd() * 9) - (6 if male_head else 2))))
            if kind != "couple":
                for _ in range(1 + (rnd() < 0.6) + (rnd() < 0.15)):
                    spec.append((1 + (rnd() < 0.49), int(rnd() * max(1, min(age - 23, 26)))))
            if kind == "three_gen":
                spec.append((2 if rnd() < 0.7 else 1, min(100, age + 26 + int(rnd() * 8))))
        elif kind == "single_parent":
            age = band(_PARENT_AGES)
            spec.append((2 if rnd() < 0.85 else 1, age))
            for _ in range(1 + (rnd() < 0.45)):
                spec.append((1 + (rnd() < 0.49), int(rnd() * max(1, min(age - 20, 22)))))
        else:  # adult child living with an elderly parent
            age = 45 + int(rnd() * 21)
            spec.append((1 + (rnd() < 0.4), age))
            spec.append((2 if rnd() < 0.75 else 1, min(100, age + 25 + int(rnd() * 10))))
        spec = spec[: self.rem_jp]
        self.rem_jp -= len(spec)
        self._jp_members(spec, address=None)

    def _jp_members(self, spec, *, address: Address | None, extra: list[Person] | None = None):
        """Create and emit a Japanese household (optionally with foreign members appended)."""
        rnd = self.rnd
        snapshot = self.snapshot
        surname = JP_SURNAMES.pick(rnd)
        kanji, kana = surname.kanji + "　", surname.kana + "　"
        male, female, code = JP_MALE.pick, JP_FEMALE.pick, self._code
        members = []
        for sex, age in spec:
            given = male(rnd) if sex == 1 else female(rnd)
            idx = self.next_idx
            self.next_idx = idx + 1
            p = Person(idx, code(idx), sex, snapshot - age * 365 - age // 4 - int(rnd() * 365), "JP")
            p.name_kanji = kanji + given.kanji
            p.name_kana = kana + given.kana
            members.append(p)
        if extra:
            members[1:1] = extra
        if address is None:
            single = len(members) == 1
            young = spec[0][1] < 35
            address = (
                self._room(self.apartments) if rnd() < (0.8 if single and young else 0.35) else self._house()
            )
        # Moved in as a household some time ago, or has always lived here (empty moved_in_date).
        if rnd() >= 0.4:
            hh_in = snapshot - 30 - int(rnd() * 365 * 30)
            for p in members:
                if p.nationality == "JP" and hh_in > p.dob:
                    p.moved_in = hh_in
        elderly = snapshot - 27_394  # born before: aged 75 or more (±1 day)
        if rnd() < 0.035:  # the whole household moved away in the last three years
            leave = max(snapshot - 1095, max(p.moved_in for p in members) + 1)
            if leave < snapshot:
                day = leave + int(rnd() * (snapshot - leave))
                for p in members:
                    p.status, p.moved_out = MOVED_OUT, day
        elif len(members) == 1:
            if members[0].dob < elderly and rnd() < 0.08:
                self._leave(members[0], DIED, snapshot - 1095)
        else:
            for p in members[1:]:
                if p.dob < elderly and rnd() < 0.05:
                    self._leave(p, DIED, snapshot - 1095)
        # NHI by the head's age; people aged 75+ are in 後期高齢者医療 (their NHI period ended).
        head_age = int((snapshot - members[0].dob) / 365.25)
        nhi = rnd() < next(share for limit, share in _JP_NHI_BY_HEAD_AGE if head_age < limit)
        if nhi:
            hh_acquired = snapshot - 30 - int(rnd() * 365 * 15)
            for p in members:
                if p.dob <= elderly + 2 and (turns_75 := _add_years(p.dob, 75)) <= snapshot:
                    if rnd() < 0.7 and turns_75 > p.moved_in and (not p.moved_out or turns_75 <= p.moved_out):
                        start = max(_add_years(p.dob, 60 + int(rnd() * 6)), p.moved_in)
                        if start < turns_75:
                            p.nhi.append((start, turns_75, "後期高齢"))
                    continue
                reason = "" if rnd() < 0.97 else ("社保加入" if rnd() < 0.85 else "生保開始")
                self._nhi_period(p, hh_acquired, end_reason=reason)
        elif rnd() < 0.06:  # was in NHI once, then got a job with employee insurance
            p = members[0]
            if 25 <= head_age < 75:
                self._nhi_period(p, snapshot - 200 - int(rnd() * 3000), end_reason="社保加入")
        self._emit(self._household(members, address, nhi))

    # --- other foreign residents -----------------------------------------------------------------------

    def _foreigner(self, nationality: str, sex: int, age: int, status: str, *, alias: float = 0.0) -> Person:
        rnd = self.rnd
        fname = foreign_name(nationality, sex, rnd)
        p = self._person(sex, self._dob(age), nationality, status, fname)
        if fname.kanji and nationality == "CN":
            p.name_kanji = fname.kanji
        if rnd() < alias:
            p.name_kanji = japanese_alias(sex, rnd, fname, katakana_given=nationality not in ("KR", "CN"))
        elif fname.kanji and nationality == "KR" and rnd() < 0.3:
            p.name_kanji = fname.kanji
        return p

    def _moved_in_years(self, p: Person, years: float, empty_share: float = 0.0) -> None:
        if self.rnd() < empty_share:
            return
        p.moved_in = max(p.dob, self.snapshot - 20 - int(self.rnd() * 365 * years))

    def _fo_household(self) -> None:
        rnd = self.rnd
        nat = OTHER_NATIONALITIES.pick(rnd)
        status = RESIDENCE_STATUSES[nat].pick(rnd)
        male = MALE_SHARE.get(nat, 0.5)
        members: list[Person] = []
        alias = 0.03
        if status == _S["SPJ"] and self.rem_jp >= 1:
            # Spouse of a Japanese national: a Japanese household with one foreign member.
            sex = 2 if rnd() < 0.75 else 1
            age = 25 + int(rnd() * 35)
            spouse = self._foreigner(nat, sex, age, status, alias=0.6)
            self._moved_in_years(spouse, min(age - 18, 20))
            self.rem_fo -= 1
            spec = [(3 - sex, age + int(rnd() * 10) - 2)]
            kids = min(self.rem_jp - 1, int(rnd() * 3))
            spec += [(1 + (rnd() < 0.49), int(rnd() * max(1, min(age - 20, 20)))) for _ in range(kids)]
            self.rem_jp -= len(spec)
            self._jp_members(spec, address=None, extra=[spouse])
            if spouse.status == RESIDENT and rnd() < 0.05:
                self._leave(spouse, LEFT_JAPAN, self.snapshot - 700)
            return
        if status in _FAMILY_STATUSES:
            alias = 0.8 if status == _S["SPR"] else 0.05
            age = (40 + int(rnd() * 50)) if status == _S["SPR"] else (30 + int(rnd() * 40))
            head = self._foreigner(nat, 1 if rnd() < 0.6 else 2, age, status, alias=alias)
            members.append(head)
            if rnd() < 0.6 and self.rem_fo > len(members):
                spouse_status = status if status == _S["SPR"] or rnd() < 0.5 else _S["SPP"]
                members.append(self._foreigner(nat, 3 - head.sex, max(20, age - 3 + int(rnd() * 6)), spouse_status,
                                               alias=alias))  # fmt: skip
                for _ in range(int(rnd() * 3)):
                    if self.rem_fo > len(members) and age < 60:
                        kid_status = status if status in (_S["SPR"], _S["PR"]) else _S["LTR"]
                        members.append(self._foreigner(nat, 1 + (rnd() < 0.49), int(rnd() * (age - 22)), kid_status,
                                                       alias=alias))  # fmt: skip
            for i, p in enumerate(members[1:], start=1):  # children (and some wives) share the family name
                if i >= 2 or nat in ("PH", "BR", "US"):
                    _share_family_name(p, members[0])
            address = self._room(self.apartments) if rnd() < 0.5 else self._house()
            for p in members:
                self._moved_in_years(p, 25, empty_share=0.5 if status == _S["SPR"] else 0.15)
        elif status in _WORK_WITH_FAMILY and rnd() < 0.35:
            age = 26 + int(rnd() * 25)
            head = self._foreigner(
                nat, 1 if rnd() < 0.75 else 2, age, _S["ENG"] if status == _S["DEP"] else status
            )
            members.append(head)
            for i in range(1 + int(rnd() * 3)):
                if self.rem_fo > len(members):
                    sex = 3 - head.sex if i == 0 else 1 + (rnd() < 0.49)
                    a = max(20, age - 2 + int(rnd() * 5)) if i == 0 else int(rnd() * 15)
                    members.append(self._foreigner(nat, sex, a, _S["DEP"]))
            address = self._room(self.apartments)
            for p in members:
                self._moved_in_years(p, 8)
        else:
            if status == _S["DEP"]:
                status = _S["STU"]
            if status == _S["STU"]:
                age = 18 + int(rnd() * 12)
            elif status in _DORM_STATUSES:
                age = 19 + int(rnd() * 16)
            else:
                age = 22 + int(rnd() * 35)
            sex = 1 if rnd() < male else 2
            members.append(self._foreigner(nat, sex, age, status, alias=alias))
            dorm = 0.85 if status in _DORM_STATUSES else 0.1
            address = self._foreign_address(dorm, 0.85 - dorm if dorm < 0.85 else 0.1)
            self._moved_in_years(members[0], 4 if status in (_S["STU"], _S["TIT1"], _S["TIT2"]) else 10)
        self.rem_fo -= len(members)
        # Gone since: moved to another city, left Japan, (rarely) died.
        for p in members:
            r = rnd()
            if r < 0.05:
                self._leave(p, MOVED_OUT, self.snapshot - 1095)
            elif r < 0.10 and p.residence_status != _S["SPR"]:
                self._leave(p, LEFT_JAPAN, self.snapshot - 1095)
            elif r < 0.102:
                self._leave(p, DIED, self.snapshot - 1095)
        nhi = rnd() < NHI_BY_STATUS.get(members[0].residence_status, 0.3)
        if nhi:
            acquired = self.snapshot - 30 - int(rnd() * 365 * 8)
            for p in members:
                if _add_years(p.dob, 75) <= self.snapshot:
                    continue
                self._nhi_period(p, acquired + int(rnd() * 20), end_reason="" if rnd() < 0.97 else "社保加入")
        elif rnd() < 0.05:
            self._nhi_period(members[0], members[0].moved_in + int(rnd() * 60), end_reason="社保加入")
        self._emit(self._household(members, address, nhi))

    # --- Specified Skilled Workers (and the ISA records about them) ----------------------------------------

    def _ssw_household(self) -> None:
        rnd = self.rnd
        subject = self.subjects_left > 0 and rnd() * self.rem_ssw < self.subjects_left  # selection sampling
        self.rem_ssw -= 1
        annex, planned = 0, 0
        if subject:
            j = self.subjects_seen
            self.subjects_seen += 1
            self.subjects_left -= 1
            annex, planned = self.plan.annex[j], self.plan.mask[j]
        if planned & BIT["diacritics"]:
            nat = "VN"
        elif planned & BIT["middle_name_missing"]:
            nat = "VN" if rnd() < 0.6 else "PH"
        else:
            nat = SSW_NATIONALITIES.pick(rnd)
        sex = 1 if rnd() < MALE_SHARE.get(nat, 0.55) else 2
        for _ in range(10):
            fname = foreign_name(nat, sex, rnd)
            if not planned & BIT["middle_name_missing"] or fname.has_middle:
                break
        age = _SSW_AGES[int(rnd() * len(_SSW_AGES))]
        status = _SSW2 if annex != 1 and rnd() < 0.07 else _SSW1
        p = self._person(sex, self._dob(age), nat, status, fname)
        if rnd() < 0.02:
            p.name_kanji = japanese_alias(sex, rnd, fname, katakana_given=nat != "CN")
        elif nat == "CN":
            p.name_kanji = fname.kanji
        address = self._foreign_address(0.5, 0.43)
        members = [p]
        snapshot = self.snapshot
        event = 0
        if not subject:
            p.moved_in = max(p.dob + 365 * 18, snapshot - 20 - int(rnd() * 2400))
            r = rnd()
            if r < 0.06:
                self._leave(p, MOVED_OUT, p.moved_in + 30)
            elif r < 0.10:
                self._leave(p, LEFT_JAPAN, p.moved_in + 30)
            r = rnd()
            if r < 0.12:
                self._nhi_period(p, p.moved_in + int(rnd() * 30))
            elif r < 0.20:
                self._nhi_period(p, p.moved_in + int(rnd() * 30), end_reason="社保加入")
        else:
            event = self._event()
            if annex == 1:  # landed this month; residence notified within 14 days
                p.moved_in = min(snapshot - 1, event + 2 + int(rnd() * 13))
            elif annex == 2:  # employed (employee insurance) for a while, then separated
                p.moved_in = event - 150 - int(rnd() * 1800)
            else:  # was a trainee or student here, changed to SSW
                p.moved_in = event - 200 - int(rnd() * 1600)
            p.moved_in = max(p.moved_in, p.dob + 365 * 18)
            if planned & self.plan.former_bit:
                r = rnd()
                if annex == 2:
                    gone = LEFT_JAPAN if r < 0.5 else MOVED_OUT if r < 0.95 else DIED
                else:
                    gone = MOVED_OUT if r < 0.7 else LEFT_JAPAN if r < 0.97 else DIED
                self._leave(p, gone, max(event, p.moved_in) + 1)
            r = rnd()
            if annex == 1 and r < 0.3:
                self._nhi_period(p, p.moved_in + int(rnd() * 20))
            elif annex == 2:
                if r < 0.15:  # NHI before the job, then employee insurance
                    p.nhi.append((p.moved_in, min(event, p.moved_in + 20 + int(rnd() * 180)), "社保加入"))
                if rnd() < 0.2 and event + 1 <= snapshot:  # already joined NHI after separation
                    self._nhi_period(p, event + 1)
            elif annex == 3 and r < 0.35:  # former student / designated activities: NHI already
                self._nhi_period(p, p.moved_in + int(rnd() * 14))
        if status == _SSW2 and rnd() < 0.3 and self.rem_fo > 1:
            spouse = self._foreigner(nat, 3 - sex, max(20, age - 3 + int(rnd() * 5)), _S["DEP"])
            spouse.moved_in = max(p.moved_in, min(snapshot - 10, p.moved_in + int(rnd() * 400)))
            members.append(spouse)
            self.rem_fo -= 1
            address = self._room(self.apartments)
        household = self._household(members, address, bool(p.nhi))
        self._emit(household)
        # Reservoir sample of SSW residents: the names hard negatives are made from.
        self.reservoir_seen += 1
        if len(self.reservoir) < self.reservoir_size:
            self.reservoir.append((fname, sex, p.dob, nat, p.status))
        elif self.reservoir_size:
            slot = int(rnd() * self.reservoir_seen)
            if slot < self.reservoir_size:
                self.reservoir[slot] = (fname, sex, p.dob, nat, p.status)
        if subject:
            kind = NAMESAKE_KINDS.pick(rnd) if planned & self.plan.twin_bit else ""
            self._isa_record(p, household.address_text, annex, planned, event, BIT[kind] if kind else 0)
            if kind:
                heapq.heappush(self.pending_twins, (self.households + 1 + int(rnd() * 50), p.idx, p, kind))

    def _twin(self, original: Person, kind: str) -> None:
        """A different person with the same birth date and nationality as `original` (an ISA
        subject), of the namesake `kind` (NAMESAKE_KINDS): at the same address, or elsewhere (never
        in the same building or house), with the same name and sex, the other sex, or a near name."""
        rnd = self.rnd
        status = _SSW1 if rnd() < 0.6 else _S["TIT2"] if rnd() < 0.5 else _S["PR"]
        sex, fname = original.sex, original.fname
        if kind == "namesake_opposite_sex":
            sex = 3 - sex
        elif kind == "near_name_same_dob":
            role, last = original.fname.words[-1]
            variant = Part(near_name(last.alpha), last.kana, last.kanji)
            fname = ForeignName((*original.fname.words[:-1], (role, variant)), original.fname.kanji)
        twin = self._person(sex, original.dob, original.nationality, status, fname)
        twin.moved_in = max(original.dob + 365 * 18, self.snapshot - 20 - int(rnd() * 2000))
        if kind == "doppelganger_same_address":
            address = original.address
        else:
            address = original.address
            while address[:6] == original.address[:6]:  # not the same building or house
                address = self._foreign_address(0.4, 0.5)
        self._emit(self._household([twin], address, False))

    # --- ISA records --------------------------------------------------------------------------------

    def _isa_record(
        self, p: Person, register_text: str, annex: int, planned: int, event: int, labels: int = 0
    ) -> None:
        rnd = self.isa_rng.random
        applied = labels
        address = p.address
        if planned & _ADDRESS_BITS:
            if planned & _B_MOVED:
                while address == p.address:
                    address = self._foreign_address(0.45, 0.45)
                applied |= _B_MOVED
            style = None
            if planned & _B_NOTATION:
                style = NOTATION_STYLES[int(rnd() * len(NOTATION_STYLES))]
                applied |= _B_NOTATION
            kanji = bool(planned & _B_KANJI)
            if kanji:
                applied |= _B_KANJI
            drop_building = bool(planned & _B_BUILDING and address.building)
            drop_room = bool(planned & _B_ROOM and address.room and not drop_building)
            applied |= _B_BUILDING * drop_building | _B_ROOM * drop_room
            address_text = isa_address(
                self.m,
                address,
                style=style,
                kanji_numerals=kanji,
                drop_building=drop_building,
                drop_room=drop_room,
            )
        else:
            address_text = register_text  # the register notation, as most records have it
        if planned & _NAME_BITS:
            name_text, name_bits = name_variant(p.fname, planned, rnd, cp932=self.cp932)
            applied |= name_bits
        else:
            name_text = p.name_alpha
        sex = p.sex
        if planned & _B_SEX:
            sex = 3 - sex
            applied |= _B_SEX
        dob = p.dob
        if planned & _DOB_BITS:
            value = date.fromordinal(dob)
            if planned & _B_SWAP:
                swapped = swapped_day_month(value)
                if swapped is None:
                    planned |= _B_DIGIT
                else:
                    value = swapped
                    applied |= _B_SWAP
            if planned & _B_DIGIT and not applied & _B_SWAP:
                value = digit_off(value, rnd, not_after=date.fromordinal(self.snapshot - 365 * 15))
                applied |= _B_DIGIT
            dob = value.toordinal()
        dob_text = self._date_text(annex, dob)
        if planned & _B_FULLWIDTH_DATE:
            dob_text = to_fullwidth(dob_text)
            applied |= _B_FULLWIDTH_DATE
        if planned & _B_PADDING:
            if rnd() < 0.6:
                name_text = pad(name_text, rnd)
            else:
                address_text = pad(address_text, rnd)
            applied |= _B_PADDING
        if p.status != RESIDENT:
            applied |= BIT[_FORMER_LABEL[p.status]]
        if name_text is p.name_alpha and sex == p.sex and dob == p.dob:
            isa_key = p.key
        else:
            isa_key = person_key(name_key(name_text), dob, sex)
            if isa_key == p.key:
                isa_key = p.key  # one string object for both
        self._store(annex, name_text, address.lg_code, address_text, sex, dob_text, event, p.idx, applied,
                    isa_key, p.key)  # fmt: skip

    def _date_text(self, annex: int, ordinal: int) -> str:
        cache = self._date_cache[annex]
        text = cache.get(ordinal)
        if text is None:
            text = cache[ordinal] = format_date(date.fromordinal(ordinal), self.date_style[annex])
        return text

    def _store(self, annex, name, lg_code, address, sex, dob_text, event, idx, applied, isa_key, true_key):
        if "," in name or '"' in name:  # only names can hold a comma (NGUYEN, VAN AN)
            name = '"' + name.replace('"', '""') + '"'
        sex_text = self._sex_text[annex][sex]
        line = f"{name},{lg_code},{address},{sex_text},{dob_text},{self._date_text(annex, event)}\r\n"
        lines, res, masks, isa_keys, true_keys = self.isa[annex]
        lines.append(line.encode(self.isa_encoding))
        res.append(idx)
        masks.append(applied)
        isa_keys.append(isa_key)
        true_keys.append(true_key)

    def _negative(self, annex: int, hard: bool) -> None:
        """An ISA record about somebody who is not in the register (checked against every resident)."""
        rnd = self.isa_rng.random
        keys = self.keys
        latest = self.snapshot - 365 * 17
        for attempt in range(200):
            labels = BIT["unregistered"]
            if hard and self.reservoir and attempt < 150:
                fname, sex, source_dob, nat, _ = self.reservoir[int(rnd() * len(self.reservoir))]
                text = fname.alpha
                if rnd() < 0.5:
                    text = typo(text, rnd)
                shift = 60 + int(rnd() * 1800)
                dob = source_dob + (shift if rnd() < 0.5 and source_dob + shift < latest else -shift)
                labels = BIT["similar_name_in_register"]
                names = {name_key(text), name_key(fname.alpha)}
            else:
                nat = SSW_NATIONALITIES.pick(rnd)
                sex = 1 if rnd() < MALE_SHARE.get(nat, 0.55) else 2
                fname = foreign_name(nat, sex, rnd)
                text = fname.alpha
                age = _SSW_AGES[int(rnd() * len(_SSW_AGES))]
                dob = self.snapshot - age * 365 - age // 4 - int(rnd() * 365)
                names = {name_key(text)}
            near = [d.toordinal() for d in near_miss_dates(date.fromordinal(dob))]
            if any(
                person_key(k, dob, 1) in keys
                or person_key(k, dob, 2) in keys
                or any(person_key(k, d, sex) in keys for d in near)
                for k in names
            ):
                continue
            # Nobody born that day has a name one typo away (a careful matcher would take it).
            isa_key, merged = name_key(text), name_key(text).replace(" ", "")
            if not any(
                within_one_edit(isa_key, other) or within_one_edit(merged, other.replace(" ", ""))
                for other in self.names_by_dob.get(dob * 2 + sex, ())
            ):
                break
        address = self._foreign_address(0.45, 0.45)
        style = NOTATION_STYLES[int(rnd() * len(NOTATION_STYLES))] if rnd() < 0.3 else None
        address_text = isa_address(self.m, address, style=style)
        isa_key = person_key(name_key(text), dob, sex)
        dob_text = self._date_text(annex, dob)
        self._store(
            annex, text, address.lg_code, address_text, sex, dob_text, self._event(), -1, labels, isa_key, 0
        )

    # --- the run ------------------------------------------------------------------------------------------

    def run(self) -> _ShardResult:
        rnd = self.rnd
        pending = self.pending_twins
        while True:
            total = self.rem_ssw + self.rem_fo + self.rem_jp
            while pending and (pending[0][0] <= self.households or total <= 0):
                *_, original, kind = heapq.heappop(pending)
                self._twin(original, kind)
            if total <= 0:
                break
            r = rnd() * total
            if r < self.rem_ssw:
                self._ssw_household()
            elif r < self.rem_ssw + self.rem_fo:
                self._fo_household()
            else:
                self._jp_household()
        for sink in self.sinks:
            sink.close()
        assert self.next_idx == self.end_idx, (self.next_idx, self.end_idx)
        assert self.subjects_left == 0
        return _ShardResult(
            self.households, self.foreign, self.ssw_count, self.nationalities, self.statuses,
            self.ledger.rows, self.ledger.insured_now, self.isa, self.keys, self.names_by_dob, self.reservoir,
        )  # fmt: skip

    def merge(self, part: _ShardResult) -> None:
        """Add a shard's results (in shard order) to the orchestrating instance."""
        self.households += part.households
        self.foreign += part.foreign
        self.ssw_count += part.ssw_count
        for name, count in part.nationalities.items():
            self.nationalities[name] = self.nationalities.get(name, 0) + count
        for name, count in part.statuses.items():
            self.statuses[name] += count
        self.ledger_rows += part.ledger_rows
        self.insured_now += part.insured_now
        for annex in (1, 2, 3):
            for mine, theirs in zip(self.isa[annex], part.isa[annex], strict=True):
                mine.extend(theirs)
        keys = self.keys
        for key, count in part.keys.items():
            keys[key] = keys.get(key, 0) + count
        names = self.names_by_dob
        for slot, bucket in part.names_by_dob.items():
            mine = names.get(slot)
            if mine is None:
                names[slot] = bucket
            else:
                mine.extend(bucket)
        self.reservoir.extend(part.reservoir)

    def _registered_elsewhere(self, annex: int, namesake: bool) -> None:
        """An ISA record about somebody registered in another municipality (the ISA address is
        there). With `namesake`, a resident here who is still 在住 has the same name, birth date and
        sex; otherwise nobody here has that name and birth date."""
        rnd = self.isa_rng.random
        here = [entry for entry in self.reservoir if entry[4] == RESIDENT]
        labels = BIT["registered_elsewhere"]
        if namesake and here:
            fname, sex, dob, _, _ = here[int(rnd() * len(here))]
            labels |= BIT["namesake_resident_here"]
        else:
            for _ in range(200):
                nat = SSW_NATIONALITIES.pick(rnd)
                sex = 1 if rnd() < MALE_SHARE.get(nat, 0.55) else 2
                fname = foreign_name(nat, sex, rnd)
                age = _SSW_AGES[int(rnd() * len(_SSW_AGES))]
                dob = self.snapshot - age * 365 - age // 4 - int(rnd() * 365)
                if not any(person_key(name_key(fname.alpha), dob, s) in self.keys for s in (1, 2)):
                    break
        other = self.elsewhere
        district = other.districts[0]
        town = district.towns[int(rnd() * len(district.towns))]
        chome, ban, go = _block(rnd, town)
        address_text = isa_address(other, Address(district, town, chome, ban, go))
        text = fname.alpha
        isa_key = person_key(name_key(text), dob, sex)
        dob_text = self._date_text(annex, dob)
        self._store(
            annex, text, other.lg_code, address_text, sex, dob_text, self._event(), -1, labels, isa_key, 0
        )

    @property
    def elsewhere(self) -> Municipality:
        """Another municipality in the same prefecture (an ordinary city's code, never one of this
        municipality's wards), for the records about people registered there."""
        own = self.m.lg_code
        code = with_check_digit(f"{own[:2]}2{(int(own[3:5]) + 7) % 100:02d}")
        found = municipality_for(code)
        return Municipality(found.lg_code, found.prefecture, "隣接市", found.districts)

    def negatives(self) -> None:
        for annex, n in zip((1, 2, 3), self.plan.negatives, strict=True):
            hard = round(n * HARD_NEGATIVE_SHARE)
            elsewhere = round(n * REGISTERED_ELSEWHERE_SHARE)
            for i in range(n):
                if hard <= i < hard + elsewhere:
                    self._registered_elsewhere(annex, (i - hard) % 2 == 0)
                else:
                    self._negative(annex, i < hard)

    def finish(self) -> GenerationSummary:
        keys, out = self.keys, self.out_dir
        expected_counts = {"match": 0, "not_in_register": 0, "ambiguous": 0}
        difference_counts = dict.fromkeys(LABELS, 0)
        isa_counts: dict[str, int] = {}
        formats: dict[str, dict[str, str]] = {}
        shuffle_rng = random.Random(f"nhi-demo:{self.seed}:order")
        same, equals_other = BIT["same_name_dob_sex_in_register"], BIT["isa_record_equals_other_resident"]
        other_address = BIT["namesake_other_address"]
        label_text: dict[int, str] = {}
        mask_counts: dict[int, int] = {}
        with (out / "truth.csv").open("w", encoding="utf-8", newline="") as truth_fh:
            truth = csv.writer(truth_fh, lineterminator="\n")
            truth.writerow(TRUTH_HEADER)
            for annex in (1, 2, 3):
                filename, event_header = ISA_FILES[annex]
                lines, res, masks, isa_keys, true_keys = self.isa[annex]
                order = list(range(len(lines)))
                shuffle_rng.shuffle(order)
                with (out / filename).open("wb") as fh:
                    fh.write(_csv_line((*ISA_COMMON_HEADER, event_header)).encode(self.isa_encoding))
                    fh.writelines(lines[i] for i in order)
                rows = []
                codes = self._code.many(max(idx, 0) for idx in res)
                for row_number, i in enumerate(order, start=1):
                    mask = masks[i]
                    if res[i] < 0:
                        expected, code = "not_in_register", ""
                    else:
                        code = codes[i]
                        expected = "match"
                        if keys.get(true_keys[i], 0) >= 2:
                            mask |= same
                            # A namesake made at another address: the ISA address (never moved for
                            # these) names one of the two, so a careful reader decides it.
                            decidable = mask & other_address and keys[true_keys[i]] == 2
                            expected = "match" if decidable else "ambiguous"
                        elif isa_keys[i] != true_keys[i] and isa_keys[i] in keys:
                            mask |= equals_other
                            expected = "ambiguous"
                    labels = label_text.get(mask)
                    if labels is None:
                        labels = label_text[mask] = labels_of(mask)
                    rows.append((filename, row_number, code, labels, expected))
                    expected_counts[expected] += 1
                    mask_counts[mask] = mask_counts.get(mask, 0) + 1
                truth.writerows(rows)
                del rows
                isa_counts[filename] = len(lines)
                formats[filename] = {
                    "encoding": self.isa_encoding,
                    "date": self.date_style[annex],
                    "sex": self.sex_style[annex],
                }
        for mask, count in mask_counts.items():
            for bit, label in enumerate(LABELS):
                if mask >> bit & 1:
                    difference_counts[label] += count
        files = [
            "residents.csv",
            "nhi_ledger.csv",
            *(f for f, _ in ISA_FILES.values()),
            "truth.csv",
            "summary.json",
        ]
        summary = GenerationSummary(
            lg_code=self.m.lg_code,
            municipality=self.m.prefecture + self.m.name,
            seed=self.seed,
            month=self.month,
            register_date=date.fromordinal(self.snapshot).isoformat(),
            residents=self.plan.residents,
            households=self.households,
            foreign_residents=self.foreign,
            ssw_residents=self.ssw_count,
            nationalities=dict(sorted(self.nationalities.items(), key=lambda kv: (-kv[1], kv[0]))),
            statuses=dict(sorted(self.statuses.items(), key=lambda kv: (-kv[1], kv[0]))),
            nhi_ledger_rows=self.ledger_rows,
            nhi_insured_now=self.insured_now,
            isa_records=isa_counts,
            isa_formats=formats,
            expected=expected_counts,
            differences={k: v for k, v in difference_counts.items() if v},
            files=files,
            out_dir=out,
        )
        (out / "summary.json").write_text(summary.to_json(), encoding="utf-8")
        return summary


def generate(
    out_dir: Path | str,
    *,
    lg_code: str = "132101",
    residents: int = 2000,
    seed: int = 1,
    isa_records: int | None = None,
    month: str | None = None,
    wards: list[tuple[str, str]] | None = None,
    isa_encoding: str = "cp932",
    workers: int = 1,
    shard_size: int = SHARD_RESIDENTS,
) -> GenerationSummary:
    """Write residents.csv, nhi_ledger.csv, the three ISA files, truth.csv and summary.json.

    lg_code: municipality code with check digit (132101 小金井市 has real town names).
    residents: rows in the register extract (including people who moved away or died).
    isa_records: ISA rows over the three files; default 2.5% of `residents`.
    month: YYYY-MM of the ISA files; default the month before REFERENCE_DATE. The register and
        ledger are extracted at the end of the following month.
    wards: (ward code, ward name) pairs for a designated city; residents are spread over them.
    isa_encoding: "cp932" as ISA sends them; "utf-8" keeps diacritics instead of '?'.
    workers: processes for the shards (opt-in: on a busy 2-CPU machine 2 workers were slower than
        one); the output does not depend on it.
    shard_size: residents per shard; the output depends on it, so keep the default.
    """
    month = month or _default_month()
    _month_bounds(month)  # validates
    if isa_records is None:
        isa_records = round(residents * DEFAULT_ISA_SHARE)
    out = Path(out_dir)
    setting = _Setting(
        out,
        lg_code=lg_code,
        residents=residents,
        seed=seed,
        isa_records=isa_records,
        month=month,
        wards=wards,
        isa_encoding=isa_encoding,
    )
    specs = setting.plan.shards(shard_size)
    out.mkdir(parents=True, exist_ok=True)
    main = _Shard(setting, None)
    for part in _run_shards(setting, specs, workers):
        main.merge(part)
    if len(specs) > 1:
        for name, header in (("residents.csv", REGISTER_HEADER), ("nhi_ledger.csv", LEDGER_HEADER)):
            with (out / name).open("wb") as fh:
                fh.write((",".join(header) + "\n").encode())
                for spec in specs:
                    part_path = _part(out, name, spec)
                    with part_path.open("rb") as part_fh:
                        shutil.copyfileobj(part_fh, fh, 1 << 20)
                    part_path.unlink()
    main.negatives()
    return main.finish()


def _run_shard(setting: _Setting, spec: _ShardSpec) -> _ShardResult:
    return _Shard(setting, spec).run()


def _can_fork() -> bool:
    """Fork only a single-threaded, non-daemon process (a Celery prefork worker is a daemon; forking
    a threaded process can deadlock, and Python warns about it)."""
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1  # OS threads, e.g. BLAS threads of numpy
    except OSError:
        return threading.active_count() == 1


def _run_shards(setting: _Setting, specs: list[_ShardSpec], workers: int):
    """Shard results in shard order: in worker processes when asked and possible, else in turn."""
    workers = min(len(specs), max(1, workers))
    if workers > 1 and _can_fork():
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            yield from pool.map(_run_shard, itertools.repeat(setting, len(specs)), specs)
        return
    for spec in specs:
        yield _run_shard(setting, spec)
