"""The blind index that finds a person by name or identity number without storing either.

Names and identity numbers are encrypted with a random nonce per value (``store/crypto.py``),
so equal names do not give equal ciphertexts and the database cannot be searched for them.
Beside them, ``person_index`` holds for each person a set of **tokens**:

    token = HMAC-SHA256(index key, kind ‖ 0x00 ‖ normalised value)   (hex, 64 characters)

with three kinds of value:

* ``w`` — each word of the given, family and other names, cleaned by the linkage normaliser
  (:func:`uncounted.domain.names.clean_name`: accents removed, case folded, punctuation
  dropped, a leading title dropped), so "José" finds "Jose" and "Nguyễn" finds "Nguyen";
* ``r`` — the romanisation key of each word (:func:`uncounted.domain.names.romanisation_key`:
  ``kh→k``, ``th→t``, ``v/w→u``, doubled letters, ...), so "Somchai" finds "Somchay" and
  "Khin" finds "Kin";
* ``i`` — the identity number with case folded and everything but letters and digits removed,
  so "ab-123 456" finds "AB123456".

Words are tokens on their own, so the order of the names does not matter ("Nguyen Van An"
finds "An Nguyen"). The index key is **not** the data key: the data key decrypts, the index
key only lets one test a guess, and the two are kept and rotated apart (``index.key`` /
``UNCOUNTED_INDEX_KEY``; ``KeyRing.index``). Each row names the index key it was made with
(``key_id``), so a store whose index was made with another key is rebuilt
(:func:`ensure_index`, run by ``uncounted init`` and after a restore).

The index follows every write of identifying fields: the forms (``store/recording.py``), the
importer (``store/importing.upsert``) and bulk loads (``store/bulk.insert_frames``: the demo)
call :func:`refresh` or :func:`index_frame` in their own transaction; :func:`rebuild`
(``uncounted reindex``) recomputes it for a whole store.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection, Engine, Table, delete, exists, func, insert, select

from uncounted.domain.names import clean_name, romanisation_key
from uncounted.store.crypto import engine_index_key, key_id
from uncounted.store.tables import PersonIdentity, PersonIndexToken

#: Identity fields whose words are indexed as names.
NAME_FIELDS: tuple[str, ...] = ("given_name", "family_name", "other_names")
#: Token kinds: a cleaned name word, its romanisation key, a normalised identity number.
WORD, ROMANISED, NUMBER = "w", "r", "i"
_CHUNK = 5_000
_TOKENS: Table = PersonIndexToken.__table__  # type: ignore[assignment]


def token(key: bytes, kind: str, value: str) -> str:
    """The blind-index token of ``value`` of ``kind`` under ``key`` (hex HMAC-SHA256)."""
    message = kind.encode("ascii") + b"\x00" + value.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def normalise_identity_number(expr: pl.Expr) -> pl.Expr:
    """An identity number as compared: NFKC, case folded, only letters and digits kept."""
    out = expr.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]", "")
    return pl.when(out == "").then(None).otherwise(out)


def index_values(identities: pl.DataFrame) -> pl.DataFrame:
    """``person_id``, ``kind``, ``value``: the normalised values to index, one row each.

    ``identities`` has ``person_id`` and any of :data:`NAME_FIELDS` and ``identity_number``
    (missing columns are taken as blank).
    """
    frame = identities.with_columns(
        pl.lit(None, dtype=pl.String).alias(c)
        for c in (*NAME_FIELDS, "identity_number")
        if c not in identities.columns
    )
    cleaned = [clean_name(pl.col(c).cast(pl.String)) for c in NAME_FIELDS]
    words = (
        frame.select(
            pl.col("person_id").cast(pl.Int64),
            pl.concat_str(cleaned, separator=" ", ignore_nulls=True).str.split(" ").alias("value"),
        )
        .explode("value")
        .filter(pl.col("value").is_not_null() & (pl.col("value") != ""))
    )
    numbers = frame.select(
        pl.col("person_id").cast(pl.Int64),
        pl.lit(NUMBER).alias("kind"),
        normalise_identity_number(pl.col("identity_number").cast(pl.String)).alias("value"),
    ).drop_nulls("value")
    return pl.concat(
        [
            words.select("person_id", pl.lit(WORD).alias("kind"), "value"),
            words.select(
                "person_id", pl.lit(ROMANISED).alias("kind"), romanisation_key(pl.col("value"))
            ).filter(pl.col("value") != ""),
            numbers,
        ]
    ).unique()


@dataclass(frozen=True)
class QueryValues:
    """What a query looks up: its cleaned words, the romanisation key of each (same order),
    and the identity numbers it could be."""

    words: tuple[str, ...]
    keys: tuple[str, ...]
    numbers: tuple[str, ...]


def query_values(text: str) -> QueryValues:
    """The values a query looks up, normalised as stored values are.

    Each cleaned word is looked up as a word and by its romanisation key; the whole query and
    each of its space-separated parts are looked up as identity numbers.
    """
    frame = pl.DataFrame({"q": [text], "parts": [[text, *text.split()]]})
    split = clean_name(pl.col("q")).str.split(" ")
    row = frame.select(  # one select: building a polars plan costs more than running it
        split.alias("words"),
        split.list.eval(romanisation_key(pl.element())).alias("keys"),
        pl.col("parts")
        .list.eval(normalise_identity_number(pl.element()))
        .list.drop_nulls()
        .alias("numbers"),
    ).row(0, named=True)
    pairs = dict(zip(row["words"] or [], row["keys"] or [], strict=True))
    words = [w for w in pairs if w]
    return QueryValues(
        tuple(words), tuple(pairs[w] for w in words), tuple(dict.fromkeys(row["numbers"]))
    )


def _insert(conn: Connection, values: pl.DataFrame, key: bytes) -> int:
    kid = key_id(key)
    rows = [
        {"token": token(key, kind, value), "person_id": pid, "key_id": kid}
        for pid, kind, value in values.iter_rows()
    ]
    for start in range(0, len(rows), _CHUNK):
        conn.execute(insert(_TOKENS), rows[start : start + _CHUNK])
    return len(rows)


def index_frame(conn: Connection, identities: pl.DataFrame) -> int:
    """Index the new people whose identity rows are ``identities`` (plain values, as a bulk
    load writes them), in the caller's transaction; return the tokens written."""
    if identities.is_empty():
        return 0
    return _insert(conn, index_values(identities), engine_index_key(conn.dialect))


def _identities(conn: Connection, person_ids: Sequence[int] | None, after: int = 0) -> pl.DataFrame:
    identity = PersonIdentity.__table__
    columns = [identity.c.person_id, *(identity.c[n] for n in (*NAME_FIELDS, "identity_number"))]
    query = select(*columns).order_by(identity.c.person_id)
    if person_ids is not None:
        query = query.where(identity.c.person_id.in_(person_ids))
    else:
        query = query.where(identity.c.person_id > after).limit(_CHUNK)
    names = ["person_id", *NAME_FIELDS, "identity_number"]
    schema = {n: pl.Int64 if n == "person_id" else pl.String for n in names}
    return pl.DataFrame([tuple(r) for r in conn.execute(query)], schema=schema, orient="row")


def refresh(conn: Connection, person_ids: Iterable[int]) -> int:
    """Recompute the tokens of ``person_ids`` from their stored (decrypted) identity, in the
    caller's transaction; return the tokens written. Called on every identity write."""
    key = engine_index_key(conn.dialect)
    wanted = sorted(set(person_ids))
    written = 0
    for start in range(0, len(wanted), _CHUNK):
        piece = wanted[start : start + _CHUNK]
        conn.execute(delete(_TOKENS).where(_TOKENS.c.person_id.in_(piece)))
        written += _insert(conn, index_values(_identities(conn, piece)), key)
    return written


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild of the index did."""

    persons: int
    tokens: int
    key_id: str


def rebuild(conn: Connection) -> Rebuilt:
    """Recompute the whole index under the configured index key, in the caller's transaction
    (a failed rebuild leaves the old index)."""
    key = engine_index_key(conn.dialect)
    conn.execute(delete(_TOKENS))
    persons = tokens = last = 0
    while True:
        chunk = _identities(conn, None, after=last)
        if chunk.is_empty():
            break
        persons += chunk.height
        tokens += _insert(conn, index_values(chunk), key)
        last = int(chunk["person_id"].max())  # type: ignore[arg-type]
    return Rebuilt(persons, tokens, key_id(key))


def is_stale(conn: Connection) -> bool:
    """Whether the index was made with another key than the configured one, or is empty
    while people have identities (a store from before the index existed)."""
    kid = key_id(engine_index_key(conn.dialect))
    used = set(conn.execute(select(_TOKENS.c.key_id).distinct()).scalars())
    if used:
        return used != {kid}
    identity = PersonIdentity.__table__
    return bool(conn.execute(select(exists().select_from(identity))).scalar())


def ensure_index(engine: Engine) -> Rebuilt | None:
    """Rebuild the index if :func:`is_stale`; the rebuild, or ``None`` if it was current."""
    with engine.begin() as conn:
        if not is_stale(conn):
            return None
        return rebuild(conn)


def index_key_ids(conn: Connection) -> tuple[str, ...]:
    """Ids of the index keys the stored tokens were made with (for backup manifests)."""
    return tuple(sorted(conn.execute(select(_TOKENS.c.key_id).distinct()).scalars()))


def token_count(conn: Connection) -> int:
    """Rows of the index."""
    return int(conn.execute(select(func.count()).select_from(_TOKENS)).scalar_one())


__all__ = [
    "NAME_FIELDS",
    "NUMBER",
    "ROMANISED",
    "WORD",
    "QueryValues",
    "Rebuilt",
    "ensure_index",
    "index_frame",
    "index_key_ids",
    "index_values",
    "is_stale",
    "normalise_identity_number",
    "query_values",
    "rebuild",
    "refresh",
    "token",
    "token_count",
]
