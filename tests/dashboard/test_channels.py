"""The dashboard over a lakehouse of several channels (built by `ytlake run --demo-channels 3`):
a channel picker, an all-channels overview, and every page scoped to the picked channel."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ytlake.dashboard import data
from ytlake.runlocal import RunOptions, run_local

from ..conftest import TODAY

pytestmark = pytest.mark.slow

APP = Path(data.__file__).with_name("app.py")


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    path = tmp_path_factory.mktemp("channels") / "yt.duckdb"
    options = RunOptions(
        source="demo", lakehouse=path, today=TODAY, demo_channels=3, demo_videos=4, demo_history_days=30
    )
    assert run_local(options).run_status == "SUCCEEDED"
    return path


def _sql(path, query):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(query).fetchall()
    finally:
        con.close()


@pytest.fixture
def app(lake, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("YTLAKE_LAKEHOUSE", str(lake))
    monkeypatch.setenv("YTLAKE_DASHBOARD_SOURCE", "duckdb")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_picker_lists_every_channel_by_name_and_the_overview_shows_them_all(app, lake):
    names = dict(_sql(lake, "SELECT channel_id, channel_title FROM gold.gold_channels"))
    assert len(names) == 3
    picker = app.sidebar.selectbox[0]
    assert picker.label == "Channel"
    assert picker.options == ["All channels", *(names[c] for c in sorted(names))]
    assert app.header[0].value == "Channel overview: all channels"
    table = app.dataframe[0].value
    assert sorted(table["channel"]) == sorted(names.values())
    first, last = app.sidebar.date_input[0].value
    expected = dict(
        _sql(
            lake,
            "SELECT channel_id, sum(views) FROM gold.gold_channel_daily_summary "
            f"WHERE date BETWEEN DATE '{first}' AND DATE '{last}' GROUP BY 1",
        )
    )
    got = dict(zip(table["channel"], table["views"], strict=True))
    assert got == {names[c]: v for c, v in expected.items()}  # numbers, each channel's own


def test_every_page_shows_only_the_picked_channel(app, lake):
    names = dict(_sql(lake, "SELECT channel_id, channel_title FROM gold.gold_channels"))
    channel_id = sorted(names)[1]
    titles = {
        t
        for (t,) in _sql(
            lake, f"SELECT video_title FROM gold.gold_video_daily_summary WHERE channel_id = '{channel_id}'"
        )
    }
    app.sidebar.selectbox[0].set_value(channel_id).run()
    assert not app.exception, app.exception
    assert app.header[0].value == f"Channel overview: {names[channel_id]}"
    first, last = app.sidebar.date_input[0].value
    [(views,)] = _sql(
        lake,
        "SELECT sum(views) FROM gold.gold_channel_daily_summary "
        f"WHERE channel_id = '{channel_id}' AND date BETWEEN DATE '{first}' AND DATE '{last}'",
    )
    assert {m.label: m.value for m in app.metric}["Views"] == data.human(views)
    for page in ("Content", "Audience", "Reach", "Engagement", "Geography", "Devices", "Revenue"):
        app.sidebar.radio[0].set_value(page).run()
        assert not app.exception, (page, app.exception)
        # the video filter offers this channel's videos only (shown by title)
        offered = set(app.sidebar.selectbox[1].options) - {"All videos"}
        assert offered and offered <= titles, page


def test_a_scoped_reader_refuses_anything_but_a_channel_id(lake):
    reader = data.DuckDBReader(lake)
    with pytest.raises(ValueError):
        data.ChannelScoped(reader, "UC' OR 1=1 --")
