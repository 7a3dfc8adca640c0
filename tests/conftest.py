"""Shared fixtures: a tiny emulator world, lakehouse paths, one demo run for e2e tests."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import pytest

from ytlake.emulator.server import running_emulator
from ytlake.emulator.world import World, WorldConfig

# Compiled modules are cached, whatever the environment says: with PYTHONDONTWRITEBYTECODE set
# (as on the machine the suite's figures come from) every process the tests start (each
# `ytlake run`, each Streamlit server) compiled dbt, pandas and Streamlit from source again:
# their imports took 7.8 s, against 3.3 s from cached bytecode. Every pytest process (the
# controller and each worker) loads this file, and the processes they start inherit it.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

TODAY = date(2026, 3, 10)
#: The tasks of a run that lands Bronze only, and of one that stops after Silver.
INGESTION = ("init_run_context", "ingest_data_api_to_bronze", "ingest_analytics_api_to_bronze")
UP_TO_SILVER = (*INGESTION, "run_lakeflow_pipeline")


def tiny_world_config(**overrides) -> WorldConfig:
    """A few videos and two weeks of history: fast, but every code path is exercised."""
    values = {"seed": 7, "videos": 6, "history_days": 21, "today": TODAY}
    values.update(overrides)
    return WorldConfig(**values)


@pytest.fixture(scope="session")
def tiny_world() -> World:
    return World(tiny_world_config())


@pytest.fixture(scope="module")
def emulator():
    with running_emulator(tiny_world_config()) as emu:
        yield emu


@pytest.fixture
def lakehouse(tmp_path: Path) -> Path:
    return tmp_path / "lake" / "yt.duckdb"


def consent_via_handle(
    emulator, scope: str = "", prompt: str | None = "consent", login_hint: str | None = None
) -> dict:
    """The token answer of the emulator's consent flow (a user clicking Allow, with whatever
    boxes the emulator's ``denied_scopes`` leaves unticked; signed in as the owner of the
    channel ``login_hint`` names, else channel 1's), through ``Emulator.handle``."""
    import httpx

    scope = scope or (
        "https://www.googleapis.com/auth/youtube.readonly https://www.googleapis.com/auth/yt-analytics.readonly"
    )
    params = {
        "client_id": ["ytlake-demo-client"],
        "response_type": ["code"],
        "redirect_uri": ["http://localhost:1/"],
        "scope": [scope],
    }
    if prompt:
        params["prompt"] = [prompt]
    if login_hint:
        params["login_hint"] = [login_hint]
    _, _, headers = emulator.handle("GET", "/o/oauth2/auth", params, {})
    form = {
        "grant_type": ["authorization_code"],
        "code": [httpx.URL(headers["Location"]).params["code"]],
        "redirect_uri": ["http://localhost:1/"],
        "client_id": ["ytlake-demo-client"],
        "client_secret": ["ytlake-demo-secret"],
    }
    status, body, _ = emulator.handle("POST", "/token", {}, {}, form)
    assert status == 200, body
    return body


def consented_refresh_token(emulator) -> str:
    return consent_via_handle(emulator)["refresh_token"]


from .two_runs import built  # noqa: E402,F401 - the two-run lakehouse, shared by Silver and Gold tests

#: The longest files first, so the suite does not end on a long file on one worker while the
#: other waits. `--dist loadfile` hands out files in collection order only with
#: `--no-loadscope-reorder` (pyproject's addopts): by default xdist sorts the files by their
#: number of tests, which put these few-test files last.
LONGEST_FIRST = (  # by the time each took in the last full run
    "tests/e2e/test_spark.py",  # every SparkSession test: one JVM
    "tests/e2e/test_irregular.py",
    "tests/faults/test_campaign.py",
    "tests/faults/test_fault_suite.py",
    "tests/tasks/test_ingestion.py",
    "tests/dashboard/test_browser.py",
    "tests/lakeflow/test_expectations_e2e.py",
    "tests/e2e/test_run.py",
    "tests/e2e/test_bulk_modes.py",
    "tests/e2e/test_trust.py",
    "tests/tasks/test_bulk.py",
    "tests/e2e/test_many_channels.py",
    "tests/lakeflow/test_silver.py",
    "tests/deploy/test_runbook.py",
    "tests/e2e/test_bronze_generator.py",
    "tests/faults/test_fuzz.py",
    "tests/e2e/test_revenue.py",
    "tests/dashboard/test_databricks_reader.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(
        key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank))
    )  # stable: the rest in order
