"""Every dashboard page, with Streamlit's AppTest, against a lakehouse built by `ytlake run`."""

from __future__ import annotations

from pathlib import Path

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
    assert "Net subscribers" in metrics
    assert len(app.get("plotly_chart")) == 3


@pytest.mark.parametrize("page", ["Videos", "Traffic sources", "Geography", "Devices"])
def test_each_page_renders_its_charts(app, page):
    app.sidebar.radio[0].set_value(page).run()
    assert not app.exception, app.exception
    assert app.header[0].value == page if page != "Videos" else app.header[0].value == "Videos"
    assert len(app.get("plotly_chart")) >= 1


def test_the_video_filter_narrows_the_breakdowns(app, built):
    video_id = built.sql(
        "SELECT video_id FROM gold.gold_video_daily_summary GROUP BY 1 ORDER BY sum(views) DESC LIMIT 1"
    )[0][0]
    app.sidebar.radio[0].set_value("Devices").run()
    app.sidebar.selectbox[0].set_value(video_id).run()
    assert not app.exception


def test_human_numbers():
    assert [data.human(x) for x in (950, 1234, 5_600_000, 2_100_000_000, None)] == [
        "950",
        "1.2K",
        "5.6M",
        "2.1B",
        "–",
    ]
