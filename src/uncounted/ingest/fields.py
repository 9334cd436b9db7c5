"""Standard fields and their types: turning one cell into one value, or into a reason why not.

Every record type (``records.py``) is a tuple of :class:`Field`. :func:`convert` applies a
field's type to a cell already renamed and relabelled by the mapping, and raises
:class:`FieldProblem` with a sentence a caseworker understands when it cannot.

Dates: ISO 8601 (``2024-03-31``) unless the mapping names other formats; spreadsheet cells that
hold dates are taken as they are; Excel serial day numbers (``45382``, as a number or a
five-digit text) are converted with Excel's 1900 date system (day 1 = 1900-01-01, with Excel's
fictitious 1900-02-29, so serial ``n`` is 1899-12-30 + ``n`` days for ``n`` ≥ 61).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import pycountry

from uncounted.domain import AppealOutcome, Offence, Stage, VerdictOutcome, code_list
from uncounted.ingest.readers import Cell

KINDS = (
    "text",
    "int",
    "bool",
    "date",
    "code",
    "codes",
    "country",
    "jurisdiction",
    "period",
    "stage",
    "outcome",
    "offence",
    "ref",
    "age_band",
)

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_PERIOD = re.compile(r"^\d{4}(Q[1-4]|-(0[1-9]|1[0-2]))?$")
_TRUE = {"true", "t", "yes", "y", "1", "1.0", "x", "oui", "si", "sí", "ja"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "non"}
_SPLIT = re.compile(r"\s*[;|]\s*")
#: An age band as data hubs write it: ``9--17`` (CTDC), ``9-17``, ``09--17``, ``48+``.
_AGE_BAND = re.compile(r"^(\d{1,3})\s*(?:-{1,2}|–|to)\s*(\d{1,3})$|^(\d{1,3})\s*\+$")


class FieldProblem(Exception):
    """A cell that cannot be a value of its field; ``reason`` says why and what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Field:
    """A standard field of a record type: its name, type and constraints."""

    name: str
    kind: str = "text"
    required: bool = False
    codes: str | None = None  # code list for kind "code"/"codes"
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    description: str = ""


def text_of(cell: Cell) -> str:
    """A cell as stripped text (numbers without a spurious ``.0``)."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell).strip()


def parse_date(cell: Cell, formats: Sequence[str] = ()) -> dt.date:
    """A date from a date cell, an Excel serial number or text in ISO or a named format."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if isinstance(cell, bool):
        raise FieldProblem("a date is needed, not a yes/no value")
    if isinstance(cell, int | float) and not formats:
        return _excel_serial(float(cell))
    value = text_of(cell)
    if isinstance(cell, int | float) and not any(_fits(value, f) for f in formats):
        return _excel_serial(float(cell))
    if value.isdigit() and len(value) == 5:
        return _excel_serial(float(value))
    for fmt in formats:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    try:
        return (
            dt.date.fromisoformat(value[:10]) if len(value) >= 10 else dt.date.fromisoformat(value)
        )
    except ValueError:
        pass
    wanted = " or ".join([*formats, "YYYY-MM-DD"]) if formats else "YYYY-MM-DD"
    raise FieldProblem(
        f"not a date in the expected format ({wanted}); "
        "fix the cell or name the file's date format in the mapping (date_format)"
    )


def _fits(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _excel_serial(serial: float) -> dt.date:
    if not 1 <= serial < 2_958_466:
        raise FieldProblem(f"{serial:g} is not an Excel date serial number")
    days = int(serial)
    if days < 61:  # Excel counts a 1900-02-29 that never was
        days += 1
    return _EXCEL_EPOCH + dt.timedelta(days=days)


def parse_int(cell: Cell) -> int:
    """A whole number from a number cell or text such as ``42`` or ``42.0``."""
    if isinstance(cell, bool):
        raise FieldProblem("a whole number is needed, not a yes/no value")
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        if cell.is_integer():
            return int(cell)
        raise FieldProblem("a whole number is needed")
    value = str(cell).strip().replace("\u00a0", "").replace(" ", "")
    try:
        return int(value)
    except ValueError:
        try:
            number = float(value)
        except ValueError:
            raise FieldProblem("not a whole number") from None
        if number.is_integer():
            return int(number)
        raise FieldProblem("a whole number is needed") from None


def parse_bool(cell: Cell) -> bool:
    """Yes/no from ``true``/``false``, ``yes``/``no``, ``1``/``0``, ``y``/``n``."""
    if isinstance(cell, bool):
        return cell
    value = text_of(cell).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise FieldProblem("not a yes/no value (use yes/no, true/false or 1/0)")


@cache
def parse_age_band(text: str) -> str:
    """An age band in CTDC's spelling: ``9--17`` (from ``09--17``, ``9-17``…) or ``48+``."""
    found = _AGE_BAND.match(text.strip())
    if found is None:
        raise FieldProblem("not an age band; write it as 9--17 (from--to) or 48+")
    low, high, open_ended = found.groups()
    if open_ended is not None:
        return f"{int(open_ended)}+"
    if int(low) > int(high):
        raise FieldProblem("the band's first age is above its last; write it as 9--17")
    return f"{int(low)}--{int(high)}"


@cache
def _code_value(list_name: str, value: str) -> str:
    codes = code_list(list_name)
    if value in codes:
        return value
    folded = value.lower()
    for code, label in codes.labels.items():
        if folded in {code.lower(), label.lower()}:
            return code
    hint = codes.suggest(value)
    tip = f" Did you mean {hint!r}?" if hint else ""
    raise FieldProblem(f"not a code of {list_name}.{tip} Known codes: {', '.join(codes.codes)}")


#: Two-letter codes in common use that ISO 3166-1 does not assign: Kosovo's user-assigned XK
#: (used by the EU, the IMF and IOM) is kept; the UK and EL of EU usage are GB and GR.
_COUNTRY_ALIASES = {"XK": "XK", "UK": "GB", "EL": "GR"}


@cache
def _country(value: str) -> str:
    upper = value.strip().upper()
    if len(upper) == 2 and pycountry.countries.get(alpha_2=upper) is not None:
        return upper
    if upper in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[upper]
    if len(upper) == 3:
        found = pycountry.countries.get(alpha_3=upper)
        if found is not None:
            return str(found.alpha_2)
    try:
        guess = pycountry.countries.lookup(value.strip())
    except LookupError:
        guess = None
    tip = f" Did you mean {guess.alpha_2!r} ({guess.name})?" if guess is not None else ""
    raise FieldProblem(f"not an ISO 3166-1 country code (e.g. 'PH').{tip}")


#: The jurisdiction of a record whose place was not recorded (ISO 3166 user-assigned code ZZ,
#: "unknown or unspecified" in Unicode CLDR): kept apart, never guessed.
UNKNOWN_JURISDICTION = "ZZ"


@cache
def _jurisdiction(value: str) -> str:
    upper = value.strip().upper()
    if upper == UNKNOWN_JURISDICTION:
        return upper
    if "-" in upper:
        if pycountry.subdivisions.get(code=upper) is None:  # type: ignore[no-untyped-call]
            raise FieldProblem("not an ISO 3166-2 subdivision code (e.g. 'PH-CEB')")
        return upper
    return _country(upper)


def _enum_value(value: str, allowed: Sequence[str], what: str) -> str:
    folded = value.strip().lower()
    if folded in allowed:
        return folded
    import difflib

    close = difflib.get_close_matches(folded, list(allowed), n=1, cutoff=0.6)
    tip = f" Did you mean {close[0]!r}?" if close else ""
    raise FieldProblem(f"not a {what}.{tip} Known: {', '.join(allowed)}")


_STAGES = tuple(s.value for s in Stage)
_STAGE_LABELS = {s.label.lower(): s.value for s in Stage}
_OUTCOMES = tuple(o.value for o in VerdictOutcome) + tuple(o.value for o in AppealOutcome)
_OFFENCES = tuple(o.value for o in Offence)


def convert(field: Field, cell: Cell, date_formats: Sequence[str] = ()) -> object:
    """The value of ``field`` in ``cell`` (never ``None``: empty cells are handled before)."""
    kind = field.kind
    if type(cell) is str:  # the common case, fast: text from CSV, already stripped
        if kind == "text" or kind == "ref":
            if field.max_length is not None and len(cell) > field.max_length:
                raise FieldProblem(
                    f"is {len(cell):,} characters long; this field holds at most {field.max_length}"
                )
            return cell
        if kind == "date" and not date_formats and len(cell) == 10:
            try:
                return dt.date.fromisoformat(cell)
            except ValueError:
                pass
        elif kind == "code":
            return _code_value(field.codes or "", cell)
    if kind == "date":
        return parse_date(cell, date_formats)
    if kind == "int":
        number = parse_int(cell)
        if field.minimum is not None and number < field.minimum:
            raise FieldProblem(f"must be at least {field.minimum}")
        if field.maximum is not None and number > field.maximum:
            raise FieldProblem(f"must be at most {field.maximum}")
        return number
    if kind == "bool":
        return parse_bool(cell)
    text = cell if type(cell) is str else text_of(cell)
    if field.max_length is not None and len(text) > field.max_length:
        raise FieldProblem(
            f"is {len(text):,} characters long; this field holds at most {field.max_length}"
        )
    if kind in {"text", "ref"}:
        return text
    if kind == "code":
        return _code_value(field.codes or "", text)
    if kind == "codes":
        return [_code_value(field.codes or "", part) for part in _SPLIT.split(text) if part]
    if kind == "country":
        return _country(text)
    if kind == "jurisdiction":
        return _jurisdiction(text)
    if kind == "period":
        if not _PERIOD.match(text):
            raise FieldProblem("not a period; use a year (2024), a quarter (2024Q3) or 2024-07")
        return text
    if kind == "stage":
        folded = text.lower()
        if folded in _STAGE_LABELS:
            return _STAGE_LABELS[folded]
        return _enum_value(text, _STAGES, "justice stage")
    if kind == "outcome":
        return _enum_value(text, _OUTCOMES, "verdict or appeal outcome")
    if kind == "offence":
        return _enum_value(text, _OFFENCES, "offence (trafficking or other)")
    if kind == "age_band":
        return parse_age_band(text)
    raise FieldProblem(f"unknown field kind {kind!r}")


__all__ = [
    "KINDS",
    "UNKNOWN_JURISDICTION",
    "Field",
    "FieldProblem",
    "convert",
    "parse_age_band",
    "parse_bool",
    "parse_date",
    "parse_int",
    "text_of",
]
