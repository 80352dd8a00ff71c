"""Calibration: the FACTS bands the baseline must hit, the free parameters, and the search.

Everything a calibration needs is declared here, in one place:

* the FACTS bands it fits, :data:`simulation.targets.TARGETS` (one table for metrics,
  calibration and validation);
* :data:`FREE_PARAMETERS` — the parameters the search may move, with plausible ranges,
  and :data:`SINGLE_TARGET` — those that exist to hit one number (declared in the report);
* :func:`loss` — squared distance outside the bands, in band widths;
* :func:`calibrate` — a multi-fidelity search with optuna: a TPE sampler proposes
  candidates, each runs one seed first and more only while it stays among the best
  (successive halving over seeds), so a session's budget goes to promising candidates.
  Every candidate uses the same seeds (common random numbers): differences between
  candidates are the parameters', not the dice's.
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

from simulation.folders import replace_file
from simulation.runner import parallel_map, replicate_seeds, run_model
from simulation.scenario import FLAT_PARAMS, Scenario
from simulation.targets import TARGETS

CAP = 2.0  # a target's distance counts at most this much, so one unreachable band cannot
# drown the others in the loss (it is still reported as missed)

# Parameters the search moves, with ranges a strategist would still call plausible.
FREE_PARAMETERS: dict[str, tuple[float, float]] = {
    "initial_follows": (0.5, 8.0),  # follows per fan at the start
    "creator_fame_sigma": (0.5, 4.0),  # how unequal pre-existing fame is
    "follow_prob": (0.001, 0.03),  # engaged non-follower follows
    "unfollow_rate": (0.02, 0.5),  # follows a fan drops per year whatever the trust
    "entry_rate": (0.1, 4.0),  # new creators per year / initial creators
    "trust_decay": (0.001, 0.02),  # daily fading of earned trust
    "trust_gain": (0.05, 0.4),  # trust gained by a good purchase
    "audience_elasticity": (0.0, 0.25),  # how fast per-follower pull falls with audience
    "stream_attendance": (0.05, 0.6),  # followers attending a stream
    "purchase_base": (0.1, 1.0),  # purchase chance at full trust, live, affordable
    "ad_cost_per_thousand": (5.0, 120.0),  # yuan per 1,000 real impressions bought
    "return_reference": (5.0, 60.0),  # return per yuan at which budgets stay put
    "budget_elasticity": (0.05, 1.0),  # how strongly budgets follow returns
}

# Free parameters that exist to hit one number, not to express a mechanism a seed
# describes: the report declares them beside that number (issue 10).
SINGLE_TARGET: dict[str, str] = {
    "return_reference": "F7.share_raising: the return per yuan below which a brand cuts its "
    "budget is not reported anywhere; it sets how many brands raise",
    "budget_elasticity": "F7.mean_raise: how strongly budgets follow returns sets the size "
    "of the average raise",
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


def run_candidate(
    base: Mapping[str, Any],
    names: tuple[str, ...],
    x: tuple[float, ...],
    seed: int,
    steps: int,
    warmup_days: int = 0,
) -> dict[str, Any]:
    """One candidate's metrics on one seed (a process-pool job)."""
    params = dict(base) | dict(zip(names, (float(v) for v in x), strict=True))
    return run_model(params, seed, steps, warmup_days)


@dataclass
class Calibration:
    """Result of a search: the best parameters, their metrics, and every evaluation."""

    best: dict[str, Any]
    history: list[dict[str, Any]]
    seeds: list[int]
    method: str


def calibrate(
    scenario: Scenario,
    seeds: int = 3,
    trials: int = 40,
    workers: int = 1,
    on_eval: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> Calibration:
    """Multi-fidelity search of :data:`FREE_PARAMETERS` against :data:`TARGETS` (optuna).

    Candidates come from a TPE sampler seeded by the scenario's seed, ``workers`` at a
    time (each batch runs in parallel). A candidate runs the first of ``seeds`` common
    seeds, reports the loss of its mean metrics, and runs the next seed only if the
    successive-halving pruner keeps it among the best third of candidates seen at that
    many seeds; a pruned candidate is kept in the history with the seeds it ran. The best
    candidate is the lowest loss among those that ran every seed. Reproducible at any
    number of workers; stops after ``trials`` candidates or when every band is hit.
    ``on_eval(evaluation, best)`` reports each finished candidate.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    names = tuple(FREE_PARAMETERS)
    base = scenario.model_params()
    run_seeds = replicate_seeds(scenario.run.seed, seeds)
    steps, warmup = scenario.run.steps, scenario.run.warmup_days
    study = optuna.create_study(
        sampler=optuna.samplers.TPESampler(seed=scenario.run.seed, n_startup_trials=10),
        pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
    )
    history: list[dict[str, Any]] = []
    best: dict[str, Any] = {"loss": math.inf}
    while len(history) < trials and best["loss"] > 0.0:
        batch = [study.ask() for _ in range(min(workers, trials - len(history)))]
        xs = [tuple(t.suggest_float(n, *FREE_PARAMETERS[n]) for n in names) for t in batch]
        runs: list[list[dict[str, Any]]] = [[] for _ in batch]
        alive = list(range(len(batch)))
        for rung, seed in enumerate(run_seeds):
            jobs = [(base, names, xs[i], seed, steps, warmup) for i in alive]
            for i, metrics in zip(alive, parallel_map(run_candidate, jobs, workers), strict=True):
                runs[i].append(metrics)
            kept = []
            for i in alive:
                batch[i].report(loss(mean_metrics(runs[i])), rung)
                if rung < len(run_seeds) - 1 and batch[i].should_prune():
                    study.tell(batch[i], state=optuna.trial.TrialState.PRUNED)
                else:
                    kept.append(i)
            alive = kept
        for i, trial in enumerate(batch):
            metrics = mean_metrics(runs[i])
            ev = {
                "params": dict(zip(names, xs[i], strict=True)),
                "metrics": {t.key: t.value(metrics) for t in TARGETS},
                "loss": loss(metrics),
                "seeds_run": len(runs[i]),
                "pruned": i not in alive,
            }
            if i in alive:
                study.tell(trial, ev["loss"])
                if ev["loss"] < best["loss"]:
                    best = ev
            history.append(ev)
            if on_eval is not None:
                on_eval(ev, best)
    return Calibration(best=best, history=history, seeds=run_seeds, method="optuna")


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
    replace_file(dest, lambda tmp: tmp.write_text(text, encoding="utf-8"))


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
            f"Method: optuna TPE with successive halving over seeds, "
            f"{len(FREE_PARAMETERS)} free parameters, {len(cal.history)} candidates "
            f"({sum(h['pruned'] for h in cal.history)} pruned after fewer seeds), each run "
            f"for {scenario.run.warmup_days} warm-up + {scenario.run.steps} measured days "
            f"on the same seeds {cal.seeds} (common random numbers). Loss: sum of squared "
            f"distances outside the bands in band widths, each capped at {CAP:g}. "
            f"Best loss {cal.best['loss']:.3f} (over all {len(cal.seeds)} seeds).",
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
            "Free parameters that exist to hit one number (declared, not mechanisms):",
            "",
            *(f"* `{n}` — {why}" for n, why in SINGLE_TARGET.items()),
            "",
            "The calibration runs few seeds per candidate; `creator-sim validate` checks the "
            "calibrated scenario over 10 seeds.",
            "",
        ]
    )
