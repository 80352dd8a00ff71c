"""CreatorEconomy: the Mesa model. Builds the market, then runs one day per ``step``."""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from simulation import metrics
from simulation.agents import Brand, Creator, Fan, Platform
from simulation.mechanisms import budgets, content, distribution, engagement, growth, sicas, trust
from simulation.mechanisms.sampling import sample_grouped
from simulation.rngs import Streams
from simulation.scale import ScaleMapping
from simulation.scenario import ROLES, TIERS, Scenario
from simulation.state import BrandState, CreatorState, FanState, Follows, Ledger, SocialGraph

PHASES = (
    "setup",
    "content",
    "distribution",
    "exposure",
    "purchase",
    "sharing",
    "growth",
    "budgets",
)


def _lognormal(rng: np.random.Generator, mean: float, sigma: float, n: int) -> np.ndarray:
    """Log-normal draws with the given arithmetic mean."""
    return rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, n)


class CreatorEconomy(mesa.Model):
    """Creators, fans, brands and platforms of Chinese live-stream commerce; one step = one day.

    Every keyword parameter is a flat scenario parameter (``simulation.scenario``) with the
    scenario defaults, so ``mesa.batch_run`` and dashboards can drive any of them::

        model = CreatorEconomy(n_fans=50_000, trust_gain=0.2, rng=42)
        model.run_for(365)

    Build from a scenario file with ``CreatorEconomy.from_scenario(load_scenario(path))``.
    """

    def __init__(self, *, rng: Any = None, **params: Any) -> None:
        super().__init__(rng=rng)
        self.config = Scenario.from_params(params)
        self.scale = ScaleMapping.from_scenario(self.config)
        self.streams = Streams(self.rng, PHASES)
        self._setup_platforms()
        self._setup_brands()
        self._setup_fans()
        self._setup_creators()
        self.follower_counts()
        self.today = self._new_ledger()
        self.spend_log: list[tuple[int, np.ndarray]] = []  # (day, yuan per brand) per period
        self.datacollector = mesa.DataCollector(model_reporters=metrics.model_reporters(self))

    @classmethod
    def from_scenario(cls, scenario: Scenario, rng: Any = None) -> CreatorEconomy:
        """A model with every parameter of ``scenario``."""
        model = cls(rng=rng, **scenario.model_params())
        model.config = scenario
        return model

    # ---------------------------------------------------------------- setup
    def _setup_platforms(self) -> None:
        enabled = [(k, s) for k, s in self.config.platforms.items() if s.enabled]
        self.platform_list = [Platform(self, i, k, s) for i, (k, s) in enumerate(enabled)]
        shares = np.array([s.user_share for _, s in enabled])
        self.platform_user_share = shares / shares.sum()

    def _setup_brands(self) -> None:
        c, r = self.config.brands, self.streams["setup"]
        n = self.config.population.n_brands
        self.brand_state = BrandState(
            category=r.integers(0, self.config.population.n_topics, n),
            quality=r.beta(c.product_quality_alpha, c.product_quality_beta, n),
            price=_lognormal(r, c.price_mean, c.price_sigma, n),
            budget=_lognormal(r, c.monthly_budget_mean, c.monthly_budget_sigma, n),
            spend=np.zeros((n, len(TIERS))),
            gmv=np.zeros(n),
        )
        self.allocation_policy: budgets.AllocationPolicy = budgets.FixedAllocation(
            np.array([c.allocation.get(t, 0.0) for t in TIERS])
        )
        Brand.create_agents(self, n, list(range(n)))

    def _setup_fans(self) -> None:
        pop, r = self.config.population, self.streams["setup"]
        n = pop.n_fans
        friends = SocialGraph.small_world(n, pop.social_degree, pop.social_rewire, r)
        self.fan_state = FanState.create(
            n,
            pop.n_topics,
            pop.n_brands,
            attention=r.dirichlet(2.0 * self.platform_user_share, n),
            interest=r.dirichlet(np.full(pop.n_topics, pop.interest_concentration), n),
            budget=_lognormal(r, self.config.fans.budget_mean, self.config.fans.budget_sigma, n),
            brand_trust=self.config.trust.brand_trust_initial,
            friends=friends,
        )
        Fan.create_agents(self, n, list(range(n)))
        self.fans = self.agents_by_type[Fan]

    def _setup_creators(self) -> None:
        cfg = self.config
        self.role_names = tuple(r for r in ROLES if r in cfg.roles)
        shares = np.array([cfg.roles[r].share for r in self.role_names])
        self.role_share = shares / shares.sum()
        self.role_initial_trust = np.array([cfg.roles[r].initial_trust for r in self.role_names])
        self.role_sales_focus = np.array([cfg.roles[r].sales_focus for r in self.role_names])
        self.creator_state = CreatorState(len(self.platform_list), cfg.population.n_brands)
        self.follows = Follows()
        self._creator_agents: dict[int, Creator] = {}
        self._add_creators(cfg.population.n_creators, self.streams["setup"])
        self._initial_follows()

    def _add_creators(self, k: int, rng: np.random.Generator) -> None:
        cfg = self.config.creators
        cols = growth.draw_creators(
            rng,
            k,
            self.role_share,
            self.config.population.n_topics,
            (cfg.content_quality_alpha, cfg.content_quality_beta),
            (cfg.consistency_alpha, cfg.consistency_beta),
            len(self.platform_list),
            self.platform_user_share,
            cfg.multi_platform_prob,
            cfg.stream_interval_days,
        )
        idx = self.creator_state.append(born=np.full(k, self.steps), **cols)
        for i in idx:
            self._creator_agents[int(i)] = Creator(self, int(i))

    def _initial_follows(self) -> None:
        """Fans start following a few creators of their interests, big names more likely."""
        pop, r, cs = self.config.population, self.streams["setup"], self.creator_state
        n_p, n_t = len(self.platform_list), pop.n_topics
        fame = r.lognormal(0.0, pop.creator_fame_sigma, cs.n)
        c_idx, p_idx = np.nonzero(cs.view("posts_on"))
        fans = np.repeat(np.arange(pop.n_fans), r.poisson(pop.initial_follows, pop.n_fans))
        topic = distribution.draw_topics(self.fan_state.interest_cdf, fans, r)
        u = r.random(fans.size)[:, None]
        plat = (np.cumsum(self.fan_state.attention[fans], axis=1) < u).sum(axis=1)
        plat = np.minimum(plat, n_p - 1)
        pick = sample_grouped(
            cs.niche[c_idx] * n_p + p_idx, fame[c_idx], topic * n_p + plat, n_t * n_p, r
        )
        ok = pick >= 0
        creators = c_idx[pick[ok]]
        self.follows.add(
            fans[ok], creators, p_idx[pick[ok]], self.role_initial_trust[cs.role[creators]]
        )

    # ---------------------------------------------------------------- helpers
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

    def creator(self, index: int) -> Creator:
        """The Creator agent of a row of ``creator_state``."""
        return self._creator_agents[index]

    def _new_ledger(self) -> Ledger:
        return Ledger(len(self.platform_list), len(TIERS), len(self.role_names))

    def follower_counts(self) -> None:
        """Refresh followers per (creator, platform), total followers and tiers."""
        cs = self.creator_state
        cs.followers[: cs.n] = self.follows.follower_counts(cs.n, len(self.platform_list))
        self.creator_total_followers = cs.view("followers").sum(axis=1)
        self.creator_tier = self.scale.tier_of(self.creator_total_followers)

    # ---------------------------------------------------------------- the day
    def step(self) -> None:
        """One simulated day; its phases run in this fixed order.

        1. content: creators post short videos (by consistency) featuring a product;
           creators past the follower threshold go live on their schedule.
        2. distribution: each platform fills fans' impression slots with its mix of
           interest, follower, social and popularity algorithms; followers of creators
           live today may attend their stream.
        3. exposure: fans engage, follow, and trust followed creators more through
           interaction; SICAS Sense, Interest and Connect.
        4. purchase: engaged fans buy featured products (trust, format, price, wallet);
           the experience moves trust in creator and brand; fakes collapse both.
        5. sharing: satisfied buyers share, putting friends into Sense.
        6. growth: trust decays, scandals strike, low-trust follows end, wallets refill,
           follower counts and tiers update, creators exit and enter.
        7. budgets: at the start of each budget period brands sign sponsorship deals.
        8. data collection.
        """
        self.today = self._new_ledger()
        day = self.steps - 1
        self._content(day)
        imp = self._distribute()
        self._expose(imp)
        buyers = self._purchase(imp)
        self._share(buyers)
        self._grow()
        if day % self.config.brands.budget_period_days == 0:
            self._spend(day)
        self.datacollector.collect(self)

    def _content(self, day: int) -> None:
        r, cs, cfg = self.streams["content"], self.creator_state, self.config
        self.posted = content.posting(cs.view("consistency"), cs.view("active"), r)
        self.video_product = content.video_products(
            cs.view("sponsor"),
            cs.view("niche"),
            self.role_sales_focus[cs.view("role")],
            self.brand_state.category,
            cfg.population.n_topics,
            r,
        )
        self.stream_product = content.stream_products(cs.view("sponsor"), cs.view("engagement"))
        carries = np.array([p.carries_live for p in self.platform_list])
        self.live = content.streaming(
            day,
            cfg.creators.stream_interval_days,
            cs.view("stream_offset"),
            cs.view("followers"),
            self.scale.to_sim(cfg.creators.live_threshold_real),
            cs.view("posts_on"),
            carries,
            cs.view("active"),
        )
        self.live &= (self.stream_product >= 0)[:, None]
        self.today.streams = int(self.live.sum())

    def _distribute(self) -> dict[str, np.ndarray]:
        r, cs, fs = self.streams["distribution"], self.creator_state, self.fan_state
        head = self.scale.to_sim(self.scale.tier_thresholds_real[2])
        fans, creators, plats = [], [], []
        for p in self.platform_list:
            visible = (self.posted & cs.view("posts_on")[:, p.index]) | self.live[:, p.index]
            interest_w, pop_w = distribution.public_weights(
                cs.view("quality"),
                cs.view("pool_boost")[:, p.index],
                cs.view("followers")[:, p.index],
                head,
                p.spec.head_public_traffic,
                visible,
            )
            feed = distribution.Feed(cs.view("niche"), interest_w, pop_w, visible)
            edges, starts, counts = self.follows.feed_index(p.index, fs.budget.size)
            follow_feed = distribution.FollowFeed(edges, starts, counts, self.follows.creator)
            f, c = distribution.distribute(
                r,
                fs.attention[:, p.index],
                p.spec.impressions_per_day,
                p.algorithm_weights,
                fs.interest_cdf,
                feed,
                follow_feed,
                fs.friends,
                fs.last_engaged,
            )
            fans.append(f)
            creators.append(c)
            plats.append(np.full(f.size, p.index))
        # Followers of creators who are live today may come to the stream.
        fo = self.follows
        on_live = self.live[fo.creator, fo.platform]
        attend = on_live & (r.random(fo.fan.size) < self.config.fans.stream_attendance)
        fans.append(fo.fan[attend])
        creators.append(fo.creator[attend])
        plats.append(fo.platform[attend])
        fan, creator, plat = (np.concatenate(x) for x in (fans, creators, plats))
        live = self.live[creator, plat]
        product = np.where(live, self.stream_product[creator], self.video_product[creator])
        return {
            "fan": fan,
            "creator": creator,
            "platform": plat,
            "live": live,
            "product": product,
            "edge": self.follows.find(fan, creator, plat),
        }

    def _expose(self, imp: dict[str, np.ndarray]) -> None:
        r, cs, fs, cfg = self.streams["exposure"], self.creator_state, self.fan_state, self.config
        fan, creator, plat, product, edge = (
            imp[k] for k in ("fan", "creator", "platform", "product", "edge")
        )
        following = edge >= 0
        t = self.follows.trust_of(edge, 0.0)
        rel = engagement.relevance(fs.interest, fan, cs.niche[creator])
        has_product = product >= 0
        aware = has_product & (fs.stage[fan, np.maximum(product, 0)] >= sicas.SENSE)
        p = engagement.engage_probability(
            cfg.fans.engage_base,
            cs.quality[creator],
            rel,
            t,
            imp["live"],
            cfg.fans.live_engage_factor,
            aware,
            cfg.purchase.aware_engage_factor,
        )
        engaged = r.random(fan.size) < p
        imp["engaged"] = engaged

        n_p = len(self.platform_list)
        self.today.impressions = np.bincount(plat, minlength=n_p)
        self.today.engagements = np.bincount(plat[engaged], minlength=n_p)
        pair = creator * n_p + plat
        n_imp = np.bincount(pair, minlength=cs.n * n_p).reshape(cs.n, n_p)
        n_eng = np.bincount(pair[engaged], minlength=cs.n * n_p).reshape(cs.n, n_p)
        for pl in self.platform_list:
            cs.pool_boost[: cs.n, pl.index] = distribution.pool_boost(
                n_imp[:, pl.index],
                n_eng[:, pl.index],
                pl.spec.pool_escalation,
                cfg.creators.pool_prior_impressions,
            )
        # Engagement on videos is the evidence creators pick stream products by (seed 000).
        mem = cfg.creators.engagement_memory
        vid = engaged & ~imp["live"] & has_product
        n_b = cfg.population.n_brands
        counts = np.bincount(creator[vid] * n_b + product[vid], minlength=cs.n * n_b)
        cs.engagement[: cs.n] = (1 - mem) * cs.engagement[: cs.n] + mem * counts.reshape(cs.n, n_b)

        fs.last_engaged[fan[engaged]] = creator[engaged]
        e = edge[engaged & following]
        self.follows.trust[e] = trust.grow(self.follows.trust[e], cfg.trust.trust_engage_gain)
        new = engaged & ~following & (r.random(fan.size) < cfg.fans.follow_prob)
        self.today.new_follows = self.follows.add(
            fan[new], creator[new], plat[new], self.role_initial_trust[cs.role[creator[new]]]
        )
        if self.today.new_follows:  # insertion shifted edge positions
            imp["edge"] = self.follows.find(fan, creator, plat)

        sicas.advance(fs.stage, fan[has_product], product[has_product], sicas.SENSE)
        hit = engaged & has_product
        sicas.advance(fs.stage, fan[hit], product[hit], sicas.INTEREST)
        e = imp["edge"]
        connected = hit & (e >= 0)
        connected[connected] = self.follows.trust[e[connected]] >= cfg.purchase.connect_trust
        sicas.advance(fs.stage, fan[connected], product[connected], sicas.CONNECT)

    def _purchase(self, imp: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        r, cs, fs, bs, cfg = (
            self.streams["purchase"],
            self.creator_state,
            self.fan_state,
            self.brand_state,
            self.config,
        )
        cand = np.flatnonzero(imp["engaged"] & (imp["product"] >= 0))
        fan, creator, plat, live, b, edge = (
            imp[k][cand] for k in ("fan", "creator", "platform", "live", "product", "edge")
        )
        following = edge >= 0
        t = self.follows.trust_of(edge, cfg.purchase.stranger_trust)
        afford = np.clip(fs.wallet[fan] / bs.price[b], 0.0, 1.0)
        p = sicas.purchase_probability(
            cfg.purchase.purchase_base,
            t,
            cfg.purchase.trust_exponent,
            live,
            cfg.purchase.video_conversion_factor,
            fs.brand_trust[fan, b],
            afford,
        )
        buy = r.random(cand.size) < p
        buy[buy] = sicas.first_per_fan(fan[buy], r)
        buy &= fs.wallet[fan] >= bs.price[b]
        fan, creator, plat, live, b, edge, following = (
            x[buy] for x in (fan, creator, plat, live, b, edge, following)
        )
        price = bs.price[b]

        fs.wallet[fan] -= price
        fs.purchases[fan] += 1
        np.add.at(cs.gmv, creator, price)
        np.add.at(cs.live_gmv, creator[live], price[live])
        np.add.at(cs.income, creator, cfg.brands.creator_commission * price)
        np.add.at(bs.gmv, b, price)
        sicas.advance(fs.stage, fan, b, sicas.ACTION)
        t_ = self.today
        t_.sale_creator, t_.sale_brand, t_.sale_platform = creator, b, plat
        t_.sale_live, t_.sale_price, t_.sale_tier = live, price, self.creator_tier[creator]

        fake = r.random(fan.size) < cfg.brands.fake_rate
        good = trust.experience(
            bs.quality[b], fake, cfg.trust.expectation, cfg.trust.experience_noise, r
        )
        e = edge[following]
        self.follows.trust[e] = trust.after_purchase(
            self.follows.trust[e],
            good[following],
            fake[following],
            cfg.trust.trust_gain,
            cfg.trust.trust_bad_experience,
            cfg.trust.trust_collapse,
        )
        fs.brand_trust[fan, b] = trust.after_purchase(
            fs.brand_trust[fan, b],
            good,
            fake,
            cfg.trust.trust_gain,
            cfg.trust.trust_bad_experience,
            cfg.brands.brand_collapse,
        )
        return {"fan": fan[good], "brand": b[good]}

    def _share(self, buyers: dict[str, np.ndarray]) -> None:
        r, fs, cfg = self.streams["sharing"], self.fan_state, self.config.purchase
        shares = r.random(buyers["fan"].size) < cfg.share_prob
        fan, brand = buyers["fan"][shares], buyers["brand"][shares]
        sicas.advance(fs.stage, fan, brand, sicas.SHARE)
        src, friend = fs.friends.spread(fan, cfg.share_reach, r)
        sicas.advance(fs.stage, friend, brand[src], sicas.SENSE)
        self.today.shares = int(fan.size)

    def _grow(self) -> None:
        r, cs, fs, cfg, fo = (
            self.streams["growth"],
            self.creator_state,
            self.fan_state,
            self.config,
            self.follows,
        )
        fo.trust = trust.decay(fo.trust, cfg.trust.trust_decay)

        hit = growth.scandals(r, cs.view("active"), cfg.creators.scandal_rate)
        self.today.scandals = int(hit.sum())
        if hit.any():
            e = np.flatnonzero(hit[fo.creator])
            fo.trust[e] = fo.trust[e] * cfg.trust.trust_collapse
            brand = cs.sponsor[fo.creator[e]]
            sponsored = brand >= 0
            f, b = fo.fan[e][sponsored], brand[sponsored]
            fs.brand_trust[f, b] *= cfg.brands.brand_collapse
        fo.keep(fo.trust >= cfg.trust.unfollow_trust)

        fs.wallet = np.minimum(fs.wallet + fs.budget, fs.budget * cfg.fans.wallet_cap_days)
        self.follower_counts()

        age = self.steps - cs.view("born")
        floor = self.scale.to_sim(cfg.creators.exit_follower_floor_real)
        leave = growth.exits(
            r,
            cs.view("active"),
            age,
            self.creator_total_followers,
            floor,
            cfg.creators.exit_grace_days,
            cfg.creators.exit_prob,
        )
        if leave.any():
            cs.active[: cs.n][leave] = False
            cs.sponsor[: cs.n][leave] = -1
            for i in np.flatnonzero(leave):
                self._creator_agents.pop(int(i)).remove()
            fo.keep(~leave[fo.creator])
            self.follower_counts()
        self.today.exits = int(leave.sum())

        k = growth.entrants(r, cfg.creators.entry_rate, cfg.population.n_creators)
        if k:
            self._add_creators(k, r)
            self.follower_counts()
        self.today.entries = k

    def _spend(self, day: int) -> None:
        cs, bs, cfg = self.creator_state, self.brand_state, self.config.brands
        fees = budgets.creator_fees(
            self.scale.to_real(self.creator_total_followers),
            cfg.fee_per_real_follower,
            cfg.fee_floor,
        )
        shares = np.stack([self.allocation_policy.shares(b) for b in range(bs.budget.size)])
        sponsor, spend, paid = budgets.sign_deals(
            self.streams["budgets"],
            bs.budget,
            shares,
            self.creator_tier,
            cs.view("niche"),
            bs.category,
            fees,
            cs.view("active"),
        )
        cs.sponsor[: cs.n] = sponsor
        cs.income[: cs.n] += paid
        bs.spend += spend
        self.today.spend = spend.sum(axis=0)
        self.today.spend_role = np.bincount(
            cs.view("role"), weights=paid, minlength=len(self.role_names)
        )
        self.spend_log.append((day, spend.sum(axis=1)))
