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
- **Everything compared for equality** (name key and its parts, name words, the first three
  letters of each name word and of each part (blocking keys), birth date, birth year, sex,
  citizenship, place, phone) — a keyed hash, ``HMAC-SHA256(key, field || value)``
  truncated to 64 bits; fields are separated so equal values in different fields differ.
- **Birth year with tolerance** — the keyed hashes of the years ``y-2 .. y+2``: two records
  share ``5 - |Δy|`` of them, so "same year", "within 1" and "within 3" stay comparable.

Standard library only (``hmac``, ``hashlib``): no dependency on clkhash, whose pins of old
``cryptography`` and ``bitarray`` releases conflict with ours. Each distinct value of a field
and each distinct bigram of the name words is hashed once per call, and the records'
filters are assembled in NumPy (``uncounted.linkage._encode``); the output is the same, bit
for bit, as encoding each record on its own.

Privacy properties and limits (see ``docs/linkage.md``): without the secret, nobody can
compute an encoding of a guessed name, so dictionary attacks need the key. But the encodings
are deterministic: whoever holds many of them sees which records share a value and how often
(frequency analysis), and Bloom filters of names are known to be vulnerable to
frequency-based cryptanalysis (Kuzu et al. 2011; Niedermeyer et al. 2014; Christen et al.
2018), more so per-field filters like these than one record-level filter. Hardening: keys
are derived per linkage project (``project``), and the name filters are balanced (default,
:func:`balance`) or XOR-folded (:func:`xor_fold`), which removes the length signal and the
bigram-to-bit patterns that pattern mining exploits; equality hashes stay deterministic
(frequency analysis of them remains possible), and no random bit flips are applied. Anyone
with the secret can re-identify by encoding candidate identities. Treat encodings as
pseudonymous personal data. The threat model is in ``docs/linkage.md``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import polars as pl

from uncounted.errors import InvalidInput
from uncounted.linkage._encode import Keyed, birth_windows, hashed, hashed_lists, name_filters

__all__ = [
    "ENCODED_COLUMNS",
    "HARDENINGS",
    "Hardening",
    "balance",
    "bloom_positions",
    "bloom_words",
    "combine_encoded",
    "dice",
    "encode_records",
    "encoding_of",
    "keyed_hash",
    "xor_fold",
]

#: Hardening of the name Bloom filters: balanced (default), XOR-folded, or none.
Hardening = Literal["balanced", "xor", "none"]
HARDENINGS: tuple[str, ...] = ("balanced", "xor", "none")

#: Columns of an encoded file (besides ``unique_id`` and ``agency``).
ENCODED_COLUMNS: tuple[str, ...] = (
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


def _derive(secret: bytes, purpose: str, project: str = "") -> bytes:
    """A key for one purpose of one linkage project: ``HMAC-SHA256(secret, label)``.

    The project name is part of the label, so the same agencies' secret used for two
    projects gives unrelated encodings (the files of one project cannot be joined with the
    other's)."""
    label = f"uncounted-linkage-v2\x1f{project}\x1f{purpose}".encode()
    return hmac.new(secret, label, hashlib.sha256).digest()


def xor_fold(matrix: np.ndarray) -> np.ndarray:
    """XOR-folding (Schnell, Borgs & Encarnação 2016, *XOR-folding for Bloom filter-based
    encryptions for privacy-preserving record linkage*, German RLC WP-GRLC-2016-03): the
    filter's two halves XOR-ed into one of half the length. A set bit of the result no longer
    tells which (if any) bigram set it, which breaks the one-bigram-to-bits pattern that
    cryptanalysis of Bloom filters mines; similar names still give similar folded filters.

    ``matrix``: (n, words) uint64, ``words`` even; returns (n, words / 2).
    """
    words = matrix.shape[1]
    if words % 2:
        raise InvalidInput("XOR-folding needs an even number of 64-bit words.")
    half = words // 2
    folded: np.ndarray = np.bitwise_xor(matrix[:, :half], matrix[:, half:])
    return folded


def balance(matrix: np.ndarray, key: bytes, *, chunk: int = 4_096) -> np.ndarray:
    """Balanced Bloom filters (Schnell & Borgs 2016, *Randomized response and balanced Bloom
    filters for privacy preserving record linkage*, IEEE ICDM workshops; balanced codes after
    Berger 1961 and Knuth 1986; hardening surveyed in Schnell, Borgs & Encarnação 2016,
    *Hardening encrypted patient names against cryptographic attacks using cellular
    automata*): each filter concatenated with its complement, then the
    bits permuted by a permutation keyed by ``key`` (positions sorted by
    ``HMAC-SHA256(key, position)``). Every balanced filter has exactly half its bits set, so
    the number of set bits no longer reveals the length of the name, and bit frequencies are
    flattened (each position is set in the original or in its complement's copy).
    The Hamming distance between two balanced filters is twice that of the originals, so
    their Dice coefficient ``1 - H / m`` (``m`` the original length) is a monotone function of
    the originals' Hamming distance.

    ``matrix``: (n, words) uint64; returns (n, 2 * words).
    """
    n, words = matrix.shape
    length = 64 * words
    order = np.array(
        sorted(
            range(2 * length),
            key=lambda i: hmac.new(key, i.to_bytes(4, "big"), hashlib.sha256).digest(),
        ),
        dtype=np.int64,
    )
    # output bit j is bit order[j] of the filter followed by its complement: bit
    # order[j] % length of the filter, inverted when order[j] >= length
    source = order % length
    flip = (order >= length).astype(np.uint8)
    out = np.empty((n, 2 * words), dtype=np.uint64)
    for start in range(0, n, chunk):
        block = matrix[start : start + chunk]
        # little-endian bytes and bits: bit p of the filter is bit p % 64 of word p // 64
        raw = np.ascontiguousarray(block.astype("<u8")).view(np.uint8)
        bits = np.take(np.unpackbits(raw, axis=1, bitorder="little"), source, axis=1)
        bits ^= flip
        packed = np.packbits(bits, axis=1, bitorder="little")
        out[start : start + chunk] = np.ascontiguousarray(packed).view("<u8").astype(np.uint64)
    return out


def encoding_of(encoded: pl.DataFrame) -> tuple[Hardening, int]:
    """The hardening and filter length (64-bit words) of an encoded file, read from the file
    itself (``name_bf_scheme`` column), so that the linking party compares the filters the
    way they were built."""
    if "name_bf_scheme" not in encoded.columns:
        return "none", 16
    schemes = encoded.get_column("name_bf_scheme").drop_nulls().unique().to_list()
    if len(schemes) > 1:
        raise InvalidInput(
            f"The encoded files were built in different ways ({', '.join(sorted(schemes))}); "
            "every agency must encode with the same settings."
        )
    if not schemes:
        return "none", 16
    kind, words = str(schemes[0]).split(":")
    if kind not in HARDENINGS:
        raise InvalidInput(f"Unknown Bloom filter hardening {kind!r}.")
    return kind, int(words)  # type: ignore[return-value]


def combine_encoded(files: Sequence[tuple[str, pl.DataFrame]]) -> pl.DataFrame:
    """The agencies' encoded files (name, frame) as one frame to link, after checking that
    each is an encoded file of this version and that all were built the same way.

    A file without the encoded columns (another kind of file, or one encoded by an older
    version, before the filters named their scheme), files built with different hardening or
    filter length, and a record id used in two files are refused with the file names, instead
    of failing somewhere inside the linkage.
    """
    if not files:
        raise InvalidInput("Give at least one encoded file.")
    needed = ("unique_id", "agency", *ENCODED_COLUMNS, "name_bf_scheme")
    schemes: dict[str, list[str]] = {}
    for name, frame in files:
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise InvalidInput(
                f"{name} is not an encoded file of this version of Uncounted (no "
                f"{', '.join(missing)}); ask its agency to encode it again with "
                "`uncounted link encode`."
            )
        for scheme in frame.get_column("name_bf_scheme").drop_nulls().unique().to_list():
            schemes.setdefault(str(scheme), []).append(name)
    if len(schemes) > 1:
        described = "; ".join(f"{s}: {', '.join(names)}" for s, names in sorted(schemes.items()))
        raise InvalidInput(
            f"The encoded files were built in different ways ({described}); every agency must "
            "encode with the same hardening and filter length."
        )
    combined = pl.concat(
        [f.select(needed).with_columns(pl.lit(name).alias("_file")) for name, f in files],
        how="vertical_relaxed",
    )
    shared = (
        combined.group_by("unique_id")
        .agg(pl.col("_file").unique(maintain_order=True))
        .filter(pl.col("_file").list.len() > 1)
    )
    if shared.height:
        rid, (first, second, *_) = shared.row(0)
        raise InvalidInput(
            f"Record id {rid} is in both {first} and {second}; each agency's ids must be its "
            "own (prefix them with the agency's code)."
        )
    return combined.drop("_file")


def keyed_hash(key: bytes, field: str, value: str) -> int:
    """``HMAC-SHA256(key, field || 0x1f || value)`` truncated to a signed 64-bit integer."""
    return Keyed(key).hashes(field, [value])[0]


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
    prepared: pl.DataFrame,
    secret: bytes,
    *,
    length: int = 1024,
    k: int = 15,
    project: str = "",
    hardening: Hardening = "balanced",
) -> pl.DataFrame:
    """Keyed encodings of prepared records (``uncounted.linkage.normalise.prepare_records``).

    ``project`` names the linkage project: every key is derived from the secret *and* the
    project, so one secret used for two projects gives unrelated encodings. ``hardening`` of
    the name filters: ``"balanced"`` (default; :func:`balance`, ``2 * length`` bits, constant
    weight), ``"xor"`` (:func:`xor_fold`, ``length / 2`` bits) or ``"none"``.

    Output: ``unique_id``, ``agency``, :data:`ENCODED_COLUMNS` and ``name_bf_scheme``
    (``"<hardening>:<64-bit words>"``, the same in every row); no plain identifier.
    """
    if hardening not in HARDENINGS:
        raise InvalidInput(f"Unknown hardening {hardening!r}; use {', '.join(HARDENINGS)}.")
    if len(secret) < 16:
        raise InvalidInput("The shared secret must be at least 16 bytes (use a random key).")
    if length < 64 or k < 1:
        raise InvalidInput("Bloom filters need length >= 64 bits and k >= 1 hash functions.")
    if length % 64:
        raise InvalidInput("The Bloom filter length must be a multiple of 64 bits.")
    if hardening == "xor" and length % 128:
        raise InvalidInput("XOR-folding needs a Bloom filter length that is a multiple of 128.")
    equality = Keyed(_derive(secret, "equality", project))
    key1, key2 = _derive(secret, "bloom-1", project), _derive(secret, "bloom-2", project)
    matrix, present = name_filters(prepared.get_column("name_tokens"), key1, key2, length, k)
    if hardening == "balanced":
        matrix = balance(matrix, _derive(secret, "balance-permutation", project))
    elif hardening == "xor":
        matrix = xor_fold(matrix)
    mask = pl.Series(present)
    filters = pl.Series("name_bf", matrix).cast(pl.List(pl.UInt64))
    weights = pl.Series("name_bf_bits", np.bitwise_count(matrix).sum(axis=1, dtype=np.int64))
    out = prepared.select("unique_id", "agency").with_columns(
        *[hashed(prepared.get_column(f), f, equality) for f in _EQUALITY],
        hashed_lists(prepared.get_column("name_tokens"), "name_tokens", equality),
        hashed_lists(prepared.get_column("name_prefixes"), "name_prefixes", equality),
        pl.when(mask).then(filters).alias("name_bf"),
        pl.when(mask).then(weights).alias("name_bf_bits"),
        birth_windows(prepared.get_column("birth_year"), equality).alias("birth_window"),
        pl.lit(f"{hardening}:{matrix.shape[1]}").alias("name_bf_scheme"),
    )
    return out.select("unique_id", "agency", *ENCODED_COLUMNS, "name_bf_scheme")
