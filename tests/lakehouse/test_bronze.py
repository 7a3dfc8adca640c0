import json
from datetime import date

import pytest

from ytlake.lakehouse.bootstrap import bootstrap_statements, bronze_table_columns
from ytlake.lakehouse.bronze import (
    CONTRACT_COLUMNS,
    OPERATIONAL_TABLES,
    RAW_TABLES,
    BronzeBatch,
    envelope,
    missing_contract_columns,
    read_envelope,
)
from ytlake.lakehouse.identifiers import InvalidIdentifierError
from ytlake.youtube.reports import REPORTS


def test_envelope_keeps_request_status_and_parsed_body():
    payload = envelope("youtube/v3/channels", {"mine": "true", "part": "snippet"}, 200, '{"items": []}')
    assert json.loads(payload) == {
        "request": {"endpoint": "youtube/v3/channels", "params": {"mine": "true", "part": "snippet"}},
        "status": 200,
        "body": {"items": []},
    }


def test_envelope_keeps_raw_text_when_the_answer_is_not_json():
    assert read_envelope(envelope("v2/reports", {}, 502, "<html>Bad Gateway</html>"))["body"] == (
        "<html>Bad Gateway</html>"
    )


@pytest.mark.parametrize("secret", ["access_token", "key", "client_secret", "refresh_token"])
def test_envelope_refuses_credentials(secret):
    with pytest.raises(ValueError, match="credential"):
        envelope("youtube/v3/videos", {"id": "x", secret: "s3cr3t"}, 200, "{}")


def test_read_envelope_rejects_other_json():
    with pytest.raises(ValueError, match="envelope"):
        read_envelope('{"items": []}')


def test_ddl_declares_the_raw_tables_and_the_operational_ones():
    tables = bronze_table_columns()
    assert set(tables) == {*RAW_TABLES, "run_context_log", *OPERATIONAL_TABLES}
    # the seed's eight, the Reporting API's files, retention, the granted scopes, four revenue
    # reports, the per-day demographics, the videos' formats
    assert len(RAW_TABLES) == 17
    assert {*RAW_TABLES} >= {r.table.removeprefix("bronze.") for r in REPORTS}


@pytest.mark.parametrize("table", RAW_TABLES)
def test_every_raw_table_has_the_contract_columns_not_null(table):
    columns = bronze_table_columns()[table]
    assert [(name, kind, nn) for name, kind, nn in columns] == [
        (name, kind, True) for name, kind in CONTRACT_COLUMNS
    ]
    assert missing_contract_columns([(n, t) for n, t, _ in columns]) == []


def test_run_context_log_has_the_contract_columns():
    names = [c[0] for c in bronze_table_columns()["run_context_log"]]
    for required in (
        "run_id",
        "job_id",
        "job_run_id",
        "started_ts_utc",
        "run_status",
        "finished_ts_utc",
        "finalized_ts_utc",
        "finalize_task_run_id",
        "params",
        "summary",
    ):
        assert required in names


def test_missing_contract_columns_names_what_is_missing():
    assert missing_contract_columns([("payload", "STRING")])[:2] == ["snapshot_date", "ingest_ts_utc"]


def test_bootstrap_fills_in_a_validated_catalog():
    statements = bootstrap_statements("my_catalog")
    assert all("${catalog}" not in s for s in statements)
    assert any("my_catalog.bronze.videos_raw" in s for s in statements)
    with pytest.raises(InvalidIdentifierError):
        bootstrap_statements("bad; DROP TABLE x")


def test_batch_to_arrow_follows_the_contract():
    batch = BronzeBatch("bronze.videos_raw", "run-1", date(2026, 1, 2), "emulator")
    batch.add("youtube/v3/videos", {"id": "a,b"}, 200, '{"items": []}', request_id="r1")
    table = batch.to_arrow()
    assert table.column_names == [name for name, _ in CONTRACT_COLUMNS]
    row = table.to_pylist()[0]
    assert (row["run_id"], row["request_id"], row["snapshot_date"]) == ("run-1", "r1", date(2026, 1, 2))
    assert str(row["ingest_ts_utc"].tzinfo) == "UTC"
