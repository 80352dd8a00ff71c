"""Fans move attention toward the platforms that satisfy them ("displacement", mechanism 6).

Satisfaction on a platform is a slowly updated average of what an impression there gave
the fan (an engagement, a purchase); it is unknown (NaN) until the fan has seen something
there, and an unknown platform counts as average for that fan: no evidence, no move.
Attention then follows replicator dynamics:
``a_p <- a_p * exp(mobility * (s_p - sum_q a_q s_q))``, renormalised, with a floor so a
platform a fan abandoned can win it back.
"""

from __future__ import annotations

import numba
import numpy as np

from simulation.mechanisms import blocks


def update_satisfaction(
    satisfaction: np.ndarray,
    impressions: np.ndarray,
    rewards: np.ndarray,
    *,
    satisfaction_memory: float,
) -> np.ndarray:
    """Blend today's reward per impression into each (fan, platform) satisfaction.

    Where a fan saw nothing on a platform today, its satisfaction there is unchanged.
    """
    out = np.array(satisfaction, dtype=np.float32)
    # The counts as they are (the day's are uint16): the blend divides them in float64.
    seen, reward = np.asarray(impressions), np.asarray(rewards)
    blocks.rows(_blend, out.shape[0], out, seen, reward, satisfaction_memory)
    return out


def shift_attention(
    attention: np.ndarray,
    satisfaction: np.ndarray,
    *,
    attention_mobility: float,
    attention_floor: float,
) -> np.ndarray:
    """Replicator step of each fan's attention shares toward better-satisfying platforms."""
    if attention_mobility == 0:
        return attention
    out = np.array(attention, dtype=np.float32)
    sat = np.asarray(satisfaction, np.float32)
    blocks.rows(_replicate, out.shape[0], out, sat, attention_mobility, attention_floor)
    return out


@numba.njit(cache=True, nogil=True)
def _blend(sat, seen, reward, memory, lo, hi):  # pragma: no cover
    for f in range(lo, hi):
        for p in range(sat.shape[1]):
            if seen[f, p] > 0:
                today = reward[f, p] / seen[f, p]
                known = today if np.isnan(sat[f, p]) else sat[f, p]
                sat[f, p] = (1 - memory) * known + memory * today


@numba.njit(cache=True, nogil=True)
def _replicate(att, sat, mobility, floor, lo, hi):  # pragma: no cover
    n_p = att.shape[1]
    s = np.empty(n_p)
    for f in range(lo, hi):
        known, n_known = 0.0, 0
        for p in range(n_p):
            if not np.isnan(sat[f, p]):
                known += sat[f, p]
                n_known += 1
        fan_mean = known / max(n_known, 1)  # an unknown platform counts as this fan's average
        mean = 0.0
        for p in range(n_p):
            s[p] = fan_mean if np.isnan(sat[f, p]) else sat[f, p]
            mean += att[f, p] * s[p]
        total = 0.0
        for p in range(n_p):
            s[p] = att[f, p] * np.exp(mobility * (s[p] - mean))
            total += s[p]
        total2 = 0.0
        for p in range(n_p):
            s[p] = max(s[p] / total, floor)
            total2 += s[p]
        for p in range(n_p):
            att[f, p] = s[p] / total2
