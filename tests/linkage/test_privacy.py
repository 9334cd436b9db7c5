"""Keyed Bloom-filter encodings: deterministic under one secret, useless without it, free of
plain identifiers, and nearly as good for linkage as the names themselves."""

from __future__ import annotations

import polars as pl
import pytest

from uncounted.errors import InvalidInput
from uncounted.linkage import (
    LinkageSettings,
    cluster_records,
    encode_records,
    pairwise_accuracy,
    prepare_records,
    score_pairs,
)
from uncounted.linkage.privacy import bloom_positions, bloom_words, dice, keyed_hash
from uncounted.simulate.agency_records import population_records

SECRET = b"shared-secret-of-the-agencies-0123"


def test_bloom_filter_dice_tracks_spelling_similarity():
    k1, k2 = b"k" * 32, b"j" * 32
    a = bloom_positions(["sreimom"], k1, k2)
    b = bloom_positions(["sreimon"], k1, k2)
    c = bloom_positions(["piset"], k1, k2)
    assert dice(a, a) == 1.0
    assert dice(a, b) > 0.75 > dice(a, c)
    assert bloom_positions(["sreimom"], b"x" * 32, k2) != a  # another key, another filter
    words = bloom_words(a)
    assert len(words) == 16 and sum(w.bit_count() for w in words) == len(a)


def test_keyed_hash_separates_fields_and_keys():
    assert keyed_hash(b"k" * 32, "sex", "Female") == keyed_hash(b"k" * 32, "sex", "Female")
    assert keyed_hash(b"k" * 32, "sex", "Female") != keyed_hash(b"k" * 32, "place", "Female")
    assert keyed_hash(b"k" * 32, "sex", "Female") != keyed_hash(b"q" * 32, "sex", "Female")


def test_no_plain_identifier_in_the_encoded_file(tmp_path):
    recs = population_records(400, seed=3).records
    encoded = encode_records(prepare_records(recs), SECRET)
    path = tmp_path / "encoded.parquet"
    encoded.write_parquet(path, compression="uncompressed")
    raw = path.read_bytes().lower()
    text = " ".join(
        str(v).lower() for col in encoded.drop("unique_id", "agency").columns for v in encoded[col]
    )
    secrets = set()
    for col in ("given_name", "family_name", "phone"):
        for value in recs[col].drop_nulls().to_list():
            secrets.update(w for w in str(value).lower().replace("+", " ").split() if len(w) >= 4)
    secrets.update(d.isoformat() for d in recs["birth_date"].drop_nulls().to_list())
    assert secrets, "the test needs identifiers to look for"
    leaked = [s for s in secrets if s.encode() in raw or s in text]
    assert leaked == []
    with pytest.raises(InvalidInput, match="16 bytes"):
        encode_records(prepare_records(recs), b"short")


@pytest.mark.slow
def test_encoded_linkage_recall_within_five_points_of_plain():
    """Same 5 000 or so records, same model shape: recall on encodings vs on names."""
    world = population_records(6_000, seed=11)
    truth = world.records.select(pl.col("record_id").alias("unique_id"), "person")
    prepared = prepare_records(world.records)
    cfg = LinkageSettings()
    results = {}
    for name, data, encoded in (
        ("plain", prepared, False),
        ("encoded", encode_records(prepared, SECRET), True),
    ):
        scored = score_pairs(data, cfg, encoded=encoded)
        clusters = cluster_records(data["unique_id"], scored.pairs, cfg.match_threshold)
        results[name] = pairwise_accuracy(clusters, truth)
    for name, acc in results.items():
        print(f"{name}: precision {acc.precision:.4f} recall {acc.recall:.4f}")
    assert results["encoded"].recall >= results["plain"].recall - 0.05
    assert results["encoded"].precision >= 0.85
