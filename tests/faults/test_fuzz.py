"""Property-based: the Analytics answer parser and the Bronze envelope reader never crash on
anything they may be handed — they return what they can or raise a clean ValueError."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ytlake.lakehouse.bronze import read_envelope
from ytlake.tasks.ingest_state import days_with_views, videos_returned

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


@settings(max_examples=300, deadline=None)
@given(body=json_values, status=st.sampled_from([200, 400, 500]), filters=st.text(max_size=20))
def test_days_with_views_never_crashes_on_any_body(body, status, filters):
    out = days_with_views([{"request": {"params": {"filters": filters}}, "status": status, "body": body}])
    assert isinstance(out, dict)


@settings(max_examples=300, deadline=None)
@given(rows=rows, headers=st.lists(st.sampled_from(["day", "views", "country", "likes", None]), max_size=4))
def test_days_with_views_reads_only_well_formed_rows(rows, headers):
    body = {"columnHeaders": [{"name": h} for h in headers], "rows": rows}
    out = days_with_views([{"request": {"params": {"filters": "video==abc"}}, "status": 200, "body": body}])
    for days in out.values():
        assert all(hasattr(d, "isoformat") for d in days)


@settings(max_examples=300, deadline=None)
@given(body=json_values)
def test_videos_returned_never_crashes(body):
    assert isinstance(videos_returned([{"request": {"params": {}}, "status": 200, "body": body}]), list)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(st.text(max_size=200), json_values.map(json.dumps)))
def test_read_envelope_returns_an_envelope_or_raises_value_error(text):
    try:
        env = read_envelope(text)
    except ValueError:
        return
    assert {"request", "status", "body"} <= env.keys()
