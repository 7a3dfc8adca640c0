"""The serverless job environment installs from wheels only (issue 16).

Databricks installs the job environment's ``dependencies`` with plain pip, which never sees
``[tool.uv] no-build-package``: resolving ``dbt-core==1.12.0`` itself, pip would pick the
``dbt-core-experimental-parser`` 2.0.8 source package, whose build downloads from the
internet. The environment therefore installs ``requirements/databricks-serverless.txt`` (every
package pinned from uv.lock, ``--only-binary=:all:``) before the project wheel.

- The requirements file matches uv.lock, and the job YAML's environment installs it.
- Every pin has, in uv.lock's recorded wheel names, a wheel serverless environment 4 can
  install (CPython 3.12, manylinux x86_64 up to glibc 2.39, or pure Python): pip there never
  meets a source package.
- The project wheel, built here, installs with plain pip into a clean venv, offline, from
  wheels only (``--only-binary=:all: --no-index --find-links``), with exactly the
  environment's dependency lines; every task entry point then imports and answers ``--help``.
  This runs on the local Python (3.11 here), not Databricks' 3.12: the wheelhouse is re-packed
  from the project's own venv, whose wheels are for the local interpreter. The lock check
  above is what covers 3.12.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from collections.abc import Iterator
from fnmatch import fnmatch
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging import tags
from packaging.utils import canonicalize_name

from ytlake import packaging as pkg

ROOT = Path(__file__).resolve().parents[1]
JOB_YML = ROOT / "resources" / "youtube_analytics.job.yml"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
TASK_SCRIPTS = {
    name: target
    for name, target in PYPROJECT["project"]["scripts"].items()
    if target.startswith("ytlake.tasks.")
}
WANTED_YAML = textwrap.dedent(
    f"""\
    dependencies:
      - -r ../{pkg.REQUIREMENTS_FILE}
      - ../dist/*.whl"""
)
# Nothing may reach the network: pip gets --no-index and these dead proxies besides.
OFFLINE_ENV = {
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_NO_INDEX": "1",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_NO_INPUT": "1",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "UV_OFFLINE": "1",
    "PYTHONNOUSERSITE": "1",
}


# --- the job YAML's environments ------------------------------------------------------------


def wheel_task_entry_points() -> set[str]:
    jobs = yaml.safe_load(JOB_YML.read_text())["resources"]["jobs"]
    return {
        task["python_wheel_task"]["entry_point"]
        for job in jobs.values()
        for task in job.get("tasks", [])
        if "python_wheel_task" in task
    }


def wheel_task_environments() -> dict[str, list[str]]:
    """environment_key → dependencies, for every environment a python_wheel_task uses."""
    jobs = yaml.safe_load(JOB_YML.read_text())["resources"]["jobs"]
    found: dict[str, list[str]] = {}
    for job in jobs.values():
        envs = {e["environment_key"]: e.get("spec", {}) for e in job.get("environments", [])}
        for task in job.get("tasks", []):
            if "python_wheel_task" in task:
                key = task.get("environment_key")
                assert key in envs, f"task {task['task_key']} has no environment in {JOB_YML.name}"
                found[key] = [str(d) for d in envs[key].get("dependencies", [])]
    assert found, f"no python_wheel_task with an environment in {JOB_YML.name}"
    return found


def local_path(path: str) -> Path:
    """A path as the bundle writes it, on this checkout: relative to the YAML file, or under
    ``${workspace.file_path}`` (the synced bundle root)."""
    for prefix in ("${workspace.file_path}/", "${workspace.file_path}"):
        if path.startswith(prefix):
            return ROOT / path[len(prefix) :]
    return (JOB_YML.parent / path).resolve()


def requirement_file_of(dep: str) -> str | None:
    for flag in ("-r", "--requirement"):
        if dep == flag or dep.startswith((flag + " ", flag + "=")):
            return dep[len(flag) :].lstrip(" =").strip().strip("'\"")
    return None


def is_project_wheel(dep: str) -> bool:
    return dep.endswith(".whl") and "://" not in dep and not dep.startswith(("/Workspace", "/Volumes"))


def as_pip_lines(deps: list[str], wheel: Path) -> list[str]:
    """The dependency lines as pip runs them here: the project wheel glob becomes the built
    wheel, requirement files their local path."""
    lines = []
    for dep in deps:
        req = requirement_file_of(dep)
        if req is not None:
            lines.append(f"-r {local_path(req)}")
        elif is_project_wheel(dep):
            assert fnmatch(wheel.name, Path(dep).name), f"{dep} does not match the built {wheel.name}"
            lines.append(str(wheel))
        else:
            lines.append(dep)
    return lines


def effective_requirements(deps: list[str]) -> tuple[list[pkg.Pin], list[str], list[str]]:
    """Pins, pip option lines and unpinned requirement lines the environment ends up with
    (requirement files read in)."""
    pins: list[pkg.Pin] = []
    options: list[str] = []
    loose: list[str] = []
    for dep in deps:
        req = requirement_file_of(dep)
        if req is not None:
            path = local_path(req)
            assert path.is_file(), f"{JOB_YML.name} installs `{dep}`, but {path} does not exist"
            file_pins, file_options = pkg.parse_requirements(path.read_text())
            pins += file_pins
            options += file_options
        elif is_project_wheel(dep):
            continue
        elif dep.startswith("-"):
            options.append(dep)
        else:
            try:
                pins += pkg.parse_requirements(dep)[0]
            except ValueError:
                loose.append(dep)
    return pins, options, loose


# --- fast checks: the file, the lock, the YAML -----------------------------------------------


def test_the_serverless_requirements_file_matches_uv_lock():
    problems = pkg.sync_problems(ROOT)
    assert not problems, "\n".join(problems)


def test_the_parser_is_pinned_to_its_wheel_and_only_wheels_are_allowed():
    pins, options = pkg.parse_requirements(pkg.requirements_path(ROOT).read_text())
    names = {p.name: p.version for p in pins}
    assert names["dbt-core-experimental-parser"] == "2.0.0a4"
    assert names["dbt-core"] == "1.12.0"
    assert names["dbt-databricks"] == "1.12.7"
    assert pkg.only_binary_everywhere(options)
    assert "databricks-bundles" not in names and "ytlake" not in names
    assert not [p for p in pins if p.name in {"duckdb", "dbt-duckdb", "pyspark", "streamlit"}]


def test_every_pin_has_a_wheel_for_serverless_environment_4():
    pins, _ = pkg.parse_requirements(pkg.requirements_path(ROOT).read_text())
    assert not pkg.missing_serverless_wheels(pins, ROOT)
    # The 3.12 side of the lock's forks is what gets checked there.
    on_databricks = {p.name: p.version for p in pins if p.applies(pkg.SERVERLESS_MARKER_ENV)}
    assert on_databricks["networkx"] == "3.7"


def test_the_wheel_check_rejects_sdist_only_and_foreign_wheels(tmp_path):
    (tmp_path / "uv.lock").write_text(
        textwrap.dedent(
            """\
            version = 1
            [[package]]
            name = "only-sdist"
            version = "2.0.8"
            sdist = { url = "https://example.invalid/only_sdist-2.0.8.tar.gz" }
            [[package]]
            name = "mac-and-py311"
            version = "1.0"
            wheels = [
                { url = "https://example.invalid/mac_and_py311-1.0-cp312-cp312-macosx_11_0_arm64.whl" },
                { url = "https://example.invalid/mac_and_py311-1.0-cp311-cp311-manylinux_2_17_x86_64.whl" },
                { url = "https://example.invalid/mac_and_py311-1.0-cp312-cp312-musllinux_1_2_x86_64.whl" },
                { url = "https://example.invalid/mac_and_py311-1.0-cp312-cp312-manylinux_2_40_x86_64.whl" },
            ]
            [[package]]
            name = "fine"
            version = "1.0"
            wheels = [{ url = "https://example.invalid/fine-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl" }]
            """
        )
    )
    pins = [
        pkg.Pin("only-sdist", "2.0.8"),
        pkg.Pin("mac-and-py311", "1.0"),
        pkg.Pin("fine", "1.0"),
        pkg.Pin("not-locked", "1.0"),
        pkg.Pin("only-sdist", "2.0.8", "python_full_version < '3.12'"),  # not for 3.12: skipped
    ]
    problems = pkg.missing_serverless_wheels(pins, tmp_path)
    assert [p.split(":")[0] for p in problems] == [
        "only-sdist==2.0.8",
        "mac-and-py311==1.0",
        "not-locked==1.0",
    ]


def test_the_job_environment_installs_the_pinned_set_before_the_wheel():
    want, _ = pkg.parse_requirements(pkg.requirements_path(ROOT).read_text())
    for key, deps in wheel_task_environments().items():
        pins, options, loose = effective_requirements(deps)
        fix = (
            f"\nThe `{key}` environment of {JOB_YML.relative_to(ROOT)} has dependencies {deps}; "
            f"whatever is not pinned there, Databricks' pip resolves anew (newest releases, source "
            f"packages allowed). It should read:\n{textwrap.indent(WANTED_YAML, '  ')}"
        )
        missing = sorted(set(want) - set(pins))
        assert not missing, f"{len(missing)} locked pins missing, e.g. {[str(p) for p in missing[:5]]}{fix}"
        assert not loose, f"unpinned requirements {loose}{fix}"
        assert pkg.only_binary_everywhere(options), f"no `{pkg.ONLY_BINARY}` in effect{fix}"
        conflicting = {p for p in pins if p.name in {w.name for w in want}} - set(want)
        assert not conflicting, f"pins that disagree with uv.lock: {sorted(map(str, conflicting))}{fix}"
        # Should Databricks install the lines one by one, every pin must be in place before the
        # wheel's own requirements are resolved: the wheel comes last.
        wheels = [i for i, d in enumerate(deps) if is_project_wheel(d)]
        assert wheels == [len(deps) - 1], f"the project wheel must be the last dependency{fix}"


# --- the install itself ----------------------------------------------------------------------


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _wheel_tag(wheel_meta: str) -> str:
    """The tag part of the file name, from the WHEEL file's ``Tag:`` lines."""
    found = [line.split(":", 1)[1].strip() for line in wheel_meta.splitlines() if line.startswith("Tag:")]
    parsed = [tags.Tag(*t.split("-")) for t in found]
    pys = sorted({t.interpreter for t in parsed})
    abis = sorted({t.abi for t in parsed})
    plats = sorted({t.platform for t in parsed})
    if len(parsed) == len(pys) * len(abis) * len(plats):
        return f"{'.'.join(pys)}-{'.'.join(abis)}-{'.'.join(plats)}"
    supported = set(tags.sys_tags())
    return next(t for t, p in zip(found, parsed, strict=True) if p in supported)


def repack(dist: metadata.Distribution, out: Path) -> Path:
    """Rebuild the wheel of an installed distribution from its RECORD.

    Files under site-packages go back as they are; a file the installer put in ``bin/`` goes
    back to ``<name>.data/scripts/`` (unless it is a console script pip regenerates from
    ``entry_points.txt``), other files outside site-packages to ``<name>.data/data/``. Byte
    code, INSTALLER, REQUESTED, direct_url.json and the old RECORD are left out; a new RECORD
    is written."""
    site = Path(str(dist.locate_file(""))).resolve()
    info = next(str(f).split("/")[0] for f in dist.files or [] if str(f).endswith(".dist-info/METADATA"))
    stem = info[: -len(".dist-info")]
    prefix = Path(sys.prefix).resolve()
    generated = {ep.name for ep in dist.entry_points if ep.group in ("console_scripts", "gui_scripts")}
    skipped = {
        f"{info}/{n}" for n in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "uv_cache.json")
    }
    target = out / f"{stem}-{_wheel_tag(dist.read_text('WHEEL') or '')}.whl"
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
        for entry in dist.files or []:
            rel = str(entry)
            if rel in skipped or "__pycache__" in rel or rel.endswith(".pyc"):
                continue
            path = (site / rel).resolve()
            if not path.is_file():
                continue
            data = path.read_bytes()
            if not rel.startswith(".."):
                arc = rel
            elif path.is_relative_to(prefix / "bin"):
                if path.name in generated:
                    continue
                if data.startswith(b"#!") and b"python" in data.split(b"\n", 1)[0]:
                    data = b"#!python\n" + data.split(b"\n", 1)[1]
                arc = f"{stem}.data/scripts/{path.name}"
            else:
                arc = f"{stem}.data/data/{path.relative_to(prefix).as_posix()}"
            zf.writestr(arc, data)
            writer.writerow([arc, _record_hash(data), len(data)])
        writer.writerow([f"{info}/RECORD", "", ""])
        zf.writestr(f"{info}/RECORD", record.getvalue())
    return target


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Iterator[Path]:
    """Wheels of every pin that applies here, re-packed from this project's venv (which
    ``uv sync`` installed from the locked wheels): no network, no uv cache internals."""
    out = tmp_path_factory.mktemp("wheelhouse")
    pins, _ = pkg.parse_requirements(pkg.requirements_path(ROOT).read_text())
    stale = []
    for pin in pins:
        if not pin.applies():
            continue
        try:
            dist = metadata.distribution(pin.name)
        except metadata.PackageNotFoundError:
            stale.append(f"{pin}: not installed")
            continue
        if canonicalize_name(dist.metadata["Name"]) != pin.name or dist.version != pin.version:
            stale.append(f"{pin}: the venv has {dist.metadata['Name']} {dist.version}")
            continue
        repack(dist, out)
    assert not stale, f"the project venv differs from uv.lock (run `uv sync`): {stale}"
    yield out
    shutil.rmtree(out, ignore_errors=True)  # ~0.5 GB: pytest would keep three runs of it


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        ["uv", "build", "--wheel", "-o", str(out), "-q"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "UV_OFFLINE": "1"},
    )
    [wheel] = out.glob("ytlake-*.whl")
    return wheel


CHECK_ENTRY_POINTS = """\
import json, re, sys
from importlib.metadata import distributions, entry_points
import ytlake
wanted = json.loads(sys.argv[1])
eps = {ep.name: ep for ep in entry_points(group="console_scripts")}
report = {
    "ytlake": ytlake.__file__,
    "values": {name: eps[name].value if name in eps else None for name in wanted},
    "callable": {name: name in eps and callable(eps[name].load()) for name in wanted},
    "versions": {re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version for d in distributions()},
}
print(json.dumps(report))
"""


@pytest.mark.slow
def test_the_built_wheel_installs_offline_with_plain_pip_from_wheels_only(
    request, tmp_path, wheelhouse, built_wheel
):
    envs = wheel_task_environments()
    assert len(envs) == 1, f"the wheel tasks use several environments ({sorted(envs)}): install each"
    [(key, deps)] = envs.items()
    assert wheel_task_entry_points() <= set(TASK_SCRIPTS), "a wheel task's entry point is not a task script"
    env = {**os.environ, **OFFLINE_ENV}
    for var in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
        env.pop(var, None)

    venv = tmp_path / "venv"
    request.addfinalizer(lambda: shutil.rmtree(venv, ignore_errors=True))  # ~0.6 GB
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env, cwd=tmp_path)
    python = venv / "bin" / "python"
    assert not (venv / "bin" / "uv").exists()

    # The environment's dependency lines, as a requirements file (each Databricks dependency is
    # a requirements file line), the wheel glob and file paths made local.
    env_reqs = tmp_path / f"environment-{key}.txt"
    env_reqs.write_text("\n".join(as_pip_lines(deps, built_wheel)) + "\n")
    pip = [str(python), "-m", "pip"]
    install = subprocess.run(
        [
            *pip,
            "install",
            "--only-binary=:all:",
            "--no-index",
            "--find-links",
            str(wheelhouse),
            "--no-cache-dir",
            "--no-compile",
            "-r",
            str(env_reqs),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert install.returncode == 0, (
        f"pip install failed for {deps}:\n{install.stdout[-4000:]}\n{install.stderr[-4000:]}"
    )
    check = subprocess.run([*pip, "check"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr

    probe = subprocess.run(
        [str(python), "-I", "-c", CHECK_ENTRY_POINTS, json.dumps(sorted(TASK_SCRIPTS))],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert probe.returncode == 0, probe.stderr[-4000:]
    report = json.loads(probe.stdout)
    assert Path(report["ytlake"]).is_relative_to(venv), f"ytlake imported from {report['ytlake']}"
    assert report["values"] == TASK_SCRIPTS
    assert all(report["callable"].values()), report["callable"]

    # Exactly the locked versions went in (the wheelhouse holds nothing else, but say so).
    pins, _ = pkg.parse_requirements(pkg.requirements_path(ROOT).read_text())
    installed = report["versions"]
    differ = {
        p.name: installed.get(p.name) for p in pins if p.applies() and installed.get(p.name) != p.version
    }
    assert not differ, f"installed versions differ from uv.lock: {differ}"
    assert not {"duckdb", "pyspark", "dbt-duckdb", "streamlit"} & set(installed)

    # Each task's console script, as pip wrote it, answers --help.
    procs = {
        name: subprocess.Popen(
            [str(venv / "bin" / name), "--help"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for name in sorted(TASK_SCRIPTS)
    }
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{name} --help failed:\n{err[-3000:]}"
        assert "usage" in out.lower(), f"{name} --help printed no usage:\n{out[:500]}"
