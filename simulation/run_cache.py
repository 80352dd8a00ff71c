"""Finished runs kept by what they depend on (``*.runs.sqlite``), so a long job resumes.

A validation at the full baseline's population is many hours of runs. Each
:func:`~simulation.runner.run_model` result is stored under a key made of everything it
depends on (parameters, seed, days, warm-up days and the model's code,
:func:`~simulation.results.code_version`), committed the moment the run finishes (stdlib
sqlite3, WAL, one transaction per run). Called again, the same work reads what is stored
and runs only the rest, so an interrupted job loses only the runs in flight, and a larger
job (more seeds) reuses a smaller one's runs. A run of other parameters or other code has
another key: nothing stale is ever read, and nothing needs ``--reset``.

Metrics are stored as JSON, whose floats read back bit for bit, so a resumed job writes
the same files as one that ran straight through.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from simulation.results import code_version
from simulation.runner import as_completed, run_model, timed

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,      -- run_key(): parameters, seed, days, warm-up and code
    seed INTEGER NOT NULL,
    wall_time REAL NOT NULL,   -- seconds
    metrics TEXT NOT NULL      -- JSON: run_model's metrics (null if not measurable)
);
"""

Job = tuple[Mapping[str, Any], int, int, int]  # run_model's (params, seed, steps, warmup_days)


def run_key(params: Mapping[str, Any], seed: int, steps: int, warmup_days: int) -> str:
    """What :func:`~simulation.runner.run_model`'s result depends on, as one hash."""
    key = {
        "params": params,
        "seed": seed,
        "steps": steps,
        "warmup_days": warmup_days,
        "code": code_version(),
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


class RunCache:
    """Stored run_model results, by :func:`run_key` (``":memory:"`` keeps them in memory)."""

    def __init__(self, path: str | Path) -> None:
        """Open (or create) the store."""
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def get(self, key: str) -> dict[str, Any] | None:
        """The metrics stored under ``key``, or None."""
        row = self.db.execute("SELECT metrics FROM runs WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: str, seed: int, seconds: float, metrics: Mapping[str, Any]) -> None:
        """Commit one run (its own transaction); a key already stored is left as it is."""
        self.db.execute(
            "INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?)",
            (key, seed, seconds, json.dumps(metrics)),
        )

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def close(self) -> None:
        """Close the connection."""
        self.db.close()


def cached_runs(
    jobs: list[Job],
    workers: int,
    cache: RunCache | None = None,
    on_run: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """``run_model(*job)`` for every job, in job order; stored ones are read, not run.

    The others run on ``workers`` processes, each stored as it finishes (in memory when
    ``cache`` is None). Jobs with the same key run once. ``on_run()`` is called once per
    job: at once for a stored one, as it finishes for the others.
    """
    cache = RunCache(":memory:") if cache is None else cache
    keys = [run_key(*job) for job in jobs]
    out: list[dict[str, Any] | None] = [cache.get(k) for k in keys]
    todo: dict[str, int] = {}  # key -> first job with it
    for i, (k, result) in enumerate(zip(keys, out, strict=True)):
        if result is None:
            todo.setdefault(k, i)
        elif on_run is not None:
            on_run()
    first = list(todo.values())
    for j, (result, seconds) in as_completed(
        timed, [(run_model, *jobs[i]) for i in first], workers
    ):
        i = first[j]
        cache.put(keys[i], jobs[i][1], seconds, result)
        for m, k in enumerate(keys):
            if k == keys[i]:
                out[m] = cache.get(k)  # as stored: the same values a resumed job reads
                if on_run is not None:
                    on_run()
    return out
