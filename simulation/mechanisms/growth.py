"""Creator population dynamics: new creators, draws of their traits, exits, scandals (F10)."""

from __future__ import annotations

import numpy as np


def draw_creators(
    rng: np.random.Generator,
    k: int,
    role_shares: np.ndarray,
    n_topics: int,
    quality: tuple[float, float],
    consistency: tuple[float, float],
    n_platforms: int,
    platform_shares: np.ndarray,
    multi_platform_prob: float,
    stream_interval: int,
) -> dict[str, np.ndarray]:
    """Traits of ``k`` new creators: role, niche, quality, consistency and where they post.

    Every creator posts on one home platform drawn by user share; with probability
    ``multi_platform_prob`` it also posts on each other platform (seed 000: KOLs
    distribute across platforms to get traffic from the whole ecosystem).
    """
    home = rng.choice(n_platforms, size=k, p=platform_shares)
    posts_on = rng.random((k, n_platforms)) < multi_platform_prob
    posts_on[np.arange(k), home] = True
    return {
        "role": rng.choice(role_shares.size, size=k, p=role_shares),
        "niche": rng.integers(0, n_topics, k),
        "quality": rng.beta(*quality, size=k),
        "consistency": rng.beta(*consistency, size=k),
        "stream_offset": rng.integers(0, stream_interval, k),
        "posts_on": posts_on,
    }


def entrants(rng: np.random.Generator, rate_per_year: float, n_reference: int) -> int:
    """New creators today: Poisson with ``rate_per_year`` x the initial count per year."""
    return int(rng.poisson(rate_per_year * n_reference / 365.0))


def exits(
    rng: np.random.Generator,
    active: np.ndarray,
    age: np.ndarray,
    followers: np.ndarray,
    floor: float,
    grace: int,
    prob: float,
) -> np.ndarray:
    """Creators who give up today: past the grace period and still below the follower floor."""
    struggling = active & (age > grace) & (followers < floor)
    return struggling & (rng.random(active.size) < prob)


def scandals(rng: np.random.Generator, active: np.ndarray, rate_per_year: float) -> np.ndarray:
    """Creators hit by a scandal today (a constant yearly hazard)."""
    return active & (rng.random(active.size) < rate_per_year / 365.0)


def move_platforms(
    rng: np.random.Generator,
    posts_on: np.ndarray,
    followers: np.ndarray,
    attention_share: np.ndarray,
    mobility: float,
    movable: np.ndarray,
) -> np.ndarray:
    """Creators follow the audience (mechanism 6: creators choose where to post and move).

    With probability ``mobility`` a creator also starts posting on a platform drawn by its
    share of fans' attention; with the same probability a creator that has followers
    somewhere drops a platform where it has none.
    """
    n, n_p = posts_on.shape
    out = posts_on.copy()
    dead = posts_on & (followers == 0) & (followers.sum(axis=1, keepdims=True) > 0)
    leave = movable & dead.any(axis=1) & (rng.random(n) < mobility)
    out[np.flatnonzero(leave), np.argmax(dead, axis=1)[leave]] = False
    join = movable & (rng.random(n) < mobility)
    target = rng.choice(n_p, size=n, p=attention_share / attention_share.sum())
    out[np.flatnonzero(join), target[join]] = True
    return out
