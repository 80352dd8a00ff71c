"""A live stream as a time-boxed session: arrivals, dwell, concurrent viewers, conversion.

Followers come early (they were told the schedule); public traffic the platform sends
arrives through the whole session. Each viewer stays an exponential dwell time, longer
the more they trust the host; the chance to buy grows with minutes watched
(``1 - exp(-watched / conversion_minutes)``), on top of trust, price and product.
"""

from __future__ import annotations

import numpy as np

from simulation.mechanisms import kernels


def sessions(
    rng: np.random.Generator,
    follower: np.ndarray,
    trust: np.ndarray,
    *,
    stream_minutes: float,
    dwell_minutes: float,
    follower_arrival_skew: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Arrival minute and minutes watched of each viewer of a stream."""
    n = follower.size
    arrival = rng.random(n, dtype=np.float32)  # a uniform, turned into the arrival minute
    watched = rng.standard_exponential(n, dtype=np.float32)  # turned into minutes watched
    kernels.sessions(
        arrival,
        arrival ** np.float32(1.0 / follower_arrival_skew),  # for Beta(1, skew) by inverse CDF
        watched,
        np.asarray(follower, bool),
        np.asarray(trust, np.float32),
        stream_minutes,
        dwell_minutes,
    )
    return arrival, watched


def watch_factor(watched: np.ndarray, *, conversion_minutes: float) -> np.ndarray:
    """Share of the full purchase chance a viewer reaches after watching so long."""
    x = np.asarray(watched)
    factor = x / -x.dtype.type(conversion_minutes)
    np.exp(factor, out=factor)  # in place: one array per live viewer instead of three
    return np.subtract(1, factor, out=factor)


def peak_concurrent(
    stream: np.ndarray,
    arrival: np.ndarray,
    watched: np.ndarray,
    n_streams: int,
    *,
    stream_minutes: float,
    tick_minutes: float,
) -> np.ndarray:
    """Peak number of simultaneous viewers of each stream, on a grid of ``tick_minutes``."""
    n_ticks = int(np.ceil(stream_minutes / tick_minutes)) + 1
    return kernels.peak_concurrent(
        np.asarray(stream),  # the int32 stream numbers of the exposure phase, not a copy
        np.asarray(arrival, np.float32),
        np.asarray(watched, np.float32),
        tick_minutes,
        n_streams,
        n_ticks,
    )
