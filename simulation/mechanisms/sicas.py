"""The SICAS consumer journey per (fan, brand) and the purchase decision (mechanisms 3, 4).

Sense -> Interest & Interaction -> Connect & Communicate -> Action (purchase) -> Share.
It is a network process, not a one-way funnel: a sharer puts friends into Sense
(seed 002), and a fan already aware of a brand engages more with content featuring it.
"""

from __future__ import annotations

import numba
import numpy as np

from simulation.mechanisms import kernels

NONE, SENSE, INTEREST, CONNECT, ACTION, SHARE = range(6)
STAGE_NAMES = ("none", "sense", "interest", "connect", "action", "share")


def packed_stages(n_fans: int, n_brands: int) -> np.ndarray:
    """Every (fan, brand) pair at stage NONE, packed two brands a byte (``kernels.stage_of``).

    Six stages fit in four bits: 25 bytes a fan at 50 brands instead of 50.
    """
    return np.zeros((n_fans, (n_brands + 1) // 2), np.uint8)  # NONE is 0


def stages_of(stage: np.ndarray, fans: np.ndarray, brands: np.ndarray) -> np.ndarray:
    """The stage of each (fan, brand) pair, from the packed table (int8)."""
    brands = np.asarray(brands)
    return ((stage[fans, brands >> 1] >> ((brands & 1) << 2)) & 15).astype(np.int8)


def unpack(stage: np.ndarray, n_brands: int) -> np.ndarray:
    """(fans, brands) int8 stages from the packed table (for a few fans, or a what-if's scan)."""
    out = np.empty((stage.shape[0], n_brands), np.int8)
    out[:, 0::2] = stage & 15
    out[:, 1::2] = (stage >> 4)[:, : n_brands // 2]
    return out


def advance(
    stage: np.ndarray, counts: np.ndarray, fans: np.ndarray, brands: np.ndarray, to: int
) -> None:
    """Move each (fan, brand) pair to at least stage ``to``; stages never move back here.

    ``stage`` is the packed table (:func:`packed_stages`). ``counts`` (pairs per stage)
    is kept up to date, so shares need no scan of ``stage``; entries whose brand is -1
    (no product) are skipped.
    """
    kernels.advance_stage(stage, counts, np.asarray(fans), np.asarray(brands), np.uint8(to))


def purchase_probability(
    trust: np.ndarray,
    live: np.ndarray,
    brand_trust: np.ndarray,
    affordability: np.ndarray,
    *,
    purchase_base: float,
    trust_exponent: float,
    video_conversion_factor: float,
) -> np.ndarray:
    """Chance an engaged fan buys the recommended product, for arrays (:func:`purchase_chance`)."""
    return _purchase_all(
        np.asarray(trust, np.float64),
        np.asarray(live, bool),
        np.asarray(brand_trust, np.float64),
        np.asarray(affordability, np.float64),
        purchase_base,
        trust_exponent,
        video_conversion_factor,
    )


@numba.njit(cache=True, nogil=True)
def purchase_chance(
    trust, live, brand_trust, affordability, base, exponent, video_factor
):  # pragma: no cover
    """Probability an engaged fan buys the recommended product on this exposure.

    It rises steeply with trust in the recommending creator (F8: ~90% of fans would buy
    what a trusted anchor recommends), is highest in a live stream, scales with trust in
    the brand, and with how much of the price the fan's wallet covers. ``base``,
    ``exponent`` and ``video_factor`` are ``purchase_base``, ``trust_exponent`` and
    ``video_conversion_factor``.
    """
    fmt = 1.0 if live else video_factor
    p = base * trust**exponent * fmt * brand_trust * affordability
    return min(max(p, 0.0), 1.0)


@numba.vectorize(
    ["float64(float64, boolean, float64, float64, float64, float64, float64)"], cache=True
)
def _purchase_all(
    trust, live, brand_trust, affordability, base, exponent, video_factor
):  # pragma: no cover
    return purchase_chance(trust, live, brand_trust, affordability, base, exponent, video_factor)


@numba.njit(cache=True, nogil=True)
def purchase_chances(
    rows,
    fan,
    product,
    edge,
    creator,
    live,
    platform,
    watch,
    edge_trust,
    brand_trust,
    owner,
    wallet,
    price,
    demand,
    stranger_trust,
    rule,
    chance,
    affordable,
    lo,
    hi,
):  # pragma: no cover
    """The purchase phase's chance for candidates ``rows[lo:hi]``, in one pass.

    Trust is the fan's in the creator it follows, ``stranger_trust`` if it does not
    follow, and its trust in the brand when a brand's own account speaks for the brand;
    :func:`purchase_chance` (``rule`` holds its three scalars) with the wallet's cover of
    the price, times the festival demand of the platform (at most 1), times the share of
    the chance the minutes watched reached. ``affordable``: the wallet covers the price.
    ``brand_trust`` is the fans' float16 table viewed as uint16 (numba has no float16).
    """
    base, exponent, video_factor = rule
    for j in range(lo, hi):
        i = rows[j]
        f, b, e = fan[i], product[i], edge[i]
        bt = kernels.half_to_float(brand_trust[f, b])
        if e >= 0:
            t = np.float64(edge_trust[e])
        elif owner[creator[i]] >= 0:  # a brand's own account speaks for the brand
            t = bt
        else:
            t = stranger_trust
        cover = min(max(wallet[f] / price[b], 0.0), 1.0)
        p = purchase_chance(t, live[i], bt, cover, base, exponent, video_factor)
        chance[j] = min(p * demand[platform[i]], 1.0) * watch[i]
        affordable[j] = wallet[f] >= price[b]


def first_per_fan(fans: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mask keeping one entry per fan, chosen at random: a fan buys at most once a day."""
    order = rng.permutation(fans.size)
    _, first = np.unique(fans[order], return_index=True)
    keep = np.zeros(fans.size, dtype=bool)
    keep[order[first]] = True
    return keep
