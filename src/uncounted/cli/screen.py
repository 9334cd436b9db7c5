"""``uncounted screen``: screen a payment file for online child sexual exploitation patterns."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from uncounted.errors import ConfigurationError
from uncounted.screening import ColumnMapping, load_config, screen_file

console = Console()


def _mapping(path: Path | None) -> ColumnMapping | None:
    if path is None:
        return None
    try:
        return ColumnMapping.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigurationError(f"column mapping {path} is not usable: {exc}") from exc


def screen(
    payments: Annotated[Path, typer.Argument(help="Payment file, .csv or .parquet.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the ranked alerts (CSV).")],
    config: Annotated[Path | None, typer.Option("--config", help="Rules file (YAML).")] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="Column mapping (YAML: canonical name: your column)."),
    ] = None,
    indicators: Annotated[
        Path | None, typer.Option("--indicators", help="Also write every fired indicator (CSV).")
    ] = None,
) -> None:
    """Screen PAYMENTS with the typologies and write ranked, explained alerts to --out.

    A file without the optional description or merchant_category column is screened with
    every typology that does not need it; the ones switched off are named.
    """
    result = screen_file(payments, load_config(config), _mapping(mapping))
    for name, reason in result.switched_off.items():
        console.print(f"[yellow]Typology {name} switched off:[/] {reason}.", highlight=False)
    result.alerts.write_csv(out)
    if indicators is not None:
        result.indicators.write_csv(indicators)
    table = Table(title=f"{result.alerts.height} alert(s) written to {out}")
    for col in ("rank", "party_role", "party_id", "score", "n_indicators"):
        table.add_column(col)
    for row in result.alerts.head(10).iter_rows(named=True):
        table.add_row(
            *(str(row[c]) for c in ("rank", "party_role", "party_id", "score", "n_indicators"))
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``screen`` to the CLI."""
    app.command("screen")(screen)
