"""Every dashboard page, with Streamlit's AppTest, against a lakehouse built by `ytlake run`."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from ytlake.dashboard import data

pytestmark = pytest.mark.slow

APP = Path(data.__file__).with_name("app.py")


@pytest.fixture
def app(built, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("YTLAKE_LAKEHOUSE", str(built.lakehouse))
    monkeypatch.setenv("YTLAKE_DASHBOARD_SOURCE", "duckdb")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_overview_shows_the_channels_totals(app, built):
    [(views,)] = built.sql(
        "SELECT sum(views) FROM gold.gold_channel_daily_summary "
        "WHERE date > (SELECT max(date) FROM gold.gold_channel_daily_summary) - 28"
    )
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Views"] == data.human(views)
    assert "Net subscribers" in metrics and "Average view duration" in metrics
    assert len(app.get("plotly_chart")) == 4  # views, watch time, net subscribers; the latest upload


@pytest.mark.parametrize("page", ["Content", "Audience", "Reach", "Engagement", "Geography", "Devices"])
def test_each_page_renders_its_charts(app, page):
    app.sidebar.radio[0].set_value(page).run()
    assert not app.exception, app.exception
    assert app.header[0].value == page
    assert len(app.get("plotly_chart")) >= 1


def test_daily_charts_tick_days_from_zero_and_every_country_is_labelled(app):
    views, _, net = (json.loads(c.proto.spec)["layout"] for c in app.get("plotly_chart")[:3])
    for layout in (views, net):
        assert layout["xaxis"]["tickformat"] == "%b %d"  # days, never hours
        assert layout["xaxis"]["dtick"] % 86_400_000 == 0
    assert views["yaxis"]["rangemode"] == "tozero"
    assert net["yaxis"].get("rangemode") != "tozero"  # net subscribers can go below 0
    app.sidebar.radio[0].set_value("Geography").run()
    [chart] = app.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    countries = _values(spec["data"][0]["y"])
    assert len(countries) > 10 and spec["layout"]["yaxis"]["dtick"] == 1  # a label per bar
    assert spec["layout"]["height"] >= 24 * len(countries)


def test_reach_names_the_top_sources_each_in_its_own_fixed_colour(app):
    from ytlake.dashboard.app import source_colour

    app.sidebar.radio[0].set_value("Reach").run()
    assert not app.exception, app.exception
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    colours = {t["name"]: t["line"]["color"] for t in spec["data"]}
    named = set(colours) - {"Other"}
    assert 0 < len(named) <= 8 and len(set(colours.values())) == len(colours)  # no colour twice
    table = app.dataframe[0].value
    assert table["views"].dtype.kind in "iu" and table["share (%)"].sum() == pytest.approx(100, abs=0.5)
    # the same source, the same colour: its place in Google's list, not its rank here
    assert all(colours[n].lower() == source_colour(_source_id(n)).lower() for n in named)


def _source_id(name: str) -> str | None:
    from ytlake import paths
    from ytlake.lakeflow.reference import read_csv

    rows = read_csv(paths.lakeflow_dir() / "reference" / "traffic_sources.csv")
    return next((r["source_id"] for r in rows if r["source_name"] == name), None)


def test_the_videos_table_is_numeric_so_it_sorts_by_value(app, built):
    app.sidebar.radio[0].set_value("Content").run()
    assert not app.exception, app.exception
    table = app.dataframe[0].value
    assert all(table[c].dtype.kind in "iuf" for c in ("views", "watch hours", "likes"))
    first, last = app.sidebar.date_input[0].value
    [(views,)] = built.sql(
        "SELECT max(v) FROM (SELECT sum(views) AS v FROM gold.gold_video_daily_summary "
        f"WHERE date BETWEEN DATE '{first}' AND DATE '{last}' GROUP BY video_id)"
    )
    assert table["views"].max() == views  # the top video's views, as a number


def test_the_revenue_page_says_not_authorised_without_the_monetary_scope(app, built):
    # the runs here use the demo token (no yt-analytics-monetary.readonly): no revenue, and no 0
    assert built.sql("SELECT DISTINCT revenue_status FROM gold.gold_channel_revenue_daily") == [
        ("not authorised",)
    ]
    app.sidebar.radio[0].set_value("Revenue").run()
    assert not app.exception, app.exception
    assert app.header[0].value == "Revenue"
    assert "Revenue is not authorised" in app.info[0].value and "ytlake auth --monetary" in app.info[0].value
    assert not app.get("plotly_chart") and not app.metric


def test_the_video_filter_narrows_the_breakdowns(app, built):
    video_id = built.sql(
        "SELECT video_id FROM gold.gold_video_daily_summary GROUP BY 1 ORDER BY sum(views) DESC LIMIT 1"
    )[0][0]
    app.sidebar.radio[0].set_value("Devices").run()
    app.sidebar.selectbox[0].set_value(video_id).run()
    assert not app.exception


def _values(encoded):
    """A plotly trace's numbers: a list, or its typed-array encoding ({dtype, bdata})."""
    if isinstance(encoded, dict):
        return np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"]).tolist()
    return list(encoded)


def test_the_audience_page_shows_the_files_shares_or_says_why_not(app, built):
    app.sidebar.radio[0].set_value("Audience").run()
    ages_chart, _ = app.get("plotly_chart")  # and views by subscribed status
    traces = json.loads(ages_chart.proto.spec)["data"]
    assert {t["name"] for t in traces} <= {"Female", "Male", "Other"}
    assert {x for t in traces for x in t["x"]} <= {
        "13–17",
        "18–24",
        "25–34",
        "35–44",
        "45–54",
        "55–64",
        "65+",
    }
    shares = [y for t in traces for y in _values(t["y"])]
    assert sum(shares) == pytest.approx(100)  # shares of the views, weighted by them
    # before the first file: one sentence saying where the data comes from
    [(first_file,)] = built.sql("SELECT min(date) FROM gold.gold_video_audience_daily")
    [(first_day,)] = built.sql("SELECT min(date) FROM gold.gold_channel_daily_summary")
    app.sidebar.date_input[0].set_value((first_day, first_file - timedelta(days=1))).run()
    assert not app.exception
    assert "No audience data for these days" in app.info[0].value


def test_human_numbers():
    assert [data.human(x) for x in (950, 1234, 5_600_000, 2_100_000_000, None)] == [
        "950",
        "1.2K",
        "5.6M",
        "2.1B",
        "–",
    ]


def test_the_engagement_page_shows_rates_and_the_retention_curve(app, built):
    video_id, title, views, likes = built.sql(
        "SELECT video_id, max(video_title), sum(views), sum(likes) FROM gold.gold_video_daily_summary "
        "WHERE date > (SELECT max(date) FROM gold.gold_video_daily_summary) - 28 "
        "GROUP BY video_id ORDER BY sum(views) DESC, video_id LIMIT 1"
    )[0]
    app.sidebar.radio[0].set_value("Engagement").run()
    assert not app.exception, app.exception
    [curve] = app.get("plotly_chart")  # the top video's retention curve
    spec = json.loads(curve.proto.spec)
    assert title in spec["layout"]["title"]["text"]
    [(points,)] = built.sql(f"SELECT count(*) FROM gold.gold_video_retention WHERE video_id = '{video_id}'")
    assert len(_values(spec["data"][0]["x"])) == points == 100
    table = app.dataframe[0].value
    assert table["views"].dtype.kind in "iuf" and table["likes / 1k"].dtype.kind == "f"  # numbers, sortable
    row = table[table["video"] == title].iloc[0]
    assert row["likes / 1k"] == pytest.approx(likes * 1000 / views, abs=0.01)
