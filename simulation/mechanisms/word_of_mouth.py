"""Word of mouth and unprompted discovery: purchases no creator made (mechanism 4; Bass).

SICAS is a network process (seed 002): a buyer keeps talking about what it bought, and
some fans find a product on their own (search, the shop shelf). These are the two
channels of the Bass diffusion model, the theory FACTS asks the model to agree with when
recommendation is off:

* **discovery** — each fan who has not bought a product buys it unprompted at a constant
  hazard ``p`` per year (Bass's innovation coefficient);
* **talk** — each buyer has persuasive conversations at rate ``q`` per year; the listener
  is a random friend (``mixing = "social"``) or anyone in the market (``"full"``, Bass's
  fully mixed population), and buys if it has not yet.

With full mixing a non-buyer's daily hazard is ``(p + q F) / 365`` where F is the share of
fans who have bought: the Bass equation in daily steps.
"""

from __future__ import annotations

import numpy as np

from simulation.state import SocialGraph

YEAR = 365.0


def daily_probability(rate_per_year: float) -> float:
    """Probability of at least one event today under a constant yearly hazard."""
    return float(-np.expm1(-rate_per_year / YEAR))


def discoveries(
    rng: np.random.Generator, bought: np.ndarray, *, discovery_rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """(fan, brand) pairs that buy unprompted today, among pairs that have not bought.

    ``bought`` is a (fans, brands) bool array.
    """
    p = daily_probability(discovery_rate)
    if p <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    cells = np.flatnonzero(~bought)
    k = rng.binomial(cells.size, p)
    picked = rng.choice(cells, size=k, replace=False)
    return np.divmod(picked, bought.shape[1])


def conversations(
    rng: np.random.Generator,
    bought: np.ndarray,
    friends: SocialGraph,
    *,
    talk_rate: float,
    talk_mixing: str,
) -> tuple[np.ndarray, np.ndarray]:
    """(listener, brand) of today's persuasive conversations started by buyers.

    Each buyer of a brand starts Poisson(``talk_rate`` / 365) conversations about it;
    listeners are drawn uniformly from all fans (``"full"``) or among the buyer's friends
    (``"social"``). Listeners who already bought are included; the caller ignores them.
    """
    if talk_rate <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    fan, brand = np.nonzero(bought)
    n = rng.poisson(talk_rate / YEAR, fan.size)
    src = np.repeat(np.arange(fan.size), n)
    if talk_mixing == "full":
        listener = rng.integers(0, bought.shape[0], src.size)
    else:
        listener = friends.random_friend(fan[src], rng)
    ok = listener >= 0
    return listener[ok].astype(np.int64), brand[src][ok].astype(np.int64)
