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
    f32 = np.float32
    u = rng.random(follower.size, dtype=f32)
    # Followers: Beta(1, skew) by its inverse CDF; public traffic: uniform over the stream.
    early = f32(1.0) - u ** f32(1.0 / follower_arrival_skew)
    arrival = np.where(follower, early, u) * f32(stream_minutes)
    stay = rng.standard_exponential(follower.size, dtype=f32)
    stay *= f32(dwell_minutes) * (f32(0.5) + trust.astype(f32, copy=False))
    return arrival, np.minimum(stay, f32(stream_minutes) - arrival)


def watch_factor(watched: np.ndarray, *, conversion_minutes: float) -> np.ndarray:
    """Share of the full purchase chance a viewer reaches after watching so long."""
    x = np.asarray(watched)
    return 1 - np.exp(x / -x.dtype.type(conversion_minutes))


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
    start = np.floor(arrival / tick_minutes).astype(np.int64)
    end = np.floor((arrival + watched) / tick_minutes).astype(np.int64) + 1
    return kernels.peak_concurrent(np.asarray(stream, np.int64), start, end, n_streams, n_ticks)
