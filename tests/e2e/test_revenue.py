"""Revenue end to end: without the monetary scope no revenue request is made (counted at the
emulator) and Gold says "not authorised"; with a token from a consent that granted it, the
revenue marts equal what the official client reads from the same emulator."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.runlocal import RunOptions, run_local
from ytlake.youtube.reports import REPORTS

from ..conftest import TODAY, consent_via_handle, tiny_world_config
from ..lakeflow.test_silver import REVENUE_GRAINS
from .test_irregular import official_analytics

REVENUE_TABLES = [r.table for r in REPORTS if r.monetary]

pytestmark = pytest.mark.slow

BASE_SCOPES = (
    "https://www.googleapis.com/auth/youtube.readonly https://www.googleapis.com/auth/yt-analytics.readonly"
)
MONETARY = "https://www.googleapis.com/auth/yt-analytics-monetary.readonly"
CONFIG = tiny_world_config(videos=8, history_days=30, seed=5)
START = TODAY - timedelta(days=20)


def _sql(lake, query):
    con = duckdb.connect(str(lake), read_only=True)
    try:
        return con.sql(query).fetchall()
    finally:
        con.close()


def _run(emu, lake, concurrency=8):
    return run_local(
        RunOptions(
            source="google",
            api_root=emu.base_url,
            lakehouse=lake,
            today=TODAY,
            start_date=START,
            concurrency=concurrency,
        )
    )


@pytest.fixture
def credentials(monkeypatch):
    def use(refresh_token: str) -> None:
        monkeypatch.setenv("YT_CLIENT_ID", "ytlake-demo-client")
        monkeypatch.setenv("YT_CLIENT_SECRET", "ytlake-demo-secret")
        monkeypatch.setenv("YT_REFRESH_TOKEN", refresh_token)

    return use


def test_without_the_monetary_scope_no_revenue_is_asked_and_gold_says_not_authorised(tmp_path, credentials):
    lake = tmp_path / "yt.duckdb"
    with running_emulator(CONFIG, EmulatorConfig()) as emu:
        credentials(consent_via_handle(emu.emulator, BASE_SCOPES)["refresh_token"])
        result = _run(emu, lake)
        stats = emu.emulator.stats
    assert result.run_status == "SUCCEEDED", result.run.results
    assert stats.monetary_requests == 0
    assert stats.analytics_requests["reports.query"] > 0  # the other reports were asked
    for table in REVENUE_TABLES:
        assert _sql(lake, f"SELECT count(*) FROM {table}") == [(0,)]
    statuses = _sql(
        lake,
        "SELECT revenue_status, count(*), count(estimated_revenue), count(gross_revenue) "
        "FROM gold.gold_channel_revenue_daily GROUP BY 1",
    )
    assert len(statuses) == 1 and statuses[0][0] == "not authorised" and statuses[0][1] > 0
    assert statuses[0][2:] == (0, 0)  # NULL, never 0
    assert _sql(lake, "SELECT count(*) FROM gold.gold_video_revenue_daily") == [(0,)]
    # the grant record names the scopes, never a token
    [(payload,)] = _sql(lake, "SELECT payload FROM bronze.oauth_grants_raw")
    assert "yt-analytics.readonly" in payload and MONETARY not in payload
    assert "ya29." not in payload and "1//" not in payload


def test_with_the_monetary_scope_the_revenue_marts_equal_the_source(tmp_path, credentials, monkeypatch):
    lake = tmp_path / "yt.duckdb"
    with running_emulator(CONFIG, EmulatorConfig()) as emu:
        token = consent_via_handle(emu.emulator, f"{BASE_SCOPES} {MONETARY}")["refresh_token"]
        credentials(token)
        result = _run(emu, lake)
        assert result.run_status == "SUCCEEDED", result.run.results
        asked = emu.emulator.stats.monetary_requests
        videos = _sql(lake, "SELECT count(DISTINCT video_id) FROM gold.gold_video_revenue_daily")[0][0]
        assert videos > 0
        assert asked >= 2 + 2 * videos  # the channel, its ad types, each video's revenue and ad types
        ya = official_analytics(emu.base_url, token)
        assert _sql(lake, "SELECT count(DISTINCT channel_id) FROM gold.gold_channel_revenue_daily") == [(1,)]
        [(last,)] = _sql(
            lake, "SELECT max(date) FROM gold.gold_channel_revenue_daily WHERE revenue_status = 'reported'"
        )
        window = {"ids": "channel==MINE", "startDate": START.isoformat(), "endDate": last.isoformat()}
        metrics = "estimatedRevenue,grossRevenue,adImpressions,monetizedPlaybacks"
        source = ya.reports().query(**window, metrics=metrics, dimensions="day").execute()
        gold = {
            d.isoformat(): (r, g, i, p)
            for d, r, g, i, p in _sql(
                lake,
                "SELECT date, estimated_revenue, gross_revenue, ad_impressions, monetized_playbacks "
                f"FROM gold.gold_channel_revenue_daily WHERE date BETWEEN DATE '{START}' AND DATE '{last}' "
                "AND revenue_status = 'reported'",
            )
        }
        answer = {
            row[0]: (Decimal(str(row[1])), Decimal(str(row[2])), row[3], row[4]) for row in source["rows"]
        }
        assert gold == answer  # every day Google reported, to the 1/1000, and no other day
        # per video: the video the source says earned most, day by day
        top = (
            ya.reports()
            .query(
                **window,
                metrics="estimatedRevenue",
                dimensions="video",
                sort="-estimatedRevenue",
                maxResults=1,
            )
            .execute()
        )
        video_id = top["rows"][0][0]
        source = (
            ya.reports()
            .query(**window, metrics="estimatedRevenue,cpm", dimensions="day", filters=f"video=={video_id}")
            .execute()
        )
        gold = {
            d.isoformat(): (r, c)
            for d, r, c in _sql(
                lake,
                f"SELECT date, estimated_revenue, cpm FROM gold.gold_video_revenue_daily WHERE video_id = '{video_id}' "
                f"AND date <= DATE '{last}'",
            )
        }
        assert gold == {row[0]: (Decimal(str(row[1])), row[2]) for row in source["rows"]}
        # ad types: the day's rows as the source has them
        source = (
            ya.reports()
            .query(**window, metrics="grossRevenue,adImpressions", dimensions="adType,day")
            .execute()
        )
        gold = {
            (t, d.isoformat()): (g, i)
            for t, d, g, i in _sql(
                lake,
                f"SELECT ad_type, date, gross_revenue, ad_impressions FROM gold.gold_channel_ad_type_daily WHERE date <= DATE '{last}'",
            )
        }
        assert gold == {(row[0], row[1]): (Decimal(str(row[2])), row[3]) for row in source["rows"]}
        # the top-earning video's ad types, day by day
        source = (
            ya.reports()
            .query(
                **window,
                metrics="grossRevenue,adImpressions",
                dimensions="adType,day",
                filters=f"video=={video_id}",
            )
            .execute()
        )
        gold = {
            (t, d.isoformat()): (g, i)
            for t, d, g, i in _sql(
                lake,
                "SELECT ad_type, date, gross_revenue, ad_impressions FROM gold.gold_video_ad_type_daily "
                f"WHERE video_id = '{video_id}' AND date <= DATE '{last}'",
            )
        }
        assert gold and gold == {(row[0], row[1]): (Decimal(str(row[2])), row[3]) for row in source["rows"]}
    for dataset, grain in REVENUE_GRAINS.items():  # built, and unique on their grain
        keys = ", ".join(grain)
        [(rows, distinct)] = _sql(lake, f"SELECT count(*), count(DISTINCT ({keys})) FROM silver.{dataset}")
        assert rows > 0 and rows == distinct, dataset
    statuses = dict(
        _sql(lake, "SELECT revenue_status, count(*) FROM gold.gold_channel_revenue_daily GROUP BY 1")
    )
    assert "not authorised" not in statuses and statuses["reported"] > 0
    _the_revenue_page_shows_the_marts(lake, monkeypatch)


def _the_revenue_page_shows_the_marts(lake, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from ytlake.dashboard import data

    monkeypatch.setenv("YTLAKE_LAKEHOUSE", str(lake))
    monkeypatch.setenv("YTLAKE_DASHBOARD_SOURCE", "duckdb")
    at = AppTest.from_file(str(Path(data.__file__).with_name("app.py")), default_timeout=60)
    at.run()
    at.sidebar.radio[0].set_value("Revenue").run()
    assert not at.exception, at.exception
    first, last = at.sidebar.date_input[0].value
    [(revenue,)] = _sql(
        lake,
        "SELECT sum(estimated_revenue) FROM gold.gold_channel_revenue_daily "
        f"WHERE date BETWEEN DATE '{first}' AND DATE '{last}'",
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Estimated revenue"] == f"{float(revenue):,.2f}"
    assert len(at.get("plotly_chart")) == 2  # revenue per day, ad types


def test_a_channel_outside_the_partner_program_is_refused_without_failing_the_run(tmp_path, credentials):
    lake = tmp_path / "yt.duckdb"
    config = EmulatorConfig(demo_monetary=True, non_partner_channels=frozenset({1}))
    with running_emulator(CONFIG, config) as emu:
        credentials("ytlake-demo-refresh-token")
        result = _run(emu, lake, concurrency=1)  # one request at a time, two queued ahead
        asked = emu.emulator.stats.monetary_requests
    assert result.run_status == "SUCCEEDED", result.run.results
    # the channel's refusal (its revenue report is asked first) stops the asking: at most the
    # request queued behind it was sent too, of the 1 + 8 videos + 1 the plan has
    assert 1 <= asked <= 2
    refused = sum(
        _sql(lake, f"SELECT count(*) FROM {table} WHERE json_extract_string(payload, '$.status') = '403'")[0][
            0
        ]
        for table in REVENUE_TABLES
    )
    assert refused >= 1  # Google's answer is kept in Bronze
    statuses = _sql(lake, "SELECT DISTINCT revenue_status FROM gold.gold_channel_revenue_daily")
    assert statuses == [("refused",)]
    assert _sql(lake, "SELECT count(*) FROM gold.gold_video_revenue_daily") == [(0,)]
