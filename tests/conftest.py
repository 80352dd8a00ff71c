import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Two pytest-xdist workers already keep both cores busy: each runs its models' blocks on one
# thread (set before the package is imported; tests of thread counts set them explicitly).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("CREATOR_SIM_THREADS", "1")

from simulation import CreatorEconomy, load_scenario
from simulation.runner import compile_kernels

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "data" / "small.toml"
BASELINE = ROOT / "scenarios" / "baseline.toml"
QUICKSTART = ROOT / "scenarios" / "quickstart.toml"  # the baseline market at 20,000 fans


def pytest_configure(config):
    """Compile the kernels once, before pytest-xdist starts its workers.

    numba keeps compiled kernels on disk, but a fresh clone has none: each worker, and
    each command a test starts meanwhile, would compile the same kernels side by side
    (about 14 s of one core each). ``make`` has compiled them when it installed the
    package; otherwise this does, and the workers then load them from the cache.
    """
    if getattr(config.option, "numprocesses", None) and not os.environ.get("PYTEST_XDIST_WORKER"):
        compile_kernels()


@pytest.fixture(scope="session")
def small_scenario():
    return load_scenario(SMALL)


@contextmanager
def shared_folder(tmp_path_factory, name: str) -> Iterator[Path]:
    """``name``'s folder in this session's temporary folder, the same for every pytest-xdist
    worker, held under a lock: the first worker to take it makes what the others read."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, above each worker's own
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield root / name


@pytest.fixture(scope="session")
def quickstart_run(tmp_path_factory) -> Path:
    """``make run``'s folder: the quick start (seed 20261123) run by the CLI, once per suite.

    The regression test and the README's account of this run read the same files, from
    whichever pytest-xdist worker (a run's folder appears whole or not at all).
    """
    from simulation.cli import main

    with shared_folder(tmp_path_factory, "quickstart-run") as out:
        if not (out / "summary.json").exists():
            args = ["run", str(QUICKSTART), "--out", str(out), "--quiet", "--no-figures"]
            assert main(args) == 0
    return out


def process_fields(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command's name (state first, session at
    index 3), or None once the process is gone; the name may hold spaces and parentheses."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def run_phase(model: CreatorEconomy, name: str, day: int, record=None):
    """Run one phase of the day (``simulation.phases.PHASES``) on a fresh or given day record."""
    from simulation.phases import PHASES

    record = record or model.new_day()
    record.index = day
    model.day = record
    dict(PHASES)[name](model, record)
    return record


def small_model(seed: int = 1, **overrides) -> CreatorEconomy:
    """The small test scenario's model with some parameters changed."""
    params = load_scenario(SMALL).model_params() | overrides
    return CreatorEconomy(rng=seed, **params)


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium for browser tests, installed with apt-get when missing."""
    import shutil
    import subprocess

    if not CHROMIUM.exists():
        if shutil.which("apt-get") is None:
            pytest.skip("no /usr/bin/chromium and no apt-get to install it")
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if done.returncode:
                pytest.fail(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return CHROMIUM


@pytest.fixture
def browser(chromium):
    """A headless Chromium driven by Playwright, without background networking."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(chromium),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


# ------------------------------------------------------------------ reliability figures
# Tests of the reliability promises (docs/reliability.md) record what they tried with the
# ``tried`` fixture: "fuzz: 10000 scenario files generated, 0 crashes". The lines travel
# with the test reports (also from xdist workers) and are printed at the end of the run.
@pytest.fixture
def tried(record_property):
    """Record one line of what a reliability test tried, printed in the run's summary."""
    return lambda line: record_property("tried", line)


def pytest_terminal_summary(terminalreporter):
    lines = [
        f"{value}  [{report.nodeid.split('::')[-1]}]"
        for report in terminalreporter.stats.get("passed", [])
        for key, value in report.user_properties
        if key == "tried"
    ]
    if lines:
        terminalreporter.section("reliability: what the hardening tests tried")
        for line in sorted(lines):
            terminalreporter.write_line(line)
