"""Code lists as data: HTCDS v2 value names with readable labels, and ISO 3166 countries.

The lists themselves live in ``codes.yaml`` beside this module so that they can be read,
reviewed and exchanged without reading code. Countries and subdivisions come from ISO 3166
(through ``pycountry``), as HTCDS asks.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

import pycountry
import yaml

from uncounted.errors import InvalidInput


@dataclass(frozen=True)
class CodeList:
    """A named list of codes with labels, e.g. ``vic_TypeOfExploitation``."""

    name: str
    labels: Mapping[str, str]

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes in their documented order."""
        return tuple(self.labels)

    def __contains__(self, code: object) -> bool:
        return code in self.labels

    def label(self, code: str) -> str:
        """The readable label of ``code`` (raises :class:`InvalidInput` for unknown codes)."""
        self.validate(code)
        return self.labels[code]

    def suggest(self, value: str) -> str | None:
        """The closest code to a mistyped value, for "did you mean" messages."""
        folded = {c.lower(): c for c in self.labels}
        folded.update({lab.lower(): c for c, lab in self.labels.items()})
        if value.lower() in folded:
            return folded[value.lower()]
        close = difflib.get_close_matches(value.lower(), list(folded), n=1, cutoff=0.6)
        return folded[close[0]] if close else None

    def validate(self, value: str) -> str:
        """Return ``value`` if it is a code of this list, else raise with a suggestion."""
        if value in self.labels:
            return value
        hint = self.suggest(value)
        tip = f" Did you mean {hint!r}?" if hint else ""
        raise InvalidInput(
            f"{value!r} is not a code of {self.name}.{tip} Known codes: {', '.join(self.codes)}."
        )


@cache
def _load() -> Mapping[str, CodeList]:
    text = resources.files("uncounted.domain").joinpath("codes.yaml").read_text("utf-8")
    raw: dict[str, dict[str, str]] = yaml.safe_load(text)
    return MappingProxyType(
        {
            name: CodeList(name, MappingProxyType({str(k): str(v) for k, v in items.items()}))
            for name, items in raw.items()
        }
    )


def code_list(name: str) -> CodeList:
    """The code list called ``name`` (e.g. ``"prs_Gender"``)."""
    lists = _load()
    if name not in lists:
        raise InvalidInput(f"There is no code list {name!r}; known: {', '.join(sorted(lists))}.")
    return lists[name]


def code_list_names() -> tuple[str, ...]:
    """The names of every code list shipped with Uncounted."""
    return tuple(_load())


def validate_country(code: str) -> str:
    """Validate an ISO 3166-1 alpha-2 country code (``"PH"``) and return it upper-cased."""
    upper = code.strip().upper()
    if pycountry.countries.get(alpha_2=upper) is None:
        guess = pycountry.countries.get(alpha_3=upper)
        if guess is None:
            try:
                guess = pycountry.countries.lookup(code.strip())
            except LookupError:
                guess = None
        tip = f" Did you mean {guess.alpha_2!r} ({guess.name})?" if guess is not None else ""
        raise InvalidInput(f"{code!r} is not an ISO 3166-1 alpha-2 country code.{tip}")
    return upper


def validate_subdivision(code: str) -> str:
    """Validate an ISO 3166-2 subdivision code (``"PH-CEB"``) and return it upper-cased."""
    upper = code.strip().upper()
    if pycountry.subdivisions.get(code=upper) is None:  # type: ignore[no-untyped-call]
        raise InvalidInput(f"{code!r} is not an ISO 3166-2 subdivision code (e.g. 'PH-CEB').")
    return upper


def country_name(code: str) -> str:
    """The English short name of an ISO 3166-1 alpha-2 country code."""
    country = pycountry.countries.get(alpha_2=validate_country(code))
    return str(getattr(country, "name", code))


__all__ = [
    "CodeList",
    "code_list",
    "code_list_names",
    "country_name",
    "validate_country",
    "validate_subdivision",
]
