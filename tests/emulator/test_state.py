"""``ytlake emulator serve --state PATH``: what calls change survives a restart (the quota a
day spent, refresh tokens issued and revoked), as Google remembers them."""

from __future__ import annotations

import stat
from datetime import datetime

import pytest

from ytlake.cli import main
from ytlake.emulator.service import Emulator, EmulatorConfig
from ytlake.emulator.state import StateFileError, load
from ytlake.emulator.world import PACIFIC, World

from ..conftest import tiny_world_config
from .test_service import FORM, Clock, _call, _service_token

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=PACIFIC).timestamp()


def _emulator(path, clock, **config) -> Emulator:
    return Emulator(
        World(tiny_world_config()), EmulatorConfig(state_path=path, token_ttl=10**6, **config), clock
    )


def test_quota_spent_today_is_still_spent_after_a_restart_and_resets_the_next_day(tmp_path):
    path, clock = tmp_path / "state.json", Clock(NOON)
    first = _emulator(path, clock, data_api_quota=3)
    token = _service_token(first)
    assert [_call(first, token)[0] for _ in range(2)] == [200, 200]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds refresh tokens

    again = _emulator(path, clock, data_api_quota=3)  # restarted, same day
    token = _service_token(again)
    assert [_call(again, token)[0] for _ in range(2)] == [200, 403]

    clock.t = NOON + 24 * 3600  # the next Pacific day
    later = _emulator(path, clock, data_api_quota=3)
    assert _call(later, _service_token(later))[0] == 200


def test_a_revoked_refresh_token_stays_revoked_after_a_restart(tmp_path):
    path, clock = tmp_path / "state.json", Clock(NOON)
    first = _emulator(path, clock, revoke_after=1)
    _call(first, _service_token(first))  # the call after which Google revokes
    status, body, _ = first.handle("POST", "/token", {}, {}, {k: [v] for k, v in FORM.items()})
    assert (status, body["error"]) == (400, "invalid_grant")

    again = _emulator(path, clock)  # restarted without --revoke-after: still revoked
    status, body, _ = again.handle("POST", "/token", {}, {}, {k: [v] for k, v in FORM.items()})
    assert (status, body["error"]) == (400, "invalid_grant")

    fresh = _emulator(tmp_path / "other.json", clock)  # another state: the world's tokens
    assert _service_token(fresh)


def test_without_a_state_file_a_restart_forgets(tmp_path):
    clock = Clock(NOON)
    first = Emulator(World(tiny_world_config()), EmulatorConfig(data_api_quota=1, token_ttl=10**6), clock)
    assert _call(first, _service_token(first))[0] == 200
    again = Emulator(World(tiny_world_config()), EmulatorConfig(data_api_quota=1, token_ttl=10**6), clock)
    assert _call(again, _service_token(again))[0] == 200


def test_a_file_that_is_not_a_state_is_one_line_before_serving(tmp_path, capsys):
    bad = tmp_path / "state.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(StateFileError):
        load(bad)
    assert main(["emulator", "serve", "--port", "0", "--state", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not an emulator state file" in err and "remove it" in err


def test_a_state_with_a_broken_reporting_job_is_one_line_too(tmp_path):
    bad = tmp_path / "state.json"
    bad.write_text('{"version": 1, "reporting_jobs": [{"id": "j", "name": "n"}]}', encoding="utf-8")
    with pytest.raises(StateFileError) as refused:
        load(bad)
    assert "reporting job" in str(refused.value) and "\n" not in str(refused.value)
