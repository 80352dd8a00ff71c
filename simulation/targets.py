"""The FACTS targets: one table of bands, labels and the metrics they are read from.

Metrics (``summary.json``), calibration (the loss) and validation (the table, the golden
summary, the figures) all read :data:`TARGETS`; the figures the seeds report without a
band are :data:`REPORTED`. Each key is an output of :func:`simulation.run_model`,
computed by a named, documented function in :mod:`simulation.metrics`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MISSING = 2.0  # distance charged for a target a run cannot measure


@dataclass(frozen=True)
class Target:
    """One calibration band: ``lo <= value <= hi`` (None = open), on a log10 scale if ``log``."""

    id: str
    key: str  # key of run_model's output, or a derived key (see value)
    lo: float | None
    hi: float | None
    label: str
    log: bool = False
    scale: float | None = None  # distance that counts as one band width (open bands)

    def value(self, metrics: Mapping[str, Any]) -> float | None:
        """The measured value of this target in one run's (or the mean) metrics."""
        if self.key == "F3.head_minus_mid":
            head, mid = metrics.get("F3.head"), metrics.get("F3.mid")
            return None if head is None or mid is None else head - mid
        v = metrics.get(self.key)
        return None if v is None or not math.isfinite(v) else float(v)

    def distance(self, value: float | None) -> float:
        """How far outside the band, in band widths (0 inside); 2 for an unmeasurable value."""
        if value is None:
            return MISSING
        lo, hi, v = self.lo, self.hi, value
        if self.log:
            lo, hi = (None if x is None else math.log10(x) for x in (lo, hi))
            v = math.log10(max(v, 1e-12))
        width = self.scale or (hi - lo if lo is not None and hi is not None else 1.0)
        below = lo - v if lo is not None and v < lo else 0.0
        above = v - hi if hi is not None and v > hi else 0.0
        return (below + above) / width

    def band(self) -> str:
        """The band as text."""
        fmt = "{:.3g}".format
        if self.lo is not None and self.hi is not None:
            return f"{fmt(self.lo)} to {fmt(self.hi)}"
        return f">= {fmt(self.lo)}" if self.lo is not None else f"<= {fmt(self.hi)}"


# FACTS bands (issue "calibrated baseline"); keys are run_model outputs (metrics.facts()).
TARGETS: tuple[Target, ...] = (
    Target("F1", "F1", 0.45, 0.55, "Douyin live GMV share of creators under 300k followers"),
    Target("F2", "F2", 0.48, 0.68, "their Douyin live GMV growth, year 2 vs year 1"),
    Target("F3", "F3.mid", 0.37, 0.57, "growth of the number of mid-tier creators"),
    Target("F3", "F3.head_minus_mid", None, 0.0, "head count growth minus mid", scale=0.2),
    Target(
        "F3", "F3.above_10k_slowdown", None, 0.0, "growth above 10k, year 2 - year 1", scale=0.2
    ),
    Target("F4", "F4.thousands", 0.85, 1.0, "selling live streamers with thousands of followers"),
    Target("F4", "F4.koc_outsells", 0.05, 0.5, "KOC streams outselling the median KOL stream"),
    Target("F5", "F5", 1e7, 9.9e7, "largest creator's real followers", log=True),
    Target("F6", "F6", 1000.0, None, "top-1% to median earner's income", log=True, scale=1.0),
    Target("F7", "F7.share_raising", 0.71, 0.91, "brands raising social spend"),
    Target("F7", "F7.mean_raise", 0.11, 0.31, "their mean raise"),
    Target("F7", "F7.kol_share", 0.50, 0.70, "share of spend on creators (KOLs)"),
    Target("F8", "F8", 0.85, 0.95, "Kuaishou users willing to buy what their anchor sells"),
)


# Checks that the measured years are a steady market (issue 10), read from
# metrics.steady_market; validation shows them beside the FACTS bands. They are not
# calibration targets: a fit must not trade them for a band.
STEADY: tuple[Target, ...] = (
    Target(
        "steady", "steady.head_min", 1.0, None, "fewest head creators on a measured day", scale=1.0
    ),
    Target(
        "steady",
        "steady.head_count_change",
        -0.5,
        0.5,
        "head creators' number, last measured month vs first",
    ),
    Target(
        "steady",
        "steady.head_follower_share_change",
        -0.5,
        0.5,
        "head tier's share of follows, last measured month vs first",
    ),
    Target(
        "steady",
        "steady.creators_growth",
        None,
        1.0,
        "active creators' growth per measured year (not doubling)",
        scale=0.5,
    ),
)


@dataclass(frozen=True)
class Reported:
    """A figure the seeds give that the model reports beside them, without a band."""

    id: str
    key: str  # key of run_model's output
    label: str
    seeds: str  # what the seeds say


REPORTED: tuple[Reported, ...] = (
    Reported("F9", "F9.gmv_usd_last_year", "2020 market size, USD (scaled)", "about 60e9"),
    Reported("F9", "F9.growth", "market growth, year 2 vs year 1", "about +1.00"),
    Reported("F10", "F10", "creator entries per year (scaled)", "7.53e6 (Douyin)"),
)


def bands_of(fid: str) -> str:
    """Every band (or reported figure) of one FACTS id, as text for reports."""
    parts = [f"{t.key}: {t.band()}" for t in TARGETS if t.id == fid]
    parts += [f"{r.key}: {r.seeds} (reported)" for r in REPORTED if r.id == fid]
    return "; ".join(parts)
