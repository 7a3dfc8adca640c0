"""End to end: `ytlake dashboard` in headless Chromium over a lakehouse with one channel, with
several channels (the picker) and with no Gold. Every page is clicked through and fails the
test on a traceback, on a chart axis of categories (countries, sources, devices) that leaves
one unlabelled, or on a table column of numbers held as text (it would sort "936, 80, 724")."""

from __future__ import annotations

from pathlib import Path

import pytest

from ytlake.browser import chromium_path
from ytlake.dashboard import data

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium_path() is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does)"
    ),
]

APP = Path(data.__file__).with_name("app.py")


def _no_fault(browser, page: str) -> None:
    text = browser.text()
    assert "Traceback" not in text and "Exception" not in text, page
    assert browser.unlabelled_categories() == [], page


def _numbers_held_as_text(lakehouse: Path, monkeypatch, channel: str | None = None) -> list[str]:
    """Every page's tables, as the app hands them to the browser's grid: a column whose values
    are all numbers but typed as text sorts as text there."""
    from streamlit.testing.v1 import AppTest

    from ytlake.docs import PAGES

    monkeypatch.setenv("YTLAKE_LAKEHOUSE", str(lakehouse))
    monkeypatch.setenv("YTLAKE_DASHBOARD_SOURCE", "duckdb")
    found = []
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    if channel:
        at.sidebar.selectbox[0].set_value(channel).run()
    for page in PAGES:
        at.sidebar.radio[0].set_value(page).run()
        assert not at.exception, (page, at.exception)
        for frame in at.dataframe:
            table = frame.value
            for column in table.columns:
                values = [v for v in table[column] if v is not None and v == v]
                if table[column].dtype == object and values and all(_numeric(v) for v in values):
                    found.append(f"{page}: {column}")
    return found


def _numeric(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        float(value.replace(",", ""))
    except ValueError:
        return False
    return True


def test_one_channel_every_page_and_a_video(built, tmp_path, monkeypatch):
    from ytlake.browser import Chromium
    from ytlake.docs import PAGES, page_drawn, running_dashboard, visit_every_page

    [(views,)] = built.sql(
        "SELECT sum(views) FROM gold.gold_channel_daily_summary "
        "WHERE date > (SELECT max(date) FROM gold.gold_channel_daily_summary) - 28"
    )
    [(title,)] = built.sql(
        "SELECT max(video_title) FROM gold.gold_video_daily_summary GROUP BY video_id "
        "ORDER BY sum(views) DESC, video_id LIMIT 1"
    )
    with running_dashboard(built.lakehouse) as url, Chromium() as browser:
        texts = visit_every_page(
            browser,
            url,
            lambda page: tmp_path / f"{page}.png",
            on_page=lambda page: _no_fault(browser, page),
        )
        browser.click_label("Content")  # a video opened by a click on its row...
        browser.wait_for(page_drawn("Content", browser))
        third = browser.table_rows()[2][0]
        browser.click_table_row(2)
        browser.wait_for(lambda text: f"Video: {third}" in text)
        browser.choose("Video", title)  # ...and from the sidebar's filter
        detail = browser.wait_for(lambda text: f"Video: {title}" in text and "Traffic sources" in text)
        _no_fault(browser, "Content, one video")
    assert list(texts) == list(PAGES)
    for page in PAGES:
        assert (tmp_path / f"{page}.png").stat().st_size > 20_000, page  # a real picture, out of the tree
    assert data.human(views) in texts["Overview"].split("Views", 1)[1]
    assert "Latest upload" in texts["Overview"] and "provisional" in texts["Overview"]
    assert "Daily views since publishing" in detail and "Traffic sources" in detail
    # the demo token cannot read revenue: the page says so in one sentence, and shows no 0
    assert "Revenue is not authorised" in texts["Revenue"]
    assert "Estimated revenue" not in texts["Revenue"]
    assert _numbers_held_as_text(built.lakehouse, monkeypatch) == []


@pytest.fixture(scope="module")
def two_channels(tmp_path_factory) -> Path:
    from ytlake.runlocal import screenshot_lakehouse

    lakehouse = tmp_path_factory.mktemp("channels") / "yt.duckdb"
    screenshot_lakehouse(lakehouse, channels=2)
    return lakehouse


def test_several_channels_the_picker_scopes_every_page(two_channels, tmp_path, monkeypatch):
    import duckdb

    from ytlake.browser import Chromium
    from ytlake.docs import page_drawn, running_dashboard, visit_every_page

    with duckdb.connect(str(two_channels), read_only=True) as con:
        names = dict(con.execute("SELECT channel_id, channel_title FROM gold.gold_channels").fetchall())
    assert len(names) == 2
    picked_id, picked = sorted(names.items())[1]
    with running_dashboard(two_channels) as url, Chromium() as browser:
        browser.open(url, ready=page_drawn("Overview", browser))
        _no_fault(browser, "all channels")
        assert browser.heading() == "Channel overview: all channels"
        rows = browser.evaluate("[...document.querySelectorAll('td[role=gridcell]')].map(c => c.textContent)")
        assert set(names.values()) <= set(rows)  # the all-channels table: a row per channel, by name
        browser.choose("Channel", picked)
        browser.wait_for(lambda text: browser.heading() == f"Channel overview: {picked}")
        texts = visit_every_page(
            browser,
            None,
            lambda page: tmp_path / f"{page}.png",
            on_page=lambda page: _no_fault(browser, page),
        )
    other = next(n for n in names.values() if n != picked)
    assert other not in texts["Overview"].split("Channel overview", 1)[1].split("Top content")[0]
    assert _numbers_held_as_text(two_channels, monkeypatch, channel=picked_id) == []


def test_no_gold_is_one_sentence_under_the_failed_run_s_banner(built, tmp_path):
    from ytlake.browser import Chromium
    from ytlake.docs import running_dashboard
    from ytlake.runlocal import failed_without_gold

    empty = failed_without_gold(built.lakehouse, tmp_path / "no_gold.duckdb")
    with running_dashboard(empty) as url, Chromium() as browser:
        text = browser.open(url, ready=lambda text: "no Gold yet" in text)
        _no_fault(browser, "no Gold")
        browser.screenshot(tmp_path / "no_gold.png")
    assert "The last run (local-failed-run) ended FAILED" in text and "ingest_analytics_api_to_bronze" in text
    assert "has no Gold yet" in text
    assert (tmp_path / "no_gold.png").stat().st_size > 10_000
