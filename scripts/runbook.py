"""Shared argument parsing and error reporting for the runbook scripts (the seed runbook's flags)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterable


def parser(doc: str) -> argparse.ArgumentParser:
    lines = doc.strip().splitlines()
    p = argparse.ArgumentParser(
        description=lines[0], epilog=lines[-1], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--profile", help="Databricks CLI profile (default: the environment's credentials)")
    p.add_argument("--scope", default="youtube-analytics", help="secret scope (default youtube-analytics)")
    p.add_argument("--catalog", default="youtube_analytics", help="Unity Catalog catalog")
    p.add_argument("--warehouse-id", help="SQL warehouse id")
    return p


def fail(message: str, secrets: Iterable[str] = ()) -> int:
    """Write one ``error:`` line to stderr (any secret value in it masked) and return 1."""
    text = " ".join(str(message).split())
    for value in secrets:
        if value and len(value) >= 4:  # shorter ones would mask ordinary words
            text = text.replace(value, "***")
    sys.stderr.write(f"error: {text}\n")
    return 1


def guarded(body: Callable[[], int], secrets: Iterable[str] = ()) -> int:
    """Run a script's body; any failure becomes one ``error:`` line (no traceback), exit 1.

    The SDK's own warnings (e.g. a workspace without host metadata) are silenced: the
    runbook's output is its own lines.
    """
    from ytlake.databricks_ops import explain

    sdk_log = logging.getLogger("databricks.sdk")
    level = sdk_log.level
    sdk_log.setLevel(logging.ERROR)
    secrets = list(secrets)
    try:
        return body()
    except Exception as err:
        return fail(explain(err), secrets)
    finally:
        sdk_log.setLevel(level)
