"""``uncounted keys rotate|list``: re-encrypt identifying fields under a new data key (or
re-index the person search under a new index key); show the keys by id, never their value."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from uncounted.settings import get_settings

console = Console()
keys_app = typer.Typer(
    help="Manage the keys that encrypt and index identifying fields.", no_args_is_help=True
)


@keys_app.command("rotate")
def rotate(
    new_key_file: Annotated[
        Path | None,
        typer.Option(help="Where to write the new key when the key is set in the environment."),
    ] = None,
    index: Annotated[
        bool,
        typer.Option(
            "--index", help="Rotate the person search's index key instead, and rebuild the index."
        ),
    ] = False,
) -> None:
    """Re-encrypt every identifying field with a new random key, in one transaction.

    The old key is kept in retired.keys (wrapped by the new one), so backups made before the
    rotation stay readable. With --index, the key of the person search's blind index is
    replaced and the index rebuilt under it (the old index key is not kept).
    """
    if index:
        from uncounted.store.keys import rotate_index_key

        rotated = rotate_index_key(get_settings(), new_key_file)
        console.print(
            f"Re-indexed {rotated.persons:,} people ({rotated.tokens:,} tokens): index key "
            f"{rotated.old_key_id or 'none'} -> {rotated.new_key_id} "
            f"(saved in {rotated.new_key_file})."
        )
        return
    from uncounted.store.keys import rotate_key

    done = rotate_key(get_settings(), new_key_file)
    console.print(
        f"Re-encrypted {done.rows:,} records: key {done.old_key_id} -> {done.new_key_id} "
        f"(saved in {done.new_key_file}); key {done.old_key_id} is kept as a retired key."
    )


@keys_app.command("list")
def list_command() -> None:
    """List the keys by id: data keys (current, pending rotation, retired but still readable)
    and the person search's index key."""
    table = Table(title="Keys")
    for column in ("key id", "status", "where", "retired at"):
        table.add_column(column, overflow="fold")
    from uncounted.store.keys import list_keys

    for key in list_keys(get_settings()):
        table.add_row(key.key_id, key.status, key.where, key.retired_at or "")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``keys`` command group."""
    app.add_typer(keys_app, name="keys")
