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
    with pytest.raises(LakeflowParseError, match="MATERIALIZED VIEW or STREAMING TABLE"):
        parse_dataset("CREATE TABLE x AS SELECT 1")
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
        assert ds.expectations, ds.name


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
