"""Scenario files: load TOML, apply ``extends``, validate, flatten into model parameters.

A scenario is data. It is parsed with :mod:`tomllib` and validated by pydantic models
whose defaults are the single source of every model parameter's default; nothing in a
file is evaluated or unpickled. Errors name the file, the key and what was expected.

The TOML is grouped into sections for readability (``[population]``, ``[trust]``...),
but every scalar parameter has a unique name, so the model also takes them as flat
keyword arguments (what ``mesa.batch_run`` and SolaraViz drive):
``CreatorEconomy(n_fans=50_000, n_creators=2_500, trust_gain=0.2)``.
"""

from __future__ import annotations

import difflib
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ROLES = ("KOL", "KOC", "KOS", "KOE", "KOB", "virtual")
TIERS = ("tail", "small", "mid", "head")
OWN = "own"  # the brand's own account (KOB) and the public traffic it buys: a budget arm
BUDGET_ARMS = (*TIERS, OWN)
DEAL_FORMATS = ("short_video", "live_stream")  # what a sponsorship deal buys
FORMATS = ("short_video", "live_stream", "image_text", "short_drama", "long_video")
ALGORITHMS = ("interest", "follower", "social", "popularity")

Prob = Annotated[float, Field(ge=0.0, le=1.0)]
PosFloat = Annotated[float, Field(gt=0.0)]
NonNegFloat = Annotated[float, Field(ge=0.0)]


class ScenarioError(ValueError):
    """A scenario file cannot be used; the message names the file, the key and the problem."""


# Keys the loader sets from the file itself: a file that sets them is refused, not overwritten.
LOADER_KEYS = ("name", "source")


class RunError(RuntimeError):
    """A run raised inside the model; the message names the scenario, the seed and the day."""


class _Section(BaseModel):
    # NaN and infinities are refused everywhere: no parameter means anything at either
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RunSection(_Section):
    """How long to run and with which seed (not model parameters)."""

    steps: int = Field(730, ge=1, le=100_000, description="measured days (one step = one day)")
    warmup_days: int = Field(
        365, ge=0, le=100_000, description="days simulated before the measured ones, not recorded"
    )
    seed: int = Field(20261123, ge=0, description="seed of the first replicate")
    replicates: int = Field(1, ge=1, le=1000, description="independent runs, seeds spawned")


class PopulationSection(_Section):
    """Sizes of the simulated market and the fans' social graph."""

    n_fans: int = Field(750_000, ge=50, le=20_000_000)
    n_creators: int = Field(37_500, ge=4, le=1_000_000)
    n_brands: int = Field(20, ge=1, le=10_000)
    n_topics: int = Field(12, ge=1, le=256)
    interest_concentration: PosFloat = 0.3
    social_degree: int = Field(10, ge=0, le=1000)
    social_rewire: Prob = 0.1
    social_homophily: Prob = 0.7
    initial_follows: NonNegFloat = 5.048
    creator_fame_sigma: NonNegFloat = 2.797
    # A growing market (F9): a share of the fans uses the platforms from the first day of
    # the warm-up; each of the others joins with a yearly hazard join_rate and follows a few
    # creators as it arrives, in proportion to their followers (onboarding shows the
    # popular accounts), as day-0 fans follow the famous. joined_share = 1 and join_rate = 0:
    # every fan is there from the start (the theory limits need that fixed population).
    joined_share: float = Field(0.6, gt=0.0, le=1.0)
    join_rate: NonNegFloat = 0.7


# The market without growth: every fan on the platforms from day 0 (population keys).
FIXED_MARKET = {"joined_share": 1.0, "join_rate": 0.0}


class FanSection(_Section):
    """Fans' attention, budgets and engagement with what they are shown."""

    budget_mean: PosFloat = 4.0
    budget_sigma: NonNegFloat = 0.8
    wallet_cap_days: PosFloat = 60.0
    engage_base: Prob = 0.15
    live_engage_factor: NonNegFloat = 2.0
    social_proof: NonNegFloat = 2.0
    follow_prob: Prob = 0.004
    stream_attendance: Prob = 0.4022


class TrustSection(_Section):
    """How trust in followed creators and in brands grows, decays and collapses (mechanism 3)."""

    trust_gain: Prob = 0.22
    trust_engage_gain: Prob = 0.005
    trust_decay: Prob = 0.007142
    trust_audience_elasticity: NonNegFloat = 0.0
    trust_collapse: Prob = 0.2
    trust_bad_experience: Prob = 0.3
    unfollow_trust: Prob = 0.12
    unfollow_rate: NonNegFloat = 0.1
    expectation: Prob = 0.4
    experience_noise: NonNegFloat = 0.15
    brand_trust_initial: Prob = 0.5


class PurchaseSection(_Section):
    """SICAS progression, purchases and sharing (mechanisms 3 and 4)."""

    purchase_base: Prob = 0.8272
    video_conversion_factor: NonNegFloat = 0.3
    trust_exponent: NonNegFloat = 2.0
    stranger_trust: Prob = 0.1
    connect_trust: Prob = 0.5
    share_prob: Prob = 0.3
    share_reach: Prob = 0.3
    aware_engage_factor: NonNegFloat = 1.5


class WordOfMouthSection(_Section):
    """Purchases no creator made: unprompted discovery and buyers' talk (mechanism 4; Bass).

    Rates are per year; off (0) in the baseline, where creators' recommendations carry
    sales. ``scenarios/limits/bass.toml`` turns recommendation off and these on.
    """

    discovery_rate: NonNegFloat = 0.0
    talk_rate: NonNegFloat = 0.0
    talk_mixing: Literal["social", "full"] = "social"


class CreatorSection(_Section):
    """Creators' content, growth funnel, entry, exit and scandals (mechanism 2)."""

    content_quality_alpha: PosFloat = 2.0
    content_quality_beta: PosFloat = 3.0
    consistency_alpha: PosFloat = 3.0
    consistency_beta: PosFloat = 2.0
    multi_platform_prob: Prob = 0.3
    live_threshold_real: NonNegFloat = 1000.0
    stream_interval_days: int = Field(3, ge=1, le=365)
    engagement_memory: Prob = 0.1
    pool_prior_impressions: PosFloat = 20.0
    popularity_prior: PosFloat = 1.0
    entry_rate: NonNegFloat = 1.984
    exit_grace_days: int = Field(180, ge=0)
    exit_follower_floor_real: NonNegFloat = 100_000.0
    exit_prob: Prob = 0.01
    scandal_rate: NonNegFloat = 0.02
    audience_reference_real: PosFloat = 10_000.0
    audience_elasticity: NonNegFloat = 0.1


def _shares_sum_to_one(shares: dict[str, float], what: str) -> None:
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{what} shares must sum to 1 (they sum to {total:g})")


class BrandSection(_Section):
    """Brands' products, deals, learning and budgets (mechanism 5, F7)."""

    price_mean: PosFloat = 120.0
    price_sigma: NonNegFloat = 0.6
    product_quality_alpha: PosFloat = 4.0
    product_quality_beta: PosFloat = 2.0
    fake_rate: Prob = 0.01
    creator_commission: Prob = 0.2
    monthly_budget_mean: PosFloat = 30_000.0
    monthly_budget_sigma: NonNegFloat = 1.0
    budget_period_days: int = Field(30, ge=1, le=365)
    # How a deal is priced: "per_follower", fee_floor + fee_per_real_follower x real
    # followers x relative engagement ** fee_engagement_elasticity, x live_fee_factor for
    # a stream (a schedule set by hand); "reach", fee_floor + the expected real
    # impressions of the content the deal buys (the creator's recent posts' or streams'
    # impressions a day there, x budget_period_days) at ad_cost_per_thousand, the price
    # brands pay the platform for the same impressions as bought traffic.
    fee_rule: Literal["per_follower", "reach"] = "per_follower"
    fee_per_real_follower: NonNegFloat = 0.02
    fee_floor: NonNegFloat = 500.0
    fee_engagement_elasticity: NonNegFloat = 0.5
    live_fee_factor: PosFloat = 2.0
    ad_cost_per_thousand: PosFloat = 51.6
    allocation: dict[Literal[BUDGET_ARMS], NonNegFloat] = Field(
        default_factory=lambda: {"own": 0.1, "tail": 0.05, "small": 0.15, "mid": 0.25, "head": 0.45}
    )
    format_allocation: dict[Literal[DEAL_FORMATS], NonNegFloat] = Field(
        default_factory=lambda: {"short_video": 0.6, "live_stream": 0.4}
    )
    data_driven: NonNegFloat = 0.5
    exploration: Prob = 0.03
    long_term_weight: Prob = 0.3
    mind_share_value: NonNegFloat = 2.0
    budget_review_days: int = Field(365, ge=1)
    budget_elasticity: NonNegFloat = 0.4322
    budget_max_raise: NonNegFloat = 0.5
    budget_max_cut: Prob = 0.5
    return_reference: PosFloat = 35.04
    scandal_pause_days: int = Field(90, ge=0)
    brand_collapse: Prob = 0.5

    @model_validator(mode="after")
    def _allocations_sum_to_one(self) -> BrandSection:
        _shares_sum_to_one(self.allocation, "allocation")
        _shares_sum_to_one(self.format_allocation, "format_allocation")
        return self


class LiveSection(_Section):
    """Live-stream sessions: arrivals, dwell and conversion within a stream."""

    stream_minutes: PosFloat = 180.0
    tick_minutes: PosFloat = 5.0
    dwell_minutes: PosFloat = 20.0
    follower_arrival_skew: PosFloat = 3.0
    conversion_minutes: PosFloat = 15.0


class CompetitionSection(_Section):
    """Platforms competing for attention, converging on formats; creators moving (mechanism 6)."""

    attention_mobility: NonNegFloat = 0.5
    satisfaction_memory: Prob = 0.05
    attention_floor: Prob = 0.002
    format_review_days: int = Field(90, ge=1)
    convergence_rate: Prob = 0.3
    format_appeal: dict[Literal[FORMATS], PosFloat] = Field(
        default_factory=lambda: {
            "short_video": 1.0,
            "live_stream": 1.0,
            "image_text": 0.8,
            "short_drama": 1.3,
            "long_video": 0.9,
        }
    )
    creator_mobility: Prob = 0.05


class BrandDaySection(_Section):
    """A brand's own account streams with bought public traffic (seed 002, F13).

    On measured day ``day`` (1 = the first day after the warm-up) and, when ``every_days``
    is positive, every ``every_days`` days after it (a brand that streams daily, like
    Metersbonwe in seed 002, has ``every_days = 1``).
    """

    enabled: bool = False
    day: int = Field(30, ge=1)
    every_days: int = Field(0, ge=0, description="repeat interval in days; 0 streams once")
    brand: int = Field(0, ge=0)
    platform: str = "kuaishou"
    ad_budget: NonNegFloat = 3e6


class ScandalEvent(_Section):
    """One named scandal: on measured ``day``, the ``rank``-th largest creator of ``tier``."""

    day: int = Field(ge=1)
    tier: Literal[TIERS] = "head"
    rank: int = Field(1, ge=1, description="1 = the tier's creator with the most followers")


class FestivalEvent(_Section):
    """A shopping-festival day (F12, seed 002) on one platform or on all of them.

    Every creator who may stream there goes live, and a fan's chance to buy what it is
    shown is multiplied by ``demand_factor`` (capped at 1): the festival's discounts and
    countdowns.
    """

    day: int = Field(ge=1)
    platform: str = "all"
    demand_factor: float = Field(3.0, ge=1.0, le=100.0)


class EventsSection(_Section):
    """One-off events on given measured days (day 1 = the first day after the warm-up)."""

    scandal: tuple[ScandalEvent, ...] = ()
    festival: tuple[FestivalEvent, ...] = ()


class WhatIfSection(_Section):
    """What a what-if scenario asks, for comparison reports (not a model parameter)."""

    question: str = ""
    source: str = ""  # the seed or FACTS id behind the question
    watch: str = ""  # the indicator that answers it (simulation.indicators)
    # the direction the question presumes against the baseline; "" for an open question
    expect: Literal["higher", "lower", ""] = ""
    # measured days [first, last] the comparison reads (a one-day event); default the last 30
    days: tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]] | None = None

    @model_validator(mode="after")
    def _ordered_days(self) -> WhatIfSection:
        if self.days and self.days[0] > self.days[1]:
            raise ValueError("whatif.days must be [first, last] with first <= last")
        return self


class ScaleSection(_Section):
    """How real-world counts map onto the simulated population (FACTS: scale mapping).

    One simulated fan stands for ``real_users / n_fans`` real users, so a creator's real
    follower count is its simulated count times that factor; tiers and every threshold in
    real followers are converted with the same factor.
    """

    real_users: PosFloat = 150e6
    real_creators: PosFloat = 7.5e6
    tier_thresholds: dict[Literal["small", "mid", "head"], NonNegFloat] = Field(
        default_factory=lambda: {"small": 10_000.0, "mid": 300_000.0, "head": 5_000_000.0}
    )
    smaller_creator_threshold: NonNegFloat = 300_000.0
    thousands_band: tuple[NonNegFloat, NonNegFloat] = (1_000.0, 10_000.0)
    cny_per_usd: PosFloat = 7.1

    @model_validator(mode="after")
    def _ordered(self) -> ScaleSection:
        t = self.tier_thresholds
        if set(t) != {"small", "mid", "head"} or not t["small"] <= t["mid"] <= t["head"]:
            raise ValueError("tier_thresholds needs small <= mid <= head")
        if self.thousands_band[0] > self.thousands_band[1]:
            raise ValueError("thousands_band must be [low, high] with low <= high")
        return self


class AlgorithmMix(_Section):
    """Weights of the four distribution algorithms (normalised when used)."""

    interest: NonNegFloat = 0.0
    follower: NonNegFloat = 0.0
    social: NonNegFloat = 0.0
    popularity: NonNegFloat = 0.0

    @model_validator(mode="after")
    def _not_all_zero(self) -> AlgorithmMix:
        if sum(self.weights()) <= 0:
            raise ValueError("at least one algorithm weight must be positive")
        return self

    def weights(self) -> tuple[float, float, float, float]:
        """Weights in the order of :data:`ALGORITHMS`."""
        return (self.interest, self.follower, self.social, self.popularity)


class PlatformSpec(_Section):
    """One platform: its algorithm, reach, formats and fees (mechanisms 1 and 6)."""

    label: str = ""
    user_share: PosFloat = 1.0
    algorithm: AlgorithmMix
    impressions_per_day: NonNegFloat = 3.0
    formats: tuple[Literal[FORMATS], ...] = ("short_video", "live_stream")
    commission_rate: Prob = 0.05
    pool_escalation: NonNegFloat = 0.0
    head_public_traffic: Prob = 1.0
    enabled: bool = True

    @model_validator(mode="after")
    def _has_post_format(self) -> PlatformSpec:
        if not set(self.formats) - {"live_stream"}:
            raise ValueError("formats needs a post format besides live_stream")
        return self


class RoleSpec(_Section):
    """One creator role: how common it is and how its followers start out trusting it."""

    share: NonNegFloat
    initial_trust: Prob
    sales_focus: Prob
    scandal_risk: NonNegFloat = 1.0  # multiplies creators.scandal_rate (0: never a scandal)


def _default_platforms() -> dict[str, PlatformSpec]:
    mix = AlgorithmMix
    return {
        "douyin": PlatformSpec(
            label="Douyin",
            user_share=0.45,
            algorithm=mix(interest=0.7, follower=0.15, social=0.05, popularity=0.1),
            impressions_per_day=4.0,
            pool_escalation=1.0,
        ),
        "kuaishou": PlatformSpec(
            label="Kuaishou",
            user_share=0.25,
            algorithm=mix(interest=0.3, follower=0.55, social=0.05, popularity=0.1),
            formats=("short_video", "live_stream", "short_drama"),
            head_public_traffic=0.5,
        ),
        "xiaohongshu": PlatformSpec(
            label="Xiaohongshu (RED)",
            user_share=0.15,
            algorithm=mix(interest=0.55, follower=0.2, social=0.1, popularity=0.15),
            formats=("image_text", "short_video", "live_stream"),
            commission_rate=0.05,
        ),
        "wechat_channels": PlatformSpec(
            label="WeChat Channels",
            user_share=0.15,
            algorithm=mix(interest=0.15, follower=0.2, social=0.6, popularity=0.05),
            formats=("short_video", "live_stream", "image_text"),
            commission_rate=0.02,
        ),
    }


def _default_roles() -> dict[str, RoleSpec]:
    return {
        "KOL": RoleSpec(share=0.15, initial_trust=0.3, sales_focus=0.5),
        "KOC": RoleSpec(share=0.5, initial_trust=0.6, sales_focus=0.6),
        "KOS": RoleSpec(share=0.15, initial_trust=0.25, sales_focus=0.9),
        "KOE": RoleSpec(share=0.05, initial_trust=0.35, sales_focus=0.7),
        "KOB": RoleSpec(share=0.05, initial_trust=0.2, sales_focus=1.0),
        "virtual": RoleSpec(share=0.1, initial_trust=0.25, sales_focus=0.5),
    }


# Sections whose scalar fields are flat model keyword parameters.
PARAM_SECTIONS: dict[str, type[_Section]] = {
    "population": PopulationSection,
    "fans": FanSection,
    "trust": TrustSection,
    "purchase": PurchaseSection,
    "creators": CreatorSection,
    "brands": BrandSection,
    "scale": ScaleSection,
    "live": LiveSection,
    "competition": CompetitionSection,
    "word_of_mouth": WordOfMouthSection,
}


def _flat_names() -> dict[str, tuple[str, str]]:
    """Map each flat parameter name to its (section, field); names are unique by design."""
    names: dict[str, tuple[str, str]] = {}
    for section, cls in PARAM_SECTIONS.items():
        for field in cls.model_fields:
            if field in names:
                raise RuntimeError(f"parameter {field!r} is in two sections")
            names[field] = (section, field)
    return names


FLAT_PARAMS: dict[str, tuple[str, str]] = _flat_names()
STRUCTURED_PARAMS = (
    "platforms",
    "roles",
    "brand_day",
    "events",
)  # model parameters that are tables


class Scenario(_Section):
    """A whole validated scenario; ``name`` and ``source`` say where it came from."""

    name: str = "default"
    description: str = ""
    source: str | None = None
    run: RunSection = Field(default_factory=RunSection)
    population: PopulationSection = Field(default_factory=PopulationSection)
    fans: FanSection = Field(default_factory=FanSection)
    trust: TrustSection = Field(default_factory=TrustSection)
    purchase: PurchaseSection = Field(default_factory=PurchaseSection)
    creators: CreatorSection = Field(default_factory=CreatorSection)
    brands: BrandSection = Field(default_factory=BrandSection)
    scale: ScaleSection = Field(default_factory=ScaleSection)
    live: LiveSection = Field(default_factory=LiveSection)
    competition: CompetitionSection = Field(default_factory=CompetitionSection)
    word_of_mouth: WordOfMouthSection = Field(default_factory=WordOfMouthSection)
    brand_day: BrandDaySection = Field(default_factory=BrandDaySection)
    events: EventsSection = Field(default_factory=EventsSection)
    whatif: WhatIfSection = Field(default_factory=WhatIfSection)
    platforms: dict[str, PlatformSpec] = Field(default_factory=_default_platforms)
    roles: dict[Literal[ROLES], RoleSpec] = Field(default_factory=_default_roles)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if not any(p.enabled for p in self.platforms.values()):
            raise ValueError("at least one platform must be enabled")
        if sum(r.share for r in self.roles.values()) <= 0:
            raise ValueError("role shares must not all be zero")
        day = self.brand_day
        if day.enabled:
            if day.platform not in self.platforms or not self.platforms[day.platform].enabled:
                raise ValueError(f"brand_day.platform {day.platform!r} is not an enabled platform")
            if day.brand >= self.population.n_brands:
                raise ValueError(f"brand_day.brand must be below n_brands ({day.brand})")
            if "KOB" not in self.roles:
                raise ValueError("brand_day needs the KOB role (a brand's own account)")
        for i, fest in enumerate(self.events.festival):
            if fest.platform != "all" and fest.platform not in self.platforms:
                raise ValueError(
                    f"events.festival[{i}].platform {fest.platform!r} is not a platform "
                    f"(expected 'all' or one of {', '.join(self.platforms)})"
                )
        for what, events in (("scandal", self.events.scandal), ("festival", self.events.festival)):
            for i, event in enumerate(events):
                if event.day > self.run.steps:
                    raise ValueError(
                        f"events.{what}[{i}].day {event.day} is after the last measured day "
                        f"(run.steps = {self.run.steps})"
                    )
        if self.whatif.watch:
            from simulation.indicators import indicator_names

            names = indicator_names(self)
            if self.whatif.watch not in names:
                raise ValueError(
                    f"whatif.watch {self.whatif.watch!r} is not an indicator; expected one of: "
                    + ", ".join(names)
                )
        return self

    def model_params(self) -> dict[str, Any]:
        """Flat keyword parameters for :class:`simulation.CreatorEconomy`."""
        params: dict[str, Any] = {
            flat: getattr(getattr(self, section), field)
            for flat, (section, field) in FLAT_PARAMS.items()
        }
        params["platforms"] = {k: v.model_dump() for k, v in self.platforms.items()}
        params["roles"] = {k: v.model_dump() for k, v in self.roles.items()}
        params["brand_day"] = self.brand_day.model_dump()
        params["events"] = self.events.model_dump()
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, Any], **extra: Any) -> Scenario:
        """Build a scenario from flat keyword parameters (the inverse of :meth:`model_params`)."""
        nested: dict[str, Any] = dict(extra)
        for key, value in params.items():
            if key in STRUCTURED_PARAMS:
                nested[key] = value
            elif key in FLAT_PARAMS:
                section, field = FLAT_PARAMS[key]
                nested.setdefault(section, {})[field] = value
            else:
                raise ScenarioError(
                    f"unknown model parameter {key!r}; expected one of: "
                    + ", ".join(sorted([*FLAT_PARAMS, *STRUCTURED_PARAMS]))
                )
        return validate(nested, origin="model parameters")


def _fields_at(root: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """The keys a table at ``path`` of a ``root`` document may hold ([] when not a table)."""
    node: Any = root
    for part in (*path, None):
        while typing.get_origin(node) in (Annotated, typing.Union, types.UnionType):
            args = [a for a in typing.get_args(node) if a is not type(None)]
            node = args[0]  # Annotated's type, or an optional's value
        if part is None:
            break
        if isinstance(node, type) and issubclass(node, BaseModel):
            if part not in node.model_fields:
                return []
            node = node.model_fields[part].annotation
        elif typing.get_origin(node) is dict:
            node = typing.get_args(node)[1]
        elif typing.get_origin(node) is tuple:
            node = typing.get_args(node)[0]
        else:
            return []
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [k for k in node.model_fields if k not in LOADER_KEYS]
    return []


def closest_key(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """``" (did you mean 'x'?)"`` for an unknown key close to a valid one, else ``""``."""
    near = difflib.get_close_matches(str(loc[-1]), _fields_at(root, loc[:-1]), n=1, cutoff=0.6)
    return f" (did you mean '{near[0]}'?)" if near else ""


def format_errors(
    err: ValidationError,
    origin: str,
    what: str = "scenario",
    reference: str = "baseline.toml",
    root: type[BaseModel] | None = None,
) -> str:
    """One readable message: the file, then each problem's key and what was expected.

    An unknown key is matched against the valid keys of its table (``root`` is the
    document's model, default :class:`Scenario`) and the closest one is suggested.
    """
    root = root or Scenario
    lines = [f"{origin}: invalid {what} ({err.error_count()} problem(s))"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            hint = closest_key(root, e["loc"]) or f" (check the spelling against {reference})"
            lines.append(f"  key '{key}': unknown key{hint}")
        elif root is Scenario and e["type"] == "missing" and e["loc"][0] == "platforms":
            near = difflib.get_close_matches(str(e["loc"][1]), list(_default_platforms()), n=1)
            hint = f"; did you mean the platform '{near[0]}'?" if near else ""
            lines.append(
                f"  key '{key}': Field required ('{e['loc'][1]}' is not a built-in platform, so "
                f"its table must give every required key{hint})"
            )
        else:
            got = repr(e.get("input"))
            got = got if len(got) <= 60 else got[:57] + "..."
            lines.append(f"  key '{key}': {e['msg']} (got {got})")
    return "\n".join(lines)


def validate(data: Mapping[str, Any], origin: str = "<scenario>") -> Scenario:
    """Validate a nested mapping as a :class:`Scenario`; raise :class:`ScenarioError`."""
    try:
        return Scenario.model_validate(dict(data))
    except ValidationError as err:
        raise ScenarioError(format_errors(err, origin)) from None


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def read_toml(path: Path, what: str, where: str = "") -> dict[str, Any]:
    """A TOML data file as a dict; refused if unreadable or setting a loader's key.

    Args:
        path: the file.
        what: what it is, for messages ("scenario file", "sweep file").
        where: a prefix naming the file that refers to this one, if any.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{where}{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{where}{path}: cannot read {what} ({err})") from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{where}{path}: not valid TOML: {err}") from None
    for key in LOADER_KEYS:
        if key in data:
            raise ScenarioError(
                f"{path}: key '{key}': set by the loader from the file's path "
                f"({path.stem!r}), not by the file; remove it (rename the file to rename "
                "its results folder)"
            )
    return data


def _read_toml(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """Read one file and, recursively, the file it ``extends`` (merged underneath)."""
    if path in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path))
        raise ScenarioError(f"{chain[-1]}: key 'extends': circular extends ({cycle})")
    where = f"{chain[-1]}: key 'extends': " if chain else ""  # a parent: name the child
    data = read_toml(path, "scenario file", where)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: key 'extends': expected a file name string (got {parent!r})")
    base = _read_toml((path.parent / parent).resolve(), (*chain, path))
    return _deep_merge(base, data)


def load_scenario(path: str | Path) -> Scenario:
    """Load, merge (``extends``) and validate a scenario file.

    Raises:
        ScenarioError: the file is missing, not TOML, or has an unknown key, a wrong type
            or an out-of-range value; the message names the file and the key.
    """
    path = Path(path).resolve()
    data = _read_toml(path, ())
    data["name"] = path.stem  # results go to results/<file name>/, whatever the file extends
    data["source"] = str(path)
    return validate(data, origin=str(path))
