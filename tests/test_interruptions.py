"""Interrupted and failing work, tried on purpose with real processes and real signals.

A run, a comparison and a calibration killed at random moments with SIGINT (Ctrl-C: the
whole process group), SIGTERM or SIGKILL (the main process only, as a job scheduler or
the OOM killer does) leave a complete result folder or none, and the next run completes
with byte-identical outputs. A sweep killed again and again resumes to exactly its runs;
a Dask worker that dies loses nothing; a model that raises is reported with scenario,
seed and day (docs/reliability.md).
"""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, SMALL, process_fields
from test_sweeps import TINY as _TINY

from simulation import model as model_module
from simulation.cli import main
from simulation.counterfactuals import COUNTERFACTUALS
from simulation.folders import MARKER
from simulation.sweeps import design, execute, spec, store

RUN_FILES = {"metadata.json", "timeseries.csv", "creators.csv", "summary.json", MARKER}
SAME = ("timeseries.csv", "summary.json", "creators.csv")  # byte-identical for a seed
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)


@pytest.fixture(scope="module", autouse=True)
def compiled_kernels(tmp_path_factory):
    """Fill numba's on-disk cache before a test times a command.

    The tests below time an uninterrupted command to choose when to kill the next ones. On
    a fresh clone the first command also compiles the kernels (about 10 s), and kills
    timed from it landed after the next commands, which load the cache, had ended.
    """
    out = tmp_path_factory.mktemp("warm") / "out"
    warm = ["run", str(SMALL), "--steps", "31", "--no-figures", "--out", str(out), "--quiet"]
    assert main(warm) == 0


def start(*args, cwd=ROOT) -> subprocess.Popen:
    """``creator-sim ARGS`` in its own session (so its whole group can be signalled).

    Its standard error goes to a file (``proc.log``): a pipe would keep a reader waiting
    on any process that inherited it.
    """
    log = Path(cwd) / f".stderr-{time.monotonic_ns()}"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "simulation", *map(str, args), "--quiet"],
            cwd=cwd,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    proc.log = log
    return proc


def _session_alive(sid: int) -> bool:
    for proc in Path("/proc").glob("[0-9]*"):
        fields = process_fields(proc.name)
        if fields is not None and int(fields[3]) == sid and fields[0] != "Z":
            return True
    return False


def interrupt(
    proc: subprocess.Popen, sig: int, delay: float, finished: Callable[[], bool] | None = None
) -> bool:
    """Send ``sig`` after ``delay`` s; wait for every process of the session to end.

    SIGINT goes to the process group, as Ctrl-C in a terminal does; SIGTERM and SIGKILL go
    to the main process only. Returns whether the command was still running.

    ``finished()``, asked just before the signal is sent, says whether the command's work
    is all written. A signal sent then can land after the command has put back the
    previous handlers, while the interpreter shuts down and runs no handler (a SIGINT did,
    and the command exited 0, once in a fresh clone's ``make test``): that command counts as
    one that ended before its signal. A command that exits 0 after a signal sent before its
    work was written still fails.
    """
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        pass
    if proc.poll() is not None:  # it ended after the wait: no signal to send
        proc.log.unlink()
        return False
    done = finished is not None and finished()
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    proc.wait(timeout=60)
    deadline = time.time() + 60
    while _session_alive(proc.pid):  # workers left behind must end by themselves
        assert time.time() < deadline, "worker processes outlived their killed parent"
        time.sleep(0.1)
    err = proc.log.read_text()
    proc.log.unlink()
    if done and proc.returncode == 0:
        return False
    if sig != signal.SIGKILL:  # stopped cleanly, or before the command line was up
        assert proc.returncode in (128 + sig, -sig), err
        assert proc.returncode == -sig or "Traceback" not in err, err
    return True


def timed(*args, cwd=ROOT) -> float:
    """Run ``creator-sim ARGS`` to the end as a user would; its wall time in seconds."""
    t0 = time.perf_counter()
    proc = start(*args, cwd=cwd)
    assert proc.wait(timeout=600) == 0, proc.log.read_text()
    proc.log.unlink()
    return time.perf_counter() - t0


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def same_run(a: Path, b: Path) -> bool:
    return all((a / f).read_bytes() == (b / f).read_bytes() for f in SAME)


def holds(out: Path, new: Path) -> bool:
    """Whether ``out`` holds the complete run ``new`` holds (not while it is being moved in)."""
    try:
        return same_run(out, new)
    except OSError:
        return False


def killed_run(
    run: list,
    parent: Path,
    new: Path,
    sig: int,
    span: float,
    delay: Callable[[float], float],
    setup: Callable[[Path], object] | None = None,
) -> Path:
    """``run`` in a fresh folder ``parent``, killed with ``sig`` after ``delay(upper)`` seconds.

    ``upper`` starts at ``span`` (the run's timed length); a run that ended before its kill
    (had written ``new``'s results, :func:`interrupt`) was faster than the timed one, so the
    next try comes earlier, until a kill lands. ``setup(out)`` prepares each try's output
    folder. Returns it (``parent/out``).
    """
    out = parent / "out"
    upper = span
    while True:
        shutil.rmtree(parent, ignore_errors=True)
        parent.mkdir()
        if setup is not None:
            setup(out)
        proc = start(*run, "--out", out, cwd=parent)
        if interrupt(proc, sig, delay(upper), finished=lambda: holds(out, new)):
            return out
        upper = max(1.0, 0.7 * upper)


# ------------------------------------------------------------------ run
@pytest.mark.slow
def test_a_killed_run_leaves_a_complete_folder_or_none_and_the_next_run_completes(tmp_path, tried):
    run = ["run", SMALL, "--steps", 200, "--seed", 1, "--no-figures"]
    span = 0.9 * timed(*run, "--out", tmp_path / "new")  # kills fall before its end
    old = [*map(str, run[:5]), "2", "--no-figures", "--out", str(tmp_path / "old"), "--quiet"]
    assert main(old) == 0
    rng = random.Random(14)
    outcomes = {"none": 0, "previous": 0, "new": 0}
    leftovers = 0
    for i, sig in enumerate([*SIGNALS, *SIGNALS]):
        parent = tmp_path / f"k{i}"
        # Half the time the run replaces an earlier complete result.
        earlier = (lambda out: shutil.copytree(tmp_path / "old", out)) if i % 2 else None
        out = killed_run(
            run, parent, tmp_path / "new", sig, span, lambda upper: rng.uniform(0.5, upper), earlier
        )
        if out.exists():
            assert {p.name for p in out.iterdir()} == RUN_FILES
            state = "new" if same_run(out, tmp_path / "new") else "previous"
            assert state == "new" or same_run(out, tmp_path / "old")
        else:
            state = "none"
            assert not i % 2 or any(".out.old-" in h for h in hidden(parent))
        outcomes[state] += 1
        if sig != signal.SIGKILL:
            assert hidden(parent) == [], "SIGINT and SIGTERM clean up their temporaries"
        leftovers += len(hidden(parent))
        assert main([*map(str, run), "--out", str(out), "--quiet"]) == 0  # the next run
        assert hidden(parent) == [] and same_run(out, tmp_path / "new")
    tried(
        f"run: 6 kills (SIGINT, SIGTERM, SIGKILL x 2) left {outcomes['none']} no folder, "
        f"{outcomes['previous']} the previous complete one, {outcomes['new']} the new one; "
        f"{leftovers} SIGKILL leftover(s) recovered by the next run, which was byte-identical"
    )


@pytest.mark.slow
def test_a_run_killed_while_drawing_figures_leaves_no_helper_and_no_half_folder(tmp_path, tried):
    """Kills late in a run with figures, the figure helper's part among them."""
    run = ["run", SMALL, "--steps", 5, "--seed", 1]
    span = timed(*run, "--out", tmp_path / "new")
    figures = {p.name for p in (tmp_path / "new" / "figures").iterdir()}
    rng = random.Random(23)
    outcomes = {"none": 0, "new": 0}
    for i, sig in enumerate(SIGNALS):
        parent = tmp_path / f"k{i}"
        # interrupt() waits for every process of the command's session: the helper too.
        out = killed_run(
            run, parent, tmp_path / "new", sig, span, lambda upper: rng.uniform(0.6, 0.95) * upper
        )
        if out.exists():
            assert {p.name for p in out.iterdir()} == RUN_FILES | {"figures"}
            assert {p.name for p in (out / "figures").iterdir()} == figures
            assert same_run(out, tmp_path / "new")
        outcomes["new" if out.exists() else "none"] += 1
        if sig != signal.SIGKILL:
            assert hidden(parent) == [], "SIGINT and SIGTERM clean up their temporaries"
    tried(
        f"run with figures: 3 kills (SIGINT, SIGTERM, SIGKILL) late in the run left "
        f"{outcomes['none']} no folder and {outcomes['new']} the complete one, no helper"
    )


# ------------------------------------------------------------------ compare
@pytest.mark.slow
def test_a_killed_comparison_keeps_finished_runs_and_the_next_one_reuses_them(tmp_path, tried):
    whatif = tmp_path / "gain.toml"
    whatif.write_text(f'extends = "{SMALL}"\n[trust]\ntrust_gain = 0.4\n')
    args = [SMALL, whatif, "--replicates", 2, "--workers", 2, "--steps", 60, "--name", "c"]
    span = 0.9 * timed("compare", *args, "--results", tmp_path / "ref")
    reference = tmp_path / "ref" / "compare"
    root = tmp_path / "results"
    rng = random.Random(15)
    kept, hits = [], 0
    for sig in SIGNALS:  # each one resumes the last: kill early enough to land while it runs
        hits += interrupt(start("compare", *args, "--results", root), sig, rng.uniform(1, span / 2))
        runs = root / "compare" / "runs"
        finished = [] if not runs.exists() else sorted(runs.glob("*/seed-*"))
        for folder in finished:  # every run folder there is complete and exact
            ref = reference / "runs" / folder.parent.name / folder.name
            assert same_run(folder, ref)
        if sig != signal.SIGKILL and runs.exists():
            assert all(hidden(d) == [] for d in runs.iterdir()), "temporaries cleaned up"
        report = root / "compare" / "c"
        if report.exists():
            assert (report / "catalogue.md").read_bytes() == (
                reference / "c" / "catalogue.md"
            ).read_bytes()
        kept.append(len(finished))
    assert hits >= 2
    assert main(["compare", *map(str, args), "--results", str(root), "--quiet"]) == 0
    for name in ("catalogue.md", "differences.csv"):
        assert (root / "compare" / "c" / name).read_bytes() == (reference / "c" / name).read_bytes()
    assert all(hidden(d) == [] for d in (root / "compare" / "runs").iterdir())
    tried(
        f"compare: {hits} kills (of SIGINT, SIGTERM, SIGKILL) kept {kept} finished run "
        "folders, all complete and exact; the next comparison reused them and its tables "
        "were byte-identical"
    )


# ------------------------------------------------------------------ calibrate
@pytest.mark.slow
def test_a_killed_calibration_resumes_to_the_same_fit(tmp_path, tried):
    original = f'extends = "{SMALL}"\n[run]\nsteps = 20\n'
    (tmp_path / "r").mkdir()  # at the depth of the killed runs' files (relative extends)
    ref_file = tmp_path / "r" / "ref.toml"
    ref_file.write_text(original)
    calibrate = ["--seeds", 2, "--trials", 3, "--workers", 2, "--in-place"]
    span = 0.9 * timed("calibrate", ref_file, *calibrate, "--out", tmp_path / "r" / "cal")
    calibrated = ref_file.read_text()
    assert calibrated != original
    reference = {
        name: (tmp_path / "r" / "cal" / name).read_bytes()
        for name in ("history.csv", "report.json")
    }
    rng = random.Random(16)
    outcomes = []
    for i, sig in enumerate(SIGNALS):
        folder = tmp_path / f"k{i}"
        folder.mkdir()
        source = folder / "ref.toml"
        source.write_text(original)
        out = folder / "cal"
        proc = start("calibrate", source, *calibrate, "--out", out, cwd=folder)
        # Killed once i + 1 runs are stored (runs in flight are lost), or at a random moment.
        deadline = time.time() + span
        while len(rows(out / "runs.sqlite")) <= i and time.time() < deadline:
            time.sleep(0.05)
        interrupt(proc, sig, rng.uniform(0.0, 0.5))
        assert source.read_text() in (original, calibrated)  # old or new, never half
        if sig != signal.SIGKILL:
            assert hidden(folder) == []
        stored = len(rows(out / "runs.sqlite"))
        if source.read_text() == original:  # stopped before the end: the same command resumes
            timed("calibrate", source, *calibrate, "--out", out, cwd=folder)
        assert source.read_text() == calibrated
        record = json.loads((out / "report.json").read_text())
        assert (out / "history.csv").read_bytes() == reference["history.csv"]
        assert record["best"] == json.loads(reference["report.json"])["best"]
        outcomes.append(stored)
    tried(
        f"calibrate: 3 kills (SIGINT, SIGTERM, SIGKILL) with {outcomes} runs stored; the "
        "scenario file was always the original or the calibrated one, never half-written, and "
        "the same command resumed to the uninterrupted calibration's history and fit"
    )


# ------------------------------------------------------------------ validate
def stored_runs(path: Path) -> int:
    """Whole runs in a validation's store: its complete lines (a kill may cut the last)."""
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.slow
def test_a_killed_validation_resumes_from_its_stored_runs_to_the_same_tables(tmp_path, tried):
    short = tmp_path / "short.toml"
    short.write_text(f'extends = "{SMALL}"\n[run]\nsteps = 25\n')
    args = ["--baseline", short, "--only", "baseline", "counterfactuals", "--seeds", 2]
    args += ["--workers", 1]  # runs in the killed process itself (pools: the other kill tests)
    timed("validate", *args, "--out", tmp_path / "ref")
    tables = ("validation.csv", "counterfactuals.csv", "validation.md")
    reference = {name: (tmp_path / "ref" / name).read_bytes() for name in tables}
    out, store = tmp_path / "val", tmp_path / "val.runs.jsonl"
    outcomes = []
    for i, sig in enumerate((signal.SIGINT, signal.SIGKILL)):  # killed with 2, then 4 runs stored
        proc = start("validate", *args, "--out", out)
        deadline = time.time() + 120
        while stored_runs(store) < 2 * (i + 1) and time.time() < deadline:
            time.sleep(0.05)
        assert interrupt(proc, sig, 0.0), "the validation ended before it was killed"
        assert not out.exists() and hidden(tmp_path) == []  # no table from part of the runs
        outcomes.append(stored_runs(store))
    assert outcomes[0] >= 2 and outcomes[1] >= max(4, outcomes[0])  # nothing stored was lost
    timed("validate", *args, "--out", out)  # the same command: only the missing runs
    arms = 1 + len(COUNTERFACTUALS)  # the baseline and each counterfactual, on 2 seeds
    assert stored_runs(store) == 2 * arms
    assert {name: (out / name).read_bytes() for name in tables} == reference
    tried(
        f"validate: killed with SIGINT then SIGKILL ({outcomes} of {2 * arms} runs stored); "
        "the same command ran only the missing runs and wrote the uninterrupted validation's "
        "tables, byte for byte"
    )


# ------------------------------------------------------------------ sweeps
TINY = _TINY.replace("samples = 4", "samples = 10").replace("steps = 6", "steps = 40")


def rows(db_path: Path) -> list[tuple]:
    """The recorded runs (none while the database is still being created)."""
    if not db_path.exists():
        return []
    db = sqlite3.connect(db_path)
    try:
        return db.execute(
            "SELECT run, point, replicate, seed, params, status, metrics FROM runs ORDER BY run"
        ).fetchall()
    except sqlite3.OperationalError:  # no table yet
        return []
    finally:
        db.close()


@pytest.mark.slow
def test_a_sweep_killed_again_and_again_resumes_to_exactly_its_runs(tmp_path, tried):
    path = tmp_path / "tiny.toml"
    body = TINY.replace("samples = 10", "samples = 12")
    path.write_text(f'base = "{SMALL}"\n{body}')
    sweep = ["sweep", path, "--workers", 1]
    t0 = time.perf_counter()
    assert main([*map(str, sweep), "--results", str(tmp_path / "ref"), "--quiet"]) == 0
    span = 5.0 + time.perf_counter() - t0
    reference = rows(tmp_path / "ref" / "sweeps" / "tiny" / "runs.sqlite")
    assert len(reference) == 24 and {r[5] for r in reference} == {"ok"}
    root = tmp_path / "results"
    db_path = root / "sweeps" / "tiny" / "runs.sqlite"
    rng = random.Random(17)
    kills, counts = 0, []
    while kills < 5:
        before = len(rows(db_path))
        assert before < 24, f"the sweep finished before five kills ({counts}); make it longer"
        proc, target = start(*sweep, "--results", root), before + rng.randint(1, 2)
        deadline = time.time() + span
        while proc.poll() is None and time.time() < deadline:  # runs are being recorded
            if len(rows(db_path)) >= target:
                break
            time.sleep(0.05)
        kills += interrupt(proc, rng.choice(SIGNALS), rng.uniform(0.0, 0.3))
        now = rows(db_path)
        assert [r[0] for r in now] == sorted({r[0] for r in now})  # no duplicates
        assert set(now) <= set(reference)  # every recorded row whole and exact
        counts.append(len(now))
    assert main([*map(str, sweep), "--results", str(root), "--quiet"]) == 0
    assert rows(db_path) == reference  # the same runs as one uninterrupted sweep, byte for byte
    tried(
        f"sweep: {kills} kills at random moments (random signals) with {counts} of 24 runs "
        "recorded; the resumed sweep held exactly the 24 runs of an uninterrupted one"
    )


@pytest.mark.slow
def test_a_sweep_survives_a_dask_worker_that_dies(tmp_path, tried):
    import threading

    from dask.distributed import Client, LocalCluster

    path = tmp_path / "tiny.toml"
    path.write_text(f'base = "{SMALL}"\n{TINY.replace("steps = 40", "steps = 80")}')
    sweep, base = spec.load_sweep(path)
    todo = design.tasks(sweep, design.make_design(sweep), base)
    db = store.RunStore(tmp_path / "runs.sqlite", "d")
    with LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address="127.0.0.1:0", silence_logs=50
    ) as cluster:
        with Client(cluster) as client:
            pids = list(client.run(os.getpid).values())
        first_rows = threading.Event()
        seen = []

        def on_row(row):
            seen.append(row)
            if len(seen) == 2:
                first_rows.set()

        def killer():
            first_rows.wait(120)
            os.kill(pids[0], signal.SIGKILL)  # the nanny starts a new worker

        thread = threading.Thread(target=killer)
        thread.start()
        lost = execute.execute(todo, db, scheduler=cluster.scheduler_address, on_row=on_row)
        thread.join()
    frame = db.frame()
    db.close()
    assert lost == []
    assert sorted(frame["run"]) == list(range(len(todo))) and set(frame["status"]) == {"ok"}
    tried(
        f"sweep: a Dask worker killed (SIGKILL) mid-sweep; all {len(todo)} runs finished "
        "and were recorded once"
    )


# ------------------------------------------------------------------ a model that raises
def _failing_on(day: int):
    def phase(model, record):
        if model.steps == day:
            raise FloatingPointError("an invented failure")

    return (*model_module.PHASES, ("failing", phase))


def test_a_run_that_raises_names_scenario_seed_and_day_and_writes_nothing(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(model_module, "PHASES", _failing_on(12))
    out = tmp_path / "out"
    code = main(["run", str(SMALL), "--steps", "30", "--seed", "3", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"{SMALL}: the model raised on measured day 12 with seed 3" in err
    assert "FloatingPointError: an invented failure" in err
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_records_a_run_that_raises_as_failed_and_goes_on(tmp_path, monkeypatch):
    from dask.distributed import LocalCluster

    monkeypatch.setattr(model_module, "PHASES", _failing_on(4))
    path = tmp_path / "tiny.toml"
    path.write_text(f'base = "{SMALL}"\n{TINY.replace("samples = 10", "samples = 2")}')
    sweep, base = spec.load_sweep(path)
    todo = design.tasks(sweep, design.make_design(sweep), base)
    db = store.RunStore(tmp_path / "runs.sqlite", "d")
    with LocalCluster(processes=False, n_workers=1, dashboard_address="127.0.0.1:0") as cluster:
        execute.execute(todo, db, scheduler=cluster.scheduler_address)  # threads: patched
    frame = db.frame()
    db.close()
    assert sorted(frame["run"]) == list(range(4)) and set(frame["status"]) == {"failed"}
    for error, seed in zip(frame["error"], frame["seed"], strict=True):
        assert f"the model raised on measured day 4 with seed {seed}" in error
        assert "an invented failure" in error and "tiny.toml" in error


def test_a_stop_signal_whose_exception_a_finalizer_swallowed_is_raised_again():
    """Ctrl-C landing in a ``__del__`` (numba freeing LLVM objects on a first run) still stops.

    Python ignores an exception raised inside a finalizer (and prints "Exception ignored
    ... Traceback"); the run loop and the command line raise the remembered signal again,
    and the swallowed one is not printed. In a fresh interpreter, whose hooks are Python's.
    """
    code = (
        "import os, signal\n"
        "from simulation.folders import raise_if_stopped, stopping_on_signals\n"
        "class Finalized:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGINT)  # the handler runs inside __del__\n"
        "before = signal.getsignal(signal.SIGINT)\n"
        "with stopping_on_signals():\n"
        "    Finalized()  # freed at once: KeyboardInterrupt raised in __del__, swallowed\n"
        "    try:\n"
        "        raise_if_stopped()\n"
        "    except KeyboardInterrupt:\n"
        "        print('raised again')\n"
        "assert signal.getsignal(signal.SIGINT) is before\n"
        "raise_if_stopped()  # outside, nothing is remembered\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["raised", "again"]
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_a_stop_swallowed_while_waiting_on_worker_processes_ends_the_wait():
    """A process waiting on its workers notices a stop a finalizer swallowed, within a second.

    CI saw a calibration go on for a minute after Ctrl-C: the signal landed in a finalizer
    of a finished process pool, Python swallowed it, and the parent only waited on its next
    pool (no simulated day of its own to raise it at). In a fresh interpreter: the
    swallowed stop is planted 1 s into a wait on two 20 s jobs.
    """
    code = (
        "import os, signal, time\n"
        "from simulation.folders import stopping_on_signals\n"
        "from simulation.runner import as_completed\n"
        "class Finalized:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGINT)  # the handler runs inside __del__\n"
        "signal.signal(signal.SIGALRM, lambda *a: Finalized())  # swallowed 1 s in\n"
        "with stopping_on_signals():\n"
        "    t0 = time.perf_counter()\n"
        "    signal.setitimer(signal.ITIMER_REAL, 1.0)\n"
        "    try:\n"
        "        for _ in as_completed(time.sleep, [(20,), (20,)], workers=2):\n"
        "            pass\n"
        "    except KeyboardInterrupt:\n"
        "        print(f'stopped after {time.perf_counter() - t0:.1f} s')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    words = done.stdout.split()
    assert words[:2] == ["stopped", "after"], done.stdout + done.stderr
    assert float(words[2]) < 5.0  # not after the 20 s jobs
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def _ctrl_c_while(code: str, first_line: str, wait: float) -> tuple[int, str, str, float]:
    """Run ``python -c code`` in its own session; when it has printed ``first_line`` and
    ``wait`` seconds more have passed, send SIGINT to its group, as Ctrl-C does. Returns its
    exit code, output and errors and the seconds it took to end; every process of the
    session must end by itself within 10 s."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == first_line
        time.sleep(wait)
        t0 = time.perf_counter()
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        took = time.perf_counter() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    deadline = time.time() + 10
    while _session_alive(proc.pid):
        assert time.time() < deadline, "processes outlived the stopped parent"
        time.sleep(0.1)
    return proc.returncode, out, err, took


def test_ctrl_c_while_a_worker_waits_for_a_task_stops_at_once_and_leaves_no_worker():
    """Ctrl-C reaches the whole group; the parent alone stops the workers.

    CI saw a calibration hang after Ctrl-C, now and then: a pool worker idle between tasks
    holds the task queue's lock while it waits, died of the SIGINT holding it, and the
    parent's ``Pool.terminate`` then waited for that lock forever. Here one job of two
    ends at once, so its worker waits for a task when the group gets SIGINT.
    """
    code = (
        "import sys, time\n"
        "from simulation.folders import stopping_on_signals\n"
        "from simulation.runner import as_completed\n"
        "with stopping_on_signals():\n"
        "    try:\n"
        "        for i, _ in as_completed(time.sleep, [(0,), (60,)], workers=2):\n"
        "            print('done', i, flush=True)\n"
        "    except KeyboardInterrupt:\n"
        "        print('stopped', flush=True)\n"
    )
    # 1 s after the first job: its worker is waiting for a task
    rc, out, err, took = _ctrl_c_while(code, "done 0", wait=1.0)
    assert rc == 0 and out.split() == ["stopped"], out + err
    assert took < 5.0
    assert "Traceback" not in err


def test_ctrl_c_while_the_forkserver_imports_the_package_stops_quietly():
    """The forkserver imports the package (seconds) before it forks a pool's workers; a
    Ctrl-C to the group meanwhile must not print a KeyboardInterrupt from inside it, nor
    leave it to fork a worker for the stopped pool later."""
    code = (
        "from simulation.folders import stopping_on_signals\n"
        "from simulation.runner import as_completed\n"
        "with stopping_on_signals():\n"
        "    print('starting', flush=True)\n"
        "    try:\n"
        "        list(as_completed(abs, [(-1,), (-2,)], workers=2))\n"
        "        print('finished', flush=True)\n"
        "    except KeyboardInterrupt:\n"
        "        print('stopped', flush=True)\n"
    )
    # 0.3 s after the start: the server is importing NumPy, pandas, Mesa, numba and the model
    rc, out, err, _ = _ctrl_c_while(code, "starting", wait=0.3)
    assert rc == 0 and out.split() in (["stopped"], ["finished"]), out + err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


def _sigint_handler(_: int) -> object:
    return signal.getsignal(signal.SIGINT)


def test_pool_workers_ignore_ctrl_c_from_their_start():
    """Workers forked by the server start with SIGINT ignored, before their initializer
    runs (a worker killed by Ctrl-C while it holds the task queue's lock hangs the pool)."""
    import multiprocessing

    from simulation import runner

    runner._start_forkserver()
    with multiprocessing.get_context("forkserver").Pool(1) as pool:  # no initializer
        assert pool.map(_sigint_handler, [0]) == [signal.SIG_IGN]


def test_after_the_command_ctrl_c_ends_the_process_instead_of_being_lost():
    """While Python shuts down it runs no signal handler; the console script leaves SIGINT
    to the operating system, so a late Ctrl-C kills the process rather than exit 0."""
    code = (
        "import signal, sys\n"
        "from simulation.cli import console\n"
        f"sys.argv = ['creator-sim', 'check', {str(SMALL)!r}]\n"
        "assert console() == 0\n"
        "print(signal.getsignal(signal.SIGINT) is signal.SIG_DFL)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "True"


def test_a_stop_waits_while_numba_loads_or_compiles_a_kernel():
    """A SIGTERM inside numba's compiler lock is raised after it, not inside it.

    An exception raised while numba loaded a kernel from its cache broke numba's state: a
    run stopped by SIGTERM in its first days died of a segmentation fault about once in
    400 tries. The stop now waits for the lock's release and the next check raises it.
    """
    import numba.core.compiler_lock

    import simulation.mechanisms  # noqa: F401  (registers the compiler-lock listener)
    from simulation.folders import Stopped, raise_if_stopped, stopping_on_signals

    reached_end_of_lock = False
    with stopping_on_signals():
        with numba.core.compiler_lock.global_compiler_lock:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # the handler runs here, between bytecodes
            reached_end_of_lock = True
        assert reached_end_of_lock
        with pytest.raises(Stopped):
            raise_if_stopped()
        with pytest.raises(Stopped):  # outside the lock a stop raises at once
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)


STOPS_DURING_KERNEL_CALLS = """
import os, signal, sys
import numpy as np
from simulation.folders import Stopped, raise_if_stopped, stopping_on_signals
from simulation.mechanisms import kernels

n = 10
args = (np.ones((n, 1)), np.ones(n, bool), np.ones(1), np.zeros((1, 1), bool), 0.0,
        np.zeros(n + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int8), 0, n,
        np.zeros(n, np.int32), np.zeros(0, bool))
g = np.random.default_rng(1)
kernels.count_slots(g, *args)  # loaded before the first stop
stops = 0
for i in range(200):
    with stopping_on_signals():
        signal.signal(signal.SIGALRM, lambda s, f: os.kill(os.getpid(), signal.SIGTERM))
        try:  # on a loaded machine the timer can fire before the loop starts
            signal.setitimer(signal.ITIMER_REAL, 1e-4 * (1 + i % 20))
            while True:  # a day's kernel calls, then the runner's check
                for _ in range(50):
                    kernels.count_slots(g, *args)
                raise_if_stopped()
        except Stopped:
            stops += 1
print(stops)
"""


def test_a_stop_never_unwinds_numba_passing_a_generator_to_a_kernel():
    """200 SIGTERMs during kernel calls that take a Generator: 200 clean stops, no crash.

    numba converts a ``np.random.Generator`` argument by calling ``ctypes.cast`` (Python)
    and reads the result unchecked: a stop raised there killed the process with SIGSEGV
    (CI, a run stopped by SIGTERM; this loop crashed on its first stops before the fix).
    The stop is now recorded there and raised at the runner's next check.
    """
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", STOPS_DURING_KERNEL_CALLS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["200"]
