"""Calibration: the FACTS bands the baseline must hit, the free parameters, and the search.

Everything a calibration needs is declared here, in one place:

* the FACTS bands it fits, :data:`simulation.targets.TARGETS` (one table for metrics,
  calibration and validation);
* :data:`FREE_PARAMETERS` — the parameters the search may move, with plausible ranges;
* :func:`loss` — squared distance outside the bands, in band widths;
* :func:`calibrate` — SciPy's differential evolution over the free parameters with common
  random numbers: every candidate runs the same seeds, so differences between candidates
  are the parameters', not the dice's.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import differential_evolution

from simulation.runner import parallel_map, replicate_seeds, run_model
from simulation.scenario import FLAT_PARAMS, Scenario
from simulation.targets import TARGETS

CAP = 2.0  # a target's distance counts at most this much, so one unreachable band cannot
# drown the others in the loss (it is still reported as missed)

# Parameters the search moves, with ranges a strategist would still call plausible.
FREE_PARAMETERS: dict[str, tuple[float, float]] = {
    "initial_follows": (0.5, 6.0),  # follows per fan at the start
    "creator_fame_sigma": (0.5, 3.0),  # how unequal pre-existing fame is
    "follow_prob": (0.01, 0.12),  # engaged non-follower follows
    "entry_rate": (0.1, 2.0),  # new creators per year / initial creators
    "trust_decay": (0.001, 0.02),  # daily fading of trust
    "trust_gain": (0.05, 0.4),  # trust gained by a good purchase
    "stream_attendance": (0.05, 0.6),  # followers attending a stream
    "purchase_base": (0.1, 1.0),  # purchase chance at full trust, live, affordable
    "ad_cost_per_thousand": (5.0, 120.0),  # yuan per 1,000 real impressions bought
    "return_reference": (5.0, 60.0),  # return per yuan at which budgets stay put
    "budget_elasticity": (0.05, 1.0),  # how strongly budgets follow returns
}


def target_distances(metrics: Mapping[str, Any]) -> list[float]:
    """Each target's distance outside its band, in the order of :data:`TARGETS`."""
    return [t.distance(t.value(metrics)) for t in TARGETS]


def loss(metrics: Mapping[str, Any]) -> float:
    """Sum of squared (capped) distances outside the bands; 0 when every band is hit."""
    return float(sum(min(d, CAP) ** 2 for d in target_distances(metrics)))


def mean_metrics(runs: list[Mapping[str, Any]]) -> dict[str, float | None]:
    """Mean over runs of every metric (None where no run measured it)."""
    keys = sorted({k for r in runs for k in r})
    out: dict[str, float | None] = {}
    for k in keys:
        vals = [r.get(k) for r in runs]
        nums = [v for v in vals if isinstance(v, int | float) and math.isfinite(v)]
        out[k] = float(np.mean(nums)) if nums else None
    return out


def evaluate(
    base: Mapping[str, Any],
    names: tuple[str, ...],
    x: np.ndarray,
    seeds: list[int],
    steps: int,
    warmup_days: int = 0,
) -> dict[str, Any]:
    """Run one candidate on the common seeds; its parameters, mean metrics and loss."""
    params = dict(base) | dict(zip(names, (float(v) for v in x), strict=True))
    runs = [run_model(params, s, steps, warmup_days) for s in seeds]
    metrics = mean_metrics(runs)
    return {
        "params": {n: params[n] for n in names},
        "metrics": {t.key: t.value(metrics) for t in TARGETS},
        "loss": loss(metrics),
    }


@dataclass
class Calibration:
    """Result of a search: the best parameters, their metrics, and every evaluation."""

    best: dict[str, Any]
    history: list[dict[str, Any]]
    seeds: list[int]
    method: str


def calibrate(
    scenario: Scenario,
    seeds: int = 1,
    generations: int = 8,
    popsize: int = 2,
    max_evals: int | None = None,
    workers: int = 1,
    on_eval: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> Calibration:
    """Differential evolution of :data:`FREE_PARAMETERS` against :data:`TARGETS`.

    Candidates of a generation are evaluated together on ``workers`` processes; every
    candidate uses the same ``seeds`` replicate seeds of the scenario (common random
    numbers) and the search's own randomness is seeded by the scenario's seed, so a
    calibration is reproducible. The search stops after ``generations``, or at the end of
    the generation in which ``max_evals`` candidates have been run, or when every band is
    hit. ``on_eval(evaluation, best)`` reports progress.
    """
    names = tuple(FREE_PARAMETERS)
    bounds = [FREE_PARAMETERS[n] for n in names]
    base = scenario.model_params()
    run_seeds = replicate_seeds(scenario.run.seed, seeds)
    history: list[dict[str, Any]] = []
    best: dict[str, Any] = {"loss": math.inf}

    def batch(_func: Any, xs: Any) -> list[float]:
        # differential_evolution hands a generation's candidates to this map; evaluating
        # them here (not through its objective) keeps every candidate's metrics.
        nonlocal best
        results = parallel_map(
            evaluate,
            [(base, names, x, run_seeds, scenario.run.steps, scenario.run.warmup_days) for x in xs],
            workers,
        )
        for r in results:
            history.append(r)
            if r["loss"] < best["loss"]:
                best = r
            if on_eval is not None:
                on_eval(r, best)
        return [r["loss"] for r in results]

    def stop(*_: Any) -> bool:
        return best["loss"] == 0.0 or (max_evals is not None and len(history) >= max_evals)

    differential_evolution(
        _unused_objective,
        bounds,
        maxiter=generations,
        popsize=popsize,
        init="latinhypercube",
        seed=scenario.run.seed,
        workers=batch,
        updating="deferred",
        polish=False,
        tol=0.0,
        callback=stop,
    )
    return Calibration(best=best, history=history, seeds=run_seeds, method="differential_evolution")


def _unused_objective(x: np.ndarray) -> float:
    """Placeholder objective: ``calibrate`` evaluates candidates in its own map."""
    raise RuntimeError("candidates are evaluated by calibrate's batch map")


def _aligned(m: re.Match, value: str) -> str:
    """``name = value`` with the line's comment kept in its column where it fits."""
    left = m.group(1) + value
    comment = m.group(4) or ""
    if not comment:
        return left
    column = len(m.group(0)) - len(comment)
    return f"{left:<{column - 1}} {comment}"


def write_calibrated(source: Path, params: Mapping[str, float], dest: Path, note: str) -> None:
    """Copy a scenario file with the free parameters' values replaced, comments kept.

    Each parameter's ``name = value`` line is rewritten in place (or added to its section
    when the file inherits it through ``extends``); ``note`` replaces the
    file's ``# Status:`` comment block (it and the comment lines that follow it).
    """
    text = source.read_text(encoding="utf-8")
    for name, value in params.items():
        if name not in FLAT_PARAMS:
            raise KeyError(f"{name} is not a scenario parameter")
        pattern = re.compile(rf"^(\s*{re.escape(name)}\s*=\s*)([^#\n]*?)(\s*(#.*)?)$", re.M)
        text, n = pattern.subn(lambda m, v=f"{value:.4g}": _aligned(m, v), text, count=1)
        if n == 0:  # the file inherits it (extends): set it under its section
            section = FLAT_PARAMS[name][0]
            header = re.compile(rf"^\[{section}\][^\n]*\n", re.M)
            line = f"{name} = {value:.4g}  # calibrated\n"
            text, n = header.subn(lambda m, line=line: m.group(0) + line, text, count=1)
            if n == 0:
                text = text.rstrip("\n") + f"\n\n[{section}]\n{line}"
    text = text.rstrip("\n") + "\n"
    extends = re.compile(r'^(extends\s*=\s*)"([^"]*)"', re.M)
    base_dir, dest_dir = source.resolve().parent, dest.resolve().parent
    text = extends.sub(
        lambda m: f'{m.group(1)}"{os.path.relpath(base_dir / m.group(2), dest_dir)}"', text
    )
    status = re.compile(r"^# Status:[^\n]*\n(?:# [^\n]*\n)*", re.M)
    text = status.sub(note, text, count=1)
    tmp = dest.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(dest)


def _scale_line(scenario: Scenario) -> str:
    """The scale mapping in one sentence (full record in report.json)."""
    from simulation.scale import ScaleMapping

    d = ScaleMapping.from_scenario(scenario).describe()
    tiers = ", ".join(
        f"{name} from {v['simulated_followers'][0]:.3g}" for name, v in d["tiers"].items()
    )
    return (
        f"population scale factor, one simulated fan = "
        f"{d['real_users_per_simulated_fan']:,.0f} real users; tiers in simulated "
        f"followers: {tiers}."
    )


def report(cal: Calibration, scenario: Scenario, command: str) -> str:
    """A Markdown report: what was searched, the best fit against every band, how to redo it."""
    rows = []
    for t in TARGETS:
        v = cal.best["metrics"].get(t.key)
        hit = v is not None and t.distance(v) == 0
        shown = "not measurable" if v is None else f"{v:.3g}"
        rows.append(f"| {t.id} | {t.label} | {shown} | {t.band()} | {'yes' if hit else 'no'} |")
    params = [
        f"| `{n}` | {lo:g} to {hi:g} | {cal.best['params'][n]:.4g} |"
        for n, (lo, hi) in FREE_PARAMETERS.items()
    ]
    return "\n".join(
        [
            f"# Calibration of `{scenario.name}`",
            "",
            f"Method: SciPy {cal.method} over {len(FREE_PARAMETERS)} free parameters, "
            f"{len(cal.history)} candidates, each run for {scenario.run.steps} days on the "
            f"same seeds {cal.seeds} (common random numbers). Loss: sum of squared distances "
            f"outside the bands in band widths, each capped at {CAP:g}. "
            f"Best loss {cal.best['loss']:.3f}.",
            "",
            f"Reproduce: `{command}`",
            "",
            f"Scale mapping: {_scale_line(scenario)}",
            "",
            "| id | target | best candidate | band | in band |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "| free parameter | range searched | calibrated |",
            "|---|---|---|",
            *params,
            "",
            "The calibration runs few seeds per candidate; `creator-sim validate` checks the "
            "calibrated scenario over 10 seeds.",
            "",
        ]
    )
