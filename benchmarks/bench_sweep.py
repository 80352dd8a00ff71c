"""Sweep throughput: the same 16 runs on a 1-worker and on a 2-worker Dask LocalCluster,
in one invocation; prints both wall times, the speed-up and whether the rows agree.

Each run is the quick start's market for 500 days without a warm-up (about 11 s on one
core; sweep workers run each model on one thread), so the cluster's start-up and each
worker's one-time import and kernel load count against it, as in a real sweep.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 16] [--steps 500]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from simulation.scenario import load_scenario
from simulation.sweeps import design, execute, spec, store

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=16)
    p.add_argument("--steps", type=int, default=500)
    args = p.parse_args()
    base = load_scenario(ROOT / "scenarios" / "quickstart.toml")
    base = base.model_copy(
        update={"run": base.run.model_copy(update={"steps": args.steps, "warmup_days": 0})}
    )
    sweep = spec.SweepSpec(
        name="bench",
        base=str(ROOT / "scenarios" / "quickstart.toml"),
        design="lhs",
        samples=args.runs,
        seed=1,
        steps=args.steps,
        warmup_days=0,
        metrics=("end.trust_mean",),
        parameters={"trust_gain": (0.1, 0.3)},
    )
    todo = design.tasks(sweep, design.make_design(sweep), base)

    timings, frames = {}, {}
    for workers in (1, 2):
        db = store.RunStore(":memory:", "bench")
        start = time.perf_counter()
        execute.execute(todo, db, workers=workers)
        timings[workers] = time.perf_counter() - start
        frames[workers] = db.frame().sort_values("run")
        db.close()
    same = frames[1].drop(columns="wall_time").equals(frames[2].drop(columns="wall_time"))
    mean_run = frames[1]["wall_time"].mean()
    print(f"{len(todo)} runs of {args.steps} days at 20,000 fans ({mean_run:.1f} s each)")
    print(f"  Dask LocalCluster, 1 worker:  {timings[1]:7.1f} s")
    print(f"  Dask LocalCluster, 2 workers: {timings[2]:7.1f} s")
    print(f"  speed-up: {timings[1] / timings[2]:.2f}x (target 1.7x); same rows: {same}")


if __name__ == "__main__":
    main()
