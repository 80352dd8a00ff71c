"""``runs.sqlite``: one row per finished run, committed as it finishes (stdlib sqlite3, WAL).

Only the process that drives the sweep writes, one transaction per run, so a killed sweep
loses at most the runs in flight and never leaves a half-written row; the run index is
the primary key, so a run is never recorded twice.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from simulation.scenario import ScenarioError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY,   -- index in the design (point * seeds + replicate)
    point INTEGER NOT NULL,
    replicate INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    params TEXT NOT NULL,      -- JSON: parameter -> value
    status TEXT NOT NULL,      -- ok or failed
    error TEXT,                -- failed: what was raised, with scenario and seed
    wall_time REAL NOT NULL,   -- seconds
    metrics TEXT NOT NULL      -- JSON: metric -> value (null if not measurable)
);
"""


@dataclass(frozen=True)
class RunRow:
    """What one run produced."""

    run: int
    point: int
    replicate: int
    seed: int
    params: dict[str, float]
    status: str  # "ok" or "failed"
    error: str | None
    wall_time: float
    metrics: dict[str, float | None]


class RunStore:
    """The sweep's database: open it, see what is done, record runs, read them back."""

    SWEEP_CHANGED = (
        "the sweep file changed its parameters, ranges, design, samples, seeds, days, metrics "
        "or base scenario, or the model's code changed; rerun with --reset to discard them, "
        "or restore the sweep file"
    )

    def __init__(
        self, path: str | Path, fingerprint: str, *, reset: bool = False, changed: str = ""
    ) -> None:
        """Open (or create) the database; ``changed`` says what a foreign fingerprint means."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        old = self.db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        if old and old[0] != fingerprint:
            if not reset:
                n = self.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
                self.db.close()
                raise ScenarioError(
                    f"{self.path}: holds {n} run(s) of another design "
                    f"({changed or self.SWEEP_CHANGED})"
                )
            self.db.execute("DELETE FROM runs")
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (fingerprint,))

    def done(self) -> set[int]:
        """Indices of the runs recorded (finished or failed)."""
        return {r for (r,) in self.db.execute("SELECT run FROM runs")}

    def record(self, row: RunRow) -> None:
        """Commit one run (its own transaction); a run already recorded is left as it is."""
        d = asdict(row)
        d["params"], d["metrics"] = json.dumps(row.params), json.dumps(row.metrics)
        self.db.execute(
            "INSERT OR IGNORE INTO runs VALUES "
            "(:run, :point, :replicate, :seed, :params, :status, :error, :wall_time, :metrics)",
            d,
        )

    def recorded(self) -> dict[int, tuple[dict[str, float], dict[str, float | None]]]:
        """Every recorded run's parameters and metrics, by run index."""
        rows = self.db.execute("SELECT run, params, metrics FROM runs").fetchall()
        return {run: (json.loads(p), json.loads(m)) for run, p, m in rows}

    def frame(self) -> pd.DataFrame:
        """Every recorded run, parameters and metrics as columns, ordered by run."""
        rows = pd.read_sql_query("SELECT * FROM runs ORDER BY run", self.db)
        params = pd.json_normalize(rows.pop("params").map(json.loads).tolist())
        metrics = pd.json_normalize(rows.pop("metrics").map(json.loads).tolist())
        params.columns = [f"param.{c}" for c in params.columns]
        metrics.columns = [f"metric.{c}" for c in metrics.columns]
        return pd.concat([rows, params, metrics], axis=1)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()
