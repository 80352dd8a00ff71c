"""Speed and memory of the engine, every number measured in this one run.

1. Scaling: build time, time per simulated day (data collection included, averaged over
   days 0-29, which hold one budget day as every 30 days do), fan-days per second and peak
   memory per fan at 10 k, 100 k and 1 M fans (100 fans per creator, 50 brands, 4
   platforms) and at 1 M fans with 100 k creators. Each size runs in its own process (its
   kernels already compiled) so its peak RSS is its own; the 730-day time is build +
   730 x time per day.
2. Ratio: the whole fans' day of the real model against the per-agent Mesa reference
   (``reference_model.py``: one agent per fan, ``shuffle_do("step")``) on the same market.

Run:  python benchmarks/bench_engine.py [--days 30] [--ratio-fans 20000] [--sizes ...]
Or, for one market, milliseconds per day of each phase (``--phases FANS:CREATORS``) or of
each kernel a phase runs in blocks (``--kernels FANS:CREATORS``), or the memory each phase
holds at its peak above the day's start (``--memory FANS:CREATORS``, traced by tracemalloc),
or nanoseconds a fan and a slot of the distribution's two kernels (``--slots FANS:CREATORS``).
"""

from __future__ import annotations

import argparse
import collections
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from simulation.runner import compile_kernels
from simulation.scenario import FIXED_MARKET

SIZES = ((10_000, 100), (100_000, 1_000), (1_000_000, 10_000), (1_000_000, 100_000))
# Every fan uses the platforms from day 0 (FIXED_MARKET), so "1 M fans" is a million fans at
# work (the baseline's market starts with 60% of them and grows; the reference has no joining).


def market(n_fans: int, n_creators: int):
    """The benchmark's market: 50 brands, every fan active from day 0."""
    from simulation import CreatorEconomy

    return CreatorEconomy(rng=1, n_fans=n_fans, n_creators=n_creators, n_brands=50, **FIXED_MARKET)


def one(n_fans: int, n_creators: int, days: int) -> dict:
    """Build and run one market in this process; return its timings and peak memory."""
    compile_kernels()  # no timing includes compiling or loading the kernels
    t0 = time.perf_counter()
    model = market(n_fans, n_creators)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.run_for(days)  # from day 0: one budget day (deals signed) in every 30
    per_day = (time.perf_counter() - t0) / days
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # bytes on Linux
    return {
        "fans": n_fans,
        "creators": n_creators,
        "build_s": build,
        "day_ms": per_day * 1e3,
        "fan_days_per_s": n_fans / per_day,
        "run_730_s": build + 730 * per_day,
        "peak_bytes_per_fan": peak / n_fans,
        "impressions_per_day": len(model.day.impressions),
    }


def day_by_day(model, days: int):
    """``days`` steps taken apart: ``(day, name, run)`` for each part of each day, in the
    order a step does them (``CreatorEconomy.day_parts``)."""
    for _ in range(days):
        model.steps += 1  # what Mesa's step wrapper does before a step
        for name, run in model.day_parts():
            yield model.day, name, run


def phases(n_fans: int, n_creators: int, days: int) -> dict[str, float]:
    """Milliseconds per day of each phase (and data collection) over days 0..days-1."""
    compile_kernels()  # no timing includes compiling or loading the kernels
    model = market(n_fans, n_creators)
    spent: collections.Counter[str] = collections.Counter()
    for _, name, run in day_by_day(model, days):
        t0 = time.perf_counter()
        run()
        spent[name] += time.perf_counter() - t0
    return {name: s * 1e3 / days for name, s in spent.items()}


def memory(n_fans: int, n_creators: int, days: int) -> dict[str, float]:
    """Bytes per fan above the day's start at each phase's peak (tracemalloc), the most of
    ``days`` days: where in a day the heap must be largest."""
    import tracemalloc

    compile_kernels()  # no timing includes compiling or loading the kernels
    model = market(n_fans, n_creators)
    model.run_for(2)
    tracemalloc.start()
    model.run_for(1)  # traced, so that the next day's freeing of its arrays is counted
    peak: dict[str, int] = {}
    today = start = None
    for day, name, run in day_by_day(model, days):
        if day is not today:  # a new day: yesterday's record is gone
            today, start = day, tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run()
        peak[name] = max(peak.get(name, 0), tracemalloc.get_traced_memory()[1] - start)
    tracemalloc.stop()
    return {name: b / n_fans for name, b in peak.items()}


def kernels(n_fans: int, n_creators: int, days: int) -> dict[str, float]:
    """Milliseconds per day of each kernel a phase runs over rows in blocks (``blocks.rows``)."""
    from simulation.mechanisms import blocks

    compile_kernels()  # no timing includes compiling or loading the kernels
    model = market(n_fans, n_creators)
    spent: collections.Counter[str] = collections.Counter()
    rows = blocks.rows

    def timed(kernel, *args):
        t0 = time.perf_counter()
        rows(kernel, *args)
        spent[kernel.__name__] += time.perf_counter() - t0

    blocks.rows = timed
    try:
        model.run_for(days)
    finally:
        blocks.rows = rows
    return {name: s * 1e3 / days for name, s in spent.most_common()}


def slots(n_fans: int, n_creators: int, days: int) -> dict[str, float]:
    """Nanoseconds of the distribution's kernels for its first block of fans on day ``days``.

    ``count_slots`` a fan and ``fill_slots`` a slot, each timed alone on copies of the
    arguments it was given (its generator's state included; best of 5, one thread); then
    ``fill_slots`` with every slot forced to one algorithm of the platforms' mix, and one
    ``rng.random()`` in a compiled loop.
    """
    import copy

    import numba
    import numpy as np

    from simulation.mechanisms import blocks, kernels

    def fresh(args: tuple) -> tuple:
        return tuple(copy.deepcopy(a) if isinstance(a, np.random.Generator | np.ndarray) else a
                     for a in args)  # fmt: skip

    def best(kernel, args: tuple) -> float:
        times = []
        for call in (fresh(args) for _ in range(5)):
            t0 = time.perf_counter()
            kernel(*call)
            times.append(time.perf_counter() - t0)
        return min(times)

    compile_kernels()  # no timing includes compiling or loading the kernels
    blocks.THREADS = 1
    model = market(n_fans, n_creators)
    model.run_for(days)
    seen: dict[str, tuple] = {}
    originals = {name: getattr(kernels, name) for name in ("count_slots", "fill_slots")}

    def capturing(name: str):
        def kernel(*args):
            seen.setdefault(name, fresh(args))
            return originals[name](*args)

        return kernel

    for name in originals:
        setattr(kernels, name, capturing(name))
    try:
        model.run_for(1)
    finally:
        for name, kernel in originals.items():
            setattr(kernels, name, kernel)
    count, fill = seen["count_slots"], seen["fill_slots"]
    lo, hi, n_slots = count[9], count[10], int(fill[22][fill[20] : fill[21]].sum())
    out = {
        "count_slots, a fan": best(kernels.count_slots, count) / (hi - lo) * 1e9,
        "fill_slots, a slot": best(kernels.fill_slots, fill) / n_slots * 1e9,
    }
    cdf = fill[3]  # (platforms, algorithms): cumulative shares of interest, follower, social
    for a, name in enumerate(("interest", "follower", "social", "popularity")):
        only = np.where(np.arange(cdf.shape[1]) < a, 0.0, 1.0) * np.ones_like(cdf)
        out[f"  only {name}"] = (
            best(kernels.fill_slots, (*fill[:3], only, *fill[4:])) / n_slots * 1e9
        )

    @numba.njit
    def uniforms(g, n):  # pragma: no cover
        s = 0.0
        for _ in range(n):
            s += g.random()
        return s

    g, n = np.random.default_rng(1), 10_000_000
    uniforms(g, 1)
    t0 = time.perf_counter()
    uniforms(g, n)
    out["rng.random()"] = (time.perf_counter() - t0) / n * 1e9
    return out


def ratio(n_fans: int, days: int) -> dict:
    """Seconds per fans' day: real engine vs the per-agent reference, same market."""
    sys.path.insert(0, str(Path(__file__).parent))
    from reference_model import ReferenceEconomy

    from simulation import CreatorEconomy

    model = CreatorEconomy(rng=1, n_fans=n_fans, n_creators=n_fans // 20, **FIXED_MARKET)
    model.run_for(31)  # past day 30's budget review, so the next days are ordinary days
    reference = ReferenceEconomy(model, seed=1)
    t0 = time.perf_counter()
    for _ in range(days):
        reference.step()
    ref = (time.perf_counter() - t0) / days
    t0 = time.perf_counter()
    model.run_for(days)
    ours = (time.perf_counter() - t0) / days
    return {"fans": n_fans, "reference_ms": ref * 1e3, "engine_ms": ours * 1e3, "ratio": ref / ours}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--days", type=int, default=30, help="days timed per size (30: one budget day)")
    p.add_argument("--ratio-fans", type=int, default=20_000)
    p.add_argument("--ratio-days", type=int, default=3)
    p.add_argument("--sizes", default=",".join(f"{f}:{c}" for f, c in SIZES))
    p.add_argument("--one", help=argparse.SUPPRESS)
    p.add_argument("--phases", metavar="FANS:CREATORS", help="only time each phase")
    p.add_argument("--kernels", metavar="FANS:CREATORS", help="only time kernels run in blocks")
    p.add_argument("--memory", metavar="FANS:CREATORS", help="only each phase's peak memory")
    p.add_argument("--slots", metavar="FANS:CREATORS", help="only the distribution's kernels")
    args = p.parse_args()
    for option, measure, unit, decimals, whole_day in (  # one market, phase by phase
        ("memory", memory, "B/fan", 0, max),
        ("kernels", kernels, "ms/day", 1, None),
        ("slots", slots, "ns", 0, None),
        ("phases", phases, "ms/day", 1, sum),
    ):
        if getattr(args, option):
            fans, creators = (int(x) for x in getattr(args, option).split(":"))
            values = measure(fans, creators, args.days)
            if whole_day is not None:
                values["whole day"] = whole_day(values.values())
            for name, value in values.items():
                print(f"{name:>20} {value:8.{decimals}f} {unit}")
            return
    if args.one:
        fans, creators = (int(x) for x in args.one.split(":"))
        print(json.dumps(one(fans, creators, args.days)))
        return
    print(
        f"{'fans':>10} {'creators':>9} {'build s':>8} {'ms/day':>8} {'M fan-days/s':>13} "
        f"{'730 days':>9} {'peak/fan':>9} {'impressions/day':>16}"
    )
    rows = []
    for size in args.sizes.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--one", size, "--days", str(args.days)],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(r)
        print(
            f"{r['fans']:>10,} {r['creators']:>9,} {r['build_s']:>8.1f} {r['day_ms']:>8.0f} "
            f"{r['fan_days_per_s'] / 1e6:>13.2f} {r['run_730_s'] / 60:>7.1f} m "
            f"{r['peak_bytes_per_fan'] / 1024:>6.2f} KB {r['impressions_per_day']:>16,}",
            flush=True,
        )
    base = rows[0]
    for r in rows[1:]:
        growth = r["day_ms"] / base["day_ms"]
        size = max(r["fans"] / base["fans"], r["creators"] / base["creators"])
        print(
            f"time per day x{growth:.1f} for x{size:.0f} fans or creators "
            f"({r['fans']:,} fans, {r['creators']:,} creators vs {base['fans']:,})"
        )
    q = ratio(args.ratio_fans, args.ratio_days)
    print(
        f"fans' day at {q['fans']:,} fans: per-agent Mesa reference {q['reference_ms']:.0f} ms, "
        f"engine (whole day) {q['engine_ms']:.0f} ms -> {q['ratio']:.1f}x"
    )


if __name__ == "__main__":
    main()
