"""Where the project's non-Python files live: the bundle, the Lakeflow SQL, the dbt project.

In a source checkout they are at the repository root. In the wheel deployed to Databricks
they ship as package data under ``ytlake/_bundled``. ``YTLAKE_PROJECT_DIR`` overrides both.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_MARKER = "databricks.yml"


@cache
def project_dir() -> Path:
    """The folder holding ``databricks.yml``, ``resources/``, ``lakeflow/`` and ``dbt/``."""
    override = os.environ.get("YTLAKE_PROJECT_DIR")
    if override:
        return Path(override).resolve()
    here = Path(__file__).resolve()
    checkout = here.parents[2]
    if (checkout / _MARKER).is_file():
        return checkout
    bundled = here.parent / "_bundled"
    if (bundled / _MARKER).is_file():
        return bundled
    raise FileNotFoundError(
        "cannot find databricks.yml: run from a checkout of the project or set YTLAKE_PROJECT_DIR"
    )


def bundle_root() -> Path:
    return project_dir()


def lakeflow_dir() -> Path:
    return project_dir() / "lakeflow"


def bootstrap_sql_path() -> Path:
    return lakeflow_dir() / "bootstrap_unity_catalog.sql"


def silver_sql_dir() -> Path:
    return lakeflow_dir() / "silver"


def dbt_project_dir() -> Path:
    override = os.environ.get("DBT_PROJECT_DIR")
    return Path(override).resolve() if override else project_dir() / "dbt"
