"""Web latency under load: 100 000 cases, 20 concurrent clients, on SQLite.

Builds a case database of ``--cases`` cases (two people each, a suspect's path through the
justice stages, identifying fields encrypted), starts ``uncounted serve`` (uvicorn, one
process) on a loopback port, signs in 20 clients (half caseworkers of one agency — scoped
queries — half analysts), and has each client walk the case list (random filters and pages),
case pages and the dashboard for ``--seconds`` or ``--requests`` per client, whichever comes
first. Prints p50/p95/max latency per page; as a baseline, the time to compute the dashboard's
aggregates from scratch (what ``uncounted serve`` does in the background as it starts, and
again when they are older than a minute).

    .venv/bin/python benchmarks/bench_web.py            # 100 000 cases, 20 clients, 60 s
    .venv/bin/python benchmarks/bench_web.py --cases 20000 --seconds 20

Goal (issue 8): p95 under 150 ms on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import polars as pl

from uncounted.demo import DEMO_PASSWORD
from uncounted.settings import Settings
from uncounted.store.bulk import insert_frames
from uncounted.store.db import init_database, session_scope
from uncounted.store.users import create_user

AGENCIES = ["PNP", "TH-DSI", "NGO-SEA", "KH-POLICE", "MY-POLICE"]
COUNTRIES = ["PH", "TH", "TH", "KH", "MY"]
STAGES = ["report", "investigation", "arrest", "charge", "trial", "verdict", "sentence"]


def build(settings: Settings, n_cases: int, seed: int = 1) -> None:
    """A case database of ``n_cases`` cases with people, identities and justice events."""
    rng = np.random.default_rng(seed)
    engine = init_database(settings)
    start = dt.date(2019, 1, 1)
    opened = [start + dt.timedelta(days=int(d)) for d in rng.integers(0, 2000, n_cases)]
    owner = rng.integers(1, len(AGENCIES) + 1, n_cases)
    n_people = 2 * n_cases
    case_of = np.repeat(np.arange(1, n_cases + 1), 2)
    roles = np.tile(["victim", "suspect"], n_cases)
    # suspects go as far as a geometric number of stages
    reached = np.minimum(rng.geometric(0.35, n_cases) + 1, len(STAGES))
    ev_case, ev_person, ev_stage, ev_day, ev_place = [], [], [], [], []
    for i in range(n_cases):
        day = opened[i]
        for k in range(int(reached[i])):
            day = day + dt.timedelta(days=int(rng.integers(5, 120)))
            ev_case.append(i + 1)
            ev_person.append(2 * i + 2)
            ev_stage.append(STAGES[k])
            ev_day.append(day)
            ev_place.append(int(owner[i]))
    n_events = len(ev_case)
    frames = {
        "agencies": pl.DataFrame(
            {
                "id": range(1, len(AGENCIES) + 1),
                "code": AGENCIES,
                "name": AGENCIES,
                "org_type": ["LawEnforcement"] * len(AGENCIES),
                "country": COUNTRIES,
            }
        ),
        "jurisdictions": pl.DataFrame(
            {
                "id": range(1, 6),
                "country": COUNTRIES,
                "subdivision": [None, None, "TH-10", None, None],
                "name": ["Philippines", "Thailand", "Bangkok", "Cambodia", "Malaysia"],
            }
        ),
        "persons": pl.DataFrame(
            {
                "id": range(1, n_people + 1),
                "sex": rng.choice(["Female", "Male"], n_people).tolist(),
                "age_at_identification": rng.integers(12, 60, n_people).tolist(),
            }
        ),
        "person_identities": pl.DataFrame(
            {
                "person_id": range(1, n_people + 1, 2),
                "given_name": [f"Given{i}" for i in range(n_cases)],
                "family_name": [f"Family{i}" for i in range(n_cases)],
            }
        ),
        "cases": pl.DataFrame(
            {
                "id": range(1, n_cases + 1),
                "reference": [f"BENCH-{i:06d}" for i in range(1, n_cases + 1)],
                "status": rng.choice(["Active", "FollowUp", "Closed"], n_cases).tolist(),
                "exploitation_type": rng.choice(
                    ["SexualExploitation", "ForcedLabour", "ForcedMarriage"], n_cases
                ).tolist(),
                "owning_agency_id": owner.tolist(),
                "jurisdiction_id": owner.tolist(),
                "opened_on": opened,
                "extra": [{}] * n_cases,
            }
        ),
        "case_persons": pl.DataFrame(
            {
                "id": range(1, n_people + 1),
                "case_id": case_of.tolist(),
                "person_id": range(1, n_people + 1),
                "role": roles.tolist(),
                "methods_of_control": [[]] * n_people,
            }
        ),
        "justice_events": pl.DataFrame(
            {
                "id": range(1, n_events + 1),
                "case_id": ev_case,
                "person_id": ev_person,
                "stage": ev_stage,
                "occurred_on": ev_day,
                "jurisdiction_id": ev_place,
            }
        ),
    }
    insert_frames(engine, frames)
    with session_scope(engine) as s:
        create_user(s, "cw0", DEMO_PASSWORD, "caseworker", 1)
        create_user(s, "an0", DEMO_PASSWORD, "analyst")
    engine.dispose()
    print(f"built {n_cases:,} cases, {n_people:,} people, {n_events:,} justice events")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its children (the uvicorn workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            pids += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _cold_dashboard(settings: Settings) -> float:
    """Seconds to compute the dashboard's aggregates from scratch (no cache)."""
    from uncounted.justice import headlines
    from uncounted.store.crypto import keyring_from_settings
    from uncounted.store.db import make_engine
    from uncounted.web.routes.dashboard import dashboard_counts, justice_data

    engine = make_engine(settings.resolved_database_url, keyring_from_settings(settings))
    try:
        t0 = time.perf_counter()
        with session_scope(engine) as session:
            dashboard_counts(session)
        headlines(justice_data(engine))
        return time.perf_counter() - t0
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sign_in(url: str, user: str) -> dict[str, str]:
    """One signed-in session (the rate limit allows a few sign-ins per address; the clients
    of one role share a session cookie)."""
    with httpx.Client(base_url=url, timeout=30) as client:
        token = client.get("/api/signin").json()["csrf_token"]
        signed = client.post(
            "/api/signin",
            data={"username": user, "password": DEMO_PASSWORD, "csrf_token": token},
        )
        signed.raise_for_status()
        return {"uncounted_session": signed.cookies["uncounted_session"]}


async def _client(
    url: str, cookies: dict[str, str], seed: int, deadline: float, max_requests: int,
    timings: dict[str, list[float]],
) -> None:  # fmt: skip
    async with httpx.AsyncClient(base_url=url, timeout=600, cookies=cookies) as client:
        rng = random.Random(seed)
        visible = [r["id"] for r in (await client.get("/api/cases?per_page=200")).json()["rows"]]
        for n in range(max_requests):
            if time.perf_counter() > deadline:
                break
            kind = ("list", "case", "dashboard")[(n + seed) % 3]
            if kind == "list":
                params: dict[str, str | int] = {"page": rng.randint(1, 40)}
                if rng.random() < 0.5:
                    params["status"] = rng.choice(["Active", "Closed"])
                if rng.random() < 0.3:
                    params["stage"] = rng.choice(["arrest", "charge", "verdict"])
                path = "/cases"
            elif kind == "case":
                path, params = f"/cases/{rng.choice(visible)}", {}
            else:
                path, params = "/", {}
            t0 = time.perf_counter()
            response = await client.get(path, params=params)
            timings[kind].append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise RuntimeError(f"{path} {params}: {response.status_code}")


async def _load(
    url: str, sessions: list[dict[str, str]], clients: int, seconds: float, requests: int
) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"list": [], "case": [], "dashboard": []}
    deadline = time.perf_counter() + seconds
    await asyncio.gather(
        *(
            _client(url, sessions[i % len(sessions)], i, deadline, requests, timings)
            for i in range(clients)
        )
    )
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--requests", type=int, default=300, help="per client, at most")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--data", type=Path, help="reuse the database built here by a former run")
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="bench-web-"))
    settings = Settings(data_dir=data)
    settings.create_missing_keys()  # the benchmark's own keys, in its own data folder
    if (data / "uncounted.sqlite").exists():
        init_database(settings).dispose()  # upgrade a database built by an older version
    else:
        t0 = time.perf_counter()
        build(settings, args.cases)
        print(f"build: {time.perf_counter() - t0:.1f} s (data in {data})")
    cold = _cold_dashboard(settings)
    port = _free_port()
    env = {**os.environ, "UNCOUNTED_DATA_DIR": str(data)}
    env.pop("UNCOUNTED_DATABASE_URL", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uncounted.cli.main",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # worker processes take a while to import and start
            try:
                httpx.get(f"{url}/signin", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        sessions = [_sign_in(url, "cw0"), _sign_in(url, "an0")]
        # wait until every worker has warmed its dashboard (a fresh connection each time
        # reaches any of them): three quick answers in a row
        quick, t1 = 0, time.perf_counter()
        while quick < 3 * args.workers:
            with httpx.Client(base_url=url, timeout=1800, cookies=sessions[1]) as c:
                t2 = time.perf_counter()
                c.get("/").raise_for_status()
                quick = quick + 1 if time.perf_counter() - t2 < 0.2 else 0
        warm_wait = time.perf_counter() - t1
        server_cpu, client_cpu = _cpu_seconds(server.pid), time.process_time()
        load_start, wall = os.getloadavg()[0], time.perf_counter()
        timings = asyncio.run(_load(url, sessions, args.clients, args.seconds, args.requests))
        wall = time.perf_counter() - wall
        server_cpu = _cpu_seconds(server.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    print(
        f"\n{args.cases:,} cases, {args.clients} concurrent clients, SQLite, "
        f"{args.workers} uvicorn process(es)"
    )
    print(
        f"dashboard aggregates from scratch (baseline, in this process): {cold * 1000:,.0f} ms; "
        f"waited {warm_wait:.1f} s for the server to warm them"
    )
    print(f"{'page':<12}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    every: list[float] = []
    for kind, values in timings.items():
        arr = np.array(values) * 1000
        every += values
        print(f"{kind:<12}{arr.size:>10}{np.percentile(arr, 50):>10.1f}"
              f"{np.percentile(arr, 95):>10.1f}{arr.max():>10.1f}")  # fmt: skip
    arr = np.array(every) * 1000
    print(f"{'all':<12}{arr.size:>10}{np.percentile(arr, 50):>10.1f}"
          f"{np.percentile(arr, 95):>10.1f}{arr.max():>10.1f}")  # fmt: skip
    print(
        f"throughput {arr.size / wall:.0f} requests/s; CPU per request: server "
        f"{1000 * server_cpu / arr.size:.2f} ms, load generator {1000 * client_cpu / arr.size:.2f}"
        f" ms; load average {load_start:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print("goal: p95 < 150 ms")


if __name__ == "__main__":
    main()
