"""Where results go and how they get there: complete or not at all, and only where asked.

Every results folder and replaced file is written beside its target under a hidden name
that carries the writer's process id (``.<name>.tmp-<pid>-<token>``), flushed to disk
(fsync) and renamed into place, so a reader sees the old complete version or the new
complete one and never a mixture. A writer stopped by SIGINT or SIGTERM removes its
temporary; one stopped by SIGKILL (or a power cut) leaves it, and the next writer of the
same target removes what dead writers left (:func:`recover`) and, if a kill fell between
the two renames of a replacement, puts the previous complete folder back.

Folders are created only under the output root a user chose: names that come from files
or options (a scenario's name, ``--name``) must be plain names (:func:`inside`), and an
existing folder is replaced only if this tool wrote it (it holds :data:`MARKER`).
"""

from __future__ import annotations

import ctypes
import os
import re
import secrets
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from simulation.scenario import ScenarioError

MARKER = ".creator-sim"  # in every folder written here: the only folders it will replace
_writing: set[Path] = set()  # this process's temporaries, removed by a worker that is stopped


def inside(root: str | Path, *names: str) -> Path:
    """``root/names...``, refusing any name that is not a plain folder name.

    A name with a path separator, ``.``, ``..``, a leading dot (hidden names are this
    module's temporaries) or control characters could put results outside ``root``.
    """
    root = Path(root)
    for name in names:
        if (
            not name
            or name in (".", "..")
            or name.startswith(".")
            or re.search(r"[/\\\x00-\x1f]", name)
        ):
            raise ScenarioError(
                f"results name {name!r}: expected a plain folder name (no '/', no leading '.'); "
                f"results are written only under {root}"
            )
    path = root.joinpath(*names)
    if not path.resolve().is_relative_to(root.resolve()):  # a symbolic link out of root
        raise ScenarioError(f"{path}: resolves outside the results root {root.resolve()}")
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _temporary(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def recover(target: str | Path) -> int:
    """Clean up after writers of ``target`` that died; return how many leftovers were handled.

    A dead writer's temporary is removed. A previous version it had moved aside (``old``)
    is put back when the target is missing (the kill fell between the two renames), and
    removed otherwise. Leftovers of live processes are left alone.
    """
    target = Path(target)
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(tmp|old)-(\d+)-[0-9a-f]+$")
    handled = 0
    if not target.parent.is_dir():
        return 0
    for path in sorted(target.parent.iterdir()):
        m = pattern.match(path.name)
        if not m or _alive(int(m.group(2))):
            continue
        if m.group(1) == "old" and not target.exists():
            path.rename(target)
        else:
            _remove(path)
        handled += 1
    return handled


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        _fsync(path)
    _fsync(folder)


@contextmanager
def atomic_folder(out: str | Path) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``out`` only if the block completes.

    An interrupted or failing writer leaves ``out`` as it was and no temporary behind.
    An existing ``out`` is replaced only if this tool wrote it (it holds :data:`MARKER`)
    or it is empty: ``--out ~`` must not delete a home folder.
    """
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out)
    if out.exists() and not (out.is_dir() and ((out / MARKER).exists() or not any(out.iterdir()))):
        raise ScenarioError(
            f"{out}: exists and was not written by creator-sim; refusing to replace it "
            "(choose another output folder, or move it away)"
        )
    tmp = _temporary(out, "tmp")
    tmp.mkdir(mode=0o755)
    _writing.add(tmp)
    try:
        yield tmp
        (tmp / MARKER).write_text("written by creator-sim; replaced by its next run\n")
        _sync_tree(tmp)
        if out.exists():
            old = _temporary(out, "old")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
        _fsync(out.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        _writing.discard(tmp)


def replace_file(path: str | Path, write: Callable[[Path], None]) -> None:
    """Write a file through ``write(temporary)``, flush it and move it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recover(path)
    tmp = _temporary(path, "tmp")
    _writing.add(tmp)
    try:
        write(tmp)
        _fsync(tmp)
        tmp.replace(path)
        _fsync(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        _writing.discard(tmp)


class Stopped(BaseException):
    """SIGTERM asked this process to stop: it unwinds through ``finally`` blocks like Ctrl-C.

    A ``BaseException``, so that no ``except Exception`` (a sweep recording a failed run)
    mistakes it for a run's error; not a ``KeyboardInterrupt``, which Python reports at
    exit as a death by SIGINT.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# Signals that asked this process to stop, kept after their exception was raised: Python
# swallows an exception raised inside a ``__del__`` (numba compiling on a first run frees
# LLVM objects all the time), and ``raise_if_stopped`` raises it again.
_requested: list[int] = []


@contextmanager
def stopping_on_signals() -> Iterator[None]:
    """Inside: SIGINT and SIGTERM stop this process, ``finally`` blocks run, temporaries go.

    SIGINT raises ``KeyboardInterrupt`` as Python's own handler does, SIGTERM ``Stopped``;
    both are remembered for :func:`raise_if_stopped`. The previous handlers come back on
    the way out. Main thread only.
    """
    stop = (signal.SIGINT, signal.SIGTERM)
    previous = [signal.getsignal(s) for s in stop]
    previous_hook = sys.unraisablehook

    def quiet_stops(unraisable: object) -> None:
        # A stop swallowed in a finalizer or a ctypes callback is raised again at the next
        # day: no "Exception ignored ... Traceback" for the user to read.
        if not isinstance(getattr(unraisable, "exc_value", None), KeyboardInterrupt | Stopped):
            previous_hook(unraisable)

    _requested.clear()
    for s in stop:
        signal.signal(s, _raise_stop)
    sys.unraisablehook = quiet_stops
    try:
        yield
    finally:
        for s, handler in zip(stop, previous, strict=True):
            signal.signal(s, handler)
        sys.unraisablehook = previous_hook
        _requested.clear()


# Depth of code that a stop must not unwind halfway, over every thread: numba loading a
# kernel from its cache or compiling it (``simulation.mechanisms`` marks it through numba's
# compiler-lock events). An exception raised there left numba's state broken, and the
# process died of a segmentation fault in numba's cache loader (faulthandler's trace; once
# in CI and once in 415 small runs stopped by SIGTERM in their first seconds). Inside, a
# stop signal is only recorded; the next :func:`raise_if_stopped` (the runner calls it after
# every day) raises it.
_deferring = 0
_deferring_lock = threading.Lock()


def defer_stops(entering: bool) -> None:
    """Enter (True) or leave (False) code that a stop signal must not interrupt; nests."""
    global _deferring
    with _deferring_lock:
        _deferring += 1 if entering else -1


def raise_if_stopped() -> None:
    """Raise a stop signal that was swallowed or deferred (see ``_requested``, ``_deferring``)."""
    if _requested:
        _raise_stop(_requested[0], None)


# Where ctypes' Python code lives. A stop landing there is only recorded, like one inside
# numba's compiler lock, and the next :func:`raise_if_stopped` raises it: numba passes a
# ``np.random.Generator`` to a kernel by calling ``ctypes.cast`` (Python code) from its
# compiled argument conversion and uses the result unchecked (``unbox_numpy_random_
# bitgenerator`` in numba/core/boxing.py), so an exception raised there was a NULL that it
# read, and the process died of SIGSEGV with the kernel's caller on top of faulthandler's
# trace (CI, a run stopped by SIGTERM; a timer sending SIGTERM during kernel calls crashed
# 16 of 30 processes, none after the change).
_CTYPES = os.path.dirname(ctypes.__file__) + os.sep


def _unwinds_ctypes(frame: FrameType | None) -> bool:
    """Whether an exception raised in ``frame`` would unwind through ctypes' code."""
    while frame is not None:
        if frame.f_code.co_filename.startswith(_CTYPES):
            return True
        frame = frame.f_back
    return False


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    if signum not in _requested:
        _requested.append(signum)
    if _deferring or _unwinds_ctypes(frame):
        return
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stopped(signum)


def worker_signals() -> None:
    """In a worker process: SIGTERM removes its temporaries and ends it; SIGINT is ignored.

    Ctrl-C reaches every process of the terminal's group. Only the parent acts on it: it
    takes the task queue's lock and then terminates its workers with SIGTERM. A worker that
    died of the SIGINT itself could die holding that lock (an idle worker holds it while it
    waits for a task) or the result queue's, and the parent's ``Pool.terminate`` would then
    wait for it forever. The worker exits with ``os._exit`` rather than an exception for
    the same reason: an exception raised by a signal can land between a lock's acquisition
    and the block that releases it. Its parent reports the interruption once.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit)


def _exit(signum: int, frame: object) -> None:
    for path in list(_writing):
        _remove(path)
    os._exit(128 + signum)
