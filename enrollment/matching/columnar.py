"""The columnar matching engine: the candidate pairs of a whole chunk compared a column at a time.

`comparisons.py` defines every level pair by pair; this module computes the same levels for all
pairs of a chunk at once, as arrays: string values become integer codes shared by both sides
(pandas `factorize`), equality is a comparison of codes, edit distances come from rapidfuzz's
`process.cpdist` (element-wise, one thread) and the name's token rules run on token-code matrices
(pairs × tokens) with numpy. Scores are the weights of the levels summed as arrays, in the same order
as `engine.score_candidates`, so every float is the same to the last bit. No Django.

The scalar functions in `comparisons.py` stay the definition: `tests/unit/test_matching_columnar.py`
checks that both give the same levels, scores and decisions record for record. A name pair the token
matrices cannot settle on their own — a '?' letter lost in CP932, a token repeated in one name, the
same letters spaced differently, a name run together with its middle name — is compared by
`compare_name` itself (`ChunkLevels.fallback` counts them: 2–3% of the pairs on the generator's data).

    levels = chunk_levels(records, residents, record_index, resident_index)
    scores, adjustments = score_levels(levels.levels, model, name_adjustments[record_index])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import OSA, Hamming, Indel

from .addresses import towns_agree
from .comparisons import (
    _GONE_ELSEWHERE,
    A_BLOCK,
    A_BLOCK_CLOSE,
    A_DISAGREE,
    A_EXACT,
    A_MISSING,
    A_RESEMBLING,
    A_SIMILAR,
    A_TOWN_CHOME,
    ADDRESS_RESEMBLANCE,
    ADDRESS_SIMILARITY,
    B_DISAGREE,
    B_EXACT,
    B_MISSING,
    B_TYPO,
    B_YEAR,
    G_DISAGREE,
    G_EXACT,
    G_MISSING,
    G_MOVED_AWAY,
    G_SAME_CITY,
    N_DISAGREE,
    N_EXACT,
    N_FUZZY,
    N_JOINED,
    N_MISSING,
    N_NEAR,
    N_PARTIAL,
    N_SUBSET,
    N_TOKEN,
    S_AGREE,
    S_DISAGREE,
    S_MISSING,
    compare_name,
    designated_city_of,
)
from .features import Features
from .names import WILDCARD
from .scoring import ScoringModel

_UNDECIDED = -1
_SLICE = 50_000  # name pairs compared per token-matrix pass


def _codes(*groups: Sequence) -> list[np.ndarray]:
    """Integer codes of the values of several groups, one code space for all (equal values, equal
    codes)."""
    values = np.empty(sum(len(g) for g in groups), dtype=object)
    start = 0
    for group in groups:
        values[start : start + len(group)] = group
        start += len(group)
    codes, _ = pd.factorize(values, use_na_sentinel=False)
    out, start = [], 0
    for group in groups:
        out.append(codes[start : start + len(group)].astype(np.int64))
        start += len(group)
    return out


def _distances(scorer, left: Sequence[str], right: Sequence[str], **kwargs) -> np.ndarray:
    """`scorer(left[i], right[i])` for every i, in C (rapidfuzz `cpdist`, one worker: the chunks
    are what runs in parallel)."""
    if not len(left):
        return np.zeros(0, dtype=kwargs.get("dtype", np.int32))
    return process.cpdist(list(left), list(right), scorer=scorer, workers=1, **kwargs)


def _entity_row(x: Features) -> tuple:
    """What the columns need of one record or resident, read in one pass."""
    a = x.address
    st = x.sorted_tokens
    block = a.block
    return (
        len(st), WILDCARD in x.joined or len(set(st)) != len(st), x.birth_digits or "00000000",
        bool(x.birth_digits), _SEX_CODES.get(x.sex, 0), x.lg_code, x.lg_code[:5], x.status in _GONE_ELSEWHERE,
        not (a.town or block or a.building or a.room), bool(block), bool(a.room), bool(a.building),
        x.phonetic, x.alias_phonetic, x.joined, " ".join(st), x.anagram, a.town, "-".join(block),
        block[0] if block else "", a.building, a.room, a.canonical,
    )  # fmt: skip


_SEX_CODES = {"M": 1, "F": 2}
_STRING_COLUMNS = ("lg5", "sorted", "anagram", "town", "block", "block0", "building", "room")


class _Side:
    """One side's columns (records or residents), built once per entity, not per pair."""

    def __init__(self, features: Sequence[Features]) -> None:
        self.features = features
        n = len(features)
        rows = [_entity_row(x) for x in features]
        (n_tokens, tricky, digits, has_birth, sex, lg, lg5, gone, empty, has_block, room_set, building_set,
         phonetic, alias, joined, sorted_names, anagram, town, block, block0, building, room, canonical) = (
            zip(*rows, strict=True) if rows else ((),) * 23)  # fmt: skip
        self.n_tokens = np.array(n_tokens, dtype=np.int64)
        self.tricky = np.array(tricky, dtype=bool)
        self.birth = np.zeros((n, 8), dtype=np.uint8)
        if n:
            self.birth[:] = np.frombuffer("".join(digits).encode(), dtype=np.uint8).reshape(n, 8) - ord("0")
        self.has_birth = np.array(has_birth, dtype=bool)
        self.sex = np.array(sex, dtype=np.int8)
        self.has_lg = np.array([bool(code) for code in lg], dtype=bool)
        cities: dict[str, int] = {}
        for code in set(lg):
            city = designated_city_of(code)
            cities[code] = -1 if city is None else city
        self.city = np.array([cities[code] for code in lg], dtype=np.int64)
        self.gone = np.array(gone, dtype=bool)
        self.address_empty = np.array(empty, dtype=bool)
        self.has_block = np.array(has_block, dtype=bool)
        self.room_set = np.array(room_set, dtype=bool)
        self.building_set = np.array(building_set, dtype=bool)
        self.phonetic, self.alias_phonetic, self.joined = list(phonetic), list(alias), list(joined)
        self.phonetic_ok = np.array([len(k) >= 2 for k in phonetic], dtype=bool)
        self.alias_ok = np.array([len(k) >= 2 for k in alias], dtype=bool)
        self.joined_len = np.array([len(j) for j in joined], dtype=np.int64)
        self.town_names = list(town)
        self.canonical = list(canonical)
        self._strings = dict(zip(_STRING_COLUMNS, (lg5, sorted_names, anagram, town, block, block0, building, room),
                                 strict=True))  # fmt: skip

    def strings(self) -> dict[str, Sequence[str]]:
        """The string columns coded jointly with the other side."""
        return self._strings


@dataclass
class ChunkLevels:
    """Comparison levels of a chunk's pairs (pairs × 6, `FIELDS` order) and how many name pairs went
    to the scalar `compare_name` (see the module docstring)."""

    levels: np.ndarray
    fallback: int


def chunk_levels(
    records: Sequence[Features],
    residents: Sequence[Features],
    record_index: np.ndarray,
    resident_index: np.ndarray,
) -> ChunkLevels:
    """Levels of the pairs (records[record_index[i]], residents[resident_index[i]]), as
    `comparisons.comparison_vector` gives them, computed per column."""
    ri = np.asarray(record_index, dtype=np.int64)
    si = np.asarray(resident_index, dtype=np.int64)
    levels = np.empty((len(ri), 6), dtype=np.int8)
    if not len(ri):
        return ChunkLevels(levels, 0)
    a, b = _Side(records), _Side(residents)
    sa, sb = a.strings(), b.strings()
    coded = {name: _codes(sa[name], sb[name]) for name in sa}

    def pair(name: str) -> tuple[np.ndarray, np.ndarray]:
        ca, cb = coded[name]
        return ca[ri], cb[si]

    name, fallback = _name_levels(a, b, ri, si, pair)
    levels[:, 0] = name
    levels[:, 1] = _birth_levels(a, b, ri, si)
    levels[:, 2] = _sex_levels(a.sex[ri], b.sex[si])
    levels[:, 3] = _lg_levels(a, b, ri, si, pair)
    levels[:, 4] = _address_levels(a, b, ri, si, pair, coded)
    levels[:, 5] = _kana_levels(a, b, ri, si)
    return ChunkLevels(levels, fallback)


def score_levels(
    levels: np.ndarray, model: ScoringModel, name_adjustment: np.ndarray, prior: float
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, term-frequency adjustments) of the pairs: `prior` + the adjustment where the name is
    exact or joined + each field's weight, added in `engine.score_candidates`' order."""
    tf = np.where(levels[:, 0] <= N_JOINED, np.asarray(name_adjustment, dtype=np.float64), 0.0)
    w = [np.asarray(row, dtype=np.float64) for row in model.weights]
    score = np.full(len(levels), float(prior)) + tf
    for i in range(6):
        score = score + w[i][levels[:, i]]
    return score, tf


# --- name ----------------------------------------------------------------------------------------


def _token_matrix(sides: tuple[_Side, _Side]) -> tuple[list[np.ndarray], np.ndarray]:
    """Per side a matrix entities × tokens of token codes in sorted-token order (-1: none), and the
    token strings by code."""
    flat = [[t for x in side.features for t in x.sorted_tokens] for side in sides]
    codes = _codes(*flat)
    vocab_values = np.empty(sum(len(g) for g in flat), dtype=object)
    vocab_values[: len(flat[0])] = flat[0]
    vocab_values[len(flat[0]) :] = flat[1]
    width = max(1, max(int(side.n_tokens.max(initial=0)) for side in sides))
    vocab = np.empty(int(max((c.max(initial=-1) for c in codes), default=-1)) + 1, dtype=object)
    matrices = []
    offset = 0
    for side, side_codes in zip(sides, codes, strict=True):
        n = len(side.features)
        matrix = np.full((n, width), -1, dtype=np.int64)
        counts = side.n_tokens
        rows = np.repeat(np.arange(n), counts)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        cols = np.arange(len(side_codes)) - starts
        matrix[rows, cols] = side_codes
        vocab[side_codes] = vocab_values[offset : offset + len(side_codes)]
        offset += len(side_codes)
        matrices.append(matrix)
    return matrices, vocab


def _token_relations(small: np.ndarray, large: np.ndarray, vocab: np.ndarray, wanted: np.ndarray):
    """For the token pairs (small[p, i], large[p, j]) of the wanted pairs: tokens_close, one edit
    apart (loosely_close), small's token starting with large's, and a one-letter slip — each as a
    pairs × tokens × tokens boolean array. Distances are computed once per distinct token pair."""
    p, width = small.shape
    valid = (small[:, :, None] >= 0) & (large[:, None, :] >= 0) & wanted[:, None, None]
    v = max(len(vocab), 1)
    keys = small[:, :, None] * v + large[:, None, :]
    unique, inverse = np.unique(keys[valid], return_inverse=True)
    left = vocab[unique // v]
    right = vocab[unique % v]
    distance = _distances(OSA.distance, left, right, score_cutoff=3, dtype=np.int32)
    lengths = np.array([len(t) if t is not None else 0 for t in vocab], dtype=np.int64)
    len_l, len_r = lengths[unique // v], lengths[unique % v]
    shortest, longest = np.minimum(len_l, len_r), np.maximum(len_l, len_r)
    limit = np.where(shortest >= 8, 2, 1)
    same = unique // v == unique % v
    close = same | ((longest >= 4) & (distance <= limit))
    loose = distance <= 1
    starts = np.zeros(len(left), dtype=bool)
    longer = len_l > len_r  # equal tokens are never unpaired; a shorter one cannot start with a longer
    if longer.any():
        starts[longer] = np.char.startswith(left[longer].astype(str), right[longer].astype(str))
    equal_length = len_l == len_r
    hamming = np.full(len(left), 99, dtype=np.int32)
    if equal_length.any():
        hamming[equal_length] = _distances(
            Hamming.distance, left[equal_length], right[equal_length], dtype=np.int32
        )
    slip = equal_length & (len_l >= 2) & (distance == 1) & ((len_l >= 3) | (hamming == 2))
    out = []
    for flags in (close, loose, starts, slip):
        full = np.zeros((p, width, width), dtype=bool)
        full[valid] = flags[inverse]
        out.append(full)
    return out


def _name_levels(a: _Side, b: _Side, ri, si, pair) -> tuple[np.ndarray, int]:
    n = len(ri)
    level = np.full(n, _UNDECIDED, dtype=np.int8)
    len_a, len_b = a.n_tokens[ri], b.n_tokens[si]
    missing = (len_a == 0) | (len_b == 0)
    level[missing] = N_MISSING
    sorted_a, sorted_b = pair("sorted")
    level[(level == _UNDECIDED) & (sorted_a == sorted_b)] = N_EXACT
    anagram_a, anagram_b = pair("anagram")
    scalar = (level == _UNDECIDED) & (a.tricky[ri] | b.tricky[si] | (anagram_a == anagram_b))
    todo = (level == _UNDECIDED) & ~scalar
    if todo.any():
        (tok_a, tok_b), vocab = _token_matrix((a, b))
        # In slices: the pairs × tokens × tokens arrays of a run's fit (600,000 pairs) stay small.
        todo_idx = np.flatnonzero(todo)
        for idx in np.array_split(todo_idx, -(-len(todo_idx) // _SLICE)):
            ta, tb = tok_a[ri[idx]], tok_b[si[idx]]
            la, lb = len_a[idx], len_b[idx]
            swap = la > lb  # small = the record's tokens unless the resident's are fewer
            small = np.where(swap[:, None], tb, ta)
            large = np.where(swap[:, None], ta, tb)
            s, big = np.minimum(la, lb), np.maximum(la, lb)
            extra = big - s
            valid_s, valid_l = small >= 0, large >= 0
            equal = (small[:, :, None] == large[:, None, :]) & valid_s[:, :, None]
            exact_s, used_l = equal.any(2), equal.any(1)
            e = exact_s.sum(1)
            close, loose, starts, slip = _token_relations(small, large, vocab, np.ones(len(idx), dtype=bool))
            # align_tokens' greedy pairing of the remaining tokens, small's order, first free partner.
            pool = valid_l & ~used_l
            paired_close = np.zeros_like(exact_s)
            rows = np.arange(len(idx))
            for i in range(small.shape[1]):
                pending = valid_s[:, i] & ~exact_s[:, i]
                options = close[:, i, :] & pool & pending[:, None]
                found = options.any(1)
                first = options.argmax(1)
                pool[rows[found], first[found]] = False
                paired_close[found, i] = True
            c = paired_close.sum(1)
            unpaired = valid_s & ~exact_s & ~paired_close
            u = unpaired.sum(1)
            result = np.full(len(idx), _UNDECIDED, dtype=np.int8)
            go = np.ones(len(idx), dtype=bool)

            _settle(result, go, (e == s) & (s >= 2) & (extra <= 2), N_SUBSET)
            # A name run together with a middle name (TRANBINH / TRAN VAN BINH): the scalar decides.
            starts_any = (starts & valid_l[:, None, :]).any(2)
            run_together = (u > 0) & (extra > 0) & ~(unpaired & ~starts_any).any(1)
            defer = go & run_together
            go &= ~run_together
            _settle(
                result,
                go,
                (u == 0) & (extra <= 1) & ((e > 0) | (s == 1)) & ((s >= 2) | (extra == 0)),
                N_FUZZY,
            )
            joined_a, joined_b = a.joined_len[ri[idx]], b.joined_len[si[idx]]
            near = go & (extra > 0) & (np.minimum(joined_a, joined_b) >= 8)
            typo = np.zeros(len(idx), dtype=bool)
            if near.any():
                pos = np.flatnonzero(near)
                left = [a.joined[k] for k in ri[idx[pos]]]
                right = [b.joined[k] for k in si[idx[pos]]]
                typo[pos] = _distances(OSA.distance, left, right, score_cutoff=1, dtype=np.int32) <= 1
            _settle(result, go, typo, N_FUZZY)
            _settle(result, go, u == 0, N_PARTIAL)
            near_leftover = (loose & unpaired[:, :, None] & pool[:, None, :]).any((1, 2))
            _settle(result, go, (u == 1) & (e + c >= 2) & near_leftover, N_PARTIAL)
            one_left = (la == lb) & (s >= 2) & (e == s - 1)
            only_s = np.argmax(valid_s & ~exact_s, axis=1)
            only_l = np.argmax(valid_l & ~used_l, axis=1)
            _settle(result, go, one_left & slip[rows, only_s, only_l], N_PARTIAL)
            _settle(result, go, e > 0, N_TOKEN)
            _settle(result, go, c > 0, N_NEAR)  # no token shared exactly, one a typo of another
            _settle(result, go, np.ones(len(idx), dtype=bool), N_DISAGREE)
            level[idx] = result
            scalar[idx[defer]] = True
    scalar_idx = np.flatnonzero(scalar)
    ra, rb = a.features, b.features
    for k in scalar_idx:
        level[k] = compare_name(ra[ri[k]], rb[si[k]])
    return level, len(scalar_idx)


# --- the other fields ----------------------------------------------------------------------------


def _settle(result: np.ndarray, undecided: np.ndarray, mask: np.ndarray, value: int) -> None:
    """Give `value` to the undecided pairs where `mask` holds; they are decided from then on."""
    result[undecided & mask] = value
    undecided &= ~mask


def _birth_levels(a: _Side, b: _Side, ri, si) -> np.ndarray:
    da, db = a.birth[ri], b.birth[si]
    differ = da != db
    hamming = differ.sum(1)
    # OSA distance ≤ 1 between two 8-digit strings: one digit replaced, or two neighbours swapped.
    swapped = (
        (hamming == 2)
        & (differ[:, :-1] & differ[:, 1:]).any(1)
        & ((da[:, :-1] == db[:, 1:]) & (da[:, 1:] == db[:, :-1]) & differ[:, :-1] & differ[:, 1:]).any(1)
    )
    typo = (hamming <= 1) | swapped
    same_year = ~differ[:, :4].any(1)
    day_month = (da[:, 4:6] == db[:, 6:8]).all(1) & (da[:, 6:8] == db[:, 4:6]).all(1)
    level = np.where(
        same_year,
        np.where(typo | day_month, B_TYPO, B_YEAR),
        np.where(typo, B_TYPO, B_DISAGREE),
    )
    level = np.where(hamming == 0, B_EXACT, level)
    return np.where(a.has_birth[ri] & b.has_birth[si], level, B_MISSING).astype(np.int8)


def _sex_levels(sa: np.ndarray, sb: np.ndarray) -> np.ndarray:
    return np.where((sa == 0) | (sb == 0), S_MISSING, np.where(sa == sb, S_AGREE, S_DISAGREE)).astype(np.int8)


def _lg_levels(a: _Side, b: _Side, ri, si, pair) -> np.ndarray:
    la, lb = pair("lg5")
    city_a, city_b = a.city[ri], b.city[si]
    level = np.where(b.gone[si], G_MOVED_AWAY, G_DISAGREE)
    level = np.where((city_a >= 0) & (city_a == city_b), G_SAME_CITY, level)
    level = np.where(la == lb, G_EXACT, level)
    return np.where(a.has_lg[ri] & b.has_lg[si], level, G_MISSING).astype(np.int8)


def _address_levels(a: _Side, b: _Side, ri, si, pair, coded) -> np.ndarray:
    town_a, town_b = pair("town")
    towns = town_a == town_b
    other = ~towns
    if other.any():
        # towns_agree once per distinct pair of towns (a handful per chunk), not per pair.
        names = np.empty(max(int(coded["town"][0].max(initial=-1)), int(coded["town"][1].max(initial=-1))) + 1,
                         dtype=object)  # fmt: skip
        names[coded["town"][0]] = a.town_names
        names[coded["town"][1]] = b.town_names
        width = len(names)
        keys = town_a[other] * width + town_b[other]
        unique, inverse = np.unique(keys, return_inverse=True)
        agree = np.fromiter(
            (towns_agree(names[k // width], names[k % width]) for k in unique), dtype=bool, count=len(unique)
        )
        towns[other] = agree[inverse]
    block_a, block_b = pair("block")
    same_block = a.has_block[ri] & (block_a == block_b)
    room_a, room_b = pair("room")
    building_a, building_b = pair("building")
    rooms = (room_a == room_b) & (
        (building_a == building_b) | (a.room_set[ri] & ~(a.building_set[ri] & b.building_set[si]))
    )
    first_a, first_b = pair("block0")
    chome = ~a.has_block[ri] | ~b.has_block[si] | (first_a == first_b)
    empty = a.address_empty[ri] | b.address_empty[si]
    # The whole texts compared (Indel similarity) only where the level depends on it, with the
    # score cutoffs `compare_address` uses (a cutoff changes where exactly 0.85 falls): the same
    # block with another building or room (`_close_text`), town or block disagreeing
    # (`_similar_or_disagree`).
    in_block = ~empty & towns & same_block & ~rooms
    apart = ~empty & (~towns | (~same_block & ~chome))

    def similarity(where: np.ndarray, cutoff: float) -> np.ndarray:
        found = np.zeros(len(ri), dtype=np.float64)
        if where.any():
            pos = np.flatnonzero(where)
            left = [a.canonical[k] for k in ri[pos]]
            right = [b.canonical[k] for k in si[pos]]
            found[pos] = _distances(
                Indel.normalized_similarity, left, right, score_cutoff=cutoff, dtype=np.float64
            )
        return found

    close = similarity(in_block, ADDRESS_SIMILARITY) > 0
    resemblance = similarity(apart, ADDRESS_RESEMBLANCE)
    elsewhere = np.where(
        resemblance >= ADDRESS_SIMILARITY, A_SIMILAR, np.where(resemblance > 0, A_RESEMBLING, A_DISAGREE)
    )
    level = np.where(chome, A_TOWN_CHOME, elsewhere)
    level = np.where(same_block, np.where(rooms, A_EXACT, np.where(close, A_BLOCK_CLOSE, A_BLOCK)), level)
    level = np.where(towns, level, elsewhere)
    return np.where(empty, A_MISSING, level).astype(np.int8)


def _kana_levels(a: _Side, b: _Side, ri, si) -> np.ndarray:
    record_ok = a.phonetic_ok[ri]
    best = np.full(len(ri), -1.0)
    for keys, ok in ((b.phonetic, b.phonetic_ok), (b.alias_phonetic, b.alias_ok)):
        use = record_ok & ok[si]
        if use.any():
            pos = np.flatnonzero(use)
            left = [a.phonetic[k] for k in ri[pos]]
            right = [keys[k] for k in si[pos]]
            similarity = _distances(Indel.normalized_similarity, left, right, dtype=np.float64)
            best[pos] = np.maximum(best[pos], similarity)
    level = np.where(best >= 0.8, 0, np.where(best >= 0.5, 1, 2))
    return np.where(record_ok & (best >= 0), level, 3).astype(np.int8)


# --- a chunk's decisions -------------------------------------------------------------------------


@dataclass
class ChunkPairs:
    """A chunk's candidates as one frame: every distinct (record, resident) pair once, records in
    order and each record's candidates in the order they were found (the order ties keep)."""

    residents: list[Features]
    record_index: np.ndarray
    resident_index: np.ndarray
    bounds: np.ndarray  # record k's pairs are [bounds[k], bounds[k + 1])


def chunk_pairs(candidates: Sequence[Sequence[Features]]) -> ChunkPairs:
    """Pairs of the records' candidate lists (a resident found by several keys counts once per
    record, as in `engine.score_candidates`); the residents shared by several records are compared
    from one column entry."""
    residents: list[Features] = []
    position: dict[str, int] = {}
    record_index, resident_index, bounds = [], [], [0]
    for k, found in enumerate(candidates):
        seen: set[str] = set()
        for resident in found:
            key = resident.key
            if key in seen:
                continue
            seen.add(key)
            j = position.get(key)
            if j is None:
                j = position[key] = len(residents)
                residents.append(resident)
            record_index.append(k)
            resident_index.append(j)
        bounds.append(len(record_index))
    return ChunkPairs(
        residents,
        np.asarray(record_index, dtype=np.int64),
        np.asarray(resident_index, dtype=np.int64),
        np.asarray(bounds, dtype=np.int64),
    )


@dataclass
class ComparedChunk:
    """A chunk's pairs and their levels: all that does not depend on the model."""

    frame: ChunkPairs
    levels: ChunkLevels


def compare_chunk(records: Sequence[Features], candidates: Sequence[Sequence[Features]]) -> ComparedChunk:
    frame = chunk_pairs(candidates)
    return ComparedChunk(
        frame, chunk_levels(records, frame.residents, frame.record_index, frame.resident_index)
    )


@dataclass
class ChunkResult:
    decisions: list
    pairs: int
    fallback: int


def match_chunk(
    records: Sequence[Features],
    candidates: Sequence[Sequence[Features]],
    *,
    thresholds,
    model: ScoringModel,
    name_counts: Sequence[int | None],
    population: int | None,
    letters: Sequence,
    explain_top: int = 3,
    compared: ComparedChunk | None = None,
) -> ChunkResult:
    """Decide a chunk of records: levels and scores for all their candidate pairs as arrays, then
    `decision.decide` per record (probabilities, rules, explanation) on its scored candidates.
    The same decisions as `engine.match_record` record by record. `compared`: the levels already
    computed (`compare_chunk` of the same records and candidates), e.g. while the model was fitted."""
    from .decision import ScoredPair, decide

    if compared is None:
        compared = compare_chunk(records, candidates)
    frame, computed = compared.frame, compared.levels
    adjustments = np.fromiter(
        (model.name_adjustment(count, population) for count in name_counts),
        dtype=np.float64,
        count=len(records),
    )
    scores, tf = score_levels(
        computed.levels, model, adjustments[frame.record_index], model.prior_at(population)
    )
    level_rows = [tuple(row) for row in computed.levels.tolist()]
    score_list, tf_list = scores.tolist(), tf.tolist()
    residents = frame.residents
    resident_index = frame.resident_index.tolist()
    new = tuple.__new__
    decisions = []
    bounds = frame.bounds.tolist()
    for k, record in enumerate(records):
        lo, hi = bounds[k], bounds[k + 1]
        scored = [
            new(ScoredPair, (residents[resident_index[p]], score_list[p], level_rows[p], tf_list[p]))
            for p in range(lo, hi)
        ]
        decisions.append(
            decide(
                record,
                scored,
                thresholds=thresholds,
                model=model,
                letters=letters[k],
                explain_top=explain_top,
            )
        )
    return ChunkResult(decisions, len(score_list), computed.fallback)


def pair_levels(pairs: Sequence[tuple[Features, Features]]) -> np.ndarray:
    """`scoring.level_matrix` of (record, resident) pairs, per column: each distinct record and
    resident (by identity) becomes one column entry."""
    records: list[Features] = []
    residents: list[Features] = []
    seen_records: dict[int, int] = {}
    seen_residents: dict[int, int] = {}
    record_index = np.empty(len(pairs), dtype=np.int64)
    resident_index = np.empty(len(pairs), dtype=np.int64)
    for p, (record, resident) in enumerate(pairs):
        k = seen_records.get(id(record))
        if k is None:
            k = seen_records[id(record)] = len(records)
            records.append(record)
        j = seen_residents.get(id(resident))
        if j is None:
            j = seen_residents[id(resident)] = len(residents)
            residents.append(resident)
        record_index[p], resident_index[p] = k, j
    return chunk_levels(records, residents, record_index, resident_index).levels
