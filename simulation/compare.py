"""Compare what-if scenarios with a baseline: common seeds, reused runs, paired differences.

Every scenario runs on the same seeds as the baseline (common random numbers), so the
difference seed by seed holds the seed's luck fixed and the 90% interval of the mean
paired difference is narrower than two separate spreads. A run is stored in
``<root>/compare/runs/<scenario>/seed-<seed>/`` with the content hash of what it depends
on (parameters, seed, days, code); a later comparison reuses it only when the hash it
computes is the one recorded, and reruns it otherwise. Runs are independent jobs with
their own seeds, so the answer is the same on any number of workers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simulation.folders import atomic_folder, inside
from simulation.indicators import ROLLING_DAYS, Indicator, indicators, window_of
from simulation.results import content_hash, write_results
from simulation.runner import flat_facts, replicate_seeds, run_scenario, worker_pool
from simulation.scenario import Scenario, ScenarioError, validate
from simulation.targets import REPORTED, TARGETS, Target

LEVEL = 0.90  # two-sided level of every interval of a comparison


@dataclass(frozen=True)
class Difference:
    """One indicator of one scenario against the baseline, paired by seed."""

    scenario: str
    indicator: str
    label: str
    unit: str
    first_day: int  # measured days read, inclusive
    last_day: int
    baseline: float  # mean over seeds
    value: float  # mean over seeds
    difference: float  # mean paired difference, value - baseline
    low: float  # 90% interval of the mean difference (t, paired by seed)
    high: float
    n: int  # seeds with both values
    watched: bool  # the indicator the scenario's [whatif] names

    @classmethod
    def paired(
        cls,
        values: Sequence[float | None],
        baseline: Sequence[float | None],
        *,
        scenario: str,
        indicator: str,
        label: str,
        unit: str,
        days: tuple[int, int],
        watched: bool = False,
    ) -> Difference:
        """The difference of ``values`` from ``baseline``, seed by seed (None: not measured)."""
        v, b = np.array(values, float), np.array(baseline, float)
        mean, low, high, n = paired_interval(v, b)
        return cls(
            scenario,
            indicator,
            label,
            unit,
            *days,
            float(np.nanmean(b)) if np.isfinite(b).any() else math.nan,
            float(np.nanmean(v)) if np.isfinite(v).any() else math.nan,
            mean,
            low,
            high,
            n,
            watched,
        )

    @property
    def distinguishable(self) -> bool:
        """The interval excludes zero: the difference is larger than seed noise explains."""
        return self.n >= 2 and (self.low > 0 or self.high < 0)


@dataclass
class Comparison:
    """Everything a comparison produced, before it is written."""

    baseline: Scenario
    scenarios: list[Scenario]
    seeds: list[int]
    steps: int
    series: dict[str, list[pd.DataFrame]]  # scenario name -> one time series per seed
    outcomes: dict[str, list[dict]]  # scenario name -> summary outcomes per seed
    differences: list[Difference]
    targets: list[Difference]  # the FACTS targets and reported figures at the end of the runs
    reused: int  # runs found finished and unchanged
    ran: int  # runs simulated now
    run_folders: dict[str, list[str]]  # scenario name -> its run folder per seed


def paired_interval(
    values: Sequence[float], baseline: Sequence[float], level: float = LEVEL
) -> tuple[float, float, float, int]:
    """(mean difference, low, high, n) of ``values - baseline`` paired element by element.

    The interval is Student's t for the mean of the paired differences; pairs with a NaN
    are left out; with fewer than two pairs the interval is NaN.
    """
    d = np.asarray(values, float) - np.asarray(baseline, float)
    d = d[np.isfinite(d)]
    n = d.size
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(d.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    half = stats.t.ppf(0.5 + level / 2, n - 1) * d.std(ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half, n


def differences(
    baseline: Scenario,
    scenario: Scenario,
    base_series: list[pd.DataFrame],
    series: list[pd.DataFrame],
    steps: int,
    days: int = ROLLING_DAYS,
) -> list[Difference]:
    """Every indicator of ``scenario`` against ``baseline`` over the scenario's window.

    ``series[i]`` and ``base_series[i]`` are runs on the same seed. The window is the
    what-if's ``days`` if it names them, else the last ``days`` measured days.
    """
    first, last = window_of(scenario, steps, days)
    in_baseline = indicators(baseline).keys()
    out = []
    for key, ind in indicators(scenario).items():
        if key not in in_baseline:
            continue
        out.append(
            Difference.paired(
                [ind.over(ts, first, last) for ts in series],
                [ind.over(ts, first, last) for ts in base_series],
                scenario=scenario.name,
                indicator=key,
                label=ind.label,
                unit=ind.unit,
                days=(first, last),
                watched=key == scenario.whatif.watch,
            )
        )
    return out


def target_differences(
    scenario: str, base_facts: list[dict], facts: list[dict], steps: int
) -> list[Difference]:
    """The FACTS targets and reported figures of one scenario against the baseline, by seed.

    ``facts[i]`` and ``base_facts[i]`` are the flat FACTS metrics (:func:`flat_facts`) of
    runs on the same seed. Each is what its definition reads at the end of the run (most
    the last measured year, a growth year 2 against year 1); the label gives the band, or
    what the seeds say of a figure reported without one.
    """
    out = []
    for t in (*TARGETS, *REPORTED):
        if isinstance(t, Target):
            label, read = f"{t.id} {t.label} (band {t.band()})", t.value
        else:
            label, read = f"{t.id} {t.label} (seeds: {t.seeds})", lambda m, k=t.key: m.get(k)
        v, b = [read(f) for f in facts], [read(f) for f in base_facts]
        if all(x is None for x in (*v, *b)):  # not measurable in these runs
            continue
        out.append(
            Difference.paired(
                v, b, scenario=scenario, indicator=t.key, label=label, unit="", days=(1, steps)
            )
        )
    return out


def band(ind: Indicator, runs: list[pd.DataFrame]) -> pd.DataFrame:
    """Mean and 5th-95th percentile across replicates of an indicator's rolling curve, by day."""
    curves = pd.concat([ind.rolling(ts).set_axis(ts["step"]) for ts in runs], axis=1)
    return pd.DataFrame(
        {
            "mean": curves.mean(axis=1),
            "low": curves.quantile(0.05, axis=1),
            "high": curves.quantile(0.95, axis=1),
        }
    )


# ------------------------------------------------------------------ running (or reusing)
def _run_folder(root: Path, scenario: Scenario, seed: int) -> Path:
    return inside(root, scenario.name, f"seed-{seed}")


def is_current(folder: Path, scenario: Scenario, seed: int, steps: int) -> bool:
    """The folder holds a finished run of exactly this scenario, seed, steps and code."""
    try:
        meta = json.loads((folder / "metadata.json").read_text())
    except (OSError, ValueError):
        return False
    complete = (folder / "timeseries.csv").is_file() and (folder / "summary.json").is_file()
    return complete and meta.get("content_hash") == content_hash(scenario, [seed], steps)


def run_one(scenario_data: dict, seed: int, steps: int, folder: str) -> str:
    """Run one seed of a scenario and write its folder atomically (a worker's job)."""
    scenario = Scenario.model_validate(scenario_data)
    result = run_scenario(scenario, seed=seed, replicates=1, steps=steps)
    return str(write_results(result, folder, figures=False))


def with_steps(scenario: Scenario, steps: int) -> Scenario:
    """The scenario with ``run.steps`` set, validated again (events must fall within it)."""
    data = scenario.model_dump()
    data["run"]["steps"] = steps
    return validate(data, origin=scenario.source or scenario.name)


def compare(
    baseline: Scenario,
    scenarios: Sequence[Scenario],
    *,
    replicates: int,
    steps: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    runs_root: str | Path = "results/compare/runs",
    days: int = ROLLING_DAYS,
    on_run: Callable[[], None] | None = None,
) -> Comparison:
    """Run (or reuse) every scenario on the baseline's seeds and pair the results.

    Args:
        baseline: the scenario the others are compared with.
        scenarios: the what-ifs; each name must be unique and differ from the baseline's.
        replicates: seeds per scenario: the first seed and the next ones.
        steps: measured days (default the baseline's ``run.steps``); warm-ups as each
            scenario says.
        seed: the first seed (default the baseline's ``run.seed``).
        workers: processes running the missing runs.
        runs_root: where runs are kept and looked up.
        days: the window of the table (the last ``days`` measured days) unless a
            what-if names its own.
        on_run: called each time a run is finished or found.
    """
    names = [baseline.name, *(s.name for s in scenarios)]
    if len(set(names)) != len(names):
        raise ScenarioError(f"compare: scenario names must differ (got {', '.join(names)})")
    steps = baseline.run.steps if steps is None else steps
    everyone = [with_steps(s, steps) for s in (baseline, *scenarios)]
    for s in everyone[1:]:
        if (s.population.n_fans, s.scale.real_users) != (
            baseline.population.n_fans,
            baseline.scale.real_users,
        ):
            raise ScenarioError(
                f"{s.source or s.name}: key 'population.n_fans': a comparison runs every "
                f"scenario at the baseline's scale ({baseline.population.n_fans} fans for "
                f"{baseline.scale.real_users:g} real users); got {s.population.n_fans} fans "
                f"for {s.scale.real_users:g} (use --population to set one for all)"
            )
    seeds = replicate_seeds(baseline.run.seed if seed is None else seed, replicates)
    root = Path(runs_root)
    jobs, reused = [], 0
    for s in everyone:
        for sd in seeds:
            folder = _run_folder(root, s, sd)
            if is_current(folder, s, sd, steps):
                reused += 1
                if on_run:
                    on_run()
            else:
                jobs.append((s.model_dump(), sd, steps, str(folder)))
    _run_jobs(jobs, workers, on_run)
    series: dict[str, list[pd.DataFrame]] = {}
    outcomes: dict[str, list[dict]] = {}
    facts: dict[str, list[dict]] = {}
    folders: dict[str, list[str]] = {}
    for s in everyone:
        paths = [_run_folder(root, s, sd) for sd in seeds]
        series[s.name] = [pd.read_csv(p / "timeseries.csv") for p in paths]
        summaries = [json.loads((p / "summary.json").read_text()) for p in paths]
        outcomes[s.name] = [summary["outcomes"] for summary in summaries]
        facts[s.name] = [flat_facts(summary["facts"]) for summary in summaries]
        folders[s.name] = [str(p) for p in paths]
    base = everyone[0]
    diffs = [
        d
        for s in everyone[1:]
        for d in differences(base, s, series[base.name], series[s.name], steps, days)
    ]
    targets = [
        d
        for s in everyone[1:]
        for d in target_differences(s.name, facts[base.name], facts[s.name], steps)
    ]
    return Comparison(
        base,
        everyone[1:],
        seeds,
        steps,
        series,
        outcomes,
        diffs,
        targets,
        reused,
        len(jobs),
        folders,
    )


def _run_jobs(jobs: list[tuple], workers: int, on_run: Callable[[], None] | None) -> None:
    """Run jobs in this process or on ``workers`` processes; each writes its own folder."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            run_one(*job)
            if on_run:
                on_run()
        return
    with worker_pool(min(workers, len(jobs))) as pool:
        for _ in pool.imap_unordered(_run_job, jobs):
            if on_run:
                on_run()


def _run_job(job: tuple) -> str:
    return run_one(*job)


# ------------------------------------------------------------------ writing
def table(differences: list[Difference]) -> pd.DataFrame:
    """Differences as a table, one row per (scenario, indicator or target)."""
    return pd.DataFrame([{**asdict(d), "distinguishable": d.distinguishable} for d in differences])


def catalogue(comparison: Comparison) -> str:
    """Markdown: each scenario's question and its watched indicator's difference."""
    lines = [
        "| scenario | question | indicator (days) | baseline | difference [90% interval] |",
        "|---|---|---|---|---|",
    ]
    for s in comparison.scenarios:
        watched = [d for d in comparison.differences if d.scenario == s.name and d.watched]
        if not watched:
            lines.append(f"| `{s.name}` | {s.whatif.question or s.description} | - | - | - |")
            continue
        d = watched[0]
        mark = "" if d.distinguishable else " (within seed noise)"
        lines.append(
            f"| `{s.name}` | {s.whatif.question} | {d.label}, {d.unit} "
            f"(days {d.first_day}-{d.last_day}) | {fmt(d.baseline)} | "
            f"{fmt(d.difference, sign=True)} [{fmt(d.low, sign=True)}, "
            f"{fmt(d.high, sign=True)}]{mark} |"
        )
    return "\n".join(lines) + "\n"


def fmt(x: float, sign: bool = False) -> str:
    """A number with three significant digits (``nan`` shown as n/a)."""
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:+.3g}" if sign else f"{x:.3g}"


def write_comparison(comparison: Comparison, out: str | Path, command: str) -> Path:
    """Write the comparison's folder: tables, catalogue, metadata, figures and report.

    ``differences.csv`` (indicators over the compared days), ``targets.csv`` (the FACTS
    targets at the end of the runs), ``catalogue.md``, ``metadata.json``, ``figures/`` and
    ``report.html``.
    """
    from simulation import report
    from simulation.results import versions, write_json
    from simulation.scale import ScaleMapping

    with atomic_folder(out) as tmp:
        for name, rows in (
            ("differences", comparison.differences),
            ("targets", comparison.targets),
        ):
            table(rows).to_csv(tmp / f"{name}.csv", index=False, float_format="%.6g")
        (tmp / "catalogue.md").write_text(catalogue(comparison))
        figures = report.figures(comparison, tmp / "figures")
        write_json(
            tmp / "metadata.json",
            {
                "baseline": comparison.baseline.name,
                "scenarios": [s.name for s in comparison.scenarios],
                "scenario_files": {
                    s.name: s.source for s in (comparison.baseline, *comparison.scenarios)
                },
                "seeds": comparison.seeds,
                "steps": comparison.steps,
                "level": LEVEL,
                "runs": comparison.run_folders,
                "runs_reused": comparison.reused,
                "runs_simulated": comparison.ran,
                "scale_mapping": ScaleMapping.from_scenario(comparison.baseline).describe(),
                "versions": versions(),
                "command": command,
            },
        )
        (tmp / "report.html").write_text(report.html_page(comparison, figures, command))
    return Path(out).resolve()
