"""Finished runs kept by what they depend on (``*.runs.jsonl``), so a long job resumes.

A validation at the full baseline's population is many hours of runs, more than a working
session or a machine may last. Each :func:`~simulation.runner.run_model` result is stored
under a key made of everything it depends on (parameters, seed, days, warm-up days and the
model's code, :func:`~simulation.results.code_version`), appended as one line of JSON and
flushed to disk the moment the run finishes. Called again, the same work reads what is
stored and runs only the rest, so an interrupted job loses only the runs in flight, and a
larger job (more seeds) reuses a smaller one's runs. A run of other parameters or other
code has another key: nothing stale is ever read, and nothing needs ``--reset``.

The store is text, one run a line, so it can be committed beside the tables it makes and a
fresh clone resumes it (``docs/validation/*.runs.jsonl``); JSON's floats read back bit for
bit, so a resumed job writes the same files as one that ran straight through. One job
writes to a store at a time.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from simulation.results import code_version
from simulation.runner import as_completed, run_model, timed
from simulation.scenario import ScenarioError

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
    """Stored run_model results, by :func:`run_key`, in a JSON-lines file (None: in memory).

    Each line is one run: ``{"key", "seed", "wall_time" (seconds), "metrics"}``, the
    metrics as :func:`~simulation.runner.run_model` returned them (null if not measurable).
    """

    def __init__(self, path: str | Path | None = None) -> None:
        """Open (or create) the store; a last line cut short by a kill is dropped."""
        self.path = None if path is None else Path(path)
        self.metrics: dict[str, dict[str, Any] | None] = {}
        self.file = None
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = self.path.read_bytes() if self.path.exists() else b""
        whole = data.rfind(b"\n") + 1
        for number, line in enumerate(data[:whole].decode().splitlines(), start=1):
            try:
                run = json.loads(line)
                self.metrics.setdefault(run["key"], run["metrics"])
            except (ValueError, KeyError, TypeError) as err:
                raise ScenarioError(
                    f"{self.path}, line {number}: expected a stored run, a JSON object with"
                    f' "key" and "metrics" ({err})'
                ) from None
        self.file = open(self.path, "r+b" if data else "wb")  # noqa: SIM115 (closed by close())
        self.file.truncate(whole)
        self.file.seek(whole)

    def get(self, key: str) -> dict[str, Any] | None:
        """The metrics stored under ``key``, or None."""
        return self.metrics.get(key)

    def put(self, key: str, seed: int, seconds: float, metrics: Mapping[str, Any]) -> None:
        """Store one run, on disk before returning; a key already stored is left as it is."""
        if key in self.metrics:
            return
        run = {"key": key, "seed": seed, "wall_time": seconds, "metrics": metrics}
        line = json.dumps(run)
        self.metrics[key] = json.loads(line)["metrics"]  # as a resumed job reads it
        if self.file is not None:
            self.file.write(line.encode() + b"\n")
            self.file.flush()
            os.fsync(self.file.fileno())

    def __len__(self) -> int:
        return len(self.metrics)

    def close(self) -> None:
        """Close the file."""
        if self.file is not None:
            self.file.close()


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
    cache = RunCache() if cache is None else cache
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
