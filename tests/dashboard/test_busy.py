"""When the dashboard cannot show data, every page says why in one sentence: busy, no lakehouse,
no Gold, an unreadable file (Streamlit's AppTest over real DuckDB files and real locks)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from ytlake.dashboard import data

APP = Path(data.__file__).with_name("app.py")
PAGES = ["Overview", "Content", "Audience", "Reach", "Engagement", "Geography", "Devices", "Revenue"]
LAST = date(2026, 3, 10)


def _tiny_gold(path: Path) -> Path:
    """The marts with the columns the pages read, two videos over ten days."""
    con = duckdb.connect(str(path))
    days = "SELECT DATE '2026-03-01' + INTERVAL (d) DAY AS date FROM range(10) t(d)"
    con.execute("CREATE SCHEMA gold")
    con.execute(
        f"CREATE TABLE gold.gold_channel_daily_summary AS SELECT 'UCtinygold00000000000001' AS channel_id, "
        f"date::DATE AS date, 100 AS views, "
        f"50.0 AS estimated_minutes_watched, 2 AS net_subscribers, 5 AS likes, 1 AS comments FROM ({days})"
    )
    con.execute(
        f"CREATE TABLE gold.gold_video_daily_summary AS SELECT date::DATE AS date, v AS video_id, "
        f"'Video ' || v AS video_title, DATE '2026-01-01' AS published_date, 50 AS views, "
        f"25.0 AS estimated_minutes_watched, 2 AS likes, 1 AS comments, 1 AS shares, 1 AS videos_added_to_playlists, "
        f"0 AS videos_removed_from_playlists, 40 AS engaged_views, 3 AS subscribers_gained, "
        f"1 AS subscribers_lost FROM ({days}), (VALUES ('v1'), ('v2')) t(v)"
    )
    con.execute(
        "CREATE TABLE gold.gold_channels AS SELECT 'UCtinygold00000000000001' AS channel_id, "
        "'Tiny Gold' AS channel_title, 1234 AS subscriber_count, 2 AS video_count"
    )
    con.execute(
        "CREATE TABLE gold.gold_videos AS SELECT v AS video_id, 'UCtinygold00000000000001' AS channel_id, "
        "t AS content_type, 'duration' AS content_type_basis, d AS duration_seconds "
        "FROM (VALUES ('v1', 'Short', 40), ('v2', 'Long-form', 600)) t(v, t, d)"
    )
    for mart, key, label, values in (
        (
            "traffic_source",
            "source_id",
            "source_name",
            "('YT_SEARCH', 'YouTube search'), ('EXT', 'External')",
        ),
        ("country", "country_code", "country_name", "('US', 'United States'), ('FR', 'France')"),
        ("device", "device_type", "device_name", "('MOBILE', 'Mobile'), ('DESKTOP', 'Computer')"),
    ):
        con.execute(
            f"CREATE TABLE gold.gold_video_{mart}_daily_summary AS SELECT date::DATE AS date, v AS video_id, "
            f"k AS {key}, n AS {label}, 25 AS views, 12.5 AS estimated_minutes_watched "
            f"FROM ({days}), (VALUES ('v1'), ('v2')) t(v), (VALUES {values}) u(k, n)"
        )
    con.execute(
        f"CREATE TABLE gold.gold_video_audience_daily AS SELECT date::DATE AS date, v AS video_id, "
        f"a AS age_group, g AS gender, 12.5 AS estimated_views FROM ({days}), (VALUES ('v1'), ('v2')) t(v), "
        "(VALUES ('AGE_18_24'), ('AGE_25_34')) u(a), (VALUES ('FEMALE'), ('MALE')) w(g)"
    )
    con.execute(
        f"CREATE TABLE gold.gold_video_subscribed_status_daily AS SELECT date::DATE AS date, v AS video_id, "
        f"s AS subscribed_status, 25 AS views, 12.5 AS watch_time_minutes FROM ({days}), "
        "(VALUES ('v1'), ('v2')) t(v), (VALUES ('subscribed'), ('not_subscribed')) u(s)"
    )
    con.execute(
        f"CREATE TABLE gold.gold_video_sharing_service_daily AS SELECT date::DATE AS date, v AS video_id, "
        f"'WhatsApp' AS sharing_service_name, 3 AS shares FROM ({days}), (VALUES ('v1'), ('v2')) t(v)"
    )
    con.execute(
        f"CREATE TABLE gold.gold_video_playback_location_daily AS SELECT date::DATE AS date, v AS video_id, "
        f"'Watch page' AS playback_location_name, 50 AS views, 25.0 AS watch_time_minutes FROM ({days}), "
        "(VALUES ('v1'), ('v2')) t(v)"
    )
    con.execute(
        "CREATE TABLE gold.gold_video_retention AS SELECT v AS video_id, DATE '2026-03-08' AS as_of_date, "
        "r / 100 AS elapsed_video_time_ratio, 1 - r / 200 AS audience_watch_ratio, "
        "CAST(0.5 AS DOUBLE) AS relative_retention_performance FROM (VALUES ('v1'), ('v2')) t(v), range(1, 101) u(r)"
    )
    con.execute(
        f"CREATE TABLE gold.gold_channel_revenue_daily AS SELECT date::DATE AS date, 'reported' AS revenue_status, "
        f"1.5 AS estimated_revenue, 2.0 AS gross_revenue, 400 AS ad_impressions, 100 AS views FROM ({days})"
    )
    con.execute(
        f"CREATE TABLE gold.gold_video_revenue_daily AS SELECT date::DATE AS date, v AS video_id, "
        f"'Video ' || v AS video_title, 0.75 AS estimated_revenue, 1.0 AS gross_revenue, 200 AS ad_impressions, "
        f"50 AS views FROM ({days}), (VALUES ('v1'), ('v2')) t(v)"
    )
    con.execute(
        f"CREATE TABLE gold.gold_channel_ad_type_daily AS SELECT date::DATE AS date, a AS ad_type, "
        f"1.0 AS gross_revenue, 200 AS ad_impressions FROM ({days}), (VALUES ('auctionInstream'), ('auctionDisplay')) t(a)"
    )
    con.close()
    return path


@contextlib.contextmanager
def _writer(path: Path):
    """Another process holding DuckDB's write lock on ``path``, as a `ytlake run` task does."""
    code = f"import sys, duckdb\ncon = duckdb.connect({str(path)!r})\nprint('ready', flush=True)\nsys.stdin.read()\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


@pytest.fixture
def gold(tmp_path) -> Path:
    return _tiny_gold(tmp_path / "yt.duckdb")


def _app(path: Path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("YTLAKE_LAKEHOUSE", str(path))
    monkeypatch.setenv("YTLAKE_DASHBOARD_SOURCE", "duckdb")
    monkeypatch.setenv("YTLAKE_DASHBOARD_LOCK_WAIT_S", "0.2")  # a page gives up on a writer quickly
    return AppTest.from_file(str(APP), default_timeout=60)


def _sentences(at) -> list[str]:
    return [e.value for e in at.info] + [e.value for e in at.warning]


def test_the_tiny_gold_renders_every_page(gold, monkeypatch):
    at = _app(gold, monkeypatch).run()
    for page in PAGES:
        at.sidebar.radio[0].set_value(page).run()
        assert not at.exception, at.exception
        assert not _sentences(at) and at.get("plotly_chart")


def test_busy_from_the_first_query_is_a_sentence(gold, monkeypatch):
    at = _app(gold, monkeypatch)
    with _writer(gold):
        at.run()
    assert not at.exception, at.exception
    assert _sentences(at) == [data.BUSY]


@pytest.mark.parametrize("page", PAGES)
def test_busy_on_every_page_is_a_sentence(gold, monkeypatch, page):
    at = _app(gold, monkeypatch).run()
    assert not at.exception
    with _writer(gold):
        at.sidebar.radio[0].set_value(page).run()
    assert not at.exception, at.exception
    assert _sentences(at) == [data.BUSY]
    assert not at.get("plotly_chart")  # the sentence stands in place of the page
    at.run()  # the run finished: a reload shows the data again
    assert not at.exception and not _sentences(at) and at.get("plotly_chart")


def test_every_query_raises_busy_not_a_lakehouse_error(gold):
    reader = data.DuckDBReader(gold, lock_wait_s=0.2)
    first, last = LAST - timedelta(days=9), LAST
    queries = [
        lambda: data.date_bounds(reader),
        lambda: data.channel_daily(reader, first, last),
        lambda: data.top_videos(reader, first, last),
        lambda: data.video_daily(reader, "v1", first, last),
        lambda: data.breakdown(reader, "traffic", first, last, "v1", by_day=True),
    ]
    with _writer(gold):
        for query in queries:
            with pytest.raises(data.LakehouseBusyError, match="will show the data when it finishes"):
                query()


def test_no_lakehouse_is_a_sentence_and_creates_nothing(tmp_path, monkeypatch):
    at = _app(tmp_path / "nowhere" / "yt.duckdb", monkeypatch).run()
    assert not at.exception, at.exception
    [sentence] = _sentences(at)
    assert sentence.startswith("There is no lakehouse at") and "`ytlake run` builds it" in sentence
    assert list(tmp_path.iterdir()) == []


def test_no_gold_is_a_sentence(tmp_path, monkeypatch):
    path = tmp_path / "yt.duckdb"
    duckdb.connect(str(path)).execute("CREATE SCHEMA bronze; CREATE TABLE bronze.x AS SELECT 1 AS a").close()
    at = _app(path, monkeypatch).run()
    assert not at.exception, at.exception
    [sentence] = _sentences(at)
    assert "has no Gold yet" in sentence


def test_a_missing_mart_on_one_page_is_a_sentence(gold, monkeypatch):
    at = _app(gold, monkeypatch).run()
    duckdb.connect(str(gold)).execute("DROP TABLE gold.gold_video_device_daily_summary").close()
    at.sidebar.radio[0].set_value("Devices").run()
    assert not at.exception, at.exception
    assert len(_sentences(at)) == 1 and "has no Gold yet" in _sentences(at)[0]


@pytest.mark.parametrize("damage", ["not-duckdb", "truncated", "corrupt"])
def test_an_unreadable_file_is_a_sentence(gold, monkeypatch, damage):
    if damage == "not-duckdb":
        gold.write_text("my notes\n" * 100)
    elif damage == "truncated":
        os.truncate(gold, 20_000)
    else:
        with gold.open("r+b") as f:
            f.seek(4096 + 16)
            f.write(b"\xff" * 64)
    before = gold.read_bytes()
    at = _app(gold, monkeypatch).run()
    assert not at.exception, at.exception
    [sentence] = _sentences(at)
    assert sentence.startswith("The dashboard cannot read the lakehouse:")
    assert {"not-duckdb": "not a DuckDB lakehouse", "truncated": "is truncated", "corrupt": "is corrupt"}[
        damage
    ] in sentence
    assert gold.read_bytes() == before


def test_a_read_only_folder_is_read(gold, monkeypatch):
    """A reader needs no write access to the folder (writers do); the check that refuses a
    folder for writing is made to say no here, as root can write any folder."""
    from ytlake.lakehouse import duckdb_engine

    monkeypatch.setattr(duckdb_engine, "_can_create_in", lambda folder: False)
    with pytest.raises(duckdb_engine.LakehouseError, match="not writable"):
        duckdb_engine.DuckDBEngine(gold)  # a writer is refused...
    at = _app(gold, monkeypatch).run()  # ...a reader is not
    assert not at.exception, at.exception
    assert not _sentences(at) and at.get("plotly_chart")


def test_a_truly_read_only_folder_is_read(gold, monkeypatch):
    folder = gold.parent
    folder.chmod(0o555)
    try:
        probe = folder / ".probe"
        try:
            probe.touch()
            probe.unlink()
            pytest.skip("running as a user who can write a read-only folder; tested with the check saying no")
        except OSError:
            pass
        at = _app(gold, monkeypatch).run()
        assert not at.exception, at.exception
        assert not _sentences(at) and at.get("plotly_chart")
    finally:
        folder.chmod(0o755)


def test_damage_met_by_a_query_is_a_sentence(tmp_path, monkeypatch):
    """A file DuckDB opens, whose blocks a query needs are gone: rows a killed run wrote past
    the checkpoint (the WAL points at them), then the file cut back to its header's blocks."""
    from ytlake.lakehouse.files import required_size

    path = tmp_path / "yt.duckdb"
    code = (
        "import duckdb, os\n"
        f"c = duckdb.connect({str(path)!r})\n"
        "c.execute('CREATE SCHEMA gold'); c.execute('CHECKPOINT')\n"
        "c.execute(\"CREATE TABLE gold.gold_channel_daily_summary AS SELECT 'UCbig' AS channel_id, DATE '2026-03-01' + "
        '(range % 10)::INT AS date, range AS views FROM range(300000)")\n'
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    with path.open("rb") as f:
        os.truncate(path, required_size(f, path.stat().st_size))
    at = _app(path, monkeypatch).run()
    assert not at.exception, at.exception
    [sentence] = _sentences(at)
    assert sentence.startswith("The dashboard cannot read the lakehouse:") and "is truncated" in sentence
