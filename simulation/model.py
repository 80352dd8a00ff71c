"""CreatorEconomy: the Mesa model. Builds the market, then runs one day per ``step``."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import mesa
import numpy as np

from simulation import metrics
from simulation.agents import Brand, Creator, Fan, Platform
from simulation.build import build_market
from simulation.day import Day, FestivalRecord, Ledger, ScandalRecord, StreamHistory
from simulation.mechanisms import blocks, content, engagement, events
from simulation.phases import PHASES
from simulation.rngs import Streams
from simulation.scale import ScaleMapping
from simulation.scenario import BUDGET_ARMS, FLAT_PARAMS, FORMATS, TIERS, Scenario
from simulation.state import EndedTrust

LIVE = FORMATS.index("live_stream")
HEAP_TRIM_DAYS = 30  # how often a step returns freed memory to the system


class CreatorEconomy(mesa.Model):
    """Creators, fans, brands and platforms of Chinese live-stream commerce; one step = one day.

    Every keyword parameter is a scenario parameter (``simulation.scenario``; the signature
    lists each with its default), so ``mesa.batch_run`` and dashboards can drive any of
    them::

        model = CreatorEconomy(n_fans=50_000, n_creators=2_500, trust_gain=0.2, rng=42)
        model.run_for(365)

    Build from a scenario file with ``CreatorEconomy.from_scenario(load_scenario(path))``.
    Per-fan and per-follow state lives in NumPy arrays (``fan_state``, ``follows``);
    ``creators``, ``brands`` and ``platforms`` are Mesa agents over those arrays, and
    ``fans`` creates a Fan agent per fan when first asked for (a million fans run
    without a million Python objects).
    """

    def __init__(self, *, rng: Any = None, **params: Any) -> None:
        super().__init__(rng=rng)
        self.config = Scenario.from_params(params)
        self.scale = ScaleMapping.from_scenario(self.config)
        self.streams = Streams(self.rng, ("setup", *(name for name, _ in PHASES)))
        self.budget_reviews: list[dict[str, Any]] = []  # one entry per yearly budget review
        self.brand_day_result: dict[str, float] | None = None
        self.brand_day_followers = 0  # the brand day's accounts' followers before the day
        self.event_log: list[ScandalRecord | FestivalRecord] = []  # one-off events that happened
        self.measured_from = 0  # days simulated before measurement began (a warm-up)
        self.warming_up = False  # True while a warm-up runs (brands do not learn yet)
        self.stream_history = StreamHistory(days=metrics.YEAR)  # F4 reads the last year
        build_market(self)
        self.day = self.new_day()  # the day being simulated, then the last one simulated
        self.datacollector = mesa.DataCollector(model_reporters=metrics.model_reporters(self))

    @classmethod
    def from_scenario(cls, scenario: Scenario, rng: Any = None) -> CreatorEconomy:
        """A model with every parameter of ``scenario``."""
        model = cls(rng=rng, **scenario.model_params())
        model.config = scenario
        return model

    # ---------------------------------------------------------------- the day
    def step(self) -> None:
        """One simulated day: the phases of ``simulation.phases.PHASES``, in this order.

        1. content: creators post (by consistency) in one of the platform's formats,
           featuring a sponsor's, their own brand's or a trial product; creators past the
           follower threshold go live on their schedule.
        2. distribution: each platform fills fans' impression slots with its mix of
           interest, follower, social and popularity algorithms; followers attend streams;
           brands' bought traffic reaches targeted fans.
        3. exposure: fans engage (a live viewer for the minutes it stays), follow, and
           trust followed creators more through interaction; SICAS Sense, Interest,
           Connect; deals and bought traffic record what they achieved.
        4. purchase: engaged fans buy featured products (trust, format, minutes watched,
           price, wallet); the platform takes its commission; the experience moves trust
           in creator and brand.
        5. sharing: satisfied buyers share, putting friends into Sense; buyers talk others
           into buying and some fans find products unprompted (off in the baseline).
        6. growth: trust decays, scandals strike (brands pause those creators), low-trust
           follows end, wallets refill, follower counts and tiers update, creators exit
           and enter.
        7. competition: fans shift attention toward satisfying platforms; at reviews
           platforms adopt formats that draw attention and creators move platforms.
        8. budgets: at each budget period brands learn from what their spend returned and
           sign new deals; once a year they revise their total budget.
        9. data collection (``metrics.model_reporters``), except during a warm-up, whose
           days are not measured (:meth:`begin_measurement` starts the time series).

        Every ``HEAP_TRIM_DAYS`` days the memory the day's arrays freed goes back to the
        system (:func:`simulation.mechanisms.blocks.release_free_memory`); no value changes.
        """
        for _, run in self.day_parts():
            run()

    def day_parts(self) -> Iterator[tuple[str, Callable[[], object]]]:
        """Today's work as :meth:`step` does it, part by part: ``(name, run)``, in order.

        Starts a new day (``self.day``); the benchmarks time and trace each ``run()``.
        """
        self.day = day = self.new_day()
        for name, phase in PHASES:
            yield name, functools.partial(phase, self, day)
        if not self.warming_up:
            yield "data collection", functools.partial(self.datacollector.collect, self)
        if self.steps % HEAP_TRIM_DAYS == 0:
            yield "memory release", blocks.release_free_memory

    def begin_measurement(self) -> None:
        """Forget what the days so far recorded: a warm-up is simulated but not measured.

        Ends ``warming_up`` (brands start learning from their scenario split) and clears
        the time series, the cumulative sales, income and spend, the budget reviews, the
        streams and the ended relationships; the market itself (follows, trust, wallets,
        budgets) carries on as it is.
        """
        self.measured_from = self.steps
        self.warming_up = False
        self.datacollector = mesa.DataCollector(model_reporters=metrics.model_reporters(self))
        cs = self.creator_state
        for name in ("income", "gmv", "live_gmv"):
            cs.view(name)[:] = 0.0
        self.brand_state.gmv[:] = 0.0
        self.brand_state.spend[:] = 0.0
        for totals in (
            self.arm_value_total,
            self.arm_spend_total,
            self.arm_reach_total,
            self.band_value_total,
            self.band_spend_total,
            self.band_reach_total,
            self.band_deals_total,
        ):
            totals[:] = 0
        self.budget_reviews.clear()
        self.stream_history = StreamHistory(days=metrics.YEAR)  # F4 reads the last year
        self.follows.ended = EndedTrust()

    def new_day(self) -> Day:
        """An empty record for the day of the current step (0 on the first step)."""
        index = self.steps - 1
        day, keys = self.measured_day(index), [p.key for p in self.platform_list]
        festivals = self.config.events.festival
        return Day(
            index,
            Ledger(len(self.platform_list), len(BUDGET_ARMS)),
            events.festival_demand(festivals, day, keys),
            events.festival_today(festivals, day, keys),
        )

    @property
    def today(self) -> Ledger:
        """What happened on the day being (or last) simulated."""
        return self.day.ledger

    # ---------------------------------------------------------------- agents
    @property
    def platforms(self) -> list[Platform]:
        """Platforms in index order."""
        return self.platform_list

    @property
    def creators(self) -> mesa.agent.AgentSet:
        """Creator agents present now (those who left are removed)."""
        return self.agents_by_type[Creator]

    @property
    def brands(self) -> mesa.agent.AgentSet:
        """Brand agents."""
        return self.agents_by_type[Brand]

    @property
    def fans(self) -> mesa.agent.AgentSet:
        """Fan agents, one per row of ``fan_state``, created on first access."""
        if Fan not in self.agents_by_type:
            Fan.create_agents(self, self.fan_state.n, list(range(self.fan_state.n)))
        return self.agents_by_type[Fan]

    def creator(self, index: int) -> Creator:
        """The Creator agent of a row of ``creator_state``."""
        return self.creator_agents[index]

    def platform_index(self, key: str) -> int:
        """Column of a platform (by scenario key) in the per-platform arrays."""
        return next(p.index for p in self.platform_list if p.key == key)

    # ---------------------------------------------------------------- derived state
    def refresh_followers(self) -> None:
        """Recount followers per (creator, platform) from the follow edges; totals and tiers."""
        cs = self.creator_state
        cs.followers[: cs.n] = self.follows.follower_counts(cs.n, len(self.platform_list))
        self.refresh_tiers()

    def refresh_tiers(self) -> None:
        """Total followers and tiers from the follower counts (of every creator row)."""
        self.creator_total_followers = self.creator_state.view("followers").sum(axis=1)
        self.creator_tier = self.scale.tier_of(self.creator_total_followers)

    def relationship_trust(self) -> np.ndarray:
        """Trust a follow of each creator row starts at and fades back to (mechanism 3).

        The creator's role's ``initial_trust`` (KOCs' followers start high, seed 003), times
        the audience factor of its real followers with ``trust_audience_elasticity``: 1 up
        to ``audience_reference_real``, falling beyond (0 in the baseline: no fall).
        """
        cfg, cs = self.config, self.creator_state
        factor = engagement.audience_factor(
            self.scale.to_real(self.creator_total_followers),
            audience_reference_real=cfg.creators.audience_reference_real,
            audience_elasticity=cfg.trust.trust_audience_elasticity,
        )
        return self.role_initial_trust[cs.view("role")] * factor

    def tier_counts(self, creators: np.ndarray) -> np.ndarray:
        """How many of ``creators`` (one entry per follow, say) are in each tier, TIERS' order."""
        return np.bincount(self.creator_tier[creators], minlength=len(TIERS))

    def live_eligible(self) -> np.ndarray:
        """(creators, platforms): may stream there (enough followers, platform carries live)."""
        cs = self.creator_state
        return content.live_eligible(
            cs.view("followers"),
            cs.view("posts_on"),
            self.carries[:, LIVE],
            threshold=self.scale.to_sim(self.config.creators.live_threshold_real),
        )

    def has_account_on(self) -> np.ndarray:
        """(brands, platforms): the brand has an active own account posting there."""
        cs = self.creator_state
        mask = np.zeros((self.brand_state.budget.size, len(self.platform_list)), dtype=bool)
        acc = np.flatnonzero((cs.view("owner") >= 0) & cs.view("active"))
        np.logical_or.at(mask, cs.owner[acc], cs.posts_on[acc])
        return mask

    def measured_day(self, index: int) -> int:
        """Measured day of a day index (1 = the first day after the warm-up; 0 in the warm-up)."""
        return 0 if self.warming_up else index - self.measured_from + 1

    # ---------------------------------------------------------------- the brand day (seed 002)
    def is_brand_day(self, index: int) -> bool:
        """True on a day a brand's own account streams with bought traffic."""
        bd = self.config.brand_day
        return bd.enabled and events.recurs_on(
            self.measured_day(index), first=bd.day, every_days=bd.every_days
        )

    def brand_day_accounts(self) -> np.ndarray:
        """(creators, platforms) the brand day's own accounts, which stream that day."""
        cs, bd = self.creator_state, self.config.brand_day
        p = self.platform_index(bd.platform)
        mask = np.zeros((cs.n, len(self.platform_list)), dtype=bool)
        mask[:, p] = (cs.view("owner") == bd.brand) & cs.view("posts_on")[:, p] & cs.view("active")
        return mask

    def record_festival(self, day: Day) -> None:
        """Log each festival of the day: GMV and top three streams on its platforms, real yuan."""
        sales, led, upf = day.ledger.sales, day.ledger, self.scale.users_per_fan
        keys = [p.key for p in self.platform_list]
        for event in self.config.events.festival:
            if event.day == self.measured_day(day.index):
                on = events.festival_platforms(event, keys)
                gmv = float(sales.price[on[sales.platform]].sum()) * upf
                top = np.sort(led.stream_gmv[on[led.stream_platform]])[::-1][:3] * upf
                self.event_log.append(
                    FestivalRecord(event.day, event.platform, gmv, tuple(top.tolist()))
                )

    def record_brand_day(self, day: Day) -> None:
        """The first brand day's units sold and followers gained, in simulated and real units."""
        if self.brand_day_result is not None:
            return
        accounts = self.brand_day_accounts().any(axis=1)
        units = int(np.isin(day.ledger.sales.creator, np.flatnonzero(accounts)).sum())
        gained = int(self.creator_total_followers[accounts].sum()) - self.brand_day_followers
        upf = self.scale.users_per_fan
        self.brand_day_result = {
            "units": units,
            "real_units": units * upf,
            "followers_gained": gained,
            "real_followers_gained": gained * upf,
        }


def _signature() -> inspect.Signature:
    """``__init__``'s signature with every scenario parameter and its default, for help()."""
    defaults = Scenario().model_params()
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("rng", kw, default=None, annotation="int | np.random.Generator | None"),
    ]
    for name, value in defaults.items():
        if name in FLAT_PARAMS:
            section, field = FLAT_PARAMS[name]
            info = Scenario.model_fields[section].annotation.model_fields[field]
            annotation = info.annotation
        else:
            annotation = type(value)
        params.append(inspect.Parameter(name, kw, default=value, annotation=annotation))
    return inspect.Signature(params, return_annotation=None)


CreatorEconomy.__init__.__signature__ = _signature()
