"""Phase 7, competition: attention moves, platforms converge, creators move (mechanism 6).

Reads: ``day.seen`` and ``day.reward`` (what each fan got from each platform today);
platforms' format statistics; creators' followers and where they post.
Writes: fans' satisfaction and attention; at each format review, the formats platforms
carry (and the statistics are reset) and the platforms creators post on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.day import Day
from simulation.mechanisms import attention, formats, growth

if TYPE_CHECKING:
    from simulation.model import CreatorEconomy


def run(model: CreatorEconomy, day: Day) -> None:
    """Attention follows satisfaction; at reviews, formats and creators move."""
    r, fs, cfg = model.streams["competition"], model.fan_state, model.config.competition
    fs.satisfaction = attention.update_satisfaction(
        fs.satisfaction, day.seen, day.reward, satisfaction_memory=cfg.satisfaction_memory
    )
    fs.attention = attention.shift_attention(
        fs.attention,
        fs.satisfaction,
        attention_mobility=cfg.attention_mobility,
        attention_floor=cfg.attention_floor,
    )
    if day.index == 0 or day.index % cfg.format_review_days:
        return
    with np.errstate(invalid="ignore", divide="ignore"):
        fmt_rate = model.format_engagements.sum(0) / model.format_impressions.sum(0)
        plat_rate = model.format_engagements.sum(1) / model.format_impressions.sum(1)
    model.carries = formats.adopt_formats(
        r,
        model.carries,
        fmt_rate,
        np.nan_to_num(plat_rate, nan=np.inf),
        convergence_rate=cfg.convergence_rate,
    )
    model.format_impressions[:] = 0
    model.format_engagements[:] = 0
    cs = model.creator_state
    cs.view("posts_on")[:] = growth.move_platforms(
        r,
        cs.view("posts_on"),
        cs.view("followers"),
        fs.attention.mean(axis=0, dtype=np.float64),
        cs.view("active") & (cs.view("owner") < 0),
        creator_mobility=cfg.creator_mobility,
    )
