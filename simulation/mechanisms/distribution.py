"""Platform distribution: which fan sees which creator's content today (mechanism 1).

Each platform splits every fan's daily impression slots among four algorithms:

* **interest** — a topic drawn from the fan's interests, then a creator of that niche drawn
  by content quality x traffic-pool boost (Douyin's interest matching, seed 004);
* **follower** — one of the fan's followed creators on that platform (private-domain
  traffic; Kuaishou's "people + content", seed 002);
* **social** — what a random friend last engaged with or shared (WeChat Channels, seed 001);
* **popularity** — a creator drawn in proportion to its followers (the preferential
  attachment limit of FACTS' theory section).

Cost is O(slots x (topics + log creators)), never fans x creators.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.mechanisms import blocks, kernels
from simulation.state import Follows, SocialGraph

INTEREST, FOLLOWER, SOCIAL, POPULARITY = range(4)
FAN_BLOCK = 16_384  # at most this many fans distributed together, with one random stream
MIN_BLOCKS = 8  # a small market still splits over the cores (when its rows are worth it)
_COLUMNS = (np.int32, np.int32, np.int8, bool, np.int32)  # fan, creator, platform, social, edge


@dataclass
class Feed:
    """Today's content on one platform, as the algorithms see it (arrays over creators)."""

    niche: np.ndarray  # topic of each creator's content
    public_weight: np.ndarray  # interest-matching weight, 0 for creators with nothing on it today
    popularity_weight: np.ndarray  # popularity weight, 0 for creators with nothing on it today
    visible: np.ndarray  # bool: creator has content on this platform today


def draw_topics(interest_cdf: np.ndarray, fans: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A column per fan entry, drawn from that fan's row of a cumulative distribution.

    Used for a topic from the fan's interests and for a platform from its attention.
    """
    return kernels.draw_rows(interest_cdf, np.asarray(fans, np.int64), rng.random(len(fans)))


def public_weights(
    quality: np.ndarray,
    pool_boost: np.ndarray,
    followers: np.ndarray,
    visible: np.ndarray,
    *,
    head_threshold: float,
    head_public_traffic: float,
    popularity_prior: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Interest and popularity weights of each creator on one platform.

    ``head_public_traffic`` < 1 caps the public traffic head accounts get (Kuaishou).
    Popularity is linear in followers plus ``popularity_prior`` pseudo-followers, so
    newcomers can be found at all: Price's kernel k + a, whose follower distribution has a
    power-law tail with exponent 2 + a / m when each entering creator brings m new follows
    (3, Barabasi-Albert's linear attachment, at a = m).
    """
    head_factor = np.where(followers >= head_threshold, head_public_traffic, 1.0)
    interest = quality * pool_boost * head_factor * visible
    popularity = (followers + popularity_prior) * head_factor * visible
    return interest, popularity


def _groups(group: np.ndarray, weight: np.ndarray, n_groups: int):
    """Items with positive weight sorted by group: (group offsets, item ids, alias tables)."""
    order = np.flatnonzero(weight > 0)
    order = order[np.argsort(group[order], kind="stable")]
    ptr = np.zeros(n_groups + 1, np.int64)
    np.cumsum(np.bincount(group[order], minlength=n_groups), out=ptr[1:])
    return (ptr, order, *kernels.alias_tables(ptr, weight[order].astype(np.float64)))


def distribute(
    rng: np.random.Generator,
    attention: np.ndarray,
    interest_cdf: np.ndarray,
    feeds: list[Feed],
    live: np.ndarray,
    follows: Follows,
    friends: SocialGraph,
    last_engaged: np.ndarray,
    *,
    impressions_per_day: np.ndarray,
    weights: np.ndarray,
    stream_attendance: float,
    extra: int = 0,
    joined: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Today's impressions on every platform, fan by fan.

    Args:
        rng: the distribution phase's generator.
        attention: (fans, platforms) each fan's attention shares.
        interest_cdf: (fans, topics) cumulative interest vectors.
        feeds: today's content on each platform, as the algorithms see it.
        live: (creators, platforms) creators live-streaming there today.
        follows: follow edges (the follower feed, stream attendance, and whether a fan
            follows what it sees).
        friends: the fans' social graph.
        last_engaged: (fans,) creator each fan last engaged with or shared, -1 if none.
        impressions_per_day: (platforms,) slots a fan with all its attention there gets.
        weights: (platforms, 4) algorithm mix in the order interest, follower, social,
            popularity.
        stream_attendance: chance a follower comes to a stream of a creator it follows.
        extra: free rows to leave at the end of every column (for bought traffic).
        joined: (fans,) bool, fans who use the platforms (None: all); the others get no
            slot.

    Returns:
        (fan, creator, platform, social, edge) of every impression, ordered by fan, and
        their number k (the columns have ``extra`` more rows). A fan gets
        Poisson(impressions_per_day x attention) slots on each platform, each filled by one
        algorithm drawn from the platform's mix (INTEREST, FOLLOWER, SOCIAL or POPULARITY;
        social marks the SOCIAL ones); a follower or social slot with nothing to show (no
        followed creator posted, no friend engaged) stays empty: an algorithm that leans on
        relationships shows less to a fan who has none. Each follow whose creator is live
        brings the fan to the stream with probability ``stream_attendance``. ``edge`` is
        the fan's follow edge to the creator on that platform, or -1.
    """
    n_t, n_p = interest_cdf.shape[1], len(feeds)
    n_c = feeds[0].niche.size
    plat = np.repeat(np.arange(n_p), n_c)
    niche = np.concatenate([f.niche for f in feeds])
    item = np.tile(np.arange(n_c), n_p)
    i_ptr, i_order, i_prob, i_alias = _groups(
        plat * n_t + niche, np.concatenate([f.public_weight for f in feeds]), n_p * n_t
    )
    p_ptr, p_order, p_prob, p_alias = _groups(
        plat, np.concatenate([f.popularity_weight for f in feeds]), n_p
    )
    w = np.asarray(weights, dtype=float)
    alg_cdf = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    ipd = np.asarray(impressions_per_day, dtype=np.float64)
    fo = follows
    n = attention.shape[0]
    n_blocks = max(MIN_BLOCKS, -(-n // FAN_BLOCK))
    fan_blocks = blocks.spans(n, -(-n // n_blocks))  # equal blocks, whatever the thread count
    # One random stream per block of fans: the same draws on any number of threads.
    streams = rng.spawn(len(fan_blocks))
    slots = np.empty(n, np.int64)
    # A fan's mean slots are at most ipd.max() (attention sums to one). Under blocks.ROWS rows
    # the blocks run on this thread: a 4,000-fan market's distribution took 3.9-4.2 ms a day
    # on one thread and 4.8 on two, a 20,000-fan one 12.8-13.9 and 10.0-10.2 (fourteenth look
    # in benchmarks/README.md).
    expected_rows = int(n * ipd.max(initial=0.0))
    attend = np.zeros(len(fo), bool)
    joined = np.ones(n, bool) if joined is None else joined
    tables = (
        alg_cdf,
        interest_cdf,
        i_ptr,
        item[i_order].astype(np.int32),
        i_prob,
        i_alias,
        p_ptr,
        item[p_order].astype(np.int32),
        p_prob,
        p_alias,
        np.stack([f.visible for f in feeds], 1),
        fo.fan_ptr,
        fo.creator,
        fo.platform,
        friends.indptr,
        friends.indices,
        last_engaged,
    )

    def block(g: np.random.Generator, lo: int, hi: int) -> list[np.ndarray]:
        """Fans lo:hi's rows in arrays of their own: counted, then filled while in cache."""
        size = kernels.count_slots(
            g, attention, joined, ipd, live, stream_attendance,
            fo.fan_ptr, fo.creator, fo.platform, lo, hi, slots, attend,
        )  # fmt: skip
        columns = [np.empty(size, dtype) for dtype in _COLUMNS]
        end = kernels.fill_slots(g, attention, ipd, *tables, lo, hi, slots, attend, 0, *columns)
        return [column[:end] for column in columns]  # a slot with nothing to show wrote no row

    parts = blocks.run(
        block,
        [(g, lo, hi) for g, (lo, hi) in zip(streams, fan_blocks, strict=True)],
        rows=expected_rows,
    )
    k = sum(part[0].size for part in parts)
    out = []
    for j, dtype in enumerate(_COLUMNS):  # column by column, each block's part freed once copied
        out.append(np.empty(k + extra, dtype))
        np.concatenate([part[j] for part in parts], out=out[j][:k])
        for part in parts:
            part[j] = None
    fan, creator, platform, social, edge = out
    social[k:], edge[k:] = False, -1  # the free rows, for the caller to fill
    return fan, creator, platform, social, edge, k


def pool_boost(
    impressions: np.ndarray,
    engagements: np.ndarray,
    *,
    pool_escalation: float,
    pool_prior_impressions: float,
) -> np.ndarray:
    """Traffic-pool multiplier for tomorrow from today's engagement (Douyin's escalation).

    Content that engages its pool better than the platform average is pushed to a larger
    pool: the multiplier is (shrunk engagement rate / platform rate) ** pool_escalation,
    where the rate is shrunk toward the platform average with ``pool_prior_impressions``
    pseudo-impressions so a handful of lucky views does not make a hit; 0 switches it off.
    """
    total = impressions.sum()
    if pool_escalation == 0 or total == 0 or engagements.sum() == 0:
        return np.ones(impressions.size)
    mean = engagements.sum() / total
    prior = pool_prior_impressions
    rate = (engagements + prior * mean) / (impressions + prior)
    return (rate / mean) ** pool_escalation
