"""One world, three modes: Gold built from v2 (``query``), from the Reporting API's files
(``bulk``) and from both (``hybrid``) agree wherever the sources agree, and differ exactly by
what Google's privacy threshold withholds from v2; a restated day's later file replaces the
first figures; hybrid asks v2 only for the days no file covers.

The emulator keeps its jobs in ``--state`` while ``--today`` walks: jobs are created on T0, the
files of T0-30 .. T1-2 are listed on T1, and the day T1-2 (provisional when first reported)
is restated by T2. The threshold is on (Google's default irregularity), everything else exact.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta

import duckdb
import pytest

from ytlake.emulator.rules import Irregularities
from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.emulator.world import PACIFIC, World, WorldConfig
from ytlake.runlocal import RunOptions, run_local
from ytlake.tasks import bulk
from ytlake.youtube import reporting_api
from ytlake.youtube.reports import REPORTS

pytestmark = pytest.mark.slow

T0 = date(2026, 3, 1)
T1 = T0 + timedelta(days=5)
T2 = T0 + timedelta(days=7)
THRESHOLD = 5
INGESTION = ("init_run_context", "ingest_data_api_to_bronze", "ingest_analytics_api_to_bronze")
MODES = ("query", "bulk", "hybrid")
TYPES = ("channel_basic_a3", "channel_traffic_source_a3", "channel_device_os_a3")
#: provenance, not figures: which answer or file a row came from and when it landed
PROVENANCE = {"is_filled", "snapshot_date", "ingest_ts_utc", "source", "run_id"}
BREAKDOWNS = {
    "traffic_source": ("gold_video_traffic_source_daily_summary", "source_id"),
    "device": ("gold_video_device_daily_summary", "device_type"),
    "country": ("gold_video_country_daily_summary", "country_code"),
}


def _config(today: date) -> WorldConfig:
    # ten days of history before the first bulk file (T0-30): hybrid takes them from v2
    return WorldConfig(seed=7, videos=6, history_days=40, today=today, start=T0 - timedelta(days=40))


def _final(today: date) -> date:
    """The last day whose figures are final on ``today`` (older days are never restated)."""
    return today - timedelta(days=_config(today).final_after_days)


class Lakes:
    def __init__(self, root):
        self.root = root
        self.summaries: dict[str, dict] = {}

    def path(self, name: str):
        return self.root / f"{name}.duckdb"

    def sql(self, name: str, query: str) -> list[tuple]:
        con = duckdb.connect(str(self.path(name)), read_only=True)
        try:
            return con.sql(query).fetchall()
        finally:
            con.close()

    def gold(self, name: str, mart: str, first: date, last: date) -> dict[tuple, tuple]:
        """Grain -> figures of one mart between two days (provenance columns left out)."""
        con = duckdb.connect(str(self.path(name)), read_only=True)
        try:
            rel = con.sql(f"SELECT * FROM gold.{mart} WHERE date BETWEEN '{first}' AND '{last}'")
            cols = [c for c in rel.columns if c not in PROVENANCE]
            grain = [c for c in ("video_id", "channel_id", "date", "breakdown") if c in cols]
            grain += [c for _, key in BREAKDOWNS.values() for c in [key] if c in cols]
            out = {}
            for row in rel.fetchall():
                values = dict(zip(rel.columns, row, strict=True))
                out[tuple(values[c] for c in grain)] = tuple(values[c] for c in cols)
            return out
        finally:
            con.close()


def _run(emu, lakes: Lakes, name: str, mode: str, today: date, only=None, **more):
    options = RunOptions(
        source="demo",
        api_root=emu.base_url,
        lakehouse=lakes.path(name),
        today=today,
        analytics_mode=mode,
        **more,
    )
    result = run_local(options, only=only)
    assert result.rows["__run_status__"] == "SUCCEEDED", result.summary
    return result


def _serve(state, today: date):
    noon = datetime(today.year, today.month, today.day, 12, tzinfo=PACIFIC).timestamp()
    return running_emulator(
        _config(today),
        EmulatorConfig(
            irregular=replace(Irregularities.exact(), privacy_threshold=THRESHOLD), state_path=state
        ),
        clock=lambda: noon,
    )


@pytest.fixture(scope="module")
def lakes(tmp_path_factory) -> Lakes:
    """The three report types the five facts read (the bulk-only facts are checked on the
    two-run lakehouse, tests/lakeflow/test_silver.py)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bulk, "BULK_REPORT_TYPES", TYPES)
        mp.setattr(reporting_api, "BULK_REPORT_TYPES", TYPES)
        return _build(Lakes(tmp_path_factory.mktemp("modes")))


def _build(lakes: Lakes) -> Lakes:
    state = lakes.root / "state.json"
    with _serve(state, T0) as emu:  # the jobs are created; no file for 48 hours
        for mode in ("bulk", "hybrid"):
            _run(emu, lakes, mode, mode, T0, only=INGESTION)
    with _serve(state, T1) as emu:
        for mode in MODES:
            lakes.summaries[mode] = _run(emu, lakes, mode, mode, T1).summary
        # the same day with no latency: the last two days have no file yet, v2 is asked them
        _run(emu, lakes, "hybrid", "hybrid", T1, only=INGESTION, latency_days=0)
    shutil.copy(lakes.path("bulk"), lakes.path("bulk_t2"))
    with _serve(state, T2) as emu:
        _run(emu, lakes, "bulk_t2", "bulk", T2)
    return lakes


def _bulk_days(lakes: Lakes, name: str, report_type: str) -> set[date]:
    rows = lakes.sql(
        name, f"SELECT date FROM silver.silver_bulk_report_files WHERE report_type = '{report_type}'"
    )
    return {r[0] for r in rows}


def test_daily_marts_are_equal_whichever_mode_built_them(lakes):
    first_file = min(_bulk_days(lakes, "bulk", "channel_basic_a3"))
    assert first_file == T0 - timedelta(days=30)  # Google's 30 historical days
    last = _final(T1)
    for mart in ("gold_channel_daily_summary", "gold_video_daily_summary"):
        query = lakes.gold("query", mart, T0 - timedelta(days=40), last)
        hybrid = lakes.gold("hybrid", mart, T0 - timedelta(days=40), last)
        bulk = lakes.gold("bulk", mart, first_file, last)
        assert query and hybrid == query, mart  # history before the files from v2, then bulk
        assert bulk == {k: v for k, v in query.items() if k[-1] >= first_file}, mart
    # hybrid took the days files cover from the files, the days before from v2
    sources = dict(
        lakes.sql("hybrid", "SELECT source, min(date) FROM silver.fact_video_daily_metrics GROUP BY 1")
    )
    assert sources["bulk"] == first_file and sources["query"] < first_file


def test_breakdowns_differ_from_v2_exactly_by_the_rows_v2_withheld(lakes):
    days = sorted(_bulk_days(lakes, "bulk", "channel_basic_a3"))
    first, last = days[0], _final(T1)
    withheld = {
        (video_id, day, breakdown): views
        for video_id, day, breakdown, views in lakes.sql(
            "query",
            "SELECT video_id, date, breakdown, withheld_views FROM gold.gold_video_breakdown_coverage "
            f"WHERE date BETWEEN '{first}' AND '{last}'",
        )
    }
    assert sum(withheld.values()) > 0  # the threshold did withhold rows from v2
    for breakdown, (mart, _) in BREAKDOWNS.items():
        for mode in ("bulk", "hybrid"):
            query = _views(lakes, "query", mart, first, last)
            other = _views(lakes, mode, mart, first, last)
            if breakdown == "traffic_source":
                # the Reporting API has no code for embedded players without a referrer: its
                # "external" (9) holds what v2 splits into EXT_URL and NO_LINK_EMBEDDED
                for key in [k for k in query if k[2] == "NO_LINK_EMBEDDED"]:
                    ext = (*key[:2], "EXT_URL")
                    query[ext] = query.get(ext, 0) + query.pop(key)
            gaps = defaultdict(int)
            for key, views in other.items():
                got = query.get(key)
                if got is None:  # a row v2 withheld: under the threshold
                    assert views < THRESHOLD or key[2] == "EXT_URL", (mode, breakdown, key, views)
                else:
                    assert views >= got, (mode, breakdown, key)
                    assert views == got or key[2] == "EXT_URL", (mode, breakdown, key)
                gaps[key[:2]] += views - (got or 0)
            assert not set(query) - set(other), (mode, breakdown)  # nothing v2 has is missing
            expected = {k[:2]: v for k, v in withheld.items() if k[2] == breakdown and v}
            assert {k: v for k, v in gaps.items() if v} == expected, (mode, breakdown)
    # the run summary reports what v2 withheld (the same coverage mart), per breakdown
    shortfall = lakes.summaries["query"]["quality"]["breakdown_shortfall"]
    everything = lakes.sql(
        "query", "SELECT breakdown, sum(withheld_views) FROM gold.gold_video_breakdown_coverage GROUP BY 1"
    )
    assert {b: shortfall[b]["withheld_views"] for b in shortfall} == dict(everything)
    bulk_sources = lakes.summaries["bulk"]["quality"]["sources"]["fact_video_traffic_source_metrics"]
    assert set(bulk_sources) == {"bulk"}


def _views(lakes: Lakes, name: str, mart: str, first: date, last: date) -> dict[tuple, int]:
    key = next(k for m, k in BREAKDOWNS.values() if m == mart)
    return {
        (video_id, day, category): views
        for video_id, day, category, views in lakes.sql(
            name,
            f"SELECT video_id, date, {key}, views FROM gold.{mart} WHERE date BETWEEN '{first}' AND '{last}'",
        )
    }


def test_hybrid_asks_v2_only_for_days_no_file_covers(lakes):
    files = {
        "video_daily": "channel_basic_a3",
        "video_traffic_source": "channel_traffic_source_a3",
        "video_device": "channel_device_os_a3",
        "video_country": "channel_basic_a3",
        "channel_daily": "channel_basic_a3",
    }
    runs = [
        r for (r,) in lakes.sql("hybrid", "SELECT run_id FROM bronze.run_context_log ORDER BY started_ts_utc")
    ]
    assert len(runs) == 3  # T0 (no file yet: v2 for every day), T1, T1 without latency
    asked: dict[str, dict[str, set[date]]] = {run: defaultdict(set) for run in runs}
    # the others have no file to count (this test lands the three TYPES only)
    for report in (r for r in REPORTS if r.bulk_type in TYPES):
        covered = _bulk_days(lakes, "hybrid", files[report.name])
        for run_id, payload in lakes.sql("hybrid", f"SELECT run_id, payload FROM {report.table}"):
            params = json.loads(payload)["request"]["params"]
            first, last = date.fromisoformat(params["startDate"]), date.fromisoformat(params["endDate"])
            days = {first + timedelta(days=i) for i in range((last - first).days + 1)}
            if run_id != runs[0]:
                assert not days & covered, (report.name, params)  # a day a file covers: never
            asked[run_id][report.name] |= days
    assert min(asked[runs[0]]["video_daily"]) < T0 - timedelta(days=30)  # the history before the files
    assert not any(asked[runs[1]].values())  # on T1 every day up to T1-2 has its file
    # without latency, exactly the two days whose files have not come yet, for every range
    # report; country is asked per day with views, and Google has none for them yet
    recent = {T1 - timedelta(days=1), T1}
    ranges = [name for name in files if name != "video_country"]
    assert {name: days for name, days in asked[runs[2]].items() if days} == dict.fromkeys(ranges, recent)


def test_a_restated_day_replaces_the_first_figures(lakes):
    day = T1 - timedelta(days=2)  # first reported on T1 (provisional), restated when final
    reports = lakes.sql(
        "bulk_t2",
        "SELECT DISTINCT payload ->> '$.request.params.reportId', payload ->> '$.request.params.createTime' "
        "FROM bronze.analytics_bulk_reports_raw "
        "WHERE payload ->> '$.request.params.reportTypeId' = 'channel_basic_a3' "
        f"AND payload ->> '$.request.params.startTime' LIKE '{day}T%'",
    )
    assert len(reports) == 2  # the first report and its restatement, both landed
    [(chosen,)] = lakes.sql(
        "bulk_t2",
        f"SELECT create_time FROM silver.silver_bulk_report_files WHERE report_type = 'channel_basic_a3' "
        f"AND date = '{day}'",
    )
    assert chosen == max(c for _, c in reports)
    first, final = World(_config(T1)), World(_config(T2))
    for name, world in (("bulk", first), ("bulk_t2", final)):
        got = dict(
            lakes.sql(name, f"SELECT video_id, views FROM gold.gold_video_daily_summary WHERE date = '{day}'")
        )
        assert got == {v.video_id: world.observed_video_day(v, day).views for v in world.videos_of(1, day)}, (
            name
        )
    assert sum(final.observed_video_day(v, day).views for v in final.videos_of(1, day)) > sum(
        first.observed_video_day(v, day).views for v in first.videos_of(1, day)
    )
