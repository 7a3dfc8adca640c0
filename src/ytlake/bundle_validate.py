"""Offline validation of the Databricks Asset Bundle (``ytlake validate``).

Three opinions, each problem reported with the YAML path where it is:
1. the official bundle JSON schema (what ``databricks bundle schema`` prints), when given;
2. the rules the schema cannot express: known top-level keys, target modes, every
   ``${var.x}`` declared, every ``depends_on`` and resource reference resolving, serverless
   tasks with an environment, a production target with a ``root_path``, unique task keys;
3. the ``databricks-bundles`` package's typed models (``Job.from_dict``,
   ``Pipeline.from_dict``), which track newer CLI versions than the schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ytlake.job import Bundle, BundleError, load_bundle

ROOT_KEYS = {
    "artifacts",
    "bundle",
    "environments",
    "experimental",
    "include",
    "permissions",
    "presets",
    "python",
    "resources",
    "run_as",
    "scripts",
    "sync",
    "targets",
    "variables",
    "workspace",
}
MODES = {"development", "production"}
SERVERLESS_TASKS = {"python_wheel_task", "spark_python_task", "dbt_task", "notebook_task"}
_REF = re.compile(r"\$\{([A-Za-z0-9_.\-\[\]]+)\}")


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")


def _schema_path(error: Any) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def schema_problems(config: dict[str, Any], schema: dict[str, Any]) -> list[Problem]:
    """Validate against the official JSON schema (draft 2020-12, ECMAScript patterns)."""
    import jsonschema
    import regex

    def pattern(validator, patrn, instance, schema):  # the schema's \\p{L} needs `regex`
        if isinstance(instance, str) and not regex.search(patrn, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")

    validator_cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": pattern})
    validator = validator_cls(schema)
    problems = []
    for error in validator.iter_errors(config):
        best = jsonschema.exceptions.best_match([error])
        message = best.message
        if len(message) > 300:
            message = message[:300] + "…"
        problems.append(Problem(_schema_path(best), message))
    return problems


def rule_problems(bundle: Bundle) -> list[Problem]:
    config = bundle.config
    problems = []
    for key in config:
        if key not in ROOT_KEYS:
            problems.append(Problem(key, f"unknown top-level key (known: {', '.join(sorted(ROOT_KEYS))})"))
    declared = set((config.get("variables") or {}).keys())
    for name, target in (config.get("targets") or {}).items():
        target = target or {}
        mode = target.get("mode")
        if mode is not None and mode not in MODES:
            problems.append(Problem(f"targets.{name}.mode", f"{mode!r} is not development or production"))
        if mode == "production" and not (target.get("workspace") or {}).get("root_path"):
            problems.append(
                Problem(f"targets.{name}.workspace.root_path", "a production target needs a fixed root_path")
            )
        for var in target.get("variables") or {}:
            if var not in declared:
                problems.append(
                    Problem(f"targets.{name}.variables.{var}", "sets a variable that is not declared")
                )
    resources = config.get("resources") or {}
    for path, value in _walk(config, ""):
        if not isinstance(value, str):
            continue
        for ref in _REF.findall(value):
            if ref.startswith("var."):
                name = ref[4:].split(".")[0]
                if name not in declared:
                    problems.append(Problem(path, f"${{{ref}}} is not a declared variable"))
            elif ref.startswith("resources."):
                parts = ref.split(".")
                if len(parts) < 3 or parts[2] not in (resources.get(parts[1]) or {}):
                    problems.append(Problem(path, f"${{{ref}}} names no resource in the bundle"))
    for job_key, job in (resources.get("jobs") or {}).items():
        base = f"resources.jobs.{job_key}"
        envs = {e.get("environment_key") for e in job.get("environments") or []}
        keys: list[str] = [t.get("task_key") for t in job.get("tasks") or []]
        for i, task in enumerate(job.get("tasks") or []):
            where = f"{base}.tasks[{i}]"
            if keys.count(task.get("task_key")) > 1:
                problems.append(Problem(f"{where}.task_key", f"{task.get('task_key')!r} is used twice"))
            for j, dep in enumerate(task.get("depends_on") or []):
                if dep.get("task_key") not in keys:
                    problems.append(
                        Problem(
                            f"{where}.depends_on[{j}].task_key",
                            f"{dep.get('task_key')!r} is not a task of this job",
                        )
                    )
            kinds = SERVERLESS_TASKS & set(task)
            if (
                kinds
                and not task.get("existing_cluster_id")
                and not task.get("job_cluster_key")
                and not task.get("new_cluster")
            ):
                env = task.get("environment_key")
                if not env:
                    problems.append(Problem(where, f"{kinds.pop()} on serverless needs an environment_key"))
                elif env not in envs:
                    problems.append(
                        Problem(f"{where}.environment_key", f"{env!r} is not in {base}.environments")
                    )
    return problems


def model_problems(bundle: Bundle) -> list[Problem]:
    """Second opinion: the databricks-bundles typed models."""
    try:
        from databricks.bundles.jobs import Job
        from databricks.bundles.pipelines import Pipeline
    except ImportError:  # pragma: no cover - the databricks extra is not installed
        return []
    problems = []
    for kind, model in (("jobs", Job), ("pipelines", Pipeline)):
        for key, value in bundle.resources(kind).items():
            try:
                model.from_dict(value)
            except Exception as err:
                problems.append(Problem(f"resources.{kind}.{key}", f"databricks-bundles: {err}"))
    return problems


def validate_bundle(root: Path | None = None, schema_path: Path | None = None) -> list[Problem]:
    """Every problem found in the bundle at ``root`` (empty: valid)."""
    try:
        bundle = load_bundle(root)
    except BundleError as err:
        return [Problem("databricks.yml", str(err))]
    problems = []
    if schema_path is not None:
        schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
        problems += schema_problems(bundle.config, schema)
    problems += rule_problems(bundle)
    problems += model_problems(bundle)
    return problems
