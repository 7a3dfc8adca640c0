"""End to end: `ytlake dashboard` in headless Chromium: the channel's real total views, and
every page clicked through, each drawn without a traceback and screenshotted."""

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


def test_every_page_renders_in_the_browser(built, tmp_path):
    from ytlake.browser import Chromium
    from ytlake.docs import PAGES, running_dashboard, visit_every_page

    [(views,)] = built.sql(
        "SELECT sum(views) FROM gold.gold_channel_daily_summary "
        "WHERE date > (SELECT max(date) FROM gold.gold_channel_daily_summary) - 28"
    )
    with running_dashboard(built.lakehouse) as url, Chromium() as browser:
        texts = visit_every_page(browser, url, lambda page: tmp_path / f"{page}.png")
    assert list(texts) == list(PAGES)
    for page, text in texts.items():
        assert "Traceback" not in text and "Exception" not in text, page
        assert (tmp_path / f"{page}.png").stat().st_size > 20_000, page  # a real picture, out of the tree
    assert data.human(views) in texts["Overview"].split("Views", 1)[1]
    # the demo token cannot read revenue: the page says so in one sentence, and shows no 0
    assert "Revenue is not authorised" in texts["Revenue"]
    assert "Estimated revenue" not in texts["Revenue"]
