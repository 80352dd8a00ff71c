"""Measured quantities: per-day reporters for the DataCollector and end-of-run FACTS metrics.

Reporters are named module-level functions (bound to a tier, role or platform with
``functools.partial``) so a model pickles across process boundaries. End-of-run metrics
(:func:`facts`) carry the FACTS id they measure and their operational definition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.mechanisms import blocks, kernels, sicas
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
@dataclass
class Measures:
    """What several of a day's reporters read, computed once, when the first of them asks.

    The DataCollector calls some 120 reporters a day; each used to recompute these (the
    four platforms' attention means alone took 1 ms a day at 20,000 fans, the brands' split
    was recomputed ten times). Kept in ``Ledger.measures`` until the next day's record.
    """

    attention: np.ndarray  # (platforms,) mean attention share of joined fans, NaN if none
    shares: np.ndarray  # (brands, arms) brands' budget split (``tier_policy.all_shares``)
    followers: np.ndarray  # active creators' followers, sorted
    sales: np.ndarray  # active creators' cumulative GMV, yuan, sorted
    income: np.ndarray  # active creators' cumulative income, yuan, sorted
    income_quantiles: np.ndarray  # INCOME_QUANTILES of it (0 while no creator is active)
    trust_quantiles: np.ndarray  # TRUST_QUANTILES of trust over every relationship


def measures(model: CreatorEconomy) -> Measures:
    """Today's :class:`Measures` (made on the first call of the day)."""
    today = model.today
    if today.measures is None:
        fs, cs, active = model.fan_state, model.creator_state, _active(model)
        income = np.sort(cs.view("income")[active])
        quantiles = np.quantile(income, INCOME_QUANTILES) if income.size else None
        today.measures = Measures(
            attention=kernels.masked_column_means(fs.attention, fs.joined),
            shares=model.tier_policy.all_shares(),
            followers=np.sort(model.creator_total_followers[active]),
            sales=np.sort(cs.view("gmv")[active]),
            income=income,
            income_quantiles=np.zeros(len(INCOME_QUANTILES)) if quantiles is None else quantiles,
            trust_quantiles=_trust_quantiles(model),
        )
    return today.measures


def _trust_quantiles(model: CreatorEconomy) -> np.ndarray:
    """TRUST_QUANTILES of every relationship's trust, from a histogram of 10,000 bins."""
    trust, ended = model.follows.trust, model.follows.ended.hist
    parts = blocks.run(
        lambda lo, hi: kernels.add_to_histogram(np.zeros_like(ended), trust[lo:hi], 0.0, 1.0),
        blocks.spans(trust.size, 1 << 20),
    )
    return histogram_quantiles(sum(parts, ended.copy()), np.asarray(TRUST_QUANTILES))


def _active(model: CreatorEconomy) -> np.ndarray:
    return model.creator_state.view("active")


def gmv(model: CreatorEconomy) -> float:
    """Yuan of sales through creators today."""
    return float(model.today.sales.price.sum())


def platform_commission(model: CreatorEconomy) -> float:
    """Yuan the platforms kept today: each sale's price times its platform's commission_rate."""
    s = model.today.sales
    return float((s.price * model.commission_rate[s.platform]).sum())


def live_gmv(model: CreatorEconomy) -> float:
    """Yuan of live-stream sales today."""
    s = model.today.sales
    return float(s.price[s.live].sum())


def gmv_of_tier(model: CreatorEconomy, tier: int, live_only: bool = False) -> float:
    """Yuan of sales today by creators of one tier (tier at the time of sale)."""
    s = model.today.sales
    mask = (s.tier == tier) & (s.live if live_only else True)
    return float(s.price[mask].sum())


def live_gmv_on(model: CreatorEconomy, platform: int, smaller_only: bool = False) -> float:
    """Live-stream yuan today on one platform.

    With ``smaller_only``: by creators below the scaled 300k-follower threshold *on that
    platform* (F1 and F2 read Douyin).
    """
    s = model.today.sales
    mask = s.live & (s.platform == platform)
    if smaller_only:
        mask &= smaller_creators(model, s.creator, platform)
    return float(s.price[mask].sum())


def live_views_on(
    model: CreatorEconomy, platform: int, smaller_only: bool = False, following: bool = False
) -> int:
    """Live-stream viewers today on one platform (a fan counted once per stream it came to).

    With ``following``: only viewers who follow the host there; with ``smaller_only``:
    only streams of creators below F1's line, as :func:`live_gmv_on`.
    """
    led = model.today
    views = led.stream_following if following else led.stream_viewers
    mask = led.stream_platform == platform
    if smaller_only:
        mask &= smaller_creators(model, led.stream_creator, platform)
    return int(views[mask].sum())


def smaller_creators(model: CreatorEconomy, creators: np.ndarray, platform: int) -> np.ndarray:
    """Which ``creators`` have fewer followers on ``platform`` than F1's scaled 300k."""
    limit = model.scale.to_sim(model.scale.smaller_creator_threshold_real)
    return model.creator_state.view("followers")[creators, platform] < limit


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
    """Budget-weighted mean share brands' split gives one arm (the key mission plot).

    The split is what brands decide (their learned weights, exploration included), not
    its execution: when a tier has no creator to hire its money goes to the others that
    period, but that is not a shift in where brands want to spend, so a fixed split plots
    flat. What was actually paid per arm is ``spend_<arm>``.
    """
    budget = model.brand_state.budget
    return float(budget @ measures(model).shares[:, arm] / budget.sum())


def advertiser_share(model: CreatorEconomy, arm: int) -> float:
    """The typical advertiser's split: each brand's share for one arm, averaged over brands.

    ``budget_share`` weights brands by budget (where the market's money goes), so a few
    large budgets decide it; this counts every advertiser once (what most brands do).
    """
    return float(measures(model).shares[:, arm].mean())


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
    """Mean share of the attention of fans who use the platforms (joined) on one platform.

    NaN while nobody uses them (a growing market can start empty).
    """
    return float(measures(model).attention[platform])


def joined_users(model: CreatorEconomy) -> int:
    """Fans who use the platforms (joined; all of them unless the market grows)."""
    return int(model.fan_state.joined.sum())


def impressions_of_platform(model: CreatorEconomy, platform: int) -> int:
    """Impressions delivered on one platform today."""
    return int(model.today.impressions[platform])


def follower_gini(model: CreatorEconomy) -> float:
    """Gini of active creators' followers."""
    return gini(measures(model).followers)


def follower_top1_share(model: CreatorEconomy) -> float:
    """Share of all followers held by the top 1% of active creators."""
    return top_share(measures(model).followers)


def sales_gini(model: CreatorEconomy) -> float:
    """Gini of active creators' cumulative sales."""
    return gini(measures(model).sales)


def sales_top1_share(model: CreatorEconomy) -> float:
    """Share of cumulative sales made by the top 1% of active creators."""
    return top_share(measures(model).sales)


def income_gini(model: CreatorEconomy) -> float:
    """Gini of active creators' cumulative income."""
    return gini(measures(model).income)


INCOME_QUANTILES = (0.5, 0.99)


def income_quantile(model: CreatorEconomy, q: float) -> float:
    """Quantile (one of INCOME_QUANTILES) of active creators' cumulative income, yuan."""
    return float(measures(model).income_quantiles[INCOME_QUANTILES.index(q)])


def trust_mean(model: CreatorEconomy) -> float:
    """Mean trust over every fan-creator relationship since measurement began.

    Live follows count at today's trust, ended ones at the trust they ended with (see
    :class:`simulation.state.EndedTrust`): a scandal that ends relationships lowers it.
    """
    fo = model.follows
    n = fo.n + fo.ended.count
    return (float(fo.trust.sum(dtype=np.float64)) + fo.ended.total) / n if n else 0.0


TRUST_QUANTILES = (0.1, 0.5, 0.9)


def trust_quantile(model: CreatorEconomy, q: float) -> float:
    """Quantile (one of TRUST_QUANTILES) of trust over every relationship, as trust_mean.

    Read from a histogram of 10,000 bins over [0, 1] (error below 0.00005), made once a
    day from the live edges plus the ended relationships' histogram: no sort.
    """
    return float(measures(model).trust_quantiles[TRUST_QUANTILES.index(q)])


def histogram_quantiles(hist: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """Quantiles ``qs`` of values counted in ``hist`` (equal bins over [0, 1]): bin centres."""
    cum = np.cumsum(hist)
    if cum[-1] == 0:
        return np.zeros(qs.size)
    k = np.searchsorted(cum, qs * cum[-1], side="left")
    return (np.minimum(k, hist.size - 1) + 0.5) / hist.size


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


def follows_of_tier(model: CreatorEconomy, field: str, tier: int) -> int:
    """Follows a tier's creators won (``follows_won``) or lost (``follows_lost``) today."""
    return int(getattr(model.today, field)[tier])


def model_reporters(model: CreatorEconomy) -> dict[str, Callable]:
    """Every time series the DataCollector records, by column name."""
    r: dict[str, Callable] = {
        "gmv": gmv,
        "live_gmv": live_gmv,
        "purchases": purchases,
        "platform_commission": platform_commission,
    }
    for i, t in enumerate(TIERS):
        r[f"gmv_{t}"] = partial(gmv_of_tier, tier=i)
        r[f"live_gmv_{t}"] = partial(gmv_of_tier, tier=i, live_only=True)
        r[f"followers_{t}"] = partial(followers_of_tier, tier=i)
        r[f"creators_{t}"] = partial(creators_of_tier, tier=i)
        r[f"follows_won_{t}"] = partial(follows_of_tier, field="follows_won", tier=i)
        r[f"follows_lost_{t}"] = partial(follows_of_tier, field="follows_lost", tier=i)
    for i, arm in enumerate(BUDGET_ARMS):
        r[f"spend_{arm}"] = partial(spend_of_arm, arm=i)
        r[f"budget_share_{arm}"] = partial(budget_share, arm=i)
        r[f"advertiser_share_{arm}"] = partial(advertiser_share, arm=i)
        r[f"return_{arm}"] = partial(return_on_spend, arm=i)
    for i, role in enumerate(model.role_names):
        r[f"gmv_role_{role}"] = partial(gmv_of_role, role=i)
    for p in model.platform_list:
        r[f"gmv_platform_{p.key}"] = partial(gmv_of_platform, platform=p.index)
        r[f"live_gmv_{p.key}"] = partial(live_gmv_on, platform=p.index)
        r[f"live_gmv_{p.key}_smaller"] = partial(live_gmv_on, platform=p.index, smaller_only=True)
        for name, following in (
            (f"live_views_{p.key}", False),
            (f"live_views_following_{p.key}", True),
        ):
            r[name] = partial(live_views_on, platform=p.index, following=following)
            r[f"{name}_smaller"] = partial(
                live_views_on, platform=p.index, smaller_only=True, following=following
            )
        r[f"attention_{p.key}"] = partial(attention_of_platform, platform=p.index)
        r[f"impressions_{p.key}"] = partial(impressions_of_platform, platform=p.index)
        r[f"formats_{p.key}"] = partial(formats_carried, platform=p.index)
    r |= {
        "creators_active": creators_active,
        "users": joined_users,
        "follower_gini": follower_gini,
        "follower_top1_share": follower_top1_share,
        "sales_gini": sales_gini,
        "sales_top1_share": sales_top1_share,
        "income_gini": income_gini,
        "income_median": partial(income_quantile, q=INCOME_QUANTILES[0]),
        "income_p99": partial(income_quantile, q=INCOME_QUANTILES[1]),
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
        "joins",
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
    """F1: share of Douyin's last-year live GMV by creators under 300k Douyin followers.

    Seed 004: "50% of live-stream sales on Douyin come from creators with fewer than
    300,000 followers"; the threshold is scaled. None without Douyin or its live sales.
    """
    if "live_gmv_douyin" not in ts:
        return None
    total = last_year(ts["live_gmv_douyin"])
    return None if total <= 0 else last_year(ts["live_gmv_douyin_smaller"]) / total


def smaller_creator_live_growth(ts: pd.DataFrame) -> float | None:
    """F2: year-on-year growth of those smaller creators' live GMV on Douyin (year 2 vs 1)."""
    return year_growth(ts["live_gmv_douyin_smaller"]) if "live_gmv_douyin" in ts else None


COUNT_WINDOW = 30  # days averaged for a count "at" the start or end of a year


def count_growth(series: pd.Series, year: int) -> float | None:
    """Growth of a daily count over measured year ``year`` (1 or 2).

    The count at a year's end is its mean over the year's last 30 days (at the start of
    year 1: the first 30 days), so one day's entries and exits do not decide it. None if
    the run is too short or the count starts at zero.
    """
    if len(series) < year * YEAR:
        return None
    w = COUNT_WINDOW
    start = series.iloc[:w] if year == 1 else series.iloc[(year - 1) * YEAR - w : (year - 1) * YEAR]
    end = series.iloc[year * YEAR - w : year * YEAR]
    return None if start.mean() <= 0 else float(end.mean() / start.mean() - 1)


def creator_count_growth(ts: pd.DataFrame) -> dict[str, float | None]:
    """F3: growth of the *number* of creators by tier (seed 001, read as FACTS says).

    ``mid``: growth of the number of mid-tier ("waist") creators in measured year 2;
    ``head``: the same for head creators (their growth slows while the waist booms);
    ``above_10k_slowdown``: growth of the number of creators above the scaled 10k
    followers (small, mid and head tiers) in year 2 minus that in year 1 (negative when
    it slows).
    """
    above = ts["creators_small"] + ts["creators_mid"] + ts["creators_head"]
    g1, g2 = count_growth(above, 1), count_growth(above, 2)
    return {
        "mid": count_growth(ts["creators_mid"], 2),
        "head": count_growth(ts["creators_head"], 2),
        "above_10k_slowdown": None if g1 is None or g2 is None else g2 - g1,
    }


def steady_market(ts: pd.DataFrame, window: int = 30) -> dict[str, float | None]:
    """Whether the measured years are a steady market (issue 10), not the model settling.

    ``head_min``: fewest head creators on any measured day (the head tier is never empty);
    ``head_count_change`` and ``head_follower_share_change``: the number of head creators
    and the head tier's share of all follows, mean of the last ``window`` measured days
    over the first ``window``, minus 1; ``creators_growth``: growth of the active creators
    per measured year, the same two windows annualised. None when the run is shorter than
    two windows.
    """
    short = len(ts) < 2 * window
    share = ts["followers_head"] / ts[[f"followers_{t}" for t in TIERS]].sum(axis=1)

    def change(series: pd.Series) -> float | None:
        start = series.iloc[:window].mean()
        return None if short or start <= 0 else float(series.iloc[-window:].mean() / start - 1)

    active = change(ts["creators_active"])
    years = (len(ts) - window) / YEAR
    return {
        "head_min": None if short else float(ts["creators_head"].min()),
        "head_count_change": change(ts["creators_head"]),
        "head_follower_share_change": change(share),
        "creators_growth": None if active is None else float((1 + active) ** (1 / years) - 1),
    }


def streamers_in_thousands(model: CreatorEconomy) -> float | None:
    """F4: share of live streamers with a buying audience whose following is in the thousands.

    Seed 003: "more than 85% of the popular live streamers have only thousands of fans, not
    millions". Streamers with a buying audience are the creators still active at the end
    who sold in at least one of their live streams during the measured period; "thousands"
    is the scaled 1k-10k real followers (``scale.thousands_band``), read on their followers
    at the end. A creator who has left has no following to read (its follows end with it):
    counted as a streamer with none, the many who sold and then left put this share at 0.23
    instead of 0.85 on the full baseline.
    """
    sellers = np.flatnonzero((model.creator_state.view("live_gmv") > 0) & _active(model))
    if sellers.size == 0:
        return None
    real = model.scale.to_real(model.creator_total_followers[sellers])
    lo, hi = model.scale.thousands_band_real
    return float(((real >= lo) & (real < hi)).mean())


def koc_streams_outselling_kols(model: CreatorEconomy) -> float | None:
    """F4, second half: share of KOC live streams that outsell the median KOL live stream.

    Seed 003: KOCs "can sell sometimes more than KOLs in one live stream". Over every live
    stream of the last measured year, the share of KOC streams whose GMV exceeds the median
    GMV of a KOL stream. None without KOC or KOL streams (or without those roles).
    """
    if not {"KOC", "KOL"} <= set(model.role_names):
        return None
    role, gmv_ = model.stream_history.streams()  # the last year's (StreamHistory.days)
    koc, kol = model.role_names.index("KOC"), model.role_names.index("KOL")
    kol_gmv, koc_gmv = gmv_[role == kol], gmv_[role == koc]
    if kol_gmv.size == 0 or koc_gmv.size == 0:
        return None
    return float((koc_gmv > np.median(kol_gmv)).mean())


WEEKLY_USE = 1.0  # F8: a platform's user expects at least this many impressions there a week
WILLING = 0.5  # F8 cut-off, fixed in advance (see willing_to_buy_from_anchor)


def willing_to_buy_from_anchor(model: CreatorEconomy) -> float | None:
    """F8: share of Kuaishou users who say they would buy what their trusted anchor sells live.

    Seed 002 reports a survey: "nearly 90% of Kuaishou users expressed their willingness to
    purchase beauty products recommended by anchors during live broadcasts". Every
    simulated Kuaishou user (a fan who expects at least one Kuaishou impression a week) is
    asked the same question about an affordable product: its chance of buying it when the
    Kuaishou anchor it trusts most (a followed creator who can stream there; a stranger's
    trust if it follows none) recommends it live, by the model's own purchase rule with the
    fan's mean brand trust. It answers yes when that chance is at least ``WILLING`` (half)
    of the chance it would have if it trusted the anchor fully. None without Kuaishou.
    """
    survey = _anchor_survey(model)
    return None if survey is None else float(survey.willing[survey.users].mean())


@dataclass(frozen=True)
class AnchorSurvey:
    """F8's survey of Kuaishou users, fan by fan (see :func:`willing_to_buy_from_anchor`)."""

    users: np.ndarray  # (fans,) bool: uses Kuaishou (expects an impression there a week)
    follows_anchor: np.ndarray  # (fans,) bool: follows a creator who can stream there
    top_trust: np.ndarray  # (fans,) trust in its most trusted anchor (stranger's if none)
    willing: np.ndarray  # (fans,) bool: answers yes


def _anchor_survey(model: CreatorEconomy) -> AnchorSurvey | None:
    if "kuaishou" not in [p.key for p in model.platform_list]:
        return None
    k = model.platform_index("kuaishou")
    fs, fo, cfg = model.fan_state, model.follows, model.config
    weekly = fs.attention[:, k] * model.platform_list[k].spec.impressions_per_day * 7
    users = fs.joined & (weekly >= WEEKLY_USE)
    if not users.any():
        return None
    anchor = model.live_eligible()[:, k]
    e = np.flatnonzero((fo.platform == k) & anchor[fo.creator])
    best = np.full(fs.n, cfg.purchase.stranger_trust, np.float32)
    fan = fo.fan_of(e)
    np.maximum.at(best, fan, fo.trust[e])
    follows_anchor = np.zeros(fs.n, bool)
    follows_anchor[fan] = True
    brand_trust = fs.brand_trust.mean(axis=1, dtype=np.float32)
    live, affordable = np.ones(fs.n, bool), np.ones(fs.n)
    kw = {
        "purchase_base": cfg.purchase.purchase_base,
        "trust_exponent": cfg.purchase.trust_exponent,
        "video_conversion_factor": cfg.purchase.video_conversion_factor,
    }
    chance = sicas.purchase_probability(best, live, brand_trust, affordable, **kw)
    full = sicas.purchase_probability(np.ones(fs.n), live, brand_trust, affordable, **kw)
    return AnchorSurvey(users, follows_anchor, best, chance >= WILLING * full)


def anchor_survey_parts(model: CreatorEconomy) -> dict[str, float | int | None]:
    """Where F8's answer comes from: who follows an anchor, and how far they trust it.

    The purchase rule's chance grows as trust ** ``trust_exponent``, so (unless it is
    capped at 1) a user says yes when its top trust is at least ``WILLING ** (1 /
    trust_exponent)``; a user who follows no anchor trusts as a stranger, below that, so
    F8 is the share following an anchor times the share of those who say yes. With
    ``trust_exponent`` 0 trust does not matter: everyone says yes, and there is no cut-off.
    """
    survey = _anchor_survey(model)
    if survey is None:
        return {}
    exponent = model.config.purchase.trust_exponent
    following = survey.users & survey.follows_anchor
    return {
        "kuaishou_users": int(survey.users.sum()),
        "follow_an_anchor": float(following.sum() / survey.users.sum()),
        "willing_if_following": float(survey.willing[following].mean())
        if following.any()
        else None,
        "trust_cutoff": WILLING ** (1 / exponent) if exponent > 0 else None,
        "median_top_trust": float(np.median(survey.top_trust[following]))
        if following.any()
        else None,
    }


def trust_by_audience(model: CreatorEconomy, ts: pd.DataFrame) -> dict[str, Any]:
    """Which creators trust favours, read where the purchase rule uses it.

    A viewer's purchase chance grows as trust ** ``trust_exponent`` in the host it
    follows, and a viewer who does not follow trusts as a stranger (``stranger_trust``):
    trust favours the creators whose viewers follow them, and those whose followers trust
    them more. On Douyin, split at F1's line (smaller: under 300k real followers there):
    the share of last year's live viewers who followed the host and the mean trust of the
    follows held at the end. Over every platform: the follows' mean trust by the
    creator's tier and by role (a role's trust is what its follows start at and decay
    toward), and each role's share of Douyin follows that are with smaller creators.
    Means are over the follows held at the end (ended ones are in ``trust_mean``); None
    where a group has none.
    """
    fo, cs = model.follows, model.creator_state
    trust = fo.trust.astype(np.float64)
    roles = model.role_names
    out: dict[str, Any] = {
        "follow_trust_by_tier": dict(
            zip(TIERS, _group_means(trust, model.creator_tier[fo.creator], len(TIERS)), strict=True)
        ),
        "follow_trust_by_role": dict(
            zip(roles, _group_means(trust, cs.role[fo.creator], len(roles)), strict=True)
        ),
    }
    if "live_views_douyin" not in ts:
        return out
    d = model.platform_index("douyin")
    on = np.flatnonzero(fo.platform == d)
    smaller = smaller_creators(model, fo.creator[on], d)
    views = {side: last_year(ts[f"live_views_douyin{side}"]) for side in ("", "_smaller")}
    following = {
        side: last_year(ts[f"live_views_following_douyin{side}"]) for side in ("", "_smaller")
    }
    larger_views = views[""] - views["_smaller"]
    larger_following = following[""] - following["_smaller"]
    return out | {
        "douyin_live_viewers_following": {
            "smaller": following["_smaller"] / views["_smaller"] if views["_smaller"] else None,
            "larger": larger_following / larger_views if larger_views else None,
        },
        "douyin_follow_trust": dict(
            zip(
                ("larger", "smaller"),
                _group_means(trust[on], smaller.astype(np.int64), 2),
                strict=True,
            )
        ),
        "douyin_follows_smaller_by_role": dict(
            zip(
                roles,
                _group_means(smaller.astype(np.float64), cs.role[fo.creator[on]], len(roles)),
                strict=True,
            )
        ),
    }


def _group_means(values: np.ndarray, groups: np.ndarray, n: int) -> list[float | None]:
    """Mean of ``values`` in each of groups 0..n-1 (None for an empty group)."""
    count = np.bincount(groups, minlength=n)
    total = np.bincount(groups, values, minlength=n)
    return [float(t / c) if c else None for t, c in zip(total, count, strict=True)]


def income_top1_to_median(model: CreatorEconomy) -> float | None:
    """F6: mean income of the top 1% of earning creators over the median earning creator's.

    Seed 001: the top earn "millions a year", small creators "a few thousand" (the Chinese
    chapter title: "as high as tens of millions, as low as tens of thousands" of yuan): the
    spread of what creators who earn are paid. Earning creators are the active ones with
    any income (commission or deal fees) in the measured period; one who never sold and
    was never paid has no income to place in that range. On the full baseline (200 real
    users per simulated fan) two-thirds of active creators earn nothing, so a median over
    all of them is zero and the ratio undefined.
    """
    income = model.creator_state.view("income")[_active(model)]
    income = income[income > 0]
    if income.size == 0:
        return None
    k = max(1, int(np.ceil(0.01 * income.size)))
    return float(np.sort(income)[::-1][:k].mean() / np.median(income))


def brands_raising_spend(model: CreatorEconomy) -> dict[str, float] | None:
    """F7: share of brands raising their social budget at the first yearly review.

    The first review that judges a measured year (none during or right after a warm-up);
    also the mean raise among those that raised.
    """
    first = model.measured_from + model.config.brands.budget_review_days
    reviews = [r for r in model.budget_reviews if r["day"] >= first]
    if not reviews:
        return None
    review = reviews[0]
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
            smaller_creator_live_growth(ts),
            bands_of("F2"),
            smaller_creator_live_growth.__doc__,
            "growth",
        ),
        "F3": entry(
            "F3",
            creator_count_growth(ts),
            bands_of("F3"),
            creator_count_growth.__doc__,
            "growth",
        ),
        "F4": entry(
            "F4",
            {
                "thousands": streamers_in_thousands(model),
                "koc_outsells": koc_streams_outselling_kols(model),
            },
            bands_of("F4"),
            f"{streamers_in_thousands.__doc__}\n{koc_streams_outselling_kols.__doc__}",
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
            willing_to_buy_from_anchor(model),
            bands_of("F8"),
            willing_to_buy_from_anchor.__doc__,
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


def _followers_label(x: float) -> str:
    """A real follower count as people write it: 10k, 300k, 1M, 5M."""
    for unit, suffix in ((1e6, "M"), (1e3, "k")):
        if x >= unit:
            return f"{x / unit:g}{suffix}"
    return f"{x:g}"


def return_by_followers(model: CreatorEconomy) -> dict[str, dict[str, Any]]:
    """What a yuan of deal fees returned, by the deal creator's real followers at signing.

    Seed 001 says advertisers move budgets to mid-tier creators "due to their
    cost-effectiveness": this is that cost-effectiveness as the brands measured it (the
    value they count, sales and connected fans, over the fees they paid), pooled over
    every deal of the measured period, in the bands of ``ScaleMapping.size_bands_real``
    (keys such as ``"300k-1M"``; the last band is ``"10M+"``). A band without deals has
    no return (None). ``per_thousand_reached`` is what the fees paid per 1,000 real
    impressions of the deals' content (bought traffic costs ``ad_cost_per_thousand``).
    """
    inner = model.scale.size_bands_real
    lows = (0.0, *inner)
    labels = [f"{_followers_label(lo)}-{_followers_label(hi)}" for lo, hi in pairwise(lows)]
    labels.append(f"{_followers_label(inner[-1])}+")
    tier = model.scale.tier_of(model.scale.to_sim(np.asarray(lows)))
    rows = zip(
        labels,
        tier,
        model.band_deals_total,
        model.band_spend_total,
        model.band_value_total,
        model.band_reach_total,
        strict=True,
    )
    return {
        label: {
            "tier": TIERS[t],
            "deals": int(n),
            "spend": float(s),
            "value": float(v),
            "return_per_yuan": float(v / s) if s > 0 else None,
            "per_thousand_reached": per_thousand(s, r),
        }
        for label, t, n, s, v, r in rows
    }


def per_thousand(spend: float, real_impressions: float) -> float | None:
    """Yuan paid per 1,000 real impressions (None when nothing was reached)."""
    return float(spend / real_impressions * 1000) if real_impressions > 0 else None


def follow_flows(ts: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    """Follows each tier won and lost a year, per follow it held, over the measured days.

    ``won``: new follows of the tier's creators over the days, divided by the follows they
    held (``followers_<tier>`` summed over the days), times 365; ``lost`` likewise for
    unfollows, lost trust and creators leaving; ``net`` the difference; ``all`` the whole
    market. Why the largest
    creators shrink or hold (``scenarios/limits/attachment_with_churn.toml``): when a share q
    of the market's new follows goes to creators in proportion to their followers, a
    creator far above the mean wins about q times the market's rate, and loses every
    follow at the common rate. None for a tier that held no follows.
    """
    out: dict[str, dict[str, float | None]] = {}
    for key, tiers in (*((t, [t]) for t in TIERS), ("all", TIERS)):
        held = sum(ts[f"followers_{t}"].sum() for t in tiers)
        won = sum(ts[f"follows_won_{t}"].sum() for t in tiers)
        lost = sum(ts[f"follows_lost_{t}"].sum() for t in tiers)
        rates = [float(n * YEAR / held) if held > 0 else None for n in (won, lost)]
        out[key] = {
            "won": rates[0],
            "lost": rates[1],
            "net": None if held <= 0 else float((won - lost) * YEAR / held),
        }
    return out


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
        # What a deal's content, or bought traffic ("own"), cost per 1,000 real impressions.
        "per_thousand_reached_by_arm": {
            a: per_thousand(s, r)
            for a, s, r in zip(
                BUDGET_ARMS, model.arm_spend_total, model.arm_reach_total, strict=True
            )
        },
        "return_per_yuan_by_followers": return_by_followers(model),
        "follow_flows": follow_flows(ts),
        "f8_survey": anchor_survey_parts(model),
        "trust_by_audience": trust_by_audience(model, ts),
        "mind_share_end": float(ts["mind_share"].iloc[-1]),
        "gmv_last_year": last_year(ts["gmv"]),
        "brand_day": model.brand_day_result,
        "events": [
            {"event": type(e).__name__.removesuffix("Record").lower(), **asdict(e)}
            for e in model.event_log
        ],
        "formats": {p.key: p.formats for p in model.platform_list},
    }
