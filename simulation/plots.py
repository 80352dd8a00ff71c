"""Figures: functions ``(data, ax=None) -> Figure``; nothing calls ``plt.show()``.

Figures are built on :class:`matplotlib.figure.Figure` directly, so no GUI backend or
global pyplot state is involved and plotting is safe in worker processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulation.indicators import ROLLING_DAYS
from simulation.scenario import BUDGET_ARMS, TIERS

if TYPE_CHECKING:
    from simulation.limits import AttachmentCheck, BassCheck, ChurnCheck
    from simulation.targets import Target

TIER_COLORS = {
    "tail": "#9ecae1",
    "small": "#4292c6",
    "mid": "#fd8d3c",
    "head": "#a50f15",
    "own": "#74c476",
}
# One colour per platform (by scenario key) and per scenario of a comparison (the
# baseline first), the same in every figure, report and the dashboard.
PLATFORM_COLORS = {
    "douyin": "#1f77b4",
    "kuaishou": "#ff7f0e",
    "xiaohongshu": "#d62728",
    "wechat_channels": "#2ca02c",
}
BASELINE_COLOR = "#404040"
SCENARIO_COLORS = (  # twelve distinct colours, then they repeat
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#1f78b4",
    "#fb9a99",
    "#6a3d9a",
    "#b2df8a",
    "#17becf",
)
WINDOW = ROLLING_DAYS  # days of the rolling window that smooths daily flows


def platform_color(key: str, index: int) -> str:
    """A platform's colour (one outside the table gets a fixed one by its index)."""
    return PLATFORM_COLORS.get(key, f"C{4 + index % 6}")


def scenario_colors(names: list[str]) -> dict[str, str]:
    """Colour of each scenario of a comparison: the baseline (first) grey, then a palette."""
    others = {n: SCENARIO_COLORS[i % len(SCENARIO_COLORS)] for i, n in enumerate(names[1:])}
    return {names[0]: BASELINE_COLOR, **others}


def _axes(ax: Axes | None, title: str) -> tuple[Figure, Axes]:
    if ax is None:
        fig = Figure(figsize=(7, 4.2), layout="constrained")
        ax = fig.subplots()
    ax.set_title(title)
    return ax.figure, ax


def _mean_over_replicates(ts: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return ts.groupby("step")[columns].mean()


def _stacked(
    ax: Axes, shares: pd.DataFrame, names: tuple[str, ...], ylabel: str, legend: str
) -> None:
    """Shares over time as stacked areas, one per name, in the tier colours."""
    ax.stackplot(
        shares.index, shares.T.values, labels=names, colors=[TIER_COLORS[n] for n in names]
    )
    ax.set(xlabel="day", ylabel=ylabel, ylim=(0, 1))
    if shares.index.max() > shares.index.min():  # one day has no width
        ax.set_xlim(shares.index.min(), shares.index.max())
    ax.legend(loc="upper left", fontsize="small", title=legend)


def ccdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted values and the share of values at least as large: P(X >= x)."""
    x = np.sort(np.asarray(values, dtype=float))
    return x, 1.0 - np.arange(x.size) / x.size


def _shares(df: pd.DataFrame) -> pd.DataFrame:
    smooth = df.rolling(WINDOW, min_periods=1).sum()
    total = smooth.sum(axis=1).replace(0, np.nan)
    return smooth.div(total, axis=0).fillna(0)


def sales_share_by_tier(ts: pd.DataFrame, ax: Axes | None = None, live: bool = False) -> Figure:
    """Share of GMV (or live-stream GMV) by creator tier over time, 30-day rolling."""
    prefix = "live_gmv" if live else "gmv"
    fig, ax = _axes(ax, f"Share of {'live-stream ' if live else ''}sales by creator tier")
    shares = _shares(_mean_over_replicates(ts, [f"{prefix}_{t}" for t in TIERS]))
    _stacked(ax, shares, TIERS, "share of sales", "tier")
    return fig


def follower_ccdf(creators: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Complementary CDF of creators' real (scaled) followers, log-log, one line per replicate."""
    fig, ax = _axes(ax, "Follower distribution (active creators)")
    for rep, df in creators[creators["active"]].groupby("replicate"):
        x, share = ccdf(df["real_followers"].to_numpy())
        x, share = x[x > 0], share[x > 0]
        if x.size:
            ax.loglog(
                x,
                share,
                drawstyle="steps-post",
                label=f"replicate {rep}",
                alpha=0.8,
            )
    ax.set(xlabel="followers (real units, by the scale mapping)", ylabel="P(followers >= x)")
    ax.legend(fontsize="small")
    return fig


def brand_spend_by_tier(ts: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Brand spend per 30 days by creator tier and on own accounts' traffic (stacked bars)."""
    fig, ax = _axes(ax, "Brand spend by creator tier")
    spend = _mean_over_replicates(ts, [f"spend_{a}" for a in BUDGET_ARMS])
    spend = spend.groupby((spend.index - 1) // WINDOW * WINDOW).sum()
    bottom = np.zeros(len(spend))
    for a in BUDGET_ARMS:
        ax.bar(
            spend.index,
            spend[f"spend_{a}"],
            bottom=bottom,
            width=0.8 * WINDOW,
            label=a,
            color=TIER_COLORS[a],
            align="edge",
        )
        bottom += spend[f"spend_{a}"].to_numpy()
    ax.set(xlabel="day", ylabel=f"yuan per {WINDOW} days (real)")
    ax.legend(fontsize="small", title="arm")
    return fig


def budget_share_by_tier(ts: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """The mission plot: share of brand budgets planned for each creator tier over time."""
    fig, ax = _axes(ax, "Brand budget share by creator tier")
    shares = _mean_over_replicates(ts, [f"budget_share_{a}" for a in BUDGET_ARMS])
    _stacked(ax, shares, BUDGET_ARMS, "share of budgets", "arm")
    return fig


def return_on_spend_by_tier(ts: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Value (sales and weighted mind-share) per yuan each arm returned, by budget period.

    Gaps are periods in which no brand spent on that arm.
    """
    fig, ax = _axes(ax, "Return on spend by creator tier")
    ret = _mean_over_replicates(ts, [f"return_{a}" for a in BUDGET_ARMS])
    for a in BUDGET_ARMS:
        ax.plot(ret.index, ret[f"return_{a}"], label=a, color=TIER_COLORS[a])
    ax.set(xlabel="day", ylabel="value per yuan spent (log)", yscale="symlog")
    ax.legend(fontsize="small", title="arm")
    return fig


def mindshare_vs_sales(ts: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Long-term brand mind-share (SICAS Connect or later) against short-term daily sales."""
    fig, ax = _axes(ax, "Brand mind-share vs short-term sales")
    q = _mean_over_replicates(ts, ["gmv", "mind_share"])
    ax.plot(q.index, q["gmv"].rolling(WINDOW, min_periods=1).mean(), color="#3182bd")
    ax.set(xlabel="day", ylabel="daily GMV, 30-day mean (simulated yuan)")
    ax.yaxis.label.set_color("#3182bd")
    right = ax.twinx()
    right.plot(q.index, q["mind_share"], color="#e6550d")
    right.set(ylabel="share of fan-brand pairs at Connect or later", ylim=(0, 1))
    right.yaxis.label.set_color("#e6550d")
    return fig


def formats_per_platform(ts: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Number of formats each platform carries: platforms converge on each other's formats."""
    fig, ax = _axes(ax, "Formats per platform")
    keys = [c.removeprefix("formats_") for c in ts.columns if c.startswith("formats_")]
    q = _mean_over_replicates(ts, [f"formats_{k}" for k in keys])
    for i, k in enumerate(keys):
        ax.step(q.index, q[f"formats_{k}"] + 0.03 * i, where="post", label=k)
    ax.set(xlabel="day", ylabel="formats carried")
    ax.legend(fontsize="small")
    return fig


def platform_shares(ts: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Each platform's share of GMV (30-day rolling) and of fans' attention (dashed).

    Attention moves toward platforms that satisfy fans ("displacement").
    """
    fig, ax = _axes(ax, "Platform shares")
    keys = [c.removeprefix("gmv_platform_") for c in ts.columns if c.startswith("gmv_platform_")]
    gmv = _shares(_mean_over_replicates(ts, [f"gmv_platform_{k}" for k in keys]))
    att = _mean_over_replicates(ts, [f"attention_{k}" for k in keys])
    for i, k in enumerate(keys):
        color = platform_color(k, i)
        ax.plot(gmv.index, gmv[f"gmv_platform_{k}"], label=f"{k} sales", color=color)
        ax.plot(att.index, att[f"attention_{k}"], ls="--", color=color, alpha=0.7)
    ax.set(xlabel="day", ylabel="share (solid: sales, dashed: attention)", ylim=(0, 1))
    ax.legend(fontsize="small")
    return fig


def trust_distribution(ts: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Trust of fans in the creators they follow: median and 10th-90th percentile band."""
    fig, ax = _axes(ax, "Trust in followed creators")
    q = _mean_over_replicates(ts, ["trust_p10", "trust_p50", "trust_p90", "trust_mean"])
    ax.fill_between(q.index, q["trust_p10"], q["trust_p90"], alpha=0.3, label="10th-90th pct")
    ax.plot(q.index, q["trust_p50"], label="median")
    ax.plot(q.index, q["trust_mean"], ls="--", label="mean")
    ax.set(xlabel="day", ylabel="trust (0-1)", ylim=(0, 1))
    ax.legend(fontsize="small")
    return fig


def concentration(ts: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Gini and top-1% share of followers and of sales over time."""
    fig, ax = _axes(ax, "Concentration of followers and sales")
    cols = ["follower_gini", "follower_top1_share", "sales_gini", "sales_top1_share"]
    q = _mean_over_replicates(ts, cols)
    for c in cols:
        ax.plot(q.index, q[c], label=c.replace("_", " "))
    ax.set(xlabel="day", ylim=(0, 1))
    ax.legend(fontsize="small")
    return fig


# Every figure of a results folder, as (time series, creator table) -> Figure.
FIGURES = {
    "sales_share_by_tier": lambda ts, cr: sales_share_by_tier(ts),
    "live_sales_share_by_tier": lambda ts, cr: sales_share_by_tier(ts, live=True),
    "follower_ccdf": lambda ts, cr: follower_ccdf(cr),
    "budget_share_by_tier": lambda ts, cr: budget_share_by_tier(ts),
    "return_on_spend_by_tier": lambda ts, cr: return_on_spend_by_tier(ts),
    "brand_spend_by_tier": lambda ts, cr: brand_spend_by_tier(ts),
    "mindshare_vs_sales": lambda ts, cr: mindshare_vs_sales(ts),
    "formats_per_platform": lambda ts, cr: formats_per_platform(ts),
    "platform_shares": lambda ts, cr: platform_shares(ts),
    "trust_distribution": lambda ts, cr: trust_distribution(ts),
    "concentration": lambda ts, cr: concentration(ts),
}


def save(name: str, ts: pd.DataFrame, creators: pd.DataFrame, folder: Path) -> Path:
    """Write figure ``name`` of :data:`FIGURES` as PNG into the existing ``folder``."""
    path = folder / f"{name}.png"
    FIGURES[name](ts, creators).savefig(path, dpi=110)
    return path


# ------------------------------------------------------------------ comparison figures
def comparison_panels(
    title: str,
    panels: list[tuple[str, str, dict[str, pd.DataFrame]]],
    colors: dict[str, str],
    replicates: int,
) -> Figure:
    """One panel per indicator; per scenario its mean curve and 5-95% band over replicates.

    ``panels`` holds (indicator label, unit, {scenario: DataFrame with mean, low, high by
    day}); every scenario keeps its colour in every panel.
    """
    cols = 2 if len(panels) in (2, 4) else min(len(panels), 3)
    rows = -(-len(panels) // cols)
    fig = Figure(figsize=(4.2 * cols, 3.0 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, (label, unit, bands) in zip(axes, panels, strict=False):
        for name, b in bands.items():
            ax.fill_between(b.index, b["low"], b["high"], color=colors[name], alpha=0.2, lw=0)
            ax.plot(b.index, b["mean"], color=colors[name], lw=1.4, label=name)
        ax.set_title(label, fontsize="medium")
        ax.set(xlabel="measured day", ylabel=unit)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize="small")
    fig.suptitle(
        f"{title}: {', '.join(list(colors)[1:])} vs {next(iter(colors))}\n"
        f"{WINDOW}-day rolling; line: mean, band: 5-95% of {replicates} replicates",
        fontsize="medium",
    )
    return fig


# ------------------------------------------------------------------ validation figures
def bass_adoption(check: BassCheck, ax: Axes | None = None) -> Figure:
    """Simulated adoption (seed mean and range) against the analytic Bass curve."""
    from simulation.limits import bass_curve

    fig, ax = _axes(ax, f"Bass limit: p = {check.p:g}, q = {check.q:g} per year")
    t = check.t_years
    ax.fill_between(
        t, check.adoption.min(0), check.adoption.max(0), alpha=0.3, label="simulated, seed range"
    )
    ax.plot(t, check.mean, lw=2, label=f"simulated, mean of {len(check.seeds)} seeds")
    ax.plot(t, bass_curve(t, check.p, check.q), "k--", label="Bass F(t), configured p, q")
    ax.plot(
        t,
        bass_curve(t, check.p_fit, check.q_fit),
        ":",
        color="C3",
        label=f"fit: p = {check.p_fit:.4f}, q = {check.q_fit:.3f}",
    )
    ax.set(xlabel="years", ylabel="share of fans who bought", ylim=(0, 1))
    ax.legend(fontsize="small")
    return fig


def attachment_ccdf(check: AttachmentCheck, ax: Axes | None = None) -> Figure:
    """Log-log CCDF of followers + a under popularity distribution, with the fitted tail."""
    fig, ax = _axes(ax, "Preferential attachment: follower distribution")
    a = check.popularity_prior
    runs = (
        ("simulated", "C0", check.popularity),
        ("interest-based distribution", "C1", check.interest),
    )
    for label, color, followers in runs:
        for i, f in enumerate(followers):
            x, share = ccdf(f + a)
            ax.loglog(x, share, ".", ms=2, alpha=0.5, color=color, label=None if i else label)
    # The first seed's fitted power law over its tail, anchored at xmin.
    fit = check.fits[0]
    x, _ = ccdf(check.popularity[0] + a)
    tail = x[x >= fit["xmin"]]
    ax.loglog(
        tail,
        tail.size / x.size * (tail / fit["xmin"]) ** (1 - fit["alpha"]),
        "k-",
        label=f"MLE fit, alpha = {fit['alpha']:.2f} (seed mean {check.alpha:.2f})",
    )
    ax.set(xlabel="followers + a", ylabel="P(X >= x)")
    ax.legend(fontsize="small")
    return fig


def concentration_by_algorithm(check: AttachmentCheck, ax: Axes | None = None) -> Figure:
    """Gini and top-1% share of followers under popularity vs interest-based distribution."""
    fig, ax = _axes(ax, "Follower concentration by distribution algorithm")
    pop, inter = check.concentration("popularity"), check.concentration("interest")
    x = np.arange(2)
    ax.bar(x - 0.2, [pop["gini"], pop["top1_share"]], 0.4, label="popularity", color="C0")
    ax.bar(x + 0.2, [inter["gini"], inter["top1_share"]], 0.4, label="interest", color="C1")
    ax.set_xticks(x, ["Gini", "top-1% share"])
    ax.set(ylim=(0, 1), ylabel=f"mean over {len(check.seeds)} seeds")
    ax.legend()
    return fig


def attachment_with_churn(check: ChurnCheck, ax: Axes | None = None) -> Figure:
    """The top decile's follows over time at each popularity share: model vs equation."""
    fig, ax = _axes(ax, "Attachment with churn: the largest creators' follows")
    days = np.arange(check.simulated.shape[2])
    for i, q in enumerate(check.shares):
        sim = (check.simulated[i] / check.simulated[i, :, :1]).mean(axis=0)
        pred = (check.predicted[i] / check.predicted[i, :, :1]).mean(axis=0)
        ax.plot(days, sim, color=f"C{i}", label=f"model, q = {q:g}")
        ax.plot(days, pred, "k--", lw=1, label="equation" if i == 0 else None)
    ax.set(
        xlabel="day",
        ylabel="top decile's follows / day 0",
        ylim=(0, 1.05),
    )
    ax.legend(fontsize="small", title=f"churn {check.unfollow_rate:g}/yr, {len(check.seeds)} seeds")
    return fig


def targets_vs_bands(runs: list[dict], targets: tuple[Target, ...]) -> Figure:
    """Each calibration target: its band (shaded), the per-seed values and their mean."""
    n = len(targets)
    cols = 4
    fig = Figure(figsize=(12, 2.3 * ((n + cols - 1) // cols)), layout="constrained")
    axes = fig.subplots((n + cols - 1) // cols, cols).ravel()
    for t, a in zip(targets, axes, strict=False):
        vals = [v for v in (t.value(r) for r in runs) if v is not None]
        lo = t.lo if t.lo is not None else min([*vals, t.hi or 0]) - 0.5
        hi = t.hi if t.hi is not None else max([*vals, t.lo or 0]) * 2 + 1
        a.axvspan(lo, hi, color="#c7e9c0")
        a.plot(vals, np.zeros(len(vals)), "o", alpha=0.5, color="C0")
        if vals:
            a.plot([np.mean(vals)], [0], "D", color="k", ms=8)
        if t.log:
            a.set_xscale("log")
        a.set_yticks([])
        a.set_title(f"{t.id}: {t.label}", fontsize="small")
    for a in axes[n:]:
        a.set_visible(False)
    fig.suptitle("Calibration targets: band (green), seeds (dots), mean (diamond)")
    return fig
