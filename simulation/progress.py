"""Progress of long work on stderr: a live bar on a terminal, dated lines in a log.

A full-scale validation runs for hours, often under ``nohup``, a batch scheduler or CI,
whose output is a file. There a live bar draws nothing until it stops (rich renders a
console that is not a terminal once, at the end), so the log says nothing for hours. Off
a terminal, :class:`Bar` writes a line when work finishes, at most every ``every``
seconds, and always the last one::

    2026-12-03 03:50:12  validating scenarios/baseline.toml: 12/70 runs, 1:32:10 elapsed,
    about 7:25:30 left

(one line in the log).
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta
from typing import TextIO


def _clock(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))


class Bar:
    """Done of ``total`` units (runs, days) with the time spent and the time left.

    ``quiet`` shows nothing; ``terminal`` (default: whether ``stream`` is one) chooses the
    live bar or the lines. Use as a context manager; :meth:`advance` after each unit.
    """

    def __init__(
        self,
        description: str,
        total: int,
        unit: str = "runs",
        *,
        quiet: bool = False,
        every: float = 30.0,
        stream: TextIO | None = None,
        terminal: bool | None = None,
    ) -> None:
        self.description, self.total, self.unit = description, total, unit
        self.quiet, self.every = quiet, every
        self.stream = sys.stderr if stream is None else stream
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.done = 0
        self._live = None

    def __enter__(self) -> Bar:
        self._start = self._last = time.monotonic()
        self._done_at_start = self.done
        if self.quiet or not self.terminal:
            return self
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

        self._live = Progress(
            "[bold]{task.description}",
            BarColumn(),
            f"{{task.completed}}/{{task.total}} {self.unit}",
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=self.stream),
        )
        self._live.__enter__()
        self._task = self._live.add_task(self.description, total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)

    def update(self, *, completed: int | None = None, description: str | None = None) -> None:
        """Set the units done so far (work found done before this run) or the description."""
        if completed is not None:
            self.done = self._done_at_start = completed
        if description is not None:
            self.description = description
        if self._live is not None:
            self._live.update(self._task, completed=self.done, description=self.description)

    def advance(self, n: int = 1, *, description: str | None = None) -> None:
        """``n`` more units finished."""
        self.done += n
        if description is not None:
            self.description = description
        if self.quiet:
            return
        if self._live is not None:
            self._live.update(self._task, completed=self.done, description=self.description)
            return
        now = time.monotonic()
        if now - self._last < self.every and self.done < self.total:
            return
        self._last = now
        self.stream.write(self.line(now - self._start) + "\n")
        self.stream.flush()

    def line(self, elapsed: float) -> str:
        """The log line after ``elapsed`` seconds."""
        text = (
            f"{self.description}: {self.done}/{self.total} {self.unit}, {_clock(elapsed)} elapsed"
        )
        finished = self.done - self._done_at_start
        if finished > 0 and self.done < self.total:
            text += f", about {_clock(elapsed / finished * (self.total - self.done))} left"
        return f"{datetime.now():%Y-%m-%d %H:%M:%S}  {text}"
