"""`ytlake validate`'s checks of Databricks as it really runs, each with a fixture it fails on:
the CLI the workflows pin, task values, the job run id, finalize's outcome."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from ytlake import bundle_validate as bv
from ytlake.job import Bundle, load_bundle
from ytlake.tasks import finalize_run_log

ROOT = Path(__file__).resolve().parents[1]
JOB = "youtube_analytics_job"


@pytest.fixture
def bundle() -> Bundle:
    real = load_bundle()
    return Bundle(real.root, copy.deepcopy(real.config))


def _tasks(bundle: Bundle) -> dict:
    return {t["task_key"]: t for t in bundle.config["resources"]["jobs"][JOB]["tasks"]}


def _workflow(folder: Path, name: str, version: str | None) -> None:
    folder.mkdir(exist_ok=True)
    with_ = f"\n        with:\n          version: {version}" if version else ""
    (folder / name).write_text(
        "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: databricks/setup-cli@6bb7075f85b326f8b9ce160933dfe9bcd63c8121{with_}\n",
        encoding="utf-8",
    )


def test_this_project_passes_every_check():
    assert bv.databricks_problems(load_bundle()) == []


def test_the_fields_table_covers_what_the_bundle_uses(bundle):
    needed, fields = bv.required_cli(bundle)
    # the newest field in use decides: the App's config value_from arrived in v0.284.0 (the CLI's
    # CHANGELOG), after dataset_catalog (v0.281.0, the CLI's schema)
    assert needed == "v0.284.0" and fields == ["resources.apps.*.config.env[*].value_from"]


def test_an_old_cli_in_a_workflow_is_named_with_the_fields_it_lacks(bundle, tmp_path):
    _workflow(tmp_path / "wf", "deploy.yml", "0.236.0")
    [problem] = bv.cli_problems(bundle, tmp_path / "wf", None)
    assert "0.236.0 does not know" in problem.message and "pin v0.284.0 or newer" in problem.message


def test_an_unpinned_cli_is_refused(bundle, tmp_path):
    _workflow(tmp_path / "wf", "deploy.yml", None)
    [problem] = bv.cli_problems(bundle, tmp_path / "wf", None)
    assert "pin the CLI version" in problem.message


def test_workflows_pinning_different_clis_or_a_readme_naming_another_are_refused(bundle, tmp_path):
    _workflow(tmp_path / "wf", "a.yml", "1.13.0")
    _workflow(tmp_path / "wf", "b.yml", "1.12.0")
    readme = tmp_path / "README.md"
    readme.write_text("Install the Databricks CLI v0.281.0 or newer.\n", encoding="utf-8")
    messages = [p.message for p in bv.cli_problems(bundle, tmp_path / "wf", readme)]
    assert any("different Databricks CLIs" in m for m in messages)
    assert any("names Databricks CLI 0.281.0" in m for m in messages)


def test_a_dynamic_reference_to_a_task_value_is_refused(bundle, tmp_path):
    _tasks(bundle)["dbt_run_gold"]["python_wheel_task"]["named_parameters"]["today"] = (
        "{{tasks.init_run_context.values.today}}"
    )
    (tmp_path / "pkg").mkdir()
    [problem] = bv.task_values_problems(bundle, tmp_path / "pkg")
    assert "dbt_run_gold" in problem.path or "tasks[4]" in problem.path
    assert "task value" in problem.message


def test_code_using_task_values_is_refused_but_a_docstring_saying_why_not_is_not(bundle, tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "ok.py").write_text('"""We never use dbutils.jobs.taskValues."""\n', encoding="utf-8")
    (pkg / "bad.py").write_text(
        "def f(dbutils):\n    return dbutils.jobs.taskValues.get(taskKey='a', key='b')\n", encoding="utf-8"
    )
    [problem] = bv.task_values_problems(bundle, pkg)
    assert problem.path == "pkg/bad.py:2"


def test_a_task_without_the_job_run_id_is_named(bundle):
    del _tasks(bundle)["optimize_tables"]["python_wheel_task"]["named_parameters"]["job_run_id"]
    [problem] = bv.run_id_problems(bundle)
    assert "optimize_tables does not get the job run id" in problem.message


def test_a_job_parameter_carrying_the_run_id_reaches_every_task(bundle):
    for task in _tasks(bundle).values():
        (task.get("python_wheel_task") or {}).get("named_parameters", {}).pop("job_run_id", None)
    bundle.config["resources"]["jobs"][JOB]["parameters"].append(
        {"name": "job_run_id", "default": "{{job.run_id}}"}
    )
    assert bv.run_id_problems(bundle) == []


def test_a_job_parameter_the_tasks_do_not_accept_is_refused(bundle):
    """Databricks pushes it to every wheel task, whose argparse would stop them all."""
    bundle.config["resources"]["jobs"][JOB]["parameters"].append({"name": "region", "default": "eu"})
    [problem] = bv.pushdown_problems(bundle)
    assert "'region' reaches every task" in problem.message


def test_every_task_accepts_every_job_parameter(monkeypatch):
    """The other side of the check: each entry point's parser takes the job parameters as
    Databricks pushes them (at their defaults), leaving none unrecognised."""
    import argparse
    import importlib

    from ytlake.job import job_parameters, job_tasks, resolve

    class Parsed(Exception):
        pass

    unknown: dict[str, list[str]] = {}
    real_parse = argparse.ArgumentParser.parse_known_args

    def parse_args(self, args=None, namespace=None):
        _, rest = real_parse(self, args, namespace)
        unknown[self.prog] = rest
        raise Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_args)
    real = load_bundle()
    defaults = resolve(job_parameters(real), real.variables, {}, "parameters")
    pushed = [f"--{name}={value}" for name, value in defaults.items()]
    for spec in job_tasks(real):
        if spec.kind == "python_wheel_task":
            with pytest.raises(Parsed):
                importlib.import_module(f"ytlake.tasks.{spec.entry_point}").main(pushed)
    assert len(unknown) == 7 and all(rest == [] for rest in unknown.values()), unknown


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda job, tasks: tasks[bv.FINALIZE].pop("run_if"), "must be ALL_DONE"),
        (lambda job, tasks: job.pop("email_notifications"), "nobody hears"),
        (
            lambda job, tasks: tasks[bv.FINALIZE].update(depends_on=[{"task_key": "init_run_context"}]),
            "does not wait for",
        ),
    ],
)
def test_finalize_must_run_last_whatever_happened_and_failures_must_alert(bundle, change, words):
    change(bundle.config["resources"]["jobs"][JOB], _tasks(bundle))
    problems = bv.finalize_problems(bundle, run_finalize=lambda entry: None)
    assert any(words in p.message for p in problems), problems


def test_finalize_really_fails_a_failed_run_after_recording_it():
    assert bv.finalize_exit_problem("finalize_run_log") is None


def test_a_finalize_that_exits_0_after_a_failure_is_caught(monkeypatch):
    monkeypatch.setattr(finalize_run_log, "outcome_error", lambda *a, **k: None)
    problem = bv.finalize_exit_problem("finalize_run_log")
    assert problem and "exits 0 after recording FAILED" in problem
