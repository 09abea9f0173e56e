"""The columnar matching index (`enrollment.matching.resident_columns.index_columns`) gives, for
every resident, exactly the stored features and the key hashes of `resident_features` and
`resident_keys`, the one definition of both."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from enrollment.matching import key_hash, resident_features, resident_keys
from enrollment.matching.features import STORED_COLUMNS
from enrollment.matching.resident_columns import index_columns

NAMES = [
    "NGUYEN VAN AN", "TRAN THI BINH", "NGUY?N VAN AN", "Nguyễn Văn An", "ＳＩＴＩ ＲＡＨＡＹＵ", "D'SOUZA MARIA",
    "ĐỖ THỊ HOA", "AN", "A B C D E F G H", "VAN VAN VAN", "O'BRIEN-SMITH JOHN", "", "  ", "??",
    "SANTOS, MARIA CRUZ",
]  # fmt: skip
KANA = ["", "グエン ヴァン アン", "ﾁｬﾝ ﾃｨ ﾋﾞﾝ", "サントス　マリア", "ア"]
KANJI = ["", "阮文安", "山田 花子", "ＳＩＴＩ"]
SEXES = ["M", "F", "", "1", "男"]
BIRTHS = [None, date(1998, 4, 12), date(2000, 1, 5), date(1999, 12, 31), date(1950, 7, 7), date(2000, 2, 29)]
LG_CODES = ["132101", "", "１３２１０１", " 132101 "]
ADDRESSES = [
    "", "東京都小金井市本町1丁目2番3号", "東京都小金井市本町一丁目2-3 コーポ本町101", "小金井市中町2-3-4",
    "東京都小金井市前原町3丁目1番5号 メゾン前原201", "神奈川県横浜市中区山下町", "東京都小金井市貫井北町５－１６－２２",
    "番地なし",
]  # fmt: skip
STATUSES = ["resident", "moved_out", "", "died"]

RESIDENT = st.fixed_dictionaries(
    {
        "name_alpha": st.sampled_from(NAMES),
        "name_kana": st.sampled_from(KANA),
        "name_kanji": st.sampled_from(KANJI),
        "sex": st.sampled_from(SEXES),
        "birth_date": st.sampled_from(BIRTHS),
        "lg_code": st.sampled_from(LG_CODES),
        "address": st.sampled_from(ADDRESSES),
        "status": st.sampled_from(STATUSES),
    }
)


def by_definition(rows: list[dict]) -> tuple[list[dict], list[set[int]]]:
    stored, keys = [], []
    for number, row in enumerate(rows):
        features = resident_features(resident_id=number, **row)
        as_stored = features.to_stored()
        stored.append({c: as_stored[c] for c in STORED_COLUMNS})
        keys.append({key_hash(k) for k in resident_keys(features)})
    return stored, keys


def by_columns(rows: list[dict]) -> tuple[list[dict], list[set[int]]]:
    columns = {
        name: pa.array(
            [
                (row[name].isoformat() if row[name] else None) if name == "birth_date" else row[name]
                for row in rows
            ],
            pa.string(),
        )
        for name in rows[0]
    }
    computed = index_columns(columns)
    stored = [{c: computed.stored[c][i].as_py() for c in STORED_COLUMNS} for i in range(len(rows))]
    keys: list[set[int]] = [set() for _ in rows]
    for row, hashed in zip(computed.key_rows.tolist(), computed.key_hashes.tolist(), strict=True):
        assert hashed not in keys[row], "each (resident, key) pair once"
        keys[row].add(hashed)
    return stored, keys


def test_every_combination_of_the_listed_values_once():
    rows = [
        {
            "name_alpha": name,
            "name_kana": KANA[i % len(KANA)],
            "name_kanji": KANJI[i % len(KANJI)],
            "sex": SEXES[i % len(SEXES)],
            "birth_date": BIRTHS[i % len(BIRTHS)],
            "lg_code": LG_CODES[i % len(LG_CODES)],
            "address": address,
            "status": STATUSES[i % len(STATUSES)],
        }
        for i, (name, address) in enumerate((n, a) for n in NAMES for a in ADDRESSES)
    ]
    assert by_columns(rows) == by_definition(rows)


@settings(max_examples=60, deadline=None)
@given(st.lists(RESIDENT, min_size=1, max_size=40))
def test_the_columns_equal_the_definition_resident_by_resident(rows):
    assert by_columns(rows) == by_definition(rows)


def test_a_resident_without_a_latin_name_has_features_but_no_keys():
    rows = [{"name_alpha": "", "name_kana": "ア", "name_kanji": "", "sex": "M", "birth_date": date(2000, 1, 1),
             "lg_code": "132101", "address": "小金井市本町1-2-3", "status": "resident"}]  # fmt: skip
    stored, keys = by_columns(rows)
    assert keys == [set()] and stored[0]["kana"] == "ア"
