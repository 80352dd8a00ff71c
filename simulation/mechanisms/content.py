"""Content creation: who posts today, which product a post or stream features (mechanism 2).

Seed 000: short videos attract followers; once a base exists, scheduled live streams
convert it, and products for a stream are chosen by engagement on earlier videos.
"""

from __future__ import annotations

import numpy as np

from simulation.mechanisms.sampling import sample_grouped


def posting(consistency: np.ndarray, active: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Creators who post a short video today: a consistent creator posts most days."""
    return active & (rng.random(consistency.size) < consistency)


def video_products(
    own_brand: np.ndarray,
    niche: np.ndarray,
    sales_focus: np.ndarray,
    brand_category: np.ndarray,
    rng: np.random.Generator,
    *,
    n_topics: int,
) -> np.ndarray:
    """Product (brand id) each creator's video features today, -1 for none.

    A brand's own account (``own_brand`` >= 0) features its brand's product. Otherwise,
    with probability ``sales_focus``
    (the role's commercial bent), it tries a product of its own niche's category (any
    category if its niche has no brand): the trials whose engagement later picks stream
    products.
    """
    n = own_brand.size
    in_niche = sample_grouped(brand_category, np.ones(brand_category.size), niche, n_topics, rng)
    anywhere = rng.integers(0, brand_category.size, n)
    trial = np.where(in_niche >= 0, in_niche, anywhere)
    sells = rng.random(n) < sales_focus
    return np.where(own_brand >= 0, own_brand, np.where(sells, trial, -1))


def stream_products(own_brand: np.ndarray, engagement: np.ndarray) -> np.ndarray:
    """Product of each creator's stream: its own brand's, else its best-engaging video product.

    Only the order of a creator's row matters (the best product, and whether any has
    engagement), so ``engagement`` may hold the memory at any positive scale.
    """
    best = np.argmax(engagement, axis=1)
    has_data = engagement[np.arange(best.size), best] > 0
    return np.where(own_brand >= 0, own_brand, np.where(has_data, best, -1))


# Fold the pending decay into the (float32) table when its weight gets this small: cells
# then hold at most engagements x 1e30, far below float32's 3e38.
FOLD_BELOW = 1e-30


def memory_unit(
    table: np.ndarray, weight: float, *, engagement_memory: float
) -> tuple[float, float]:
    """Start a day of the engagement memory ``E = (1 - m) E + m x today's engaged videos``.

    The table stores ``E / weight``: a day's decay only shrinks ``weight`` (a scalar), and
    each engaged video adds ``m / weight`` to its (creator, product) cell, so a day costs
    the day's engagements, not creators x products. The products' order in a row, all that
    :func:`stream_products` reads, is the same at any scale. When the weight falls below
    ``FOLD_BELOW`` (once every 650 days at m = 0.1; every day at m = 1) the decay is
    folded into ``table`` in place and the weight starts again at 1.

    Returns:
        (the new weight, what one engaged video adds to the table today).
    """
    weight *= 1.0 - engagement_memory
    if weight < FOLD_BELOW:
        table *= weight
        weight = 1.0
    return weight, engagement_memory / weight


def live_eligible(
    followers: np.ndarray, posts_on: np.ndarray, carries_live: np.ndarray, *, threshold: float
) -> np.ndarray:
    """(creators, platforms): may stream there.

    A creator needs at least ``threshold`` followers there (and at least one), on a
    platform that carries live streams.
    """
    return posts_on & (followers >= max(threshold, 1.0)) & carries_live[None, :]


def streaming(
    offset: np.ndarray,
    eligible: np.ndarray,
    active: np.ndarray,
    *,
    day: int,
    stream_interval_days: int,
) -> np.ndarray:
    """(creators, platforms) mask of scheduled live streams today.

    An eligible creator streams every ``interval`` days on its own schedule (seed 000:
    scheduled streams convert the base short videos built).
    """
    scheduled = active & (day % stream_interval_days == offset)
    return eligible & scheduled[:, None]
