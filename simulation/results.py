"""Results folders: written atomically, read back for reports and tests.

A folder holds ``metadata.json`` (resolved scenario, seeds, versions, scale mapping, wall
time, and the content hash that says when it can be reused), ``timeseries.csv`` (one row
per replicate and day), ``creators.csv`` (final state of every creator), ``summary.json``
(end-of-run metrics, one entry per FACTS id) and ``figures/*.png``. Everything is written
to a hidden temporary folder beside the target and moved into place at the end
(:mod:`simulation.folders`), so an interrupted or failed run leaves nothing half-written.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import __version__
from simulation.figure_helper import FIGURE_FOLDER, FigureHelper, draw_figures
from simulation.folders import atomic_folder, replace_file
from simulation.runner import RunResult, finite
from simulation.scenario import Scenario


def _mean(values: list[Any]) -> Any:
    """Mean over replicates of numbers, recursively through dicts; other values from the first."""
    if values and isinstance(values[0], dict):
        keys = values[0].keys()
        return {k: _mean([(v or {}).get(k) for v in values]) for k in keys}
    nums = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if nums:
        return float(np.mean(nums))
    return values[0] if values else None


def summary(result: RunResult) -> dict[str, Any]:
    """End-of-run metrics: FACTS entries (mean and per replicate) and last-day time series."""
    facts = {}
    for fid, first in result.facts[0].items():
        per_rep = [f[fid]["value"] for f in result.facts]
        facts[fid] = {
            **{k: v for k, v in first.items() if k != "value"},
            "value": _mean(per_rep),
            "per_replicate": per_rep,
        }
    last = result.timeseries.groupby("replicate").tail(1).drop(columns=["replicate", "seed"])
    return {
        "scenario": result.scenario.name,
        "steps": result.steps,
        "step_unit": "day",
        "seeds": result.seeds,
        "facts": facts,
        "outcomes": _mean(result.outcomes),
        "outcomes_per_replicate": result.outcomes,
        "end_of_run_mean": {k: float(v) for k, v in last.mean().items()},
    }


# Modules that only read or present finished runs (comparisons, indicators, figures,
# reports, progress bars, the command line, the validation's tables and theory checks) or
# choose which runs to make and keep them (the calibration's search, whose stored runs are
# checked run by run; the counterfactuals, whose changes are in each run's parameters; the
# run store): changing them does not change a run's numbers, so they are left out of the
# code version.
PRESENTATION = frozenset(
    {
        "calibration.py",
        "cli.py",
        "compare.py",
        "counterfactuals.py",
        "figure_helper.py",
        "indicators.py",
        "limits.py",
        "plots.py",
        "progress.py",
        "report.py",
        "run_cache.py",
        "sweeps/analysis.py",
        "validation.py",
        "__main__.py",
    }
)


@functools.cache
def code_version() -> str:
    """Hash of the source files that produce a run's numbers: changes when the model does."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).as_posix() in PRESENTATION:
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def content_hash(scenario: Scenario, seeds: list[int], steps: int) -> str:
    """What a run's outputs depend on: parameters, seeds, days and code (not names or prose).

    Two runs with the same hash give byte-identical outputs, so a finished run whose
    ``metadata.json`` records the hash a new request computes can be reused as it is.
    """
    params = scenario.model_dump(
        mode="json",
        exclude={
            "name": True,
            "source": True,
            "description": True,
            "whatif": True,
            "run": {"seed", "replicates", "steps"},  # the seeds and steps run are in the key
        },
    )
    key = {"scenario": params, "seeds": seeds, "steps": steps, "code": code_version()}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def versions() -> dict[str, str]:
    """Versions of this package, its key dependencies and Python, for provenance records."""
    return {
        "creator-sim": __version__,
        "code": code_version(),
        "mesa": version("mesa"),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def metadata(result: RunResult) -> dict[str, Any]:
    """Provenance of a run: what ran, with which seeds and versions, and the scale mapping."""
    return {
        "scenario": result.scenario.model_dump(mode="json"),
        "scenario_file": result.scenario.source,
        "seeds": result.seeds,
        "steps": result.steps,
        "step_unit": "day",
        "content_hash": content_hash(result.scenario, result.seeds, result.steps),
        "versions": versions(),
        "scale_mapping": result.scale,
        "wall_time_s": round(result.wall_time, 3),
        "command": sys.argv,
    }


def write_json(path: Path, data: Any) -> None:
    """JSON with NaN and infinities as null, indented for people to read; written whole."""
    text = json.dumps(finite(data), indent=2, allow_nan=False, default=str) + "\n"
    replace_file(path, lambda tmp: tmp.write_text(text))


def write_results(
    result: RunResult,
    out: str | Path,
    figures: bool = True,
    helper: FigureHelper | None = None,
) -> Path:
    """Write a results folder atomically; an existing folder at ``out`` is replaced.

    The figures are drawn from the written files, with ``helper`` drawing half of them
    beside this process when one is given.
    """
    with atomic_folder(out) as tmp:
        write_json(tmp / "metadata.json", metadata(result))
        result.timeseries.to_csv(tmp / "timeseries.csv", index=False, float_format="%.10g")
        result.creators.to_csv(tmp / "creators.csv", index=False, float_format="%.10g")
        write_json(tmp / "summary.json", summary(result))
        if figures:
            (tmp / FIGURE_FOLDER).mkdir()
            if helper is not None:
                helper.draw(tmp)
            else:
                draw_figures(tmp)
    return Path(out).resolve()


def read_results(folder: str | Path) -> dict[str, Any]:
    """Load a results folder: metadata, summary, time series and creator table."""
    folder = Path(folder)
    return {
        "metadata": json.loads((folder / "metadata.json").read_text()),
        "summary": json.loads((folder / "summary.json").read_text()),
        "timeseries": pd.read_csv(folder / "timeseries.csv"),
        "creators": pd.read_csv(folder / "creators.csv"),
    }
