"""Running scenarios: replicates with their seeds, progress, and the collected outputs."""

from __future__ import annotations

import multiprocessing
import signal
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import metrics
from simulation.folders import raise_if_stopped, worker_signals
from simulation.model import CreatorEconomy
from simulation.progress import Bar
from simulation.scale import ScaleMapping
from simulation.scenario import TIERS, RunError, Scenario


@dataclass
class RunResult:
    """Everything one ``run`` produced, before it is written to a results folder."""

    scenario: Scenario
    seeds: list[int]
    steps: int
    timeseries: pd.DataFrame  # one row per (replicate, step)
    creators: pd.DataFrame  # final state of every creator, one row per (replicate, creator)
    facts: list[dict[str, dict]]  # metrics.facts() of each replicate
    outcomes: list[dict[str, Any]]  # metrics.outcomes() of each replicate
    wall_time: float = 0.0
    scale: dict = field(default_factory=dict)


def finite(data: Any) -> Any:
    """The same data with NaN and infinities replaced by None (JSON has neither)."""
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [finite(v) for v in data]
    if isinstance(data, float) and not np.isfinite(data):
        return None
    return data


def compile_kernels() -> None:
    """Compile every kernel a run calls into numba's cache, or load it from there.

    ``make`` calls this when it installs the package, so that the first run does not pay
    the compilation (about 7 s of the quick start's first run on this machine), and the
    test suite before it starts its workers. Three days of a market of 2,000 fans call
    every compiled function that a year of the baseline's rules calls, warm-up included
    (``tests/test_api.py`` checks it in numba's cache): 9-10 s with an empty cache, under
    a second with a full one.
    """
    CreatorEconomy(rng=0, n_fans=2_000, n_creators=120, n_brands=6).run_for(3)


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Seeds of the replicates: ``seed, seed + 1, ...``.

    Each model hashes its seed through ``SeedSequence``, so neighbouring integers give
    independent streams, and replicate i of a larger run equals replicate i of a smaller one.
    """
    return [seed + i for i in range(replicates)]


def creators_table(model: CreatorEconomy) -> pd.DataFrame:
    """Final state of every creator who ever existed."""
    cs = model.creator_state
    n = cs.n
    df = pd.DataFrame(
        {
            "creator": np.arange(n),
            "role": np.asarray(model.role_names)[cs.view("role")],
            "niche": cs.view("niche"),
            "quality": cs.view("quality"),
            "active": cs.view("active"),
            "born": cs.view("born"),
            "followers": model.creator_total_followers,
            "real_followers": model.scale.to_real(model.creator_total_followers),
            "tier": np.asarray(TIERS)[model.creator_tier],
            "income": cs.view("income"),
            "gmv": cs.view("gmv"),
            "live_gmv": cs.view("live_gmv"),
        }
    )
    for p in model.platform_list:
        df[f"followers_{p.key}"] = cs.view("followers")[:, p.index]
    return df


def run_replicate(
    scenario: Scenario, seed: int, steps: int, on_step: Callable[[], None] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, dict], dict[str, Any]]:
    """Run one replicate; returns its time series, creator table, FACTS metrics, outcomes.

    Raises:
        RunError: the model raised; the message names the scenario, the seed and the day.
    """
    model = CreatorEconomy.from_scenario(scenario, rng=seed)
    warmup = scenario.run.warmup_days
    model.warming_up = warmup > 0
    for day in range(warmup + steps):
        try:
            if day == warmup and warmup:
                model.begin_measurement()
            model.step()
        except Exception as err:
            # After Ctrl-C, an error is the interruption's doing (numba stopped mid-compile).
            raise_if_stopped()
            when = f"warm-up day {day + 1}" if day < warmup else f"measured day {day - warmup + 1}"
            where = traceback.extract_tb(err.__traceback__)[-1]
            raise RunError(
                f"{scenario.source or scenario.name}: the model raised on {when} with seed "
                f"{seed}: {type(err).__name__}: {err} (in {where.filename}:{where.lineno})"
            ) from err
        raise_if_stopped()  # a stop signal that landed where Python swallowed its exception
        if on_step is not None:
            on_step()
    ts = model.datacollector.get_model_vars_dataframe()
    ts.insert(0, "step", np.arange(1, len(ts) + 1))
    return ts, creators_table(model), metrics.facts(model, ts), metrics.outcomes(model, ts)


def run_scenario(
    scenario: Scenario,
    seed: int | None = None,
    replicates: int | None = None,
    steps: int | None = None,
    progress: bool = False,
) -> RunResult:
    """Run a scenario's replicates (arguments override its ``[run]`` section)."""
    run = scenario.run
    seeds = replicate_seeds(
        run.seed if seed is None else seed, run.replicates if replicates is None else replicates
    )
    steps = run.steps if steps is None else steps
    start = time.perf_counter()
    series, tables, facts, outcomes = [], [], [], []
    total = len(seeds) * (run.warmup_days + steps)
    with Bar(scenario.name, total, "days", quiet=not progress) as bar:
        for i, s in enumerate(seeds):
            ts, cr, fa, out = run_replicate(scenario, s, steps, bar.advance)
            for df in (ts, cr):
                df.insert(0, "seed", s)
                df.insert(0, "replicate", i)
            series.append(ts)
            tables.append(cr)
            facts.append(fa)
            outcomes.append(out)
    return RunResult(
        scenario=scenario,
        seeds=seeds,
        steps=steps,
        timeseries=pd.concat(series, ignore_index=True),
        creators=pd.concat(tables, ignore_index=True),
        facts=facts,
        outcomes=outcomes,
        wall_time=time.perf_counter() - start,
        scale=ScaleMapping.from_scenario(scenario).describe(),
    )


STOP_CHECK_SECONDS = 0.5  # how often a process waiting on its workers checks for a stop


def parallel_map(fn: Callable[..., Any], jobs: Iterable[tuple], workers: int = 1) -> list[Any]:
    """``[fn(*job) for job in jobs]``, on ``workers`` processes when more than one.

    Results come back in job order and every job carries its own seed, so the answer is
    the same at any worker count. ``fn`` must be a module-level function (it is pickled).
    """
    jobs = list(jobs)
    out: list[Any] = [None] * len(jobs)
    for i, result in as_completed(fn, jobs, workers):
        out[i] = result
    return out


def as_completed(
    fn: Callable[..., Any], jobs: Iterable[tuple], workers: int = 1
) -> Iterator[tuple[int, Any]]:
    """``(i, fn(*jobs[i]))`` for every job, as each finishes, on ``workers`` processes.

    For callers that record results as they come (a killed run then loses only the jobs
    in flight). ``fn`` must be a module-level function (it is pickled).
    """
    jobs = list(jobs)
    if workers <= 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            yield i, fn(*job)
        return
    with worker_pool(min(workers, len(jobs))) as pool:
        results = pool.imap_unordered(_indexed, [(fn, i, job) for i, job in enumerate(jobs)])
        for _ in jobs:
            while True:
                # A stop whose exception a finalizer swallowed (a pool's, while this process
                # waited) stops here, not after the last job.
                raise_if_stopped()
                try:
                    item = results.next(timeout=STOP_CHECK_SECONDS)
                    break
                except multiprocessing.TimeoutError:
                    continue
            yield item


def timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """``fn(*args)`` and the seconds it took (a process-pool job)."""
    start = time.perf_counter()
    return fn(*args), time.perf_counter() - start


def _indexed(task: tuple[Callable[..., Any], int, tuple]) -> tuple[int, Any]:
    fn, i, job = task
    return i, fn(*job)


def _init_worker() -> None:
    """Set up a worker process: one thread per run; SIGTERM cleans up and exits.

    The processes are the parallelism; a stopping parent terminates its workers (see
    ``worker_signals`` for why a worker ignores Ctrl-C).
    """
    from simulation.mechanisms import blocks

    blocks.THREADS = 1
    worker_signals()


@contextmanager
def worker_pool(processes: int) -> Iterator[Pool]:
    """Forkserver worker processes, terminated (not awaited) if the caller stops early."""
    ctx = multiprocessing.get_context("forkserver")
    _start_forkserver()
    pool = ctx.Pool(processes, initializer=_init_worker)
    try:
        yield pool
    except BaseException:
        pool.terminate()  # SIGTERM: each worker removes its temporaries and exits
        raise
    else:
        pool.close()  # every job is done: the workers exit when the queue is empty
    finally:
        pool.join()


PACKAGE = Path(__file__).resolve().parent  # the package this process runs
WRONG_PACKAGE = 3  # exit code of the forkserver's probe when its package is another one


def _start_forkserver() -> None:
    """Have the forkserver ready, the package imported in it, with SIGINT held back meanwhile.

    The server imports the package once (:mod:`simulation.forkserver`, which first makes it
    ignore Ctrl-C) and every worker is a fork of it that starts with Ctrl-C ignored: a pool
    starts in hundredths of a second, where each worker took two seconds to import the
    package, which a calibration paid at every rung of every batch of candidates. This waits
    for one process forked by the server, so a pool never asks a server that is still
    importing: a Ctrl-C that stopped this process then would leave the server forking, later,
    a worker for a pool that no longer exists (a traceback about its lost semaphore). SIGINT
    is blocked in this thread while it waits, about two seconds for a new server and
    hundredths after: a Ctrl-C meanwhile reaches this process when the mask is restored.
    The main module is not preloaded: each worker imports it as it starts
    (``multiprocessing.spawn``), after the package, so at little cost.
    """
    multiprocessing.set_forkserver_preload(["simulation.forkserver"])
    here = str(PACKAGE)
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        ready = multiprocessing.get_context("forkserver").Process(target=_exit_unless, args=(here,))
        ready.start()
        ready.join()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    if ready.exitcode == WRONG_PACKAGE:
        # The server finds the package on a fresh interpreter's path (Python 3.12 ignores the
        # caller's ``sys.path`` there); a process that put another copy first on its own
        # would have its runs made by that one.
        raise RuntimeError(
            f"worker processes would run the simulation package found by a new Python "
            f"process here, not this process's ({here}): run from the project's folder, or "
            "set PYTHONPATH to it, instead of changing sys.path"
        )


def _exit_unless(package: str) -> None:
    """The forkserver's probe: exit with :data:`WRONG_PACKAGE` unless its workers run ``package``.

    In the probe this module is the server's copy, so :data:`PACKAGE` is where it was found.
    """
    if str(PACKAGE) != package:
        raise SystemExit(WRONG_PACKAGE)


def run_model(
    params: Mapping[str, Any], seed: int, steps: int = 730, warmup_days: int = 0
) -> dict[str, Any]:
    """The model as a plain function for sweeps: flat parameters and a seed in, metrics out.

    Returns the end-of-run FACTS metrics flattened to scalars (``F3.mid``, ``F9.growth``...)
    plus the last value of every recorded time series prefixed ``end.``; a value that is
    not measurable (no spend, too short a run) is None.
    """
    scenario = Scenario.from_params(params, run={"warmup_days": warmup_days})
    return scenario_metrics(scenario, seed, steps)


def scenario_metrics(scenario: Scenario, seed: int, steps: int) -> dict[str, Any]:
    """One run of a scenario as flat metrics: ``F3.mid``, ``steady.*``, ``flows.*``, ``end.*``.

    The FACTS metrics (``F9.growth``...), the steady-market checks, the follows each tier
    won and lost (``flows.head.net``..., :func:`metrics.follow_flows`) and the last value of
    every time series (``end.<series>``): what :func:`run_model` and sweeps record; a value
    that is not measurable is None.
    """
    ts, _, facts, _ = run_replicate(scenario, seed, steps)
    out = flat_facts(facts)
    out |= {f"steady.{k}": v for k, v in metrics.steady_market(ts).items()}
    for tier, rates in metrics.follow_flows(ts).items():
        out |= {f"flows.{tier}.{k}": v for k, v in rates.items()}
    out |= {f"end.{k}": float(v) for k, v in ts.iloc[-1].items() if k != "step"}
    return finite(out)


def flat_facts(facts: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """FACTS entries (``metrics.facts``, or ``summary.json``'s) as scalars: ``F1``, ``F3.mid``."""
    out: dict[str, Any] = {}
    for fid, entry in facts.items():
        value = entry["value"]
        if isinstance(value, dict):
            out |= {f"{fid}.{k}": v for k, v in value.items()}
        else:
            out[fid] = value
    return out


def metric_names(scenario: Scenario) -> list[str]:
    """Every metric :func:`scenario_metrics` returns for this scenario's market.

    Found by running a tiny copy of it (200 fans, 2 days): the names depend on its
    platforms and roles, not on its size.
    """
    tiny = scenario.model_copy(
        update={
            "population": scenario.population.model_copy(update={"n_fans": 200, "n_creators": 20}),
            "run": scenario.run.model_copy(update={"warmup_days": 0}),
        }
    )
    return list(scenario_metrics(tiny, 0, 2))
