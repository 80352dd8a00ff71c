"""How data-driven brands reallocate budget: multiplicative weights on return on spend.

Each budget period a brand observes, for every arm it spent on (a creator tier or its own
account; a platform; a format), what each yuan brought back. The rule is Hedge, the
exponentiated-gradient / multiplicative-weights update (Freund and Schapire 1997): an
arm's weight is multiplied by ``exp(eta * (r / r_mean - 1))``, where ``r`` is the arm's
return per yuan and ``r_mean`` the brand's spend-weighted mean. It is chosen because it
is the standard online rule for splitting a budget across alternatives with per-period
feedback, it never names a preferred arm, its single rate ``eta`` is exactly "how
data-driven" a brand is (0 = keep the initial split), and a small uniform exploration
share keeps every available arm observed so a brand can discover an arm it starved.
"""

from __future__ import annotations

import numpy as np

MAX_EXPONENT = 700.0  # exp overflows float64 a little above 709


class MultiplicativeWeights:
    """Budget shares over arms for every brand, learned from returns on spend."""

    def __init__(
        self, initial: np.ndarray, available: np.ndarray, *, eta: float, exploration: float
    ) -> None:
        self.available = np.asarray(available, dtype=bool)
        self.eta, self.exploration = eta, exploration
        w = np.where(self.available, np.asarray(initial, dtype=float), 0.0)
        self.weights = self._normalise(w)

    def _normalise(self, w: np.ndarray) -> np.ndarray:
        w = np.where(self.available, w, 0.0)
        total = w.sum(axis=1, keepdims=True)
        n_avail = self.available.sum(axis=1, keepdims=True)
        uniform = np.where(self.available, 1.0 / np.maximum(n_avail, 1), 0.0)
        w = np.where(total > 0, w / np.where(total > 0, total, 1.0), uniform)
        return w

    def shares(self, brand: int) -> np.ndarray:
        """This period's budget shares of one brand (exploration mixed in)."""
        return self.all_shares()[brand]

    def all_shares(self) -> np.ndarray:
        """(brands, arms) this period's budget shares of every brand (exploration mixed in)."""
        n = self.available.sum(axis=1, keepdims=True)
        explore = self.available / np.maximum(n, 1)
        mixed = (1 - self.exploration) * self.weights + self.exploration * explore
        return np.where(n > 0, mixed, self.weights)

    def update(self, returns: np.ndarray, spend: np.ndarray) -> None:
        """One Hedge step from each arm's return (yuan of value) and spend (yuan).

        Arms a brand did not spend on keep their weight: no evidence, no move.
        """
        if self.eta == 0:
            return
        observed = (spend > 0) & self.available
        per_yuan = np.where(observed, returns / np.where(observed, spend, 1.0), 0.0)
        total_spend = np.where(observed, spend, 0.0).sum(axis=1, keepdims=True)
        mean = np.where(observed, per_yuan * spend, 0.0).sum(axis=1, keepdims=True)
        mean = mean / np.where(total_spend > 0, total_spend, 1.0)
        rel = np.where(observed & (mean > 0), per_yuan / np.where(mean > 0, mean, 1.0) - 1, 0.0)
        z = self.eta * rel
        # A row's common factor cancels in the normalisation: where exp would overflow (one
        # arm returned thousands of times the mean), shift the row by its largest exponent.
        top = z.max(axis=1, keepdims=True)
        z -= np.where(top > MAX_EXPONENT, top, 0.0)
        self.weights = self._normalise(self.weights * np.exp(z))
