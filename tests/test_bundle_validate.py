"""`ytlake validate`: the bundle passes; broken bundles are refused with the YAML path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ytlake.bundle_validate import validate_bundle
from ytlake.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "reference" / "databricks_bundle_schema.json"
needs_schema = pytest.mark.skipif(
    not SCHEMA.is_file(), reason=f"the official bundle schema is not at {SCHEMA}"
)


def _copy(tmp_path: Path) -> Path:
    dest = tmp_path / "bundle"
    dest.mkdir()
    shutil.copy(ROOT / "databricks.yml", dest)
    shutil.copytree(ROOT / "resources", dest / "resources")
    return dest


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


JOB = "resources/youtube_analytics.job.yml"


@needs_schema
def test_the_project_bundle_is_valid(capsys):
    assert validate_bundle(schema_path=SCHEMA) == []
    assert main(["validate", "--schema", str(SCHEMA)]) == 0
    assert "bundle valid" in capsys.readouterr().out


def test_the_rules_pass_without_the_schema():
    assert validate_bundle() == []


BROKEN = [
    (
        "misspelled task field",
        JOB,
        lambda d: d["resources"]["jobs"]["youtube_analytics_job"]["tasks"][7].update(
            run_iff=d["resources"]["jobs"]["youtube_analytics_job"]["tasks"][7].pop("run_if")
        ),
        # the schema names the task (tasks[7]); without the schema, databricks-bundles names the job
        "resources.jobs.youtube_analytics_job",
        "run_iff",
    ),
    (
        "undeclared variable",
        JOB,
        lambda d: d["resources"]["jobs"]["youtube_analytics_job"]["tasks"][0]["python_wheel_task"][
            "named_parameters"
        ].update(catalog="${var.catalogue}"),
        "resources.jobs.youtube_analytics_job.tasks[0].python_wheel_task.named_parameters.catalog",
        "catalogue",
    ),
    (
        "dangling depends_on",
        JOB,
        lambda d: d["resources"]["jobs"]["youtube_analytics_job"]["tasks"][2].update(
            depends_on=[{"task_key": "ingest_everything"}]
        ),
        "resources.jobs.youtube_analytics_job.tasks[2].depends_on[0].task_key",
        "ingest_everything",
    ),
    (
        "mode: dev",
        "databricks.yml",
        lambda d: d["targets"]["dev"].update(mode="dev"),
        "targets.dev.mode",
        "development or production",
    ),
    (
        "top-level typo",
        "databricks.yml",
        lambda d: d.update(targts=d.pop("targets")),
        "targts",
        "unknown top-level key",
    ),
    (
        "prod without root_path",
        "databricks.yml",
        lambda d: d["targets"]["prod"].pop("workspace"),
        "targets.prod.workspace.root_path",
        "root_path",
    ),
    (
        "serverless task without environment",
        JOB,
        lambda d: d["resources"]["jobs"]["youtube_analytics_job"]["tasks"][1].pop("environment_key"),
        "resources.jobs.youtube_analytics_job.tasks[1]",
        "environment_key",
    ),
    (
        "bad run_if value",
        JOB,
        lambda d: d["resources"]["jobs"]["youtube_analytics_job"]["tasks"][7].update(run_if="ALL_COMPLETE"),
        "resources.jobs.youtube_analytics_job",
        "ALL_COMPLETE",
    ),
]


@pytest.mark.parametrize(("what", "file", "change", "path", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_bundle_is_refused_with_its_path(tmp_path, what, file, change, path, words):
    root = _copy(tmp_path)
    _edit(root / file, change)
    problems = validate_bundle(root, SCHEMA if SCHEMA.is_file() else None)
    assert problems, what
    assert any(p.path.startswith(path) and words in str(p) for p in problems), [str(p) for p in problems]


def test_the_cli_exits_1_and_prints_each_problem(tmp_path, capsys):
    root = _copy(tmp_path)
    _edit(root / "databricks.yml", lambda d: d["targets"]["dev"].update(mode="dev"))
    assert main(["validate", "--bundle", str(root)]) == 1
    assert "targets.dev.mode" in capsys.readouterr().out


def test_a_missing_schema_file_is_a_one_line_error(capsys):
    assert main(["validate", "--schema", "/nonexistent/schema.json"]) == 2
    assert "databricks bundle schema" in capsys.readouterr().err
