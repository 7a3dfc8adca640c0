"""The local SparkSession's JVM: what it prints goes to the Spark log beside the tables, never
to the terminal of `ytlake run --engine spark`; a JVM that cannot start is one sentence that
names Java and that log. (Every test that starts a SparkSession is in tests/e2e/test_spark.py.)"""

from __future__ import annotations

import os
import subprocess
import sys


def test_a_jvm_that_cannot_start_is_one_sentence_and_its_words_go_to_the_spark_log(tmp_path):
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java")}
    lakehouse = tmp_path / "yt.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "ytlake", "run", "--engine", "spark", "--lakehouse", str(lakehouse)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode != 0
    out = " ".join(done.stdout.split())  # the task table wraps at the terminal's width
    unwrapped = "".join(done.stdout.split())  # a long path is wrapped mid-word
    spark_log = tmp_path / "yt.spark" / "spark.log"
    assert "init_run_context FAILED" in out
    assert "Spark's JVM did not start (JAVA_GATEWAY_EXITED): Java 17 or later is needed" in out
    assert str(spark_log) in unwrapped
    # the launcher's own complaint is in the log, not on the terminal
    assert "no-java/bin/java" in spark_log.read_text()
    assert "no-java" not in done.stderr and "Traceback" not in done.stderr + done.stdout
