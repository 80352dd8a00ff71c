"""Phase 5, sharing: SICAS Share and word of mouth (mechanism 4; Bass's p and q).

Reads: today's sales (buyers whose purchase met expectations share); the social graph;
who has bought what (talk and discovery, off in the baseline).
Writes: SICAS Share for sharers and Sense for the friends they reach; purchases by word
of mouth or discovery by fans who use the platforms (wallets, brands' GMV, SICAS Action);
``ledger.shares`` and ``ledger.word_of_mouth``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.day import Day
from simulation.mechanisms import sicas, word_of_mouth

if TYPE_CHECKING:
    from simulation.model import CreatorEconomy


def run(model: CreatorEconomy, day: Day) -> None:
    """Satisfied buyers share; buyers talk others into buying; fans discover products."""
    _share(model, day)
    _talk(model, day)


def _share(model: CreatorEconomy, day: Day) -> None:
    r, fs, cfg = model.streams["sharing"], model.fan_state, model.config.purchase
    sales = day.ledger.sales
    shares = sales.good & (r.random(sales.fan.size) < cfg.share_prob)
    fan, brand = sales.fan[shares], sales.brand[shares]
    sicas.advance(fs.stage, fs.stage_counts, fan, brand, sicas.SHARE)
    src, friend = fs.friends.spread(fan, cfg.share_reach, r)
    sicas.advance(fs.stage, fs.stage_counts, friend, brand[src], sicas.SENSE)
    day.ledger.shares = int(fan.size)


def _talk(model: CreatorEconomy, day: Day) -> None:
    """Purchases by word of mouth and unprompted discovery (Bass's q and p)."""
    r, fs, bs = model.streams["sharing"], model.fan_state, model.brand_state
    wom = model.config.word_of_mouth
    if wom.discovery_rate <= 0 and wom.talk_rate <= 0:
        return
    bought = fs.unpacked_stages() >= sicas.ACTION
    talk = word_of_mouth.conversations(
        r, bought, fs.friends, talk_rate=wom.talk_rate, talk_mixing=wom.talk_mixing
    )
    found = word_of_mouth.discoveries(r, bought, discovery_rate=wom.discovery_rate)
    fan, b = (np.concatenate(x) for x in zip(talk, found, strict=True))
    new = ~bought[fan, b] & fs.joined[fan]  # a fan who has not joined cannot buy there
    fan, b = fan[new], b[new]
    keep = sicas.first_per_fan(fan, r)  # at most one purchase a day, as with creators
    fan, b = fan[keep], b[keep]
    afford = fs.wallet[fan] >= bs.price[b]
    fan, b = fan[afford], b[afford]
    fs.wallet[fan] -= bs.price[b]
    fs.purchases[fan] += 1
    bs.gmv += np.bincount(b, bs.price[b], minlength=bs.gmv.size)
    sicas.advance(fs.stage, fs.stage_counts, fan, b, sicas.ACTION)
    day.ledger.word_of_mouth = int(fan.size)
