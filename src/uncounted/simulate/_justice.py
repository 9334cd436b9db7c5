"""Cases, suspects and their path through the justice stages, for the synthetic world.

Identified victims are grouped into cases (1–3 victims) per country of exploitation and
exploitation type; each case has 1–3 suspects who move through report → investigation →
arrest → charge → trial → verdict → sentence → appeal with the probabilities and gamma delays
of :class:`~uncounted.simulate.world.JusticeTruth`. Anything dated after the world's end is
not recorded (the case is still open: censored). Victims get identification events, aftercare
placement, repatriation when cross-border, and referrals between countries; some cross-border
cases have a linked proceeding in the victim's home country.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from uncounted.domain.identity import IDENTITY_FIELDS
from uncounted.simulate._names import random_identity

if TYPE_CHECKING:
    from uncounted.simulate.world import WorldConfig


_IDENTITY_FIELDS = IDENTITY_FIELDS


class _Builder:
    """Accumulates rows for each table while the world is generated."""

    def __init__(self, cfg: WorldConfig, rng: np.random.Generator, agencies: pl.DataFrame):
        self.cfg, self.rng, self.truth = cfg, rng, cfg.justice
        self.rows: dict[str, list[dict[str, Any]]] = {
            k: []
            for k in (
                "cases",
                "case_persons",
                "case_jurisdictions",
                "case_links",
                "justice_events",
                "referrals",
                "aftercare_steps",
                "suspects",
                "identities",
                "aftercare_starts",
            )
        }
        self.police = {
            row["country"]: row["id"]
            for row in agencies.iter_rows(named=True)
            if row["org_type"] == "LawEnforcement"
        }
        self.ngo = next(r["id"] for r in agencies.iter_rows(named=True) if r["org_type"] == "NGO")
        self.next_person = 0
        self.tried: set[int] = set()  # cases where a trial started
        #: Latest recorded event date per case (closing a case reads it instead of rescanning
        #: every event, which made world generation quadratic in the number of events).
        self.last_event: dict[int, dt.date] = {}

    def days(self, key: str) -> dt.timedelta:
        mean = self.truth.mean_days[key]
        return dt.timedelta(days=max(1, round(float(self.rng.gamma(2.0, mean / 2.0)))))

    def event(self, case: dict[str, Any], person: int, stage: str, on: dt.date, **kw: Any) -> bool:
        """Record an event unless it falls after the world's end (then the path is censored)."""
        if on > self.cfg.end:
            return False
        if stage == "trial":
            self.tried.add(case["id"])
        last = self.last_event.get(case["id"])
        if last is None or on > last:
            self.last_event[case["id"]] = on
        ev = self.rows["justice_events"]
        ev.append(
            {
                "id": len(ev) + 1,
                "source_agency_id": case["owning_agency_id"],
                "external_id": f"EV-{len(ev) + 1:07d}",
                "case_id": case["id"],
                "person_id": person,
                "stage": stage,
                "occurred_on": on,
                "jurisdiction_id": case["jurisdiction_id"],
                "agency_id": case["owning_agency_id"],
                "outcome": kw.get("outcome"),
                "offence": kw.get("offence"),
                "sentence_months": kw.get("sentence_months"),
                "custodial": kw.get("custodial"),
                "protective_measures": kw.get("protective_measures"),
                "compensation": kw.get("compensation"),
                "joint_operation": kw.get("joint_operation"),
            }
        )
        return True

    def new_case(self, country: str, jid: int, etype: str, opened: dt.date) -> dict[str, Any]:
        n = len(self.rows["cases"]) + 1
        agency = self.police.get(country, self.ngo)
        case = {
            "id": n,
            "source_agency_id": agency,
            "external_id": f"{country}-{opened.year}-{n:05d}",
            "reference": f"{country}-{opened.year}-{n:05d}",
            "status": "Active",
            "exploitation_type": etype,
            "owning_agency_id": agency,
            "jurisdiction_id": jid,
            "opened_on": opened,
            "closed_on": None,
        }
        self.rows["cases"].append(case)
        self.rows["case_jurisdictions"].append(
            {"case_id": n, "jurisdiction_id": jid, "role": "exploitation"}
        )
        return case

    def suspect(self, case: dict[str, Any], country: str) -> int:
        self.next_person += 1
        pid = self.next_person
        sex = "Male" if self.rng.random() < 0.75 else "Female"
        birth_year = int(self.rng.integers(1960, 2000))
        self.rows["suspects"].append(
            {
                "id": pid,
                "source_agency_id": case["owning_agency_id"],
                "external_id": f"S-{pid}",
                "sex": sex,
                "birth_year": birth_year,
                "age_at_identification": case["opened_on"].year - birth_year,
                "citizenship": country,
            }
        )
        self.rows["identities"].append(
            {"person_id": pid, **random_identity(self.rng, country, sex, birth_year)}
        )
        role = "RecruiterOrIntermediary" if self.rng.random() < 0.4 else "Exploiter"
        self.rows["case_persons"].append(_role(case["id"], pid, "suspect", role_in_process=role))
        return pid

    def suspect_path(self, case: dict[str, Any], pid: int) -> bool:
        """Move one suspect through the stages; return True when the path has ended."""
        t, rng, on = self.truth, self.rng, case["opened_on"]
        if not self.event(case, pid, "report", on):
            return False
        if rng.random() > t.p_investigation:
            return True
        on += self.days("report->investigation")
        joint = case["exploitation_type"] == "ForcedLabour" and rng.random() < 0.3
        if not self.event(case, pid, "investigation", on, joint_operation=joint):
            return False
        if rng.random() > t.p_arrest:
            return True
        on += self.days("investigation->arrest")
        if not self.event(case, pid, "arrest", on):
            return False
        if rng.random() > t.p_charge:
            return True
        offence = "trafficking" if rng.random() < t.p_trafficking_charge else "other"
        on += self.days("arrest->charge")
        if not self.event(case, pid, "charge", on, offence=offence):
            return False
        if rng.random() > t.p_trial:
            return True
        on += self.days("charge->trial")
        if not self.event(case, pid, "trial", on, offence=offence):
            return False
        u = rng.random()
        outcome = (
            "convicted"
            if u < t.p_convicted
            else ("acquitted" if u < t.p_convicted + t.p_acquitted else "dismissed")
        )
        verdict_on = on + self.days("trial->verdict")
        if not self.event(case, pid, "verdict", verdict_on, outcome=outcome, offence=offence):
            return False
        if outcome == "convicted":
            custodial = rng.random() < t.p_custodial
            months = int(rng.integers(24, 180)) if custodial else 0
            sentence_on = verdict_on + self.days("verdict->sentence")
            if not self.event(
                case,
                pid,
                "sentence",
                sentence_on,
                offence=offence,
                sentence_months=months,
                custodial=custodial,
            ):
                return False
        if rng.random() < t.p_appeal:
            upheld = rng.random() < t.p_upheld
            on_appeal = verdict_on + self.days("verdict->appeal")
            return self.event(
                case, pid, "appeal", on_appeal, outcome="upheld" if upheld else "overturned"
            )
        return True


def _role(case_id: int, person_id: int, role: str, **kw: Any) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "person_id": person_id,
        "role": role,
        "trafficking_status": kw.get("trafficking_status"),
        "exploitation_type": kw.get("exploitation_type"),
        "forced_labour_industry": kw.get("forced_labour_industry"),
        "sex_exploitation_type": kw.get("sex_exploitation_type"),
        "recruitment_method": kw.get("recruitment_method"),
        "minor_at_exploitation": kw.get("minor_at_exploitation"),
        "methods_of_control": kw.get("methods_of_control"),  # None: not recorded
        "role_in_process": kw.get("role_in_process"),
    }


def simulate_justice(
    cfg: WorldConfig,
    rng: np.random.Generator,
    pop_seen: pl.DataFrame,
    persons: pl.DataFrame,
    identities: list[dict[str, Any]],
    agencies: pl.DataFrame,
    jid: dict[str, int],
) -> dict[str, pl.DataFrame]:
    """Cases, events, referrals and aftercare for the identified victims (see module doc)."""
    b = _Builder(cfg, rng, agencies)
    b.next_person = persons.height
    victims = pop_seen.with_columns(person_id=persons["id"]).sort("exploited_on")
    for (country, etype), group in victims.group_by(
        ["country", "exploitation_type"], maintain_order=True
    ):
        _cases_for(b, str(country), str(etype), group, jid)
    return _frames(b, persons, identities)


def _cases_for(
    b: _Builder, country: str, etype: str, group: pl.DataFrame, jid: dict[str, int]
) -> None:
    rows = list(group.iter_rows(named=True))
    i = 0
    while i < len(rows):
        size = int(b.rng.integers(1, 4))
        members, i = rows[i : i + size], i + size
        found = min(r["exploited_on"] for r in members) + dt.timedelta(
            days=int(b.rng.gamma(2.0, 60.0))
        )
        if found > b.cfg.end:
            continue
        case = b.new_case(country, jid[country], etype, found)
        open_paths = 0
        for _ in range(int(b.rng.integers(1, 4))):
            pid = b.suspect(case, country)
            open_paths += 0 if b.suspect_path(case, pid) else 1
        for v in members:
            _victim_path(b, case, v, country)
        if open_paths == 0:
            case["status"], case["closed_on"] = "Closed", b.last_event[case["id"]]
        cross = [v for v in members if v["citizenship"] != country]
        if cross and b.rng.random() < b.cfg.linked_proceeding_share:
            home = cross[0]["citizenship"]
            linked = b.new_case(home, jid[home], etype, found + b.days("report->investigation"))
            b.rows["case_links"].append(
                {
                    "id": len(b.rows["case_links"]) + 1,
                    "case_id": case["id"],
                    "linked_case_id": linked["id"],
                    "kind": "cross_border",
                }
            )
            b.rows["case_jurisdictions"].append(
                {"case_id": case["id"], "jurisdiction_id": jid[home], "role": "recruitment"}
            )
            done = b.suspect_path(linked, b.suspect(linked, home))
            if done:
                linked["status"] = "Closed"
                linked["closed_on"] = b.last_event[linked["id"]]


def _victim_path(b: _Builder, case: dict[str, Any], v: dict[str, Any], country: str) -> None:
    rng, pid = b.rng, v["person_id"]
    b.rows["case_persons"].append(
        _role(
            case["id"],
            pid,
            "victim",
            trafficking_status="Confirmed" if rng.random() < 0.8 else "Presumed",
            exploitation_type=v["exploitation_type"],
            forced_labour_industry="Aquafarming"
            if v["exploitation_type"] == "ForcedLabour" and rng.random() < 0.4
            else None,
            sex_exploitation_type="RemoteInteractiveServices"
            if v["exploitation_type"] == "SexualExploitation" and v["minor"]
            else None,
            recruitment_method=str(rng.choice(["JobOffer", "Familial", "Internet"])),
            minor_at_exploitation=bool(v["minor"]),
            methods_of_control=["DebtBondage"] if rng.random() < 0.5 else ["WithholdsDocuments"],
        )
    )
    identified = case["opened_on"] + dt.timedelta(days=int(rng.integers(0, 10)))
    if not b.event(case, pid, "identification", identified):
        return
    if case["id"] in b.tried:
        b.event(
            case,
            pid,
            "trial",
            identified + dt.timedelta(days=200),
            protective_measures=bool(rng.random() < 0.5),
            compensation=bool(rng.random() < 0.15),
        )
    if rng.random() < 0.8:
        placed = identified + dt.timedelta(days=max(1, round(float(rng.gamma(2.0, 7.0)))))
        if placed <= b.cfg.end:
            _step(b, pid, case["id"], "ShelterPlacement", placed, country, b.ngo)
            b.rows["aftercare_starts"].append(
                {"person_id": pid, "started_on": placed, "agency_id": b.ngo}
            )
    if v["citizenship"] != country and rng.random() < 0.7:
        home = v["citizenship"]
        asked = identified + dt.timedelta(days=int(rng.integers(5, 40)))
        if asked <= b.cfg.end:
            refs = b.rows["referrals"]
            # nine in ten consent (written, on the day they are referred) and the referral is
            # completed; without consent the receiving agency declines it
            consented = bool(rng.random() < 0.9)
            refs.append(
                {
                    "id": len(refs) + 1,
                    "case_id": case["id"],
                    "person_id": pid,
                    "from_agency_id": b.ngo,
                    "to_agency_id": b.police.get(home, b.ngo),
                    "from_country": country,
                    "to_country": home,
                    "referred_on": asked,
                    "reason": "MigrationOrChangeOfLocation",
                    "consent_recorded": consented,
                    "status": "Completed" if consented else "Declined",
                    "consent_method": "Written" if consented else None,
                    "consent_given_on": asked if consented else None,
                    "consent_recorded_by": "receiving caseworker" if consented else None,
                }
            )
            back = asked + dt.timedelta(days=max(1, round(float(rng.gamma(2.0, 45.0)))))
            if back <= b.cfg.end:
                _step(b, pid, case["id"], "Repatriated", back, home, b.ngo)


def _step(b: _Builder, pid: int, case_id: int, step: str, on: dt.date, c: str, ag: int) -> None:
    steps = b.rows["aftercare_steps"]
    steps.append(
        {
            "id": len(steps) + 1,
            "source_agency_id": ag,
            "external_id": f"AC-{len(steps) + 1:07d}",
            "person_id": pid,
            "case_id": case_id,
            "step": step,
            "occurred_on": on,
            "country": c,
            "agency_id": ag,
        }
    )


def _frames(
    b: _Builder, persons: pl.DataFrame, identities: list[dict[str, Any]]
) -> dict[str, pl.DataFrame]:
    r = b.rows
    suspects = pl.DataFrame(r["suspects"], schema=persons.schema)
    cp = pl.DataFrame(r["case_persons"], infer_schema_length=None).with_row_index("id", offset=1)
    return {
        "persons": pl.concat([persons, suspects]),
        "person_identities": pl.DataFrame(
            identities + r["identities"],
            schema={"person_id": pl.Int64, **dict.fromkeys(_IDENTITY_FIELDS, pl.String)},
        ),
        "cases": pl.DataFrame(r["cases"], infer_schema_length=None),
        "case_jurisdictions": pl.DataFrame(r["case_jurisdictions"]).unique(
            ["case_id", "jurisdiction_id"], maintain_order=True
        ),
        "case_links": pl.DataFrame(
            r["case_links"],
            schema={
                "id": pl.Int64,
                "case_id": pl.Int64,
                "linked_case_id": pl.Int64,
                "kind": pl.String,
            },
        ),
        "case_persons": cp.with_columns(pl.col("id").cast(pl.Int64)),
        "justice_events": pl.DataFrame(r["justice_events"], infer_schema_length=None),
        "referrals": pl.DataFrame(r["referrals"], infer_schema_length=None),
        "aftercare_steps": pl.DataFrame(r["aftercare_steps"], infer_schema_length=None),
        "_aftercare_starts": pl.DataFrame(
            r["aftercare_starts"],
            schema={"person_id": pl.Int64, "started_on": pl.Date, "agency_id": pl.Int64},
        ),
    }


__all__ = ["simulate_justice"]
