"""``uncounted keys rotate|list``: re-encrypt identifying fields under a new data key; show the
keys (current, pending, retired) by id, never their value."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from uncounted.settings import get_settings
from uncounted.store.keys import list_keys, rotate_key

console = Console()
keys_app = typer.Typer(
    help="Manage the key that encrypts identifying fields.", no_args_is_help=True
)


@keys_app.command("rotate")
def rotate(
    new_key_file: Annotated[
        Path | None,
        typer.Option(help="Where to write the new key when UNCOUNTED_DATA_KEY is set."),
    ] = None,
) -> None:
    """Re-encrypt every identifying field with a new random key, in one transaction.

    The old key is kept in retired.keys (wrapped by the new one), so backups made before the
    rotation stay readable.
    """
    done = rotate_key(get_settings(), new_key_file)
    console.print(
        f"Re-encrypted {done.rows:,} records: key {done.old_key_id} -> {done.new_key_id} "
        f"(saved in {done.new_key_file}); key {done.old_key_id} is kept as a retired key."
    )


@keys_app.command("list")
def list_command() -> None:
    """List the data keys by id: current, pending rotation, and retired (still readable)."""
    table = Table(title="Data keys")
    for column in ("key id", "status", "where", "retired at"):
        table.add_column(column, overflow="fold")
    for key in list_keys(get_settings()):
        table.add_row(key.key_id, key.status, key.where, key.retired_at or "")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``keys`` command group."""
    app.add_typer(keys_app, name="keys")
