"""Creator population dynamics: new creators, draws of their traits, exits, scandals (F10)."""

from __future__ import annotations

import numpy as np


def draw_creators(
    rng: np.random.Generator,
    k: int,
    *,
    role_shares: np.ndarray,
    n_topics: int,
    quality: tuple[float, float],
    consistency: tuple[float, float],
    platform_shares: np.ndarray,
    multi_platform_prob: float,
    stream_interval_days: int,
) -> dict[str, np.ndarray]:
    """Traits of ``k`` new creators: role, niche, quality, consistency and where they post.

    Every creator posts on one home platform drawn by user share; with probability
    ``multi_platform_prob`` it also posts on each other platform (seed 000: KOLs
    distribute across platforms to get traffic from the whole ecosystem).
    """
    n_platforms = platform_shares.size
    home = rng.choice(n_platforms, size=k, p=platform_shares)
    posts_on = rng.random((k, n_platforms)) < multi_platform_prob
    posts_on[np.arange(k), home] = True
    return {
        "role": rng.choice(role_shares.size, size=k, p=role_shares),
        "niche": rng.integers(0, n_topics, k),
        "quality": rng.beta(*quality, size=k),
        "consistency": rng.beta(*consistency, size=k),
        "stream_offset": rng.integers(0, stream_interval_days, k),
        "posts_on": posts_on,
    }


def entrants(rng: np.random.Generator, *, entry_rate: float, n_creators: int) -> int:
    """New creators today: Poisson with ``entry_rate`` x the initial count per year."""
    return int(rng.poisson(entry_rate * n_creators / 365.0))


def joiners(rng: np.random.Generator, joined: np.ndarray, *, join_rate: float) -> np.ndarray:
    """Fans who join the platforms today: each one not yet joined with chance rate / 365.

    A constant hazard on the fans still outside, so users grow as 1 - (1 - s0) e^(-rate t)
    from the share s0 who use the platforms on day 0: fast at first, slowing as the market
    fills (F9's doubling market).
    """
    waiting = np.flatnonzero(~joined)
    k = rng.binomial(waiting.size, min(join_rate / 365.0, 1.0))
    return np.sort(rng.choice(waiting, k, replace=False)).astype(np.int32)


def exits(
    rng: np.random.Generator,
    active: np.ndarray,
    age: np.ndarray,
    followers: np.ndarray,
    *,
    floor: float,
    exit_grace_days: int,
    exit_prob: float,
) -> np.ndarray:
    """Creators who give up today: past the grace period and still below the follower floor."""
    struggling = active & (age > exit_grace_days) & (followers < floor)
    return struggling & (rng.random(active.size) < exit_prob)


def scandals(
    rng: np.random.Generator, active: np.ndarray, risk: np.ndarray, *, scandal_rate: float
) -> np.ndarray:
    """Creators hit by a scandal today: a constant yearly hazard ``scandal_rate`` x ``risk``.

    ``risk`` is each creator's role's ``scandal_risk`` (0 for a role that never has one,
    such as a virtual KOL in a what-if). One uniform per creator whatever the risks, so
    scenarios that change risks keep the same draws (common random numbers).
    """
    return active & (rng.random(active.size) < scandal_rate / 365.0 * risk)


def move_platforms(
    rng: np.random.Generator,
    posts_on: np.ndarray,
    followers: np.ndarray,
    attention_share: np.ndarray,
    movable: np.ndarray,
    *,
    creator_mobility: float,
) -> np.ndarray:
    """Creators follow the audience (mechanism 6: creators choose where to post and move).

    With probability ``creator_mobility`` a creator also starts posting on a platform drawn by its
    share of fans' attention; with the same probability a creator that has followers
    somewhere drops a platform where it has none.
    """
    n, n_p = posts_on.shape
    out = posts_on.copy()
    dead = posts_on & (followers == 0) & (followers.sum(axis=1, keepdims=True) > 0)
    leave = movable & dead.any(axis=1) & (rng.random(n) < creator_mobility)
    out[np.flatnonzero(leave), np.argmax(dead, axis=1)[leave]] = False
    join = movable & (rng.random(n) < creator_mobility)
    target = rng.choice(n_p, size=n, p=attention_share / attention_share.sum())
    out[np.flatnonzero(join), target[join]] = True
    return out
