"""Weighted sampling within groups, vectorised: the workhorse of distribution and deals."""

from __future__ import annotations

from collections.abc import Callable

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
    rng: np.random.Generator,
    n_items: int,
    accept: Callable[[np.ndarray, np.ndarray], np.ndarray],
    n: int,
    tries: int = 64,
    max_rounds: int = 10_000,
) -> np.ndarray:
    """``n`` draws; draw i picks item j with probability proportional to ``accept(j, i)``.

    Rejection sampling: each round, every unfilled draw proposes ``tries`` items uniformly
    and keeps the first one accepted with probability ``accept(candidates, draws)`` (each
    in [0, 1]; it may differ from draw to draw, e.g. the candidate fan's attention on a
    platform times its interest in draw i's product category); the rest try again. Cost
    grows with ``n`` / mean acceptance, never with ``n_items``: no table over the items.
    """
    out = np.full(n, -1, np.int64)
    todo = np.arange(n)
    for _ in range(max_rounds):
        if todo.size == 0:
            return out
        draws = np.repeat(todo, tries)
        cand = rng.integers(0, n_items, draws.size)
        ok = (rng.random(draws.size) < accept(cand, draws)).reshape(todo.size, tries)
        hit = ok.any(axis=1)
        first = ok.argmax(axis=1)[hit]
        out[todo[hit]] = cand.reshape(todo.size, tries)[hit, first]
        todo = todo[~hit]
    raise ValueError(f"sample_accepted: {todo.size} draws found no acceptable item")
