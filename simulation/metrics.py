"""Measured quantities: per-day reporters for the DataCollector and end-of-run FACTS metrics.

Reporters are named module-level functions (bound to a tier, role or platform with
``functools.partial``) so a model pickles across process boundaries. End-of-run metrics
(:func:`facts`) carry the FACTS id they measure and their operational definition.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.mechanisms import kernels
from simulation.mechanisms.sicas import ACTION, CONNECT
from simulation.scenario import BUDGET_ARMS, TIERS
from simulation.targets import bands_of

if TYPE_CHECKING:
    from simulation.model import CreatorEconomy

YEAR = 365


# ------------------------------------------------------------------ inequality
def gini(x: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, -> 1 = one holds all)."""
    x = np.sort(np.asarray(x, dtype=float))
    n, total = x.size, x.sum()
    if n == 0 or total <= 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * total))


def top_share(x: np.ndarray, fraction: float = 0.01) -> float:
    """Share of the total held by the top ``fraction`` of holders (at least one holder)."""
    x = np.sort(np.asarray(x, dtype=float))[::-1]
    total = x.sum()
    if x.size == 0 or total <= 0:
        return 0.0
    k = max(1, int(np.ceil(fraction * x.size)))
    return float(x[:k].sum() / total)


# ------------------------------------------------------------------ per-day reporters
def _active(model: CreatorEconomy) -> np.ndarray:
    return model.creator_state.view("active")


def gmv(model: CreatorEconomy) -> float:
    """Yuan of sales through creators today."""
    return float(model.today.sales.price.sum())


def live_gmv(model: CreatorEconomy) -> float:
    """Yuan of live-stream sales today."""
    s = model.today.sales
    return float(s.price[s.live].sum())


def gmv_of_tier(model: CreatorEconomy, tier: int, live_only: bool = False) -> float:
    """Yuan of sales today by creators of one tier (tier at the time of sale)."""
    s = model.today.sales
    mask = (s.tier == tier) & (s.live if live_only else True)
    return float(s.price[mask].sum())


def live_gmv_smaller(model: CreatorEconomy) -> float:
    """Live-stream yuan today by creators below the scaled 300k-follower threshold (F1, F2)."""
    s = model.today.sales
    limit = model.scale.to_sim(model.scale.smaller_creator_threshold_real)
    small = model.creator_total_followers[s.creator] < limit
    return float(s.price[s.live & small].sum())


def gmv_of_role(model: CreatorEconomy, role: int) -> float:
    """Yuan of sales today by creators of one role."""
    s = model.today.sales
    return float(s.price[model.creator_state.role[s.creator] == role].sum())


def gmv_of_platform(model: CreatorEconomy, platform: int) -> float:
    """Yuan of sales today on one platform."""
    s = model.today.sales
    return float(s.price[s.platform == platform].sum())


def purchases(model: CreatorEconomy) -> int:
    """Number of purchases today."""
    return int(model.today.sales.price.size)


def followers_of_tier(model: CreatorEconomy, tier: int) -> int:
    """Simulated followers held by active creators of one tier."""
    mask = _active(model) & (model.creator_tier == tier)
    return int(model.creator_total_followers[mask].sum())


def creators_of_tier(model: CreatorEconomy, tier: int) -> int:
    """Active creators in one tier."""
    return int((_active(model) & (model.creator_tier == tier)).sum())


def creators_active(model: CreatorEconomy) -> int:
    """Active creators."""
    return int(_active(model).sum())


def spend_of_arm(model: CreatorEconomy, arm: int) -> float:
    """Yuan brands spent today on one arm.

    Deals with a creator tier are paid on budget days; traffic bought for own accounts
    is paid every day.
    """
    return float(model.today.spend[arm])


def budget_share(model: CreatorEconomy, arm: int) -> float:
    """Budget-weighted mean share brands planned for one arm this period (key mission plot)."""
    budget = model.brand_state.budget
    return float(budget @ model.planned_shares[:, arm] / budget.sum())


def return_on_spend(model: CreatorEconomy, arm: int) -> float:
    """Value (sales, plus weighted mind-share) per yuan that an arm returned last period."""
    return float(model.arm_return[arm])


def budget_total(model: CreatorEconomy) -> float:
    """Sum of brands' budgets per period, yuan."""
    return float(model.brand_state.budget.sum())


def own_account_followers(model: CreatorEconomy) -> int:
    """Followers of brands' own accounts (their private-domain traffic)."""
    owned = model.creator_state.view("owner") >= 0
    return int(model.creator_total_followers[owned].sum())


def live_viewers(model: CreatorEconomy) -> int:
    """Viewers of live streams today."""
    return int(model.today.live_viewers)


def peak_viewers(model: CreatorEconomy, stat: str) -> float:
    """Mean or max over today's streams of peak concurrent viewers."""
    peaks = model.today.peak_viewers
    return float(getattr(np, stat)(peaks)) if peaks.size else 0.0


def formats_carried(model: CreatorEconomy, platform: int) -> int:
    """Number of formats a platform carries."""
    return int(model.carries[platform].sum())


def attention_of_platform(model: CreatorEconomy, platform: int) -> float:
    """Mean share of fans' attention on one platform."""
    return float(model.fan_state.attention[:, platform].mean(dtype=np.float64))


def impressions_of_platform(model: CreatorEconomy, platform: int) -> int:
    """Impressions delivered on one platform today."""
    return int(model.today.impressions[platform])


def follower_gini(model: CreatorEconomy) -> float:
    """Gini of active creators' followers."""
    return gini(model.creator_total_followers[_active(model)])


def follower_top1_share(model: CreatorEconomy) -> float:
    """Share of all followers held by the top 1% of active creators."""
    return top_share(model.creator_total_followers[_active(model)])


def sales_gini(model: CreatorEconomy) -> float:
    """Gini of active creators' cumulative sales."""
    return gini(model.creator_state.view("gmv")[_active(model)])


def sales_top1_share(model: CreatorEconomy) -> float:
    """Share of cumulative sales made by the top 1% of active creators."""
    return top_share(model.creator_state.view("gmv")[_active(model)])


def income_gini(model: CreatorEconomy) -> float:
    """Gini of active creators' cumulative income."""
    return gini(model.creator_state.view("income")[_active(model)])


def income_quantile(model: CreatorEconomy, q: float) -> float:
    """Quantile of active creators' cumulative income, yuan."""
    x = model.creator_state.view("income")[_active(model)]
    return float(np.quantile(x, q)) if x.size else 0.0


def trust_mean(model: CreatorEconomy) -> float:
    """Mean trust over all follow edges."""
    t = model.follows.trust
    return float(t.mean(dtype=np.float64)) if t.size else 0.0


TRUST_QUANTILES = (0.1, 0.5, 0.9)


TRUST_BINS = 10_000  # quantiles are read from a histogram: exact to 1 / 20,000


def trust_quantile(model: CreatorEconomy, q: float) -> float:
    """Quantile (one of TRUST_QUANTILES) of trust over all follow edges, computed once a day.

    Read from a histogram of 10,000 bins over [0, 1] (error below 0.00005): one pass over
    the edges instead of a sort.
    """
    today = model.today
    if today.trust_quantiles is None:
        today.trust_quantiles = kernels.histogram_quantiles(
            model.follows.trust, 0.0, 1.0, TRUST_BINS, np.asarray(TRUST_QUANTILES)
        )
    return float(today.trust_quantiles[TRUST_QUANTILES.index(q)])


def follows(model: CreatorEconomy) -> int:
    """Follow edges in the market."""
    return len(model.follows)


def mind_share(model: CreatorEconomy) -> float:
    """Share of (fan, brand) pairs at SICAS Connect or later: long-term brand mind-share."""
    counts = model.fan_state.stage_counts
    return float(counts[CONNECT:].sum() / counts.sum())


def adoption(model: CreatorEconomy) -> float:
    """Share of (fan, brand) pairs where the fan has bought the brand: Bass's F(t)."""
    counts = model.fan_state.stage_counts
    return float(counts[ACTION:].sum() / counts.sum())


def ledger_count(model: CreatorEconomy, field: str) -> int:
    """A count of today's events (streams, new follows, scandals, entries, exits, shares)."""
    return int(getattr(model.today, field))


def model_reporters(model: CreatorEconomy) -> dict[str, Callable]:
    """Every time series the DataCollector records, by column name."""
    r: dict[str, Callable] = {
        "gmv": gmv,
        "live_gmv": live_gmv,
        "live_gmv_smaller": live_gmv_smaller,
        "purchases": purchases,
    }
    for i, t in enumerate(TIERS):
        r[f"gmv_{t}"] = partial(gmv_of_tier, tier=i)
        r[f"live_gmv_{t}"] = partial(gmv_of_tier, tier=i, live_only=True)
        r[f"followers_{t}"] = partial(followers_of_tier, tier=i)
        r[f"creators_{t}"] = partial(creators_of_tier, tier=i)
    for i, arm in enumerate(BUDGET_ARMS):
        r[f"spend_{arm}"] = partial(spend_of_arm, arm=i)
        r[f"budget_share_{arm}"] = partial(budget_share, arm=i)
        r[f"return_{arm}"] = partial(return_on_spend, arm=i)
    for i, role in enumerate(model.role_names):
        r[f"gmv_role_{role}"] = partial(gmv_of_role, role=i)
    for p in model.platform_list:
        r[f"gmv_platform_{p.key}"] = partial(gmv_of_platform, platform=p.index)
        r[f"attention_{p.key}"] = partial(attention_of_platform, platform=p.index)
        r[f"impressions_{p.key}"] = partial(impressions_of_platform, platform=p.index)
        r[f"formats_{p.key}"] = partial(formats_carried, platform=p.index)
    r |= {
        "creators_active": creators_active,
        "follower_gini": follower_gini,
        "follower_top1_share": follower_top1_share,
        "sales_gini": sales_gini,
        "sales_top1_share": sales_top1_share,
        "income_gini": income_gini,
        "income_median": partial(income_quantile, q=0.5),
        "income_p99": partial(income_quantile, q=0.99),
        "trust_mean": trust_mean,
        **{f"trust_p{round(q * 100)}": partial(trust_quantile, q=q) for q in TRUST_QUANTILES},
        "follows": follows,
        "mind_share": mind_share,
        "adoption": adoption,
        "budget_total": budget_total,
        "own_account_followers": own_account_followers,
        "live_viewers": live_viewers,
        "peak_viewers_mean": partial(peak_viewers, stat="mean"),
        "peak_viewers_max": partial(peak_viewers, stat="max"),
    }
    for field in (
        "streams",
        "new_follows",
        "scandals",
        "entries",
        "exits",
        "shares",
        "word_of_mouth",
    ):
        r[field] = partial(ledger_count, field=field)
    return r


# ------------------------------------------------------------------ end-of-run FACTS metrics
def year_growth(series: pd.Series) -> float | None:
    """Year-on-year growth: total of days 366-730 over days 1-365, minus one (None if < 2 years)."""
    if len(series) < 2 * YEAR:
        return None
    y1, y2 = series.iloc[:YEAR].sum(), series.iloc[YEAR : 2 * YEAR].sum()
    return None if y1 <= 0 else float(y2 / y1 - 1)


def last_year(series: pd.Series) -> float:
    """Total over the last 365 days (or the whole run if shorter)."""
    return float(series.iloc[-YEAR:].sum())


def smaller_creator_live_share(ts: pd.DataFrame) -> float | None:
    """F1: share of last year's live GMV by creators below the scaled 300k threshold."""
    total = last_year(ts["live_gmv"])
    return None if total <= 0 else last_year(ts["live_gmv_smaller"]) / total


def popular_streamers_in_thousands(model: CreatorEconomy) -> float | None:
    """F4: share of top-decile live streamers whose following is in the "thousands" band.

    Popular live streamers are the top decile of creators by cumulative live GMV; the band
    is the scaled 1k-10k real followers by default.
    """
    live = model.creator_state.view("live_gmv")
    streamers = np.flatnonzero(live > 0)
    if streamers.size == 0:
        return None
    k = max(1, int(np.ceil(0.1 * streamers.size)))
    top = streamers[np.argsort(live[streamers])[::-1][:k]]
    real = model.scale.to_real(model.creator_total_followers[top])
    lo, hi = model.scale.thousands_band_real
    return float(((real >= lo) & (real < hi)).mean())


def income_top1_to_median(model: CreatorEconomy) -> float | None:
    """F6: mean income of the top 1% of active creators over the median creator's income."""
    income = model.creator_state.view("income")[_active(model)]
    median = np.median(income) if income.size else 0.0
    if median <= 0:
        return None
    k = max(1, int(np.ceil(0.01 * income.size)))
    return float(np.sort(income)[::-1][:k].mean() / median)


def brands_raising_spend(model: CreatorEconomy) -> dict[str, float] | None:
    """F7: share of brands raising their social budget at the first yearly review.

    Also the mean raise among those that raised.
    """
    if not model.budget_reviews:
        return None
    review = model.budget_reviews[0]
    old, new = np.asarray(review["old"]), np.asarray(review["new"])
    raised = new > old
    return {
        "share_raising": float(raised.mean()),
        "mean_raise": float((new[raised] / old[raised] - 1).mean()) if raised.any() else 0.0,
    }


def kol_spend_share(ts: pd.DataFrame) -> float | None:
    """F7: share of social spend going to creators (KOL deals) rather than own accounts."""
    total = sum(ts[f"spend_{a}"].sum() for a in BUDGET_ARMS)
    return None if total <= 0 else float(1 - ts["spend_own"].sum() / total)


def trusted_viewers_who_bought(model: CreatorEconomy) -> float | None:
    """F8: share of fans who bought when a host they trust recommended a product live.

    Operationalises "users willing to buy what a live-stream anchor recommends": among
    fans who watched at least one live stream selling a product while trusting its host
    (trust in the followed creator of at least ``trusted_threshold``), the share who bought
    in at least one such stream during the run. None when no fan ever watched one.
    """
    fs = model.fan_state
    viewers = fs.trusted_viewer.sum()
    return None if viewers == 0 else float((fs.trusted_buyer & fs.trusted_viewer).sum() / viewers)


def facts(model: CreatorEconomy, ts: pd.DataFrame) -> dict[str, dict]:
    """One entry per FACTS id the model can measure: value, target, definition.

    The target text is the id's bands from :data:`simulation.targets.TARGETS` (and the
    figures reported beside the seeds), so the gap to each is visible.
    """
    s = model.scale
    top = float(s.to_real(model.creator_total_followers.max(initial=0)))
    gmv_y = last_year(ts["gmv"]) * s.users_per_fan / s.cny_per_usd
    entries_y = (
        ts["entries"].iloc[-YEAR:].sum() * s.creators_per_creator * YEAR / min(len(ts), YEAR)
    )
    raising = brands_raising_spend(model)

    def entry(fid: str, value, target: str, definition: str, unit: str = "") -> dict:
        return {
            "id": fid,
            "value": value,
            "target": target,
            "unit": unit,
            "definition": definition,
            "calibrated": False,
        }

    return {
        "F1": entry(
            "F1",
            smaller_creator_live_share(ts),
            bands_of("F1"),
            smaller_creator_live_share.__doc__,
            "share",
        ),
        "F2": entry(
            "F2",
            year_growth(ts["live_gmv_smaller"]),
            bands_of("F2"),
            "year-on-year growth of live GMV by creators below the scaled 300k "
            "threshold (days 366-730 vs 1-365)",
            "growth",
        ),
        "F3": entry(
            "F3",
            {"mid": year_growth(ts["live_gmv_mid"]), "head": year_growth(ts["live_gmv_head"])},
            bands_of("F3"),
            "year-on-year growth of live GMV by mid-tier and by head creators",
            "growth",
        ),
        "F4": entry(
            "F4",
            popular_streamers_in_thousands(model),
            bands_of("F4"),
            popular_streamers_in_thousands.__doc__,
            "share",
        ),
        "F5": entry(
            "F5",
            top,
            bands_of("F5"),
            "largest creator's followers, scaled to real units",
            "real followers",
        ),
        "F6": entry(
            "F6",
            income_top1_to_median(model),
            bands_of("F6"),
            income_top1_to_median.__doc__,
            "ratio",
        ),
        "F7": entry(
            "F7",
            {**(raising or {}), "kol_share": kol_spend_share(ts)},
            bands_of("F7"),
            "share of brands raising their budget at the first yearly review and their mean "
            "raise; share of social spend on creator deals rather than own accounts",
            "share",
        ),
        "F8": entry(
            "F8",
            trusted_viewers_who_bought(model),
            bands_of("F8"),
            trusted_viewers_who_bought.__doc__,
            "share",
        ),
        "F9": entry(
            "F9",
            {"gmv_usd_last_year": gmv_y, "growth": year_growth(ts["gmv"])},
            bands_of("F9"),
            "last year's GMV scaled by real users per simulated fan, in USD",
            "USD",
        ),
        "F10": entry(
            "F10",
            float(entries_y),
            bands_of("F10"),
            "creator entries over the last year, scaled by real creators per simulated creator",
            "creators/year",
        ),
    }


def outcomes(model: CreatorEconomy, ts: pd.DataFrame) -> dict[str, Any]:
    """Headline outcomes beside the FACTS metrics: the mission's budget shift, the brand day."""
    share = ts["budget_share_mid"]
    return {
        "budget_share_mid": {"start": float(share.iloc[0]), "end": float(share.iloc[-1])},
        "budget_share_own": {
            "start": float(ts["budget_share_own"].iloc[0]),
            "end": float(ts["budget_share_own"].iloc[-1]),
        },
        "return_per_yuan_by_arm": {
            a: (float(v / s) if s > 0 else None)
            for a, v, s in zip(
                BUDGET_ARMS, model.arm_value_total, model.arm_spend_total, strict=True
            )
        },
        "spend_by_arm": dict(zip(BUDGET_ARMS, model.arm_spend_total.tolist(), strict=True)),
        "mind_share_end": float(ts["mind_share"].iloc[-1]),
        "gmv_last_year": last_year(ts["gmv"]),
        "brand_day": model.brand_day_result,
        "formats": {p.key: p.formats for p in model.platform_list},
    }
