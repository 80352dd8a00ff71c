"""Running a sweep's missing runs on Dask: a LocalCluster by default, or a given scheduler.

The same code path runs on a laptop and on a cluster. The driving process submits every
run that is not yet in the database and records each one as it completes; a worker that
dies has its runs retried elsewhere by the scheduler (``retries``).
"""

from __future__ import annotations

import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from simulation.runner import scenario_metrics
from simulation.scenario import Scenario
from simulation.sweeps.design import RunTask
from simulation.sweeps.spec import override
from simulation.sweeps.store import RunRow, RunStore

RETRIES = 3  # times a run is resubmitted when the worker running it dies


def run_task(task: RunTask) -> RunRow:
    """Run one task; an exception becomes a failed row naming the scenario and seed."""
    start = time.perf_counter()
    try:
        base = Scenario.model_validate(task.scenario)
        scenario = override(base, task.params, task.origin)
        values = scenario_metrics(scenario, task.seed, scenario.run.steps)
        metrics = {m: values.get(m) for m in task.metrics}
        status, error = "ok", None
    except Exception as err:  # recorded, and the sweep goes on
        where = traceback.extract_tb(err.__traceback__)[-1]
        metrics = {m: None for m in task.metrics}
        status = "failed"
        error = (
            f"{type(err).__name__}: {err} (sweep {task.origin}, run {task.run}, seed "
            f"{task.seed}, parameters {task.params}; raised in {where.filename}:{where.lineno})"
        )
    return RunRow(
        task.run,
        task.point,
        task.replicate,
        task.seed,
        task.params,
        status,
        error,
        time.perf_counter() - start,
        metrics,
    )


@contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start worker processes with SIGINT ignored (they inherit it).

    On Ctrl-C in a terminal the driver alone stops and closes the cluster, instead of
    every worker printing a traceback.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def execute(
    todo: Sequence[RunTask],
    store: RunStore,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    on_row: Callable[[RunRow], None] | None = None,
) -> list[RunTask]:
    """Run ``todo`` on Dask and record every row in ``store`` as it completes.

    A run whose worker dies is rescheduled on another worker by Dask (up to its
    ``distributed.scheduler.allowed-failures``). A run that still cannot finish (every
    attempt killed its worker) is not recorded, so that the next resume tries it again,
    and is returned; the other runs go on.
    """
    if not todo:
        return []
    from dask.distributed import Client, LocalCluster, as_completed

    if scheduler:
        cluster, client = None, Client(scheduler)
    else:
        with _workers_ignore_ctrl_c():
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address="127.0.0.1:0",  # no fixed port: sweeps side by side
                silence_logs=50,  # failed runs are recorded; stopped workers say nothing
                env={"CREATOR_SIM_THREADS": "1"},  # one core per worker: no oversubscription
            )
        client = Client(cluster)
    lost: list[RunTask] = []
    try:
        futures = client.map(run_task, list(todo), pure=False, retries=RETRIES)
        task_of = {f.key: t for f, t in zip(futures, todo, strict=True)}
        for future in as_completed(futures):
            try:
                row = future.result()
            except Exception:  # KilledWorker: not the run's fault; the next resume retries
                lost.append(task_of[future.key])
                continue
            store.record(row)
            if on_row:
                on_row(row)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return lost
