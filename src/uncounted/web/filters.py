"""What the templates show people instead of raw values: figures formatted as the report
formats them (1,321; 60.1 %), codes by their labels from ``domain/codes.yaml`` (the code in a
tooltip), identifying fields by name. :func:`install_filters` adds them to the app's Jinja
environment."""

from __future__ import annotations

from jinja2 import Environment
from markupsafe import Markup

from uncounted.domain.codes import code_list
from uncounted.report.formatting import fmt_interval, fmt_number, indicator_kind

#: Identifying fields as people name them (the case page's identity column).
IDENTITY_LABELS: dict[str, str] = {
    "given_name": "Given name",
    "family_name": "Family name",
    "other_names": "Other names",
    "birth_date": "Born",
    "identity_number": "Identity number",
    "phone": "Phone",
    "email": "Email",
    "address": "Address",
}


def code_label(value: object, list_name: str) -> Markup | str:
    """A code as its label from ``domain/codes.yaml`` with the HTCDS code as a tooltip
    (``SexualExploitation`` -> "Sexual exploitation"); a list of codes joined; a value that
    is not a code of the list shown as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, list | tuple):
        return Markup(", ").join(code_label(v, list_name) for v in value)
    codes = code_list(list_name)
    text = str(value)
    if text not in codes:
        return text
    return Markup('<abbr title="code: {}">{}</abbr>').format(text, codes.labels[text])


def install_filters(env: Environment) -> None:
    """``num``, ``interval``, ``kind`` (figures), ``code`` (labels) and ``identity_labels``."""
    env.filters.update(num=fmt_number, interval=fmt_interval, kind=indicator_kind)
    env.filters["code"] = code_label
    env.globals["identity_labels"] = IDENTITY_LABELS


__all__ = ["IDENTITY_LABELS", "code_label", "install_filters"]
