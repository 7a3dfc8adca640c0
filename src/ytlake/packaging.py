"""The pinned dependency set of the Databricks serverless job environment, taken from uv.lock.

Databricks installs a serverless environment's ``dependencies`` with pip, which knows nothing
of ``[tool.uv] no-build-package``: left to resolve ``dbt-core==1.12.0`` itself, pip picks
``dbt-core-experimental-parser`` 2.0.8, a source package whose build downloads from the
internet. So the environment installs the exact set uv.lock resolved, from wheels only:
``requirements/databricks-serverless.txt`` pins every package the project wheel and
``dbt-databricks`` need (``uv export`` of the base dependencies plus the ``databricks`` extra,
without ``databricks-bundles``, which only validates bundles locally) and starts with
``--only-binary=:all:``, so pip refuses any source package instead of building it.

Regenerate after changing the lock::

    uv run python -m ytlake.packaging          # rewrite the file
    uv run python -m ytlake.packaging --check  # exit 1 when it is out of date

:func:`missing_serverless_wheels` checks, from the wheel file names uv.lock records, that every
pin has a wheel serverless environment version 4 can install (CPython 3.12 on Ubuntu 24.04,
x86_64, glibc 2.39).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from packaging import tags
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from ytlake.paths import project_dir

REQUIREMENTS_FILE = "requirements/databricks-serverless.txt"
ONLY_BINARY = "--only-binary=:all:"
# The lock's base dependencies plus the `databricks` extra (dbt-databricks and the SQL
# connector it uses); databricks-bundles is for local bundle validation only.
EXPORT_ARGS = (
    "export",
    "--frozen",
    "--no-dev",
    "--extra",
    "databricks",
    "--prune",
    "databricks-bundles",
    "--no-emit-project",
    "--no-hashes",
    "--no-header",
)
# Hashes are left out on purpose: one hashed line puts pip in --require-hashes mode for the
# whole install, and the project wheel (`../dist/*.whl`) has no hash to give.
HEADER = f"""\
# The Databricks serverless job environment's pinned dependencies, generated from uv.lock
# by `uv run python -m ytlake.packaging` (uv {" ".join(EXPORT_ARGS)}).
# Do not edit: regenerate after `uv lock`. The job's environment installs this file with
# `-r` before the project wheel; tests/test_serverless_install.py checks both.
#
# Wheels only: pip must never build a source package on Databricks (the sdists of
# dbt-core-experimental-parser >= 2.0.0b1 download at build time).
{ONLY_BINARY}
"""

# Serverless environment version 4: Ubuntu 24.04.2 LTS (glibc 2.39), Python 3.12.3, x86_64.
SERVERLESS_PYTHON = (3, 12)
SERVERLESS_GLIBC_MINOR = 39
SERVERLESS_MARKER_ENV = {
    "implementation_name": "cpython",
    "implementation_version": "3.12.3",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Linux",
    "platform_version": "",
    "python_full_version": "3.12.3",
    "python_version": "3.12",
    "sys_platform": "linux",
    "extra": "",
}


@dataclass(frozen=True, order=True)
class Pin:
    name: str
    version: str
    marker: str = ""

    def applies(self, environment: dict[str, str] | None = None) -> bool:
        return not self.marker or Marker(self.marker).evaluate(environment)

    def __str__(self) -> str:
        return f"{self.name}=={self.version}" + (f" ; {self.marker}" if self.marker else "")


def requirements_path(root: Path | None = None) -> Path:
    return (root or project_dir()) / REQUIREMENTS_FILE


def export_from_lock(root: Path | None = None) -> str:
    """``uv export`` of the serverless set, straight from uv.lock (offline, no resolution)."""
    done = subprocess.run(
        ["uv", *EXPORT_ARGS, "--quiet"],
        cwd=root or project_dir(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"uv export failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def render(root: Path | None = None) -> str:
    return HEADER + export_from_lock(root)


def parse_requirements(text: str) -> tuple[list[Pin], list[str]]:
    """The ``name==version ; marker`` pins and the option lines (``--only-binary=…``) of a
    requirements text; comments and blank lines are dropped."""
    pins: list[Pin] = []
    options: list[str] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith("-"):
            options.append(line)
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        if len(specs) != 1 or specs[0].operator != "==":
            raise ValueError(f"not an exact pin: {line!r}")
        pins.append(Pin(canonicalize_name(req.name), specs[0].version, str(req.marker or "")))
    return pins, options


def only_binary_everywhere(options: list[str]) -> bool:
    for opt in options:
        flag, _, value = opt.replace("=", " ", 1).partition(" ")
        if flag == "--only-binary" and ":all:" in value.strip().split(","):
            return True
    return False


def sync_problems(root: Path | None = None) -> list[str]:
    """Why the committed requirements file differs from what uv.lock gives now (empty: in sync)."""
    path = requirements_path(root)
    if not path.is_file():
        return [f"{REQUIREMENTS_FILE} is missing: run `uv run python -m ytlake.packaging`"]
    have, options = parse_requirements(path.read_text())
    want, _ = parse_requirements(render(root))
    problems = [f"uv.lock pins {pin}, {REQUIREMENTS_FILE} does not" for pin in sorted(set(want) - set(have))]
    problems += [f"{REQUIREMENTS_FILE} pins {pin}, uv.lock does not" for pin in sorted(set(have) - set(want))]
    if not only_binary_everywhere(options):
        problems.append(f"{REQUIREMENTS_FILE} lacks the `{ONLY_BINARY}` line")
    if problems:
        problems.append("regenerate it: `uv run python -m ytlake.packaging`")
    return problems


@cache
def serverless_tags() -> frozenset[tags.Tag]:
    """Every wheel tag pip on serverless environment 4 accepts (CPython 3.12, manylinux x86_64
    up to glibc 2.39, pure Python)."""
    platforms = [f"manylinux_2_{minor}_x86_64" for minor in range(SERVERLESS_GLIBC_MINOR, 4, -1)]
    platforms += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
    interpreter = f"cp{SERVERLESS_PYTHON[0]}{SERVERLESS_PYTHON[1]}"
    found = set(tags.cpython_tags(SERVERLESS_PYTHON, abis=[interpreter], platforms=platforms))
    found |= set(tags.compatible_tags(SERVERLESS_PYTHON, interpreter=interpreter, platforms=platforms))
    return frozenset(found)


def _wheel_filename(entry: dict) -> str:
    for key in ("filename", "url", "path"):
        if key in entry:
            return str(entry[key]).rsplit("/", 1)[-1]
    raise ValueError(f"a wheel entry of uv.lock without a file name: {entry}")


def locked_wheels(root: Path | None = None) -> dict[tuple[str, str], list[str]]:
    """``(name, version)`` → the wheel file names uv.lock records for it."""
    lock = tomllib.loads(((root or project_dir()) / "uv.lock").read_text())
    wheels: dict[tuple[str, str], list[str]] = {}
    for package in lock.get("package", []):
        key = (canonicalize_name(package["name"]), str(package.get("version", "")))
        wheels.setdefault(key, []).extend(_wheel_filename(w) for w in package.get("wheels", []))
    return wheels


def missing_serverless_wheels(pins: list[Pin], root: Path | None = None) -> list[str]:
    """The pins that apply on serverless environment 4 and have no wheel it can install."""
    wheels = locked_wheels(root)
    accepted = serverless_tags()
    problems = []
    for pin in pins:
        if not pin.applies(SERVERLESS_MARKER_ENV):
            continue
        files = wheels.get((pin.name, pin.version))
        if files is None:
            problems.append(f"{pin}: not in uv.lock")
            continue
        if not any(parse_wheel_filename(f)[3] & accepted for f in files):
            problems.append(f"{pin}: no cp312/abi3/py3 manylinux-x86_64 or any wheel in uv.lock ({files})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ytlake.packaging", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is out of date")
    args = parser.parse_args(argv)
    path = requirements_path()
    if args.check:
        problems = sync_problems()
        pins, _ = parse_requirements(path.read_text()) if path.is_file() else ([], [])
        problems += missing_serverless_wheels(pins)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render())
    pins, _ = parse_requirements(path.read_text())
    print(f"wrote {path} ({len(pins)} pins)")
    for problem in missing_serverless_wheels(pins):
        print(f"warning: {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
