"""``uncounted screen``: screen a payment file for online child sexual exploitation patterns."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError

from uncounted.cli._common import (
    BomOption,
    FormatOption,
    Output,
    check_output,
    err_console,
    progress_bar,
    write_table,
)
from uncounted.errors import ConfigurationError
from uncounted.screening import ColumnMapping, load_config, screen_file

#: The alert columns shown on standard output (the file has every column).
SHOWN = ("rank", "party_role", "party_id", "score", "n_indicators")


def _mapping(path: Path | None) -> ColumnMapping | None:
    if path is None:
        return None
    try:
        return ColumnMapping.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigurationError(f"column mapping {path} is not usable: {exc}") from exc


def screen(
    payments: Annotated[Path, typer.Argument(help="Payment file, .csv or .parquet.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "--output", help="Where to write the ranked alerts (.csv, .json, .parquet)."
        ),
    ],
    config: Annotated[Path | None, typer.Option("--config", help="Rules file (YAML).")] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="Column mapping (YAML: canonical name: your column)."),
    ] = None,
    indicators: Annotated[
        Path | None,
        typer.Option("--indicators", help="Also write every fired indicator (.csv, .parquet)."),
    ] = None,
    top: Annotated[int, typer.Option(help="Alerts to print (0: all); the file has all.")] = 10,
    spark_master: Annotated[
        str | None,
        typer.Option(
            envvar="UNCOUNTED_SPARK_MASTER",
            help="Screen on Spark at this master (local[*], spark://host:7077, yarn, k8s://…); "
            "PAYMENTS is then canonical Parquet the cluster can read (docs/scale.md).",
        ),
    ] = None,
    fmt: FormatOption = "table",
    bom: BomOption = False,
) -> None:
    """Screen PAYMENTS with the typologies and write ranked, explained alerts to --out.

    A file without the optional description or merchant_category column is screened with
    every typology that does not need it; the ones switched off are named.
    """
    shown = Output(fmt)
    check_output(out)
    check_output(indicators)
    if spark_master and mapping is not None:
        raise ConfigurationError(
            "--mapping applies to local screening; on Spark, PAYMENTS must already be in the "
            "canonical schema (see docs/scale.md)."
        )
    loaded_config, loaded_mapping = load_config(config), _mapping(mapping)
    with progress_bar(total=False) as bar:
        bar.add_task(f"Screening {payments.name}", total=None)
        if spark_master:
            from uncounted.screening.spark import screen_parquet_spark

            result = screen_parquet_spark(str(payments), loaded_config, spark_master)
        else:
            result = screen_file(payments, loaded_config, loaded_mapping)
    for name, reason in result.switched_off.items():
        err_console.print(f"[yellow]Typology {name} switched off:[/] {reason}.", highlight=False)
    write_table(result.alerts, out, bom)
    if indicators is not None:
        write_table(result.indicators, indicators, bom)
    err_console.print(f"{result.alerts.height} alert(s) written to {out}", highlight=False)
    alerts = result.alerts.select(SHOWN)
    shown.emit(
        alerts.head(top or alerts.height),
        {"n_alerts": result.alerts.height, "out": str(out), "rows": alerts.to_dicts()},
        titles={"result": f"{result.alerts.height} alert(s) written to {out}"},
    )


def register(app: typer.Typer) -> None:
    """Add ``screen`` to the CLI."""
    app.command("screen")(screen)
