"""`ytlake docs`: the diagrams come from the code and are reproducible byte for byte."""

import shutil

import pytest

from ytlake.docs import architecture_dot, erd_dot, generate, pipeline_dot

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz is not installed (.ci/run installs it)"
)


def test_the_job_graph_comes_from_the_bundle():
    dot = pipeline_dot()
    assert '"optimize_tables" -> "finalize_run_log" [label="ALL_DONE" style=dashed]' in dot
    assert "run_lakeflow_pipeline\\n(Lakeflow pipeline)" in dot


def test_the_data_model_has_every_layer_with_keys_and_lineage():
    dot = erd_dot()
    for table in (
        "bronze.videos_raw",
        "silver.fact_video_country_metrics",
        "gold.gold_video_device_daily_summary",
    ):
        assert f'"{table}"' in dot
    assert '"bronze.analytics_video_country_daily_raw" -> "silver.fact_video_country_metrics"' in dot
    assert '"silver.fact_video_daily_metrics" -> "gold.gold_video_daily_summary"' in dot
    assert "key: country_code" in dot
    arch = architecture_dot()  # the same job on two platforms, side by side, top to bottom
    assert "rankdir=TB" in arch and "subgraph cluster_local" in arch and "subgraph cluster_dbx" in arch
    assert "Gold: dbt-duckdb" in arch and "Gold: dbt-databricks" in arch
    assert "the job of 8 tasks" in arch and "rankdir=TB" in pipeline_dot()


@needs_dot
def test_regenerating_the_diagrams_changes_nothing(tmp_path):
    first = {p.name: p.read_bytes() for p in generate(tmp_path / "a", with_screenshot=False)}
    second = {p.name: p.read_bytes() for p in generate(tmp_path / "b", with_screenshot=False)}
    assert set(first) == {"pipeline_graph.png", "data_model_erd.png", "architecture.png"}
    assert first == second
    assert all(len(b) > 10_000 for b in first.values())
