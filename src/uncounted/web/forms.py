"""The web forms, and their server-side validation with the importer's field rules.

Each form field that is also a field of an import record type (``ingest/records.py``) is
checked by the importer's own :func:`~uncounted.ingest.fields.convert` (codes, countries and
ISO 3166-2 subdivisions, dates, numbers and their bounds, justice stages and outcomes) plus its
"no dates in the future" rule, so a value refused in a file is refused in a form with the same
reason. Fields that pick a record (a person of the case, an agency) are ids checked by
``store/recording.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from uncounted.domain import AppealOutcome, Offence, Stage, VerdictOutcome, code_list
from uncounted.domain.identity import IDENTITY_FIELDS
from uncounted.ingest.fields import Field, FieldProblem, convert
from uncounted.ingest.records import record_type
from uncounted.web.i18n import N_


@dataclass(frozen=True)
class FormField:
    """One input of a form."""

    name: str
    label: str
    kind: str  # text | date | int | select | bool | id
    required: bool
    options: tuple[tuple[str, str], ...] = ()
    rule: Field | None = None
    identifying: bool = False
    code_list: str | None = None  # the options' code list: their labels are translated


_IDENTIFYING = frozenset(IDENTITY_FIELDS)


def _options(rule: Field) -> tuple[tuple[str, str], ...]:
    if rule.kind in ("code", "codes") and rule.codes:
        return tuple(code_list(rule.codes).labels.items())
    if rule.kind == "stage":
        return tuple((s.value, s.label) for s in Stage)
    if rule.kind == "outcome":
        values = [o.value for o in VerdictOutcome] + [o.value for o in AppealOutcome]
        return tuple((v, v) for v in dict.fromkeys(values))
    if rule.kind == "offence":
        return tuple((o.value, o.value) for o in Offence)
    return ()


def _from_rule(record: str, name: str, label: str, required: bool | None = None) -> FormField:
    rule = record_type(record).field(name)
    if rule.kind == "codes":  # a form's select gives one code (the first of the record's list)
        rule = replace(rule, kind="code")
    kind = {"date": "date", "int": "int", "bool": "bool"}.get(rule.kind, "text")
    options = _options(rule)
    if options:
        kind = "select"
    return FormField(
        name,
        label,
        kind,
        rule.required if required is None else required,
        options,
        rule,
        name in _IDENTIFYING,
        rule.codes if rule.kind == "code" and options else None,
    )


def _id(name: str, label: str, required: bool = True) -> FormField:
    return FormField(name, label, "id", required)


CASE_FORM: tuple[FormField, ...] = (
    _from_rule("cases", "reference", "Reference", True),
    _from_rule("cases", "status", "Status"),
    _from_rule("cases", "exploitation_type", "Type of exploitation"),
    _from_rule("cases", "jurisdiction", "Jurisdiction (ISO 3166 code, e.g. TH or TH-10)"),
    _from_rule("cases", "opened_on", "Opened on"),
    _from_rule("cases", "closed_on", "Closed on"),
)
PERSON_FORM: tuple[FormField, ...] = (
    _from_rule("persons", "role", "Role in the case", True),
    _from_rule("persons", "sex", "Sex"),
    _from_rule("persons", "birth_year", "Birth year"),
    _from_rule("persons", "age_at_identification", "Age at identification"),
    _from_rule("persons", "citizenship", "Citizenship (ISO code)"),
    _from_rule("persons", "given_name", "Given name"),
    _from_rule("persons", "family_name", "Family name"),
    _from_rule("persons", "birth_date", "Birth date"),
    _from_rule("persons", "identity_number", "Identity number"),
    _from_rule("persons", "phone", "Phone"),
    _from_rule("persons", "email", "Email"),
    _from_rule("persons", "address", "Address"),
    _from_rule("persons", "trafficking_status", "Trafficking status (victims)"),
    _from_rule("persons", "exploitation_type", "Type of exploitation (victims)"),
    _from_rule("persons", "minor_at_exploitation", "Minor when exploited"),
    _from_rule("persons", "role_in_process", "Role in the trafficking process (suspects)"),
)
EVENT_FORM: tuple[FormField, ...] = (
    _id("person_id", "Person", required=False),
    _from_rule("justice_events", "stage", "Stage"),
    _from_rule("justice_events", "occurred_on", "Date"),
    _from_rule("justice_events", "jurisdiction", "Jurisdiction (blank: the case's)", False),
    _from_rule("justice_events", "outcome", "Outcome (verdicts and appeals)"),
    _from_rule("justice_events", "offence", "Offence"),
    _from_rule("justice_events", "sentence_months", "Sentence (months)"),
    _from_rule("justice_events", "custodial", "Custodial sentence"),
)
REFERRAL_FORM: tuple[FormField, ...] = (
    _id("person_id", "Person"),
    _id("to_agency_id", "Referred to agency"),
    _from_rule("referrals", "from_country", "From country"),
    _from_rule("referrals", "to_country", "To country"),
    _from_rule("referrals", "referred_on", "Referred on"),
    _from_rule("referrals", "reason", "Reason"),
    FormField("service", N_("Service asked for (e.g. shelter, legal aid)"), "text", False),
)

FORMS: dict[str, tuple[FormField, ...]] = {
    "case": CASE_FORM,
    "person": PERSON_FORM,
    "event": EVENT_FORM,
    "referral": REFERRAL_FORM,
}


def _cross_checks(form: str, values: dict[str, Any], problems: dict[str, str]) -> None:
    if form == "event" and values.get("outcome") is not None and "outcome" not in problems:
        stage = values.get("stage")
        allowed = (
            {o.value for o in VerdictOutcome}
            if stage == Stage.VERDICT
            else {o.value for o in AppealOutcome}
        )
        if stage not in (Stage.VERDICT, Stage.APPEAL):
            problems["outcome"] = f"a {stage} event has no outcome"
        elif values["outcome"] not in allowed:
            problems["outcome"] = f"not an outcome of a {stage}: {', '.join(sorted(allowed))}"


def validate(
    form: str,
    raw: Mapping[str, Any],
    today: dt.date | None = None,
    only: set[str] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed values and problems (field → reason) for the submitted ``raw`` values.

    ``only`` limits the fields read (e.g. without identifying fields for roles that may not
    write them). Empty inputs are ``None``; required empty inputs are problems.
    """
    today = today or dt.date.today()
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for f in FORMS[form]:
        if only is not None and f.name not in only:
            continue
        text = raw.get(f.name)
        text = "" if text is None else str(text).strip()
        if not text:
            values[f.name] = None
            if f.required:
                problems[f.name] = N_("is required")
            continue
        try:
            if f.kind == "id":
                values[f.name] = int(text)
                continue
            if f.rule is None:  # free text that no import rule covers (a referral's service)
                values[f.name] = text[:200]
                continue
            value = convert(f.rule, text)
        except (FieldProblem, ValueError) as exc:
            problems[f.name] = exc.reason if isinstance(exc, FieldProblem) else N_("not a number")
            continue
        if isinstance(value, dt.date) and value > today:
            problems[f.name] = f"is in the future ({value.isoformat()}); check the date"
            continue
        values[f.name] = value
    _cross_checks(form, values, problems)
    return values, problems


__all__ = [
    "CASE_FORM",
    "EVENT_FORM",
    "FORMS",
    "PERSON_FORM",
    "REFERRAL_FORM",
    "FormField",
    "validate",
]
