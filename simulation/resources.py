"""Memory a run needs, checked before it starts: refuse with the estimate rather than swap.

The estimate is the peak resident memory of one run process, measured on this code
(``resource.getrusage`` after building the market and stepping it): a 730-day run of
1 M fans peaked at 1,014 bytes per fan, follow lists fully grown and 49,800 creators
entered (``benchmarks/full_run.py``, 2026-12-02; 941-992 since 2026-12-04, and the estimate
is kept with that margin); 100,000 creators instead of 10,000 add 1.2 KB each
(``benchmarks/bench_engine.py``):

    peak ≈ 680 MB + 1.05 KB per fan + 1.5 KB per creator

The 680 MB are Python with NumPy, Mesa and pandas (about 270 MB) and numba compiling the
kernels on a machine's first run: 60,000 fans stepped 60 days peak at 327 MB with the
compiled kernels cached, and at 599 MB with an empty cache in CI (the compiler's
footprint varies between machines).

Commands that run several processes at once (``compare``, ``sweep``, ``calibrate``)
multiply it by the processes in flight.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from simulation.scenario import Scenario, ScenarioError

BASE_BYTES = 680e6
BYTES_PER_FAN = 1.05e3
BYTES_PER_CREATOR = 1.5e3


def estimate_bytes(n_fans: int, n_creators: int) -> float:
    """Peak memory of one run of a market this size (see the module's docstring)."""
    return BASE_BYTES + BYTES_PER_FAN * n_fans + BYTES_PER_CREATOR * n_creators


def available_bytes() -> float:
    """Memory this machine can give a new process now (``MemAvailable``, else physical)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def check_memory(scenarios: Iterable[Scenario], *, processes: int = 1) -> None:
    """Refuse, naming the file, the key and the estimate, a run that would not fit.

    Args:
        scenarios: what will run; the largest market counts.
        processes: runs in flight at once (workers).
    """
    biggest = max(
        scenarios, key=lambda s: estimate_bytes(s.population.n_fans, s.population.n_creators)
    )
    pop = biggest.population
    one = estimate_bytes(pop.n_fans, pop.n_creators)
    need, have = one * processes, available_bytes()
    if need > have:
        times = f" x {processes} processes" if processes > 1 else ""
        raise ScenarioError(
            f"{biggest.source or biggest.name}: key 'population.n_fans': {pop.n_fans:,} fans "
            f"and {pop.n_creators:,} creators need about {one / 1e9:.1f} GB per run{times} "
            f"= {need / 1e9:.1f} GB, and this machine has {have / 1e9:.1f} GB available "
            "(expected a smaller population, fewer workers, or a larger machine)"
        )
