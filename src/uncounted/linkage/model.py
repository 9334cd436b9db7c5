"""The linkage model: Splink 5 comparisons, blocking rules and training settings.

Defaults are chosen for victims' records from several agencies in Southeast Asia
(see ``docs/linkage.md``; the identifiers come from :mod:`uncounted.linkage.normalise`):

- **name** (one comparison over given and family name, so that swapped order is not counted
  twice): same order-free romanisation key (transliteration variants, swapped order; with
  term-frequency adjustment, so a common name counts less); Jaro–Winkler ≥ 0.9 on both name
  parts (typos; term-frequency adjusted on the key as well, so a near miss of a common name
  counts less too); two name words shared; same given name (term-frequency adjusted: the
  family name missing, or different); Jaro–Winkler ≥ 0.85 of the whole key; one name word
  shared (the other part misspelt, missing or a nickname); the best-aligned pair of words
  within Jaro–Winkler 0.9 (both parts misspelt; plain records only); else;
- **birth**: same birth date (not term-frequency adjusted: see :func:`_birth_comparison`);
  dates one edit apart; when a date is missing, birth year equal, within 1, within 3 (ages
  are often wrong by a year or two, and the year is "year of recording minus age" then);
  else (including two known, different dates);
- **home**: citizenship and home district together (see :func:`_home_comparison`: as two
  comparisons the district's agreement counted the citizenship's again);
- **sex**, **phone** (last 8 digits): exact match or not; a missing value is neutral
  (Splink's null level).

Blocking (a pair is scored only if it agrees on at least one rule): the name key with birth
year, or with home district; a shared name word with birth year and home district; either
name part with birth year and sex; phone; birth date with sex; and two typo-tolerant rules on
the first three letters of the name words (any word's prefix with birth year and home
district; the prefixes of both parts, sorted, with birth year). Common names make a
name-only rule quadratic (tens of millions of pairs at a million records), so every name rule
carries a second key. Measured in ``benchmarks/bench_linkage.py``.

Training (Splink's recommended sequence): ``u`` by random sampling of pairs (seeded); ``m`` by
expectation maximisation in two sessions, blocked on phone and on birth date (blocking on the
name would pick up pairs of different people from the same country, whose citizenship and
place agree for reasons that have nothing to do with being the same person, and EM would
learn that); trained ``m`` probabilities are floored (``m_floor``) so no single disagreement
is a veto; the prior match probability from two precise deterministic rules (same name key
and birth date; same phone) at their recall, which the trained ``m`` and the fields'
completeness give (:func:`uncounted.linkage.run.rules_recall`) instead of a fixed guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from uncounted.errors import InvalidInput

__all__ = [
    "ARRAY_KEYS",
    "PREDICTION_BLOCKING_KEYS",
    "LinkageSettings",
    "blocking_rules",
    "comparisons",
    "splink_settings",
    "training_rules",
]


@dataclass(frozen=True)
class LinkageSettings:
    """How to link: backend, thresholds, training sizes.

    Attributes:
        backend: ``"duckdb"`` (default, in-process) or ``"spark"`` (PySpark; the ``spark``
            extra). Splink runs the same model on either.
        match_threshold: match probability at or above which two records are the same
            person (the default threshold of every count).
        review_threshold: pairs with ``review_threshold <= p < match_threshold`` go to the
            clerical review queue; decisions there override the model.
        prediction_floor: pairs below this probability are not kept at all.
        sensitivity_thresholds: thresholds at which the linkage is re-clustered to show how
            estimates move with the linkage.
        u_max_pairs: random pairs sampled to estimate ``u`` probabilities.
        em_max_pairs: blocked pairs (at most, approximately) per EM session.
        deterministic_recall: recall of the deterministic rules that set the prior (the share
            of true pairs they find); ``None`` (default) estimates it from the trained model
            (:func:`~uncounted.linkage.run.rules_recall`).
        m_floor: smallest trained ``m`` probability (a disagreement EM never saw among
            matches stays possible).
        seed: seed of the random sampling (same data, same seed, same model), and of the
            plausible linkages drawn for the estimate's interval.
        uncertainty_draws: plausible linkages drawn from the match probabilities to carry
            linkage error into the estimate's interval
            (:mod:`uncounted.linkage.uncertainty`); 0 skips it.
        one_record_per_list: cluster with the rule that one list holds a person once
            (:func:`~uncounted.linkage.clusters.resolve_clusters`), which cuts chains of
            links through different people; ``False`` gives plain connected components.
        same_list_threshold: two records of the same list stay in one cluster only when
            they match each other directly at this probability or above.
        compare_all_max_records: files of at most this many records also have the pairs no
            blocking rule compares scored (records of the same sex on different lists), so
            that the plausible linkages can link them too (:mod:`uncounted.linkage.blocking`);
            0 never does. About a second at 1 846 records; the pairs grow with the square of
            the file (about 5 million at the default 5 000).
        spark_partitions: shuffle partitions for the Spark backend.
        extra: backend options for Spark: ``checkpoint_dir`` (default a new temporary
            folder), ``break_lineage`` (Splink's ``break_lineage_method``, default
            ``"parquet"``; ``"persist"`` is faster for small jobs), ``driver_memory``
            (local mode's JVM heap, default ``"4g"``; Spark's own 1 GB default runs out of
            heap at 100 000 records), ``master`` (the cluster to run on, e.g.
            ``spark://host:7077``, ``yarn`` or ``k8s://…``; default ``local[*]``, this
            machine's cores).
    """

    backend: Literal["duckdb", "spark"] = "duckdb"
    match_threshold: float = 0.9
    review_threshold: float = 0.5
    prediction_floor: float = 0.01
    sensitivity_thresholds: tuple[float, ...] = (0.5, 0.7, 0.9, 0.97, 0.99)
    u_max_pairs: float = 2e6
    em_max_pairs: float = 5e5
    deterministic_recall: float | None = None
    m_floor: float = 0.001
    seed: int = 42
    uncertainty_draws: int = 50
    one_record_per_list: bool = True
    same_list_threshold: float = 0.99
    compare_all_max_records: int = 5_000
    spark_partitions: int = 8
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        """Raise :class:`InvalidInput` for inconsistent settings."""
        if self.backend not in ("duckdb", "spark"):
            raise InvalidInput(f"Unknown linkage backend {self.backend!r}; use duckdb or spark.")
        if not 0.0 < self.prediction_floor <= self.review_threshold <= self.match_threshold < 1:
            raise InvalidInput(
                "Linkage thresholds must satisfy 0 < prediction_floor <= review_threshold <= "
                f"match_threshold < 1 (got {self.prediction_floor}, {self.review_threshold}, "
                f"{self.match_threshold})."
            )
        if any(not 0.0 < t < 1.0 for t in self.sensitivity_thresholds):
            raise InvalidInput("Sensitivity thresholds must be match probabilities in (0, 1).")
        if not self.match_threshold <= self.same_list_threshold <= 1.0:
            raise InvalidInput("same_list_threshold must lie between match_threshold and 1.")
        if self.deterministic_recall is not None and not 0.0 < self.deterministic_recall <= 1.0:
            raise InvalidInput("deterministic_recall must be None (estimated) or in (0, 1].")
        if self.uncertainty_draws < 0:
            raise InvalidInput("uncertainty_draws must be 0 (none) or more.")
        if self.compare_all_max_records < 0:
            raise InvalidInput("compare_all_max_records must be 0 (never) or more.")


def _m(level: Any, m_probability: float) -> Any:
    """A level with a starting ``m`` for EM (a sensible start avoids the wrong mode)."""
    return level.configure(m_probability=m_probability)


def _dice_level(at_least: float, words: int = 16) -> Any:
    """Dice coefficient of the name Bloom filters (``words`` 64-bit words) >= ``at_least``."""
    import splink.comparison_level_library as cll

    common = " + ".join(
        f"cast(bit_count(name_bf_l[{i}] & name_bf_r[{i}]) as integer)" for i in range(1, words + 1)
    )
    return cll.CustomLevel(
        f"2.0 * ({common}) / nullif(name_bf_bits_l + name_bf_bits_r, 0) >= {at_least}",
        label_for_charts=f"Dice of name Bloom filters >= {at_least}",
        base_dialect_str="duckdb",
    )


#: Dice thresholds of the name filters for each hardening: ``close`` (a typo in a long name),
#: ``near`` (with a name word shared: the other part within a typo or two), ``loose`` and
#: ``faint`` (both parts misspelt). A balanced filter (original length ``m``, weight ``m``)
#: has Dice ``1 - H / m`` with ``H`` the originals' Hamming distance; for names of typical
#: weight (about 150 of 1 024 bits set) Dice ``d`` of the originals is ``H`` of about
#: ``300 (1 - d)`` bits, so 0.9, 0.75 and 0.6 become 0.97, 0.927 and 0.883.
DICE_THRESHOLDS: dict[str, dict[str, float]] = {
    "none": {"close": 0.9, "near": 0.75, "loose": 0.75, "faint": 0.6},
    "xor": {"close": 0.9, "near": 0.75, "loose": 0.75, "faint": 0.6},
    "balanced": {"close": 0.97, "near": 0.927, "loose": 0.927, "faint": 0.883},
}


def _best_word_level(col: str, threshold: float) -> Any:
    """Jaro–Winkler similarity of the best-aligned pair of name words >= ``threshold``.

    The highest similarity of any word of one record's ``col`` (an array) with any word of
    the other's, so swapped order, a missing part or a nickname in place of the given name
    do not hide a family name typed with one error. Splink's
    ``PairwiseStringDistanceFunctionLevel`` does this with DuckDB's old ``x -> ...`` lambda
    syntax, which DuckDB 2.0 refuses; this level writes each dialect's own syntax (DuckDB
    ``lambda x: ...``, Spark ``x -> ...``).
    """
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

    class BestWordLevel(ComparisonLevelCreator):
        def create_sql(self, sql_dialect: Any) -> str:
            jw = sql_dialect.jaro_winkler_function_name
            amax = sql_dialect.array_max_function_name
            each = sql_dialect.array_transform_function_name
            if sql_dialect.sql_dialect_str == "duckdb":
                left, right = f'"{col}_l"', f'"{col}_r"'
                inner = f"{amax}({each}({right}, lambda y: {jw}(x, y)))"
                return f"{amax}({each}({left}, lambda x: {inner})) >= {threshold}"
            # Spark SQL reads "..." as a string literal: its identifiers are quoted with `
            left, right = f"`{col}_l`", f"`{col}_r`"
            inner = f"{amax}({each}({right}, y -> {jw}(x, y)))"
            return f"{amax}({each}({left}, x -> {inner})) >= {threshold}"

        def create_label_for_charts(self) -> str:
            return f"Jaro-Winkler of the best-aligned name words >= {threshold}"

    return BestWordLevel()


def _name_comparison(encoded: bool, hardening: str = "none", words: int = 16) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    near: Any = None
    if encoded:
        dice = DICE_THRESHOLDS[hardening]
        close: Any = _dice_level(dice["close"], words)
        # a keyed hash of a word cannot be compared letter by letter: one part the same and
        # the whole name's filters close stands for the clear text's Jaro-Winkler of the
        # other part (without it, a typo in a short name fell to the loose level)
        near = cll.And(cll.ArrayIntersectLevel("name_tokens", 1), _dice_level(dice["near"], words))
        loose: Any = _dice_level(dice["loose"], words)
    else:
        close = cll.And(
            cll.JaroWinklerLevel("name_first", 0.9),
            cll.Or(cll.JaroWinklerLevel("name_second", 0.9), cll.NullLevel("name_second")),
        )
        loose = cll.JaroWinklerLevel("name_key", 0.85)
    # A near miss of a common name is weak evidence, as its exact match is: the close level
    # is term-frequency adjusted on the name key too (Splink takes the commoner of the two).
    levels: list[Any] = [
        cll.NullLevel("name_key"),
        _m(cll.ExactMatchLevel("name_key").configure(tf_adjustment_column="name_key"), 0.6),
        _m(close.configure(tf_adjustment_column="name_key"), 0.2),
    ]
    if near is not None:
        levels.append(_m(near.configure(tf_adjustment_column="name_key"), 0.1))
    levels += [
        _m(cll.ArrayIntersectLevel("name_tokens", 2), 0.05),
        _m(cll.ExactMatchLevel("given_key").configure(tf_adjustment_column="given_key"), 0.05),
        _m(loose, 0.05),
        # the other part misspelt, missing or replaced by a nickname: one word still shared
        _m(cll.ArrayIntersectLevel("name_tokens", 1), 0.05),
    ]
    # both parts misspelt: one word still within a typo of one of the other's (plain
    # records), or the filters still sharing much (encoded: the words cannot be aligned)
    if encoded:
        levels.append(_m(_dice_level(DICE_THRESHOLDS[hardening]["faint"], words), 0.03))
    else:
        levels.append(_m(_best_word_level("name_tokens", 0.9), 0.03))
    levels.append(_m(cll.ElseLevel(), 0.05))
    return cl.CustomComparison(levels, output_column_name="name")


def _birth_comparison(encoded: bool) -> Any:
    """Birth date, or birth year when a date is missing or year only.

    The exact date is not term-frequency adjusted: dates are near unique, so the frequency
    of a date in the data is mostly the person's own records (two records of one person make
    a "common" date), and the adjustment weakened exactly the true matches — at 20 000
    heavy-noise records, pairs with the same date and the same district but different names
    were 98 % true matches and scored 0.93 on average.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def year_within(years: int) -> Any:
        if encoded:  # the keyed windows y-2..y+2 share 5 - |dy| years
            return cll.ArrayIntersectLevel("birth_window", max(1, 5 - years))
        return cll.AbsoluteDifferenceLevel("birth_year", years)

    levels: list[Any] = [
        cll.NullLevel("birth_year"),
        # no term-frequency adjustment (see above); 1 January, the one heaped value, is
        # already read as year only by prepare_records
        _m(cll.ExactMatchLevel("birth_date"), 0.4),
    ]
    if not encoded:
        levels.append(_m(cll.DamerauLevenshteinLevel("birth_date", 1), 0.05))
    for years, m in ((0, 0.3), (1, 0.1), (3, 0.1)):
        levels.append(_m(cll.And(cll.NullLevel("birth_date"), year_within(years)), m))
    levels.append(_m(cll.ElseLevel(), 0.05))
    return cl.CustomComparison(levels, output_column_name="birth")


def comparisons(encoded: bool = False, hardening: str = "none", words: int = 16) -> list[Any]:
    """Splink comparisons for plain records, or for keyed encodings (``encoded=True``).

    Encoded records compare names by the Dice coefficient of their Bloom filters (stored as
    lists of set bit positions) instead of Jaro–Winkler, birth year by the overlap of keyed
    year windows instead of a difference, and everything else by equality of keyed hashes;
    a date typo level is not possible on hashes. ``hardening`` and ``words`` describe the
    name filters (:func:`uncounted.linkage.privacy.encoding_of`).
    """
    import splink.comparison_library as cl

    return [
        _name_comparison(encoded, hardening, words),
        _birth_comparison(encoded),
        cl.ExactMatch("sex"),
        _home_comparison(),
        cl.ExactMatch("phone"),
    ]


#: Label suffixes of the levels :func:`_home_comparison` splits by name agreement; the
#: trained model is turned into conditional probabilities by
#: :func:`uncounted.linkage.run.condition_on_names`.
SHARED_WORD = " | a name word shared"
NO_SHARED_WORD = " | no name word shared"


def _home_comparison(split_by_name: bool = False) -> Any:
    """Citizenship and home district as one comparison (optionally, its levels split by
    whether the two names share a word).

    A district code lies within one country (``KH-07``), so two records in the same district
    share their citizenship too: as two independent comparisons the agreement on citizenship
    was counted twice (``u`` of the district, about 1 in 150 over all pairs, is about 1 in 25
    among people of one country). Levels: same district; same citizenship, district unknown;
    same citizenship, another district; nothing to compare on one side but no contradiction;
    another district, citizenship unknown; else (different citizenship). Neither field known
    on a side: neutral (the null level).

    Names are country-specific, and the district is too: two different people who share a
    name word mostly come from one country, and often from one district. Fellegi–Sunter
    multiplies the name's and the home's evidence as if they were independent, which counted
    the shared origin twice on exactly the pairs that decide precision at scale (different
    people with a common name), and the model linked them with probabilities near 0.97
    (pairs it scored 0.9-0.97 were 43 % true matches at 200 000 heavy-noise records). With
    ``split_by_name`` every level comes twice, with and without a shared name word; after
    training, :func:`~uncounted.linkage.run.condition_on_names` turns the two halves into
    ``m`` and ``u`` *given* the name's agreement, so the home weighs what it adds to the
    name (Winkler 1989, *Proc. Section on Survey Research Methods, ASA*, on dependence
    between comparison fields; here the dependence is modelled by conditioning on one bit).
    Off by default: it calibrates the probabilities further (pairs scored 0.9-0.97 at 50 000
    heavy-noise records 89 % true instead of 73 %), but EM can fail on a small file (a split
    level's ``m`` computed as exactly 0, which Splink 5 refuses), the plausible linkages
    drawn from its lower probabilities split people more often (the demo's estimate moved
    away from the truth), and at a million records it linked no better than the estimated
    prior alone. See ``benchmarks/HISTORY.md``.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def level(sql: str, label: str) -> Any:
        return cll.CustomLevel(sql, label_for_charts=label, base_dialect_str="duckdb")

    cit_unknown = "(citizenship_l IS NULL OR citizenship_r IS NULL)"
    place_unknown = "(place_l IS NULL OR place_r IS NULL)"
    levels: list[tuple[Any, float, str]] = [
        (cll.ExactMatchLevel("place"), 0.8, "same district"),
        (
            level(f"citizenship_l = citizenship_r AND {place_unknown}", "same citizenship"),
            0.1,
            "same citizenship",
        ),
        (cll.ExactMatchLevel("citizenship"), 0.05, "same citizenship, another district"),
        (level(f"{cit_unknown} AND {place_unknown}", "no contradiction"), 0.03, "no contradiction"),
        (level(cit_unknown, "another district"), 0.01, "another district, citizenship unknown"),
    ]
    null = level(
        "(citizenship_l IS NULL AND place_l IS NULL) OR "
        "(citizenship_r IS NULL AND place_r IS NULL)",
        "citizenship and district unknown",
    ).configure(is_null_level=True)
    if not split_by_name:
        return cl.CustomComparison(
            [null]
            + [_m(lv.configure(label_for_charts=label), m) for lv, m, label in levels]
            + [_m(cll.ElseLevel(), 0.01)],
            output_column_name="home",
        )
    shared = cll.ArrayIntersectLevel("name_tokens", 1)
    split: list[Any] = [null]
    for lv, m, label in [*levels, (cll.ElseLevel(), 0.01, "different citizenship")]:
        if label == "different citizenship":  # ELSE cannot be combined: its complement
            with_word = level(
                "NOT (citizenship_l IS NULL OR citizenship_r IS NULL)", "different citizenship"
            )
            with_word = cll.And(with_word, shared)
        else:
            with_word = cll.And(lv, shared)
        split.append(_m(with_word.configure(label_for_charts=label + SHARED_WORD), m / 2))
        split.append(_m(lv.configure(label_for_charts=label + NO_SHARED_WORD), m / 2))
    return cl.CustomComparison(split, output_column_name="home")


def blocking_rules() -> list[Any]:
    """Blocking rules for prediction: pairs must agree on at least one of these.

    The same rules serve encoded records, whose columns of the same names hold keyed hashes
    (equality is preserved by the hash).

    Under heavy noise (``RecordNoise.heavy()``) a sixth of the true pairs agreed on none of
    the first six rules: both name parts altered (a typo and a transliteration, or a nickname
    and a typo) with no birth date or phone to fall back on. The last two rules block on the
    first three letters of the name words (``name_prefixes``, ``prefix_key``), which a typo
    or a folded spelling rarely reaches; birth date goes with sex alone (citizenship is missing
    more often than sex is wrong). Together they raise blocking recall at 50 000 heavy-noise
    records from 0.83 to 0.87 for 20 % more candidate pairs; a rule on birth year, district
    and sex caught more (0.89) but makes 25 million pairs at a million records.
    """
    from splink import block_on

    return [
        block_on(*rule, arrays_to_explode=[c for c in rule if c in ARRAY_KEYS])
        for rule in PREDICTION_BLOCKING_KEYS
    ]


#: The columns of each prediction blocking rule (:func:`blocking_rules`): a pair is compared
#: when it agrees on every column of at least one rule. Written as data so that
#: :mod:`uncounted.linkage.blocking` can tell which pairs no rule compares.
PREDICTION_BLOCKING_KEYS: tuple[tuple[str, ...], ...] = (
    ("name_key", "birth_year"),
    ("name_key", "place"),
    ("name_tokens", "birth_year", "place"),
    ("name_first", "birth_year", "sex"),
    ("name_second", "birth_year", "sex"),
    ("phone",),
    ("birth_date", "sex"),
    ("name_prefixes", "birth_year", "place"),
    ("prefix_key", "birth_year"),
)

#: Blocking columns holding several values (a pair agrees when they share one).
ARRAY_KEYS: frozenset[str] = frozenset({"name_tokens", "name_prefixes"})


def training_rules() -> dict[str, Any]:
    """Deterministic rules (for the prior), and the EM blocking rules (one session each) by the
    column each blocks on (a session cannot train that column's comparison)."""
    from splink import block_on

    return {
        # precise rules only: "name key, birth year and sex" was a third, and at a million
        # heavy-noise records most pairs it finds are different people with a common name
        # (precision 0.46 at 50 000, 0.17 at 200 000), so the prior grew with the file and
        # every probability with it
        "deterministic": [block_on("name_key", "birth_date"), block_on("phone")],
        # the starting prior of EM, and the prior when an EM session cannot train
        "fallback": [
            block_on("name_key", "birth_date"),
            block_on("phone"),
            block_on("name_key", "birth_year", "sex"),
        ],
        "em": {"phone": block_on("phone"), "birth_date": block_on("birth_date")},
    }


def splink_settings(encoded: bool = False, hardening: str = "none", words: int = 16) -> Any:
    """A Splink ``SettingsCreator`` deduplicating all agencies' records together."""
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons(encoded, hardening, words),
        blocking_rules_to_generate_predictions=blocking_rules(),
        additional_columns_to_retain=["agency"],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        max_iterations=20,
    )
