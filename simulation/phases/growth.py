"""Phase 6, growth: trust decays, scandals strike, follows end, creators leave and enter (F10).

Reads: follow edges and their trust; creators' roles, activity, age, followers, deals, owner.
Writes: trust (decay toward each relationship's baseline, scandal collapse: random ones at
each role's risk and the scenario's named ``[events]`` scandals, logged), brand trust of
a scandal's sponsored fans, deals ended and creators paused after a scandal; follow edges
dropped below ``unfollow_trust`` or by the fans' yearly ``unfollow_rate`` (recorded as
ended relationships); wallets refilled; follower counts and tiers; creators who exit or
enter (with their agents); fans who join the platforms (a growing market) and their first
follows; ``ledger`` counts (among them the follows each tier won and lost); the brand
day's and festivals' results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.build import add_creators, follow_creators
from simulation.day import Day, ScandalRecord
from simulation.mechanisms import events, growth, trust
from simulation.scenario import TIERS

if TYPE_CHECKING:
    from simulation.model import CreatorEconomy


def run(model: CreatorEconomy, day: Day) -> None:
    """Decay, scandals, unfollows, wallets, exits, entries."""
    r, cs, fs, cfg, fo = (
        model.streams["growth"],
        model.creator_state,
        model.fan_state,
        model.config,
        model.follows,
    )
    baseline = model.relationship_trust()
    trust.decay(fo.trust, fo.creator, baseline, trust_decay=cfg.trust.trust_decay)
    risk = model.role_scandal_risk[cs.view("role")]
    hit = growth.scandals(r, cs.view("active"), risk, scandal_rate=cfg.creators.scandal_rate)
    for event in cfg.events.scandal:  # named scandals of the scenario's [events]
        if event.day == model.measured_day(day.index):
            tier_index = TIERS.index(event.tier)
            c = events.ranked_in_tier(
                model.creator_total_followers,
                model.creator_tier,
                cs.view("active"),
                tier_index=tier_index,
                rank=event.rank,
            )
            followers = model.creator_total_followers[c] if c >= 0 else 0
            model.event_log.append(
                ScandalRecord(
                    event.day, event.tier, event.rank, c, float(model.scale.to_real(followers))
                )
            )
            if c >= 0:
                hit[c] = True
    day.ledger.scandals = int(hit.sum())
    if hit.any():
        e = np.flatnonzero(hit[fo.creator])
        fo.trust[e] *= np.float32(cfg.trust.trust_collapse)
        brand = cs.sponsor[fo.creator[e]]
        sponsored = brand >= 0
        f, b = fo.fan_of(e[sponsored]), brand[sponsored]
        fs.brand_trust[f, b] *= fs.brand_trust.dtype.type(cfg.brands.brand_collapse)
        # Brands react: the deal ends and no brand signs the creator for a while.
        cs.view("sponsor")[hit] = -1
        cs.view("paused_until")[hit] = day.index + cfg.brands.scandal_pause_days
    kept = trust.still_following(
        r,
        fo.trust,
        unfollow_trust=cfg.trust.unfollow_trust,
        unfollow_rate=cfg.trust.unfollow_rate,
    )
    day.ledger.follows_lost += model.tier_counts(fo.keep(kept))
    np.minimum(fs.wallet + fs.budget, fs.budget * cfg.fans.wallet_cap_days, out=fs.wallet)
    model.refresh_followers()
    if cfg.population.join_rate > 0 and not fs.joined.all():
        _join(model, day, r)

    leave = growth.exits(
        r,
        cs.view("active") & (cs.view("owner") < 0),
        model.steps - cs.view("born"),
        model.creator_total_followers,
        floor=model.scale.to_sim(cfg.creators.exit_follower_floor_real),
        exit_grace_days=cfg.creators.exit_grace_days,
        exit_prob=cfg.creators.exit_prob,
    )
    if leave.any():
        cs.view("active")[leave] = False
        cs.view("sponsor")[leave] = -1
        for i in np.flatnonzero(leave).tolist():
            model.creator_agents.pop(i).remove()
        day.ledger.follows_lost += model.tier_counts(fo.keep(~leave[fo.creator]))
        cs.view("followers")[leave] = 0  # their follows ended; nobody else's changed

    k = growth.entrants(r, entry_rate=cfg.creators.entry_rate, n_creators=cfg.population.n_creators)
    if k:
        add_creators(model, k, r)  # with no followers yet
    if leave.any() or k:
        model.refresh_tiers()
    day.ledger.exits = int(leave.sum())
    day.ledger.entries = k
    if model.is_brand_day(day.index):
        model.record_brand_day(day)
    if day.festival.any():
        model.record_festival(day)


def _join(model: CreatorEconomy, day: Day, r: np.random.Generator) -> None:
    """Fans who join the platforms today follow a few creators, the popular ones more likely.

    As on day 0, a newcomer starts with Poisson(``initial_follows``) follows within its
    interests and platforms, but drawn in proportion to each active creator's followers
    there plus ``popularity_prior`` (onboarding recommends the accounts others follow: the
    growth + preferential attachment of Price's model), with an empty wallet.
    """
    cs, fs, pop = model.creator_state, model.fan_state, model.config.population
    fans = growth.joiners(r, fs.joined, join_rate=pop.join_rate)
    day.ledger.joins = fans.size
    if not fans.size:
        return
    fs.joined[fans] = True
    fs.wallet[fans] = 0.0
    followable = cs.view("posts_on") & cs.view("active")[:, None]
    weight = (cs.view("followers") + model.config.creators.popularity_prior) * followable
    counts = r.poisson(pop.initial_follows, fans.size)
    added = follow_creators(model, np.repeat(fans, counts), weight, r)
    day.ledger.new_follows += len(added)
    day.ledger.follows_won += model.tier_counts(added.creator)
    model.refresh_followers()
