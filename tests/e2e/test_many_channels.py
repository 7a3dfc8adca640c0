"""Many channels in one lakehouse, end to end: three channels of three owners, each token
stored with `ytlake channels add`, in one job against an emulator as irregular as Google.
One owner revoked the app, and the project's one Analytics quota runs out on another: the
healthy channel lands whole, the run ends PARTIAL naming the other two, and the next day
(the revoked channel added again) completes them. Gold per channel equals what the official
client reads with that channel's own token; no video's rows land under another channel."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import httpx
import pytest

from ytlake.cli import main
from ytlake.emulator.server import running_emulator
from ytlake.emulator.service import EmulatorConfig
from ytlake.emulator.world import World, demo_refresh_token

from ..conftest import TODAY, consent_via_handle, tiny_world_config
from .test_irregular import INGESTION, assert_gold_equals_the_api, run

pytestmark = pytest.mark.slow

NEXT_DAY = TODAY + timedelta(days=1)
WORLD = tiny_world_config(channels=3, videos=4, history_days=30, seed=5)
START = World(WORLD).start - timedelta(days=2)


def world(today):
    return tiny_world_config(
        channels=3, videos=4, history_days=30, seed=5, start=World(WORLD).start, today=today
    )


def sql(lake, query):
    con = duckdb.connect(str(lake), read_only=True)
    try:
        return con.sql(query).fetchall()
    finally:
        con.close()


def last_summary(lake) -> dict:
    [(summary,)] = sql(
        lake, "SELECT summary FROM bronze.run_context_log ORDER BY started_ts_utc DESC LIMIT 1"
    )
    return json.loads(summary)


def add_channel(base_url: str, token: str, capsys) -> str:
    """`ytlake channels add --refresh-token` (no browser): the channel's id, from its output."""
    assert main(["channels", "add", "--refresh-token", token, "--api-root", base_url]) == 0
    out = capsys.readouterr().out
    return out.split("channel ", 1)[1].split()[0]


def test_three_channels_one_revoked_one_over_quota_then_completed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the credentials file lands here (.ytlake/credentials.json)
    for name in ("YT_CLIENT_ID", "YT_CLIENT_SECRET", "YT_REFRESH_TOKEN", "YTLAKE_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    state = tmp_path / "emulator-state.json"  # the revocation outlives the emulator's restart
    # what each channel costs when nothing goes wrong: sets a quota one channel can spend
    with running_emulator(world(TODAY), EmulatorConfig()) as emu:
        reference = run(  # what lands is what counts here: ingestion only
            emu.base_url, tmp_path / "reference.duckdb", start_date=START, demo_channels=3, only=INGESTION
        )
        assert reference.run_status == "SUCCEEDED"
    costs = last_summary(tmp_path / "reference.duckdb")["channels"]
    per_channel = sorted(c["analytics_requests"] for c in costs.values())
    assert len(per_channel) == 3 and per_channel[0] > 0
    quota = per_channel[0] + per_channel[1] // 2  # the first in turn lands, the second spends it

    lake = tmp_path / "yt.duckdb"
    with running_emulator(world(TODAY), EmulatorConfig(analytics_quota=quota, state_path=state)) as emu:
        ids = [add_channel(emu.base_url, demo_refresh_token(k), capsys) for k in (1, 2, 3)]
        owner = {c.channel_id: c.index for c in emu.world.channels}
        assert [owner[i] for i in ids] == [1, 2, 3]
        # the owner of channel 2 removes the app from their Google account
        revoked = httpx.post(f"{emu.base_url}/revoke", data={"token": demo_refresh_token(2)})
        assert revoked.status_code == 200
        first = run(emu.base_url, lake, start_date=START)
        assert first.run_status == "PARTIAL", first.run.results
        s = last_summary(lake)
        partial = " | ".join(s["partial"])
        outcomes = s["channels"]
        # channel 2: its token refused, named with the fix; no Analytics asked for it
        assert outcomes[ids[1]]["status"] == "FAILED" and "analytics" not in outcomes[ids[1]]
        assert ids[1] in partial and "ytlake channels add" in partial
        # of the other two, the first in turn lands whole; the quota runs out on the other
        statuses = {cid: outcomes[cid]["status"] for cid in (ids[0], ids[2])}
        assert sorted(statuses.values()) == ["PARTIAL", "SUCCEEDED"], outcomes
        [healthy] = [cid for cid, st in statuses.items() if st == "SUCCEEDED"]
        [spent] = [cid for cid, st in statuses.items() if st == "PARTIAL"]
        assert spent in partial and "quota" in outcomes[spent]["reason"]
        assert sql(
            lake, f"SELECT count(*) FROM gold.gold_channel_daily_summary WHERE channel_id = '{ids[1]}'"
        ) == [(0,)]
        # the owner of channel 2 consents again (signing in as that channel's owner)
        fresh = consent_via_handle(emu.emulator, login_hint=ids[1])["refresh_token"]
    # the healthy channel landed whole: read back with the official client from the same world
    # (this emulator's quota is spent; one of the same seed and day answers the same)
    with running_emulator(world(TODAY), EmulatorConfig()) as oracle:
        assert_gold_equals_the_api(oracle.base_url, lake, demo_refresh_token(owner[healthy]), healthy)
    with running_emulator(world(NEXT_DAY), EmulatorConfig(state_path=state)) as emu:
        assert add_channel(emu.base_url, fresh, capsys) == ids[1]
        second = run(emu.base_url, lake, NEXT_DAY, start_date=START)
        assert second.run_status == "SUCCEEDED", last_summary(lake).get("partial")
        tokens = {ids[0]: demo_refresh_token(1), ids[1]: fresh, ids[2]: demo_refresh_token(3)}
        for channel_id, token in tokens.items():  # Gold per channel equals its own source
            assert_gold_equals_the_api(emu.base_url, lake, token, channel_id)
        # no leakage: every video's rows are under its owner's channel, in Silver and Gold
        truth = {v.video_id: emu.world.channel(v.channel_index).channel_id for v in emu.world.videos}
    for table in ("silver.fact_video_daily_metrics", "gold.gold_video_daily_summary", "silver.silver_videos"):
        rows = sql(lake, f"SELECT DISTINCT video_id, channel_id FROM {table}")
        assert rows and all(truth[v] == c for v, c in rows), table
    days = dict(sql(lake, "SELECT channel_id, count(*) FROM gold.gold_channel_daily_summary GROUP BY 1"))
    assert set(days) == set(ids) and len(set(days.values())) == 1  # every channel, every day


def test_once_the_shared_quota_is_spent_the_channels_after_are_not_asked(tmp_path, monkeypatch):
    """One project's Analytics quota: when it runs out on a channel, the channels whose turn
    comes after it make no request at all (each one would only be refused) and are PARTIAL,
    named; their Data API calls landed."""
    monkeypatch.chdir(tmp_path)
    small = tiny_world_config(channels=2, videos=2, history_days=20, seed=5)
    with running_emulator(small, EmulatorConfig(analytics_quota=10)) as emu:
        result = run(
            emu.base_url,
            tmp_path / "yt.duckdb",
            start_date=World(small).start,
            demo_channels=2,
            only=INGESTION,
        )
        asked = emu.emulator.stats.requests["/v2/reports"]
    assert result.run_status == "PARTIAL"
    outcomes = last_summary(tmp_path / "yt.duckdb")["channels"]
    first, second = sorted(outcomes.values(), key=lambda c: -(c["analytics_requests"] or 0))
    assert first["status"] == second["status"] == "PARTIAL"
    assert "quota" in first["reason"] and "before its turn" in second["reason"]
    assert not second["analytics_requests"]  # not one request into a spent quota
    assert 10 <= asked <= 10 + 2 * 8  # the quota, and the refusals of the requests in flight
