"""Offline validation of the Databricks Asset Bundle (``ytlake validate``).

Three opinions, each problem reported with the YAML path where it is:
1. the official bundle JSON schema (what ``databricks bundle schema`` prints), when given;
2. the rules the schema cannot express: known top-level keys, target modes, every
   ``${var.x}`` declared, every ``depends_on`` and resource reference resolving, serverless
   tasks with an environment, a production target with a ``root_path``, unique task keys;
3. the ``databricks-bundles`` package's typed models (``Job.from_dict``,
   ``Pipeline.from_dict``), which track newer CLI versions than the schema;
4. Databricks as it really runs (this project's bundle): the CLI the workflows pin knows
   every field used (``data/databricks_cli_fields.yml``) and README names it, no task reads
   task values, every task gets the job run id, ``finalize_run_log`` fails a FAILED run.
"""

from __future__ import annotations

import ast
import contextlib
import io
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
    if root is None:  # this project: its workflows, README and code too
        problems += databricks_problems(bundle)
    return problems


# -- Databricks as it really runs ----------------------------------------------------------
CLI_FIELDS = Path(__file__).resolve().parent / "data" / "databricks_cli_fields.yml"
SETUP_CLI = "databricks/setup-cli"
FINALIZE = "finalize_run_log"
_TASK_VALUES = re.compile(r"taskValues|task_values")
_README_CLI = re.compile(r"Databricks CLI v?(\d+\.\d+\.\d+)")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in str(text).lstrip("v").split("."))


def _path_regex(pattern: str) -> re.Pattern[str]:
    if pattern == "**":
        return re.compile(r".*")
    out = re.escape(pattern).replace(r"\[\*\]", r"\[\d+\]").replace(r"\*", r"[^.\[\]]+")
    return re.compile(out)


def cli_fields(path: Path = CLI_FIELDS) -> list[dict[str, Any]]:
    import yaml

    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["fields"])


def required_cli(bundle: Bundle, fields: list[dict[str, Any]] | None = None) -> tuple[str, list[str]]:
    """The oldest CLI that knows every field the bundle uses, and those fields' paths."""
    used: dict[str, str] = {}
    table = fields if fields is not None else cli_fields()
    for path, value in _walk(bundle.config, ""):
        for f in table:
            if not _path_regex(f["path"]).fullmatch(path):
                continue
            if f.get("when") and not (isinstance(value, str) and value.startswith(f["when"])):
                continue
            if f.get("contains") and not (isinstance(value, str) and f["contains"] in value):
                continue
            used[f["path"]] = f["first"]
    if not used:
        return "v0.0.0", []
    newest = max(used.values(), key=_version)
    return newest, sorted(p for p, v in used.items() if v == newest)


def pinned_clis(workflows: Path) -> list[tuple[str, str | None]]:
    """``(where, version)`` of every ``databricks/setup-cli`` step in the workflows."""
    import yaml

    out = []
    for file in sorted(workflows.glob("*.yml")):
        doc = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for job_key, job in (doc.get("jobs") or {}).items():
            for i, step in enumerate(job.get("steps") or []):
                if str(step.get("uses", "")).startswith(SETUP_CLI + "@"):
                    version = (step.get("with") or {}).get("version")
                    out.append((f"{file.name}: jobs.{job_key}.steps[{i}]", str(version) if version else None))
    return out


def cli_problems(bundle: Bundle, workflows: Path, readme: Path | None) -> list[Problem]:
    """The workflows pin one CLI version, at least the first that knows every field used,
    and README names that same version."""
    problems = []
    needed, fields = required_cli(bundle)
    pins = pinned_clis(workflows)
    versions = {v for _, v in pins if v}
    for where, version in pins:
        if version is None:
            problems.append(
                Problem(
                    where,
                    f"{SETUP_CLI} without `with: version:` installs whatever that action release "
                    "defaults to; pin the CLI version",
                )
            )
        elif _version(version) < _version(needed):
            problems.append(
                Problem(
                    where,
                    f"Databricks CLI {version} does not know {', '.join(fields)} (first in {needed}); "
                    f"pin {needed} or newer",
                )
            )
    if len(versions) > 1:
        problems.append(
            Problem(
                str(workflows), f"the workflows pin different Databricks CLIs: {', '.join(sorted(versions))}"
            )
        )
    if readme is not None and versions:
        named = set(_README_CLI.findall(readme.read_text(encoding="utf-8")))
        if named != {v.lstrip("v") for v in versions}:
            problems.append(
                Problem(
                    readme.name,
                    f"names Databricks CLI {', '.join(sorted(named)) or 'no version'}; "
                    f"the workflows pin {', '.join(sorted(versions))}",
                )
            )
    return problems


def task_values_problems(bundle: Bundle, source: Path) -> list[Problem]:
    """No task reads task values: no ``{{tasks.<key>.values.<name>}}`` in the bundle, no
    ``taskValues`` / ``task_values`` in the package's code (Databricks documents them for
    Python notebooks only)."""
    problems = []
    for path, value in _walk(bundle.config, ""):
        if isinstance(value, str) and re.search(r"\{\{\s*tasks\.[^}]*\.values\.", value):
            problems.append(
                Problem(path, f"{value!r} reads a task value; read it from the lakehouse instead")
            )
    for file in sorted(source.rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):  # code, not the docs that say why it is not used
            name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
            if name and _TASK_VALUES.fullmatch(name):
                problems.append(
                    Problem(
                        f"{file.relative_to(source.parent)}:{node.lineno}",
                        "uses task values (notebooks only on Databricks); read run state from the lakehouse",
                    )
                )
    return problems


def run_id_problems(bundle: Bundle) -> list[Problem]:
    """Every wheel task gets the job run id (a named parameter, or a job parameter pushed down)."""
    problems = []
    for job_key, job in (bundle.resources("jobs") or {}).items():
        pushed = any("{{job.run_id}}" in str(p.get("default", "")) for p in job.get("parameters") or [])
        for i, task in enumerate(job.get("tasks") or []):
            wheel = task.get("python_wheel_task")
            if wheel is None or pushed:
                continue
            named = wheel.get("named_parameters") or {}
            if not any(re.fullmatch(r"\{\{\s*job\.run_id\s*\}\}", str(v)) for v in named.values()):
                problems.append(
                    Problem(
                        f"resources.jobs.{job_key}.tasks[{i}].python_wheel_task.named_parameters",
                        f"{task.get('task_key')} does not get the job run id "
                        '(job_run_id: "{{job.run_id}}")',
                    )
                )
    return problems


def pushdown_problems(bundle: Bundle) -> list[Problem]:
    """Databricks pushes every job parameter down to every wheel task as a named parameter: a
    parameter the tasks do not accept fails them all ("unrecognized arguments")."""
    from ytlake.tasks.common import JOB_PARAMETERS

    problems = []
    for job_key, job in (bundle.resources("jobs") or {}).items():
        for i, param in enumerate(job.get("parameters") or []):
            if param.get("name") not in JOB_PARAMETERS:
                problems.append(
                    Problem(
                        f"resources.jobs.{job_key}.parameters[{i}]",
                        f"{param.get('name')!r} reaches every task but the tasks accept only "
                        f"{', '.join(JOB_PARAMETERS)} (ytlake.tasks.common.JOB_PARAMETERS)",
                    )
                )
    return problems


def finalize_problems(bundle: Bundle, run_finalize: Any = None) -> list[Problem]:
    """finalize_run_log runs whatever happened (ALL_DONE, after every task), failures e-mail
    someone, and its entry point fails after recording a FAILED run (checked by running it on
    a scratch lakehouse)."""
    problems = []
    for job_key, job in (bundle.resources("jobs") or {}).items():
        base = f"resources.jobs.{job_key}"
        tasks = {t.get("task_key"): t for t in job.get("tasks") or []}
        final = tasks.get(FINALIZE)
        if final is None:
            problems.append(
                Problem(f"{base}.tasks", f"no {FINALIZE} task: nothing records the run's outcome")
            )
            continue
        if final.get("run_if") != "ALL_DONE":
            problems.append(
                Problem(f"{base}.tasks.{FINALIZE}.run_if", "must be ALL_DONE (it records failed runs too)")
            )
        upstream, todo = set(), [d.get("task_key") for d in final.get("depends_on") or []]
        while todo:
            key = todo.pop()
            if key in upstream or key not in tasks:
                continue
            upstream.add(key)
            todo += [d.get("task_key") for d in tasks[key].get("depends_on") or []]
        missed = sorted(set(tasks) - upstream - {FINALIZE})
        if missed:
            problems.append(
                Problem(f"{base}.tasks.{FINALIZE}.depends_on", f"does not wait for {', '.join(missed)}")
            )
        if not (job.get("email_notifications") or {}).get("on_failure"):
            problems.append(Problem(f"{base}.email_notifications.on_failure", "nobody hears of a FAILED run"))
        entry = (final.get("python_wheel_task") or {}).get("entry_point")
        if entry:
            problem = (run_finalize or finalize_exit_problem)(entry)
            if problem:
                problems.append(Problem(f"{base}.tasks.{FINALIZE}.python_wheel_task", problem))
    return problems


def finalize_exit_problem(entry_point: str) -> str | None:
    """Run the finalize entry point on a scratch DuckDB lakehouse after a task FAILED: it must
    record FAILED and then fail. None when it does (or when DuckDB is not installed)."""
    import importlib
    import tempfile

    try:
        import duckdb  # noqa: F401
    except ImportError:  # pragma: no cover - the local extra is not installed
        return None
    from ytlake.jobcontext import JobContext, TaskState, job_context
    from ytlake.lakehouse import DuckDBEngine

    main = importlib.import_module(f"ytlake.tasks.{entry_point}").main
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "check.duckdb"
        with DuckDBEngine(path) as engine:
            engine.bootstrap()
        ctx = JobContext(task_states=lambda: [TaskState("ingest_data_api_to_bronze", "FAILED")])
        import logging

        quiet = logging.getLogger()
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            with job_context(ctx), contextlib.redirect_stdout(io.StringIO()):
                code = main([f"--lakehouse={path}", "--engine=duckdb", "--job_run_id=validate-finalize"])
            failed = code not in (None, 0)
        except SystemExit as exit_:
            failed = exit_.code not in (None, 0)
        except Exception:
            failed = True
        finally:
            quiet.setLevel(level)
        with DuckDBEngine(path, read_only=True) as engine:
            status = engine.scalar("SELECT run_status FROM youtube_analytics.bronze.run_context_log")
    if status != "FAILED":
        return f"{entry_point} recorded {status!r} after a task FAILED"
    if not failed:
        return (
            f"{entry_point} exits 0 after recording FAILED: "
            "the job would end SUCCESS_WITH_FAILURES and no alert fires"
        )
    return None


def databricks_problems(
    bundle: Bundle, workflows: Path | None = None, readme: Path | None = None, source: Path | None = None
) -> list[Problem]:
    """What the Databricks documentation requires beyond the schema (issue 16)."""
    from ytlake import paths

    root = paths.project_dir()
    workflows = workflows if workflows is not None else root / ".github" / "workflows"
    readme = readme if readme is not None else (root / "README.md" if (root / "README.md").exists() else None)
    source = source if source is not None else Path(__file__).resolve().parent
    problems = []
    if workflows.is_dir():
        problems += cli_problems(bundle, workflows, readme)
    problems += task_values_problems(bundle, source)
    problems += run_id_problems(bundle)
    problems += pushdown_problems(bundle)
    problems += finalize_problems(bundle)
    return problems
