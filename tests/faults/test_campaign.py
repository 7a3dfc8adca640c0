"""A small seeded sample of the fault campaign (``python -m tests.faults.campaign`` runs it
whole): each case ends with Gold equal to a clean run, no request_id twice, no run left
RUNNING and a published Gold no failed audit touched. The quota-stop-then-deleted-video case
runs only in the whole campaign: the suite covers it in tests/faults/test_fault_suite.py
(quota half way) and tests/tasks/test_ingestion.py (a video that vanishes)."""

from __future__ import annotations

import signal

import pytest

from .campaign import Campaign

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    return Campaign(seed=7, workdir=tmp_path_factory.mktemp("campaign"))


def _ok(case) -> None:
    assert case.ok, case


def test_faults_at_30_percent_then_a_healthy_rerun_lose_nothing(campaign):
    _ok(campaign.transient_faults(0.3))


def test_kill_9_and_sigint_in_ingestion_silver_and_dbt_then_a_healthy_run(campaign):
    case = campaign.interrupts(
        0,
        plan=[
            ("ingest_analytics_api_to_bronze", signal.SIGKILL),
            ("ingest_analytics_api_to_bronze", signal.SIGINT),
            ("run_lakeflow_pipeline", signal.SIGKILL),
            ("dbt_run_gold", signal.SIGINT),
        ],
    )
    _ok(case)
    assert "ABORTED" in case.statuses


def test_garbled_answers_are_quarantined_and_asked_again(campaign):
    _ok(campaign.garbled())


def test_a_failed_audit_leaves_the_published_gold_as_it_was(campaign):
    case = campaign.failed_audit()
    _ok(case)
    assert (
        case.statuses == ["SUCCEEDED", "FAILED"]
        and "assert_breakdowns_never_exceed_daily_views" in case.notes[0]
    )


def test_a_full_disk_is_one_line_and_loses_nothing(campaign):
    [case] = campaign.full_disk((4,))
    if any("skipped" in n for n in case.notes):
        pytest.skip(case.notes[0])
    _ok(case)
