"""Coverage, not a high-water mark: where a scope's next request starts (pure functions)."""

from __future__ import annotations

from datetime import date, timedelta

from ytlake.youtube.planning import (
    Coverage,
    VideoInfo,
    Window,
    bulk_skip,
    chunks,
    range_requests,
    scope_start,
    single_days_to_ask,
    with_bulk,
)
from ytlake.youtube.reports import REPORTS_BY_NAME

D = date(2026, 3, 1)


def day(n: int) -> date:
    return D + timedelta(days=n)


WIN = Window(default_start=day(0), end=day(30))


def test_overlapping_and_touching_ranges_merge():
    cov = Coverage.of([(day(5), day(9)), (day(0), day(3)), (day(4), day(4)), (day(12), day(14))], day(0))
    assert cov.ranges == ((day(0), day(9)), (day(12), day(14)))
    assert cov.last == day(14)
    assert cov.first_gap(day(0), day(20)) == day(10)
    assert cov.first_gap(day(12), day(14)) is None


def test_a_whole_window_covered_asks_only_the_lookback_again():
    cov = Coverage.of([(day(0), day(28))], day(0))
    assert scope_start(WIN, cov, 7, None) == day(21)


def test_a_gap_behind_a_later_answer_is_asked_again():
    # days 10-13 failed while 14-28 landed: a high-water mark would start at 28 - 7 = 21
    cov = Coverage.of([(day(0), day(9)), (day(14), day(28))], day(0))
    assert scope_start(WIN, cov, 7, None) == day(10)


def test_a_gap_inside_the_lookback_needs_no_earlier_start():
    cov = Coverage.of([(day(0), day(22)), (day(25), day(28))], day(0))
    assert scope_start(WIN, cov, 7, None) == day(21)


def test_a_scope_asked_but_never_answered_starts_where_it_was_first_asked():
    cov = Coverage.of([], day(3))
    assert cov.last is None
    assert scope_start(WIN, cov, 7, None) == day(0)  # the window's start is earlier still
    assert scope_start(Window(day(5), day(30)), cov, 7, None) == day(3)


def test_a_scope_never_asked_starts_at_the_window_start_not_before_publication():
    assert scope_start(WIN, None, 7, None) == day(0)
    assert scope_start(WIN, None, 7, day(4)) == day(4)


def test_days_before_the_first_answer_are_not_gaps_unless_a_start_date_asks_for_them():
    cov = Coverage.of([(day(10), day(28))], day(10))
    assert scope_start(Window(day(0), day(30)), cov, 7, None) == day(21)
    assert scope_start(Window(day(0), day(30), start_given=True), cov, 7, None) == day(0)
    assert scope_start(Window(day(0), day(30), start_given=True), cov, 7, day(6)) == day(6)


def test_single_days_asked_are_the_uncovered_days_with_views_and_the_source_restatement_window():
    video = VideoInfo("v", day(0))
    views = {"v": {day(2), day(5), day(20), day(26), day(31)}}
    asked = {"v": {day(2), day(20), day(26)}}
    got = single_days_to_ask(WIN, [video], views, asked, {"v": day(24)})
    # day 5: never answered; day 26: the daily report re-pulls from day 24; day 31: after the window
    assert got == {"v": {day(5), day(26)}}


def test_chunks_leave_out_the_days_bulk_files_cover():
    skip = {day(0), day(5), day(6), day(10)}  # the first day, a run of two, the last day
    assert chunks(day(0), day(10), None, skip) == [(day(1), day(4)), (day(7), day(9))]
    # with a chunk size the cuts and the size both hold; no chunk holds a skipped day
    got = chunks(day(0), day(10), 2, skip)
    assert got == [(day(1), day(2)), (day(3), day(4)), (day(7), day(8)), (day(9), day(9))]
    assert chunks(day(0), day(3), None, {day(0), day(1), day(2), day(3)}) == []
    assert chunks(day(0), day(3)) == [(day(0), day(3))]


def test_hybrid_asks_v2_around_bulk_days_from_v2s_own_coverage():
    channel = REPORTS_BY_NAME["channel_daily"]
    bulk = {"channel_basic_a3": {day(d) for d in range(11, 21)}}
    skip = bulk_skip(channel, bulk)
    assert skip == bulk["channel_basic_a3"]
    assert bulk_skip(REPORTS_BY_NAME["video_device"], bulk) == frozenset()  # its own type
    # v2 covered days 0-10, files came for days 11-20: the lookback counts from the last day
    # either covers, the file days are never asked, the days after them are
    win = Window(day(0), day(25))
    cov = with_bulk({"UCx": Coverage.of([(day(0), day(10))], day(0))}, ["UCx", "v1"], skip, win)
    reqs = range_requests(channel, "UCx", [], win, cov, 3, None, skip)
    assert [(r.start, r.end) for r in reqs] == [(day(21), day(25))]
    # a scope v2 never answered: the history before the files, then the days after them
    video = REPORTS_BY_NAME["video_daily"]
    reqs = range_requests(video, "UCx", [VideoInfo("v1", day(2))], win, cov, 3, None, skip)
    assert [(r.start, r.end) for r in reqs] == [(day(2), day(10)), (day(21), day(25))]
