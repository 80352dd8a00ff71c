"""Compiled loops (numba) for the few rules that must visit fans, edges or slots one at a time.

Each kernel is a plain function on NumPy arrays, compiled once per machine (``cache=True``)
and called by the mechanisms and state classes; none draws random numbers (the callers
pass uniforms drawn from their phase's generator), so results do not depend on numba.
"""

from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)


@_jit
def find_edges(fan_ptr, e_creator, e_platform, fan, creator, platform):  # pragma: no cover
    """Edge index of each (fan, creator, platform) query, -1 where there is no such edge.

    Edges are grouped by fan (``fan_ptr`` is the CSR offset of each fan's block); a fan
    follows a handful of creators, so a linear scan of its block beats a global search.
    """
    out = np.full(fan.size, -1, np.int64)
    for i in range(fan.size):
        f = fan[i]
        for e in range(fan_ptr[f], fan_ptr[f + 1]):
            if e_creator[e] == creator[i] and e_platform[e] == platform[i]:
                out[i] = e
                break
    return out


@_jit
def insertion_points(fan_ptr, e_creator, e_platform, fan, creator, platform):  # pragma: no cover
    """Where each new edge goes to keep edges sorted by (fan, creator, platform)."""
    out = np.empty(fan.size, np.int64)
    for i in range(fan.size):
        f = fan[i]
        at = fan_ptr[f + 1]
        for e in range(fan_ptr[f], fan_ptr[f + 1]):
            c = e_creator[e]
            if c > creator[i] or (c == creator[i] and e_platform[e] > platform[i]):
                at = e
                break
        out[i] = at
    return out


@_jit
def draw_rows(cdf, rows, u):  # pragma: no cover
    """Column drawn from each listed row of a row-wise cumulative distribution.

    ``u`` holds one uniform per entry; the draw is the first column whose cumulative
    value exceeds ``u`` times the row total (the last column when rounding leaves none).
    """
    n_col = cdf.shape[1]
    out = np.empty(rows.size, np.int64)
    for i in range(rows.size):
        r = rows[i]
        target = u[i] * cdf[r, n_col - 1]
        k = 0
        while k < n_col - 1 and cdf[r, k] <= target:
            k += 1
        out[i] = k
    return out


@_jit
def advance_stage(stage, counts, fan, brand, to):  # pragma: no cover
    """Move each (fan, brand) to at least stage ``to`` and keep per-stage pair counts.

    ``counts[s]`` is the number of (fan, brand) pairs at stage ``s``; it is updated as pairs
    move, so population shares are read without scanning the (fans, brands) table.
    """
    for i in range(fan.size):
        s = stage[fan[i], brand[i]]
        if s < to:
            stage[fan[i], brand[i]] = to
            counts[s] -= 1
            counts[to] += 1


@_jit
def count_pairs(out, row, col):  # pragma: no cover
    """``out[row[i], col[i]] += 1`` for every i (a 2-D bincount into ``out``, any dtype)."""
    for i in range(row.size):
        out[row[i], col[i]] += 1


@_jit
def histogram_quantiles(x, lo, hi, bins, qs):  # pragma: no cover
    """Quantiles of values in [lo, hi] from a ``bins``-bin histogram (error < bin width / 2)."""
    hist = np.zeros(bins, np.int64)
    width = (hi - lo) / bins
    for v in x:
        k = int((v - lo) / width)
        hist[min(max(k, 0), bins - 1)] += 1
    out = np.zeros(qs.size)
    if x.size == 0:
        return out
    cum = 0
    j = 0
    for k in range(bins):
        cum += hist[k]
        while j < qs.size and cum >= qs[j] * x.size and cum > 0:
            out[j] = lo + (k + 0.5) * width
            j += 1
    return out
