"""How data-driven brands reallocate budget: multiplicative weights on return on spend.

Each budget period a brand observes, for every arm it spent on (a creator tier or its own
account; a platform; a format), what each yuan brought back. The rule is Hedge, the
exponentiated-gradient / multiplicative-weights update (Freund and Schapire 1997): an
arm's weight is multiplied by ``exp(eta * (r / r_ref - 1))``, where ``r`` is the arm's
return per yuan this period and ``r_ref`` what a yuan has returned the brand so far: its
value over its spend in every earlier period (a brand's first period with spend only sets
that reference: no reference, no move). It is chosen because it is the standard online rule for
splitting a budget across alternatives with per-period feedback, it never names a
preferred arm, its single rate ``eta`` is exactly "how data-driven" a brand is (0 = keep
the initial split), and a small uniform exploration share keeps every available arm
observed so a brand can discover an arm it starved.

Why the reference is the brand's past and not this period's mean: a gain divided by a
mean that contains the same period's draws is biased against volatile arms. Two arms that
return 1 yuan per yuan on average, one always and one either 0 or 2, give the steady arm
``+1/3`` and the volatile one ``-1/3`` on average (Jensen's inequality on ``1 / r_mean``),
so the brand would abandon the volatile arm though it pays as much: a deal with one large
creator is such an arm next to many small deals. Against a reference fixed before the
period, an arm's expected step is ``eta * (E[r] / r_ref - 1)``: arms move by their mean
return only (``tests/test_mechanisms.py`` checks both).
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
        n = self.available.shape[0]
        self.value_seen = np.zeros(n)  # each brand's value from earlier periods, yuan
        self.spend_seen = np.zeros(n)  # and what it spent for it, yuan

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

        Arms a brand did not spend on keep their weight: no evidence, no move. The step is
        relative to what a yuan returned the brand in earlier periods (module docstring).
        """
        if self.eta == 0:
            return
        observed = (spend > 0) & self.available
        per_yuan = np.where(observed, returns / np.where(observed, spend, 1.0), 0.0)
        value_now = np.where(observed, returns, 0.0).sum(axis=1)
        spend_now = np.where(observed, spend, 0.0).sum(axis=1)
        seen = self.spend_seen > 0
        ref = np.where(seen, self.value_seen / np.where(seen, self.spend_seen, 1.0), 0.0)
        self.value_seen += value_now
        self.spend_seen += spend_now
        ref = ref[:, None]
        rel = np.where(observed & (ref > 0), per_yuan / np.where(ref > 0, ref, 1.0) - 1, 0.0)
        z = self.eta * rel
        # A row's common factor cancels in the normalisation: where exp would overflow (one
        # arm returned thousands of times the mean), shift the row by its largest exponent.
        top = z.max(axis=1, keepdims=True)
        z -= np.where(top > MAX_EXPONENT, top, 0.0)
        self.weights = self._normalise(self.weights * np.exp(z))
