"""Privacy-preserving linkage: agencies share keyed encodings instead of names.

Each agency runs :func:`encode_records` on its own prepared records with a secret shared by
the agencies (never by the party that links). Only the encodings leave the agency; linkage
then runs on them with the same Splink model shape (:func:`~uncounted.linkage.model.comparisons`
with ``encoded=True``).

Construction:

- **Names** — a Bloom filter per record (Schnell, Bachteler & Reiher 2009, *Privacy-preserving
  record linkage using Bloom filters*, BMC Med. Inform. Decis. Mak. 9:41): the padded bigrams
  of every romanisation-key name word are hashed into ``length`` bits with ``k`` positions
  each, by double hashing ``h_i = (h1 + i * h2) mod length`` where ``h1`` and ``h2`` are
  HMAC-SHA256 under two keys derived from the secret (the paper uses HMAC-SHA1 and HMAC-MD5).
  Names are compared by the Dice coefficient of the filters, which tracks bigram similarity,
  so spelling variants still match. The filter is stored as ``length / 64`` unsigned 64-bit
  words (``name_bf``) with its number of set bits (``name_bf_bits``), so the database
  computes Dice with ``bit_count`` on integers.
- **Everything compared for equality** (name key and its parts, name words, birth date, birth
  year, sex, citizenship, place, phone) — a keyed hash, ``HMAC-SHA256(key, field || value)``
  truncated to 64 bits; fields are separated so equal values in different fields differ.
- **Birth year with tolerance** — the keyed hashes of the years ``y-2 .. y+2``: two records
  share ``5 - |Δy|`` of them, so "same year", "within 1" and "within 3" stay comparable.

Standard library only (``hmac``, ``hashlib``): no dependency on clkhash, whose pins of old
``cryptography`` and ``bitarray`` releases conflict with ours.

Privacy properties and limits (see ``docs/linkage.md``): without the secret, nobody can
compute an encoding of a guessed name, so dictionary attacks need the key. But the encodings
are deterministic: whoever holds many of them sees which records share a value and how often
(frequency analysis), and Bloom filters of names are known to be vulnerable to
frequency-based cryptanalysis (Kuzu et al. 2011; Niedermeyer et al. 2014; Christen et al.
2018), more so per-field filters like these than one record-level filter. No hardening
(balancing, XOR-folding, salting, random bit flips) is applied. Anyone with the secret can
re-identify by encoding candidate identities. Treat encodings as pseudonymous personal data.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Iterable

import polars as pl

from uncounted.errors import InvalidInput

__all__ = [
    "ENCODED_COLUMNS",
    "bloom_positions",
    "bloom_words",
    "dice",
    "encode_records",
    "keyed_hash",
]

#: Columns of an encoded file (besides ``unique_id`` and ``agency``).
ENCODED_COLUMNS: tuple[str, ...] = (
    "name_key",
    "given_key",
    "name_first",
    "name_second",
    "name_tokens",
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

_EQUALITY = (
    "name_key",
    "given_key",
    "name_first",
    "name_second",
    "birth_date",
    "birth_year",
    "sex",
    "citizenship",
    "place",
    "phone",
)


def _derive(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, b"uncounted-linkage-v1:" + purpose.encode(), hashlib.sha256).digest()


def keyed_hash(key: bytes, field: str, value: str) -> int:
    """``HMAC-SHA256(key, field || 0x1f || value)`` truncated to a signed 64-bit integer."""
    digest = hmac.new(key, f"{field}\x1f{value}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def bloom_positions(
    words: Iterable[str], key1: bytes, key2: bytes, length: int = 1024, k: int = 15
) -> list[int]:
    """Set bits of the Bloom filter of the padded bigrams of ``words`` (Schnell et al. 2009)."""
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
    """A Bloom filter's set bit positions as ``length / 64`` unsigned 64-bit words."""
    mask = 0
    for p in positions:
        mask |= 1 << p
    return [(mask >> (64 * w)) & 0xFFFFFFFFFFFFFFFF for w in range(length // 64)]


def dice(a: Iterable[int], b: Iterable[int]) -> float:
    """Dice coefficient ``2|A ∩ B| / (|A| + |B|)`` of two sets of bit positions."""
    sa, sb = set(a), set(b)
    return 2 * len(sa & sb) / (len(sa) + len(sb)) if sa or sb else 0.0


def encode_records(
    prepared: pl.DataFrame, secret: bytes, *, length: int = 1024, k: int = 15
) -> pl.DataFrame:
    """Keyed encodings of prepared records (``uncounted.linkage.normalise.prepare_records``).

    Output: ``unique_id``, ``agency`` and :data:`ENCODED_COLUMNS`; no plain identifier.
    """
    if len(secret) < 16:
        raise InvalidInput("The shared secret must be at least 16 bytes (use a random key).")
    if length < 64 or k < 1:
        raise InvalidInput("Bloom filters need length >= 64 bits and k >= 1 hash functions.")
    if length % 64:
        raise InvalidInput("The Bloom filter length must be a multiple of 64 bits.")
    key = _derive(secret, "equality")
    key1, key2 = _derive(secret, "bloom-1"), _derive(secret, "bloom-2")

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
    filters = [
        None if ws is None else bloom_words(set().union(*(word_bits(w) for w in ws)), length)
        for ws in tokens
    ]
    years: list[int | None] = prepared.get_column("birth_year").to_list()
    out = prepared.select("unique_id", "agency").with_columns(
        *[hashed(f) for f in _EQUALITY],
        pl.Series(
            "name_tokens",
            [None if ws is None else [hashed_value("name_tokens", w) for w in ws] for ws in tokens],
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
    )
    return out.select("unique_id", "agency", *ENCODED_COLUMNS)
