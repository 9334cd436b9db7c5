"""The identifying fields of a person: one list for the whole code base.

These are the fields kept in ``person_identities`` apart from the analytic ones, encrypted at
rest, withheld from analysts and viewers, audited when read, and never published.
"""

from __future__ import annotations

IDENTITY_FIELDS: tuple[str, ...] = (
    "given_name",
    "family_name",
    "other_names",
    "birth_date",
    "identity_number",
    "phone",
    "email",
    "address",
)

__all__ = ["IDENTITY_FIELDS"]
