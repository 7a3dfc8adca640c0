import pytest

from ytlake.job import (
    BundleError,
    TaskSpec,
    job_tasks,
    load_bundle,
    resolve,
    run_job,
    should_run,
    to_argv,
    topological_order,
)
from ytlake.jobcontext import JobContext

TASKS = [
    "init_run_context",
    "ingest_data_api_to_bronze",
    "ingest_analytics_api_to_bronze",
    "run_lakeflow_pipeline",
    "dbt_run_gold",
    "dbt_test",
    "optimize_tables",
    "finalize_run_log",
]


def test_the_bundle_declares_the_eight_tasks_in_order():
    specs = job_tasks(load_bundle())
    assert [s.task_key for s in specs] == TASKS
    finalize = specs[-1]
    assert finalize.run_if == "ALL_DONE"
    pipeline = specs[3]
    assert pipeline.kind == "pipeline_task"
    assert pipeline.parameters["schema"] == "silver"
    assert pipeline.parameters["include"].endswith("lakeflow/silver/**")
    assert pipeline.parameters["full_refresh"] == "false"  # the pipeline task's full_refresh
    for spec in specs:
        if spec.kind == "python_wheel_task":
            assert spec.entry_point == spec.task_key


def test_variables_resolve_with_their_types_and_dynamic_values():
    variables = {"catalog": "yt", "lookback_days": 7}
    dynamic = {"job.run_id": "run-1", "bundle.target": "local"}
    params = {
        "catalog": "${var.catalog}",
        "days": "${var.lookback_days}",
        "run": "{{job.run_id}}",
        "label": "${var.catalog}-${bundle.target}",
    }
    assert resolve(params, variables, dynamic) == {
        "catalog": "yt",
        "days": 7,
        "run": "run-1",
        "label": "yt-local",
    }
    with pytest.raises(BundleError, match="not a declared variable"):
        resolve({"x": "${var.nope}"}, variables, dynamic, "tasks[0].x")


def test_to_argv_is_what_a_python_wheel_task_receives():
    assert to_argv({"catalog": "yt", "lookback_days": 7}) == ["--catalog=yt", "--lookback_days=7"]


@pytest.mark.parametrize(
    ("run_if", "deps", "expected"),
    [
        ("ALL_SUCCESS", ["SUCCESS", "SUCCESS"], True),
        ("ALL_SUCCESS", ["SUCCESS", "FAILED"], False),
        ("ALL_SUCCESS", ["UPSTREAM_FAILED"], False),
        ("ALL_DONE", ["FAILED", "UPSTREAM_FAILED"], True),
        ("NONE_FAILED", ["SUCCESS", "SKIPPED"], True),
        ("NONE_FAILED", ["FAILED"], False),
        ("AT_LEAST_ONE_SUCCESS", ["FAILED", "SUCCESS"], True),
        ("ALL_FAILED", ["FAILED", "FAILED"], True),
        ("ALL_FAILED", ["FAILED", "SUCCESS"], False),
        ("AT_LEAST_ONE_FAILED", ["SUCCESS", "FAILED"], True),
    ],
)
def test_run_if(run_if, deps, expected):
    assert should_run(run_if, deps) is expected


def _spec(key, deps=(), run_if="ALL_SUCCESS"):
    return TaskSpec(key, list(deps), run_if, "python_wheel_task", key, {})


def test_topological_order_puts_dependencies_first():
    specs = [_spec("c", ["b"]), _spec("a"), _spec("b", ["a"])]
    assert [s.task_key for s in topological_order(specs)] == ["a", "b", "c"]


def test_a_cycle_is_reported():
    with pytest.raises(BundleError, match="cycle"):
        topological_order([_spec("a", ["b"]), _spec("b", ["a"])])


def test_a_dangling_depends_on_is_reported_with_its_path(tmp_path):
    (tmp_path / "resources").mkdir()
    (tmp_path / "databricks.yml").write_text("bundle: {name: x}\ninclude: [resources/*.yml]\n")
    (tmp_path / "resources" / "j.job.yml").write_text(
        "resources:\n  jobs:\n    youtube_analytics_job:\n      tasks:\n"
        "        - task_key: a\n          python_wheel_task: {entry_point: a}\n"
        "        - task_key: b\n          depends_on: [{task_key: nope}]\n"
        "          python_wheel_task: {entry_point: b}\n"
    )
    with pytest.raises(BundleError, match=r"tasks\[1\]\.depends_on: unknown task_key 'nope'"):
        job_tasks(load_bundle(tmp_path))


def test_a_failed_task_skips_its_dependants_but_not_all_done_tasks():
    """Graph semantics with a recording runner (the whole job with real tasks is in tests/e2e)."""
    ran = []

    def runner(spec, argv):
        ran.append(spec.task_key)
        if spec.task_key == "run_lakeflow_pipeline":
            raise RuntimeError("boom")

    ctx = JobContext()
    run = run_job(context=ctx, runner=runner)
    assert ran == [*TASKS[:4], "finalize_run_log"]
    states = {k: r.state for k, r in run.results.items()}
    assert states["run_lakeflow_pipeline"] == "FAILED"
    assert [states[k] for k in ("dbt_run_gold", "dbt_test", "optimize_tables")] == ["UPSTREAM_FAILED"] * 3
    assert states["finalize_run_log"] == "SUCCESS"
    assert run.results["run_lakeflow_pipeline"].error == "RuntimeError: boom"


def test_only_runs_the_named_tasks_and_excludes_the_rest():
    """As ``databricks bundle run --only``: the others end EXCLUDED and hold nothing back."""
    ran = []
    only = ("init_run_context", "run_lakeflow_pipeline", "finalize_run_log")
    run = run_job(context=JobContext(), runner=lambda spec, argv: ran.append(spec.task_key), only=only)
    assert ran == list(only)
    states = {k: r.state for k, r in run.results.items()}
    assert {k for k, s in states.items() if s == "EXCLUDED"} == set(TASKS) - set(only)
    assert run.succeeded
    assert should_run("ALL_SUCCESS", ["EXCLUDED", "SUCCESS"]) and not should_run(
        "ALL_SUCCESS", ["EXCLUDED", "FAILED"]
    )
    measured = run.results["run_lakeflow_pipeline"]
    assert measured.cpu_seconds is not None and measured.cpu_seconds >= 0


def test_parameters_flow_from_variables_and_overrides():
    seen = {}

    def runner(spec, argv):
        seen[spec.task_key] = argv

    run_job(
        variables={"catalog": "other_cat", "lookback_days": 3},
        common_parameters={"engine": "duckdb", "lakehouse": "lake/x.duckdb"},
        parameter_overrides={"dbt_test": {"target": "local"}},
        runner=runner,
        run_id="r-9",
    )
    assert "--catalog=other_cat" in seen["ingest_analytics_api_to_bronze"]
    assert "--lookback_days=3" in seen["ingest_analytics_api_to_bronze"]
    assert "--engine=duckdb" in seen["init_run_context"]
    assert "--lakehouse=lake/x.duckdb" in seen["dbt_test"]
    assert "--target=local" in seen["dbt_test"]
    assert "--job_run_id=r-9" in seen["init_run_context"]
    assert "--task_run_id=r-9-finalize_run_log" in seen["finalize_run_log"]
    assert "--engine=duckdb" in seen["run_lakeflow_pipeline"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("True", True), ("1", True), ("false", False), ("", False), ("no", False)],
)
def test_a_boolean_task_parameter_reads_what_databricks_passes(text, value):
    from ytlake.tasks.common import boolean

    assert boolean(text) is value


def test_a_boolean_task_parameter_refuses_anything_else():
    import argparse

    from ytlake.tasks.common import boolean

    with pytest.raises(argparse.ArgumentTypeError, match="expected true or false"):
        boolean("sometimes")
