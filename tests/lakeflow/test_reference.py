"""Reference datasets: generated from their sources of truth, never typed by hand."""

import pycountry

from ytlake import paths
from ytlake.emulator.world import DEVICE_TYPES, TRAFFIC_SOURCES
from ytlake.lakeflow import discover
from ytlake.lakeflow.reference import read_csv, write_all

#: insightTrafficSourceType values Google documents or returns (reference/youtube_api_facts.md §6).
DOCUMENTED_TRAFFIC_SOURCES = {
    "ADVERTISING",
    "ANNOTATION",
    "CAMPAIGN_CARD",
    "END_SCREEN",
    "EXT_URL",
    "HASHTAGS",
    "IMMERSIVE_LIVE",
    "LIVE_REDIRECT",
    "NO_LINK_EMBEDDED",
    "NO_LINK_OTHER",
    "NOTIFICATION",
    "PLAYLIST",
    "PRODUCT_PAGE",
    "PROMOTED",
    "RELATED_VIDEO",
    "SHORTS",
    "SHORTS_CONTENT_LINKS",
    "SOUND_PAGE",
    "SUBSCRIBER",
    "VIDEO_REMIXES",
    "YT_CHANNEL",
    "YT_OTHER_PAGE",
    "YT_PLAYLIST_PAGE",
    "YT_SEARCH",
}
DOCUMENTED_DEVICES = {"DESKTOP", "GAME_CONSOLE", "MOBILE", "TABLET", "TV", "UNKNOWN_PLATFORM"}


def test_generated_sql_is_current():
    assert write_all(check=True) == [], "run: uv run python scripts/generate_reference_sql.py"


def test_traffic_sources_are_complete_and_distinct():
    rows = read_csv(paths.lakeflow_dir() / "reference" / "traffic_sources.csv")
    ids = [r["source_id"] for r in rows]
    assert set(ids) == DOCUMENTED_TRAFFIC_SOURCES and len(ids) == len(set(ids))
    assert len({r["source_name"] for r in rows}) == len(rows)
    assert len({r["source_description"] for r in rows}) == len(rows)
    assert all(r["source_name"] and r["source_description"] for r in rows)
    assert set(TRAFFIC_SOURCES) <= set(ids)  # the emulator only sends documented ids


def test_device_types_are_complete_and_distinct():
    rows = read_csv(paths.lakeflow_dir() / "reference" / "device_types.csv")
    assert {r["device_type"] for r in rows} == DOCUMENTED_DEVICES == set(DEVICE_TYPES)
    assert len({r["device_name"] for r in rows}) == len(rows)


def test_country_reference_matches_pycountry(tmp_path):
    from ytlake.lakeflow import run_pipeline
    from ytlake.lakehouse import DuckDBEngine

    [dataset] = [d for d in discover(str(paths.silver_sql_dir() / "**")) if d.name == "dim_country_reference"]
    with DuckDBEngine(tmp_path / "ref.duckdb") as engine:
        run_pipeline(engine, [dataset])
        rows = {
            r["country_code"]: r
            for r in engine.query_native("SELECT * FROM silver.dim_country_reference").to_pylist()
        }
    assert set(rows) == {c.alpha_2 for c in pycountry.countries}
    for c in pycountry.countries:
        row = rows[c.alpha_2]
        assert (row["alpha_3"], row["numeric_code"]) == (c.alpha_3, c.numeric)
        assert row["country_name"] == (getattr(c, "common_name", None) or c.name)
    assert rows["CI"]["country_name"] == "Côte d'Ivoire"  # quotes survive the SQL round trip
