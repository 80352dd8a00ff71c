"""Typed records of one simulated day, passed from phase to phase and read by the metrics.

A day's phases hand each other these records instead of dicts: every field exists from
the moment the record is made, has one dtype and one meaning (the comment beside it).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from simulation.scenario import TIERS

if TYPE_CHECKING:
    from simulation.metrics import Measures


def _ints() -> np.ndarray:
    return np.zeros(0, np.int32)


@dataclass
class Content:
    """What creators put out today (content phase; read by distribution and exposure)."""

    posted: np.ndarray  # (creators,) bool: posted a short video today
    video_format: np.ndarray  # (creators, platforms) format index of today's post there
    video_product: np.ndarray  # (creators, platforms) brand the post features, -1 none
    stream_product: np.ndarray  # (creators, platforms) brand a stream there sells, -1 none
    live: np.ndarray  # (creators, platforms) bool: live-streaming there today


@dataclass
class Impressions:
    """Every impression of the day, one entry each (distribution fills it, exposure reads it).

    ``watch``, ``stream`` and ``engaged`` start neutral and are set by the exposure phase.
    """

    fan: np.ndarray  # int32 fan who sees it
    creator: np.ndarray  # int32 creator whose content it is
    platform: np.ndarray  # int8 platform it is on
    ad: np.ndarray  # bool: traffic a brand bought for its own account
    social: np.ndarray  # bool: shown because a friend engaged with it (social proof)
    live: np.ndarray  # bool: a live stream (else a post)
    product: np.ndarray  # int16 brand featured, -1 none
    format: np.ndarray  # int8 format index (simulation.scenario.FORMATS)
    edge: np.ndarray  # int32 follow edge fan -> creator on that platform, -1 not following
    sponsored: np.ndarray  # bool: content a running deal paid for (credited to the deal)
    # float32 share of the full purchase chance reached by minutes watched (1 for posts)
    watch: np.ndarray = field(default=None)
    stream: np.ndarray = field(default=None)  # int32 today's stream (Ledger.stream_*), -1 post
    engaged: np.ndarray = field(default=None)  # bool: the fan engaged

    def __post_init__(self) -> None:
        n = self.fan.size
        if self.watch is None:
            self.watch = np.ones(n, np.float32)
        if self.stream is None:
            self.stream = np.full(n, -1, np.int32)
        if self.engaged is None:
            self.engaged = np.zeros(n, bool)

    def __len__(self) -> int:
        return self.fan.size

    def take(self, rows: np.ndarray) -> Impressions:
        """The impressions at ``rows`` (a mask or indices), every field alike."""
        return Impressions(**{k: getattr(self, k)[rows] for k in self.__dataclass_fields__})


@dataclass
class Sales:
    """Today's purchases through creators, one entry each (purchase phase)."""

    fan: np.ndarray = field(default_factory=_ints)  # buyer
    creator: np.ndarray = field(default_factory=_ints)  # creator whose content sold it
    brand: np.ndarray = field(default_factory=_ints)  # product's brand
    platform: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    live: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # sold in a live stream
    price: np.ndarray = field(default_factory=lambda: np.zeros(0))  # yuan
    tier: np.ndarray = field(default_factory=_ints)  # creator's tier at the time of sale
    good: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # met expectations


@dataclass
class Ledger:
    """What happened today: filled by the phases, read by the metrics reporters."""

    n_platforms: int
    n_arms: int
    sales: Sales = field(default_factory=Sales)
    impressions: np.ndarray = field(init=False)  # per platform
    engagements: np.ndarray = field(init=False)  # per platform
    spend: np.ndarray = field(init=False)  # per budget arm (tiers, own account), yuan
    live_viewers: int = 0
    stream_creator: np.ndarray = field(default_factory=_ints)  # per stream today
    stream_platform: np.ndarray = field(default_factory=_ints)  # per stream today
    peak_viewers: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per stream today
    stream_viewers: np.ndarray = field(default_factory=_ints)  # per stream today
    stream_following: np.ndarray = field(default_factory=_ints)  # its viewers who follow the host
    stream_units: np.ndarray = field(default_factory=_ints)  # per stream today
    stream_gmv: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per stream today
    streams: int = 0
    new_follows: int = 0
    # Follows won and lost today by the creator's tier (in TIERS' order): a new follow, and an
    # unfollow, a lost trust's or a leaving creator's ended follow.
    follows_won: np.ndarray = field(default_factory=lambda: np.zeros(len(TIERS), np.int64))
    follows_lost: np.ndarray = field(default_factory=lambda: np.zeros(len(TIERS), np.int64))
    scandals: int = 0
    entries: int = 0
    exits: int = 0
    joins: int = 0  # fans who joined the platforms today
    shares: int = 0
    word_of_mouth: int = 0  # purchases by word of mouth or unprompted discovery
    measures: Measures | None = None  # memo of what several reporters read (metrics.measures)

    def __post_init__(self) -> None:
        self.impressions = np.zeros(self.n_platforms, dtype=np.int64)
        self.engagements = np.zeros(self.n_platforms, dtype=np.int64)
        self.spend = np.zeros(self.n_arms)


class StreamHistory:
    """The live streams of the last ``days`` recorded days: host's role and GMV (F4's streams).

    Older days are dropped as new ones come: F4 reads the last year only, and a 1 M-fan
    market streams about 10,000 times a day (kept for two years, 36 MB).
    """

    def __init__(self, days: int) -> None:
        self.days = days
        self._days: deque[tuple[int, np.ndarray, np.ndarray]] = deque()

    def add(self, day: int, role: np.ndarray, gmv: np.ndarray) -> None:
        """Record one day's streams (host role index, yuan sold)."""
        self._days.append((day, role.astype(np.int8), gmv.astype(np.float32)))
        while self._days[0][0] <= day - self.days:
            self._days.popleft()

    def streams(self) -> tuple[np.ndarray, np.ndarray]:
        """(role, gmv) of every stream of the days kept."""
        if not self._days:
            return np.zeros(0, np.int8), np.zeros(0, np.float32)
        return np.concatenate([r for _, r, _ in self._days]), np.concatenate(
            [g for _, _, g in self._days]
        )


@dataclass
class Day:
    """One day in the making: the records each phase leaves for the next ones."""

    index: int  # day number, 0 on the first step
    ledger: Ledger
    demand: np.ndarray  # (platforms,) multiplier of the chance to buy (festival days)
    festival: np.ndarray  # (platforms,) bool: a festival is on there today
    content: Content | None = None  # content phase
    impressions: Impressions | None = None  # distribution phase, completed by exposure
    seen: np.ndarray | None = None  # (fans, platforms) uint16 impressions per fan (exposure)
    reward: np.ndarray | None = None  # (fans, platforms) uint16 engagements + purchases


@dataclass(frozen=True)
class ScandalRecord:
    """A named scandal of the scenario's ``[events]``, as it struck."""

    day: int  # measured day
    tier: str  # tier the event names
    rank: int  # rank in that tier by followers (1 = largest)
    creator: int  # creator hit, -1 if the tier had fewer creators than the rank
    real_followers: float  # that creator's real followers before the scandal (0 if none)


@dataclass(frozen=True)
class FestivalRecord:
    """A shopping-festival day of the scenario's ``[events]`` (F12), as it went."""

    day: int  # measured day
    platform: str  # platform key or "all"
    real_gmv: float  # the day's GMV on the festival's platforms, real yuan
    top_anchor_real_gmv: tuple[float, ...]  # the three best-selling streams there, real yuan
