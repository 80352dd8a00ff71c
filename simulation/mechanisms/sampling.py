"""Weighted sampling within groups, vectorised: the workhorse of distribution and deals."""

from __future__ import annotations

import numpy as np


def sample_grouped(
    item_group: np.ndarray,
    weight: np.ndarray,
    query_group: np.ndarray,
    n_groups: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """For each query, draw one item of the queried group with probability proportional to weight.

    Cost is O(items log items + queries log items), never items x queries.

    Args:
        item_group: (items,) group id of each item, in ``[0, n_groups)``.
        weight: (items,) non-negative weights.
        query_group: (queries,) group to draw from for each query.
        n_groups: number of groups.
        rng: generator to draw with.

    Returns:
        (queries,) item index, or -1 where the group has no positive weight.
    """
    query_group = np.asarray(query_group, dtype=np.int64)
    if item_group.size == 0:
        return np.full(query_group.size, -1, dtype=np.int64)
    order = np.argsort(item_group, kind="stable")
    cum = np.cumsum(weight[order])
    totals = np.bincount(item_group, weights=weight, minlength=n_groups)
    ends = np.cumsum(totals)
    starts = ends - totals
    q_total = totals[query_group]
    target = starts[query_group] + rng.random(query_group.size) * q_total
    target = np.minimum(target, np.nextafter(ends[query_group], -np.inf))
    pos = np.minimum(np.searchsorted(cum, target, side="right"), order.size - 1)
    out = order[pos].astype(np.int64)
    out[q_total <= 0] = -1
    return out


def sample_accepted(
    rng: np.random.Generator, cdf: np.ndarray, accept: np.ndarray, n: int, oversample: int = 4
) -> np.ndarray:
    """``n`` indices drawn with probability proportional to ``weight x accept``.

    ``cdf`` is the cumulative weight (built once, shared by many calls); a candidate drawn
    from it by inverse CDF is kept with probability ``accept`` (each in [0, 1]). Cost grows
    with ``n`` / mean acceptance, not with the number of items.
    """
    out: list[np.ndarray] = []
    got = 0
    rate = max(float(accept.mean()), 1e-3)
    while got < n:
        m = int(np.ceil(oversample * (n - got) / rate))
        cand = np.minimum(np.searchsorted(cdf, rng.random(m) * cdf[-1], side="right"), cdf.size - 1)
        cand = cand[rng.random(m) < accept[cand]]
        out.append(cand[: n - got])
        got += out[-1].size
    return np.concatenate(out) if out else np.zeros(0, np.int64)
