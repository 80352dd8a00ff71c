"""``creator-sim validate``: the calibrated baseline against the FACTS bands, and the theory limits.

Writes ``results/validation/``: ``validation.csv`` and ``validation.md`` (one row per
target or limit: measured, band, pass/fail, seeds used), ``validation.json`` (the same
plus per-seed values and the scale mapping) and ``figures/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import calibration, counterfactuals, limits
from simulation.run_cache import RunCache, cached_runs
from simulation.runner import replicate_seeds
from simulation.scale import ScaleMapping
from simulation.scenario import Scenario, ScenarioError, load_scenario
from simulation.targets import REPORTED, STEADY, TARGETS, Target

# Further Bass (p, q) pairs checked besides the scenario's own: the limit must hold for
# other coefficients too, not only the meta-analysis average.
BASS_ALTERNATIVES = ((0.01, 0.5),)
PARTS = ("baseline", "counterfactuals", "bass", "attachment", "churn")


@dataclass
class Validation:
    """Everything ``validate`` measured."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    baseline_runs: list[dict[str, Any]] = field(default_factory=list)
    baseline_seeds: list[int] = field(default_factory=list)
    bass: list[limits.BassCheck] = field(default_factory=list)
    attachment: limits.AttachmentCheck | None = None
    churn: limits.ChurnCheck | None = None
    counterfactuals: list[counterfactuals.Difference] = field(default_factory=list)
    scale: dict[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        """One row per target or limit."""
        return pd.DataFrame(self.rows)

    @property
    def counterfactual_table(self) -> pd.DataFrame:
        """One row per counterfactual output: means, paired difference, 90% interval."""
        about = {cf.name: cf for cf in counterfactuals.COUNTERFACTUALS}
        return pd.DataFrame(
            [
                {
                    "headline": d.name,
                    "with": about[d.name].mechanism,
                    "without": about[d.name].without,
                    "output": d.output,
                    "with mean": d.on,
                    "without mean": d.off,
                    "difference": d.diff,
                    "90% interval": f"{d.lo:.3g} to {d.hi:.3g}",
                    "beyond seed noise": "yes" if d.distinguishable else "no",
                    "seeds": d.seeds,
                }
                for d in self.counterfactuals
            ]
        )


def _readable_number(x: float, signed: bool = False, unit: bool = True) -> str:
    """3 decimals, or billions with one (``14.3 bn``); a Unicode minus; ``+`` if ``signed``."""
    if not np.isfinite(x):
        return "n/a"
    text = f"{x / 1e9:.1f}" + (" bn" if unit else "") if abs(x) >= 1e9 else f"{x:.3f}"
    if signed and not text.startswith("-"):
        text = "+" + text
    return text.replace("-", "\N{MINUS SIGN}")


def readable_counterfactuals(diffs: list[counterfactuals.Difference]) -> str:
    """The counterfactual table to read (and copy into the README).

    Labels instead of keys, 3 decimals, the interval in one cell, each comparison named on
    its first row only.
    """
    about = {cf.name: cf for cf in counterfactuals.COUNTERFACTUALS}
    lines = [
        "| headline | output | with | without | difference (90% interval) | beyond seed noise |",
        "|---|---|---|---|---|---|",
    ]
    for i, d in enumerate(diffs):
        first = i == 0 or diffs[i - 1].name != d.name
        interval = " to ".join(_readable_number(x, True, False) for x in (d.lo, d.hi))
        cells = [
            about[d.name].label if first else "",
            counterfactuals.OUTPUT_LABELS[d.output],
            _readable_number(d.on),
            _readable_number(d.off),
            f"{_readable_number(d.diff, signed=True)} ({interval})",
            "yes" if d.distinguishable else "no",
        ]
        lines.append("|" + "|".join(f" {c} " if c else " " for c in cells) + "|")
    return "\n".join(lines) + "\n"


def _seed_range(seeds: list[int]) -> str:
    return f"{seeds[0]}..{seeds[-1]} ({len(seeds)})"


def _row(
    check: str, what: str, measured: Any, band: str, passed: bool | None, seeds: str
) -> dict[str, Any]:
    """One row of the validation table (``passed`` None: reported, no band)."""
    return {
        "check": check,
        "what": what,
        "measured": measured,
        "band": band,
        "pass": passed,
        "seeds": seeds,
    }


def _margin(t: Target, v: float) -> float:
    """How far inside its band ``v`` is (negative outside): the nearer edge."""
    return min(v - t.lo if t.lo is not None else np.inf, t.hi - v if t.hi is not None else np.inf)


def baseline_rows(runs: list[dict[str, Any]], seeds: list[int]) -> list[dict[str, Any]]:
    """The baseline's seeds against every band.

    Each calibration target's mean, the figures reported beside the seeds, and each
    steady-market check's worst seed.
    """
    mean = calibration.mean_metrics(runs)
    used = _seed_range(seeds)
    rows = []
    for t in TARGETS:
        v = t.value(mean)
        passed = v is not None and t.distance(v) == 0
        rows.append(_row(t.id, t.label, v, t.band(), passed, used))
    for r in REPORTED:
        band = f"reported beside the seeds: {r.seeds}"
        rows.append(_row(r.id, r.label, mean.get(r.key), band, None, used))
    for t in STEADY:  # a steady market must hold on every seed: the worst seed is shown
        values = [t.value(r) for r in runs]
        worst = None if None in values else min(values, key=lambda v: _margin(t, v))
        passed = worst is not None and t.distance(worst) == 0
        rows.append(_row(t.id, f"{t.label} (worst seed)", worst, t.band(), passed, used))
    return rows


def bass_rows(check: limits.BassCheck) -> list[dict[str, Any]]:
    """Recovered p, q and the curve gap for one Bass run."""
    used = _seed_range(check.seeds)
    tol, gap = limits.BASS_PQ_TOLERANCE, limits.BASS_CURVE_TOLERANCE
    pq = f"p={check.p:g}, q={check.q:g}"
    return [
        _row(
            f"Bass {name}",
            f"recovered {name} ({pq})",
            fitted,
            f"{true * (1 - tol):.4g} to {true * (1 + tol):.4g}",
            error <= tol,
            used,
        )
        for name, fitted, true, error in (
            ("p", check.p_fit, check.p, check.p_error),
            ("q", check.q_fit, check.q, check.q_error),
        )
    ] + [
        _row(
            "Bass curve",
            f"largest gap to the analytic F(t) ({pq})",
            check.max_gap,
            f"<= {gap}",
            check.max_gap <= gap,
            used,
        )
    ]


def attachment_rows(check: limits.AttachmentCheck) -> list[dict[str, Any]]:
    """Tail exponent and concentration by algorithm."""
    used = _seed_range(check.seeds)
    pop, inter = check.concentration("popularity"), check.concentration("interest")
    lo, hi = limits.PA_EXPONENT - limits.PA_TOLERANCE, limits.PA_EXPONENT + limits.PA_TOLERANCE
    return [
        _row(
            "PA exponent",
            "MLE tail exponent of followers + a (popularity only)",
            check.alpha,
            f"{lo:g} to {hi:g} (Price: 2 + a/m = {check.predicted_alpha:.2f})",
            lo <= check.alpha <= hi,
            used,
        ),
        *(
            _row(
                f"PA {name}",
                f"{label}: interest-based vs popularity",
                inter[key],
                f"< {pop[key]:.3f} (popularity)",
                inter[key] < pop[key],
                used,
            )
            for name, key, label in (
                ("Gini", "gini", "follower Gini"),
                ("top-1%", "top1_share", "top-1% follower share"),
            )
        ),
    ]


def churn_rows(check: limits.ChurnCheck) -> list[dict[str, Any]]:
    """The top decile's follows kept after the run, the model against the equation, per q."""
    used, days = _seed_range(check.seeds), check.simulated.shape[2] - 1
    tol = limits.CHURN_TOLERANCE
    rate = check.unfollow_rate
    return [
        _row(
            f"churn q = {q:g}",
            f"top decile's follows after {days} days / day 0, popularity share {q:g}",
            kept,
            f"{predicted:.3f} +/- {tol:.0%} (equation; (1 - q) delta = {(1 - q) * rate:g}/yr)",
            gap <= tol,
            used,
        )
        for q, kept, predicted, gap in zip(
            check.shares, check.kept("simulated"), check.kept("predicted"), check.gaps, strict=True
        )
    ]


def with_bass(scenario: Scenario, p: float, q: float) -> Scenario:
    """The Bass scenario with other coefficients."""
    wom = scenario.word_of_mouth.model_copy(update={"discovery_rate": p, "talk_rate": q})
    return scenario.model_copy(update={"word_of_mouth": wom, "name": f"{scenario.name}_{p}_{q}"})


def validate(
    baseline: Path,
    bass: Path,
    attachment: Path,
    churn: Path,
    seeds: int = 10,
    workers: int = 1,
    parts: tuple[str, ...] = PARTS,
    cache: RunCache | None = None,
    on_run: Callable[[], None] | None = None,
) -> Validation:
    """Run every check; ``parts`` selects which.

    The baseline's and counterfactuals' runs are read from ``cache`` when stored there and
    stored as each finishes (``on_run`` as in :func:`~simulation.run_cache.cached_runs`),
    so the same call after an interruption runs only what is missing. The theory limits,
    minutes at their own fixed size, are not stored.
    """
    v = Validation()
    cache = RunCache() if cache is None else cache  # in memory; shared by both parts
    if "baseline" in parts or "counterfactuals" in parts:
        # Read once: the counterfactuals are paired with these very baseline runs.
        sc = load_scenario(baseline)
        params = sc.model_params()
        v.baseline_seeds = replicate_seeds(sc.run.seed, seeds)
        v.scale = ScaleMapping.from_scenario(sc).describe()
        steps, warmup = sc.run.steps, sc.run.warmup_days
        if "counterfactuals" in parts:  # runs the baseline too, seed by seed with them
            v.counterfactuals = counterfactuals.compare(
                params, v.baseline_seeds, steps, warmup, workers, cache=cache, on_run=on_run
            )
        counted = "counterfactuals" in parts  # then these are stored, and were counted
        runs = [(params, s, steps, warmup) for s in v.baseline_seeds]
        baseline_runs = cached_runs(runs, workers, cache, None if counted else on_run)
        if "baseline" in parts:
            v.baseline_runs = baseline_runs
            v.rows += baseline_rows(v.baseline_runs, v.baseline_seeds)
    if "bass" in parts:
        sc = load_scenario(bass)
        bass_seeds = replicate_seeds(sc.run.seed, sc.run.replicates)
        for scenario in (sc, *(with_bass(sc, p, q) for p, q in BASS_ALTERNATIVES)):
            check = limits.bass_check(scenario, bass_seeds, workers)
            v.bass.append(check)
            v.rows += bass_rows(check)
    if "attachment" in parts:
        sc = load_scenario(attachment)
        pa_seeds = replicate_seeds(sc.run.seed, sc.run.replicates)
        v.attachment = limits.attachment_check(sc, pa_seeds, workers)
        v.rows += attachment_rows(v.attachment)
    if "churn" in parts:
        sc = load_scenario(churn)
        v.churn = limits.churn_check(sc, replicate_seeds(sc.run.seed, sc.run.replicates), workers)
        v.rows += churn_rows(v.churn)
    return v


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown (for the README and validation.md)."""

    def cell(x: Any) -> str:
        if x is None or (isinstance(x, float) and not np.isfinite(x)):
            return "n/a"
        if isinstance(x, bool | np.bool_):
            return "pass" if x else "**fail**"
        if isinstance(x, float):
            return f"{x:.3g}"
        return str(x)

    head = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    body = ["| " + " | ".join(cell(x) for x in row) + " |" for row in table.itertuples(False)]
    return "\n".join([head, rule, *body]) + "\n"


def seed_noise(target: Target, per_seed: list[float | None]) -> float:
    """How far seed noise alone moves a 10-seed mean's distance from the band, in band widths.

    Two standard errors of the difference between two means over that many seeds
    (2 x sqrt(2) x the standard error of one), read on the band's own scale (log for
    log bands). A change of random streams moves the mean by about this much.
    """
    values = np.array([x for x in per_seed if x is not None], float)
    if values.size < 2:
        return 0.0
    if target.log:
        values = np.log10(np.maximum(values, 1e-12))
    mean, se = values.mean(), values.std(ddof=1) / np.sqrt(values.size)
    at = (lambda x: 10**x) if target.log else (lambda x: x)
    here = target.distance(at(mean))
    k = 2 * np.sqrt(2)
    return float(max(abs(target.distance(at(mean + d)) - here) for d in (-k * se, k * se)))


def allowance(best_noise: float, noise: float) -> float:
    """Seed noise between the summary that set a mark and this one, in band widths.

    Each ``seed_noise`` is 2 x sqrt(2) x the standard error of its own mean; two standard
    errors of the difference of the two means is sqrt((a^2 + b^2) / 2) of them, which is
    ``noise`` itself when both summaries are as noisy.
    """
    return float(np.sqrt((best_noise**2 + noise**2) / 2))


def check_target_keys(keys: list[str]) -> None:
    """Raise ``ScenarioError`` for a ``--reset-progress`` key that is not a target's."""
    known = [t.key for t in TARGETS]
    unknown = sorted(set(keys) - set(known))
    if unknown:
        raise ScenarioError(
            f"--reset-progress: unknown target key(s) {', '.join(unknown)}; expected some of "
            f"{', '.join(known)}"
        )


def forget_progress(previous: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """``previous`` golden summary without the best distances of ``keys`` (all if empty).

    For a target whose definition changed: its mark measured another quantity.

    Raises:
        ScenarioError: a key is not a target's.
    """
    check_target_keys(keys)
    drop = set(keys or [t.key for t in TARGETS])
    return {
        **previous,
        **{
            part: {k: x for k, x in previous.get(part, {}).items() if k not in drop}
            for part in ("best_distance", "best_noise")
        },
    }


def golden(v: Validation, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """The baseline's per-seed target metrics: the regression test's reference.

    ``best_distance`` is a ratchet: for each target, the smallest distance from its band
    (in band widths, 0 inside) recorded so far, carried over from ``previous``. It moves
    only when the new mean is closer by more than seed noise (``noise``), so a lucky draw
    of random streams does not set a mark the model cannot keep; ``best_noise`` is the
    seed noise of the summary that set it. The regression test fails when the mean is
    farther than ``best_distance + allowance(best_noise, noise)``: a band once reached
    cannot be lost, and a miss cannot grow, beyond seed noise.
    """

    def values(metrics: dict[str, Any]) -> dict[str, Any]:
        return {t.key: t.value(metrics) for t in TARGETS}

    raw = calibration.mean_metrics(v.baseline_runs)
    per_seed = [values(r) for r in v.baseline_runs]
    noise = {t.key: seed_noise(t, [s[t.key] for s in per_seed]) for t in TARGETS}
    previous = previous or {}
    best = previous.get("best_distance", {})
    # Golden files written before best_noise existed: the previous summary's own noise.
    best_noise = previous.get("best_noise", previous.get("noise", {}))
    distance = {t.key: t.distance(t.value(raw)) for t in TARGETS}
    moved = {k: k not in best or d < best[k] - noise[k] for k, d in distance.items()}
    return {
        "seeds": v.baseline_seeds,
        "per_seed": per_seed,
        "mean": values(raw),
        "noise": noise,
        "best_distance": {k: d if moved[k] else best[k] for k, d in distance.items()},
        "best_noise": {k: noise[k] if moved[k] else best_noise.get(k, noise[k]) for k in noise},
    }


def write_validation(v: Validation, out: Path) -> Path:
    """Write the validation folder atomically: tables, JSON and figures."""
    from simulation import plots
    from simulation.folders import atomic_folder
    from simulation.results import versions, write_json

    with atomic_folder(out) as tmp:
        table = v.table
        table.to_csv(tmp / "validation.csv", index=False, float_format="%.6g")
        cf = v.counterfactual_table
        (tmp / "validation.md").write_text(
            "# Validation\n\n"
            + markdown(table)
            + (
                "\n## Headlines against their counterfactuals\n\n"
                + markdown(cf)
                + f"\nThe same, to read ({v.counterfactuals[0].seeds} seeds, 90% t interval of the"
                " paired mean):\n\n" + readable_counterfactuals(v.counterfactuals)
                if len(cf)
                else ""
            )
            + "\nScale mapping: see validation.json.\n"
        )
        if len(cf):
            cf.to_csv(tmp / "counterfactuals.csv", index=False, float_format="%.6g")
        write_json(
            tmp / "validation.json",
            {
                "rows": v.rows,
                "counterfactuals": cf.to_dict(orient="records"),
                "baseline": golden(v) if v.baseline_runs else None,
                "scale_mapping": v.scale,
                "versions": versions(),
            },
        )
        figs = tmp / "figures"
        figs.mkdir()
        made: dict[str, Any] = {}
        if v.baseline_runs:
            made["targets"] = plots.targets_vs_bands(v.baseline_runs, TARGETS)
        for i, check in enumerate(v.bass):
            made[f"bass_{i}" if i else "bass"] = plots.bass_adoption(check)
        if v.attachment is not None:
            made["follower_ccdf_fit"] = plots.attachment_ccdf(v.attachment)
            made["concentration_by_algorithm"] = plots.concentration_by_algorithm(v.attachment)
        if v.churn is not None:
            made["attachment_with_churn"] = plots.attachment_with_churn(v.churn)
        for name, fig in made.items():
            fig.savefig(figs / f"{name}.png", dpi=110)
    return Path(out).resolve()
