"""Normalised names: how a name is compared instead of as typed (linkage and person search).

Every agency spells the same Khmer, Thai or Burmese name its own way. Before comparison each
name goes through:

1. Unicode normalisation (NFKD), diacritics (combining marks) removed, case folded, the
   letters that have no decomposition spelt in ASCII (:data:`ASCII_LETTERS`: Vietnamese "đ"
   → "d", "ø" → "o", "ß" → "ss", ...), anything but letters and spaces dropped, spaces
   collapsed ("Nguyễn" → "nguyen", "Đặng" → "dang", "José" → "jose");
2. leading honorifics and titles removed when a name remains ("Ma", "Daw", "Ko", "U", "Mg",
   "Nong", "Khun", "Neang", "Mr", "Mrs", "Ms", ...);
3. a **romanisation key**: the name with its spaces removed, then common alternative
   romanisations folded to one spelling (``kh→k``, ``ph→p``, ``th→t``, ``ch/j→c``,
   ``v/w→u``, ``y→i``, ``ee→i``, ``ea→ia``, ``oo→u``, ``ou→o``, ``r→l``, ``rn→n``) and
   doubled letters collapsed — a phonetic key written for Southeast Asian romanisation
   (double metaphone and Soundex are built for English spelling and fold the wrong things).

Linkage (``uncounted.linkage.normalise``) and the person search's blind index
(``uncounted.store.person_index``) both use these expressions, so a name that links is a name
that is found.
"""

from __future__ import annotations

import polars as pl

#: Titles dropped from the start of a name (lower case, after normalisation).
HONORIFICS: tuple[str, ...] = (
    "ma",
    "daw",
    "ko",
    "u",
    "mg",
    "maung",
    "nong",
    "khun",
    "neang",
    "lok",
    "ate",
    "kuya",
    "mr",
    "mrs",
    "ms",
    "miss",
    "bin",
    "binti",
)

#: Letters that NFKD leaves whole (a stroke or a ligature is not a combining mark), lower case,
#: and how they are spelt in ASCII, as the same name is typed on a keyboard without them.
ASCII_LETTERS: dict[str, str] = {
    "đ": "d",  # Vietnamese: Đặng, Đỗ, Đào
    "ð": "d",
    "ħ": "h",
    "ı": "i",  # dotless i (Turkish, Azerbaijani)
    "ł": "l",
    "ŀ": "l",
    "ø": "o",
    "ŧ": "t",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
}

#: Alternative romanisations folded to one spelling, in this order.
FOLDS: tuple[tuple[str, str], ...] = (
    ("rn", "n"),
    ("htet", "het"),
    ("kh", "k"),
    ("ph", "p"),
    ("th", "t"),
    ("gh", "g"),
    ("sh", "s"),
    ("ch", "c"),
    ("j", "c"),
    ("v", "u"),
    ("w", "u"),
    ("y", "i"),
    ("ee", "i"),
    ("ea", "ia"),
    ("oo", "u"),
    ("ou", "o"),
    ("r", "l"),
)


def clean_name(expr: pl.Expr) -> pl.Expr:
    """Unicode-normalised, accent-free, lower-case letters and single spaces; titles dropped."""
    honorific = "|".join(HONORIFICS)
    out = (
        expr.str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_many(list(ASCII_LETTERS), list(ASCII_LETTERS.values()))
        .str.replace_all(r"[^\p{L} ]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.replace(rf"^(?:{honorific}) (\S)", "$1")
    )
    return pl.when(out == "").then(None).otherwise(out)


def romanisation_key(expr: pl.Expr) -> pl.Expr:
    """Fold alternative romanisations of a cleaned name to one spelling (spaces removed)."""
    out = expr.str.replace_all(" ", "", literal=True)
    for old, new in FOLDS:
        out = out.str.replace_all(old, new, literal=True)
    for letter in "abcdefghijklmnopqrstuvwxyz":
        out = out.str.replace_all(letter * 2, letter, literal=True)
    return out


__all__ = ["ASCII_LETTERS", "FOLDS", "HONORIFICS", "clean_name", "romanisation_key"]
