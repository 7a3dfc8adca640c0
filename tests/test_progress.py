"""The ingestion tasks' live progress: done / planned, the rate and the ETA, on an injected
clock (never the wall's)."""

from ytlake import progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_line_says_done_of_planned_the_rate_and_the_eta():
    clock, seen = Clock(), []
    progress.listen(seen.append, clock=clock)
    try:
        progress.plan("ingest", 1_000)
        clock.now += 10
        progress.advance("ingest", 250)
        line = seen[-1].line(clock.now)
        assert line == "250 / 1,000 requests · 25.0/s · ETA 30s"
        progress.plan("ingest", 2_000)  # the single-day reports, planned once the ranges answered
        clock.now += 10
        progress.advance("ingest", 250)
        assert seen[-1].line(clock.now) == "500 / 3,000 requests · 25.0/s · ETA 1m40s"
        progress.advance("other")  # a task without a plan: a count
        assert seen[-1].line(clock.now) == "1 requests"
    finally:
        progress.listen(None)


def test_nobody_listening_costs_nothing_and_keeps_nothing():
    progress.listen(None)
    progress.plan("ingest", 5)
    progress.advance("ingest")
    seen = []
    progress.listen(seen.append)
    try:
        progress.advance("ingest")
        assert seen[-1].done == 1 and seen[-1].planned == 0  # a new listener starts from zero
    finally:
        progress.listen(None)
