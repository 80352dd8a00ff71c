"""Sweep throughput: the same 16 runs serially (one process, no Dask) and on a 2-worker
Dask LocalCluster, in one invocation; prints both wall times and the speed-up.

Each run is the quick start's market for 365 days without a warm-up (about 10 s), so
the cluster's start-up (~0.5 s) and each worker's one-time import and kernel load count
against it, as they do in a real sweep.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 16] [--steps 365]
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
    p.add_argument("--steps", type=int, default=365)
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

    start = time.perf_counter()
    serial = [execute.run_task(t) for t in todo]
    t_serial = time.perf_counter() - start

    db = store.RunStore(":memory:", "bench")
    start = time.perf_counter()
    execute.execute(todo, db, workers=2)
    t_dask = time.perf_counter() - start
    rows = db.frame().sort_values("run")
    same = [r.metrics["end.trust_mean"] for r in serial] == rows["metric.end.trust_mean"].tolist()
    mean_run = sum(r.wall_time for r in serial) / len(serial)
    print(f"{len(todo)} runs of {args.steps} days at 20,000 fans ({mean_run:.1f} s each)")
    print(f"  serial, one process:       {t_serial:7.1f} s")
    print(f"  Dask LocalCluster, 2 workers: {t_dask:7.1f} s")
    print(f"  speed-up: {t_serial / t_dask:.2f}x (target 1.7x); same results: {same}")


if __name__ == "__main__":
    main()
