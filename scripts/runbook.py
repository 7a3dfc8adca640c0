"""Shared argument parsing for the runbook scripts (the seed runbook's flags)."""

from __future__ import annotations

import argparse
import sys


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


def fail(message: str) -> int:
    sys.stderr.write(f"error: {' '.join(message.split())}\n")
    return 1
