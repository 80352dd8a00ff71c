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

from simulation.mechanisms import kernels
from simulation.mechanisms.sampling import sample_grouped
from simulation.state import SocialGraph

INTEREST, FOLLOWER, SOCIAL, POPULARITY = range(4)


@dataclass
class Feed:
    """Today's content on one platform, as the algorithms see it (arrays over creators)."""

    niche: np.ndarray  # topic of each creator's content
    public_weight: np.ndarray  # interest-matching weight, 0 for creators with nothing on it today
    popularity_weight: np.ndarray  # popularity weight, 0 for creators with nothing on it today
    visible: np.ndarray  # bool: creator has content on this platform today


@dataclass
class FollowFeed:
    """One platform's follow edges grouped by fan (see ``Follows.feed_index``)."""

    edges: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    edge_creator: np.ndarray  # creator of every follow edge (all platforms)


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


def distribute(
    rng: np.random.Generator,
    attention: np.ndarray,
    interest_cdf: np.ndarray,
    feed: Feed,
    follow_feed: FollowFeed,
    friends: SocialGraph,
    last_engaged: np.ndarray,
    *,
    impressions_per_day: float,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Impressions on one platform today.

    Args:
        rng: the distribution phase's generator.
        attention: (fans,) each fan's attention share on this platform.
        impressions_per_day: slots a fan with all its attention here gets per day.
        weights: (4,) algorithm mix in the order interest, follower, social, popularity.
        interest_cdf: (fans, topics) cumulative interest vectors.
        feed: today's content on this platform.
        follow_feed: this platform's follow edges grouped by fan.
        friends: the fans' social graph.
        last_engaged: (fans,) creator each fan last engaged with or shared, -1 if none.

    Returns:
        (fan, creator, algorithm, edge) of every filled slot, algorithm being INTEREST,
        FOLLOWER, SOCIAL or POPULARITY, edge the follow edge a FOLLOWER slot came from
        (-1 for the others). A follower or social slot with nothing to show
        (no followed creator posted, no friend engaged) stays empty: an algorithm that leans
        on relationships shows less to a fan who has none.
    """
    n_fans = attention.size
    slots = rng.poisson(impressions_per_day * attention)
    fans = np.repeat(np.arange(n_fans, dtype=np.int32), slots)
    p = np.cumsum(np.asarray(weights, dtype=float))
    source = np.searchsorted(p / p[-1], rng.random(fans.size), side="right").astype(np.int8)
    creator = np.full(fans.size, -1, dtype=np.int32)
    edge = np.full(fans.size, -1, dtype=np.int64)

    sel = np.flatnonzero(source == INTEREST)
    topics = draw_topics(interest_cdf, fans[sel], rng)
    creator[sel] = sample_grouped(
        feed.niche, feed.public_weight, topics, interest_cdf.shape[1], rng
    )

    sel = np.flatnonzero(source == POPULARITY)
    creator[sel] = sample_grouped(
        np.zeros(feed.niche.size, np.int64),
        feed.popularity_weight,
        np.zeros(sel.size, np.int64),
        1,
        rng,
    )

    sel = np.flatnonzero(source == FOLLOWER)
    f = fans[sel]
    count = follow_feed.counts[f]
    has = count > 0
    pick = follow_feed.starts[f[has]] + (rng.random(has.sum()) * count[has]).astype(np.int64)
    picked_edge = follow_feed.edges[pick]
    followed = follow_feed.edge_creator[picked_edge]
    shown = feed.visible[followed]
    creator[sel[has]] = np.where(shown, followed, -1)
    edge[sel[has]] = np.where(shown, picked_edge, -1)

    sel = np.flatnonzero(source == SOCIAL)
    friend = friends.random_friend(fans[sel], rng)
    liked = np.where(friend >= 0, last_engaged[np.maximum(friend, 0)], -1)
    ok = liked >= 0
    liked[ok] = np.where(feed.visible[liked[ok]], liked[ok], -1)
    creator[sel] = liked

    filled = creator >= 0
    return fans[filled], creator[filled], source[filled], edge[filled]


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
