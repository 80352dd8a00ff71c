"""Starting worker processes: the runner's pool against workers that each start Python.

``compare``, ``validate`` and ``calibrate`` run their missing runs on a pool of worker
processes (``simulation.runner.worker_pool``), and a calibration starts one at every rung
of every batch of candidates. The runner's workers are forked from a forkserver that has
imported the package once; the alternative is a fresh interpreter per worker that imports
it itself (``spawn``, which is how a Dask ``LocalCluster`` starts its workers). In one
invocation, several times each, this prints the seconds until a pool of 2 workers has
finished one tiny job each, the job a run's first step: importing the model.

    .venv/bin/python benchmarks/bench_pool.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time

from simulation import runner


def first_job(i: int) -> int:
    import simulation.runner  # noqa: F401  (what unpickling a run's function imports)

    return i


def pool_seconds(start_pool) -> float:
    t = time.perf_counter()
    with start_pool() as pool:
        pool.map(first_job, range(2), chunksize=1)
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    pools = {
        "runner.worker_pool (forked from the preloaded forkserver)": lambda: runner.worker_pool(2),
        "spawn (each worker starts Python and imports the package)": lambda: (
            multiprocessing.get_context("spawn").Pool(2)
        ),
    }
    pool_seconds(pools["runner.worker_pool (forked from the preloaded forkserver)"])  # its server
    times = {
        name: [pool_seconds(start) for _ in range(args.repeats)] for name, start in pools.items()
    }
    for name, ts in times.items():
        print(f"{name}: {', '.join(f'{t:.3f}' for t in ts)} s")
    fork, spawn = (statistics.median(ts) for ts in times.values())
    print(f"a pool of 2 workers, one job each: median {fork:.3f} s against {spawn:.3f} s", end="")
    print(f" -> {spawn / fork:.0f}x")


if __name__ == "__main__":
    main()
