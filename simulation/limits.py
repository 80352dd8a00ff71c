"""Theory in the limiting cases (FACTS, theory section): Bass, preferential attachment, churn.

Each check runs the model itself on a limit scenario (``scenarios/limits/``) over several
seeds and compares what emerges with the textbook answer:

* **Bass** — with recommendation off and fully mixed word of mouth, the share of fans who
  have bought follows F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}). p and q are
  recovered from the seed-averaged curve with ``scipy.optimize.curve_fit``.
* **Preferential attachment** — with popularity-only distribution and creators entering,
  the follower distribution has a power-law tail; its exponent is estimated by maximum
  likelihood with the KS-optimal lower cut-off (Clauset, Shalizi & Newman 2009, via the
  ``powerlaw`` package). Price's model predicts 2 + a/m for kernel k + a and m follows
  per entering creator, 3 for linear attachment (a = m). The law is in the kernel's
  variable, followers + a (Barabasi-Albert's degree: a = m stands for the m links a BA
  node brings), so that is what the exponent is fitted to; the fit to bare follower
  counts, whose small values bend away from it, is reported beside it. The same
  population under interest-based distribution is run for comparison (Gini and top-1%).
* **Attachment with churn** — follows end at a constant rate delta and a share q of new
  follows is placed by popularity: the mean-field equation of each creator's follows,
  integrated from the run's own day-0 followers, predicts what the largest creators keep
  (about e^{-(1 - q) delta t} far above the mean); checked at q = 0, the scenario's q and 1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import curve_fit

from simulation.metrics import YEAR, gini, top_share
from simulation.model import CreatorEconomy
from simulation.runner import parallel_map, run_replicate
from simulation.scenario import AlgorithmMix, Scenario, ScenarioError

BASS_PQ_TOLERANCE = 0.15  # relative error allowed on recovered p and q (issue: calibration)
BASS_CURVE_TOLERANCE = 0.03  # largest allowed gap between mean simulated and analytic F(t)
PA_EXPONENT = 3.0  # linear attachment (Barabasi-Albert)
PA_TOLERANCE = 0.3


# ------------------------------------------------------------------ Bass diffusion
def bass_curve(t: np.ndarray, p: float, q: float) -> np.ndarray:
    """Bass cumulative adoption F(t) for innovation p and imitation q (t in the rates' unit)."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1 - e) / (1 + (q / p) * e)


def fit_bass(t: np.ndarray, adoption: np.ndarray) -> tuple[float, float]:
    """Least-squares (p, q) of the Bass curve through an adoption curve."""
    (p, q), _ = curve_fit(
        bass_curve, t, adoption, p0=(0.01, 0.1), bounds=([1e-6, 0.0], [10.0, 50.0])
    )
    return float(p), float(q)


@dataclass
class BassCheck:
    """A Bass limit run: configured and recovered p, q, and the curves behind them."""

    p: float
    q: float
    p_fit: float
    q_fit: float
    t_years: np.ndarray
    adoption: np.ndarray  # (seeds, days) share of fans who bought
    seeds: list[int]

    @property
    def mean(self) -> np.ndarray:
        """Seed-averaged adoption curve."""
        return self.adoption.mean(axis=0)

    @property
    def max_gap(self) -> float:
        """Largest absolute gap between the mean simulated and the analytic curve."""
        return float(np.abs(self.mean - bass_curve(self.t_years, self.p, self.q)).max())

    @property
    def p_error(self) -> float:
        """Relative error of the recovered p."""
        return abs(self.p_fit / self.p - 1)

    @property
    def q_error(self) -> float:
        """Relative error of the recovered q."""
        return abs(self.q_fit / self.q - 1)

    @property
    def passed(self) -> bool:
        """Whether p and q are within 15% and the curve within 0.03 everywhere."""
        return (
            self.p_error <= BASS_PQ_TOLERANCE
            and self.q_error <= BASS_PQ_TOLERANCE
            and self.max_gap <= BASS_CURVE_TOLERANCE
        )


def require_fixed_population(scenario: Scenario, limit: str) -> None:
    """Refuse a limit scenario whose fans do not all use the platforms from day 0.

    Every theory limit here counts on a fixed population N of fans (Bass's market
    potential, the attachment equations' 1 - k / N); the baseline grows its market
    (``population.joined_share`` < 1, ``join_rate`` > 0), so a limit scenario that extends
    it must switch that off.

    Raises:
        ScenarioError: ``joined_share`` < 1 or ``join_rate`` > 0.
    """
    pop = scenario.population
    if pop.joined_share < 1 or pop.join_rate > 0:
        raise ScenarioError(
            f"{scenario.source or scenario.name}: the {limit} limit needs every fan on the "
            "platforms from day 0: population.joined_share = 1 and join_rate = 0 (got "
            f"{pop.joined_share} and {pop.join_rate})"
        )


def _adoption(scenario: Scenario, seed: int) -> np.ndarray:
    ts, *_ = run_replicate(scenario, seed, scenario.run.steps)
    return ts["adoption"].to_numpy()


def bass_check(scenario: Scenario, seeds: list[int], workers: int = 1) -> BassCheck:
    """Run the Bass limit scenario for each seed and fit p and q to the mean curve."""
    require_fixed_population(scenario, "Bass")
    wom = scenario.word_of_mouth
    if wom.talk_mixing != "full" or scenario.population.n_brands != 1:
        raise ScenarioError(
            f"{scenario.source or scenario.name}: the Bass limit needs population.n_brands = 1"
            ' and word_of_mouth.talk_mixing = "full"'
        )
    curves = np.stack(parallel_map(_adoption, [(scenario, s) for s in seeds], workers))
    t = np.arange(1, curves.shape[1] + 1) / YEAR  # row k is collected after day k + 1
    p_fit, q_fit = fit_bass(t, curves.mean(axis=0))
    return BassCheck(wom.discovery_rate, wom.talk_rate, p_fit, q_fit, t, curves, list(seeds))


# ------------------------------------------------------------------ preferential attachment
def tail_exponent(followers: np.ndarray) -> dict[str, float]:
    """Power-law tail of a follower distribution by maximum likelihood (CSN 2009).

    Discrete power law; xmin is the value minimising the Kolmogorov-Smirnov distance.
    Returns alpha, its standard error, xmin and the number of creators in the tail.
    """
    import powerlaw  # imported here: it is slow to import and only validation needs it

    x = np.asarray(followers, dtype=float)
    x = x[x > 0]
    with warnings.catch_warnings():  # powerlaw fits lazily, so read results inside
        warnings.simplefilter("ignore")
        law = powerlaw.Fit(x, discrete=True, verbose=False).power_law
        return {
            "alpha": float(law.alpha),
            "sigma": float(law.standard_err),
            "xmin": float(law.xmin),
            "n_tail": int((x >= law.xmin).sum()),
        }


def with_algorithm(scenario: Scenario, **weights: float) -> Scenario:
    """The same scenario with every enabled platform's algorithm replaced."""
    mix = AlgorithmMix(**weights)
    platforms = {k: s.model_copy(update={"algorithm": mix}) for k, s in scenario.platforms.items()}
    return scenario.model_copy(update={"platforms": platforms})


def _followers(scenario: Scenario, seed: int) -> dict[str, Any]:
    ts, creators, *_ = run_replicate(scenario, seed, scenario.run.steps)
    active = creators[creators["active"]]
    entries = ts["entries"].sum() + scenario.population.n_creators
    return {
        "followers": active["followers"].to_numpy(),
        "follows_per_entry": float(ts["new_follows"].sum() / entries),
    }


@dataclass
class AttachmentCheck:
    """A preferential-attachment limit run, with the interest-based comparison."""

    popularity_prior: float
    seeds: list[int]
    popularity: list[np.ndarray]  # final followers per seed, popularity distribution
    interest: list[np.ndarray]  # the same population under interest-based distribution
    fits: list[dict[str, float]] = field(default_factory=list)  # of followers + a, per seed
    follows_per_entry: float = 0.0

    @property
    def alpha(self) -> float:
        """Mean MLE tail exponent over seeds."""
        return float(np.mean([f["alpha"] for f in self.fits]))

    @property
    def predicted_alpha(self) -> float:
        """Price's model: 2 + a / m with the measured follows per entering creator."""
        return 2.0 + self.popularity_prior / self.follows_per_entry

    def concentration(self, which: str) -> dict[str, float]:
        """Mean Gini and top-1% share of followers over seeds for one distribution."""
        runs = self.popularity if which == "popularity" else self.interest
        return {
            "gini": float(np.mean([gini(f) for f in runs])),
            "top1_share": float(np.mean([top_share(f) for f in runs])),
        }

    @property
    def passed(self) -> bool:
        """Exponent 3 +/- 0.3, and interest-based distribution visibly less concentrated."""
        pop, inter = self.concentration("popularity"), self.concentration("interest")
        return (
            abs(self.alpha - PA_EXPONENT) <= PA_TOLERANCE
            and inter["gini"] < pop["gini"]
            and inter["top1_share"] < pop["top1_share"]
        )


def attachment_check(
    scenario: Scenario, seeds: list[int], workers: int = 1, *, twin: bool = True
) -> AttachmentCheck:
    """Run the preferential-attachment scenario and its interest-based twin for each seed.

    ``twin=False`` leaves the twin out (``interest`` is then empty) when only the
    exponent is wanted.
    """
    require_fixed_population(scenario, "preferential-attachment")
    interest = with_algorithm(scenario, interest=1.0)
    jobs = [(scenario, s) for s in seeds] + [(interest, s) for s in seeds if twin]
    runs = parallel_map(_followers, jobs, workers)
    pop, inter = runs[: len(seeds)], runs[len(seeds) :]
    return AttachmentCheck(
        popularity_prior=scenario.creators.popularity_prior,
        seeds=list(seeds),
        popularity=[r["followers"] for r in pop],
        interest=[r["followers"] for r in inter],
        fits=[tail_exponent(r["followers"] + scenario.creators.popularity_prior) for r in pop],
        follows_per_entry=float(np.mean([r["follows_per_entry"] for r in pop])),
    )


# ------------------------------------------------------------------ attachment with churn
CHURN_TOLERANCE = 0.05  # relative gap allowed between the model's top decile and the equation's
CHURN_LIMITS = (0.0, 1.0)  # popularity shares run beside the scenario's own: the two limits
TOP_DECILE = 0.1


def attachment_share(scenario: Scenario) -> float:
    """q: the share of a limit scenario's slots filled by popularity (the rest by interest).

    Raises:
        ScenarioError: the scenario is not the attachment-with-churn limit (one platform
            whose algorithm mixes only interest and popularity, no entries or exits, no
            unfollows for lost trust).
    """
    require_fixed_population(scenario, "attachment-with-churn")
    where = scenario.source or scenario.name
    platforms = [p for p in scenario.platforms.values() if p.enabled]
    c, t = scenario.creators, scenario.trust
    if (
        len(platforms) != 1
        or platforms[0].algorithm.follower > 0
        or platforms[0].algorithm.social > 0
        or c.entry_rate > 0
        or c.exit_prob > 0
        or c.scandal_rate > 0
        or t.unfollow_trust > 0
    ):
        raise ScenarioError(
            f"{where}: the attachment-with-churn limit needs one enabled platform whose "
            "algorithm has follower = social = 0, creators.entry_rate = exit_prob = "
            "scandal_rate = 0 and trust.unfollow_trust = 0"
        )
    mix = platforms[0].algorithm
    return mix.popularity / (mix.popularity + mix.interest)


def churn_prediction(
    followers: np.ndarray,
    quality: np.ndarray,
    consistency: np.ndarray,
    days: int,
    *,
    n_fans: int,
    impressions_per_day: float,
    engage_base: float,
    follow_prob: float,
    popularity_share: float,
    popularity_prior: float,
    unfollow_rate: float,
) -> np.ndarray:
    """Expected follows of each creator, day by day, in the attachment-with-churn limit.

    Each fan has ``impressions_per_day`` slots; a slot goes to creator i by popularity
    (share q, in proportion to followers + a) or by interest (in proportion to quality,
    creators being alike otherwise), weighted by the chance i posts that day. A non-follower
    engages with chance ``engage_base`` x quality and then follows with ``follow_prob``; a
    follow ends with chance ``unfollow_rate`` / 365 a day. Returns (days + 1, creators).
    """
    k = np.asarray(followers, float).copy()
    quality, consistency = np.asarray(quality, float), np.asarray(consistency, float)
    interest = quality * consistency
    interest /= interest.sum()
    win = n_fans * impressions_per_day * engage_base * follow_prob * quality
    survive = 1.0 - unfollow_rate / 365.0
    out = np.empty((days + 1, k.size))
    out[0] = k
    for day in range(1, days + 1):
        pull = (k + popularity_prior) * consistency
        share = popularity_share * pull / pull.sum() + (1 - popularity_share) * interest
        k = (k + win * share * (1.0 - k / n_fans)) * survive
        out[day] = k
    return out


def _churn_run(scenario: Scenario, seed: int) -> dict[str, Any]:
    """The top decile's follows day by day, simulated and predicted, in one run."""
    model = CreatorEconomy.from_scenario(scenario, rng=seed)
    n = model.creator_state.n
    k0 = model.creator_total_followers.copy()
    top = np.argsort(k0, kind="stable")[-max(1, int(TOP_DECILE * n)) :]
    simulated = [float(k0[top].sum())]
    for _ in range(scenario.run.steps):
        model.step()
        simulated.append(float(model.creator_total_followers[top].sum()))
    (platform,) = [p for p in scenario.platforms.values() if p.enabled]
    predicted = churn_prediction(
        k0,
        model.creator_state.view("quality"),
        model.creator_state.view("consistency"),
        scenario.run.steps,
        n_fans=scenario.population.n_fans,
        impressions_per_day=platform.impressions_per_day,
        engage_base=scenario.fans.engage_base,
        follow_prob=scenario.fans.follow_prob,
        popularity_share=attachment_share(scenario),
        popularity_prior=scenario.creators.popularity_prior,
        unfollow_rate=scenario.trust.unfollow_rate,
    )
    return {"simulated": np.array(simulated), "predicted": predicted[:, top].sum(axis=1)}


@dataclass
class ChurnCheck:
    """The attachment-with-churn limit at several popularity shares q."""

    shares: list[float]  # q of each row below
    unfollow_rate: float
    seeds: list[int]
    simulated: np.ndarray  # (shares, seeds, days + 1) top decile's follows, the model
    predicted: np.ndarray  # the same, from the equation

    def kept(self, which: str) -> np.ndarray:
        """Share of its day-0 follows the top decile keeps at the end, seed mean per q."""
        runs = self.simulated if which == "simulated" else self.predicted
        return (runs[:, :, -1] / runs[:, :, 0]).mean(axis=1)

    @property
    def gaps(self) -> np.ndarray:
        """Relative gap between the model's and the equation's end value, per q."""
        return np.abs(self.kept("simulated") / self.kept("predicted") - 1)

    @property
    def passed(self) -> bool:
        """The model within 5% of the equation at every q."""
        return bool((self.gaps <= CHURN_TOLERANCE).all())


def churn_check(scenario: Scenario, seeds: list[int], workers: int = 1) -> ChurnCheck:
    """Run the limit at the scenario's own q and at q = 0 and 1, for each seed."""
    own = attachment_share(scenario)
    shares = [own, *(q for q in CHURN_LIMITS if q != own)]
    variants = [with_algorithm(scenario, interest=1 - q, popularity=q) for q in shares]
    runs = parallel_map(_churn_run, [(v, s) for v in variants for s in seeds], workers)

    def stack(key: str) -> np.ndarray:
        return np.array([r[key] for r in runs]).reshape(len(shares), len(seeds), -1)

    return ChurnCheck(
        shares=shares,
        unfollow_rate=scenario.trust.unfollow_rate,
        seeds=list(seeds),
        simulated=stack("simulated"),
        predicted=stack("predicted"),
    )
