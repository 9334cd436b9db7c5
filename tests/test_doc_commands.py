"""Every command in the README and the docs runs.

The fenced ``sh`` blocks (and ``$ `` lines of ``console`` blocks) of README.md and docs/*.md
are read in order; each ``uncounted`` command (written ``$U``, ``.venv/bin/uncounted`` or
``uncounted``) runs in-process through :func:`uncounted.cli.main.main`, with the page's own
fresh data directory (``UNCOUNTED_DATA_DIR``) and a working directory holding the
repository's ``examples/``, so outputs land in a temporary folder, never in the repository.
Commands of one page share their data directory and run in the order written, as a reader
would run them. The demo database is built once and copied into each page's data directory:
that is the state after ``make demo``, the README's first command.

A command that cannot run here is listed in :data:`SKIP` with the reason. Any other line
of an ``sh`` block must be a runnable ``uncounted`` command: a synopsis with ``[optional]``
parts belongs in a ``text`` block.
"""

from __future__ import annotations

import io
import re
import shlex
import shutil
import time
import warnings
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from uncounted.cli.main import main
from uncounted.settings import Settings, get_settings

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: How a command names the CLI in the docs.
CLI = {"$U", "${U}", ".venv/bin/uncounted", "uncounted"}

#: Commands not run, matched on the start of the command as written (after the CLI name is
#: replaced by ``uncounted``), with the reason. Each entry must match at least one command.
SKIP: dict[str, str] = {
    # README: the two commands of a fresh checkout; the demo they build is built here once.
    "make demo": "sets up .venv and serves the demo until Ctrl+C (the demo is built once here)",
    "make test": "runs the whole test suite, this test included",
    # Servers run until they are stopped; prompts wait for a person at the terminal.
    "uncounted serve": "serves the web app until stopped (tests/web covers it)",
    "uncounted add-user": "asks for the new user's password twice at the terminal",
    # Long-running: a 10 000-victim world.
    "uncounted demo --seed 7 --victims 10000": "long-running (a 10 000-victim world); "
    "`uncounted demo` itself is what the test's demo is built with",
    "uncounted estimate examples/lists.csv --method lcmcr": "long-running: the latent-class "
    "sampler takes about 45 s on a shared 2-core machine (tests/prevalence covers it)",
}


@dataclass(frozen=True)
class DocCommand:
    """One command of a page: where it is written, and what it is."""

    page: str
    line: int
    text: str
    words: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def normalised(self) -> str:
        """The command with the CLI written ``uncounted``."""
        if self.words and self.words[0] in CLI:
            return " ".join(["uncounted", *self.words[1:]])
        return " ".join(self.words)

    @property
    def skip_reason(self) -> str | None:
        for prefix, reason in SKIP.items():
            if self.normalised == prefix or self.normalised.startswith(prefix + " "):
                return reason
        return None


def _logical_lines(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join lines continued with a trailing backslash; keep the first line's number."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, text in lines:
        if pending is not None:
            number, text = pending[0], pending[1] + " " + text.strip()
            pending = None
        if text.rstrip().endswith("\\"):
            pending = (number, text.rstrip()[:-1])
            continue
        out.append((number, text))
    if pending is not None:
        out.append(pending)
    return out


def extract(page: Path) -> list[DocCommand]:
    """The commands of the ``sh`` and ``console`` blocks of ``page``, in order."""
    name = str(page.relative_to(REPO))
    commands: list[DocCommand] = []
    block: str | None = None
    body: list[tuple[int, str]] = []
    for number, line in enumerate(page.read_text("utf-8").splitlines(), start=1):
        fence = re.match(r"^\s*```(\w*)\s*$", line)
        if fence and block is None:
            block, body = fence.group(1), []
            continue
        if fence:
            if block in ("sh", "console"):
                commands += _commands(name, block, body)
            block = None
            continue
        if block is not None:
            body.append((number, line))
    return commands


def _commands(page: str, kind: str, body: list[tuple[int, str]]) -> list[DocCommand]:
    found: list[DocCommand] = []
    for number, raw in _logical_lines(body):
        text = raw.strip()
        if kind == "console":
            if not text.startswith("$ "):
                continue  # output shown in the page
            text = text[2:]
        if not text or text.startswith("#"):
            continue
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S+", text):
            continue  # U=.venv/bin/uncounted
        words = shlex.split(text, comments=True)
        part: list[str] = []
        for word in [*words, "&&"]:
            if word == "&&":
                if part:
                    found.append(DocCommand(page, number, text, tuple(part)))
                part = []
            else:
                part.append(word)
    return found


ALL = {page: extract(page) for page in PAGES}


def test_the_pages_have_commands() -> None:
    """The extraction finds the README's commands (guards against a silent zero)."""
    readme = ALL[REPO / "README.md"]
    assert len(readme) >= 15
    assert readme[0].normalised == "make demo"
    assert any(c.normalised.startswith("uncounted screen examples/") for c in readme)


def test_no_page_points_outside_the_repository() -> None:
    """Readers have the repository only: no link to a sibling folder (``../shared/``)."""
    found = [
        f"{page.relative_to(REPO)}:{n}"
        for page in PAGES
        for n, line in enumerate(page.read_text("utf-8").splitlines(), start=1)
        if "../" in line
    ]
    assert not found, f"pages pointing outside the repository: {found}"


def test_every_skip_entry_is_used() -> None:
    used = {p for cmds in ALL.values() for c in cmds for p in SKIP if c.skip_reason == SKIP[p]}
    assert set(SKIP) == used, f"SKIP entries matching no command: {set(SKIP) - used}"


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the demo database, built once (the state after `make demo`)."""
    from uncounted.demo import build_demo

    folder = tmp_path_factory.mktemp("demo-data")
    build_demo(Settings(data_dir=folder), link=False)  # linking leaves the store as it is
    return folder


def _run(command: DocCommand) -> tuple[int, str, float]:
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with warnings.catch_warnings(), redirect_stdout(out), redirect_stderr(err):
        # Statistical caveats are printed to the reader, not turned into errors here.
        warnings.simplefilter("default")
        try:
            code = main(list(command.words[1:]))
        except Exception as exc:  # a traceback is a failure of the command too
            code, err = 99, io.StringIO(f"{type(exc).__name__}: {exc}")
    return code, out.getvalue() + err.getvalue(), time.perf_counter() - start


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_page_commands_run(
    page: Path,
    demo_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    commands = [c for c in ALL[page] if c.skip_reason is None]
    if not commands:
        pytest.skip(f"{page.name} has no command to run")
    data = tmp_path / "data"
    shutil.copytree(demo_template, data)
    work = tmp_path / "work"
    work.mkdir()
    (work / "examples").symlink_to(REPO / "examples", target_is_directory=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("UNCOUNTED_DATA_DIR", str(data))
    monkeypatch.setenv("COLUMNS", "120")
    keys = ("UNCOUNTED_DATA_KEY", "UNCOUNTED_SECRET_KEY", "UNCOUNTED_INDEX_KEY")
    for var in ("UNCOUNTED_DATABASE_URL", *keys):
        monkeypatch.delenv(var, raising=False)
    failures: list[str] = []
    for command in commands:
        if command.words[0] not in CLI:
            failures.append(
                f"{command.where}: `{command.text}` is not an uncounted command; make it one, "
                "move it to a text block, or add it to SKIP in tests/test_doc_commands.py "
                "with a reason"
            )
            continue
        if any(w.startswith("[") for w in command.words):
            failures.append(
                f"{command.where}: `{command.text}` has [optional] parts; write a runnable "
                "command in sh blocks (put the synopsis in a text block)"
            )
            continue
        get_settings.cache_clear()
        code, output, seconds = _run(command)
        if code != 0:
            tail = "\n".join(output.strip().splitlines()[-15:])
            failures.append(
                f"{command.where}: `{command.text}` exited with {code} after {seconds:.1f} s:\n"
                f"{tail}"
            )
    get_settings.cache_clear()
    assert not failures, "\n\n".join(failures)
