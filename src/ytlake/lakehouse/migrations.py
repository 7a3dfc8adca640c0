"""In-place migrations of an existing lakehouse: nothing landed is ever lost.

Run before the bootstrap SQL (locally) and by ``init_run_context`` (every engine, Databricks
included), so a lakehouse built by an earlier version takes the current names at its next run.
Each step is idempotent: a step cut half way is finished by the next run.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

QUARANTINE = "bronze.quarantine"


class MigrationError(RuntimeError):
    """A table could not be migrated (on Unity Catalog: the job's identity does not own it)."""


#: Bronze tables an earlier version named differently (old → the seed's name, the contract's).
RENAMED_TABLES: dict[str, str] = {
    "bronze.analytics_video_traffic_source_raw": "bronze.analytics_video_traffic_source_daily_raw",
    "bronze.analytics_video_country_raw": "bronze.analytics_video_country_daily_raw",
    "bronze.analytics_video_device_raw": "bronze.analytics_video_device_daily_raw",
}


def migrate(engine: Any) -> list[str]:
    """Bring the lakehouse to the current table names; returns what was done, for the log.

    A table under its old name is renamed. When the new table exists too (the bootstrap SQL
    created it empty, as the Unity Catalog setup does before the next run), the old rows not
    already there (by ``request_id``) are copied over and the old table is dropped.
    """
    done = []
    for old, new in RENAMED_TABLES.items():
        if not engine.table_exists(old):
            continue
        try:
            if not engine.table_exists(new):
                engine.rename_table(old, new)
                done.append(f"renamed {old} to {new}")
            else:
                src, dst = engine.qualify(old), engine.qualify(new)
                with engine.atomic():
                    engine.execute(
                        f"INSERT INTO {dst} SELECT * FROM {src} "
                        f"WHERE request_id NOT IN (SELECT request_id FROM {dst})"
                    )
                    engine.execute(f"DROP TABLE {src}")
                done.append(f"moved the rows of {old} into {new}")
        except Exception as err:
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise MigrationError(
                f"cannot migrate {engine.qualify(old)} to {engine.qualify(new)} ({first}): the job's "
                f"identity must own {engine.qualify(old)} (or hold MANAGE on it): its owner runs "
                f"`ALTER TABLE {engine.qualify(old)} OWNER TO <the job's identity>` once, or renames "
                "it as above; nothing was lost"
            ) from err
        log.info("migration: %s", done[-1])
    if done and engine.table_exists(QUARANTINE):  # quarantined answers name their table
        try:
            for old, new in RENAMED_TABLES.items():
                engine.execute(
                    f"UPDATE {engine.qualify(QUARANTINE)} SET target_table = '{new}' "
                    f"WHERE target_table = '{old}'"
                )
        except Exception as err:  # local Spark's parquet tables have no UPDATE; a label, no data
            log.warning("migration: quarantined answers keep their old table names (%s)", err)
    return done
