"""Start-up of the CLI: ``--help`` and ``--version`` import no heavy module, and the lazy
command table in ``uncounted.cli.main`` matches the commands the modules register.

Measured on a 2-core machine (user+system CPU, peak RSS): before the command groups were lazy,
``uncounted --help`` cost 2.8 CPU-s and 390 MB; now about 0.15 CPU-s and 25 MB. The test
checks the import set and the memory, not the time (timings are for ``benchmarks/``).
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest

from uncounted.cli.main import COMMANDS, main

#: Modules that ``uncounted --help`` and ``--version`` must not import.
FORBIDDEN = (
    "alembic",
    "duckdb",
    "fastapi",
    "lifelines",
    "matplotlib",
    "numba",
    "numpy",
    "pandas",
    "pgmpy",
    "polars",
    "pyarrow",
    "pydantic",
    "pyspark",
    "scipy",
    "splink",
    "sqlalchemy",
    "starlette",
    "statsmodels",
    "uvicorn",
    "weasyprint",
    "uncounted.prevalence",
    "uncounted.store",
    "uncounted.web",
)

_PROBE = """
import json, sys
from pathlib import Path
from uncounted.cli.main import main
code = main(sys.argv[1:])
# VmHWM: peak RSS of this program (ru_maxrss would include the forking parent's)
status = Path("/proc/self/status").read_text().splitlines()
rss = float(next(line.split()[1] for line in status if line.startswith("VmHWM:"))) / 1024
print(json.dumps({"code": code, "modules": sorted(sys.modules), "rss_mb": rss}))
"""


def _probe(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("args", [["--help"], ["--version"], []])
def test_help_and_version_import_no_heavy_module(args):
    result = _probe(*args)
    assert result["code"] in (0, 2)  # no arguments: help, exit 2 (Click's usage)
    _assert_light(result, FORBIDDEN, f"uncounted {' '.join(args)}")


def _assert_light(
    result: dict[str, object], forbidden: tuple[str, ...], what: str, max_mb: float = 80
) -> None:
    """No module of ``forbidden`` (or below it) was imported, and the peak RSS is < ``max_mb``."""
    modules = result["modules"]
    assert isinstance(modules, list)
    heavy = sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in forbidden))
    assert not heavy, f"`{what}` imports {heavy}"
    rss = result["rss_mb"]
    assert isinstance(rss, float) and rss < max_mb, f"{rss:.0f} MB"


def test_the_table_lists_every_registered_command_with_its_own_help():
    from uncounted.cli.main import load_module_commands

    for module in sorted({m for m, _ in COMMANDS.values()}):
        for name, command in load_module_commands(module).items():
            assert name in COMMANDS, f"uncounted.cli.{module} registers {name!r}: add it"
            listed_module, line = COMMANDS[name]
            assert listed_module == module, name
            own = " ".join(inspect.cleandoc(command.help or "").split("\n\n")[0].split())
            assert line == own, f"COMMANDS[{name!r}] says {line!r}; the command says {own!r}"


def test_every_command_module_is_in_the_table():
    """A new module with ``register(app)`` must add its commands to COMMANDS in cli/main.py."""
    import ast
    from pathlib import Path

    import uncounted.cli

    folder = Path(uncounted.cli.__file__).parent
    registering = {
        path.stem
        for path in folder.glob("*.py")
        if any(
            isinstance(node, ast.FunctionDef) and node.name == "register"
            for node in ast.parse(path.read_text("utf-8")).body
        )
    }
    listed = {module for module, _line in COMMANDS.values()}
    assert registering == listed, f"add rows to COMMANDS for {sorted(registering - listed)}"


def test_every_command_of_the_table_loads():
    from uncounted.cli.main import load_module_commands

    for name, (module, _line) in COMMANDS.items():
        assert name in load_module_commands(module), f"{module} does not register {name!r}"


def test_a_mistyped_command_is_a_usage_error_with_a_suggestion(capsys):
    assert main(["estimat"]) == 2
    assert "estimate" in capsys.readouterr().err


def test_a_command_runs_and_shows_its_own_help(capsys):
    assert main(["metrics", "--help"]) == 0
    assert "--format" in capsys.readouterr().out


#: Modules no command's ``--help`` may import (Polars, NumPy and pydantic are allowed: some
#: commands' options are built from them). Before this guard, ``link --help`` cost 2.2 CPU-s
#: and 275 MB (Splink, numba, SQLAlchemy); ``import``/``export``/``survivors --help`` over 1 s.
HEAVY_FOR_HELP = (
    "alembic",
    "duckdb",
    "fastapi",
    "lifelines",
    "matplotlib",
    "numba",
    "pgmpy",
    "pyspark",
    "scipy",
    "splink",
    "sqlalchemy",
    "starlette",
    "statsmodels",
    "uvicorn",
    "weasyprint",
    "uncounted.store",
    "uncounted.web",
)


@pytest.mark.parametrize("command", sorted({name.split()[0] for name in COMMANDS}))
def test_every_commands_help_imports_no_heavy_module(command):
    result = _probe(command, "--help")
    assert result["code"] == 0
    # a group's help may load Polars and NumPy, whose mapped libraries count towards the peak
    # RSS differently by file system: 73 MB for `estimate --help` from a venv under /work,
    # 94 MB from the same packages under /tmp; the module set above is the real guard
    _assert_light(result, HEAVY_FOR_HELP, f"uncounted {command} --help", max_mb=120)


def test_survivors_help_names_every_grouping():
    from uncounted.cli.survivors import BY_HELP
    from uncounted.survivors import GROUPINGS

    assert f"Group by one of: {', '.join(GROUPINGS)}." == BY_HELP


_PROGRAM = """
import gc, os, sys
from uncounted.cli.main import main
sys.argv = ["uncounted", "--version"]
code = main()
print(code, os.environ.get("OPENBLAS_THREAD_TIMEOUT"), gc.get_freeze_count() > 0)
"""


def test_as_the_program_blas_threads_sleep_early_and_exit_skips_the_final_sweep():
    """Run as the program (no argv), OpenBLAS's idle threads sleep after 2**20 cycles unless
    the user chose otherwise, and what lives at the end is frozen before the interpreter's
    final collection; a caller passing argv (tests, a longer-lived process) gets neither."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    done = subprocess.run([sys.executable, "-c", _PROGRAM], capture_output=True, text=True,
                          check=True, env=env)  # fmt: skip
    assert done.stdout.split()[-3:] == ["0", "20", "True"]
    env["OPENBLAS_THREAD_TIMEOUT"] = "28"
    done = subprocess.run([sys.executable, "-c", _PROGRAM], capture_output=True, text=True,
                          check=True, env=env)  # fmt: skip
    assert done.stdout.split()[-2:] == ["28", "True"]


def test_a_caller_with_argv_keeps_its_garbage_collector(monkeypatch):
    import gc

    monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT", raising=False)
    frozen = gc.get_freeze_count()
    assert main(["--version"]) == 0
    assert gc.get_freeze_count() == frozen
    assert "OPENBLAS_THREAD_TIMEOUT" not in __import__("os").environ


def test_an_lcmcr_estimate_imports_neither_pydantic_nor_the_linalg_package(tmp_path):
    """A whole estimate (the command R's LCMCR is compared with in ``benchmarks/``) parses its
    arguments without pydantic, loads numba without ``scipy.linalg``'s ~0.09 CPU-s of solvers
    (only its BLAS/LAPACK wrapper modules, which numba's start-up checks for), and draws no
    progress bar into a pipe."""
    table = tmp_path / "histories.csv"
    table.write_text(
        "A,B,C,count\n1,0,0,40\n0,1,0,35\n0,0,1,30\n1,1,0,9\n1,0,1,8\n0,1,1,7\n1,1,1,3\n"
    )
    settings = ["--set", "n_chains=1", "--set", "burnin=200", "--set", "samples=50"]
    result = _probe("estimate", str(table), "--method", "lcmcr", "--seed", "1", *settings)
    assert result["code"] == 0
    modules = result["modules"]
    assert isinstance(modules, list)
    assert "numba" in modules  # the sampler ran
    assert not [m for m in modules if m == "pydantic" or m.startswith("pydantic.")]
    assert "rich.progress" not in modules  # standard error is a pipe: no bar to draw
    linalg = sorted(m for m in modules if m == "scipy.linalg" or m.startswith("scipy.linalg."))
    assert linalg == ["scipy.linalg.cython_blas", "scipy.linalg.cython_lapack"]
