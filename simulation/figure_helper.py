"""A second process that draws half of a run's figures, so ``creator-sim run`` ends sooner.

Drawing the eleven figures of a results folder took a second on one core, after a quarter
of a second importing matplotlib, while the machine's other core had nothing to do. The
helper is forked once the command has read its scenario, before anything makes a thread,
and imports matplotlib while the model runs. Once the folder's files are written, it and
this process take the figures one at a time from a shared counter, as the engine's threads
take blocks (:mod:`simulation.mechanisms.blocks`), until none is left.

Both processes draw from the written ``timeseries.csv`` and ``creators.csv``, so every
figure is the same, byte for byte, whichever process drew it, and the same as without a
helper (:func:`draw_figures`). The helper ignores Ctrl-C: the command handles it and ends
the helper (:meth:`FigureHelper.close`), and a helper whose command died reads the end
of its pipe and exits.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import signal
import sys
import traceback
from functools import partial
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

from simulation.scenario import RunError

FIGURE_FOLDER = "figures"  # the results folder's subfolder of figures


def draw_figures(folder: Path, counter: Synchronized | None = None) -> None:
    """Draw the figures of results ``folder`` from its files into ``folder/figures``.

    With ``counter`` (shared with another process), only the figures this process takes
    from it; without, all of them. The ``figures`` folder must exist: a helper whose
    results folder was removed meanwhile fails instead of making it again.
    """
    import pandas as pd

    from simulation import plots  # matplotlib: imported only where figures are drawn

    ts, creators = (pd.read_csv(folder / f) for f in ("timeseries.csv", "creators.csv"))
    names = list(plots.FIGURES)
    take = itertools.count().__next__ if counter is None else partial(_take, counter)
    while (i := take()) < len(names):
        plots.save(names[i], ts, creators, folder / FIGURE_FOLDER)


def _take(counter: Synchronized) -> int:
    with counter.get_lock():
        i = counter.value
        counter.value = i + 1
    return i


class FigureHelper:
    """The helper process, seen from the command: start, draw a folder's figures, close."""

    def __init__(self, pid: int, tasks: int, replies: int, counter: Synchronized) -> None:
        self.pid = pid
        self._tasks: int | None = tasks  # write end of the pipe the helper waits on
        self._replies = replies  # read end of the helper's answer: "ok" or a traceback
        self._counter = counter

    @classmethod
    def start(cls) -> FigureHelper | None:
        """Fork the helper on Linux; None where this process has threads already, or elsewhere.

        A fork copies only the calling thread, and a lock another thread held stays held
        in the copy forever (Python warns): the helper is forked before anything else runs,
        NumPy included (OpenBLAS starts its threads when NumPy is imported). macOS's system
        libraries are not safe to use in a forked child at all, and Windows cannot fork:
        there the command draws every figure itself.
        """
        if not sys.platform.startswith("linux") or _threads() > 1:
            return None
        counter = multiprocessing.Value("i", 0)  # the next figure to take, in both processes
        tasks_r, tasks_w = os.pipe()
        replies_r, replies_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the helper: never returns
            os.close(tasks_w)
            os.close(replies_r)
            _serve(tasks_r, replies_w, counter)
        os.close(tasks_r)
        os.close(replies_w)
        return cls(pid, tasks_w, replies_r, counter)

    def draw(self, folder: Path) -> None:
        """Draw every figure of results ``folder``, the helper and this process side by side.

        Raises:
            RunError: the helper failed; the message holds its traceback.
        """
        with contextlib.suppress(BrokenPipeError):  # it died already: its reply says why
            os.write(self._tasks, f"{folder}\n".encode())
        os.close(self._tasks)
        self._tasks = None
        try:
            draw_figures(folder, self._counter)
            reply = _read_all(self._replies)  # until the helper exits: its figures are written
        except BaseException:
            self.close()  # killed before the caller removes the folder it is writing into
            raise
        self._wait()
        if reply != b"ok":
            raise RunError(f"{folder}: the figure helper failed:\n{reply.decode(errors='replace')}")

    def close(self) -> None:
        """End the helper: unused, it exits when its pipe closes; still drawing, it is killed."""
        if self.pid is None:
            return
        if self._tasks is not None:
            os.close(self._tasks)  # it reads the end of its pipe and exits
            self._tasks = None
        else:  # this process stopped while both were drawing: the folder is going away
            os.kill(self.pid, signal.SIGKILL)
        self._wait()

    def _wait(self) -> None:
        os.close(self._replies)
        os.waitpid(self.pid, 0)
        self.pid = None

    def __enter__(self) -> FigureHelper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _threads() -> int:
    """This process's threads (Linux lists them in ``/proc``), Python's or not."""
    return len(os.listdir("/proc/self/task"))


def _serve(tasks: int, replies: int, counter: Synchronized) -> None:
    """The helper's life: import matplotlib, wait for a folder, draw its share, exit."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's to handle
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        from simulation import plots  # noqa: F401  (while the command runs the model)

        with os.fdopen(tasks) as pipe:
            folder = pipe.readline().rstrip("\n")
        if folder:  # nothing when the command ends without figures
            draw_figures(Path(folder), counter)
        os.write(replies, b"ok")
        code = 0
    except BaseException:
        os.write(replies, traceback.format_exc().encode())
    finally:
        os._exit(code)  # never the command's own exit path (its handlers, its buffers)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)
