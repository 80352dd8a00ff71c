"""The classroom dashboard: the creator economy live in a browser (Mesa SolaraViz).

``creator-sim dashboard [SCENARIO]`` serves this module with Solara. Each browser session
builds its own model in :func:`Page`, so two students on one server never see or drive
each other's market. A lesson is a scenario file in ``scenarios/lessons/``: its
``description`` says what to watch, its ``[whatif] question`` what to ask the class.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import solara
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from simulation import plots
from simulation.metrics import gini
from simulation.model import CreatorEconomy
from simulation.scenario import TIERS, Scenario, load_scenario

LESSONS = Path(__file__).resolve().parent.parent / "scenarios" / "lessons"
SCENARIO_ENV = "CREATOR_SIM_DASHBOARD_SCENARIO"  # set by `creator-sim dashboard SCENARIO`
NETWORK_CREATORS, NETWORK_FANS = 30, 120  # the network view's sample
DPI = 72  # charts' resolution


ORDER = ("why_small_creators_sell", "what_the_algorithm_does", "trust_and_scandal")


def lessons() -> dict[str, Path]:
    """Lesson presets by title ("Why small creators sell"): the classic three first."""
    files = sorted(
        LESSONS.glob("*.toml"),
        key=lambda p: (p.stem not in ORDER, ORDER.index(p.stem) if p.stem in ORDER else 0, p.stem),
    )
    return {p.stem.replace("_", " ").capitalize(): p for p in files}


def lesson_values(scenario: Scenario) -> dict[str, Any]:
    """The dashboard's controls as a scenario sets them."""
    p = scenario.platforms
    shares = {k: r.share for k, r in scenario.roles.items()}
    return {
        "n_fans": scenario.population.n_fans,
        "douyin_interest": p["douyin"].algorithm.interest,
        "kuaishou_follower": p["kuaishou"].algorithm.follower,
        "wechat_social": p["wechat_channels"].algorithm.social,
        "trust_gain": scenario.trust.trust_gain,
        "scandal_rate": scenario.creators.scandal_rate,
        "data_driven": scenario.brands.data_driven,
        "long_term_weight": scenario.brands.long_term_weight,
        "koc_share": shares["KOC"] / sum(shares.values()),
    }


class ClassroomEconomy(CreatorEconomy):
    """A lesson's market with the dashboard's controls as flat keyword parameters."""

    def __init__(
        self,
        *,
        lesson: str = "",
        rng: Any = None,
        n_fans: int = 4000,
        douyin_interest: float = 0.7,
        kuaishou_follower: float = 0.55,
        wechat_social: float = 0.6,
        trust_gain: float = 0.22,
        scandal_rate: float = 0.02,
        data_driven: float = 0.5,
        long_term_weight: float = 0.3,
        koc_share: float = 0.5,
    ) -> None:
        path = Path(lesson) if lesson else next(iter(lessons().values()))
        base = load_scenario(path).model_dump()
        base["population"] |= {"n_fans": int(n_fans), "n_creators": max(10, int(n_fans) // 20)}
        base["platforms"]["douyin"]["algorithm"]["interest"] = douyin_interest
        base["platforms"]["kuaishou"]["algorithm"]["follower"] = kuaishou_follower
        base["platforms"]["wechat_channels"]["algorithm"]["social"] = wechat_social
        base["trust"]["trust_gain"] = trust_gain
        base["creators"]["scandal_rate"] = scandal_rate
        base["brands"] |= {"data_driven": data_driven, "long_term_weight": long_term_weight}
        others = sum(r["share"] for k, r in base["roles"].items() if k != "KOC")
        for key, role in base["roles"].items():  # KOC share as asked, the rest in proportion
            role["share"] = koc_share if key == "KOC" else role["share"] / others * (1 - koc_share)
        scenario = Scenario.model_validate(base)
        if isinstance(rng, str):  # the seed field is text
            rng = int(rng) if rng.strip().isdigit() else None
        super().__init__(rng=rng, **scenario.model_params())
        self.config = scenario
        self.lesson = str(path)


def controls(values: dict[str, Any], lesson: Path) -> dict[str, Any]:
    """SolaraViz's model_params: sliders for what a lesson needs, starting at its values."""

    def slider(label: str, key: str, lo: float, hi: float, step: float) -> dict[str, Any]:
        kind = "SliderInt" if isinstance(values[key], int) else "SliderFloat"
        return {"type": kind, "label": label, "value": values[key], "min": lo, "max": hi,
                "step": step}  # fmt: skip

    return {
        "lesson": str(lesson),
        "rng": {"type": "InputText", "label": "Seed", "value": "1"},
        "n_fans": slider("Fans", "n_fans", 1000, 20000, 1000),
        "douyin_interest": slider("Douyin: interest matching", "douyin_interest", 0, 1, 0.05),
        "kuaishou_follower": slider("Kuaishou: follower feed", "kuaishou_follower", 0, 1, 0.05),
        "wechat_social": slider("WeChat Channels: social graph", "wechat_social", 0, 1, 0.05),
        "trust_gain": slider("Trust gain per good purchase", "trust_gain", 0, 0.6, 0.02),
        "scandal_rate": slider("Scandals per creator per year", "scandal_rate", 0, 1, 0.02),
        "data_driven": slider("Brands: data-driven", "data_driven", 0, 1, 0.1),
        "long_term_weight": slider("Brands: long-term weight", "long_term_weight", 0, 1, 0.1),
        "koc_share": slider("KOC share of creators", "koc_share", 0, 0.9, 0.05),
    }


# ------------------------------------------------------------------ charts
def _series(model: CreatorEconomy) -> pd.DataFrame:
    ts = model.datacollector.get_model_vars_dataframe()
    return ts.assign(step=np.arange(1, len(ts) + 1))


def _figure() -> tuple[Figure, Any]:
    # A fixed layout at screen resolution: constrained layout and print dpi would make
    # every step's six charts take over a second.
    fig = Figure(figsize=(5.2, 3.3), dpi=DPI)
    fig.subplots_adjust(left=0.14, right=0.97, bottom=0.15, top=0.9)
    return fig, fig.subplots()


def _show(fig: Figure) -> None:
    solara.FigureMatplotlib(fig, format="png", dpi=DPI)


def _over_time(draw: Callable[[pd.DataFrame, Any], Figure]) -> Callable:
    """A live chart of the model's time series, drawn by a figure function of ``plots``."""

    def chart(model: CreatorEconomy):
        update_counter.get()
        fig, ax = _figure()
        ts = _series(model)
        if len(ts):
            draw(ts, ax)
        _show(fig)

    chart.__name__ = chart.__qualname__ = draw.__name__
    chart.__doc__ = draw.__doc__
    return solara.component(chart)


SalesByTier = _over_time(plots.sales_share_by_tier)
BudgetByTier = _over_time(plots.budget_share_by_tier)
Attention = _over_time(plots.platform_shares)


@solara.component
def Followers(model: CreatorEconomy):
    """Follower distribution, log-log, with its Gini."""
    update_counter.get()
    fig, ax = _figure()
    followers = model.creator_total_followers[model.creator_state.view("active")]
    x, share = plots.ccdf(followers[followers > 0])
    # log10 values on linear axes: matplotlib's log axes cost 100 ms a frame in tick labels
    ax.plot(np.log10(x), np.log10(share), ".", ms=3)
    ax.set(xlabel="log10 followers (simulated)", ylabel="log10 share with at least x")
    ax.set_title(f"Follower distribution (Gini {gini(followers):.2f})")
    _show(fig)


@solara.component
def Trust(model: CreatorEconomy):
    """Trust of fans in the creators they follow."""
    update_counter.get()
    fig, ax = _figure()
    ax.hist(model.follows.trust, bins=40, range=(0, 1), color="#6a51a3")
    ax.set(xlabel="trust (0-1)", ylabel="follows", title="Trust in followed creators")
    _show(fig)


@solara.component
def Network(model: CreatorEconomy):
    """Who follows whom: the largest creators and a sample of their fans, coloured by tier."""
    update_counter.get()
    fig, ax = _figure()
    creators, fans, edges = network_sample(model)
    n = creators.size
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.column_stack([np.cos(angle), np.sin(angle)])
    # a fan sits at the mean of the creators it follows, pulled inward, with a little jitter
    slot = np.searchsorted(creators[np.argsort(creators)], edges[:, 1])
    creator_at = ring[np.argsort(creators)][slot]
    row = np.searchsorted(fans, edges[:, 0])
    place = np.zeros((fans.size, 2))
    np.add.at(place, row, creator_at)
    place = 0.6 * place / np.bincount(row, minlength=fans.size)[:, None]
    place += np.random.default_rng(0).normal(0, 0.04, place.shape)
    ax.add_collection(
        LineCollection(np.stack([place[row], creator_at], axis=1), lw=0.3, color="#bbb")
    )
    ax.scatter(place[:, 0], place[:, 1], s=4, color="#555")
    tiers = np.asarray(TIERS)[model.creator_tier[creators]]
    ax.scatter(ring[:, 0], ring[:, 1], s=40, c=[plots.TIER_COLORS[t] for t in tiers], zorder=3)
    ax.set_axis_off()
    ax.set_title(f"Who follows whom: top {n} creators, {fans.size} fans")
    _show(fig)


def network_sample(model: CreatorEconomy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The largest creators, a sample of their fans (sorted) and those follows (fan, creator)."""
    active = model.creator_state.view("active")
    order = np.argsort(-np.where(active, model.creator_total_followers, -1), kind="stable")
    creators = order[: min(NETWORK_CREATORS, int(active.sum()))]
    fo = model.follows
    mine = np.flatnonzero(np.isin(fo.creator, creators))
    their_fans = fo.fan_of(mine)
    fans = np.random.default_rng(model.steps).permutation(np.unique(their_fans))[:NETWORK_FANS]
    keep = np.isin(their_fans, fans)
    return creators, np.sort(fans), np.column_stack([their_fans[keep], fo.creator[mine[keep]]])


CHARTS = [SalesByTier, Followers, BudgetByTier, Attention, Trust, Network]


# ------------------------------------------------------------------ the page
def default_lesson() -> Path:
    """The scenario `creator-sim dashboard SCENARIO` named, else the first lesson."""
    chosen = os.environ.get(SCENARIO_ENV)
    return Path(chosen) if chosen else next(iter(lessons().values()))


@solara.component
def LessonText(path: Path):
    """What to watch and what to ask, from the lesson's file."""
    s = load_scenario(path)
    with solara.Card("Lesson"):  # plain HTML: Markdown would fetch a maths renderer
        solara.HTML(tag="p", unsafe_innerHTML=f"<b>Watch.</b> {html.escape(s.description)}")
        if s.whatif.question:
            question = html.escape(s.whatif.question)
            solara.HTML(tag="p", unsafe_innerHTML=f"<b>Ask the class.</b> {question}")


@solara.component
def Page():
    """One session's dashboard: a lesson picker, its text, and SolaraViz over its model."""
    choices = {**lessons()}
    start = default_lesson()
    if start not in choices.values():
        choices = {start.stem: start, **choices}
    title = solara.use_reactive(next(k for k, v in choices.items() if v == start))
    path = choices[title.value]
    values = lesson_values(load_scenario(path))
    model = solara.use_memo(
        lambda: ClassroomEconomy(lesson=str(path), rng=1, **values), [title.value]
    )
    with solara.Sidebar():
        with solara.Card("Lesson preset"):
            solara.Select(label="Lesson", value=title, values=list(choices))
        LessonText(path)
    SolaraViz(
        model,
        components=CHARTS,
        model_params=controls(values, path),
        name="The creator economy, live",
        play_interval=150,
    ).key(title.value)  # a new preset: a new model and fresh controls
