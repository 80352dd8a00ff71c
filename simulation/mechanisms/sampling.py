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
