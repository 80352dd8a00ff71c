"""Run a compiled kernel over blocks of rows on a few threads, with the same result on any count.

The kernels in :mod:`simulation.mechanisms.kernels` release the GIL (``nogil=True``), so
blocks of fans, edges or impressions can run side by side on the machine's cores. Each
block writes only its own rows, and a block that draws random numbers gets its own
generator (the distribution phase spawns one per block of fans), so the output does not
depend on the number of threads or on the order in which blocks finish. A job must not
call :func:`run` itself: the pool's threads would wait on each other.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

# Blocks run on this many threads: the cores, unless CREATOR_SIM_THREADS says otherwise (a
# sweep's or comparison's worker processes set 1: their parallelism is the processes).
THREADS = int(os.environ.get("CREATOR_SIM_THREADS", 0)) or os.cpu_count() or 1
# Rows per block when a kernel only reads and writes its own rows: small enough that a
# 100,000-fan market's fan kernels use every core (49 instead of 54 ms a day on 2 cores,
# benchmarks/README.md), large enough that handing a block to a thread costs little.
ROWS = 32_768
SPLIT_ROWS = 8_192  # fewer rows a thread than this and :func:`rows` keeps a block whole

_pool: ThreadPoolExecutor | None = None
_pool_threads = 0  # THREADS when the pool was made (tests change THREADS)
_lock = threading.Lock()


def _tune_malloc() -> Callable[[int], int] | None:
    """One heap for every thread, kept mapped: the day's arrays reuse yesterday's pages (glibc).

    * One arena: glibc gives each thread that allocates its own, and memory freed in one
      is not reused by another, so a long run's resident memory crept up (1 M fans peaked
      at 1,001 MB after 120 days with an arena per thread, 919 MB with one).
    * No mmap, no trimming: by default glibc maps each large array afresh and returns it
      to the kernel when freed, so every day's arrays are page-faulted in again, zeroed
      and (where NumPy asks for transparent huge pages) compacted: at 1 M fans single
      NumPy lines of the exposure phase took 35-170 ms instead of 3, with up to 0.4 s of
      system time a day. Kept in the heap, a freed array's pages serve the next one.
    * Trimmed only when asked (:func:`release_free_memory`, once a month of simulated
      days): over a year the freed pages that no later array fits into add up.
    * No transparent huge pages for NumPy's arrays: where the kernel compacts memory for
      a huge page on the fault (``defrag = madvise``), building 1 M fans took 5-9 s
      instead of 2.5.

    Measured in ``benchmarks/README.md``. Returns glibc's ``malloc_trim`` (None elsewhere).
    """
    if not sys.platform.startswith("linux"):
        return None
    set_hugepage = getattr(np._core.multiarray, "_set_madvise_hugepage", None)
    if set_hugepage is not None:  # what NUMPY_MADVISE_HUGEPAGE=0 does at NumPy's import
        set_hugepage(False)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, 1)  # M_ARENA_MAX
        libc.mallopt(-4, 0)  # M_MMAP_MAX: no allocation is its own mapping
        libc.mallopt(-1, 2**31 - 1)  # M_TRIM_THRESHOLD: keep freed memory for reuse
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to tune
        return None


_malloc_trim = _tune_malloc()


def release_free_memory() -> None:
    """Return the heap's free pages to the kernel (glibc's ``malloc_trim``; elsewhere nothing).

    The heap keeps what the day's arrays free so that tomorrow's reuse the pages, but some
    freed runs fit no later array and stay resident: at 1 M fans the resident memory at a
    day's end rose from 830 MB on day 1 to 1,036 MB on day 720. With a trim every 30 days
    the 730-day run peaked at 984-1,018 bytes per fan instead of 998-1,040; a trim takes
    5-25 ms and the pages it returns are faulted in again once, about 50 ms a month at
    1 M fans (``benchmarks/README.md``, thirteenth look).
    """
    if _malloc_trim is not None:
        _malloc_trim(0)


def _forget_pool() -> None:
    """A forked child (a multiprocessing worker) has none of the parent's threads."""
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


def spans(n: int, size: int | None = None) -> list[tuple[int, int]]:
    """``(lo, hi)`` of consecutive blocks of at most ``size`` rows (``ROWS``) covering ``0..n``."""
    size = size or ROWS
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def run(fn: Callable, jobs: Sequence[tuple], rows: int | None = None) -> list:
    """``fn(*job)`` for every job, on up to ``THREADS`` threads; results in the jobs' order.

    This thread works too, beside ``THREADS - 1`` pool threads: each takes the next job
    nobody has taken until none is left, so a slow block does not hold up the rest, and
    this thread neither sleeps nor is woken. Handing every job to a pool of ``THREADS``
    and waiting made the quick start's simulation 15% slower (13.3-13.8 s against
    11.3-11.7, three pairs of runs; benchmarks/README.md, nineteenth look). ``rows`` (the
    work's size, if known) below ``ROWS`` runs the jobs in this thread: handing them to
    others would cost more than it saves.
    """
    global _pool, _pool_threads
    if THREADS <= 1 or len(jobs) <= 1 or (rows is not None and rows < ROWS):
        return [fn(*j) for j in jobs]
    with _lock:
        if _pool is None or _pool_threads != THREADS:
            _pool = ThreadPoolExecutor(THREADS - 1, thread_name_prefix="simulation-blocks")
            _pool_threads = THREADS
        pool = _pool
    results = [None] * len(jobs)
    taken = itertools.count()  # next() on it is one step under the GIL: a job is taken once

    def take() -> None:
        while (i := next(taken)) < len(jobs):
            results[i] = fn(*jobs[i])

    helpers = [pool.submit(take) for _ in range(min(THREADS, len(jobs)) - 1)]
    try:
        take()
    except BaseException:
        wait(helpers)  # no thread is still in a job of this call when it raises
        raise
    for helper in helpers:
        helper.result()  # waits; raises a job's exception from a pool thread
    return results


def rows(kernel: Callable, n: int, *args) -> None:
    """``kernel(*args, lo, hi)`` over blocks of ``0..n``: for kernels that fill rows in place.

    Blocks of ``ROWS`` rows; fewer rows are split among the threads once each thread gets
    ``SPLIT_ROWS``: at 20,000 fans the attention's replicator step took 0.36 ms on two
    threads instead of 0.58 on one, and a quick start's day 0.3 ms less
    (benchmarks/README.md, twentieth look).
    """
    size = ROWS if n >= ROWS else -(-n // max(1, min(THREADS, n // SPLIT_ROWS)))
    run(lambda lo, hi: kernel(*args, lo, hi), spans(n, size))


def together(*calls: Callable[[], object], rows: int | None = None) -> list:
    """Independent calls side by side (they must not write what another reads); results."""
    return run(lambda call: call(), [(call,) for call in calls], rows)
