"""One whole run, timed: build + every day + data collection, and the peak memory per fan.

Run:  python benchmarks/full_run.py [--fans 1000000] [--creators 10000] [--days 730]
          [--trace days.csv]

``--trace`` writes one row per day (seconds since the start, resident and peak memory,
creators so far, follow edges), to see when in a run the time and memory go.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import time

from simulation import CreatorEconomy
from simulation.scenario import FIXED_MARKET

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_mb() -> float:
    """Resident memory now (Linux), MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 1e6


def peak_bytes() -> int:
    """Peak resident memory of the process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fans", type=int, default=1_000_000)
    p.add_argument("--creators", type=int, default=10_000)
    p.add_argument("--brands", type=int, default=50)
    p.add_argument("--days", type=int, default=730)
    p.add_argument("--trace", metavar="CSV", help="write time and memory after every day")
    args = p.parse_args()
    CreatorEconomy(rng=0, n_fans=200, n_creators=20).run_for(2)  # load the compiled kernels
    t0 = time.perf_counter()
    model = CreatorEconomy(
        rng=1, n_fans=args.fans, n_creators=args.creators, n_brands=args.brands, **FIXED_MARKET
    )
    built = time.perf_counter() - t0
    rows = []
    for day in range(args.days):
        model.step()
        if args.trace:
            rows.append(
                (
                    day + 1,
                    round(time.perf_counter() - t0, 2),
                    round(resident_mb()),
                    round(peak_bytes() / 1e6),
                    model.creator_state.n,
                    len(model.follows),
                )
            )
    wall = time.perf_counter() - t0
    if args.trace:
        with open(args.trace, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["day", "seconds", "resident_mb", "peak_mb", "creators", "follows"])
            w.writerows(rows)
    print(
        f"{args.fans:,} fans, {args.creators:,} creators, {args.brands} brands, {args.days} days: "
        f"build {built:.1f} s, total {wall:.1f} s = {wall / 60:.2f} min "
        f"({args.fans * args.days / wall / 1e6:.2f} M fan-days/s), "
        f"peak RSS {peak_bytes() / args.fans:.0f} bytes per fan, "
        f"follows at the end {len(model.follows):,}, creators {model.creator_state.n:,} "
        f"({int(model.creator_state.view('active').sum()):,} active)"
    )


if __name__ == "__main__":
    main()
