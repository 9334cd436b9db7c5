"""Optional dependencies: import one, or say in one sentence which extra installs it.

===========  =====================  ===================================================
extra        packages               what needs it
===========  =====================  ===================================================
``drivers``  pgmpy                  ``DriverNetwork`` (``uncounted drivers``)
``pdf``      weasyprint             PDF reports (``uncounted report --out x.pdf``)
``plot``     matplotlib             ``plot()`` on estimators and results
``spark``    pyspark                linkage and screening on Spark
``postgres`` psycopg                PostgreSQL as the case database
===========  =====================  ===================================================
"""

from __future__ import annotations

import importlib
from types import ModuleType

from uncounted.errors import MissingExtra

#: Top-level package -> (pip extra, what it is for).
EXTRAS: dict[str, tuple[str, str]] = {
    "pgmpy": ("drivers", "Learning a Bayesian network of drivers"),
    "weasyprint": ("pdf", "Writing a PDF report"),
    "matplotlib": ("plot", "Plotting"),
    "pyspark": ("spark", "Running on Spark"),
    "psycopg": ("postgres", "Using PostgreSQL"),
}


def require(module: str) -> ModuleType:
    """Import ``module`` (e.g. ``"matplotlib.pyplot"``), or raise :class:`MissingExtra` saying
    which ``pip install 'uncounted[extra]'`` provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        if exc.name is not None and exc.name.split(".")[0] != top:
            raise  # the package is there but something it needs is broken: show that
        extra, purpose = EXTRAS.get(top, ("all", f"This feature ({top})"))
        raise MissingExtra(
            f"{purpose} needs {top}, which is not installed: "
            f"pip install 'uncounted[{extra}]' (or 'uncounted[all]')."
        ) from None


__all__ = ["EXTRAS", "MissingExtra", "require"]
