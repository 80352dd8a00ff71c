"""CreatorEconomy: the Mesa model. Builds the market, then runs one day per ``step``."""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from simulation import metrics
from simulation.agents import Brand, Creator, Fan, Platform
from simulation.mechanisms import (
    attention,
    budgets,
    content,
    distribution,
    engagement,
    formats,
    growth,
    livestream,
    sicas,
    trust,
    word_of_mouth,
)
from simulation.mechanisms.learning import MultiplicativeWeights
from simulation.mechanisms.sampling import sample_accepted, sample_grouped
from simulation.rngs import Streams
from simulation.scale import ScaleMapping
from simulation.scenario import BUDGET_ARMS, DEAL_FORMATS, FORMATS, ROLES, TIERS, Scenario
from simulation.state import (
    CONNECTS,
    ENGAGEMENTS,
    IMPRESSIONS,
    OBSERVED,
    REVENUE,
    UNITS,
    BrandState,
    CreatorState,
    FanState,
    Follows,
    Ledger,
    SocialGraph,
)

PHASES = (
    "setup",
    "content",
    "distribution",
    "exposure",
    "purchase",
    "sharing",
    "growth",
    "competition",
    "budgets",
)
LIVE = FORMATS.index("live_stream")
OWN = BUDGET_ARMS.index("own")
VIDEO_DEAL, LIVE_DEAL = range(len(DEAL_FORMATS))


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
        self._setup_learning()
        self.follower_counts()
        self.today = self._new_ledger()
        self.budget_reviews: list[dict[str, Any]] = []  # one entry per yearly budget review
        self.brand_day_result: dict[str, float] | None = None
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
        # Formats each platform carries; they change as platforms converge (mechanism 6).
        self.carries = np.array([[f in s.formats for f in FORMATS] for _, s in enabled])
        appeal = self.config.competition.format_appeal
        self.format_appeal = np.array([appeal.get(f, 1.0) for f in FORMATS])
        self.format_impressions = np.zeros(self.carries.shape)
        self.format_engagements = np.zeros(self.carries.shape)

    def _setup_brands(self) -> None:
        c, r = self.config.brands, self.streams["setup"]
        n, n_p = self.config.population.n_brands, len(self.platform_list)
        zeros = np.zeros(n)
        self.brand_state = BrandState(
            category=r.integers(0, self.config.population.n_topics, n),
            quality=r.beta(c.product_quality_alpha, c.product_quality_beta, n),
            price=_lognormal(r, c.price_mean, c.price_sigma, n),
            budget=_lognormal(r, c.monthly_budget_mean, c.monthly_budget_sigma, n),
            spend=np.zeros((n, len(BUDGET_ARMS))),
            gmv=zeros.copy(),
            ad_budget=np.zeros((n, n_p)),
            own_spend=zeros.copy(),
            own_obs=np.zeros((n, len(OBSERVED))),
            year_value=zeros.copy(),
            year_spend=zeros.copy(),
        )
        Brand.create_agents(self, n, list(range(n)))

    def _setup_fans(self) -> None:
        pop, r = self.config.population, self.streams["setup"]
        n = pop.n_fans
        interest = r.dirichlet(np.full(pop.n_topics, pop.interest_concentration), n)
        # Friends are alike: a share `social_homophily` of fans sit on the ring by interest.
        alike = r.random(n) < pop.social_homophily
        key = np.where(alike, interest.argmax(axis=1), r.integers(0, pop.n_topics, n))
        order = np.lexsort((r.random(n), key))
        friends = SocialGraph.small_world(n, pop.social_degree, pop.social_rewire, r, order)
        self.fan_state = FanState.create(
            n,
            pop.n_topics,
            pop.n_brands,
            attention=r.dirichlet(2.0 * self.platform_user_share, n),
            interest=interest,
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
        day = cfg.brand_day
        if day.enabled:  # the brand of the brand day gets its own account on that platform
            p = self.platform_index(day.platform)
            posts_on = np.zeros((1, len(self.platform_list)), dtype=bool)
            posts_on[0, p] = True
            self._add_creators(
                1, self.streams["setup"], role="KOB", owner=day.brand, posts_on=posts_on
            )
        self._initial_follows()

    def _add_creators(
        self,
        k: int,
        rng: np.random.Generator,
        role: str | None = None,
        owner: int | None = None,
        posts_on: np.ndarray | None = None,
    ) -> None:
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
        if role is not None:
            cols["role"] = np.full(k, self.role_names.index(role))
        if posts_on is not None:
            cols["posts_on"] = posts_on
        # A KOB account belongs to a brand and sells that brand's product (seed 002).
        kob = cols["role"] == self.role_names.index("KOB") if "KOB" in self.role_names else None
        n_brands = self.config.population.n_brands
        owners = np.full(k, -1) if owner is None else np.full(k, owner)
        if kob is not None and owner is None:
            owners[kob] = rng.integers(0, n_brands, kob.sum())
        cols["owner"] = owners
        cols["niche"] = np.where(owners >= 0, self.brand_state.category[owners], cols["niche"])
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

    def _setup_learning(self) -> None:
        """Brands' budget splits: over tiers + own account, platforms and deal formats."""
        c, n_b, n_p = self.config.brands, self.config.population.n_brands, len(self.platform_list)
        arms = np.array([c.allocation.get(a, 0.0) for a in BUDGET_ARMS])
        available = np.ones((n_b, len(BUDGET_ARMS)), dtype=bool)
        available[:, OWN] = self._has_account_on().any(axis=1)
        explore = c.exploration if c.data_driven > 0 else 0.0

        def learner(initial: np.ndarray, avail: np.ndarray) -> MultiplicativeWeights:
            return MultiplicativeWeights(
                np.broadcast_to(initial, avail.shape), avail, c.data_driven, explore
            )

        self.tier_policy = learner(arms, available)
        self.platform_policy = learner(self.platform_user_share, np.ones((n_b, n_p), bool))
        fmt = np.array([c.format_allocation.get(f, 0.0) for f in DEAL_FORMATS])
        self.format_policy = learner(fmt, np.ones((n_b, len(DEAL_FORMATS)), bool))
        self.arm_return = np.full(len(BUDGET_ARMS), np.nan)  # last period, yuan of value per yuan
        self.arm_value_total = np.zeros(len(BUDGET_ARMS))  # whole run: value returned per arm
        self.arm_spend_total = np.zeros(len(BUDGET_ARMS))  # whole run: yuan spent per arm

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

    def platform_index(self, key: str) -> int:
        """Column of a platform (by scenario key) in the per-platform arrays."""
        return next(p.index for p in self.platform_list if p.key == key)

    def creator(self, index: int) -> Creator:
        """The Creator agent of a row of ``creator_state``."""
        return self._creator_agents[index]

    def _new_ledger(self) -> Ledger:
        return Ledger(len(self.platform_list), len(BUDGET_ARMS))

    def follower_counts(self) -> None:
        """Refresh followers per (creator, platform), total followers and tiers."""
        cs = self.creator_state
        cs.followers[: cs.n] = self.follows.follower_counts(cs.n, len(self.platform_list))
        self.creator_total_followers = cs.view("followers").sum(axis=1)
        self.creator_tier = self.scale.tier_of(self.creator_total_followers)

    def live_eligible(self) -> np.ndarray:
        """(creators, platforms): may stream there (enough followers, platform carries live)."""
        cs = self.creator_state
        return content.live_eligible(
            cs.view("followers"),
            self.scale.to_sim(self.config.creators.live_threshold_real),
            cs.view("posts_on"),
            self.carries[:, LIVE],
        )

    def budget_shares(self) -> np.ndarray:
        """(brands, arms) this period's budget split over creator tiers and the own account."""
        return np.stack([self.tier_policy.shares(b) for b in range(self.brand_state.budget.size)])

    # ---------------------------------------------------------------- the day
    def step(self) -> None:
        """One simulated day; its phases run in this fixed order.

        1. content: creators post (by consistency) in one of the platform's formats,
           featuring a sponsor's, their own brand's or a trial product; creators past the
           follower threshold go live on their schedule.
        2. distribution: each platform fills fans' impression slots with its mix of
           interest, follower, social and popularity algorithms; followers attend streams;
           brands' bought traffic reaches targeted fans.
        3. exposure: fans engage (a live viewer for the minutes it stays), follow, and
           trust followed creators more through interaction; SICAS Sense, Interest,
           Connect; deals and bought traffic record what they achieved.
        4. purchase: engaged fans buy featured products (trust, format, minutes watched,
           price, wallet); the experience moves trust in creator and brand.
        5. sharing: satisfied buyers share, putting friends into Sense; buyers talk others
           into buying and some fans find products unprompted (off in the baseline).
        6. growth: trust decays, scandals strike (brands pause those creators), low-trust
           follows end, wallets refill, follower counts and tiers update, creators exit
           and enter.
        7. competition: fans shift attention toward satisfying platforms; at reviews
           platforms adopt formats that draw attention and creators move platforms.
        8. budgets: at each budget period brands learn from what their spend returned and
           sign new deals; once a year they revise their total budget.
        9. data collection.
        """
        self.today = self._new_ledger()
        day = self.steps - 1
        self._content(day)
        imp = self._distribute(day)
        self._expose(imp)
        buyers = self._purchase(imp)
        self._share(buyers)
        self._talk()
        self._grow(day)
        self._compete(day)
        self._spend(day)
        self.datacollector.collect(self)

    def _content(self, day: int) -> None:
        r, cs, cfg = self.streams["content"], self.creator_state, self.config
        n, n_p = cs.n, len(self.platform_list)
        self.posted = content.posting(cs.view("consistency"), cs.view("active"), r)
        post_formats = self.carries.copy()
        post_formats[:, LIVE] = False
        self.video_format = formats.draw_formats(r, post_formats, n)
        trial = content.video_products(
            cs.view("owner"),
            cs.view("niche"),
            self.role_sales_focus[cs.view("role")],
            self.brand_state.category,
            cfg.population.n_topics,
            r,
        )
        best = content.stream_products(cs.view("owner"), cs.view("engagement"))
        self.video_product = np.repeat(trial[:, None], n_p, axis=1)
        self.stream_product = np.repeat(best[:, None], n_p, axis=1)
        # A deal puts the sponsor's product into the content it bought.
        for fmt, product in ((VIDEO_DEAL, self.video_product), (LIVE_DEAL, self.stream_product)):
            dealt = np.flatnonzero((cs.view("sponsor") >= 0) & (cs.view("deal_format") == fmt))
            product[dealt, cs.deal_platform[dealt]] = cs.sponsor[dealt]
        self.live = content.streaming(
            day,
            cfg.creators.stream_interval_days,
            cs.view("stream_offset"),
            self.live_eligible(),
            cs.view("active"),
        )
        self.live &= self.stream_product >= 0
        if cfg.brand_day.enabled and day == cfg.brand_day.day:
            accounts = self._brand_day_accounts()
            self.live |= accounts
            self._brand_day_followers = int(self.creator_total_followers[accounts.any(1)].sum())
        self.today.streams = int(self.live.sum())

    def _brand_day_accounts(self) -> np.ndarray:
        """(creators, platforms) the brand day's own accounts, which stream that day."""
        cs, bd = self.creator_state, self.config.brand_day
        p = self.platform_index(bd.platform)
        mask = np.zeros((cs.n, len(self.platform_list)), dtype=bool)
        mask[:, p] = (cs.view("owner") == bd.brand) & cs.view("posts_on")[:, p] & cs.view("active")
        return mask

    def _distribute(self, day: int) -> dict[str, np.ndarray]:
        r, cs, fs = self.streams["distribution"], self.creator_state, self.fan_state
        head = self.scale.to_sim(self.scale.tier_thresholds_real[2])
        parts = []
        for p in self.platform_list:
            if p.spec.impressions_per_day == 0:  # recommendation switched off (Bass limit)
                continue
            visible = (self.posted & cs.view("posts_on")[:, p.index]) | self.live[:, p.index]
            interest_w, pop_w = distribution.public_weights(
                cs.view("quality"),
                cs.view("pool_boost")[:, p.index],
                cs.view("followers")[:, p.index],
                head,
                p.spec.head_public_traffic,
                visible,
                self.config.creators.popularity_prior,
            )
            feed = distribution.Feed(cs.view("niche"), interest_w, pop_w, visible)
            edges, starts, counts = self.follows.feed_index(p.index, fs.budget.size)
            follow_feed = distribution.FollowFeed(edges, starts, counts, self.follows.creator)
            f, c, algo = distribution.distribute(
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
            parts.append(
                (
                    f,
                    c,
                    np.full(f.size, p.index),
                    np.zeros(f.size, bool),
                    algo == distribution.SOCIAL,
                )
            )
        # Followers of creators who are live today may come to the stream.
        fo = self.follows
        attend = self.live[fo.creator, fo.platform] & (
            r.random(fo.fan.size) < self.config.fans.stream_attendance
        )
        none = np.zeros(attend.sum(), bool)
        parts.append((fo.fan[attend], fo.creator[attend], fo.platform[attend], none, none))
        parts.append(self._bought_traffic(day, r))
        fan, creator, plat, ad, social = (np.concatenate(x) for x in zip(*parts, strict=True))
        live = self.live[creator, plat]
        product = np.where(
            live, self.stream_product[creator, plat], self.video_product[creator, plat]
        )
        fmt = np.where(live, LIVE, self.video_format[creator, plat])
        return {
            "fan": fan,
            "creator": creator,
            "platform": plat,
            "live": live,
            "ad": ad,
            "social": social,
            "product": product,
            "format": fmt,
            "edge": self.follows.find(fan, creator, plat),
        }

    def _bought_traffic(self, day: int, r: np.random.Generator) -> tuple[np.ndarray, ...]:
        """Impressions brands buy for their own accounts, targeted by interest (seed 002)."""
        cs, fs, bs, bd = self.creator_state, self.fan_state, self.brand_state, self.config.brand_day
        cost = self.config.brands.ad_cost_per_thousand / 1000 * self.scale.users_per_fan
        budget = bs.ad_budget.copy()
        if bd.enabled and day == bd.day:
            p = self.platform_index(bd.platform)
            budget[bd.brand, p] += bd.ad_budget
        fans, creators, plats = [], [], []
        cdf: dict[int, np.ndarray] = {}
        owner, active = cs.view("owner"), cs.view("active")
        for b, p in zip(*np.nonzero(budget > 0), strict=True):
            accounts = np.flatnonzero((owner == b) & active & cs.view("posts_on")[:, p])
            n = r.poisson(budget[b, p] / cost) if accounts.size else 0
            if n == 0:  # most days a small brand's budget buys under one simulated impression
                continue
            if p not in cdf:
                cdf[p] = np.cumsum(fs.attention[:, p])
            # Targeted: fans drawn by attention on the platform times interest in the category.
            fans.append(sample_accepted(r, cdf[p], fs.interest[:, bs.category[b]], n))
            creators.append(r.choice(accounts, size=n))
            plats.append(np.full(n, p))
            bs.own_spend[b] += n * cost
            self.today.spend[OWN] += n * cost
        if not fans:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, np.zeros(0, bool), np.zeros(0, bool)
        fan = np.concatenate(fans)
        bought = np.ones(fan.size, bool)
        return fan, np.concatenate(creators), np.concatenate(plats), bought, ~bought

    def _expose(self, imp: dict[str, np.ndarray]) -> None:
        r, cs, fs, cfg = self.streams["exposure"], self.creator_state, self.fan_state, self.config
        fan, creator, plat, product, edge, live = (
            imp[k] for k in ("fan", "creator", "platform", "product", "edge", "live")
        )
        following = edge >= 0
        t = self.follows.trust_of(edge, 0.0)
        self._watch(imp, t)
        trusted = live & (product >= 0) & (t >= cfg.trust.trusted_threshold)
        fs.trusted_viewer[fan[trusted]] = True
        rel = engagement.relevance(fs.interest, fan, cs.niche[creator])
        has_product = product >= 0
        aware = has_product & (fs.stage[fan, np.maximum(product, 0)] >= sicas.SENSE)
        p = engagement.engage_probability(
            cfg.fans.engage_base,
            cs.quality[creator] * self.format_appeal[imp["format"]],
            rel,
            t,
            live,
            cfg.fans.live_engage_factor,
            aware,
            cfg.purchase.aware_engage_factor,
            imp["social"],
            cfg.fans.social_proof,
        )
        engaged = r.random(fan.size) < p * np.where(live, imp["watch"], 1.0)
        imp["engaged"] = engaged
        self._record_engagement(imp)

        fs.last_engaged[fan[engaged]] = creator[engaged]
        e = edge[engaged & following]
        self.follows.trust[e] = trust.grow(self.follows.trust[e], cfg.trust.trust_engage_gain)
        new = engaged & ~following & (r.random(fan.size) < cfg.fans.follow_prob)
        added = self.follows.add(
            fan[new], creator[new], plat[new], self.role_initial_trust[cs.role[creator[new]]]
        )
        self.today.new_follows = added.size
        if added.size:  # insertion renumbered the edges
            imp["edge"] = Follows.shifted(imp["edge"], added)
            imp["edge"][new] = self.follows.find(fan[new], creator[new], plat[new])
        # A follower won by bought traffic is the brand's own private-domain audience.
        np.add.at(self.brand_state.own_obs[:, CONNECTS], cs.owner[creator[new & imp["ad"]]], 1.0)

        sicas.advance(fs.stage, fan[has_product], product[has_product], sicas.SENSE)
        hit = engaged & has_product
        sicas.advance(fs.stage, fan[hit], product[hit], sicas.INTEREST)
        e = imp["edge"]
        connected = hit & (e >= 0)
        connected[connected] = self.follows.trust[e[connected]] >= cfg.purchase.connect_trust
        connected &= fs.stage[fan, np.maximum(product, 0)] < sicas.CONNECT
        sicas.advance(fs.stage, fan[connected], product[connected], sicas.CONNECT)
        ones = np.ones(fan.size)
        self._attribute(imp, np.ones(fan.size, bool), IMPRESSIONS, ones)
        self._attribute(imp, engaged, ENGAGEMENTS, ones)
        self._attribute(imp, connected, CONNECTS, ones)

    def _watch(self, imp: dict[str, np.ndarray], t: np.ndarray) -> None:
        """Live viewers' sessions: minutes watched, and each stream's peak audience."""
        live, lc = imp["live"], self.config.live
        rows = np.flatnonzero(live)
        streams, sid = np.unique(
            imp["creator"][rows] * len(self.platform_list) + imp["platform"][rows],
            return_inverse=True,
        )
        arrival, watched = livestream.sessions(
            self.streams["exposure"],
            imp["edge"][rows] >= 0,
            t[rows],
            lc.stream_minutes,
            lc.dwell_minutes,
            lc.follower_arrival_skew,
        )
        imp["watch"] = np.ones(live.size)
        imp["watch"][rows] = livestream.watch_factor(watched, lc.conversion_minutes)
        imp["stream"] = np.full(live.size, -1)
        imp["stream"][rows] = sid
        t_ = self.today
        t_.stream_creator, t_.stream_platform = np.divmod(streams, len(self.platform_list))
        t_.peak_viewers = livestream.peak_concurrent(
            sid, arrival, watched, streams.size, lc.stream_minutes, lc.tick_minutes
        )
        t_.live_viewers = int(rows.size)
        t_.stream_units = np.zeros(streams.size, np.int64)
        t_.stream_gmv = np.zeros(streams.size)

    def _record_engagement(self, imp: dict[str, np.ndarray]) -> None:
        """Engagement statistics the platforms' algorithms, fees and product choice use."""
        cs, cfg, n_p = self.creator_state, self.config, len(self.platform_list)
        creator, plat, engaged, product = (
            imp[k] for k in ("creator", "platform", "engaged", "product")
        )
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
        mem = cfg.creators.engagement_memory
        seen = n_imp > 0
        rate = np.where(seen, n_eng / np.where(seen, n_imp, 1), 0.0)
        cs.eng_rate[: cs.n] = np.where(
            seen, (1 - mem) * cs.eng_rate[: cs.n] + mem * rate, cs.eng_rate[: cs.n]
        )
        # Engagement on videos is the evidence creators pick stream products by (seed 000).
        vid = engaged & ~imp["live"] & (product >= 0)
        n_b = cfg.population.n_brands
        counts = np.bincount(creator[vid] * n_b + product[vid], minlength=cs.n * n_b)
        cs.engagement[: cs.n] = (1 - mem) * cs.engagement[: cs.n] + mem * counts.reshape(cs.n, n_b)
        cell = plat * len(FORMATS) + imp["format"]
        size = self.carries.size
        self.format_impressions += np.bincount(cell, minlength=size).reshape(self.carries.shape)
        self.format_engagements += np.bincount(cell[engaged], minlength=size).reshape(
            self.carries.shape
        )
        # What each fan got from each platform today: impressions, and engagements (to which
        # purchases are added) as the reward that drives attention (mechanism 6).
        n_f = self.fan_state.budget.size
        self.seen_today = np.bincount(imp["fan"] * n_p + plat, minlength=n_f * n_p).reshape(
            n_f, n_p
        )
        self.reward_today = (
            np.bincount(imp["fan"][engaged] * n_p + plat[engaged], minlength=n_f * n_p)
            .reshape(n_f, n_p)
            .astype(float)
        )

    def _attribute(
        self, imp: dict[str, np.ndarray], mask: np.ndarray, what: int, amount: np.ndarray
    ) -> None:
        """Credit what sponsored content and bought traffic achieved (one of OBSERVED)."""
        cs = self.creator_state
        creator, product = imp["creator"], imp["product"]
        sponsored = (cs.sponsor[creator] >= 0) & (product == cs.sponsor[creator])
        sponsored &= imp["platform"] == cs.deal_platform[creator]
        sponsored &= imp["live"] == (cs.deal_format[creator] == LIVE_DEAL)
        deal = mask & sponsored & ~imp["ad"]
        np.add.at(cs.deal_obs[:, what], creator[deal], amount[deal])
        own = mask & imp["ad"]
        np.add.at(self.brand_state.own_obs[:, what], cs.owner[creator[own]], amount[own])

    def _purchase(self, imp: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        r, cs, fs, bs, cfg = (
            self.streams["purchase"],
            self.creator_state,
            self.fan_state,
            self.brand_state,
            self.config,
        )
        cand = np.flatnonzero(imp["engaged"] & (imp["product"] >= 0))
        sel = {k: v[cand] for k, v in imp.items()}
        fan, b, edge, live = sel["fan"], sel["product"], sel["edge"], sel["live"]
        t = self.follows.trust_of(edge, cfg.purchase.stranger_trust)
        # A brand's own account speaks for the brand: a viewer who does not follow it
        # trusts it as much as the brand.
        own = (edge < 0) & (cs.owner[sel["creator"]] >= 0)
        t[own] = fs.brand_trust[fan[own], b[own]]
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
        buy = r.random(cand.size) < p * sel["watch"]
        buy[buy] = sicas.first_per_fan(fan[buy], r)
        buy &= fs.wallet[fan] >= bs.price[b]
        trusted = buy & live & (edge >= 0) & (t >= cfg.trust.trusted_threshold)
        fs.trusted_buyer[fan[trusted]] = True
        sel = {k: v[buy] for k, v in sel.items()}
        fan, creator, plat, live, b, edge = (
            sel[k] for k in ("fan", "creator", "platform", "live", "product", "edge")
        )
        following = edge >= 0
        price = bs.price[b]

        fs.wallet[fan] -= price
        fs.purchases[fan] += 1
        np.add.at(cs.gmv, creator, price)
        np.add.at(cs.live_gmv, creator[live], price[live])
        # Income is in real yuan like deal fees: a simulated sale stands for
        # users_per_fan real ones (F6 compares incomes that mix both).
        commission = cfg.brands.creator_commission * price * self.scale.users_per_fan
        np.add.at(cs.income, creator, np.where(cs.owner[creator] >= 0, 0.0, commission))
        np.add.at(bs.gmv, b, price)
        everything = np.ones(fan.size, bool)
        self._attribute(sel, everything, UNITS, np.ones(fan.size))
        self._attribute(sel, everything, REVENUE, price)
        stream = sel["stream"][live]
        np.add.at(self.today.stream_units, stream, 1)
        np.add.at(self.today.stream_gmv, stream, price[live])
        sicas.advance(fs.stage, fan, b, sicas.ACTION)
        np.add.at(self.reward_today, (fan, plat), 1.0)
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

    def _talk(self) -> None:
        """Purchases by word of mouth and unprompted discovery (Bass's q and p)."""
        r, fs, bs, cfg = self.streams["sharing"], self.fan_state, self.brand_state, self.config
        wom = cfg.word_of_mouth
        if wom.discovery_rate <= 0 and wom.talk_rate <= 0:
            return
        bought = fs.stage >= sicas.ACTION
        talk = word_of_mouth.conversations(r, bought, wom.talk_rate, wom.talk_mixing, fs.friends)
        found = word_of_mouth.discoveries(r, bought, wom.discovery_rate)
        fan, b = (np.concatenate(x) for x in zip(talk, found, strict=True))
        new = ~bought[fan, b]
        fan, b = fan[new], b[new]
        keep = sicas.first_per_fan(fan, r)  # at most one purchase a day, as with creators
        fan, b = fan[keep], b[keep]
        afford = fs.wallet[fan] >= bs.price[b]
        fan, b = fan[afford], b[afford]
        fs.wallet[fan] -= bs.price[b]
        fs.purchases[fan] += 1
        np.add.at(bs.gmv, b, bs.price[b])
        sicas.advance(fs.stage, fan, b, sicas.ACTION)
        self.today.word_of_mouth = int(fan.size)

    def _grow(self, day: int) -> None:
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
            # Brands react: the deal ends and no brand signs the creator for a while.
            cs.sponsor[: cs.n][hit] = -1
            cs.paused_until[: cs.n][hit] = day + cfg.brands.scandal_pause_days
        fo.keep(fo.trust >= cfg.trust.unfollow_trust)

        fs.wallet = np.minimum(fs.wallet + fs.budget, fs.budget * cfg.fans.wallet_cap_days)
        self.follower_counts()

        age = self.steps - cs.view("born")
        floor = self.scale.to_sim(cfg.creators.exit_follower_floor_real)
        leave = growth.exits(
            r,
            cs.view("active") & (cs.view("owner") < 0),
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
        if cfg.brand_day.enabled and day == cfg.brand_day.day:
            self._record_brand_day()

    def _record_brand_day(self) -> None:
        """The brand day's units sold and followers gained, in simulated and real units."""
        accounts = self._brand_day_accounts().any(axis=1)
        t = self.today
        units = int(np.isin(t.sale_creator, np.flatnonzero(accounts)).sum())
        gained = int(self.creator_total_followers[accounts].sum()) - self._brand_day_followers
        upf = self.scale.users_per_fan
        self.brand_day_result = {
            "units": units,
            "real_units": units * upf,
            "followers_gained": gained,
            "real_followers_gained": gained * upf,
        }

    def _compete(self, day: int) -> None:
        r, fs, cfg = self.streams["competition"], self.fan_state, self.config.competition
        fs.satisfaction = attention.update_satisfaction(
            fs.satisfaction, self.seen_today, self.reward_today, cfg.satisfaction_memory
        )
        fs.attention = attention.shift_attention(
            fs.attention, fs.satisfaction, cfg.attention_mobility, cfg.attention_floor
        )
        if day == 0 or day % cfg.format_review_days:
            return
        with np.errstate(invalid="ignore", divide="ignore"):
            fmt_rate = self.format_engagements.sum(0) / self.format_impressions.sum(0)
            plat_rate = self.format_engagements.sum(1) / self.format_impressions.sum(1)
        self.carries = formats.adopt_formats(
            r, self.carries, fmt_rate, np.nan_to_num(plat_rate, nan=np.inf), cfg.convergence_rate
        )
        self.format_impressions[:] = 0
        self.format_engagements[:] = 0
        cs = self.creator_state
        cs.posts_on[: cs.n] = growth.move_platforms(
            r,
            cs.view("posts_on"),
            cs.view("followers"),
            fs.attention.mean(axis=0),
            cfg.creator_mobility,
            cs.view("active") & (cs.view("owner") < 0),
        )

    def _spend(self, day: int) -> None:
        cfg = self.config.brands
        if day > 0 and day % cfg.budget_review_days == 0:
            self._review_budgets(day)
        if day % cfg.budget_period_days:
            return
        if day > 0:
            self._learn()
        self._sign_deals(day)

    def _learn(self) -> None:
        """Each brand observes what every arm returned this period and updates its split."""
        cs, bs = self.creator_state, self.brand_state
        n_b, n_p = bs.budget.size, len(self.platform_list)
        # Value in real yuan, like fees: each simulated sale or connected fan stands for
        # users_per_fan real ones.
        upf = self.scale.users_per_fan
        dealt = np.flatnonzero(cs.view("sponsor") >= 0)
        b = cs.sponsor[dealt]
        value = upf * self._value(cs.deal_obs[dealt])
        fee = cs.deal_fee[dealt]

        def per(arm: np.ndarray, n_arms: int, x: np.ndarray) -> np.ndarray:
            return np.bincount(b * n_arms + arm, weights=x, minlength=n_b * n_arms).reshape(
                n_b, n_arms
            )

        n_arms = len(BUDGET_ARMS)
        tier_value, tier_spend = (
            per(cs.deal_tier[dealt], n_arms, value),
            per(cs.deal_tier[dealt], n_arms, fee),
        )
        tier_value[:, OWN] = upf * self._value(bs.own_obs)
        tier_spend[:, OWN] = bs.own_spend
        self.tier_policy.update(tier_value, tier_spend)
        self.platform_policy.update(
            per(cs.deal_platform[dealt], n_p, value), per(cs.deal_platform[dealt], n_p, fee)
        )
        self.format_policy.update(
            per(cs.deal_format[dealt], 2, value), per(cs.deal_format[dealt], 2, fee)
        )
        spent = tier_spend.sum(axis=0)
        self.arm_value_total += tier_value.sum(axis=0)
        self.arm_spend_total += spent
        with np.errstate(invalid="ignore", divide="ignore"):
            self.arm_return = np.where(spent > 0, tier_value.sum(axis=0) / spent, np.nan)
        bs.year_value += tier_value.sum(axis=1)
        bs.year_spend += tier_spend.sum(axis=1)
        bs.own_spend[:] = 0
        bs.own_obs[:] = 0

    def _value(self, observed: np.ndarray) -> np.ndarray:
        """What a brand counts as return: sales now and mind-share for later, weighted."""
        c = self.config.brands
        sales, later = observed[:, REVENUE], observed[:, CONNECTS]
        return (1 - c.long_term_weight) * sales + c.long_term_weight * c.mind_share_value * later

    def _review_budgets(self, day: int) -> None:
        """Yearly: brands raise or cut their total social budget by its return (F7)."""
        bs, c = self.brand_state, self.config.brands
        old = bs.budget.copy()
        bs.budget = budgets.review_budget(
            old,
            bs.year_value,
            bs.year_spend,
            c.return_reference,
            c.budget_elasticity,
            c.budget_max_raise,
            c.budget_max_cut,
        )
        self.budget_reviews.append(
            {
                "day": day,
                "old": old.tolist(),
                "new": bs.budget.tolist(),
                "value": bs.year_value.tolist(),
                "spend": bs.year_spend.tolist(),
            }
        )
        bs.year_value[:] = 0
        bs.year_spend[:] = 0

    def _sign_deals(self, day: int) -> None:
        cs, bs, c = self.creator_state, self.brand_state, self.config.brands
        n_p, n_t = len(self.platform_list), len(TIERS)
        eligible = np.zeros((cs.n, n_p, 2), dtype=bool)
        free = cs.view("active") & (cs.view("owner") < 0) & (cs.view("paused_until") <= day)
        eligible[:, :, VIDEO_DEAL] = cs.view("posts_on") & free[:, None]
        eligible[:, :, LIVE_DEAL] = self.live_eligible() & free[:, None]
        # Brands plan only on tiers that have creators to hire; the rule treats every
        # tier alike, so it prefers none.
        supply = np.append(
            np.bincount(self.creator_tier[eligible.any(axis=(1, 2))], minlength=n_t) > 0, True
        )
        shares = self.budget_shares() * supply
        shares /= np.maximum(shares.sum(axis=1, keepdims=True), 1e-12)
        self.planned_shares = shares
        plat = np.stack([self.platform_policy.shares(b) for b in range(bs.budget.size)])
        fmt = np.stack([self.format_policy.shares(b) for b in range(bs.budget.size)])
        platform_rate = cs.view("eng_rate").mean(axis=0)
        rel_eng = cs.view("eng_rate") / np.where(platform_rate > 0, platform_rate, 1.0)
        fees = budgets.creator_fees(
            self.scale.to_real(cs.view("followers")),
            np.where(platform_rate > 0, rel_eng, 1.0),
            c.fee_per_real_follower,
            c.fee_floor,
            c.fee_engagement_elasticity,
        )
        fees = fees[:, :, None] * np.array([1.0, c.live_fee_factor])
        deals = budgets.sign_deals(
            self.streams["budgets"],
            bs.budget[:, None] * shares[:, :n_t],
            plat[:, :, None] * fmt[:, None, :],
            eligible,
            self.creator_tier,
            cs.view("niche"),
            bs.category,
            fees,
        )
        cs.sponsor[: cs.n], cs.deal_fee[: cs.n] = deals["sponsor"], deals["fee"]
        cs.deal_platform[: cs.n], cs.deal_format[: cs.n] = deals["platform"], deals["format"]
        cs.deal_tier[: cs.n] = np.where(deals["sponsor"] >= 0, self.creator_tier, -1)
        cs.deal_obs[: cs.n] = 0.0
        cs.income[: cs.n] += deals["fee"]
        dealt = deals["sponsor"] >= 0
        spend = np.zeros((bs.budget.size, len(BUDGET_ARMS)))
        np.add.at(spend, (deals["sponsor"][dealt], self.creator_tier[dealt]), deals["fee"][dealt])
        bs.spend += spend
        # The own-account share buys traffic day by day through the period.
        own = bs.budget * shares[:, OWN] / c.budget_period_days
        bs.ad_budget = own[:, None] * plat * self._has_account_on()
        self.today.spend[: len(TIERS)] = spend[:, : len(TIERS)].sum(axis=0)

    def _has_account_on(self) -> np.ndarray:
        """(brands, platforms): the brand has an active own account posting there."""
        cs = self.creator_state
        mask = np.zeros((self.brand_state.budget.size, len(self.platform_list)), dtype=bool)
        acc = np.flatnonzero((cs.view("owner") >= 0) & cs.view("active"))
        np.logical_or.at(mask, cs.owner[acc], cs.posts_on[acc])
        return mask
