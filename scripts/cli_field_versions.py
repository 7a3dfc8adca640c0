"""Rewrite the `first` column of src/ytlake/data/databricks_cli_fields.yml: for each field,
the first Databricks CLI release whose bundle schema (bundle/schema/jsonschema.json at the
release tag) declares it.

Example: uv run python scripts/cli_field_versions.py --cli-repo ~/src/databricks-cli
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

TABLE = Path(__file__).resolve().parents[1] / "src" / "ytlake" / "data" / "databricks_cli_fields.yml"
SCHEMA = "bundle/schema/jsonschema.json"


def _version(tag: str) -> tuple[int, ...]:
    return tuple(int(x) for x in tag[1:].split("."))


def _definitions(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every definition under $defs by its path (the schema nests them by Go package)."""
    out: dict[str, dict[str, Any]] = {}

    def walk(node: dict[str, Any], path: str) -> None:
        for key, value in node.items():
            if not isinstance(value, dict):
                continue
            if any(k in value for k in ("type", "oneOf", "anyOf", "properties")):
                out[f"{path}/{key}"] = value
            else:
                walk(value, f"{path}/{key}")

    walk(schema.get("$defs", {}), "")
    return out


def declares(defs: dict[str, dict[str, Any]], definition: str, prop: str) -> bool:
    for path, value in defs.items():
        if not path.endswith("/" + definition):
            continue
        for option in [value, *value.get("oneOf", []), *value.get("anyOf", [])]:
            if isinstance(option, dict) and prop in (option.get("properties") or {}):
                return True
    return False


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cli-repo", required=True, type=Path, help="a clone of github.com/databricks/cli")
    args = p.parse_args(argv)
    tags = subprocess.run(
        ["git", "-C", str(args.cli_repo), "tag"], capture_output=True, text=True, check=True
    ).stdout.split()
    tags = sorted((t for t in tags if re.fullmatch(r"v\d+\.\d+\.\d+", t)), key=_version)
    text = TABLE.read_text(encoding="utf-8")
    fields = [f for f in yaml.safe_load(text)["fields"] if f.get("schema")]  # changelog rows: by hand
    # the first release of the last unbroken run that declares it (a field can be removed and
    # come back: resources.apps.*.config was removed in v0.271.0 and re-added in v0.283.0)
    first: dict[str, str] = {}
    for tag in tags:
        shown = subprocess.run(
            ["git", "-C", str(args.cli_repo), "show", f"{tag}:{SCHEMA}"], capture_output=True, text=True
        )
        if shown.returncode:
            continue  # no schema file in this release
        defs = _definitions(json.loads(shown.stdout))
        for f in fields:
            definition, prop = f["schema"].rsplit(".", 1)
            if not declares(defs, definition, prop):
                first.pop(f["schema"], None)
            elif f["schema"] not in first:
                first[f["schema"]] = tag
    for f in fields:
        found = first.get(f["schema"])
        if not found:
            print(f"{f['schema']}: in no release's schema", file=sys.stderr)
            return 1
        text = re.sub(
            rf"(schema: {re.escape(f['schema'])}\n\s+first: )v[\d.]+", rf"\g<1>{found}", text, count=1
        )
        print(f"{f['path']}: {found}")
    TABLE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
