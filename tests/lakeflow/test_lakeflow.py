import pyarrow as pa
import pytest

from ytlake import paths
from ytlake.lakeflow import (
    ExpectationFailedError,
    LakeflowParseError,
    discover,
    order_datasets,
    parse_dataset,
    run_pipeline,
)
from ytlake.lakeflow.translate import query_sql
from ytlake.lakehouse import DuckDBEngine
from ytlake.lakehouse.translate import spark_type_to_duckdb_json

HEADER = """-- leading comment
CREATE OR REFRESH MATERIALIZED VIEW things (
  CONSTRAINT id_present EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT positive EXPECT (v >= 0) ON VIOLATION FAIL UPDATE,
  CONSTRAINT small EXPECT (v < 100)
)
COMMENT 'One row per thing.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.cluster_by' = 'id')
AS
SELECT id, v FROM bronze.raw_things
"""


def test_header_and_query_are_split():
    ds = parse_dataset(HEADER)
    assert ds.name == "things"
    assert ds.kind == "MATERIALIZED VIEW"
    assert ds.comment == "One row per thing."
    assert [(e.name, e.condition, e.action) for e in ds.expectations] == [
        ("id_present", "id IS NOT NULL", "DROP ROW"),
        ("positive", "v >= 0", "FAIL UPDATE"),
        ("small", "v < 100", "WARN"),
    ]
    assert ds.properties == {"quality": "silver", "ytlake.cluster_by": "id"}
    assert ds.query == "SELECT id, v FROM bronze.raw_things"
    assert ds.references() == {"bronze.raw_things"}
    assert "OR REFRESH" in ds.skipped_clauses


def test_a_malformed_header_names_the_problem():
    with pytest.raises(LakeflowParseError, match="MATERIALIZED VIEW, STREAMING TABLE or TEMPORARY VIEW"):
        parse_dataset("CREATE TABLE x AS SELECT 1")
    with pytest.raises(LakeflowParseError, match="PRIVATE datasets are not supported"):
        parse_dataset("CREATE PRIVATE MATERIALIZED VIEW x AS SELECT 1 AS a")
    with pytest.raises(LakeflowParseError, match="a TEMPORARY VIEW has no expectations"):
        parse_dataset("CREATE TEMPORARY VIEW x (CONSTRAINT c EXPECT (a > 0)) AS SELECT 1 AS a")
    with pytest.raises(LakeflowParseError, match="unknown ON VIOLATION"):
        parse_dataset(
            "CREATE MATERIALIZED VIEW x (CONSTRAINT c EXPECT (a > 0) ON VIOLATION SHRUG) AS SELECT 1 AS a"
        )


def test_spark_types_become_duckdb_json_structures():
    assert spark_type_to_duckdb_json("ARRAY<STRING>") == '["VARCHAR"]'
    assert spark_type_to_duckdb_json("ARRAY<ARRAY<STRING>>") == '[["VARCHAR"]]'
    assert spark_type_to_duckdb_json("STRUCT<a: BIGINT, b: ARRAY<STRUCT<c: DOUBLE>>>") == (
        '{"a":"BIGINT","b":[{"c":"DOUBLE"}]}'
    )


def test_datasets_are_ordered_by_what_they_read():
    a = parse_dataset("CREATE MATERIALIZED VIEW a AS SELECT * FROM b JOIN c USING (id)")
    b = parse_dataset("CREATE MATERIALIZED VIEW b AS SELECT * FROM c")
    c = parse_dataset("CREATE MATERIALIZED VIEW c AS SELECT 1 AS id")
    assert [d.name for d in order_datasets([a, b, c])] == ["c", "b", "a"]
    assert "silver.b" in query_sql(a, "duckdb", {"a", "b", "c"}, "silver")


def test_every_silver_file_is_named_after_its_dataset_and_has_a_grain_comment():
    datasets = discover(str(paths.silver_sql_dir() / "**"))
    assert {d.name for d in datasets} >= {"silver_channels", "silver_videos", "fact_channel_daily_metrics"}
    for ds in datasets:
        assert ds.comment and ds.comment.startswith("One row per"), ds.name
        assert ds.expectations or ds.kind == "TEMPORARY VIEW", ds.name


@pytest.fixture
def engine(lakehouse):
    with DuckDBEngine(lakehouse) as eng:
        eng.execute_native("CREATE SCHEMA bronze")
        eng.execute_native("CREATE TABLE bronze.raw_things (id VARCHAR, v INTEGER)")
        yield eng


def _load(engine, rows):
    engine.append(
        "bronze.raw_things",
        pa.Table.from_pylist(rows, schema=pa.schema([("id", pa.string()), ("v", pa.int32())])),
    )


def test_expectations_drop_warn_and_count(engine):
    _load(engine, [{"id": "a", "v": 1}, {"id": None, "v": 2}, {"id": "c", "v": 500}])
    result = run_pipeline(engine, [parse_dataset(HEADER)])
    [ds] = result.datasets
    assert ds.rows == 2
    assert ds.expectations["id_present"] == {"action": "DROP ROW", "passed": 2, "failed": 1}
    assert ds.expectations["small"] == {"action": "WARN", "passed": 2, "failed": 1}
    assert engine.query_native("SELECT id FROM silver.things ORDER BY id").column("id").to_pylist() == [
        "a",
        "c",
    ]


def test_a_fail_update_expectation_stops_with_its_name_and_keeps_the_old_table(engine):
    _load(engine, [{"id": "a", "v": 1}])
    run_pipeline(engine, [parse_dataset(HEADER)])
    _load(engine, [{"id": "b", "v": -5}])
    with pytest.raises(ExpectationFailedError, match="'positive' on things failed for 1 row"):
        run_pipeline(engine, [parse_dataset(HEADER)])
    assert engine.count("silver.things") == 1  # the refresh was rolled back


STREAMED = """
CREATE OR REFRESH STREAMING TABLE streamed (
  CONSTRAINT id_present EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT positive EXPECT (v10 >= 0) ON VIOLATION FAIL UPDATE
)
COMMENT 'One row per source row.'
AS
SELECT s.request_id, s.id, s.v * 10 AS v10 FROM STREAM(bronze.raw_events) AS s WHERE s.v <> 7
"""
#: an MV over a temporary view over the streaming table: the view is never materialized
TOTALS = "CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n, sum(v10) AS v10 FROM kept"
KEPT = "CREATE TEMPORARY VIEW kept COMMENT 'One row per kept row.' AS SELECT id, v10 FROM streamed"


@pytest.fixture
def events(engine):
    engine.execute_native("CREATE TABLE bronze.raw_events (request_id VARCHAR, id VARCHAR, v INTEGER)")
    return engine


def _events(engine, rows):
    engine.append(
        "bronze.raw_events",
        pa.Table.from_pylist(
            [{"request_id": f"r-{id_}-{v}", "id": id_, "v": v} for id_, v in rows],
            schema=pa.schema([("request_id", pa.string()), ("id", pa.string()), ("v", pa.int32())]),
        ),
    )


def _streamed(engine):
    return sorted(engine.query_native("SELECT id, v10 FROM silver.streamed").to_pylist(), key=str)


def _pipeline(engine, full_refresh=False, streamed=STREAMED):
    return run_pipeline(
        engine,
        [parse_dataset(streamed), parse_dataset(KEPT), parse_dataset(TOTALS)],
        full_refresh=full_refresh,
    )


def test_a_streaming_table_reads_each_source_row_once(events):
    _events(events, [("a", 1), (None, 2), ("c", 7)])
    first = {d.name: d for d in _pipeline(events).datasets}
    assert (first["streamed"].rows, first["streamed"].added) == (1, 1)
    assert first["streamed"].expectations["id_present"] == {"action": "DROP ROW", "passed": 1, "failed": 1}
    # rows already read are not read again: a source row deleted since stays in the table
    # (a materialized view would lose it), and expectations count the new rows only
    events.execute_native("DELETE FROM bronze.raw_events WHERE id = 'a'")
    _events(events, [("d", 4), (None, 5)])
    second = {d.name: d for d in _pipeline(events).datasets}
    assert (second["streamed"].rows, second["streamed"].added) == (2, 1)
    assert second["streamed"].expectations["id_present"] == {"action": "DROP ROW", "passed": 1, "failed": 1}
    assert _streamed(events) == [{"id": "a", "v10": 10}, {"id": "d", "v10": 40}]
    # the view over it is defined for the update, never materialized; the MV reads it
    assert second["kept"].rows is None and "temporary view" in second["kept"].message
    assert not events.table_exists("silver.kept")
    assert events.query_native("SELECT n, v10 FROM silver.totals").to_pylist() == [{"n": 2, "v10": 50}]
    # nothing new: nothing appended
    third = {d.name: d for d in _pipeline(events).datasets}
    assert (third["streamed"].rows, third["streamed"].added) == (2, 0)


def test_a_streaming_table_is_read_whole_on_full_refresh_or_a_new_definition(events):
    _events(events, [("a", 1), ("b", 2)])
    _pipeline(events)
    events.execute_native("DELETE FROM bronze.raw_events WHERE id = 'a'")
    full = {d.name: d for d in _pipeline(events, full_refresh=True).datasets}
    assert _streamed(events) == [{"id": "b", "v10": 20}] and full["streamed"].added == 1
    _events(events, [("c", 3)])
    changed = STREAMED.replace("s.v * 10", "s.v * 100")
    _pipeline(events, streamed=changed)
    assert _streamed(events) == [{"id": "b", "v10": 200}, {"id": "c", "v10": 300}]
    _events(events, [("d", 4)])
    _pipeline(events, streamed=changed)  # the same definition again: incremental
    assert _streamed(events) == [{"id": "b", "v10": 200}, {"id": "c", "v10": 300}, {"id": "d", "v10": 400}]


def test_a_failed_streaming_update_reads_its_rows_again_next_time(events):
    _events(events, [("a", 1)])
    _pipeline(events)
    _events(events, [("b", -1), ("c", 3)])
    with pytest.raises(ExpectationFailedError, match="'positive' on streamed failed for 1 row"):
        _pipeline(events)
    assert _streamed(events) == [{"id": "a", "v10": 10}]  # rolled back, rows and progress alike
    events.execute_native("DELETE FROM bronze.raw_events WHERE id = 'b'")
    _pipeline(events)
    assert _streamed(events) == [{"id": "a", "v10": 10}, {"id": "c", "v10": 30}]


def test_a_changed_expectation_reads_the_sources_whole_again(events):
    _events(events, [("a", 1), (None, 2)])
    _pipeline(events)
    assert _streamed(events) == [{"id": "a", "v10": 10}]
    # the row the old expectation dropped comes back once the expectation is loosened
    _pipeline(events, streamed=STREAMED.replace("id IS NOT NULL", "v10 IS NOT NULL"))
    assert _streamed(events) == [{"id": "a", "v10": 10}, {"id": None, "v10": 20}]


def test_an_update_that_did_not_finish_makes_the_next_read_everything(events):
    # what a crash on Spark leaves (no transaction there): source rows recorded as read by an
    # update that never marked itself finished, their table rows possibly never written
    _events(events, [("a", 1)])
    _pipeline(events)
    _events(events, [("b", 2)])
    progress = "_lakeflow.silver__streamed"
    [definition] = events.query_native(f"SELECT DISTINCT definition FROM {progress}").column(0).to_pylist()
    events.execute_native(
        f"INSERT INTO {progress} SELECT 'crashed', 'bronze.raw_events', request_id, '{definition}' "
        "FROM bronze.raw_events WHERE id = 'b'"
    )
    again = {d.name: d for d in _pipeline(events).datasets}
    assert _streamed(events) == [{"id": "a", "v10": 10}, {"id": "b", "v10": 20}]  # b neither lost nor doubled
    assert again["streamed"].added == 2  # read whole
    _events(events, [("c", 3)])
    assert {d.name: d for d in _pipeline(events).datasets}["streamed"].added == 1  # incremental again


def test_a_streaming_table_can_stream_another_dataset(events):
    _events(events, [("a", 1), ("b", 2)])
    first = "CREATE MATERIALIZED VIEW firsts (CONSTRAINT c EXPECT (v > 0)) AS SELECT * FROM bronze.raw_events"
    second = (
        "CREATE STREAMING TABLE seconds (CONSTRAINT c EXPECT (v > 0)) AS SELECT id, v FROM STREAM(firsts)"
    )
    run_pipeline(events, [parse_dataset(first), parse_dataset(second)])
    assert events.count("silver.seconds") == 2


def test_a_temporary_view_replaces_an_earlier_table_or_view_of_its_name(events):
    events.execute_native("CREATE SCHEMA silver")
    events.execute_native("CREATE TABLE silver.kept AS SELECT 'stale' AS id, 0 AS v10")
    _events(events, [("a", 1)])
    _pipeline(events)
    assert not events.table_exists("silver.kept")
    assert events.query_native("SELECT n FROM silver.totals").to_pylist() == [{"n": 1}]
    events.execute_native("CREATE VIEW silver.kept AS SELECT 'stale' AS id, 0 AS v10")
    _pipeline(events)
    assert not events.table_exists("silver.kept")


def test_a_streaming_table_without_a_stream_is_refused():
    with pytest.raises(LakeflowParseError, match=r"reads its source as STREAM\(<table>\)"):
        parse_dataset("CREATE OR REFRESH STREAMING TABLE x AS SELECT 1 AS a")


def test_a_streaming_table_reads_a_backlog_in_batches(events, monkeypatch):
    from ytlake.lakeflow import runner

    monkeypatch.setattr(runner, "STREAM_BATCH_ROWS", 2)
    _events(events, [("a", 1), (None, 2), ("c", 3), ("d", 4), ("e", 5)])
    [streamed] = [d for d in _pipeline(events).datasets if d.name == "streamed"]
    assert (streamed.rows, streamed.added) == (4, 4)  # five rows in three batches, one dropped
    assert streamed.expectations["id_present"] == {"action": "DROP ROW", "passed": 4, "failed": 1}
    _events(events, [("f", 6), ("g", 8), ("h", 9)])
    [streamed] = [d for d in _pipeline(events).datasets if d.name == "streamed"]
    assert (streamed.rows, streamed.added) == (7, 3)
    assert [r["id"] for r in _streamed(events)] == ["a", "c", "d", "e", "f", "g", "h"]
