"""A snapshot report's answers (a video's whole life in one answer: its retention curve, its
format) and what they cover: a young video answered without rows is asked again by the next
run, an old one waits its refresh period, an answer with rows covers its range."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from ytlake.lakehouse import DuckDBEngine
from ytlake.lakehouse.bronze import BronzeBatch
from ytlake.tasks.ingest_state import YOUNG_DAYS, coverage
from ytlake.youtube.planning import VideoInfo, Window, snapshot_requests
from ytlake.youtube.reports import REPORTS_BY_NAME

END = date(2026, 3, 8)
HEADERS = [
    {"name": "creatorContentType", "columnType": "DIMENSION", "dataType": "STRING"},
    {"name": "views", "columnType": "METRIC", "dataType": "INTEGER"},
]
#: Google leaves out ``rows`` when nothing is available; an empty list must mean the same.
EMPTY_BODIES = {
    "no rows key": {"columnHeaders": HEADERS},
    "empty rows": {"columnHeaders": HEADERS, "rows": []},
}


@pytest.fixture
def lake(tmp_path):
    engine = DuckDBEngine(tmp_path / "yt.duckdb")
    engine.bootstrap()
    yield engine
    engine.close()


def _land(engine, report, video_id: str, published: date, body: dict) -> None:
    batch = BronzeBatch(report.table, "r1", END + timedelta(days=2), "emulator")
    params = report.params("UCx", published.isoformat(), END.isoformat(), video_id)
    batch.add("youtubeAnalytics/v2/reports", params, 200, json.dumps(body))
    engine.append(batch.table, batch.to_arrow())


@pytest.mark.parametrize("report_name", ["video_content_type", "video_retention"])
@pytest.mark.parametrize("body", EMPTY_BODIES.values(), ids=EMPTY_BODIES.keys())
def test_a_young_video_without_rows_is_asked_again_an_old_one_waits(lake, report_name, body):
    report = REPORTS_BY_NAME[report_name]
    young = VideoInfo("youngvideo1", END - timedelta(days=YOUNG_DAYS - 1))
    old = VideoInfo("oldvideo001", END - timedelta(days=YOUNG_DAYS))
    typed = VideoInfo("typedvideo1", END - timedelta(days=3))
    for video in (young, old):
        _land(lake, report, video.video_id, video.published_day, body)
    _land(
        lake,
        report,
        typed.video_id,
        typed.published_day,
        {"columnHeaders": HEADERS, "rows": [["SHORTS", 12]]},
    )
    covered = coverage(lake, report, "r2")
    assert covered["youngvideo1"].last is None  # asked, nothing to show for it yet
    assert covered["oldvideo001"].last == END and covered["typedvideo1"].last == END
    # the next day's plan: the young video again; the others wait their refresh period
    win = Window(END - timedelta(days=90), END + timedelta(days=1))
    asked = {r.video_id for r in snapshot_requests(report, "UCx", [young, old, typed], win, covered)}
    assert asked == {"youngvideo1"}
