"""Speed of the model, measured in one run, printed as ratios.

1. Our vectorised exposure + purchase phases vs an idiomatic per-agent Mesa version of
   the same rules (each Fan agent loops over its own impressions with Python floats and
   ``model.random``), on the same population and the same impressions.
2. Whole-model throughput (fan-days per second) at several population sizes.

Run:  python benchmarks/bench_step.py [--fans 20000 100000] [--days 30]
"""

from __future__ import annotations

import argparse
import math
import time

import mesa
import numpy as np

from simulation import CreatorEconomy
from simulation.mechanisms.sicas import INTEREST, SENSE


class ReferenceFan(mesa.Agent):
    """The exposure and purchase rules written the usual Mesa way: one object, one loop."""

    def __init__(self, model, index, impressions):
        super().__init__(model)
        src = model.source
        fs = src.fan_state
        self.interest = fs.interest[index].tolist()
        self.wallet = float(fs.wallet[index])
        self.brand_trust = fs.brand_trust[index].tolist()
        self.stage = fs.stage[index].tolist()
        fo = src.follows
        lo, hi = np.searchsorted(fo.fan, [index, index + 1])
        self.follows = {
            (int(c), int(p)): float(t)
            for c, p, t in zip(fo.creator[lo:hi], fo.platform[lo:hi], fo.trust[lo:hi], strict=True)
        }
        self.impressions = impressions

    def watch(self, trust: float) -> float:
        """Minutes watched of a live stream, as a share of the full purchase chance."""
        lc = self.model.source.config.live
        start = lc.stream_minutes * self.random.random()
        stay = self.random.expovariate(1.0 / (lc.dwell_minutes * (0.5 + trust)))
        return 1.0 - math.exp(-min(stay, lc.stream_minutes - start) / lc.conversion_minutes)

    def step(self):
        src, cfg = self.model.source, self.model.source.config
        cs, price, appeal = src.creator_state, src.brand_state.price, src.format_appeal
        k = len(self.interest)
        bought = False
        for creator, platform, live, product, social, fmt in self.impressions:
            trust = self.follows.get((creator, platform))
            t = 0.0 if trust is None else trust
            watch = self.watch(t) if live else 1.0
            rel = self.interest[cs.niche[creator]] * k
            aware = product >= 0 and self.stage[product] >= SENSE
            p = cfg.fans.engage_base * cs.quality[creator] * appeal[fmt] * rel * (1 + t)
            p *= (cfg.fans.live_engage_factor if live else 1.0) * (
                cfg.purchase.aware_engage_factor if aware else 1.0
            )
            p *= (cfg.fans.social_proof if social else 1.0) * watch
            if self.random.random() >= min(p, 1.0):
                continue
            if trust is not None:
                self.follows[(creator, platform)] = t + cfg.trust.trust_engage_gain * (1 - t)
            elif self.random.random() < cfg.fans.follow_prob:
                self.follows[(creator, platform)] = 0.3
            if product < 0:
                continue
            self.stage[product] = max(self.stage[product], INTEREST)
            if bought:
                continue
            tb = cfg.purchase.stranger_trust if trust is None else trust
            afford = min(self.wallet / price[product], 1.0)
            form = 1.0 if live else cfg.purchase.video_conversion_factor
            pb = cfg.purchase.purchase_base * tb**cfg.purchase.trust_exponent * form
            pb *= self.brand_trust[product] * afford * watch
            if self.random.random() < pb and self.wallet >= price[product]:
                self.wallet -= price[product]
                bought = True


class ReferenceModel(mesa.Model):
    """Holds one ReferenceFan per fan of ``source``, with that day's impressions."""

    def __init__(self, source: CreatorEconomy, imp: dict[str, np.ndarray]):
        super().__init__(rng=0)
        self.source = source
        per_fan: dict[int, list] = {}
        keys = ("fan", "creator", "platform", "live", "product", "social", "format")
        for f, *rest in zip(*(imp[k].tolist() for k in keys), strict=True):
            per_fan.setdefault(f, []).append(tuple(rest))
        n = source.fan_state.budget.size
        ReferenceFan.create_agents(self, n, list(range(n)), [per_fan.get(i, []) for i in range(n)])

    def step(self):
        self.agents.shuffle_do("step")


def phase_ratio(n_fans: int, warmup: int, repeats: int) -> None:
    model = CreatorEconomy(rng=1, n_fans=n_fans, n_creators=max(50, n_fans // 20))
    for _ in range(warmup):
        model.step()
    ours, ref_t = [], []
    for _ in range(repeats):
        model._content(model.steps)
        imp = model._distribute(model.steps)
        reference = ReferenceModel(model, imp)
        t0 = time.perf_counter()
        reference.step()
        ref_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        model._expose(imp)
        model._purchase(imp)
        ours.append(time.perf_counter() - t0)
    n_imp = imp["fan"].size
    o, r = np.median(ours), np.median(ref_t)
    print(
        f"exposure+purchase, {n_fans:,} fans, ~{n_imp:,} impressions/day: "
        f"vectorised {o * 1e3:.1f} ms, per-agent Mesa {r * 1e3:.1f} ms -> {r / o:.1f}x faster"
    )


def throughput(n_fans: int, days: int) -> None:
    t0 = time.perf_counter()
    model = CreatorEconomy(rng=1, n_fans=n_fans, n_creators=max(50, n_fans // 20))
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(days):
        model.step()
    run = time.perf_counter() - t0
    print(
        f"whole model, {n_fans:,} fans, {model.creator_state.n:,} creators: build {build:.1f} s, "
        f"{run / days * 1e3:.0f} ms/day, {n_fans * days / run / 1e6:.2f} M fan-days/s "
        f"(730 days ~ {run / days * 730:.0f} s)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fans", type=int, nargs="+", default=[20_000, 100_000])
    p.add_argument("--days", type=int, default=30)
    args = p.parse_args()
    phase_ratio(args.fans[0], warmup=60, repeats=3)
    for n in args.fans:
        throughput(n, args.days)


if __name__ == "__main__":
    main()
