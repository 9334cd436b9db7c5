"""What the templates show people instead of raw values: figures formatted as the report
formats them (1,321; 60.1 %), codes by their labels from ``domain/codes.yaml`` in the page's
language (the code in a tooltip), identifying fields by name. :func:`install_filters` adds
them to the app's Jinja environment."""

from __future__ import annotations

import copy
import datetime as dt
import math
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from uncounted.domain.codes import code_list
from uncounted.report.formatting import fmt_interval, fmt_number, indicator_kind
from uncounted.report.intervals import explain_interval, metric_interval_sentence
from uncounted.web.i18n import DEFAULT_LANGUAGE, N_, code_label_in, page_language

#: Identifying fields as people name them (the case page's identity column).
IDENTITY_LABELS: dict[str, str] = {
    "given_name": N_("Given name"),
    "family_name": N_("Family name"),
    "other_names": N_("Other names"),
    "birth_date": N_("Born"),
    "identity_number": N_("Identity number"),
    "phone": N_("Phone"),
    "email": N_("Email"),
    "address": N_("Address"),
}


def code_label(value: object, list_name: str, language: str = DEFAULT_LANGUAGE) -> Markup | str:
    """A code as its label from ``domain/codes.yaml`` in ``language``, with the HTCDS code as a
    tooltip (``SexualExploitation`` -> "Sexual exploitation"); a list of codes joined; a value
    that is not a code of the list shown as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, list | tuple):
        return Markup(", ").join(code_label(v, list_name, language) for v in value)
    text = str(value)
    if text not in code_list(list_name):
        return text
    label = code_label_in(language, list_name, text)
    return Markup('<abbr title="code: {}">{}</abbr>').format(text, label)


def number_in(language: str, value: Any, kind: str = "count") -> str:
    """A figure as :func:`~uncounted.report.formatting.fmt_number` formats it, in the
    conventions of ``language`` (CLDR, through Babel): English is exactly the report's text
    (``1,321``, ``60.1%``); other languages get their own separators and percent sign."""
    if language == DEFAULT_LANGUAGE or value is None:
        return fmt_number(value, kind)
    v = float(value)
    if not math.isfinite(v):
        return fmt_number(value, kind)
    if kind in ("percent", "proportion"):
        # the locale's own percent pattern (sign, spacing), with one decimal as in English
        pattern = copy.copy(Locale.parse(language).percent_formats[None])
        pattern.frac_prec = (1, 1)
        return str(pattern.apply(v, Locale.parse(language)))
    if kind in ("score", "ratio"):
        return str(format_decimal(v, "#,##0.00", locale=language))
    return str(format_decimal(round(v), "#,##0", locale=language))


def interval_in(language: str, lower: Any, upper: Any, kind: str = "count") -> str:
    """``lower–upper`` as :func:`number_in` formats each end; empty without an interval."""
    if language == DEFAULT_LANGUAGE:
        return fmt_interval(lower, upper, kind)
    if not fmt_interval(lower, upper, kind):
        return ""
    return f"{number_in(language, lower, kind)}–{number_in(language, upper, kind)}"


def date_in(language: str, value: Any) -> str:
    """A date (or ISO date text) in ``language``'s medium format; English keeps ISO
    (``2024-03-01``), the form the pages have always shown. Other values are shown as they are."""
    if value is None or value == "":
        return ""
    if language == DEFAULT_LANGUAGE:
        return str(value)
    day = value
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if not isinstance(day, dt.date):
        return str(value)
    return str(format_date(day, "medium", locale=language))


@pass_context
def _num(context: Context, value: Any, kind: str = "count") -> str:
    return number_in(page_language(context), value, kind)


@pass_context
def _interval(context: Context, lower: Any, upper: Any, kind: str = "count") -> str:
    return interval_in(page_language(context), lower, upper, kind)


@pass_context
def _date(context: Context, value: Any) -> str:
    return date_in(page_language(context), value)


@pass_context
def _code(context: Context, value: object, list_name: str) -> Markup | str:
    return code_label(value, list_name, page_language(context))


@pass_context
def _code_text(context: Context, value: object, list_name: str) -> str:
    return code_label_in(page_language(context), list_name, value)


def install_filters(env: Environment) -> None:
    """``num``, ``interval``, ``date`` (figures and dates in the page's language), ``kind``,
    ``code`` (a code's label in the page's language, the code as a tooltip), ``code_text`` (the
    label alone, for a form's ``<option>``) and ``identity_labels``;
    ``explain_interval(method)`` and ``metric_interval(id)`` give the sentence saying what an
    interval is (:mod:`uncounted.report.intervals`, English: pass it through ``tr``)."""
    env.filters.update(num=_num, interval=_interval, date=_date, kind=indicator_kind)
    env.filters["code"] = _code
    env.filters["code_text"] = _code_text
    env.globals["identity_labels"] = IDENTITY_LABELS
    env.globals["explain_interval"] = explain_interval
    env.globals["metric_interval"] = metric_interval_sentence


__all__ = [
    "IDENTITY_LABELS",
    "code_label",
    "date_in",
    "install_filters",
    "interval_in",
    "number_in",
]
