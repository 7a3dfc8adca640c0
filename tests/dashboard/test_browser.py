"""End to end: `ytlake dashboard` in headless Chromium shows the channel's real total views."""

from __future__ import annotations

import pytest

from ytlake.browser import chromium_path
from ytlake.dashboard import data

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium_path() is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does)"
    ),
]


def test_the_dashboard_renders_the_real_total_views(built, tmp_path):
    from ytlake.browser import Chromium
    from ytlake.docs import running_dashboard

    [(views,)] = built.sql(
        "SELECT sum(views) FROM gold.gold_channel_daily_summary "
        "WHERE date > (SELECT max(date) FROM gold.gold_channel_daily_summary) - 28"
    )
    expected = data.human(views)
    with running_dashboard(built.lakehouse) as url, Chromium() as browser:
        text = browser.open(url, ready=lambda t: "Net subscribers" in t and "Views per day" in t)
        shot = tmp_path / "dashboard.png"
        browser.screenshot(shot)
    assert "Channel overview" in text
    assert expected in text.split("Views", 1)[1]
    assert shot.stat().st_size > 20_000  # a real picture, kept out of the tree
