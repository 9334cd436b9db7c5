"""Standard rows → HTCDS and CTDC columns, for ``export --format htcds|ctdc``.

Both read the shipped mappings, so the names an import accepts are the names an export writes
(the first alias of each field) and an exported file imports back with the same mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from uncounted.ingest.fields import UNKNOWN_JURISDICTION
from uncounted.ingest.mapping import load_mapping

_CASE_FIELDS = ("jurisdiction", "opened_on", "exploitation_type")


def _text(value: Any) -> str:
    from uncounted.ingest.export import cell_text

    return cell_text(value)


def to_htcds(
    type_name: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]
) -> tuple[list[str], Iterator[list[str]]]:
    """Header and rows of ``type_name`` under the HTCDS field names."""
    mapping = load_mapping("htcds").for_type(type_name)
    header = [mapping.columns.get(c, (c,))[0] for c in columns]
    back: dict[str, dict[str, str]] = {}
    for f, labels in mapping.values.items():
        for label, code in labels.items():
            back.setdefault(f, {}).setdefault(code, label)  # the first label of a code

    def render(row: dict[str, Any]) -> list[str]:
        out = []
        for c in columns:
            text = _text(row.get(c))
            out.append(back.get(c, {}).get(text, text))
        return out

    return header, (render(r) for r in rows)


def to_ctdc(
    persons: Iterable[dict[str, Any]], cases: dict[tuple[Any, Any], dict[str, Any]]
) -> tuple[list[str], Iterator[list[str]]]:
    """One CTDC row per victim: gender, age band, citizenship, flags, country and year.

    A flag group that was not recorded (null) is written as empty cells, never as 0; a
    jurisdiction that was not recorded (ZZ) as an empty CountryOfExploitation.
    """
    mapping = load_mapping("ctdc")
    people = mapping.for_type("persons")
    flag_columns: list[tuple[str, str, str]] = []  # (column, field, code)
    seen_codes: set[tuple[str, str]] = set()
    for f, columns in people.flags.items():
        for column, code in columns.items():
            if (f, code) in seen_codes or ";" in code:
                continue  # an older alias of a column already written, or a derived column
            seen_codes.add((f, code))
            flag_columns.append((column, f, code))
    header = [
        "yearOfRegistration",
        "gender",
        "ageBroad",
        "majorityStatus",
        "majorityStatusAtExploit",
        "citizenship",
        "CountryOfExploitation",
        *(c for c, _, _ in flag_columns),
    ]

    def status(minor: Any) -> str:
        return "" if minor is None else ("Minor" if minor else "Adult")

    def render(row: dict[str, Any]) -> list[str]:
        case = cases.get((row.get("case_source") or row.get("source"), row.get("case")), {})
        opened = case.get("opened_on")
        place = str(case.get("jurisdiction") or "").split("-")[0]
        out = [
            str(opened.year) if opened is not None else "",
            row.get("sex") or "",
            row.get("age_band") or "",
            status(row.get("minor_at_identification")),
            status(row.get("minor_at_exploitation")),
            row.get("citizenship") or "",
            "" if place == UNKNOWN_JURISDICTION else place,
        ]
        for _, f, code in flag_columns:
            value = row.get(f)
            if value is None:  # not recorded: stays not recorded
                out.append("")
                continue
            chosen = value if isinstance(value, list) else [value]
            out.append("1" if code in chosen else "0")
        return out

    return header, (render(r) for r in persons if r.get("role") == "victim")


__all__ = ["to_ctdc", "to_htcds"]
