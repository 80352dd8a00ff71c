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

import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulation.folders import replace_file
from simulation.results import content_hash
from simulation.runner import as_completed, replicate_seeds, run_model, timed
from simulation.scenario import FLAT_PARAMS, Scenario, ScenarioError
from simulation.sweeps.store import RunRow, RunStore
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
    """Result of a search: the best parameters, their metrics, and every evaluation.

    Each evaluation (a dict) holds ``candidate`` (its number in the search), ``stage``
    ("search", or "confirm" for a rerun at the scenario's own population), ``params``,
    ``metrics`` (target key -> mean over the seeds it ran), ``loss``, ``seeds_run`` and
    ``pruned``.
    """

    best: dict[str, Any]
    history: list[dict[str, Any]]
    seeds: list[int]
    method: str
    population: tuple[int, int] | None = None  # (fans, creators) searched, None: the scenario's
    confirmed: list[dict[str, Any]] = field(default_factory=list)  # the "confirm" evaluations


CONFIRM_RUNS = 10**6  # run numbers of the confirmation stage start here (x seeds)


def at_population(scenario: Scenario, fans: int, creators: int) -> Scenario:
    """The same market at another population (its scale factor follows, FACTS' last note)."""
    pop = scenario.population.model_copy(update={"n_fans": fans, "n_creators": creators})
    return scenario.model_copy(update={"population": pop})


def starting_point(scenario: Scenario) -> dict[str, float]:
    """The scenario's own values of the free parameters, clipped to their ranges.

    The search tries it first, so a calibration never reports a fit worse than the file
    it started from.
    """
    params = scenario.model_params()
    return {n: min(max(float(params[n]), lo), hi) for n, (lo, hi) in FREE_PARAMETERS.items()}


def fingerprint(scenario: Scenario, seeds: int, population: tuple[int, int] | None) -> str:
    """What a calibration's runs depend on: scenario, seeds, search population, ranges, code.

    A run store made with another fingerprint holds another calibration's runs.
    """
    key = {
        "scenario": content_hash(scenario, replicate_seeds(scenario.run.seed, seeds), 0),
        "steps": [scenario.run.steps, scenario.run.warmup_days],
        "population": population,
        "free": FREE_PARAMETERS,
        "targets": [(t.key, t.lo, t.hi) for t in TARGETS],
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


class _Runs:
    """Candidates' runs, read from the store when a previous (interrupted) call made them.

    The search is deterministic given its runs' results, so a rerun replays the same
    candidates and only the runs that are not stored are computed; each is stored as it
    finishes (a kill loses only the runs in flight).
    """

    def __init__(self, store: RunStore | None, workers: int, n_seeds: int) -> None:
        self.store, self.workers, self.n_seeds = store, workers, n_seeds
        self.known = {} if store is None else store.recorded()

    def metrics(
        self, scenario: Scenario, runs: list[tuple[int, tuple[float, ...], int]]
    ) -> list[dict[str, Any]]:
        """Metrics of each ``(candidate number, x, seed number)`` run of ``scenario``.

        The runs that are not stored run in parallel, each stored as it finishes.
        """
        names, base = tuple(FREE_PARAMETERS), scenario.model_params()
        steps, warmup = scenario.run.steps, scenario.run.warmup_days
        out: list[dict[str, Any] | None] = []
        todo = []
        for k, (number, x, s) in enumerate(runs):
            run = number * self.n_seeds + s
            params = dict(zip(names, x, strict=True))
            stored = self.known.get(run)
            if stored is not None and stored[0] != params:
                raise ScenarioError(
                    f"{self.store.path}: run {run} was made with other parameters; the store "
                    "belongs to another search (rerun with --reset to discard it)"
                )
            out.append(None if stored is None else stored[1])
            if stored is None:
                seed = scenario.run.seed + s
                todo.append((k, run, params, s, (base, names, x, seed, steps, warmup)))
        jobs = [(run_candidate, *job) for *_, job in todo]
        for i, (result, seconds) in as_completed(timed, jobs, self.workers):
            k, run, params, s, job = todo[i]
            out[k] = result
            if self.store is not None:
                point = run // self.n_seeds
                row = RunRow(run, point, s, job[3], params, "ok", None, seconds, result)
                self.store.record(row)
        return out


def calibrate(
    scenario: Scenario,
    seeds: int = 3,
    trials: int = 40,
    workers: int = 1,
    *,
    population: tuple[int, int] | None = None,
    confirm: int = 0,
    store: RunStore | None = None,
    on_eval: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> Calibration:
    """Multi-fidelity search of :data:`FREE_PARAMETERS` against :data:`TARGETS` (optuna).

    Two fidelities, for a search that fits in a session at a population that takes many
    minutes a run:

    * **seeds**: candidates come from a TPE sampler seeded by the scenario's seed,
      ``workers`` at a time; the first is the scenario's own values
      (:func:`starting_point`). A candidate runs the first of ``seeds`` common seeds,
      reports the loss of its mean metrics, and runs the next seed only if the
      successive-halving pruner keeps it among the best third of candidates seen at that
      many seeds; a pruned candidate is kept in the history with the seeds it ran.
    * **population**: with ``population = (fans, creators)`` the search runs that smaller
      market (shares and rates are scale-free; thresholds follow the scale factor) and
      the ``confirm`` best candidates that ran every seed are rerun at the scenario's own
      population on the same seeds; the best is the lowest loss among those.

    Without confirmation the best is the lowest loss among candidates that ran every seed.
    Reproducible at any number of workers; stops after ``trials`` candidates or when every
    band is hit. ``store`` keeps every run as it finishes: called again after an
    interruption, the search replays to the same candidates and computes only what is
    missing. ``on_eval(evaluation, best)`` reports each finished candidate.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    names = tuple(FREE_PARAMETERS)
    searched = scenario if population is None else at_population(scenario, *population)
    run_seeds = replicate_seeds(scenario.run.seed, seeds)
    runs = _Runs(store, workers, seeds)
    study = optuna.create_study(
        sampler=optuna.samplers.TPESampler(seed=scenario.run.seed, n_startup_trials=10),
        pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
    )
    study.enqueue_trial(starting_point(scenario))
    history: list[dict[str, Any]] = []
    best: dict[str, Any] = {"loss": math.inf}
    while len(history) < trials and best["loss"] > 0.0:
        batch = [study.ask() for _ in range(min(workers, trials - len(history)))]
        xs = [tuple(t.suggest_float(n, *FREE_PARAMETERS[n]) for n in names) for t in batch]
        numbers = [len(history) + i for i in range(len(batch))]
        results: list[list[dict[str, Any]]] = [[] for _ in batch]
        alive = list(range(len(batch)))
        for rung in range(seeds):
            done = runs.metrics(searched, [(numbers[i], xs[i], rung) for i in alive])
            for i, metrics in zip(alive, done, strict=True):
                results[i].append(metrics)
            kept = []
            for i in alive:
                batch[i].report(loss(mean_metrics(results[i])), rung)
                if rung < seeds - 1 and batch[i].should_prune():
                    study.tell(batch[i], state=optuna.trial.TrialState.PRUNED)
                else:
                    kept.append(i)
            alive = kept
        for i, trial in enumerate(batch):
            ev = _evaluation(numbers[i], "search", xs[i], results[i], pruned=i not in alive)
            if i in alive:
                study.tell(trial, ev["loss"])
                if ev["loss"] < best["loss"]:
                    best = ev
            history.append(ev)
            if on_eval is not None:
                on_eval(ev, best)
    confirmed: list[dict[str, Any]] = []
    if population is not None and confirm > 0:
        ranked = sorted((h for h in history if not h["pruned"]), key=lambda h: h["loss"])
        chosen = ranked[:confirm]
        xs = [tuple(h["params"][n] for n in names) for h in chosen]
        numbers = [CONFIRM_RUNS + h["candidate"] for h in chosen]
        # Every (candidate, seed) at once: the runs are long and the workers many.
        pairs = [(c, s) for c in range(len(chosen)) for s in range(seeds)]
        done = runs.metrics(scenario, [(numbers[c], xs[c], s) for c, s in pairs])
        results = [[m for (c, _), m in zip(pairs, done, strict=True) if c == k]
                   for k in range(len(chosen))]  # fmt: skip
        for h, x, r in zip(chosen, xs, results, strict=True):
            ev = _evaluation(h["candidate"], "confirm", x, r, pruned=False)
            ev["search_loss"] = h["loss"]
            confirmed.append(ev)
            if on_eval is not None:
                on_eval(ev, min(confirmed, key=lambda c: c["loss"]))
        best = min(confirmed, key=lambda c: c["loss"])
    return Calibration(
        best=best,
        history=history,
        seeds=run_seeds,
        method="optuna",
        population=population,
        confirmed=confirmed,
    )


def _evaluation(
    candidate: int, stage: str, x: tuple[float, ...], runs: list[dict[str, Any]], *, pruned: bool
) -> dict[str, Any]:
    metrics = mean_metrics(runs)
    return {
        "candidate": candidate,
        "stage": stage,
        "params": dict(zip(FREE_PARAMETERS, x, strict=True)),
        "metrics": {t.key: t.value(metrics) for t in TARGETS},
        "loss": loss(metrics),
        "seeds_run": len(runs),
        "pruned": pruned,
    }


def evidence(history: list[dict[str, Any]], best: dict[str, Any]) -> list[dict[str, Any]]:
    """What moves each target the best candidate misses, over the search's candidates.

    For each missed target: the two free parameters whose values rank-correlate most
    strongly with the target's value (Spearman), and the target whose distance from its
    band moves most against this one's (the most negative Spearman correlation of the two
    distances: improving one tends to worsen the other), with the best value any candidate
    reached. Candidates that measured the target count (at least 5 are needed).
    """
    from scipy.stats import spearmanr

    out = []
    for t in TARGETS:
        v = best["metrics"].get(t.key)
        if v is not None and t.distance(v) == 0:
            continue
        rows = [h for h in history if h["metrics"].get(t.key) is not None]
        if len(rows) < 5:
            continue
        values = np.array([h["metrics"][t.key] for h in rows], float)
        drivers = []
        for name in FREE_PARAMETERS:
            rho = spearmanr([h["params"][name] for h in rows], values).statistic
            if np.isfinite(rho):
                drivers.append((name, float(rho)))
        drivers.sort(key=lambda d: -abs(d[1]))
        own = [t.distance(h["metrics"][t.key]) for h in rows]
        conflict = None
        for other in TARGETS:
            if other.key == t.key or len({*own}) < 2:
                continue
            theirs = [other.distance(h["metrics"].get(other.key)) for h in rows]
            rho = spearmanr(own, theirs).statistic if len({*theirs}) > 1 else np.nan
            if np.isfinite(rho) and (conflict is None or rho < conflict[1]):
                conflict = (other.key, float(rho))
        closest = min(rows, key=lambda h: t.distance(h["metrics"][t.key]))
        out.append(
            {
                "target": t.key,
                "best": v,
                "closest": closest["metrics"][t.key],
                "drivers": drivers[:2],
                "conflict": conflict if conflict and conflict[1] < 0 else None,
            }
        )
    return out


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
    searched = scenario if cal.population is None else at_population(scenario, *cal.population)
    search_best = min(
        (h for h in cal.history if not h["pruned"]), key=lambda h: h["loss"], default=cal.best
    )
    rows = []
    for t in TARGETS:
        cells = []
        for ev in [search_best, cal.best] if cal.confirmed else [cal.best]:
            v = ev["metrics"].get(t.key)
            cells.append("not measurable" if v is None else f"{v:.3g}")
        v = cal.best["metrics"].get(t.key)
        hit = v is not None and t.distance(v) == 0
        rows.append(f"| {t.id} | {t.label} | {' | '.join(cells)} | {t.band()} | "
                    f"{'yes' if hit else 'no'} |")  # fmt: skip
    params = [
        f"| `{n}` | {lo:g} to {hi:g} | {starting_point(scenario)[n]:.4g} | "
        f"{cal.best['params'][n]:.4g} |"
        for n, (lo, hi) in FREE_PARAMETERS.items()
    ]
    where = f"{searched.population.n_fans:,} fans and {searched.population.n_creators:,} creators"
    method = [
        f"Method: optuna TPE with successive halving over seeds, "
        f"{len(FREE_PARAMETERS)} free parameters, {len(cal.history)} candidates "
        f"({sum(h['pruned'] for h in cal.history)} pruned after fewer seeds; the first is "
        f"the scenario's own values), each run at {where} for "
        f"{scenario.run.warmup_days} warm-up + {scenario.run.steps} measured days on the "
        f"same seeds {cal.seeds} (common random numbers). Loss: sum of squared distances "
        f"outside the bands in band widths, each capped at {CAP:g}.",
    ]
    if cal.confirmed:
        full = (
            f"{scenario.population.n_fans:,} fans and {scenario.population.n_creators:,} creators"
        )
        method.append(
            f"Second fidelity: the best {len(cal.confirmed)} of the candidates that ran every "
            f"seed were rerun at the scenario's own population ({full}) on the same seeds; the "
            f"calibrated values are the best there (loss {cal.best['loss']:.3f}; it scored "
            f"{cal.best['search_loss']:.3f} in the search, whose best scored "
            f"{search_best['loss']:.3f})."
        )
        confirmed = [
            "| candidate | loss in the search | loss at the scenario's population |",
            "|---|---|---|",
            *(
                f"| {c['candidate']} | {c['search_loss']:.3f} | {c['loss']:.3f} |"
                for c in cal.confirmed
            ),
            "",
        ]
        columns = (
            "| id | target | best in the search | calibrated, at full population | band | in band |"
        )
        rule = "|---|---|---|---|---|---|"
    else:
        method.append(f"Best loss {cal.best['loss']:.3f} (over all {len(cal.seeds)} seeds).")
        confirmed = []
        columns, rule = "| id | target | best candidate | band | in band |", "|---|---|---|---|---|"
    return "\n".join(
        [
            f"# Calibration of `{scenario.name}`",
            "",
            " ".join(method),
            "",
            f"Reproduce: `{command}`",
            "",
            f"Scale mapping: {_scale_line(scenario)}",
            *([f"Searched at: {_scale_line(searched)}"] if cal.population else []),
            "",
            *confirmed,
            columns,
            rule,
            *rows,
            "",
            "| free parameter | range searched | scenario's value | calibrated |",
            "|---|---|---|---|",
            *params,
            "",
            *_evidence_lines(cal),
            "Free parameters that exist to hit one number (declared, not mechanisms):",
            "",
            *(f"* `{n}` — {why}" for n, why in SINGLE_TARGET.items()),
            "",
            "The calibration runs few seeds per candidate; `creator-sim validate` checks the "
            "calibrated scenario over 10 seeds.",
            "",
        ]
    )


def _evidence_lines(cal: Calibration) -> list[str]:
    """The report's table of what moves each missed target (:func:`evidence`)."""
    found = evidence(cal.history, cal.best)
    if not found:
        return []

    def fmt(v: float | None) -> str:
        return "not measurable" if v is None else f"{v:.3g}"

    lines = [
        f"What moves each missed target over the {len(cal.history)} candidates of the search "
        "(Spearman rank correlations with the parameters; the conflict is the target whose "
        "distance from its band moves most against this one's):",
        "",
        "| target | calibrated | closest a candidate came in the search | moved most by | "
        "conflicts with |",
        "|---|---|---|---|---|",
    ]
    for e in found:
        drivers = ", ".join(f"`{n}` ({rho:+.2f})" for n, rho in e["drivers"])
        conflict = f"{e['conflict'][0]} ({e['conflict'][1]:+.2f})" if e["conflict"] else "none"
        lines.append(
            f"| {e['target']} | {fmt(e['best'])} | {fmt(e['closest'])} | {drivers} | {conflict} |"
        )
    return [*lines, ""]
