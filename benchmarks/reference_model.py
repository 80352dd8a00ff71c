"""The fans' day written the usual Mesa way: one agent per fan, one ``step`` each.

A plain-Python statement of the rules of every phase whose cost grows with fans or
follows (distribution, stream attendance, exposure, purchase, sharing, trust decay and
unfollows, wallets, attention), for two uses:

* ``bench_engine.py`` times it against the real, vectorised model on the same market;
* ``tests/test_reference_model.py`` checks that both give the same aggregates on a small
  market (same rules, different random streams).

Creators' content and follower counts come from the real model (they grow with creators,
not fans): :class:`ReferenceEconomy` is built from a ``CreatorEconomy`` and copies its
fans, follows and deals into Python objects. Brands' budget days are not part of it.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import accumulate

import mesa
import numpy as np

from simulation import CreatorEconomy
from simulation.day import Impressions
from simulation.phases import content
from simulation.phases.exposure import record_engagement
from simulation.scenario import FORMATS

LIVE = FORMATS.index("live_stream")
NONE, SENSE, INTEREST, CONNECT, ACTION, SHARE = range(6)


def poisson(rng, lam: float) -> int:
    """Knuth's Poisson draw (small means)."""
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class RefFan(mesa.Agent):
    """One fan: its interests, attention, follows, wallet and SICAS stages as Python values."""

    def __init__(self, model: ReferenceEconomy, index: int) -> None:
        super().__init__(model)
        fs, fo = model.source.fan_state, model.source.follows
        self.index = index
        self.interest = np.diff(fs.interest_cdf[index], prepend=0.0).tolist()
        self.attention = fs.attention[index].tolist()
        self.satisfaction = fs.satisfaction[index].tolist()
        self.budget, self.wallet = float(fs.budget[index]), float(fs.wallet[index])
        self.stage = fs.unpacked_stages(slice(index, index + 1))[0].tolist()
        self.brand_trust = fs.brand_trust[index].tolist()
        self.last_engaged = int(fs.last_engaged[index])
        self.friends = fs.friends.friends_of(index).tolist()
        lo, hi = fo.fan_ptr[index], fo.fan_ptr[index + 1]
        self.follows = {
            (int(c), int(p)): float(t)
            for c, p, t in zip(fo.creator[lo:hi], fo.platform[lo:hi], fo.trust[lo:hi], strict=True)
        }

    # ------------------------------------------------------------ distribution
    def slots(self) -> list[tuple]:
        """Today's impressions: (creator, platform, social) for each filled slot."""
        m, rnd = self.model, self.random
        out = []
        for p, plat in enumerate(m.source.platform_list):
            for _ in range(poisson(rnd, plat.spec.impressions_per_day * self.attention[p])):
                algo = rnd.choices(range(4), weights=plat.algorithm_weights)[0]
                c = -1
                if algo == 0:  # interest: a topic of mine, then a creator of that niche
                    topic = rnd.choices(range(len(self.interest)), weights=self.interest)[0]
                    c = m.draw(m.interest_pool[p][topic], rnd)
                elif algo == 1:  # follower: one of my follows there, if it posted
                    mine = [cr for (cr, pl) in self.follows if pl == p]
                    if mine:
                        pick = rnd.choice(mine)
                        c = pick if m.visible[pick, p] else -1
                elif algo == 2 and self.friends:  # social: what a friend engaged with
                    liked = m.fans[rnd.choice(self.friends)].last_engaged
                    c = liked if liked >= 0 and m.visible[liked, p] else -1
                elif algo == 3:  # popularity
                    c = m.draw(m.popularity_pool[p], rnd)
                if c >= 0:
                    out.append((c, p, algo == 2))
        for c, p in self.follows:  # followers come to their creators' streams
            if m.today.live[c, p] and rnd.random() < m.cfg.fans.stream_attendance:
                out.append((c, p, False))
        return out

    # ------------------------------------------------------------ the fan's day
    def step(self) -> None:
        """Distribution, exposure, purchase, sharing for this fan."""
        m, cfg, rnd, cs = self.model, self.model.cfg, self.random, self.model.source.creator_state
        today, price = m.today, m.source.brand_state.price
        seen = [0] * len(self.attention)
        reward = [0.0] * len(self.attention)
        bought = False
        for c, p, social in self.slots():
            seen[p] += 1
            live = bool(today.live[c, p])
            product = int(today.stream_product[c, p] if live else today.video_product[c, p])
            fmt = LIVE if live else int(today.video_format[c, p])
            t = self.follows.get((c, p))
            trust = 0.0 if t is None else t
            watch = 1.0
            if live:  # a viewer arrives, stays a while, and buys more the longer it stays
                lc = cfg.live
                early = rnd.betavariate(1.0, lc.follower_arrival_skew)
                start = (early if t is not None else rnd.random()) * lc.stream_minutes
                stay = rnd.expovariate(1.0 / (lc.dwell_minutes * (0.5 + trust)))
                watched = min(stay, lc.stream_minutes - start)
                watch = 1.0 - math.exp(-watched / lc.conversion_minutes)
            aware = product >= 0 and self.stage[product] >= SENSE
            rel = self.interest[cs.niche[c]] * len(self.interest)
            # A creator's personal pull is shared among its followers (audience factor).
            real = cs.followers[c, p] * m.source.scale.users_per_fan
            cr = cfg.creators
            audience = max(real / cr.audience_reference_real, 1.0) ** -cr.audience_elasticity
            pe = cfg.fans.engage_base * cs.quality[c] * m.source.format_appeal[fmt] * rel
            pe *= audience
            pe *= (1 + trust) * (cfg.fans.live_engage_factor if live else 1.0)
            pe *= cfg.purchase.aware_engage_factor if aware else 1.0
            pe *= cfg.fans.social_proof if social else 1.0
            if product >= 0:
                self.stage[product] = max(self.stage[product], SENSE)
            engaged = rnd.random() < min(pe, 1.0) * watch
            m.log.append((self.index, c, p, live, product, fmt, engaged))
            if not engaged:
                continue
            reward[p] += 1
            self.last_engaged = c
            if t is not None:
                gain = cfg.trust.trust_engage_gain * audience
                trust = self.follows[(c, p)] = t + gain * (1 - t)
            elif rnd.random() < cfg.fans.follow_prob:
                role = cs.role[c]
                trust = self.follows[(c, p)] = float(m.source.role_initial_trust[role])
                t = trust
            if product < 0:
                continue
            self.stage[product] = max(self.stage[product], INTEREST)
            if t is not None and trust >= cfg.purchase.connect_trust:
                self.stage[product] = max(self.stage[product], CONNECT)
            if bought:
                continue
            tb = cfg.purchase.stranger_trust if t is None else trust
            afford = min(self.wallet / price[product], 1.0)
            pb = cfg.purchase.purchase_base * tb**cfg.purchase.trust_exponent
            pb *= 1.0 if live else cfg.purchase.video_conversion_factor
            pb *= self.brand_trust[product] * afford * watch
            if rnd.random() < pb and self.wallet >= price[product]:
                bought = True
                self.buy(c, p, product, t is not None)
                reward[p] += 1
        self.end_of_day(seen, reward)

    def buy(self, creator: int, platform: int, product: int, following: bool) -> None:
        """Pay, book the sale, and let the experience move trust; a satisfied buyer shares."""
        m, cfg, rnd = self.model, self.model.cfg, self.random
        price = float(m.source.brand_state.price[product])
        self.wallet -= price
        self.stage[product] = max(self.stage[product], ACTION)
        m.sales += 1
        m.gmv += price
        fake = rnd.random() < cfg.brands.fake_rate
        perceived = m.source.brand_state.quality[product] + cfg.trust.experience_noise * rnd.gauss()
        good = perceived >= cfg.trust.expectation and not fake
        tr = cfg.trust

        def after(t: float, collapse: float) -> float:
            if good:
                return t + tr.trust_gain * (1 - t)
            return t * collapse if fake else t * (1 - tr.trust_bad_experience)

        if following:
            key = (creator, platform)
            self.follows[key] = after(self.follows[key], tr.trust_collapse)
        self.brand_trust[product] = after(self.brand_trust[product], cfg.brands.brand_collapse)
        if good and rnd.random() < cfg.purchase.share_prob:
            self.stage[product] = max(self.stage[product], SHARE)
            for friend in self.friends:
                if rnd.random() < cfg.purchase.share_reach:
                    other = m.fans[friend]
                    other.stage[product] = max(other.stage[product], SENSE)

    def end_of_day(self, seen: list[int], reward: list[float]) -> None:
        """Trust fades toward each relationship's baseline, follows end (distrust or the
        yearly unfollow rate), the wallet refills, attention follows satisfaction."""
        m, cfg, rnd = self.model, self.model.cfg, self.random
        tr, role = cfg.trust, m.source.creator_state.role
        follows = {}
        for (c, p), t in self.follows.items():
            baseline = float(m.source.role_initial_trust[role[c]])
            t -= tr.trust_decay * max(t - baseline, 0.0)
            if t >= tr.unfollow_trust and rnd.random() >= tr.unfollow_rate / 365:
                follows[(c, p)] = t
        self.follows = follows
        self.wallet = min(self.wallet + self.budget, self.budget * cfg.fans.wallet_cap_days)
        c, mem = cfg.competition, cfg.competition.satisfaction_memory
        for p, n in enumerate(seen):
            if n:
                s = self.satisfaction[p]
                known = reward[p] / n if math.isnan(s) else s
                self.satisfaction[p] = (1 - mem) * known + mem * reward[p] / n
        known = [s for s in self.satisfaction if not math.isnan(s)]
        fan_mean = sum(known) / max(len(known), 1)
        sat = [fan_mean if math.isnan(s) else s for s in self.satisfaction]
        mean = sum(a * s for a, s in zip(self.attention, sat, strict=True))
        a = [
            x * math.exp(c.attention_mobility * (s - mean))
            for x, s in zip(self.attention, sat, strict=True)
        ]
        a = [max(x / sum(a), c.attention_floor) for x in a]
        self.attention = [x / sum(a) for x in a]


class ReferenceEconomy(mesa.Model):
    """Fans as Python agents over a copy of ``source``'s market (see the module docstring)."""

    def __init__(self, source: CreatorEconomy, seed: int = 0) -> None:
        super().__init__(rng=seed)
        self.source, self.cfg = source, source.config
        RefFan.create_agents(self, source.fan_state.n, list(range(source.fan_state.n)))
        self.fans = self.agents_by_type[RefFan].to_list()
        self.sales, self.gmv = 0, 0.0

    @staticmethod
    def draw(pool: tuple[list[int], list[float]], rnd) -> int:
        """A creator of ``pool`` = (creators, cumulative weights) by weight, -1 if empty."""
        creators, cum = pool
        if not creators:
            return -1
        return creators[min(bisect_right(cum, rnd.random() * cum[-1]), len(creators) - 1)]

    def step(self) -> None:
        """Creators post (the real content phase); then every fan lives its day."""
        src = self.source
        day = src.new_day()
        day.index = src.steps + self.steps - 1
        content.run(src, day)
        self.today = day.content
        cs = src.creator_state
        posts = cs.view("posts_on")
        self.visible = (self.today.posted[:, None] & posts) | self.today.live
        head = src.scale.to_sim(src.scale.tier_thresholds_real[2])
        self.interest_pool, self.popularity_pool = [], []
        followers = self.follower_counts()
        for p, plat in enumerate(src.platform_list):  # the platform's review: real weights
            fol = followers[:, p]
            cap = np.where(fol >= head, plat.spec.head_public_traffic, 1.0) * self.visible[:, p]
            w = cs.view("quality") * cs.view("pool_boost")[:, p] * cap
            pop = (fol + self.cfg.creators.popularity_prior) * cap
            by_topic = []
            for t in range(self.cfg.population.n_topics):
                idx = np.flatnonzero((cs.view("niche") == t) & (w > 0)).tolist()
                by_topic.append((idx, list(accumulate(w[idx].tolist()))))
            self.interest_pool.append(by_topic)
            idx = np.flatnonzero(pop > 0).tolist()
            self.popularity_pool.append((idx, list(accumulate(pop[idx].tolist()))))
        self.log: list[tuple] = []
        self.agents_by_type[RefFan].shuffle_do("step")
        # Creators' engagement statistics (stream products, pool boost): the real code.
        cols = list(zip(*self.log, strict=True)) if self.log else [[]] * 7
        fan, creator, plat, live, product, fmt, engaged = (np.array(c) for c in cols)
        n = fan.size
        day.impressions = Impressions(
            fan=fan.astype(np.int32),
            creator=creator.astype(np.int32),
            platform=plat.astype(np.int8),
            ad=np.zeros(n, bool),
            social=np.zeros(n, bool),
            live=live.astype(bool),
            product=product.astype(np.int32),
            format=fmt.astype(np.int8),
            edge=np.full(n, -1, np.int64),
            sponsored=np.zeros(n, bool),
            engaged=engaged.astype(bool),
        )
        record_engagement(src, day)

    def follower_counts(self) -> np.ndarray:
        """(creators, platforms) followers, counted over every fan's follows."""
        src = self.source
        out = np.zeros((src.creator_state.n, len(src.platform_list)), np.int64)
        for fan in self.fans:
            for c, p in fan.follows:
                out[c, p] += 1
        return out

    def trust_values(self) -> list[float]:
        """Trust on every follow edge."""
        return [t for fan in self.fans for t in fan.follows.values()]
