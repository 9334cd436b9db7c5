"""The record types an agency file can hold, as the standard fields of each.

A file holds one record type (a workbook may hold several, one per sheet named after the
type). Records refer to each other by the agency's own ids (``external_id``), never by database
ids: an event names its case and person as the agency knows them, within the same source
agency. Each type says which fields identify a record, so a re-import updates it instead of
adding a duplicate.

===================  ================================================  =======================
record type          what one row is                                   identified by
===================  ================================================  =======================
``agencies``         an organisation that keeps a list or acts         code
``jurisdictions``    a country or subdivision and its name            jurisdiction code
``persons``          a person, optionally with their role in a case    source + external_id
``cases``            one proceeding in one country                     source + external_id
``justice_events``   a dated stage a suspect or victim reached         source + external_id
``referrals``        a referral between agencies or countries          person, from, to, date
``assessments``      a survivor-outcome assessment (``item_*``)        person, instrument, date
``list_memberships`` a person on an agency's list in a period (MSE)    person, list, period
``case_jurisdictions`` another country or region a case involves       case, jurisdiction
``case_links``       two proceedings of one cross-border case          case, linked case
``case_shares``      a case shared with another agency                 case, agency
``aftercare_steps``  a shelter, repatriation or reintegration step     source + external_id
===================  ================================================  =======================

A justice event may name no person: a complaint against unknown persons that was
investigated is an event of the case alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from uncounted.ingest.fields import Field


@dataclass(frozen=True)
class RecordType:
    """A kind of record an import file can hold."""

    name: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    description: str

    @property
    def field_names(self) -> tuple[str, ...]:
        """The standard field names, in their documented order."""
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


_EXT = Field("external_id", "text", True, max_length=100, description="the agency's own id")
_SOURCE = Field("source", "ref", max_length=40, description="source agency code (or --source)")

RECORD_TYPES: dict[str, RecordType] = {
    "agencies": RecordType(
        "agencies",
        (
            Field("code", "text", True, max_length=40),
            Field("name", "text", True, max_length=200),
            Field("org_type", "code", True, codes="org_Type"),
            Field("country", "country", description="none for an international organisation"),
        ),
        ("code",),
        "organisations that keep lists or act on cases",
    ),
    "jurisdictions": RecordType(
        "jurisdictions",
        (
            Field("jurisdiction", "jurisdiction", True, description="PH or PH-CEB"),
            Field("name", "text", True, max_length=200),
        ),
        ("jurisdiction",),
        "countries and subdivisions (ISO 3166) with the names used in reports",
    ),
    "persons": RecordType(
        "persons",
        (
            _EXT,
            _SOURCE,
            Field("sex", "code", codes="prs_Gender"),
            Field("birth_year", "int", minimum=1900, maximum=2100),
            Field("age_at_identification", "int", minimum=0, maximum=120),
            Field("citizenship", "country"),
            Field("age_band", "age_band", description="age at identification, e.g. 9--17"),
            Field("minor_at_identification", "bool"),
            Field("given_name", "text"),
            Field("family_name", "text"),
            Field("other_names", "text"),
            Field("birth_date", "date"),
            Field("identity_number", "text"),
            Field("phone", "text"),
            Field("email", "text"),
            Field("address", "text"),
            Field("case", "ref", max_length=100, description="external id of a case"),
            Field("case_source", "ref", max_length=40, description="the case's source agency"),
            Field("role", "code", codes="case_role"),
            Field("trafficking_status", "code", codes="vic_TraffickingStatus"),
            Field("exploitation_type", "codes", codes="vic_TypeOfExploitation"),
            Field("forced_labour_industry", "code", codes="vic_ForcedLabourIndustry"),
            Field("sex_exploitation_type", "code", codes="vic_TypeOfSexExploitation"),
            Field("recruitment_method", "code", codes="vic_MethodOfRecruitment"),
            Field("minor_at_exploitation", "bool"),
            Field("methods_of_control", "codes", codes="vic_MethodsOfControl"),
            Field("role_in_process", "code", codes="per_RoleInProcess"),
        ),
        ("source", "external_id"),
        "people (victims and suspects) with their role in a case",
    ),
    "cases": RecordType(
        "cases",
        (
            _EXT,
            _SOURCE,
            Field("reference", "text", max_length=100),
            Field("status", "code", True, codes="cas_Status"),
            Field("exploitation_type", "code", True, codes="vic_TypeOfExploitation"),
            Field("owning_agency", "ref", max_length=40, description="agency code (or source)"),
            Field("jurisdiction", "jurisdiction", True),
            Field("opened_on", "date", True),
            Field("closed_on", "date"),
        ),
        ("source", "external_id"),
        "proceedings, one per country",
    ),
    "justice_events": RecordType(
        "justice_events",
        (
            _EXT,
            _SOURCE,
            Field("case", "ref", True, max_length=100, description="external id of the case"),
            Field("person", "ref", max_length=100, description="external id of the person"),
            Field("case_source", "ref", max_length=40, description="the case's source agency"),
            Field("person_source", "ref", max_length=40, description="the person's source"),
            Field("stage", "stage", True),
            Field("occurred_on", "date", True),
            Field("jurisdiction", "jurisdiction", True),
            Field("agency", "ref", max_length=40),
            Field("outcome", "outcome"),
            Field("offence", "offence"),
            Field("sentence_months", "int", minimum=0, maximum=2000),
            Field("custodial", "bool"),
            Field("protective_measures", "bool"),
            Field("compensation", "bool"),
            Field("joint_operation", "bool"),
        ),
        ("source", "external_id"),
        "dated stages of the justice and aftercare process",
    ),
    "referrals": RecordType(
        "referrals",
        (
            _SOURCE,
            Field("person", "ref", True, max_length=100),
            Field("case", "ref", max_length=100),
            Field("person_source", "ref", max_length=40),
            Field("case_source", "ref", max_length=40),
            Field("from_agency", "ref", True, max_length=40),
            Field("to_agency", "ref", True, max_length=40),
            Field("from_country", "country", True),
            Field("to_country", "country", True),
            Field("referred_on", "date", True),
            Field("reason", "code", True, codes="cas_ReasonForIncomingReferral"),
            Field("consent_recorded", "bool", True),
            Field("status", "code", True, codes="referral_status"),
            # the person's consent, for an administrator migrating decided referrals (a
            # caseworker's row leaves them empty: the receiving agency records consent)
            Field("consent_method", "code", codes="referral_consent_method"),
            Field("consent_given_on", "date"),
            Field("consent_recorded_by", "text", max_length=80),
        ),
        ("source", "person", "from_agency", "to_agency", "referred_on"),
        "referrals between agencies or countries",
    ),
    "assessments": RecordType(
        "assessments",
        (
            _SOURCE,
            Field("person", "ref", True, max_length=100),
            Field("person_source", "ref", max_length=40),
            Field("instrument_id", "text", True, max_length=60),
            Field("assessed_on", "date", True),
            Field("assessor", "text", True, max_length=100),
            Field("agency", "ref", max_length=40),
        ),
        ("source", "person", "instrument_id", "assessed_on"),
        "survivor-outcome assessments; item scores in columns named item_<item>",
    ),
    "list_memberships": RecordType(
        "list_memberships",
        (
            _SOURCE,
            Field("person", "ref", True, max_length=100),
            Field("person_source", "ref", max_length=40),
            Field("list", "ref", max_length=40, description="agency code of the list"),
            Field("period", "period", True),
            Field("recorded_on", "date"),
            Field(
                "linkage_only",
                "bool",
                description="an agency's raw record of someone already counted through a "
                "linked record: read by linkage, left out of the stored lists (default false)",
            ),
        ),
        ("source", "person", "list", "period"),
        "who was on which agency's list in which period",
    ),
    "case_jurisdictions": RecordType(
        "case_jurisdictions",
        (
            _SOURCE,
            Field("case", "ref", True, max_length=100, description="external id of the case"),
            Field("case_source", "ref", max_length=40, description="the case's source agency"),
            Field("jurisdiction", "jurisdiction", True),
            Field("role", "code", codes="jurisdiction_role", description="default exploitation"),
        ),
        ("source", "case", "case_source", "jurisdiction"),
        "other countries or regions a case involves (recruitment, transit, exploitation)",
    ),
    "case_links": RecordType(
        "case_links",
        (
            _SOURCE,
            Field("case", "ref", True, max_length=100, description="external id of the case"),
            Field("case_source", "ref", max_length=40, description="the case's source agency"),
            Field("linked_case", "ref", True, max_length=100, description="the other case"),
            Field("linked_case_source", "ref", max_length=40, description="its source agency"),
            Field("kind", "code", codes="case_link_kind", description="default cross_border"),
        ),
        ("source", "case", "case_source", "linked_case", "linked_case_source"),
        "links between the proceedings of one cross-border case in several countries",
    ),
    "case_shares": RecordType(
        "case_shares",
        (
            _SOURCE,
            Field("case", "ref", True, max_length=100, description="external id of the case"),
            Field("case_source", "ref", max_length=40, description="the case's source agency"),
            Field("agency", "ref", True, max_length=40, description="agency shared with"),
            Field("shared_on", "date", True),
        ),
        ("source", "case", "case_source", "agency"),
        "cases shared with another agency, whose caseworkers may then work on them",
    ),
    "aftercare_steps": RecordType(
        "aftercare_steps",
        (
            _EXT,
            _SOURCE,
            Field("person", "ref", True, max_length=100, description="external id of the person"),
            Field("person_source", "ref", max_length=40, description="the person's source"),
            Field("case", "ref", max_length=100, description="external id of the case"),
            Field("case_source", "ref", max_length=40, description="the case's source agency"),
            Field("step", "code", True, codes="aftercare_step"),
            Field("occurred_on", "date", True),
            Field("country", "country", True),
            Field("agency", "ref", max_length=40),
        ),
        ("source", "external_id"),
        "aftercare, repatriation and reintegration steps of survivors",
    ),
}

#: Record types in the order a workbook's sheets are loaded (references point backwards).
LOAD_ORDER: tuple[str, ...] = (
    "agencies",
    "jurisdictions",
    "cases",
    "persons",
    "case_jurisdictions",
    "case_links",
    "case_shares",
    "justice_events",
    "referrals",
    "aftercare_steps",
    "assessments",
    "list_memberships",
)

#: Prefix of the assessment columns that hold item scores (``item_housing`` → item "housing").
ITEM_PREFIX = "item_"


def ref_source(values: dict[str, object], name: str) -> object:
    """The source agency code of the record that field ``name`` refers to.

    ``<name>_source`` when given, else the row's own source. A reference that names no record
    under that source falls back to a record with no source (shared records).
    """
    own = values.get(source_field(name))
    return own if own is not None else values.get("source")


_SOURCE_OF = {
    "case": "case_source",
    "person": "person_source",
    "linked_case": "linked_case_source",
}


def source_field(name: str) -> str:
    """The field naming the source agency of the record that field ``name`` refers to."""
    return _SOURCE_OF.get(name) or f"{name}_source"


def record_type(name: str) -> RecordType:
    """The record type called ``name``."""
    from uncounted.errors import InvalidInput

    if name not in RECORD_TYPES:
        raise InvalidInput(
            f"There is no record type {name!r}; use one of {', '.join(RECORD_TYPES)}."
        )
    return RECORD_TYPES[name]


__all__ = [
    "ITEM_PREFIX",
    "LOAD_ORDER",
    "RECORD_TYPES",
    "RecordType",
    "record_type",
    "ref_source",
    "source_field",
]
