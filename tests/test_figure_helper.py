"""The figure helper: a forked process that draws half of a run's figures beside the command.

Each test runs a fresh Python process, as ``creator-sim`` is: a helper is forked only by a
process with a single thread, which a pytest worker may not be.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import QUICKSTART, SMALL, process_fields

from simulation import cli, plots
from simulation.figure_helper import FIGURE_FOLDER, draw_figures

# Draws a results folder's figures with a helper; every figure drawn is logged with the
# process that drew it. With "fail", the helper's drawing raises. The logging needs the
# figures' module before the fork, and NumPy's and pandas' threads with it: the check that
# keeps the command from forking then is set aside (test_the_command_forks_before_any_thread).
DRAW = """
import os, sys, warnings
from pathlib import Path
from simulation import figure_helper, plots
from simulation.figure_helper import FigureHelper

figure_helper._threads = lambda: 1
warnings.simplefilter("ignore", DeprecationWarning)

folder, log, fail = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "fail"
command, save = os.getpid(), plots.save

def logged(name, *args):
    if fail and os.getpid() != command:
        raise OSError("no space left on device while drawing " + name)
    with open(log, "a") as f:
        f.write(f"{os.getpid()} {name}\\n")
    return save(name, *args)

plots.save = logged
helper = FigureHelper.start()
assert helper is not None, "a process with one thread forks its helper"
pid = helper.pid
with helper:
    helper.draw(folder)
print(command, pid)
"""


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A results folder without figures (5 days of the small scenario)."""
    out = tmp_path_factory.mktemp("helper") / "run"
    run = ["run", str(SMALL), "--steps", "5", "--out", str(out), "--quiet", "--no-figures"]
    assert cli.main(run) == 0
    return out


def fresh(written: Path, where: Path) -> Path:
    folder = where / "run"
    shutil.copytree(written, folder)
    (folder / FIGURE_FOLDER).mkdir()
    return folder


def draw(folder: Path, log: Path, mode: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", DRAW, str(folder), str(log), mode],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_both_processes_draw_and_every_figure_is_the_one_drawn_alone(written, tmp_path):
    folder, log = fresh(written, tmp_path), tmp_path / "drawn.log"
    proc = draw(folder, log)
    assert proc.returncode == 0, proc.stderr
    command, helper = map(int, proc.stdout.split())
    drawn = [line.split() for line in log.read_text().splitlines()]
    assert sorted(name for _, name in drawn) == sorted(plots.FIGURES)  # each once
    assert {int(pid) for pid, _ in drawn} == {command, helper}  # both took figures
    alone = fresh(written, tmp_path / "alone")
    draw_figures(alone)
    for name in plots.FIGURES:
        png = f"{FIGURE_FOLDER}/{name}.png"
        assert (folder / png).read_bytes() == (alone / png).read_bytes(), name


def test_a_failing_helper_fails_the_command_with_its_traceback(written, tmp_path):
    proc = draw(fresh(written, tmp_path), tmp_path / "drawn.log", "fail")
    assert proc.returncode == 1
    assert "the figure helper failed" in proc.stderr
    assert "no space left on device while drawing" in proc.stderr


def _alive(pid: int) -> bool:
    fields = process_fields(pid)
    return fields is not None and fields[0] != "Z"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_the_helper_ends_with_its_command(sig):
    """Killed while the model runs, the command leaves no helper waiting for figures."""
    script = (
        "import sys, time\n"
        "from simulation.figure_helper import FigureHelper\n"
        "helper = FigureHelper.start()\n"
        "with helper:\n"
        "    print(helper.pid, flush=True)\n"
        "    time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    helper = int(proc.stdout.readline())
    assert _alive(helper)
    proc.send_signal(sig)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while _alive(helper):
        assert time.monotonic() < deadline, f"the helper outlived its command ({sig.name})"
        time.sleep(0.05)


def test_the_command_forks_before_any_thread():
    """``creator-sim run`` forks its helper after reading the scenario, with one thread."""
    check = (
        "import simulation.cli, simulation.figure_helper as f\n"
        "from simulation.resources import check_memory\n"
        "from simulation.scenario import load_scenario\n"
        f"check_memory([load_scenario({str(QUICKSTART)!r})])\n"
        "print(f._threads())"
    )
    proc = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["1"], proc.stderr


def test_bad_input_is_reported_without_a_helper(tmp_path):
    """A scenario file that cannot be read fails at once: no helper was forked to wait for.

    ``-X importtime`` lists every import on standard error, a forked helper's too.
    """
    missing = tmp_path / "none.toml"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "simulation", "run", str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "scenario file not found" in proc.stderr
    assert "matplotlib" not in proc.stderr and "numpy" not in proc.stderr


def test_the_command_runs_with_a_helper_and_writes_every_figure(tmp_path):
    """``creator-sim run`` as a user runs it: a helper is forked, the figures are all there."""
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "simulation", "run", str(SMALL), "--steps", "3", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | {"PYTHONFAULTHANDLER": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.stem for p in (out / FIGURE_FOLDER).iterdir()) == sorted(plots.FIGURES)
    assert "Traceback" not in proc.stderr and "Warning" not in proc.stderr, proc.stderr
