"""Progress in a log (not a terminal): dated lines, throttled, with the time left."""

import io
import re

from simulation import progress
from simulation.progress import Bar

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  ")


class Clock:
    """time.monotonic under the test's control."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_log_gets_a_line_per_interval_and_the_last_one(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(progress.time, "monotonic", clock)
    log = io.StringIO()
    with Bar("validating b.toml", 4, every=60, stream=log) as bar:
        clock.now += 50
        bar.advance()  # 50 s after the start: too soon for a line
        clock.now += 50
        bar.advance()  # 100 s: a line, with the time left at 50 s a run
        clock.now += 10
        bar.advance()  # 10 s after the last line: none
        clock.now += 10
        bar.advance()  # the last run always writes its line
    lines = log.getvalue().splitlines()
    assert len(lines) == 2 and all(LINE.match(line) for line in lines)
    assert lines[0].endswith("validating b.toml: 2/4 runs, 0:01:40 elapsed, about 0:01:40 left")
    assert lines[1].endswith("validating b.toml: 4/4 runs, 0:02:00 elapsed")


def test_work_found_done_does_not_shorten_the_time_left(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(progress.time, "monotonic", clock)
    log = io.StringIO()
    with Bar("sweep: 0 failed", 10, every=0, stream=log) as bar:
        bar.update(completed=8)  # stored by an interrupted sweep
        clock.now += 30
        bar.advance(description="sweep: 1 failed")  # one run in 30 s, one left
    assert log.getvalue().endswith(
        "sweep: 1 failed: 9/10 runs, 0:00:30 elapsed, about 0:00:30 left\n"
    )


def test_quiet_writes_nothing_and_a_terminal_gets_the_live_bar():
    log = io.StringIO()
    with Bar("x", 3, every=0, stream=log, quiet=True) as bar:
        for _ in range(3):
            bar.advance()
    assert log.getvalue() == ""
    with Bar("live", 3, "days", stream=log, terminal=True) as bar:
        for _ in range(3):
            bar.advance()
    assert "3/3 days" in log.getvalue() and not LINE.match(log.getvalue())
