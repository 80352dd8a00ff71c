"""One whole run, timed: build + every day + data collection, and the peak memory per fan.

Run:  python benchmarks/full_run.py [--fans 1000000] [--creators 10000] [--days 730]
"""

from __future__ import annotations

import argparse
import resource
import time

from simulation import CreatorEconomy


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fans", type=int, default=1_000_000)
    p.add_argument("--creators", type=int, default=10_000)
    p.add_argument("--brands", type=int, default=50)
    p.add_argument("--days", type=int, default=730)
    args = p.parse_args()
    CreatorEconomy(rng=0, n_fans=200, n_creators=20).run_for(2)  # load the compiled kernels
    t0 = time.perf_counter()
    model = CreatorEconomy(rng=1, n_fans=args.fans, n_creators=args.creators, n_brands=args.brands)
    built = time.perf_counter() - t0
    model.run_for(args.days)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        f"{args.fans:,} fans, {args.creators:,} creators, {args.brands} brands, {args.days} days: "
        f"build {built:.1f} s, total {wall / 60:.1f} min "
        f"({args.fans * args.days / wall / 1e6:.2f} M fan-days/s), "
        f"peak RSS {peak / args.fans:.0f} bytes per fan, follows at the end {len(model.follows):,}"
    )


if __name__ == "__main__":
    main()
