"""Micro-benchmark and quality check of the matcher on a small synthetic register (not the project's
data generator): `python -m bench.engine_micro [residents] [records]`. No Django.
"""

from __future__ import annotations

import random
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from enrollment.matching.blocking import record_keys, resident_keys
from enrollment.matching.decision import AUTO_MATCH, REVIEW, Thresholds
from enrollment.matching.engine import MatchIndex, score_candidates
from enrollment.matching.features import Features, record_features, resident_features

VIETNAMESE_FAMILY = (["NGUYEN"] * 38 + ["TRAN"] * 11 + ["LE"] * 9 + ["PHAM"] * 7 + ["HOANG"] * 5 + ["HUYNH"] * 5
                     + ["PHAN", "VU", "VO", "DANG", "BUI", "DO", "HO", "NGO", "DUONG", "LY"] * 2)  # fmt: skip
VIETNAMESE_MIDDLE_M = ["VAN"] * 6 + ["DUC", "MINH", "THANH", "HUU", "QUANG", "XUAN", "CONG", "DINH"]
VIETNAMESE_MIDDLE_F = ["THI"] * 8 + ["NGOC", "THU", "KIM", "THANH", "MY", "HONG"]
VIETNAMESE_GIVEN = (
    "AN ANH BINH CUONG DUNG DUC HAI HANH HIEU HOA HOANG HONG HUNG HUONG HUY KHANH LAN LINH LONG MAI MINH "
    "NAM NGA NGOC NHUNG PHUONG QUANG QUYNH SON TAM THANH THAO THU THUY TRANG TRUNG TU TUAN VIET VINH YEN "
    "DAT KHOA LOC PHUC TAI THANG TIEN TOAN HAU GIANG DIEP HIEN HUE LIEN LOAN NHU OANH TRAM VY"
).split()
VIETNAMESE_ACCENTS = {"NGUYEN": "NGUYỄN", "TRAN": "TRẦN", "LE": "LÊ", "PHAM": "PHẠM", "HOANG": "HOÀNG",
                      "DANG": "ĐẶNG", "DO": "ĐỖ", "DUONG": "DƯƠNG", "VAN": "VĂN", "THI": "THỊ", "DUC": "ĐỨC",
                      "HUONG": "HƯƠNG", "DUNG": "DŨNG", "THUY": "THÚY", "TRANG": "TRANG", "DAT": "ĐẠT"}  # fmt: skip
INDONESIAN = ("AGUS BUDI DEWI SITI NUR RINA ADI PUTRA PUTRI WATI SETIAWAN SANTOSO WIJAYA HIDAYAT RAHMAN "
              "LESTARI KURNIAWAN PRATAMA SARI MUHAMMAD RIZKI FAJAR INDAH AYU DIAN EKO SUPARMAN SUGIANTO "
              "WAHYUDI HARTONO YULIANTI RAHAYU FIRMANSYAH SAPUTRA").split()  # fmt: skip
FILIPINO_GIVEN = "MARIA JOSE JUAN ANA MARK JOHN ROSE JOY CRISTINA MICHAEL JENNIFER ANGELICA RICARDO".split()
FILIPINO_FAMILY = [*("SANTOS REYES CRUZ GARCIA BAUTISTA OCAMPO MENDOZA TORRES RAMOS AQUINO VILLANUEVA "
                     "CASTILLO FLORES RIVERA GONZALES LOPEZ").split(), "DELA CRUZ", "DE LEON", "DELOS SANTOS"]  # fmt: skip
MYANMAR = ("AUNG KYAW MIN THU HTET ZAW WIN NAING MYO SOE HLAING TUN OO MOE PHYO SU THANDAR NAY HTUN LWIN "
           "THET KHIN MYAT NWE YU MAY SAN").split()  # fmt: skip
CHINESE_FAMILY = "WANG LI ZHANG LIU CHEN YANG HUANG ZHAO WU ZHOU XU SUN MA ZHU HU GUO".split()
CHINESE_SYLLABLES = "XIAO MING HUA JUN WEI LI FANG NA YAN JING LEI YONG JIE TAO HONG MEI LING QIANG".split()
NEPALI_GIVEN = "RAM BIKASH SUNIL ANIL SITA GITA KRISHNA SANJAY RAJESH PRAKASH SABINA ANJALI DIPAK".split()
NEPALI_FAMILY = "SHRESTHA GURUNG TAMANG RAI MAGAR THAPA ADHIKARI POUDEL SHARMA KARKI BHANDARI".split()
KANA = {"NGUYEN": "グエン", "TRAN": "チャン", "LE": "レ", "PHAM": "ファム", "HOANG": "ホアン", "VAN": "ヴァン",
        "THI": "ティ", "AN": "アン", "ANH": "アイン", "HUNG": "フン", "HUONG": "フオン", "DUC": "ドゥック",
        "MINH": "ミン", "LINH": "リン", "NAM": "ナム", "AGUS": "アグス", "BUDI": "ブディ", "SITI": "シティ",
        "MARIA": "マリア", "SANTOS": "サントス", "AUNG": "アウン", "KYAW": "チョー", "WANG": "ワン",
        "RAM": "ラム", "GURUNG": "グルン", "THAPA": "タパ"}  # fmt: skip
TOWNS = ["本町", "中町", "東町", "緑町", "桜町", "梶野町", "貫井北町", "前原町", "関野町", "貫井南町", "若葉台",
         "南台", "北山", "西原", "泉町", "栄町", "旭町", "宮下", "大沢", "新町"]  # fmt: skip
BUILDINGS = ["コーポ", "ハイツ", "レジデンス", "メゾン", "寮", "荘", "パレス"]
LG_CODE = "132101"
KANJI_DIGITS = "〇一二三四五六七八九"


@dataclass
class Person:
    pid: int
    name: str
    nationality: str
    sex: str
    birth: date
    address: tuple[str, tuple[int, int, int], str, int]  # town, (chome, ban, go), building, room


def _kanji(n: int) -> str:
    if n < 10:
        return KANJI_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else KANJI_DIGITS[tens]) + "十" + (KANJI_DIGITS[ones] if ones else "")


def _name(rng: random.Random, sex: str) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.5:
        middle = rng.choice(VIETNAMESE_MIDDLE_M if sex == "M" else VIETNAMESE_MIDDLE_F)
        given = rng.choice(VIETNAMESE_GIVEN)
        parts = [rng.choice(VIETNAMESE_FAMILY), middle, given]
        if rng.random() < 0.15:
            parts.insert(2, rng.choice(VIETNAMESE_GIVEN))
        return " ".join(parts), "VN"
    if roll < 0.65:
        return " ".join(rng.sample(INDONESIAN, rng.choice([1, 2, 2, 3]))), "ID"
    if roll < 0.75:
        fam, mid = rng.sample(FILIPINO_FAMILY, 2)
        return f"{fam} {rng.choice(FILIPINO_GIVEN)} {mid}", "PH"
    if roll < 0.88:
        return " ".join(rng.sample(MYANMAR, rng.choice([2, 3, 3, 4]))), "MM"
    if roll < 0.94:
        return f"{rng.choice(CHINESE_FAMILY)} {''.join(rng.sample(CHINESE_SYLLABLES, 2))}", "CN"
    return f"{rng.choice(NEPALI_FAMILY)} {rng.choice(NEPALI_GIVEN)}", "NP"


def _address(rng: random.Random, dorms: list) -> tuple:
    if rng.random() < 0.5:
        return (*rng.choice(dorms)[:3], rng.randint(1, 4) * 100 + rng.randint(1, 12))
    return (rng.choice(TOWNS), (rng.randint(1, 5), rng.randint(1, 30), rng.randint(1, 20)), "", 0)


def _render_address(address: tuple, rng: random.Random, style: int) -> str:
    town, (c, b, g), building, room = address
    pref = "東京都" if rng.random() < 0.5 else ""
    if style == 0:
        block = f"{c}-{b}-{g}"
    elif style == 1:
        block = f"{_kanji(c)}丁目{b}番{g}号"
    elif style == 2:
        block = unicodedata.normalize("NFKC", f"{c}丁目{b}-{g}").translate(
            str.maketrans("0123456789-", "０１２３４５６７８９－")
        )
    else:
        block = f"{c}丁目{_kanji(b)}番{_kanji(g)}号"
    tail = ""
    if building and rng.random() < 0.9:
        tail = f" {building}{room}" if rng.random() < 0.8 else f" {building} {room}号室"
    elif room:
        tail = f"-{room}"
    return f"{pref}小金井市{town}{block}{tail}"


def _typo(token: str, rng: random.Random) -> str:
    if len(token) < 4:
        return token
    i = rng.randrange(len(token))
    letter = rng.choice("ABCDEFGHIKLMNOPRSTUVY")
    return token[:i] + letter + token[i + 1 :]


def _perturb_name(name: str, nationality: str, rng: random.Random) -> str:
    tokens = name.split()
    if len(tokens) > 1 and rng.random() < 0.15:
        tokens = tokens[1:] + tokens[:1]  # given name first
    if len(tokens) > 2 and rng.random() < 0.05:
        del tokens[1 + rng.randrange(len(tokens) - 2)]  # a middle name left out
    if len(tokens) > 1 and rng.random() < 0.05:
        i = rng.randrange(len(tokens) - 1)
        tokens[i : i + 2] = [tokens[i] + tokens[i + 1]]  # merged spacing
    if rng.random() < 0.03:
        candidates = [i for i, t in enumerate(tokens) if len(t) >= 4]
        if candidates:
            i = rng.choice(candidates)
            tokens[i] = _typo(tokens[i], rng)
    if nationality == "VN" and rng.random() < 0.3:
        tokens = [VIETNAMESE_ACCENTS.get(t, t) for t in tokens]
    text = " ".join(tokens)
    if len(tokens) > 1 and rng.random() < 0.05:
        text = tokens[0] + ", " + " ".join(tokens[1:])
    if rng.random() < 0.05:
        text = unicodedata.normalize("NFKC", text).translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
        text = text.replace(" ", "\u3000")
    return text


def _perturb_birth(birth: date, rng: random.Random) -> date:
    roll = rng.random()
    if roll < 0.01 and birth.day <= 12 and birth.day != birth.month:
        return date(birth.year, birth.day, birth.month)
    if roll < 0.03:
        digits = list(birth.strftime("%Y%m%d"))
        for _ in range(10):
            i = rng.choice([2, 3, 5, 7])
            trial = digits.copy()
            trial[i] = str(rng.randrange(10))
            try:
                new = date(int("".join(trial[:4])), int("".join(trial[4:6])), int("".join(trial[6:])))
            except ValueError:
                continue
            if new != birth:
                return new
    return birth


def build_population(residents: int, records: int, seed: int = 7, unregistered: float = 0.05):
    """Residents (Features), ISA records (Features) and the truth: record id → resident id or None."""
    rng = random.Random(seed)
    dorms = [
        (rng.choice(TOWNS), (rng.randint(1, 5), rng.randint(1, 30), rng.randint(1, 20)),
         f"{rng.choice(BUILDINGS)}{rng.choice(TOWNS)[:1]}{i}")
        for i in range(max(1, residents // 60))
    ]  # fmt: skip
    people: list[Person] = []
    for pid in range(residents):
        sex = rng.choice("MF")
        name, nationality = _name(rng, sex)
        birth = date(1975, 1, 1) + timedelta(days=rng.randrange(365 * 30))
        people.append(Person(pid, name, nationality, sex, birth, _address(rng, dorms)))
    # Different people with the same name, birth date and sex (twins in name): they must go to review.
    for person in rng.sample(people, max(1, residents // 2000)):
        people.append(Person(len(people), person.name, person.nationality, person.sex, person.birth,
                             _address(rng, dorms)))  # fmt: skip
    statuses = ["resident"] * 90 + ["moved_out"] * 6 + ["left_japan"] * 3 + ["died"]
    resident_list = [
        resident_features(
            resident_id=p.pid, name_alpha=p.name, name_kana=" ".join(KANA.get(t, "") for t in p.name.split()).strip()
            if all(t in KANA for t in p.name.split()) else "",
            sex=p.sex, birth_date=p.birth, lg_code=LG_CODE, address=_render_address(p.address, rng, 0),
            status=rng.choice(statuses),
        )
        for p in people
    ]  # fmt: skip
    truth: dict[str, str | None] = {}
    record_list = []
    for rid in range(records):
        problems: set[str] = set()
        if rng.random() < unregistered:  # not in the register (yet): must not be matched to anyone
            sex = rng.choice("MF")
            name, nationality = _name(rng, sex)
            person = Person(-1, name, nationality, sex, date(1975, 1, 1) + timedelta(days=rng.randrange(10950)),
                            _address(rng, dorms))  # fmt: skip
            truth[str(rid)] = None
        else:
            person = rng.choice(people)
            truth[str(rid)] = str(person.pid)
        address = person.address
        if rng.random() < 0.08:  # moved within the city since the register extract
            address = _address(rng, dorms)
        birth: date | None = _perturb_birth(person.birth, rng)
        if rng.random() < 0.005:
            birth, problems = None, {"birth_date"}
        record_list.append(
            record_features(
                record_id=rid, name=_perturb_name(person.name, person.nationality, rng), lg_code=LG_CODE,
                address=_render_address(address, rng, rng.randrange(4)), sex=person.sex, birth_date=birth,
                problems=problems,
            )
        )  # fmt: skip
    return resident_list, record_list, truth


def evaluate(residents: list[Features], records: list[Features], truth: dict, thresholds: Thresholds) -> dict:
    index = MatchIndex(residents)
    auto = correct_auto = review = blocked = 0
    reasons: Counter[str] = Counter()
    true_total = sum(1 for v in truth.values() if v is not None)
    started = time.perf_counter()
    pairs = 0
    for record in records:
        candidates = index.candidates(record)
        pairs += len(candidates)
        expected = truth[record.key]
        if expected is not None and any(c.key == expected for c in candidates):
            blocked += 1
        decision = index.match(record, thresholds=thresholds)
        reasons[decision.reason] += 1
        if decision.outcome == AUTO_MATCH:
            auto += 1
            correct_auto += decision.resident_id == expected
        elif decision.outcome == REVIEW:
            review += 1
    elapsed = time.perf_counter() - started
    return {
        "records": len(records),
        "precision": correct_auto / auto if auto else 1.0,
        "recall": correct_auto / true_total if true_total else 1.0,
        "review_rate": review / len(records),
        "blocking_recall": blocked / true_total if true_total else 1.0,
        "pairs_per_record": pairs / len(records),
        "seconds": elapsed,
        "reasons": dict(reasons),
        "largest_blocks": index.block_sizes(),
    }


def micro_benchmark(residents: list[Features], records: list[Features]) -> dict:
    """Throughput in CPU seconds of this process (other load on the machine does not count)."""
    clock = time.process_time
    started = clock()
    n_keys = sum(len(resident_keys(r)) for r in residents) + sum(len(record_keys(r)) for r in records)
    key_seconds = clock() - started
    index = MatchIndex(residents)
    candidate_lists = [(r, index.candidates(r)) for r in records]
    started = clock()
    n_pairs = 0
    for _ in range(3):
        for record, candidates in candidate_lists:
            n_pairs += len(score_candidates(record, candidates))
    score_seconds = clock() - started
    started = clock()
    for record in records:
        index.match(record)
    match_seconds = clock() - started
    stored = [r.to_stored() for r in residents]
    started = clock()
    for row in stored:
        Features.from_stored(row)
    stored_seconds = clock() - started
    return {
        "blocking_keys_per_second": round(n_keys / key_seconds),
        "pairs_scored_per_second": round(n_pairs / score_seconds),
        "records_matched_per_second": round(len(records) / match_seconds),
        "pairs_per_record": round(n_pairs / 3 / len(records), 1),
        "features_from_stored_per_second": round(len(stored) / stored_seconds),
    }


def features_per_second(n: int = 20_000) -> float:
    """Features built from raw register-like values (normalisation of name, kana and address)."""
    rng = random.Random(1)
    rows = []
    for i in range(n):
        name, _ = _name(rng, "M")
        rows.append(
            (i, name, _render_address(_address(rng, [("本町", (1, 2, 3), "コーポ本町")]), rng, i % 4))
        )
    started = time.process_time()
    for i, name, address in rows:
        resident_features(resident_id=i, name_alpha=name, name_kana="グエン ヴァン アン", sex="M",
                          birth_date=date(1990, 1, 1), lg_code=LG_CODE, address=address)  # fmt: skip
    return n / (time.process_time() - started)


def main(argv: list[str]) -> None:
    n_residents = int(argv[0]) if argv else 200_000
    n_records = int(argv[1]) if len(argv) > 1 else 5_000
    residents, records, truth = build_population(n_residents, n_records)
    print(f"features from raw values: {features_per_second():,.0f}/s")
    print(micro_benchmark(residents, records))
    print(evaluate(residents, records, truth, Thresholds()))


if __name__ == "__main__":
    main(sys.argv[1:])
