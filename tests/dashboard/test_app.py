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
    return _at(built.lakehouse, monkeypatch)


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


def _at(lakehouse, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("YTLAKE_LAKEHOUSE", str(lakehouse))
    monkeypatch.setenv("YTLAKE_DASHBOARD_SOURCE", "duckdb")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_overview_names_the_channel_and_compares_with_the_previous_period(app, built):
    [(title, subscribers)] = built.sql("SELECT channel_title, subscriber_count FROM gold.gold_channels")
    assert app.header[0].value == f"Channel overview: {title}"
    assert f"{subscribers:,} subscribers" in " ".join(c.value for c in app.caption)
    [(last,)] = built.sql("SELECT max(date) FROM gold.gold_channel_daily_summary")
    first = last - timedelta(days=13)
    app.sidebar.date_input[0].set_value((first, last)).run()
    assert not app.exception, app.exception

    def views(a, b):
        return built.sql(
            f"SELECT sum(views) FROM gold.gold_channel_daily_summary WHERE date BETWEEN DATE '{a}' AND DATE '{b}'"
        )[0][0]

    now, before = views(first, last), views(first - timedelta(days=14), first - timedelta(days=1))
    metric = {m.label: m for m in app.metric}["Views"]
    assert metric.value == data.human(now)
    assert metric.delta == f"{100 * (now - before) / before:+.0f}% vs previous 14 days"


def test_provisional_days_are_shaded_on_every_day_chart(app, built):
    from ytlake.dashboard.app import PROVISIONAL_DAYS

    [(last,)] = built.sql("SELECT max(date) FROM gold.gold_channel_daily_summary")
    for chart in app.get("plotly_chart")[:3]:
        layout = json.loads(chart.proto.spec)["layout"]
        [shade] = layout["shapes"]
        assert shade["x0"].startswith(
            str(last - timedelta(days=PROVISIONAL_DAYS))
        )  # from noon the day before
        assert shade["x1"].startswith(str(last))
        assert [a["text"] for a in layout["annotations"]] == ["provisional"]


def test_the_latest_upload_is_compared_with_the_typical_first_week(app, built):
    [(title,)] = built.sql(
        "SELECT video_title FROM gold.gold_video_daily_summary WHERE date >= published_date "
        "ORDER BY published_date DESC, video_id DESC LIMIT 1"
    )
    assert f"Latest upload: {title}" in [s.value for s in app.subheader]
    curve = json.loads(app.get("plotly_chart")[3].proto.spec)
    lines = {t["name"]: _values(t["y"]) for t in curve["data"]}
    views = built.sql(
        "SELECT views FROM gold.gold_video_daily_summary WHERE date >= published_date AND video_id = "
        "(SELECT video_id FROM gold.gold_video_daily_summary WHERE date >= published_date "
        "ORDER BY published_date DESC, video_id DESC LIMIT 1) ORDER BY date LIMIT 7"
    )
    running = np.cumsum([v for (v,) in views]).tolist()
    assert lines["latest upload"] == running[: len(lines["latest upload"])]
    assert all(b >= a for a, b in zip(lines["latest upload"], lines["latest upload"][1:], strict=False))


def test_the_content_page_splits_by_type_and_opens_a_video(app, built):
    app.sidebar.radio[0].set_value("Content").run()
    assert not app.exception, app.exception
    table = app.dataframe[0].value
    types = dict(built.sql("SELECT video_title, content_type FROM gold.gold_videos"))
    assert all(types[row["video"]] == row["type"] for _, row in table.iterrows())
    first, last = app.sidebar.date_input[0].value
    by_type = built.sql(  # each type's views from Gold, counted once
        "SELECT coalesce(v.content_type, 'Unknown'), sum(d.views) FROM gold.gold_video_daily_summary d "
        "LEFT JOIN gold.gold_videos v USING (video_id) "
        f"WHERE d.date BETWEEN DATE '{first}' AND DATE '{last}' GROUP BY 1"
    )
    metrics = {m.label: m.value for m in app.metric}
    for kind, views in by_type:
        label = {"Short": "Shorts", "Long-form": "Long-form videos", "Live": "Live streams"}.get(
            kind, "Unknown type"
        )
        assert metrics[label] == data.human(int(views)) + " views", kind
    basis = dict(built.sql("SELECT video_title, content_type_basis FROM gold.gold_videos"))
    typed = sum(basis[row["video"]] == "creatorContentType" for _, row in table.iterrows())
    assert typed and any(f"{typed} video(s) typed by YouTube" in c.value for c in app.caption)
    video_id, title, published = built.sql(
        "SELECT video_id, max(video_title), max(published_date) FROM gold.gold_video_daily_summary "
        "GROUP BY 1 ORDER BY sum(views) ASC, 1 LIMIT 1"
    )[0]
    app.sidebar.selectbox[0].set_value(video_id).run()
    assert not app.exception, app.exception
    assert f"Video: {title}" in [s.value for s in app.subheader]
    daily = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert (
        str(max(published, built.sql("SELECT min(date) FROM gold.gold_channel_daily_summary")[0][0]))
        in (daily["layout"]["title"]["text"])
    )
    assert (
        daily["layout"]["yaxis"]["rangemode"] == "tozero"
        and daily["layout"]["xaxis"]["tickformat"] == "%b %d"
    )


def test_a_failed_last_run_is_a_banner_with_its_status_and_time(built, tmp_path, monkeypatch):
    import duckdb

    from ytlake.runlocal import failed_without_gold

    lakehouse = failed_without_gold(built.lakehouse, tmp_path / "yt.duckdb", keep_gold=True)
    with duckdb.connect(str(lakehouse), read_only=True) as con:
        [(finished,)] = con.execute(
            "SELECT finished_ts_utc FROM bronze.run_context_log WHERE run_id = 'local-failed-run'"
        ).fetchall()
    at = _at(lakehouse, monkeypatch)
    [banner] = at.error
    assert "The last run (local-failed-run) ended FAILED" in banner.value
    assert (
        f"{finished:%Y-%m-%d %H:%M} UTC" in banner.value and "ingest_analytics_api_to_bronze" in banner.value
    )
    assert at.metric  # the pages still show what earlier runs built
    at = _at(failed_without_gold(built.lakehouse, tmp_path / "no_gold.duckdb"), monkeypatch)
    assert "ended FAILED" in at.error[0].value  # and with no Gold: the banner, then one sentence
    assert "has no Gold yet" in at.info[0].value and not at.metric
