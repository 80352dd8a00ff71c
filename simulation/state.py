"""Population state as NumPy arrays: the data the mechanisms act on in whole-population steps.

Mesa agents (``simulation.agents``) are views onto rows of these arrays, so a user can
inspect any fan or creator while every phase runs vectorised over all of them at once.
Nothing here is O(fans x creators): follows are a sparse edge list, the social graph is CSR.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.mechanisms.sicas import NONE

# What a brand observes of a deal or of its bought traffic during a budget period.
OBSERVED = ("impressions", "engagements", "units", "revenue", "connects")
IMPRESSIONS, ENGAGEMENTS, UNITS, REVENUE, CONNECTS = range(len(OBSERVED))

_CREATOR_BITS = 24  # room for 16.7 M creators in a follow key
_PLATFORM_BITS = 6  # room for 64 platforms


@dataclass
class SocialGraph:
    """Undirected friendship graph among fans in CSR form (WeChat's social graph, sharing)."""

    indptr: np.ndarray  # (n_fans + 1,) int64: friends of fan i are indices[indptr[i]:indptr[i+1]]
    indices: np.ndarray  # (2 x edges,) int32: friend ids

    @classmethod
    def small_world(
        cls,
        n: int,
        degree: int,
        rewire: float,
        rng: np.random.Generator,
        order: np.ndarray | None = None,
    ):
        """Watts-Strogatz-like ring lattice with random rewiring, built in O(n x degree).

        ``order`` places fans around the ring (neighbours on the ring become friends); a
        ring ordered by interest makes friends alike (homophily).
        """
        half = max(degree // 2, 0)
        if half == 0 or n < 2:
            return cls(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
        ring = np.arange(n, dtype=np.int64) if order is None else np.asarray(order, np.int64)
        pos = np.repeat(np.arange(n, dtype=np.int64), half)
        src = ring[pos]
        dst = ring[(pos + np.tile(np.arange(1, half + 1), n)) % n]
        rewired = rng.random(src.size) < rewire
        dst[rewired] = rng.integers(0, n, rewired.sum())
        keep = src != dst
        src, dst = src[keep], dst[keep]
        a = np.concatenate([src, dst])
        b = np.concatenate([dst, src])
        pairs = np.unique(a * n + b)
        a, b = pairs // n, pairs % n
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
        return cls(indptr, b.astype(np.int32))

    def degree(self) -> np.ndarray:
        """Number of friends of each fan."""
        return np.diff(self.indptr)

    def friends_of(self, fan: int) -> np.ndarray:
        """Friend ids of one fan."""
        return self.indices[self.indptr[fan] : self.indptr[fan + 1]]

    def random_friend(self, fans: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One uniformly drawn friend per entry of ``fans`` (-1 for a fan with none)."""
        deg = self.degree()[fans]
        pick = self.indptr[fans] + (rng.random(fans.size) * deg).astype(np.int64)
        out = np.full(fans.size, -1, dtype=np.int64)
        has = deg > 0
        out[has] = self.indices[pick[has]]
        return out

    def spread(self, fans: np.ndarray, reach: float, rng: np.random.Generator):
        """Each friend of each fan in ``fans`` is reached with probability ``reach``.

        Returns (source position in ``fans``, friend id) for every friend reached.
        """
        deg = self.degree()[fans]
        src = np.repeat(np.arange(fans.size), deg)
        starts = np.repeat(self.indptr[fans], deg)
        offsets = np.arange(src.size) - np.repeat(np.cumsum(deg) - deg, deg)
        friend = self.indices[starts + offsets]
        hit = rng.random(friend.size) < reach
        return src[hit], friend[hit].astype(np.int64)


@dataclass
class Follows:
    """Sparse follow edges fan -> creator on one platform, sorted by (fan, creator, platform).

    The sort order makes look-ups a binary search and keeps each fan's edges contiguous,
    which the follower-feed algorithm uses to draw one followed creator per slot.
    """

    fan: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    creator: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    platform: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    trust: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    key: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @staticmethod
    def make_key(fan, creator, platform) -> np.ndarray:
        """Sortable int64 key of (fan, creator, platform)."""
        fan, creator, platform = (np.asarray(x, dtype=np.int64) for x in (fan, creator, platform))
        return (fan << (_CREATOR_BITS + _PLATFORM_BITS)) | (creator << _PLATFORM_BITS) | platform

    def __len__(self) -> int:
        return self.key.size

    def _locate(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position of each key in the sorted edge keys and whether it is there."""
        if self.key.size == 0:
            return np.zeros(keys.size, np.int64), np.zeros(keys.size, bool)
        pos = np.minimum(np.searchsorted(self.key, keys), self.key.size - 1)
        return pos, self.key[pos] == keys

    def find(self, fan, creator, platform) -> np.ndarray:
        """Edge index of each (fan, creator, platform), or -1 where the fan does not follow."""
        pos, found = self._locate(self.make_key(fan, creator, platform))
        return np.where(found, pos, -1)

    def trust_of(self, edge: np.ndarray, default: float) -> np.ndarray:
        """Trust on each edge index, ``default`` where the index is -1 (not following)."""
        out = np.full(edge.size, default, dtype=np.float64)
        has = edge >= 0
        out[has] = self.trust[edge[has]]
        return out

    def add(self, fan, creator, platform, trust) -> np.ndarray:
        """Add new edges (duplicates and existing ones are ignored).

        Returns:
            The insertion positions, in the old edge numbering (sorted); pass them to
            :meth:`shifted` to renumber edge indices taken before the insertion.
        """
        k = self.make_key(fan, creator, platform)
        k, first = np.unique(k, return_index=True)
        new = ~self._locate(k)[1]
        k, first = k[new], first[new]
        at = np.searchsorted(self.key, k)
        if k.size == 0:
            return at
        self.key = np.insert(self.key, at, k)
        self.fan = np.insert(self.fan, at, np.asarray(fan, np.int64)[first])
        self.creator = np.insert(self.creator, at, np.asarray(creator, np.int64)[first])
        self.platform = np.insert(self.platform, at, np.asarray(platform, np.int64)[first])
        self.trust = np.insert(self.trust, at, np.asarray(trust, np.float64)[first])
        return at

    @staticmethod
    def shifted(edge: np.ndarray, inserted_at: np.ndarray) -> np.ndarray:
        """Edge indices (or -1) renumbered after an :meth:`add` that inserted at those positions."""
        return np.where(edge >= 0, edge + np.searchsorted(inserted_at, edge, side="right"), -1)

    def keep(self, mask: np.ndarray) -> None:
        """Drop every edge where ``mask`` is False (order, hence sortedness, is kept)."""
        for name in ("fan", "creator", "platform", "trust", "key"):
            setattr(self, name, getattr(self, name)[mask])

    def follower_counts(self, n_creators: int, n_platforms: int) -> np.ndarray:
        """(creators, platforms) follower counts."""
        flat = np.bincount(
            self.creator * n_platforms + self.platform, minlength=n_creators * n_platforms
        )
        return flat.reshape(n_creators, n_platforms)

    def feed_index(self, platform: int, n_fans: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One platform's edges grouped by fan: (edge ids, first position, count per fan)."""
        edges = np.flatnonzero(self.platform == platform)
        counts = np.bincount(self.fan[edges], minlength=n_fans)
        starts = np.cumsum(counts) - counts
        return edges, starts, counts


@dataclass
class FanState:
    """Per-fan arrays; row i is the fan whose ``Fan.index`` is i."""

    interest: np.ndarray  # (fans, topics) interest vector, rows sum to 1
    interest_cdf: np.ndarray  # (fans, topics) cumulative interest, for drawing a topic
    attention: np.ndarray  # (fans, platforms) share of attention on each platform, rows sum to 1
    budget: np.ndarray  # (fans,) yuan a day the fan sets aside for shopping
    wallet: np.ndarray  # (fans,) yuan saved up and available for a purchase
    stage: np.ndarray  # (fans, brands) int8 SICAS stage (simulation.sicas)
    brand_trust: np.ndarray  # (fans, brands) trust in each brand, 0..1
    last_engaged: np.ndarray  # (fans,) creator the fan last engaged with or shared, -1 if none
    purchases: np.ndarray  # (fans,) purchases made through creators so far
    satisfaction: np.ndarray  # (fans, platforms) reward per impression there, recent; NaN unknown
    friends: SocialGraph
    # F8: has watched a live stream selling a product while trusting its host, and has
    # bought in one such stream.
    trusted_viewer: np.ndarray
    trusted_buyer: np.ndarray

    @classmethod
    def create(
        cls,
        n: int,
        n_topics: int,
        n_brands: int,
        attention: np.ndarray,
        interest: np.ndarray,
        budget: np.ndarray,
        brand_trust: float,
        friends: SocialGraph,
    ) -> FanState:
        """Fresh fans with no stage, full initial brand trust and an empty wallet."""
        return cls(
            interest=interest,
            interest_cdf=np.cumsum(interest, axis=1),
            attention=attention,
            budget=budget,
            wallet=np.zeros(n),
            stage=np.full((n, n_brands), NONE, dtype=np.int8),
            brand_trust=np.full((n, n_brands), brand_trust),
            last_engaged=np.full(n, -1, dtype=np.int64),
            purchases=np.zeros(n, dtype=np.int64),
            satisfaction=np.full_like(attention, np.nan),
            friends=friends,
            trusted_viewer=np.zeros(n, dtype=bool),
            trusted_buyer=np.zeros(n, dtype=bool),
        )


_CREATOR_FIELDS: dict[str, tuple[type, float]] = {
    "role": (np.int64, 0),  # index into the scenario's role list
    "niche": (np.int64, 0),  # topic of the creator's content
    "quality": (np.float64, 0.0),  # content quality, 0..1
    "consistency": (np.float64, 0.0),  # probability of posting on a given day
    "active": (bool, False),  # still creating (False after exit)
    "born": (np.int64, 0),  # step the creator entered
    "stream_offset": (np.int64, 0),  # day within the stream interval of its scheduled streams
    "sponsor": (np.int64, -1),  # brand sponsoring it this budget period, -1 if none
    "deal_platform": (np.int64, -1),  # platform of that deal
    "deal_format": (np.int64, -1),  # 0 short video, 1 live stream
    "deal_tier": (np.int64, -1),  # creator's tier when the deal was signed
    "deal_fee": (np.float64, 0.0),  # yuan paid for the deal
    "owner": (np.int64, -1),  # brand owning this account (KOB), -1 otherwise
    "paused_until": (np.int64, -1),  # after a scandal, brands sign no deal before this day
    "income": (np.float64, 0.0),  # real yuan earned so far (scaled commission + fees)
    "gmv": (np.float64, 0.0),  # yuan of sales made through it so far
    "live_gmv": (np.float64, 0.0),  # of which in live streams
}


# Per-creator rows of width "platforms" or "brands": (dtype, fill value, width).
_CREATOR_TABLES: dict[str, tuple[type, float, str]] = {
    "posts_on": (bool, False, "platforms"),  # platforms it posts on
    "followers": (np.int64, 0, "platforms"),  # followers per platform
    "pool_boost": (np.float64, 1.0, "platforms"),  # traffic-pool multiplier
    "eng_rate": (np.float64, 0.0, "platforms"),  # engagement per impression, recent average
    "engagement": (np.float64, 0.0, "brands"),  # engagement memory per product
    "deal_obs": (np.float64, 0.0, "observed"),  # this period's deal results (OBSERVED)
}


class CreatorState:
    """Per-creator arrays with spare capacity, since creators keep entering (F10)."""

    def __init__(self, n_platforms: int, n_brands: int, capacity: int = 64) -> None:
        self.n = 0
        self.width = {"platforms": n_platforms, "brands": n_brands, "observed": len(OBSERVED)}
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        """(Re)allocate every array with ``capacity`` rows, keeping the rows in use."""
        old_n = self.n
        for name, (dtype, fill) in _CREATOR_FIELDS.items():
            arr = np.full(capacity, fill, dtype=dtype)
            if old_n:
                arr[:old_n] = getattr(self, name)[:old_n]
            setattr(self, name, arr)
        for name, (dtype, fill, width) in _CREATOR_TABLES.items():
            arr = np.full((capacity, self.width[width]), fill, dtype=dtype)
            if old_n:
                arr[:old_n] = getattr(self, name)[:old_n]
            setattr(self, name, arr)

    def _grow(self, needed: int) -> None:
        if needed > self.active.size:
            self._allocate(max(needed, 2 * self.active.size))

    def append(self, **columns: np.ndarray) -> np.ndarray:
        """Add creators given per-field arrays; returns their new indices."""
        k = len(next(iter(columns.values())))
        self._grow(self.n + k)
        idx = np.arange(self.n, self.n + k)
        for name, values in columns.items():
            getattr(self, name)[idx] = values
        self.active[idx] = True
        self.n += k
        return idx

    def view(self, name: str) -> np.ndarray:
        """The used part of an array (rows of creators that exist or existed)."""
        return getattr(self, name)[: self.n]


@dataclass
class BrandState:
    """Per-brand arrays; row b is the brand whose ``Brand.index`` is b."""

    category: np.ndarray  # (brands,) topic of the product
    quality: np.ndarray  # (brands,) product quality, 0..1
    price: np.ndarray  # (brands,) unit price, yuan
    budget: np.ndarray  # (brands,) sponsorship budget per period, yuan
    spend: np.ndarray  # (brands, arms) yuan spent so far per budget arm (tiers, own account)
    gmv: np.ndarray  # (brands,) yuan of sales so far
    ad_budget: np.ndarray  # (brands, platforms) yuan a day of traffic bought for own accounts
    own_spend: np.ndarray  # (brands,) yuan of traffic bought this period
    own_obs: np.ndarray  # (brands, OBSERVED) what bought traffic achieved this period
    year_value: np.ndarray  # (brands,) value returned on spend since the last budget review
    year_spend: np.ndarray  # (brands,) yuan spent since the last budget review


@dataclass
class Ledger:
    """What happened today: filled by the phases, read by the metrics reporters."""

    n_platforms: int
    n_arms: int
    sale_creator: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sale_brand: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sale_platform: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sale_live: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    sale_price: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sale_tier: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    impressions: np.ndarray = field(init=False)  # per platform
    engagements: np.ndarray = field(init=False)  # per platform
    spend: np.ndarray = field(init=False)  # per budget arm (tiers, own account), yuan
    live_viewers: int = 0
    peak_viewers: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per stream today
    stream_creator: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    stream_platform: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    stream_units: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    stream_gmv: np.ndarray = field(default_factory=lambda: np.zeros(0))
    streams: int = 0
    new_follows: int = 0
    scandals: int = 0
    entries: int = 0
    exits: int = 0
    shares: int = 0
    word_of_mouth: int = 0  # purchases by word of mouth or unprompted discovery
    cache: dict = field(default_factory=dict)  # per-day memo for metrics computed once a day

    def __post_init__(self) -> None:
        self.impressions = np.zeros(self.n_platforms, dtype=np.int64)
        self.engagements = np.zeros(self.n_platforms, dtype=np.int64)
        self.spend = np.zeros(self.n_arms)
