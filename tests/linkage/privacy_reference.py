"""The record-by-record keyed encoder as it was before the vectorised one, kept unchanged as
the definition of the version-2 encodings: the fast ``encode_records`` must give exactly the
same output (files encoded by either stay compatible). Used by ``test_privacy.py`` and by
``benchmarks/bench_privacy.py`` (its "before" row). Do not optimise this file."""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Iterable

import numpy as np
import polars as pl

_EQUALITY = (
    "name_key",
    "given_key",
    "name_first",
    "name_second",
    "prefix_key",
    "birth_date",
    "birth_year",
    "sex",
    "citizenship",
    "place",
    "phone",
)
_COLUMNS = (
    "name_key",
    "given_key",
    "name_first",
    "name_second",
    "name_tokens",
    "name_prefixes",
    "prefix_key",
    "name_bf",
    "name_bf_bits",
    "birth_date",
    "birth_year",
    "birth_window",
    "sex",
    "citizenship",
    "place",
    "phone",
)


def _derive(secret: bytes, purpose: str, project: str = "") -> bytes:
    label = f"uncounted-linkage-v2\x1f{project}\x1f{purpose}".encode()
    return hmac.new(secret, label, hashlib.sha256).digest()


def _as_matrix(filters: list[list[int] | None], words: int) -> tuple[np.ndarray, np.ndarray]:
    present = np.array([f is not None for f in filters], dtype=bool)
    matrix = np.zeros((len(filters), words), dtype=np.uint64)
    rows = [f for f in filters if f is not None]
    if rows:
        matrix[present] = np.array(rows, dtype=np.uint64)
    return matrix, present


def _as_lists(matrix: np.ndarray, present: np.ndarray) -> list[list[int] | None]:
    return [row.tolist() if ok else None for row, ok in zip(matrix, present, strict=True)]


def xor_fold(matrix: np.ndarray) -> np.ndarray:
    half = matrix.shape[1] // 2
    return np.bitwise_xor(matrix[:, :half], matrix[:, half:])


def balance(matrix: np.ndarray, key: bytes, *, chunk: int = 65_536) -> np.ndarray:
    n, words = matrix.shape
    length = 64 * words
    order = np.array(
        sorted(
            range(2 * length),
            key=lambda i: hmac.new(key, i.to_bytes(4, "big"), hashlib.sha256).digest(),
        ),
        dtype=np.int64,
    )
    out = np.empty((n, 2 * words), dtype=np.uint64)
    for start in range(0, n, chunk):
        block = matrix[start : start + chunk]
        raw = np.ascontiguousarray(block.astype("<u8")).view(np.uint8)
        bits = np.unpackbits(raw, axis=1, bitorder="little")
        both = np.concatenate([bits, 1 - bits], axis=1)[:, order]
        packed = np.packbits(both, axis=1, bitorder="little")
        out[start : start + chunk] = np.ascontiguousarray(packed).view("<u8").astype(np.uint64)
    return out


def keyed_hash(key: bytes, field: str, value: str) -> int:
    digest = hmac.new(key, f"{field}\x1f{value}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def bloom_positions(
    words: Iterable[str], key1: bytes, key2: bytes, length: int = 1024, k: int = 15
) -> list[int]:
    bits: set[int] = set()
    for word in words:
        padded = f"_{word}_"
        for j in range(len(padded) - 1):
            gram = padded[j : j + 2].encode()
            h1 = int.from_bytes(hmac.new(key1, gram, hashlib.sha256).digest()[:8], "big")
            h2 = int.from_bytes(hmac.new(key2, gram, hashlib.sha256).digest()[:8], "big")
            bits.update((h1 + i * h2) % length for i in range(k))
    return sorted(bits)


def bloom_words(positions: Iterable[int], length: int = 1024) -> list[int]:
    mask = 0
    for p in positions:
        mask |= 1 << p
    return [(mask >> (64 * w)) & 0xFFFFFFFFFFFFFFFF for w in range(length // 64)]


def encode_records_reference(
    prepared: pl.DataFrame,
    secret: bytes,
    *,
    length: int = 1024,
    k: int = 15,
    project: str = "",
    hardening: str = "balanced",
) -> pl.DataFrame:
    """``encode_records`` before vectorisation (validation of the arguments left out)."""
    key = _derive(secret, "equality", project)
    key1, key2 = _derive(secret, "bloom-1", project), _derive(secret, "bloom-2", project)

    @functools.lru_cache(maxsize=1 << 20)
    def hashed_value(field: str, value: str) -> int:
        return keyed_hash(key, field, value)

    @functools.lru_cache(maxsize=1 << 20)
    def word_bits(word: str) -> frozenset[int]:
        return frozenset(bloom_positions([word], key1, key2, length, k))

    def hashed(field: str) -> pl.Series:
        values = prepared.get_column(field).cast(pl.String).to_list()
        return pl.Series(
            field, [None if v is None else hashed_value(field, v) for v in values], pl.Int64
        )

    tokens: list[list[str] | None] = prepared.get_column("name_tokens").to_list()
    prefixes: list[list[str] | None] = prepared.get_column("name_prefixes").to_list()
    filters = [
        None if ws is None else bloom_words(set().union(*(word_bits(w) for w in ws)), length)
        for ws in tokens
    ]
    words = length // 64
    if hardening != "none":
        matrix, present = _as_matrix(filters, words)
        if hardening == "balanced":
            matrix = balance(matrix, _derive(secret, "balance-permutation", project))
        else:
            matrix = xor_fold(matrix)
        words = matrix.shape[1]
        filters = _as_lists(matrix, present)
    years: list[int | None] = prepared.get_column("birth_year").to_list()
    out = prepared.select("unique_id", "agency").with_columns(
        *[hashed(f) for f in _EQUALITY],
        pl.Series(
            "name_tokens",
            [None if ws is None else [hashed_value("name_tokens", w) for w in ws] for ws in tokens],
            pl.List(pl.Int64),
        ),
        pl.Series(
            "name_prefixes",
            [
                None if ws is None else [hashed_value("name_prefixes", w) for w in ws]
                for ws in prefixes
            ],
            pl.List(pl.Int64),
        ),
        pl.Series("name_bf", filters, pl.List(pl.UInt64)),
        pl.Series(
            "name_bf_bits",
            [None if f is None else sum(w.bit_count() for w in f) for f in filters],
            pl.Int64,
        ),
        pl.Series(
            "birth_window",
            [
                None
                if y is None
                else [hashed_value("birth_window", str(y + d)) for d in range(-2, 3)]
                for y in years
            ],
            pl.List(pl.Int64),
        ),
        pl.lit(f"{hardening}:{words}").alias("name_bf_scheme"),
    )
    return out.select("unique_id", "agency", *_COLUMNS, "name_bf_scheme")
