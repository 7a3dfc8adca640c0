"""The Spark engine: the ambient SparkSession on Databricks, or a local ``local[2]`` one.

On Databricks statements run as written (Unity Catalog, Delta). Locally there is no Delta
and no Unity Catalog: names lose their catalog, ``USING DELTA`` becomes parquet, and
``DELETE`` is done by rewriting the table, each logged.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa

from ytlake.lakehouse.base import Engine
from ytlake.lakehouse.identifiers import validate_table_name
from ytlake.lakehouse.translate import to_local_spark

log = logging.getLogger(__name__)


def on_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


#: log4j2 for the local SparkSession: everything at WARN and above into one file.
LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{{yyyy-MM-dd HH:mm:ss}} %p %c{{1}}: %m%n
"""


def local_spark_session(warehouse: Path) -> Any:
    """A local ``local[2]`` SparkSession whose tables persist under ``warehouse``."""
    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    warehouse = Path(warehouse).resolve()
    warehouse.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    metastore = warehouse / "metastore_db"
    # the JVM's own log (Spark's WARN/INFO lines, Hive's, Derby's) goes to a file beside the
    # tables, never to the terminal of `ytlake run --engine spark`
    log_file = warehouse / "spark.log"
    log4j = warehouse / "log4j2.properties"
    log4j.write_text(LOG4J2.format(log=log_file), encoding="utf-8")
    java_options = f"-Dderby.system.home={warehouse} -Dlog4j2.configurationFile={log4j.as_uri()}"
    conf = SparkConf().setAll(
        [
            ("spark.master", "local[2]"),
            ("spark.app.name", "ytlake"),
            ("spark.sql.warehouse.dir", str(warehouse / "tables")),
            ("spark.sql.catalogImplementation", "hive"),
            (
                "spark.hadoop.javax.jdo.option.ConnectionURL",
                f"jdbc:derby:;databaseName={metastore};create=true",
            ),
            ("spark.driver.extraJavaOptions", java_options),
            # the driver is the whole local cluster: YTLAKE_SPARK_DRIVER_MEMORY sizes it (e.g. 8g)
            ("spark.driver.memory", os.environ.get("YTLAKE_SPARK_DRIVER_MEMORY", "2g")),
            ("spark.ui.enabled", "false"),
            ("spark.ui.showConsoleProgress", "false"),
            ("spark.sql.shuffle.partitions", "4"),
            ("spark.sql.session.timeZone", "UTC"),
            ("spark.sql.ansi.enabled", "true"),
        ]
    )
    if SparkContext._gateway is None:  # the JVM starts now: what it prints goes to the log too
        _start_jvm(conf, log_file)
    return SparkSession.builder.config(conf=conf).getOrCreate()


def _start_jvm(conf: Any, log_file: Path) -> None:
    """Start Spark's JVM with its stdout and stderr in ``log_file`` (pyspark's ``popen_kwargs``):
    what the Java launcher prints before log4j reads its configuration (``WARNING: Using
    incubator modules``) stays off the terminal. A JVM that does not start is one line naming
    the log."""
    from pyspark import SparkContext
    from pyspark.errors import PySparkRuntimeError
    from pyspark.java_gateway import launch_gateway

    with open(log_file, "ab") as out:
        try:
            gateway = launch_gateway(conf, popen_kwargs={"stdout": out, "stderr": out})
        except PySparkRuntimeError as err:
            raise RuntimeError(
                f"Spark's JVM did not start ({err.getCondition()}): Java 17 or later is needed on the "
                f"PATH or in JAVA_HOME; the JVM's own words are in {log_file}"
            ) from None
    SparkContext(conf=conf, gateway=gateway)  # the session below takes this context


class SparkEngine(Engine):
    name = "spark"

    def __init__(
        self, catalog: str = "youtube_analytics", spark: Any = None, warehouse: str | Path | None = None
    ) -> None:
        super().__init__(catalog)
        self.local = not on_databricks()
        if spark is None:
            if self.local:
                spark = local_spark_session(Path(warehouse or ".lakehouse/spark"))
            else:
                from pyspark.sql import SparkSession

                spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
        self.spark = spark

    def translate(self, sql: str) -> list[str]:
        if not self.local:
            return [sql]
        result = to_local_spark(sql, self.catalog)
        for note in result.notes:
            log.info("spark: %s", note)
        return result.statements

    def name_of(self, table: str) -> str:
        validate_table_name(table)
        return table if self.local else f"{self.catalog}.{table}"

    def qualify(self, table: str) -> str:
        return self.name_of(table) if self.local else super().qualify(table)

    def execute(self, sql: str) -> None:
        for statement in self.translate(sql):
            self.spark.sql(statement).collect()

    def query(self, sql: str) -> pa.Table:
        statements = self.translate(sql)
        for statement in statements[:-1]:
            self.spark.sql(statement).collect()
        return self.spark.sql(statements[-1]).toArrow()

    def append(self, table: str, rows: pa.Table) -> int:
        if rows.num_rows == 0:
            return 0
        name = self.name_of(table)
        columns = self.spark.table(name).columns
        df = self.spark.createDataFrame(rows.select(columns))
        df.write.insertInto(name)
        return rows.num_rows

    def delete(self, table: str, predicate: str) -> int:
        name = self.name_of(table)
        matched = self.spark.sql(f"SELECT count(*) FROM {name} WHERE {predicate}").collect()[0][0]
        if not matched:
            return 0
        if not self.local:
            self.spark.sql(f"DELETE FROM {name} WHERE {predicate}").collect()
            return int(matched)
        log.info("spark: DELETE on a parquet table -> rewrite of %s without the matched rows", name)
        keep = self.spark.table(name).where(f"({predicate}) IS NOT TRUE").localCheckpoint()
        keep.write.insertInto(name, overwrite=True)
        return int(matched)

    def replace_where(self, table: str, predicate: str, rows: pa.Table) -> int:
        """On Databricks one Delta commit (``INSERT INTO … REPLACE WHERE``); local Spark has
        parquet tables, no transactions: delete, then append."""
        if self.local:
            return super().replace_where(table, predicate, rows)
        name = self.name_of(table)
        columns = self.spark.table(name).columns
        view = "_ytlake_replace_where_src"
        self.spark.createDataFrame(rows.select(columns)).createOrReplaceTempView(view)
        try:
            self.spark.sql(f"INSERT INTO {name} REPLACE WHERE {predicate} SELECT * FROM {view}").collect()
        finally:
            self.spark.catalog.dropTempView(view)
        return rows.num_rows

    def replace_table(self, table: str, select_sql: str) -> None:
        if not self.local:
            super().replace_table(table, select_sql)
            return
        name = self.name_of(table)
        [query] = self.translate(select_sql)
        staged = self.spark.sql(query).localCheckpoint()
        self.spark.sql(f"DROP TABLE IF EXISTS {name}").collect()
        staged.write.format("parquet").saveAsTable(name)

    def table_exists(self, table: str) -> bool:
        return bool(self.spark.catalog.tableExists(self.name_of(table)))

    def optimize(self, table: str, cluster_by: list[str] | None = None) -> str:
        name = self.name_of(table)
        if self.local:
            log.info("spark: OPTIMIZE %s skipped locally (parquet, no Delta)", name)
            return "skipped: local Spark has no Delta"
        zorder = f" ZORDER BY ({', '.join(cluster_by)})" if cluster_by else ""
        self.spark.sql(f"OPTIMIZE {name}{zorder}").collect()
        return f"OPTIMIZE{zorder}"
