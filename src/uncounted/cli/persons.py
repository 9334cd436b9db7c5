"""``uncounted person merge|unmerge``: merge two records of one person as a user, or undo it.

Both act as a named user (``--user``), so the store's access rules and audit apply as on the
web pages: a caseworker merges only records of one agency that they may change, with
everything recorded about them theirs to change (cases, events, referrals, aftercare,
assessments, lists), open to the same agencies (else an administrator must); only an
administrator undoes a merge. Without ``--take``, the fields the kept record lacks are taken
from the other one.
"""

from __future__ import annotations

from typing import Annotated

import typer

from uncounted.cli._common import DATABASE_HELP, DEMO_HELP, console, open_engine

person_app = typer.Typer(
    help="Merge two records of the same person, or undo a merge (as a user).",
    no_args_is_help=True,
)

UserOption = Annotated[
    str, typer.Option("--user", help="Act as this user (access rules and audit apply).")
]
DatabaseOption = Annotated[str | None, typer.Option(help=DATABASE_HELP)]
DemoOption = Annotated[bool, typer.Option("--demo", help=DEMO_HELP)]


@person_app.command("merge")
def merge_cmd(
    keep: Annotated[int, typer.Argument(help="Number of the record to keep.")],
    other: Annotated[int, typer.Argument(help="Number of the record merged into it.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why they are the same person (5 characters or more).")
    ],
    user: UserOption,
    take: Annotated[
        list[str] | None,
        typer.Option(
            "--take",
            help="A field whose value is taken from OTHER (repeat it; default: those KEEP "
            "lacks): sex, birth_year, age_at_identification, citizenship, age_band, "
            "minor_at_identification, given_name, family_name, other_names, birth_date, "
            "identity_number, phone, email, address.",
        ),
    ] = None,
    database_url: DatabaseOption = None,
    demo: DemoOption = False,
) -> None:
    """Merge record OTHER into record KEEP (one agency's records of one person).

    OTHER's roles in cases, justice events, referrals, aftercare steps, assessments and list
    memberships move to KEEP; OTHER is hidden (not destroyed) and the merge is audited. An
    administrator undoes it with `uncounted person unmerge`.
    """
    from uncounted.store.db import session_scope
    from uncounted.store.merging import merge_persons
    from uncounted.store.users import principal_named

    with open_engine(database_url, demo) as engine, session_scope(engine) as session:
        who = principal_named(session, user)
        removal = merge_persons(session, who, keep, other, reason, take)
        session.flush()
        removal_id = removal.id
    console.print(
        f"Merged record {other} into {keep} (merge {removal_id}; undo with "
        f"`uncounted person unmerge {removal_id} --user ADMIN`)."
    )


@person_app.command("unmerge")
def unmerge_cmd(
    removal_id: Annotated[
        int, typer.Argument(help="The merge's number (`person merge` and Deleted records show it).")
    ],
    user: UserOption,
    database_url: DatabaseOption = None,
    demo: DemoOption = False,
) -> None:
    """Undo a merge (administrators): what moved goes back to the merged record, which is
    visible again; audited."""
    from uncounted.store.db import session_scope
    from uncounted.store.merging import unmerge_person
    from uncounted.store.users import principal_named

    with open_engine(database_url, demo) as engine, session_scope(engine) as session:
        who = principal_named(session, user)
        removal = unmerge_person(session, who, removal_id)
        record, kept = removal.record_id, removal.merged_into_id
    console.print(f"Undid merge {removal_id}: record {record} is separate from {kept} again.")


def register(app: typer.Typer) -> None:
    """Add the ``person`` command group."""
    app.add_typer(person_app, name="person")
