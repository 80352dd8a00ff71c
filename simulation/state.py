"""Population state as NumPy arrays: the data the mechanisms act on in whole-population steps.

Mesa agents (``simulation.agents``) are views onto rows of these arrays, so a user can
inspect any fan or creator while every phase runs vectorised over all of them at once.
Nothing here is O(fans x creators): follows are a sparse edge list, the social graph is CSR.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.mechanisms import blocks, kernels
from simulation.mechanisms.sicas import NONE, STAGE_NAMES, packed_stages, unpack

# What a brand observes of a deal or of its bought traffic during a budget period.
OBSERVED = ("impressions", "engagements", "units", "revenue", "connects")
IMPRESSIONS, ENGAGEMENTS, UNITS, REVENUE, CONNECTS = range(len(OBSERVED))


@dataclass
class SocialGraph:
    """Undirected friendship graph among fans in CSR form (WeChat's social graph, sharing)."""

    indptr: np.ndarray  # (n_fans + 1,) int32: friends of fan i are indices[indptr[i]:indptr[i+1]]
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
            return cls(np.zeros(n + 1, dtype=np.int32), np.zeros(0, dtype=np.int32))
        ring = np.arange(n, dtype=np.int64) if order is None else np.asarray(order, np.int64)
        pos = np.repeat(np.arange(n, dtype=np.int64), half)
        src = ring[pos]
        pos += np.tile(np.arange(1, half + 1), n)
        dst = ring[pos % n]
        del pos
        rewired = rng.random(src.size) < rewire
        dst[rewired] = rng.integers(0, n, rewired.sum())
        keep = src != dst
        src, dst = src[keep], dst[keep]
        # Both directions of every tie as keys a * n + b, sorted and deduplicated in place
        # (np.unique would hash, slower here, and hold more copies).
        pairs = np.concatenate([src * n + dst, dst * n + src])
        del src, dst, keep, rewired
        pairs.sort()
        pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
        if pairs.size >= 2**31:  # offsets are int32 (4 bytes a fan, not 8)
            raise MemoryError(f"{pairs.size:,} friendships: at most 2,147,483,647 are supported")
        indptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(pairs // n, minlength=n), out=indptr[1:])
        return cls(indptr, (pairs % n).astype(np.int32))

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


TRUST_BINS = 10_000  # trust histograms: equal bins over [0, 1], quantiles exact to 1 / 20,000


@dataclass
class EndedTrust:
    """Follow relationships that ended, counted at the trust they ended with.

    Trust metrics read these beside the live edges, so a relationship a scandal ends
    still counts (at its collapsed trust) instead of vanishing from the average.
    """

    count: int = 0
    total: float = 0.0  # sum of the ended relationships' trust
    hist: np.ndarray = field(default_factory=lambda: np.zeros(TRUST_BINS, np.int64))

    def add(self, trust: np.ndarray) -> None:
        """Record relationships that end with these trust values."""
        self.count += trust.size
        self.total += float(trust.sum(dtype=np.float64))
        kernels.add_to_histogram(self.hist, trust, 0.0, 1.0)


@dataclass
class Insertion:
    """Where :meth:`Follows.add` put new edges, to renumber edge indices taken before it."""

    at: np.ndarray  # (new edges,) insertion positions in the old numbering, sorted
    # (fans + 1,) number of new edges of the fans before f: f's are at[before[f]:before[f+1]]
    before: np.ndarray
    creator: np.ndarray  # (new edges,) the creator each new edge follows

    def __len__(self) -> int:
        return self.at.size


class Follows:
    """Sparse follow edges fan -> creator on one platform, sorted by (fan, creator, platform).

    Each fan's edges are one contiguous block (``fan_ptr`` holds the blocks' CSR offsets),
    so finding an edge scans a fan's handful of follows, the follower-feed algorithm
    draws one followed creator per slot without searching, and an edge's fan need not be
    stored (:meth:`fan_of`).
    """

    _COLUMNS = (  # a follow's fan is not stored: fan_ptr says whose block an edge is in
        ("creator", np.int32),
        ("platform", np.int8),
        ("trust", np.float32),
    )

    def __init__(self, n_fans: int) -> None:
        self.n_fans = n_fans
        self.n = 0  # edges in use; the buffers below hold spare room for new follows
        self._buffers = {name: np.zeros(0, dtype) for name, dtype in self._COLUMNS}
        # fan i's edges: fan_ptr[i]:fan_ptr[i+1] (int32: edges are at most 2**31 - 1, _reserve)
        self.fan_ptr = np.zeros(n_fans + 1, np.int32)
        self.ended = EndedTrust()  # relationships dropped since measurement began

    @property
    def fan(self) -> np.ndarray:
        """int32 follower of each edge (made from ``fan_ptr``; :meth:`fan_of` for a few edges)."""
        return np.repeat(np.arange(self.n_fans, dtype=np.int32), np.diff(self.fan_ptr))

    def fan_of(self, edge: np.ndarray) -> np.ndarray:
        """int32 follower of each edge index in ``edge``: the fan whose block holds it."""
        # In fan_ptr's int32, so that searchsorted does not copy it to int64 (edges < 2**31).
        edge = np.asarray(edge).astype(np.int32, copy=False)
        return (np.searchsorted(self.fan_ptr, edge, side="right") - 1).astype(np.int32)

    @property
    def creator(self) -> np.ndarray:
        """int32 followed creator."""
        return self._buffers["creator"][: self.n]

    @property
    def platform(self) -> np.ndarray:
        """int8 platform the follow is on."""
        return self._buffers["platform"][: self.n]

    @property
    def trust(self) -> np.ndarray:
        """float32 the fan's trust in the creator, 0..1."""
        return self._buffers["trust"][: self.n]

    def __len__(self) -> int:
        return self.n

    def _reserve(self, size: int) -> None:
        """Room for ``size`` edges (a quarter more when the buffers must grow)."""
        if size <= self._buffers["creator"].size:
            return
        if size >= 2**31:  # edge indices travel as int32 (impressions, find)
            raise MemoryError(f"{size:,} follow edges: at most 2,147,483,647 are supported")
        for name, buf in self._buffers.items():
            grown = np.empty(size + size // 4, buf.dtype)
            grown[: self.n] = buf[: self.n]
            self._buffers[name] = grown

    def find(self, fan, creator, platform) -> np.ndarray:
        """Edge index of each (fan, creator, platform), or -1 where the fan does not follow."""
        fan, creator, platform = (np.asarray(x) for x in (fan, creator, platform))
        return kernels.find_edges(
            self.fan_ptr, self.creator, self.platform, fan.astype(np.int64), creator, platform
        )

    def trust_of(self, edge: np.ndarray, default: float) -> np.ndarray:
        """Trust on each edge index, ``default`` where the index is -1 (not following)."""
        out = np.full(edge.size, default, dtype=np.float32)
        has = edge >= 0
        out[has] = self.trust[edge[has]]
        return out

    def add(self, fan, creator, platform, trust) -> Insertion:
        """Add new edges (duplicates and existing ones are ignored).

        Returns:
            Where the new edges went and whom they follow; pass it to :meth:`shift` to
            renumber edge indices taken before the insertion.
        """
        fan, creator, platform = (np.asarray(x) for x in (fan, creator, platform))
        key = fan.astype(np.int64) << 32
        key |= creator.astype(np.int64) << 8
        key |= platform
        _, first = np.unique(key, return_index=True)  # sorted by (fan, creator, platform)
        del key
        f, c, p = fan[first].astype(np.int32), creator[first].astype(np.int32), platform[first]
        t = np.broadcast_to(trust, fan.shape)[first].astype(np.float32)
        if self.n:  # drop the edges that exist already
            new = self.find(f, c, p) < 0
            f, c, p, t = f[new], c[new], p[new], t[new]
        at = kernels.insertion_points(self.fan_ptr, self.creator, self.platform, f, c, p)
        before = np.zeros(self.n_fans + 1, np.int32)
        if at.size == 0:
            return Insertion(at, before, c)
        self._reserve(self.n + at.size)
        bufs = self._buffers
        columns = (("creator", c), ("platform", p), ("trust", t))
        jobs = [(bufs[k], self.n, at, v.astype(bufs[k].dtype)) for k, v in columns]
        blocks.run(kernels.insert_sorted, jobs, self.n)  # one column per thread
        self.n += at.size
        kernels.offsets(before, f)
        self.fan_ptr += before
        return Insertion(at, before, c)

    @staticmethod
    def shift(edge: np.ndarray, fan: np.ndarray, inserted: Insertion) -> None:
        """Renumber edge indices (or -1) of fans ``fan`` in place after an :meth:`add`."""
        blocks.rows(kernels.shift_edges, edge.size, edge, fan, inserted.before, inserted.at)

    def keep(self, mask: np.ndarray) -> np.ndarray:
        """Drop every edge where ``mask`` is False (order, hence sortedness, is kept).

        The dropped relationships are recorded in :attr:`ended` at their last trust.
        Returns the creator of each dropped edge.
        """
        drop = np.flatnonzero(~mask)
        if drop.size == 0:
            return np.zeros(0, np.int32)
        dropped = self.creator[drop]
        self.ended.add(self.trust[drop])
        dropped_before = np.empty_like(self.fan_ptr)  # dropped edges of the fans before f
        kernels.offsets(dropped_before, self.fan_of(drop))
        self.fan_ptr -= dropped_before
        del dropped_before
        buffers = [(buf, self.n, mask) for buf in self._buffers.values()]
        self.n = blocks.run(kernels.compact, buffers, self.n)[0]
        return dropped

    def follower_counts(self, n_creators: int, n_platforms: int) -> np.ndarray:
        """(creators, platforms) follower counts."""
        counts = np.zeros((n_creators, n_platforms), np.int64)
        kernels.count_pairs(counts, self.creator, self.platform)
        return counts


@dataclass
class FanState:
    """Per-fan arrays; row i is the fan whose ``Fan.index`` is i (compact dtypes: 1 M fans fit)."""

    interest_cdf: np.ndarray  # (fans, topics) float32 cumulative interest; last column is 1
    attention: np.ndarray  # (fans, platforms) float32 share of attention on each platform
    budget: np.ndarray  # (fans,) float32 yuan a day the fan sets aside for shopping
    wallet: np.ndarray  # (fans,) float32 yuan saved up and available for a purchase
    # (fans, (brands + 1) // 2) uint8 SICAS stages, two brands a byte: read them with
    # sicas.stages_of or sicas.unpack (kernels.stage_of in compiled loops)
    stage: np.ndarray
    stage_counts: np.ndarray  # (stages,) int64 number of (fan, brand) pairs at each stage
    # (fans, brands) float16 trust in each brand, 0..1: it moves only in large steps (a
    # purchase, a scandal), so three significant digits are plenty and 1 M fans x 50
    # brands take 100 MB
    brand_trust: np.ndarray
    last_engaged: np.ndarray  # (fans,) int32 creator last engaged with or shared, -1 if none
    purchases: np.ndarray  # (fans,) int32 purchases made through creators so far
    satisfaction: np.ndarray  # (fans, platforms) float32 recent reward per impression; NaN unknown
    friends: SocialGraph
    # (fans,) bool: uses the platforms; a fan who has not joined yet sees nothing, follows
    # nobody and buys nothing (population.joined_share, join_rate)
    joined: np.ndarray

    @classmethod
    def create(
        cls,
        *,
        attention: np.ndarray,
        interest: np.ndarray,
        budget: np.ndarray,
        n_brands: int,
        brand_trust: float,
        friends: SocialGraph,
    ) -> FanState:
        """Fresh fans with no stage, the initial brand trust and an empty wallet, all joined."""
        n = budget.size
        counts = np.zeros(len(STAGE_NAMES), np.int64)
        counts[NONE] = n * n_brands
        cdf = np.cumsum(interest, axis=1, dtype=np.float32)
        cdf[:, -1] = 1.0
        return cls(
            interest_cdf=cdf,
            attention=attention.astype(np.float32),
            budget=budget.astype(np.float32),
            wallet=np.zeros(n, np.float32),
            stage=packed_stages(n, n_brands),
            stage_counts=counts,
            brand_trust=np.full((n, n_brands), brand_trust, dtype=np.float16),
            last_engaged=np.full(n, -1, dtype=np.int32),
            purchases=np.zeros(n, dtype=np.int32),
            satisfaction=np.full(attention.shape, np.nan, np.float32),
            friends=friends,
            joined=np.ones(n, bool),
        )

    @property
    def n(self) -> int:
        """Number of fans."""
        return self.budget.size

    def interest(self, fans: np.ndarray, topics: np.ndarray) -> np.ndarray:
        """Interest share of each listed fan in each listed topic."""
        below = np.where(topics > 0, self.interest_cdf[fans, np.maximum(topics - 1, 0)], 0.0)
        return self.interest_cdf[fans, topics] - below

    def unpacked_stages(self, fans: slice = slice(None)) -> np.ndarray:
        """(fans, brands) int8 SICAS stages of the fans in ``fans`` (all by default), unpacked."""
        return unpack(self.stage[fans], self.brand_trust.shape[1])


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
    "deal_band": (np.int64, -1),  # creator's follower-size band then (ScaleMapping.size_band_of)
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
    # impressions of its posts, and of its streams, a day: recent averages (fee_rule "reach")
    "post_reach": (np.float64, 0.0, "platforms"),
    "stream_reach": (np.float64, 0.0, "platforms"),
    # engagement memory per product, over ``CreatorState.engagement_weight`` (see
    # ``mechanisms.content.memory_unit``)
    "engagement": (np.float32, 0.0, "brands"),
    "deal_obs": (np.float64, 0.0, "observed"),  # this period's deal results (OBSERVED)
}


class CreatorState:
    """Per-creator arrays with spare capacity, since creators keep entering (F10)."""

    def __init__(self, n_platforms: int, n_brands: int, capacity: int = 64) -> None:
        self.n = 0
        self.engagement_weight = 1.0  # the engagement memory is this x the table
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
        """Room for ``needed`` rows: a quarter more than needed when the arrays must grow.

        (Doubling left up to half of every array unused: at 1 M fans the run's peak
        memory jumped by 60 MB when 40,000 creators doubled their capacity.)
        """
        if needed > self.active.size:
            self._allocate(max(needed + needed // 4, 64))

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
