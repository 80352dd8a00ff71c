"""Phase 1, content: creators post and go live (mechanism 2, seed 000).

Reads: creators' consistency, niche, role, owner, deals and engagement memory; the formats
platforms carry; follower counts (live eligibility); the day's festival platforms.
Writes: ``day.content`` (who posted, each post's format and product, who streams what;
on a festival day everyone who may stream on its platforms goes live); ``ledger.streams``;
on a brand day, the brand's accounts stream and their followers before the day are noted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.day import Content, Day
from simulation.mechanisms import content, formats
from simulation.scenario import DEAL_FORMATS, FORMATS

if TYPE_CHECKING:
    from simulation.model import CreatorEconomy

LIVE = FORMATS.index("live_stream")
VIDEO_DEAL, LIVE_DEAL = (DEAL_FORMATS.index(f) for f in ("short_video", "live_stream"))


def run(model: CreatorEconomy, day: Day) -> None:
    """Who posts, in which format, featuring which product; who streams today."""
    r, cs, cfg = model.streams["content"], model.creator_state, model.config
    n_p = len(model.platform_list)
    posted = content.posting(cs.view("consistency"), cs.view("active"), r)
    post_formats = model.carries.copy()
    post_formats[:, LIVE] = False
    video_format = formats.draw_formats(r, post_formats, cs.n)
    trial = content.video_products(
        cs.view("owner"),
        cs.view("niche"),
        model.role_sales_focus[cs.view("role")],
        model.brand_state.category,
        r,
        n_topics=cfg.population.n_topics,
    )
    eligible = model.live_eligible()
    # A stream's product matters only for creators who may stream (a brand's own account
    # streams on a brand day): the others' rows are not read.
    may_stream = np.flatnonzero(
        cs.view("active") & (eligible.any(axis=1) | (cs.view("owner") >= 0))
    )
    best = np.full(cs.n, -1)
    best[may_stream] = content.stream_products(cs.owner[may_stream], cs.engagement[may_stream])
    video_product = np.repeat(trial[:, None], n_p, axis=1)
    stream_product = np.repeat(best[:, None], n_p, axis=1)
    # A deal puts the sponsor's product into the content it bought.
    for fmt, product in ((VIDEO_DEAL, video_product), (LIVE_DEAL, stream_product)):
        dealt = np.flatnonzero((cs.view("sponsor") >= 0) & (cs.view("deal_format") == fmt))
        product[dealt, cs.deal_platform[dealt]] = cs.sponsor[dealt]
    live = content.streaming(
        cs.view("stream_offset"),
        eligible,
        cs.view("active"),
        day=day.index,
        stream_interval_days=cfg.creators.stream_interval_days,
    )
    # On a festival day every creator who may stream on the festival's platforms goes live.
    live |= eligible & cs.view("active")[:, None] & day.festival
    live &= stream_product >= 0
    if model.is_brand_day(day.index):
        accounts = model.brand_day_accounts()
        live |= accounts
        model.brand_day_followers = int(model.creator_total_followers[accounts.any(1)].sum())
    day.content = Content(posted, video_format, video_product, stream_product, live)
    day.ledger.streams = int(live.sum())
