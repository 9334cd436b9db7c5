"""``uncounted keys rotate``: re-encrypt identifying fields under a new data key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from uncounted.settings import get_settings
from uncounted.store.keys import rotate_key

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
    """Re-encrypt every identifying field with a new random key, in one transaction."""
    done = rotate_key(get_settings(), new_key_file)
    console.print(
        f"Re-encrypted {done.rows:,} records: key {done.old_key_id} -> {done.new_key_id} "
        f"(saved in {done.new_key_file})."
    )


def register(app: typer.Typer) -> None:
    """Add the ``keys`` command group."""
    app.add_typer(keys_app, name="keys")
