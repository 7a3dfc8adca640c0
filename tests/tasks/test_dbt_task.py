"""dbt runs without writing into the project it reads (read-only in the installed wheel on
Databricks) and without telling dbt Labs about it (nothing here phones out)."""

from __future__ import annotations

import argparse
import os

from ytlake import paths
from ytlake.tasks import common
from ytlake.tasks.dbt import add_dbt_args, environment, run_dbt


def test_dbt_writes_nothing_into_the_project_and_sends_no_usage_events(tmp_path, monkeypatch):
    project = paths.dbt_project_dir()
    cookie = project / ".user.yml"
    if cookie.exists():  # left by an earlier version (gitignored)
        cookie.unlink()
    before = {p for p in project.rglob("*") if "target" not in p.parts and "logs" not in p.parts}
    p = argparse.ArgumentParser()
    common.add(p, "catalog", default="youtube_analytics")
    common.add(p, "lakehouse", default=str(tmp_path / "yt.duckdb"))
    add_dbt_args(p)
    seen = {}
    import dbt.cli.main

    real = dbt.cli.main.dbtRunner.invoke

    def invoke(self, args, **kw):
        seen["tracking"] = os.environ.get("DBT_SEND_ANONYMOUS_USAGE_STATS")
        seen["profiles_dir"] = args[args.index("--profiles-dir") + 1]
        return real(self, args, **kw)

    monkeypatch.setattr(dbt.cli.main.dbtRunner, "invoke", invoke)
    with environment({}):
        outcome = run_dbt("parse", p.parse_args([]))
    assert outcome.success, outcome.error
    assert seen["tracking"] == "false"
    assert not str(seen["profiles_dir"]).startswith(str(project))
    after = {p for p in project.rglob("*") if "target" not in p.parts and "logs" not in p.parts}
    assert after == before and not cookie.exists()


class _UnityCatalog:
    """What publish_gold says to Unity Catalog (no workspace here): the statements it runs;
    GRANT on the catalog fails as it does for a job identity that does not own it."""

    name, local, catalog = "spark", False, "yt"

    def __init__(self):
        self.sql = []

    def qualify(self, table):
        return f"{self.catalog}.{table}"

    def replace_table(self, table, select):
        self.sql.append(f"REPLACE {table}")

    def execute(self, sql):
        if "ON CATALOG" in sql:
            raise RuntimeError("[PERMISSION_DENIED] User does not have MANAGE on Catalog 'yt'.")
        self.sql.append(sql)

    def atomic(self):
        import contextlib

        return contextlib.nullcontext()


def test_publishing_on_unity_catalog_grants_the_app_each_mart_and_names_a_grant_it_cannot_give():
    from ytlake.tasks.dbt import publish_gold

    uc = _UnityCatalog()
    warnings = publish_gold(uc, ["m1", "m2"], readers=["1234-app-sp", ""])
    assert uc.sql == [
        "REPLACE gold.m1",
        "REPLACE gold.m2",
        "GRANT USE SCHEMA ON SCHEMA yt.gold TO `1234-app-sp`",
        "GRANT SELECT ON TABLE yt.gold.m1 TO `1234-app-sp`",
        "GRANT SELECT ON TABLE yt.gold.m2 TO `1234-app-sp`",
    ]
    [warning] = warnings
    assert "GRANT USE CATALOG ON CATALOG yt" in warning and "an owner of it must grant it once" in warning


def test_locally_nothing_is_granted(tmp_path):
    from ytlake.lakehouse import DuckDBEngine
    from ytlake.tasks.dbt import publish_gold

    with DuckDBEngine(tmp_path / "yt.duckdb") as engine:
        engine.execute_native("CREATE SCHEMA gold_staging; CREATE SCHEMA gold")
        engine.execute_native("CREATE TABLE gold_staging.m1 AS SELECT 1 AS x")
        assert publish_gold(engine, ["m1"], readers=["local:youtube_analytics_dashboard"]) == []
        assert engine.count("gold.m1") == 1
