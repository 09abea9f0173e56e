"""Synthetic resident codes (住民票コード): 11 digits that look random, never repeat and are not
real codes. Pure Python; numpy (when installed) only computes the same numbers faster.

A keyed 3-round Feistel network permutes the 10-digit numbers 10^9 … 10^10-1 (two 5-digit halves,
cycle walking keeps the result in range); the 11th digit is a demo check digit, not J-LIS's.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

_numpy_module = None


def _numpy():
    """numpy, imported on first use (importing it starts BLAS threads, and the generator forks its
    workers before it needs numpy); None when it is not installed: the codes are the same."""
    global _numpy_module
    if _numpy_module is None:
        try:
            import numpy
        except ImportError:  # pragma: no cover - numpy is in the project venv
            numpy = False
        _numpy_module = numpy
    return _numpy_module or None


_HALF = 100_000
_LOW = 1_000_000_000


class ResidentCodes:
    BLOCK = 1 << 16

    def __init__(self, seed: int, *, use_numpy: bool = True) -> None:
        rnd = random.Random(f"nhi-demo:{seed}:codes").random
        self.tables = tuple([int(rnd() * _HALF) for _ in range(_HALF)] for _ in range(3))
        self._use_numpy = use_numpy
        self._np_tables = None
        self._start = 0
        self._block: list[str] = []

    def one(self, idx: int) -> str:
        if not 0 <= idx < 9 * _LOW:
            raise ValueError("resident index out of range")
        f0, f1, f2 = self.tables
        x = _LOW + idx
        while True:
            left, right = divmod(x, _HALF)
            left, right = right, (left + f0[right]) % _HALF
            left, right = right, (left + f1[right]) % _HALF
            left, right = right, (left + f2[right]) % _HALF
            x = left * _HALF + right
            if x >= _LOW:
                return f"{x}{(x * 7 + left) % 10}"

    def many(self, indices: Iterable[int]) -> list[str]:
        indices = list(indices)
        xp = _numpy() if self._use_numpy and len(indices) >= 64 else None
        if xp is None:
            return [self.one(i) for i in indices]
        if min(indices) < 0 or max(indices) >= 9 * _LOW:
            raise ValueError("resident index out of range")
        if self._np_tables is None:
            self._np_tables = tuple(xp.array(t, dtype=xp.int64) for t in self.tables)
        f0, f1, f2 = self._np_tables
        current = xp.array(indices, dtype=xp.int64) + _LOW
        result = xp.empty_like(current)
        todo = xp.arange(len(current))
        while len(todo):
            left, right = xp.divmod(current[todo], _HALF)
            left, right = right, (left + f0[right]) % _HALF
            left, right = right, (left + f1[right]) % _HALF
            left, right = right, (left + f2[right]) % _HALF
            x = left * _HALF + right
            done = x >= _LOW
            result[todo[done]] = x[done]
            current[todo] = x
            todo = todo[~done]
        check = (result * 7 + result // _HALF) % 10
        return [f"{x}{c}" for x, c in zip(result.tolist(), check.tolist(), strict=True)]

    def __call__(self, idx: int) -> str:
        """Code of resident `idx`; computed a block at a time (residents are numbered in order)."""
        offset = idx - self._start
        if 0 <= offset < len(self._block):
            return self._block[offset]
        self._start = idx - idx % self.BLOCK
        self._block = self.many(range(self._start, self._start + self.BLOCK))
        return self._block[idx - self._start]
