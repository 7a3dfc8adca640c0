"""Property-based: the answer shape check (quarantine), the ingestion state's SQL and the
Bronze envelope reader never crash on anything they may be handed: an answer is either
quarantined or readable, and the envelope reader returns an envelope or a clean ValueError."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ytlake.lakehouse import DuckDBEngine
from ytlake.lakehouse.bronze import BronzeBatch, read_envelope
from ytlake.tasks.ingest_state import coverage, days_with_views, known_videos
from ytlake.youtube import shapes
from ytlake.youtube.reports import REPORTS_BY_NAME

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)
rows = st.lists(
    st.lists(
        st.one_of(st.text(max_size=12), st.integers(), st.floats(allow_nan=False), st.none()), max_size=5
    ),
    max_size=8,
)


DAILY = REPORTS_BY_NAME["video_daily"]
PARAMS = {"ids": "channel==UCx", "startDate": "2026-01-01", "endDate": "2026-01-09", "filters": "video==abc"}


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    engine = DuckDBEngine(tmp_path_factory.mktemp("fuzz") / "yt.duckdb")
    engine.bootstrap()
    yield engine
    engine.close()


def _land_and_read(engine, table: str, endpoint: str, params: dict, status: int, text: str) -> None:
    """Land the answer as the tasks do (quarantined when malformed), then run the state SQL."""
    for t in (table, "bronze.quarantine"):
        engine.delete(t, "true")
    reason = shapes.problem(endpoint, status, text)
    batch = BronzeBatch(
        table if reason is None else "bronze.quarantine",
        "r1",
        date(2026, 1, 10),
        "emulator",
    )
    extra = {} if reason is None else {"target_table": table, "reason": reason}
    batch.add(endpoint, params, status, text, **extra)
    engine.append(batch.table, batch.to_arrow())
    assert reason is None or (isinstance(reason, str) and "\n" not in reason)
    coverage(engine, DAILY, "r2")
    days_with_views(engine, DAILY)
    known_videos(engine)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values, status=st.sampled_from([200, 400, 500]))
def test_any_analytics_answer_is_quarantined_or_readable(lake, body, status):
    _land_and_read(lake, DAILY.table, "v2/reports", PARAMS, status, json.dumps(body))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows, headers=st.lists(st.sampled_from(["day", "views", "country", "likes", None]), max_size=4))
def test_any_table_shaped_answer_is_quarantined_or_readable(lake, rows, headers):
    body = {"columnHeaders": [{"name": h} for h in headers], "rows": rows}
    _land_and_read(lake, DAILY.table, "v2/reports", PARAMS, 200, json.dumps(body))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values, text=st.text(max_size=30))
def test_any_videos_answer_is_quarantined_or_readable(lake, body, text):
    for answer in (json.dumps(body), text):
        _land_and_read(
            lake, "bronze.videos_raw", "youtube/v3/videos", {"part": "id", "id": "abc,def"}, 200, answer
        )


def test_a_string_for_rows_is_quarantined_with_its_reason():
    assert shapes.problem("v2/reports", 200, json.dumps({"columnHeaders": [], "rows": "oops"})) == (
        "rows is a str, not a list"
    )
    assert shapes.problem("v2/reports", 200, "<html>") == "HTTP 200 answer is not JSON"
    assert shapes.problem("youtube/v3/videos", 200, json.dumps({"items": [{"id": "x"}]})) is None


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(st.text(max_size=200), json_values.map(json.dumps)))
def test_read_envelope_returns_an_envelope_or_raises_value_error(text):
    try:
        env = read_envelope(text)
    except ValueError:
        return
    assert {"request", "status", "body"} <= env.keys()
