"""Indicators a comparison reads from a run's time series: typed records, one per quantity.

An indicator is a ratio of two daily series summed over a window of days (a share of
sales, sales per day) or the mean of a level over that window (a Gini, a budget share,
mean trust). The same definition gives the 30-day rolling curve of the figures and the
end-of-run value of the comparison table, so the two always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from simulation.scenario import BUDGET_ARMS, TIERS, Scenario

ROLLING_DAYS = 30  # the figures' window, and the table's default one


@dataclass(frozen=True)
class Indicator:
    """One quantity a strategist compares between scenarios."""

    key: str  # name in tables, figures and a what-if's ``watch``
    label: str  # what it is, for a reader
    unit: str  # its unit
    numerator: str  # time-series column summed (or averaged) over the window
    denominator: str | None = None  # column summed over the same window; None: a mean
    scale: float = 1.0  # multiplies the value (real units)
    group: str = ""  # figure it belongs to
    change: bool = False  # relative to the first ROLLING_DAYS measured days, minus 1

    def columns(self) -> list[str]:
        """Time-series columns it reads."""
        return [self.numerator] + ([self.denominator] if self.denominator else [])

    def over(self, ts: pd.DataFrame, first: int, last: int) -> float:
        """Its value over the measured days ``first..last`` (1-based, inclusive) of one run."""
        value = self._level(ts, first, last)
        return value / self._start(ts) - 1 if self.change else value

    def rolling(self, ts: pd.DataFrame, days: int = ROLLING_DAYS) -> pd.Series:
        """Its value over the trailing ``days`` days, day by day, for one run."""
        top = ts[self.numerator].rolling(days, min_periods=1).mean()
        if self.denominator is None:
            level = top * self.scale
        else:
            bottom = ts[self.denominator].rolling(days, min_periods=1).mean()
            level = (top / bottom.where(bottom > 0)) * self.scale
        return level / self._start(ts) - 1 if self.change else level

    def _level(self, ts: pd.DataFrame, first: int, last: int) -> float:
        window = ts[(ts["step"] >= first) & (ts["step"] <= last)]
        top = window[self.numerator].mean()
        if self.denominator is None:
            return float(top * self.scale)
        bottom = window[self.denominator].mean()
        return float(top / bottom * self.scale) if bottom > 0 else float("nan")

    def _start(self, ts: pd.DataFrame) -> float:
        """The level over the first ROLLING_DAYS measured days (NaN when it is 0)."""
        start = self._level(ts, 1, ROLLING_DAYS)
        return start if start > 0 else float("nan")


def indicators(scenario: Scenario) -> dict[str, Indicator]:
    """Every indicator of a scenario's market, by key (platforms and roles come from it)."""
    real = scenario.scale.real_users / scenario.population.n_fans  # real users per fan
    platforms = [(k, p.label or k) for k, p in scenario.platforms.items() if p.enabled]
    out = [
        Indicator("gmv", "GMV per day", "million real yuan/day", "gmv", None, real / 1e6, "gmv"),
        Indicator(
            "platform_commission",
            "platforms' commission on sales",
            "million real yuan/day",
            "platform_commission",
            None,
            real / 1e6,
            "gmv",
        ),
        *(
            Indicator(
                f"sales_share_{t}",
                f"{t}-tier share of sales",
                "share",
                f"gmv_{t}",
                "gmv",
                group="sales_share",
            )
            for t in TIERS
        ),
        *(
            Indicator(
                f"live_sales_share_{t}",
                f"{t}-tier share of live-stream sales",
                "share",
                f"live_gmv_{t}",
                "live_gmv",
                group="live_sales_share",
            )
            for t in TIERS
        ),
        *(
            Indicator(
                f"budget_share_{a}",
                f"brand budget share: {a}",
                "share",
                f"budget_share_{a}",
                group="budget_share",
            )
            for a in BUDGET_ARMS
        ),
        *(
            Indicator(
                f"return_{a}",
                f"brands' return per yuan: {a}",
                "yuan/yuan",
                f"return_{a}",
                group="return",
            )
            for a in BUDGET_ARMS
        ),
        Indicator(
            "follower_gini", "Gini of followers", "0-1", "follower_gini", group="concentration"
        ),
        Indicator(
            "follower_top1_share",
            "top 1% creators' share of followers",
            "share",
            "follower_top1_share",
            group="concentration",
        ),
        Indicator(
            "sales_gini", "Gini of creators' sales", "0-1", "sales_gini", group="concentration"
        ),
        *(
            ind
            for k, label in platforms
            for ind in (
                Indicator(
                    f"platform_share_{k}",
                    f"{label} share of sales",
                    "share",
                    f"gmv_platform_{k}",
                    "gmv",
                    group="platform_share",
                ),
                Indicator(
                    f"smaller_live_share_{k}",
                    f"{label}: live sales by creators under 300k followers there (F1)",
                    "share",
                    f"live_gmv_{k}_smaller",
                    f"live_gmv_{k}",
                    group="smaller_live_share",
                ),
                Indicator(
                    f"attention_{k}",
                    f"{label} share of attention",
                    "share",
                    f"attention_{k}",
                    group="attention",
                ),
            )
        ),
        *(
            Indicator(
                f"sales_share_role_{r}",
                f"{r} creators' share of sales",
                "share",
                f"gmv_role_{r}",
                "gmv",
                group="role_share",
            )
            for r in scenario.roles
        ),
        Indicator(
            "trust_mean", "mean trust in followed creators", "0-1", "trust_mean", group="trust"
        ),
        Indicator("trust_p10", "10th percentile of trust", "0-1", "trust_p10", group="trust"),
        Indicator(
            "budget_total",
            "brands' yearly budgets",
            "million yuan",
            "budget_total",
            None,
            1e-6,
            "budget",
        ),
        Indicator(
            "own_account_followers",
            "brands' own accounts' followers",
            "million real followers",
            "own_account_followers",
            None,
            real / 1e6,
            "own",
        ),
        Indicator("scandals", "scandals per day", "scandals/day", "scandals", group="events"),
        Indicator(
            "creators_active",
            "active creators",
            "simulated creators",
            "creators_active",
            group="creators",
        ),
        Indicator(
            "followers_head",
            "head creators' followers",
            "million real followers",
            "followers_head",
            None,
            real / 1e6,
            "creators",
        ),
        Indicator(
            "creators_head",
            "head creators",
            "simulated creators",
            "creators_head",
            group="creators",
        ),
        Indicator(
            "creators_head_change",
            "head creators, change since the first measured month",
            "share",
            "creators_head",
            group="creators",
            change=True,
        ),
        Indicator(
            "creators_mid_change",
            "mid-tier creators, change since the first measured month",
            "share",
            "creators_mid",
            group="creators",
            change=True,
        ),
    ]
    return {i.key: i for i in out}


def indicator_names(scenario: Scenario) -> list[str]:
    """Keys of :func:`indicators` (what a what-if's ``watch`` may name)."""
    return list(indicators(scenario))


# The figures of a comparison: (group, title), in report order.
FIGURES: tuple[tuple[str, str], ...] = (
    ("sales_share", "Share of sales by creator tier"),
    ("budget_share", "Brand budget share by tier"),
    ("concentration", "Concentration of followers and sales"),
    ("smaller_live_share", "Live sales by creators under 300k followers (F1)"),
    ("platform_share", "Platform shares of sales"),
    ("attention", "Platform shares of attention"),
    ("trust", "Trust in followed creators"),
    ("gmv", "GMV"),
)


def window_of(scenario: Scenario, steps: int, days: int) -> tuple[int, int]:
    """Measured days a comparison reads: the what-if's own ``days``, else the last ``days``."""
    if scenario.whatif.days:
        first, last = scenario.whatif.days
        return first, min(last, steps)
    return max(1, steps - days + 1), steps
