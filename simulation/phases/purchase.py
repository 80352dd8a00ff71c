"""Phase 4, purchase: engaged fans buy what creators they trust recommend (mechanisms 3-4, F8).

Reads: engaged impressions featuring a product; trust in the creator (or, for a brand's
own account, in the brand); wallets, prices, product quality; platform commission; the
day's demand (festival days multiply the chance to buy).
Writes: ``ledger.sales`` and per-stream sales (also kept in ``model.stream_history``);
wallets, purchases, SICAS Action; creators' GMV and income; brands' GMV; what deals and
bought traffic sold; trust in creator and brand after the experience; ``day.reward`` (a
purchase rewards the platform); ``day.satisfied`` (buyers whose purchase met expectations,
for sharing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.day import Day, Sales
from simulation.mechanisms import blocks, kernels, sicas, trust
from simulation.phases.exposure import attribute
from simulation.state import REVENUE, UNITS

if TYPE_CHECKING:
    from simulation.model import CreatorEconomy


def run(model: CreatorEconomy, day: Day) -> None:
    """Decide purchases, book them and let the experience move trust."""
    r, cs, fs, bs, cfg = (
        model.streams["purchase"],
        model.creator_state,
        model.fan_state,
        model.brand_state,
        model.config,
    )
    # Candidates: engaged impressions featuring a product.
    imp = day.impressions
    rows = np.flatnonzero(imp.engaged & (imp.product >= 0))
    chance, affordable = np.empty(rows.size), np.empty(rows.size, bool)
    blocks.rows(  # each candidate's chance depends on its own row only: any block split
        sicas.purchase_chances,
        rows.size,
        rows,
        imp.fan,
        imp.product,
        imp.edge,
        imp.creator,
        imp.live,
        imp.platform,
        imp.watch,
        model.follows.trust,
        fs.brand_trust.view(np.uint16),
        cs.owner,
        fs.wallet,
        bs.price,
        day.demand,
        cfg.purchase.stranger_trust,
        (
            cfg.purchase.purchase_base,
            cfg.purchase.trust_exponent,
            cfg.purchase.video_conversion_factor,
        ),
        chance,
        affordable,
    )
    buy = r.random(rows.size) < chance
    buy[buy] = sicas.first_per_fan(imp.fan[rows[buy]], r)
    buy &= affordable
    imp = imp.take(rows[buy])
    fan, creator, plat, live, b, edge = (
        imp.fan,
        imp.creator,
        imp.platform,
        imp.live,
        imp.product,
        imp.edge,
    )
    price = bs.price[b]
    fs.wallet[fan] -= price
    fs.purchases[fan] += 1
    n_c = cs.gmv.size
    cs.gmv += np.bincount(creator, price, minlength=n_c)
    cs.live_gmv += np.bincount(creator[live], price[live], minlength=n_c)
    # Income is in real yuan like deal fees: a simulated sale stands for users_per_fan
    # real ones. The platform keeps its commission_rate of the price; the creator earns
    # creator_commission of the price and the brand keeps the rest.
    upf = model.scale.users_per_fan
    commission = np.where(cs.owner[creator] >= 0, 0.0, cfg.brands.creator_commission * price)
    cs.income += np.bincount(creator, commission * upf, minlength=n_c)
    bs.gmv += np.bincount(b, price, minlength=bs.gmv.size)
    net = price * (1.0 - model.commission_rate[plat])
    attribute(model, imp, None, UNITS)
    attribute(model, imp, None, REVENUE, net)
    led = day.ledger
    stream = imp.stream[live]
    led.stream_units += np.bincount(stream, minlength=led.stream_units.size)
    led.stream_gmv += np.bincount(stream, price[live], minlength=led.stream_gmv.size)
    model.stream_history.add(day.index, cs.role[led.stream_creator], led.stream_gmv)
    sicas.advance(fs.stage, fs.stage_counts, fan, b, sicas.ACTION)
    kernels.count_pairs(day.reward, fan, plat)

    fake = r.random(fan.size) < cfg.brands.fake_rate
    good = trust.experience(
        bs.quality[b],
        fake,
        r,
        expectation=cfg.trust.expectation,
        experience_noise=cfg.trust.experience_noise,
    )
    following = edge >= 0
    e = edge[following]
    fo = model.follows
    fo.trust[e] = trust.after_purchase(
        fo.trust[e],
        good[following],
        fake[following],
        trust_gain=cfg.trust.trust_gain,
        trust_bad_experience=cfg.trust.trust_bad_experience,
        collapse=cfg.trust.trust_collapse,
    )
    fs.brand_trust[fan, b] = trust.after_purchase(
        fs.brand_trust[fan, b],
        good,
        fake,
        trust_gain=cfg.trust.trust_gain,
        trust_bad_experience=cfg.trust.trust_bad_experience,
        collapse=cfg.brands.brand_collapse,
    )
    led.sales = Sales(
        fan=fan,
        creator=creator,
        brand=b,
        platform=plat,
        live=live,
        price=price,
        tier=model.creator_tier[creator],
        good=good,
    )
