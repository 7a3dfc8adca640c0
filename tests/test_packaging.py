"""The wheel deployed to Databricks: entry points for the tasks, a lean dependency set."""

import re
import tomllib
from pathlib import Path

from ytlake.job import job_tasks, load_bundle

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_python_wheel_task_is_an_entry_point_of_the_wheel():
    scripts = PYPROJECT["project"]["scripts"]
    for spec in job_tasks(load_bundle()):
        if spec.kind == "python_wheel_task":
            assert scripts[spec.entry_point] == f"ytlake.tasks.{spec.task_key}:main"


def test_the_base_dependencies_pull_no_local_only_package():
    names = {re.split(r"[\[<>=~! ]", d)[0].lower() for d in PYPROJECT["project"]["dependencies"]}
    assert not names & {"duckdb", "dbt-duckdb", "pyspark", "streamlit", "uvicorn", "starlette"}


def test_the_default_dev_group_brings_every_local_extra():
    dev = PYPROJECT["dependency-groups"]["dev"]
    own = next(d for d in dev if d.startswith("ytlake["))
    extras = set(own[len("ytlake[") : -1].split(","))
    assert extras == set(PYPROJECT["project"]["optional-dependencies"])


def test_the_package_never_imports_the_emulator_outside_cli_and_runlocal():
    src = ROOT / "src" / "ytlake"
    for path in src.rglob("*.py"):
        rel = path.relative_to(src).as_posix()
        if rel.startswith("emulator/") or rel in ("cli.py", "runlocal.py"):
            continue
        assert "ytlake.emulator" not in path.read_text(), rel


def test_the_emulator_imports_nothing_else_of_the_package():
    for path in (ROOT / "src" / "ytlake" / "emulator").rglob("*.py"):
        for line in path.read_text().splitlines():
            if line.startswith(("import ytlake", "from ytlake")):
                assert line.startswith("from ytlake.emulator"), f"{path.name}: {line}"


def test_the_wheel_ships_the_bundle_the_lakeflow_sql_and_the_dbt_project(tmp_path):
    import subprocess
    import zipfile

    subprocess.run(["uv", "build", "--wheel", "-o", str(tmp_path), "-q"], cwd=ROOT, check=True)
    [wheel] = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "ytlake/_bundled/databricks.yml",
        "ytlake/_bundled/resources/youtube_analytics.job.yml",
        "ytlake/_bundled/lakeflow/bootstrap_unity_catalog.sql",
        "ytlake/_bundled/lakeflow/silver/fact_video_daily_metrics.sql",
        "ytlake/_bundled/dbt/dbt_project.yml",
        "ytlake/_bundled/dbt/models/gold/_gold.yml",
    ):
        assert needed in names, needed
    assert not [n for n in names if "/target/" in n or n.endswith(".user.yml") or "/logs/" in n]
