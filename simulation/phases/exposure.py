"""Phase 3, exposure: fans watch, engage, follow and move along SICAS (mechanisms 2-4).

Reads: ``day.impressions``; fans' interests, SICAS stages and trust in followed creators;
creators' quality and followers (their audience factor); live-stream session parameters.
Writes: the impressions' ``watch``, ``stream`` and ``engaged``; today's streams in the
ledger (viewers, peaks); creators' engagement statistics, reach and traffic-pool boost;
platforms' format statistics; fans' last engagement, trust (interaction), new follows and
SICAS stages (new follows counted in the ledger by the creator's tier); what deals and
bought traffic achieved (``deal_obs``, ``own_obs``); ``day.seen`` and ``day.reward`` (per
fan and platform, for the competition phase).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.day import Day, Impressions
from simulation.mechanisms import (
    blocks,
    content,
    distribution,
    engagement,
    kernels,
    livestream,
    sicas,
    trust,
)
from simulation.state import CONNECTS, ENGAGEMENTS, IMPRESSIONS, Follows

if TYPE_CHECKING:
    from simulation.model import CreatorEconomy


def run(model: CreatorEconomy, day: Day) -> None:
    """Engagement, follows and SICAS progress from today's impressions."""
    r, cs, fs, cfg = model.streams["exposure"], model.creator_state, model.fan_state, model.config
    imp = day.impressions
    fan, creator, product = imp.fan, imp.creator, imp.product
    following = imp.edge >= 0
    audience = engagement.audience_factor(
        model.scale.to_real(cs.view("followers")),
        audience_reference_real=cfg.creators.audience_reference_real,
        audience_elasticity=cfg.creators.audience_elasticity,
    )
    _watch(model, day)  # first: its per-viewer arrays are gone before the chances are made
    chance = np.empty(fan.size, np.float32)
    blocks.rows(
        kernels.engagement_chances,
        fan.size,
        fan,
        creator,
        imp.platform,
        imp.format,
        product,
        imp.edge,
        imp.live,
        imp.social,
        model.follows.trust,
        fs.interest_cdf,
        cs.view("niche"),
        cs.view("quality"),
        model.format_appeal,
        audience,
        fs.stage,
        sicas.SENSE,
        cfg.population.n_topics,
        (
            cfg.fans.engage_base,
            cfg.fans.live_engage_factor,
            cfg.purchase.aware_engage_factor,
            cfg.fans.social_proof,
        ),
        chance,
    )
    chance *= imp.watch  # a live viewer's chance grows with the minutes it stays
    # Drawn block by block (the same draws as one call): no second array of 4 bytes per
    # impression at the phase's peak, 14 MB at 1 M fans.
    for lo, hi in blocks.spans(fan.size):
        imp.engaged[lo:hi] = r.random(hi - lo, dtype=np.float32) < chance[lo:hi]
    del chance
    engaged = imp.engaged
    counts = fs.stage_counts
    hit = np.flatnonzero(engaged & (product >= 0))

    def sense_then_interest() -> None:  # SICAS Sense for every impression, Interest if engaged
        sicas.advance(fs.stage, counts, fan, product, sicas.SENSE)
        sicas.advance(fs.stage, counts, fan[hit], product[hit], sicas.INTEREST)

    # Stages are not read until Connect, below; the statistics do not read them.
    blocks.together(lambda: record_engagement(model, day), sense_then_interest, rows=fan.size)

    fo = model.follows
    rows = np.flatnonzero(engaged & following)
    gain = cfg.trust.trust_engage_gain * audience[creator[rows], imp.platform[rows]]
    e = imp.edge[rows]
    fo.trust[e] = trust.grow(fo.trust[e], gain)
    new = np.flatnonzero(engaged & ~following)
    new = new[r.random(new.size) < cfg.fans.follow_prob]
    added = fo.add(
        fan[new], creator[new], imp.platform[new], model.relationship_trust()[creator[new]]
    )
    day.ledger.new_follows = len(added)
    day.ledger.follows_won += model.tier_counts(added.creator)
    if len(added):  # insertion renumbered the edges
        Follows.shift(imp.edge, fan, added)
        imp.edge[new] = fo.find(fan[new], creator[new], imp.platform[new])
    # A follower won by bought traffic is the brand's own private-domain audience.
    won = new[imp.ad[new]]
    np.add.at(model.brand_state.own_obs[:, CONNECTS], cs.owner[creator[won]], 1.0)

    e = imp.edge[hit]
    connect = e >= 0
    connect[connect] = fo.trust[e[connect]] >= cfg.purchase.connect_trust
    hit = hit[connect]
    hit = hit[sicas.stages_of(fs.stage, fan[hit], product[hit]) < sicas.CONNECT]
    sicas.advance(fs.stage, counts, fan[hit], product[hit], sicas.CONNECT)
    paid = np.flatnonzero(imp.sponsored | imp.ad)  # what deals and bought traffic paid for
    attribute(model, imp, paid, IMPRESSIONS)
    attribute(model, imp, paid[engaged[paid]], ENGAGEMENTS)
    attribute(model, imp, hit, CONNECTS)


def attribute(
    model: CreatorEconomy,
    imp: Impressions,
    rows: np.ndarray | None,
    what: int,
    amount: np.ndarray | None = None,
) -> None:
    """Credit what sponsored content and bought traffic achieved (one of ``OBSERVED``).

    ``rows`` lists the impressions that count (None: all); ``amount`` is what each
    impression adds (None: one each).
    """
    cs, bs = model.creator_state, model.brand_state
    for flags, owner, table in ((imp.sponsored, None, cs.deal_obs), (imp.ad, cs.owner, bs.own_obs)):
        sel = np.flatnonzero(flags) if rows is None else rows[flags[rows]]
        who = imp.creator[sel] if owner is None else owner[imp.creator[sel]]
        weights = None if amount is None else amount[sel]
        table[:, what] += np.bincount(who, weights, minlength=table.shape[0])


def _watch(model: CreatorEconomy, day: Day) -> None:
    """Live viewers' sessions: minutes watched, and each stream's peak audience."""
    imp, lc, n_p = day.impressions, model.config.live, len(model.platform_list)
    rows = np.flatnonzero(imp.live).astype(np.int32)  # half the bytes while the sessions run
    streams, viewers, following, sid, follower, trust_in_host = kernels.stream_viewers(
        rows,
        imp.creator,
        imp.platform,
        imp.edge,
        model.follows.trust,
        n_p,
        model.creator_state.n * n_p,
        imp.stream,
    )
    arrival, watched = livestream.sessions(
        model.streams["exposure"],
        follower,
        trust_in_host,
        stream_minutes=lc.stream_minutes,
        dwell_minutes=lc.dwell_minutes,
        follower_arrival_skew=lc.follower_arrival_skew,
    )
    imp.watch[rows] = livestream.watch_factor(watched, conversion_minutes=lc.conversion_minutes)
    led = day.ledger
    led.stream_creator, led.stream_platform = np.divmod(streams, n_p)
    led.peak_viewers = livestream.peak_concurrent(
        sid,
        arrival,
        watched,
        streams.size,
        stream_minutes=lc.stream_minutes,
        tick_minutes=lc.tick_minutes,
    )
    led.live_viewers = int(rows.size)
    led.stream_viewers, led.stream_following = viewers, following
    led.stream_units = np.zeros(streams.size, np.int64)
    led.stream_gmv = np.zeros(streams.size)


def record_engagement(model: CreatorEconomy, day: Day) -> None:
    """Engagement statistics the platforms' algorithms, fees and product choice use."""
    cs, cfg, n_p = model.creator_state, model.config, len(model.platform_list)
    imp = day.impressions
    n_imp, n_live, n_eng = (np.zeros((cs.n, n_p), np.int64) for _ in range(3))
    # Engagement on videos is the evidence creators pick stream products by (seed 000).
    cs.engagement_weight, unit = content.memory_unit(
        cs.view("engagement"),
        cs.engagement_weight,
        engagement_memory=cfg.creators.engagement_memory,
    )
    fmt_imp, fmt_eng = np.zeros(model.carries.shape), np.zeros(model.carries.shape)
    # What each fan got from each platform today: impressions, and engagements (to which
    # purchases are added) as the reward that drives attention (mechanism 6).
    day.seen = np.zeros((model.fan_state.n, n_p), np.uint16)
    day.reward = np.zeros((model.fan_state.n, n_p), np.uint16)
    kernels.tally(
        imp.fan,
        imp.creator,
        imp.platform,
        imp.format,
        imp.product,
        imp.live,
        imp.engaged,
        n_imp,
        n_live,
        n_eng,
        cs.view("engagement"),
        unit,
        fmt_imp,
        fmt_eng,
        day.seen,
        day.reward,
        model.fan_state.last_engaged,
    )
    day.ledger.impressions = n_imp.sum(axis=0)
    day.ledger.engagements = n_eng.sum(axis=0)
    for pl in model.platform_list:
        cs.pool_boost[: cs.n, pl.index] = distribution.pool_boost(
            n_imp[:, pl.index],
            n_eng[:, pl.index],
            pool_escalation=pl.spec.pool_escalation,
            pool_prior_impressions=cfg.creators.pool_prior_impressions,
        )
    mem = cfg.creators.engagement_memory
    seen = n_imp > 0
    rate = np.where(seen, n_eng / np.where(seen, n_imp, 1), 0.0)
    eng_rate = cs.view("eng_rate")
    eng_rate[:] = np.where(seen, (1 - mem) * eng_rate + mem * rate, eng_rate)
    # What a deal's content is expected to reach (fee_rule "reach"): posts, and streams.
    for name, today in (("post_reach", n_imp - n_live), ("stream_reach", n_live)):
        reach = cs.view(name)
        reach *= 1 - mem
        reach += mem * today
    model.format_impressions += fmt_imp
    model.format_engagements += fmt_eng
