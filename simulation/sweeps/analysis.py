"""Sensitivity analysis of a sweep's runs (SALib) and its figures.

Each metric is averaged over a design point's seeds first (runs that failed or could not
measure it are left out of that mean); a point with no value leaves the metric out of
the indices, which need every point in SALib's order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from SALib.analyze import morris, sobol

from simulation.folders import replace_file
from simulation.sweeps.design import Design
from simulation.sweeps.spec import SweepSpec

CONFIDENCE = 0.95  # level of the indices' confidence intervals (SALib's bootstrap)


def sobol_indices(
    problem: dict, y: np.ndarray, *, second_order: bool = False, seed: int = 0
) -> pd.DataFrame:
    """First-order and total Sobol indices with confidence half-widths, one row per parameter."""
    si = sobol.analyze(problem, y, calc_second_order=second_order, conf_level=CONFIDENCE, seed=seed)
    return pd.DataFrame(
        {"S1": si["S1"], "S1_conf": si["S1_conf"], "ST": si["ST"], "ST_conf": si["ST_conf"]},
        index=pd.Index(problem["names"], name="parameter"),
    )


def morris_indices(
    problem: dict, x: np.ndarray, y: np.ndarray, *, levels: int = 4, seed: int = 0
) -> pd.DataFrame:
    """Morris mu*, its confidence half-width and sigma, one row per parameter."""
    si = morris.analyze(problem, x, y, conf_level=CONFIDENCE, num_levels=levels, seed=seed)
    return pd.DataFrame(
        {"mu_star": si["mu_star"], "mu_star_conf": si["mu_star_conf"], "sigma": si["sigma"]},
        index=pd.Index(problem["names"], name="parameter"),
    )


def point_means(frame: pd.DataFrame, n_points: int, metric: str) -> np.ndarray:
    """(points,) the metric's mean over each point's seeds; NaN where no run measured it."""
    ok = frame[frame["status"] == "ok"]
    means = pd.to_numeric(ok[f"metric.{metric}"], errors="coerce").groupby(ok["point"]).mean()
    return means.reindex(range(n_points)).to_numpy(dtype=float)


def indices(spec: SweepSpec, design: Design, frame: pd.DataFrame) -> pd.DataFrame:
    """The design's indices for every metric (empty for grid and Latin hypercube designs)."""
    if spec.design not in ("sobol", "morris"):
        return pd.DataFrame()
    tables = []
    for metric in spec.metrics:
        y = point_means(frame, len(design.points), metric)
        if not np.isfinite(y).all():
            continue  # missing points: SALib's estimators need all of them
        if spec.design == "sobol":
            t = sobol_indices(design.problem, y, second_order=spec.second_order, seed=spec.seed)
        else:
            t = morris_indices(design.problem, design.points, y, levels=spec.levels, seed=spec.seed)
        tables.append(t.reset_index().assign(metric=metric))
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def figures(
    spec: SweepSpec, design: Design, frame: pd.DataFrame, table: pd.DataFrame, folder: Path
) -> list[Path]:
    """Indices per metric (bars with confidence intervals) and each metric vs each parameter."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    if len(table):
        metrics = list(dict.fromkeys(table["metric"]))
        tall = 1.2 + 0.45 * len(design.names)
        fig = Figure(figsize=(3.2 + 3.0 * len(metrics), tall), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(metrics), squeeze=False)).ravel()
        pairs = (("S1", "ST"), ("S1_conf", "ST_conf"), ("first order", "total"))
        if spec.design == "morris":
            pairs = (("mu_star",), ("mu_star_conf",), ("mu*",))
        for k, (ax, metric) in enumerate(zip(axes, metrics, strict=True)):
            t = table[table["metric"] == metric]
            y = np.arange(len(t))[::-1]  # the first parameter on top
            bar = 0.8 / len(pairs[0])
            for i, (col, conf, label) in enumerate(zip(*pairs, strict=True)):
                ax.barh(y - i * bar, t[col], bar, xerr=t[conf], label=label, capsize=2)
            ax.set_yticks(y - bar * (len(pairs[0]) - 1) / 2, t["parameter"] if k == 0 else [])
            ax.set(title=metric, xlabel="index" if spec.design == "sobol" else "mu* (metric units)")
        axes[0].legend(fontsize="small")
        fig.suptitle(f"{spec.name}: {spec.design} sensitivity ({CONFIDENCE:.0%} intervals)")
        path = folder / "indices.png"
        replace_file(path, lambda tmp, fig=fig: fig.savefig(tmp, dpi=100, format="png"))
        paths.append(path)
    ok = frame[frame["status"] == "ok"]
    names, metrics = design.names, spec.metrics
    fig = Figure(figsize=(3.2 * len(names), 2.6 * len(metrics)), layout="constrained")
    axes = fig.subplots(len(metrics), len(names), squeeze=False)
    for i, metric in enumerate(metrics):
        y = pd.to_numeric(ok[f"metric.{metric}"], errors="coerce")
        for j, name in enumerate(names):
            ax = axes[i, j]
            ax.plot(ok[f"param.{name}"], y, ".", ms=4, alpha=0.6)
            ax.set(
                xlabel=name if i == len(metrics) - 1 else None, ylabel=metric if j == 0 else None
            )
    fig.suptitle(f"{spec.name}: each metric against each parameter (one dot per run)")
    path = folder / "scatter.png"
    replace_file(path, lambda tmp: fig.savefig(tmp, dpi=90, format="png"))
    paths.append(path)
    return paths
