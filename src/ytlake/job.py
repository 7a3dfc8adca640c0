"""The job graph from the bundle, run locally.

The bundle (``databricks.yml`` + ``resources/*.yml``) is the one source of the task graph.
This module reads it, resolves ``${var.*}`` (the variables' defaults, overridden by the
caller) and Databricks' dynamic values (``{{job.run_id}}`` ...), orders the tasks by
``depends_on``, honours ``run_if``, and runs each task in-process: ``python_wheel_task``s
through their entry point (``ytlake.tasks.<entry_point>.main``), the ``pipeline_task``
through the local Lakeflow runner. As on Databricks, the job's ``parameters`` are pushed
down to every python_wheel_task as named parameters (and given to the local pipeline task).
"""

from __future__ import annotations

import glob
import importlib
import os
import re
import time
import traceback
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ytlake import paths
from ytlake.interrupts import reraise_if_stopped
from ytlake.jobcontext import JobContext, TaskState, job_context

JOB_KEY = "youtube_analytics_job"
RUN_IF_VALUES = (
    "ALL_SUCCESS",
    "ALL_DONE",
    "NONE_FAILED",
    "AT_LEAST_ONE_SUCCESS",
    "ALL_FAILED",
    "AT_LEAST_ONE_FAILED",
)
_VAR = re.compile(r"\$\{([A-Za-z0-9_.\-]+)\}")
_DYNAMIC = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")


class BundleError(ValueError):
    """The bundle cannot be read as a job graph; the message names the YAML path."""


@dataclass
class TaskSpec:
    task_key: str
    depends_on: list[str]
    run_if: str
    kind: str  # python_wheel_task | pipeline_task
    entry_point: str | None
    parameters: dict[str, Any]


@dataclass
class Bundle:
    root: Path
    config: dict[str, Any]

    @property
    def variables(self) -> dict[str, Any]:
        out = {}
        for name, spec in (self.config.get("variables") or {}).items():
            out[name] = spec.get("default") if isinstance(spec, dict) else spec
        return out

    def resources(self, kind: str) -> dict[str, Any]:
        return (self.config.get("resources") or {}).get(kind) or {}


def _merge(into: dict[str, Any], new: Mapping[str, Any], where: str) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, f"{where}.{key}")
        elif key in into and isinstance(value, dict):
            raise BundleError(f"{where}.{key}: defined twice")
        else:
            into[key] = value


def load_bundle(root: Path | None = None) -> Bundle:
    """Read ``databricks.yml`` and every file its ``include`` globs name."""
    root = Path(root or paths.bundle_root())
    main = root / "databricks.yml"
    try:
        config = yaml.safe_load(main.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise BundleError(f"cannot read {main}: {err}") from None
    for pattern in config.get("include") or []:
        for name in sorted(glob.glob(str(root / pattern))):
            try:
                extra = yaml.safe_load(Path(name).read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as err:
                raise BundleError(f"cannot parse {name}: {err}") from None
            _merge(config, extra, Path(name).name)
    return Bundle(root, config)


def resolve(value: Any, variables: Mapping[str, Any], dynamic: Mapping[str, str], where: str = "") -> Any:
    """Replace ``${var.x}``, ``${bundle.target}``, ``${resources...}`` and ``{{job.run_id}}``."""
    if isinstance(value, dict):
        return {k: resolve(v, variables, dynamic, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, variables, dynamic, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def var(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith("var."):
            name = ref[4:]
            if name not in variables:
                raise BundleError(f"{where}: ${{{ref}}} is not a declared variable")
            return str(variables[name])
        if ref in dynamic:
            return dynamic[ref]
        if ref.startswith("resources."):
            return f"local:{ref.split('.')[2]}"
        raise BundleError(f"{where}: cannot resolve ${{{ref}}} locally")

    def dyn(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref not in dynamic:
            raise BundleError(f"{where}: unknown dynamic value {{{{{ref}}}}}")
        return dynamic[ref]

    # A value that is only one ${var.x} keeps the variable's type (e.g. an int).
    whole = _VAR.fullmatch(value)
    if whole and whole.group(1).startswith("var.") and whole.group(1)[4:] in variables:
        return variables[whole.group(1)[4:]]
    return _DYNAMIC.sub(dyn, _VAR.sub(var, value))


def job_tasks(bundle: Bundle, job_key: str = JOB_KEY) -> list[TaskSpec]:
    """The job's tasks as declared (unresolved parameters), checked for a sound graph."""
    jobs = bundle.resources("jobs")
    if job_key not in jobs:
        raise BundleError(f"resources.jobs.{job_key}: not defined in the bundle")
    raw_tasks = jobs[job_key].get("tasks") or []
    specs: list[TaskSpec] = []
    seen: set[str] = set()
    for i, task in enumerate(raw_tasks):
        where = f"resources.jobs.{job_key}.tasks[{i}]"
        key = task.get("task_key")
        if not key:
            raise BundleError(f"{where}.task_key: missing")
        if key in seen:
            raise BundleError(f"{where}.task_key: {key!r} is used twice")
        seen.add(key)
        run_if = task.get("run_if", "ALL_SUCCESS")
        if run_if not in RUN_IF_VALUES:
            raise BundleError(f"{where}.run_if: {run_if!r} is not one of {', '.join(RUN_IF_VALUES)}")
        deps = [d.get("task_key") for d in task.get("depends_on") or []]
        if "python_wheel_task" in task:
            wheel = task["python_wheel_task"]
            specs.append(
                TaskSpec(
                    key,
                    deps,
                    run_if,
                    "python_wheel_task",
                    wheel.get("entry_point"),
                    dict(wheel.get("named_parameters") or {}),
                )
            )
        elif "pipeline_task" in task:
            ref = str((task["pipeline_task"] or {}).get("pipeline_id", ""))
            match = re.fullmatch(r"\$\{resources\.pipelines\.([A-Za-z0-9_\-]+)\.id\}", ref)
            pipelines = bundle.resources("pipelines")
            if not match or match.group(1) not in pipelines:
                raise BundleError(f"{where}.pipeline_task.pipeline_id: {ref!r} names no pipeline resource")
            params = pipeline_parameters(bundle, match.group(1))
            refresh = (task["pipeline_task"] or {}).get("full_refresh", False)
            # a bool, or a ${var.*} reference resolved with the task's other parameters
            params["full_refresh"] = str(refresh).lower() if isinstance(refresh, bool) else refresh
            specs.append(TaskSpec(key, deps, run_if, "pipeline_task", None, params))
        else:
            raise BundleError(f"{where}: only python_wheel_task and pipeline_task run locally")
    for i, spec in enumerate(specs):
        for dep in spec.depends_on:
            if dep not in seen:
                raise BundleError(f"resources.jobs.{job_key}.tasks[{i}].depends_on: unknown task_key {dep!r}")
    return topological_order(specs)


def job_parameters(bundle: Bundle, job_key: str = JOB_KEY) -> dict[str, Any]:
    """The job's ``parameters`` (name → default, unresolved)."""
    out = {}
    for i, param in enumerate((bundle.resources("jobs").get(job_key) or {}).get("parameters") or []):
        if not isinstance(param, dict) or "name" not in param:
            raise BundleError(f"resources.jobs.{job_key}.parameters[{i}]: needs a name and a default")
        out[param["name"]] = param.get("default", "")
    return out


def pipeline_parameters(bundle: Bundle, pipeline_key: str) -> dict[str, Any]:
    """What the local Lakeflow runner needs from a pipeline resource: catalog, schema, globs."""
    pipeline = bundle.resources("pipelines")[pipeline_key]
    includes = []
    for lib in pipeline.get("libraries") or []:
        pattern = (lib.get("glob") or {}).get("include")
        if pattern:  # paths in resources/*.yml are relative to resources/
            includes.append(str((bundle.root / "resources" / pattern).resolve()))
    return {
        "pipeline": pipeline_key,
        "catalog": pipeline.get("catalog", "${var.catalog}"),
        "schema": pipeline.get("schema", "silver"),
        "include": ",".join(includes),
    }


def topological_order(specs: list[TaskSpec]) -> list[TaskSpec]:
    """Tasks ordered so each comes after its dependencies (declaration order breaks ties)."""
    remaining = {s.task_key: s for s in specs}
    done: set[str] = set()
    ordered: list[TaskSpec] = []
    while remaining:
        ready = [s for s in specs if s.task_key in remaining and set(s.depends_on) <= done]
        if not ready:
            raise BundleError(f"depends_on forms a cycle among: {', '.join(sorted(remaining))}")
        spec = ready[0]
        ordered.append(spec)
        done.add(spec.task_key)
        del remaining[spec.task_key]
    return ordered


def should_run(run_if: str, dep_states: list[str]) -> bool:
    """Databricks' ``run_if`` over the dependencies' result states."""
    dep_states = [s for s in dep_states if s != "EXCLUDED"]  # a partial run ignores them
    if not dep_states:
        return True
    ok = [s == "SUCCESS" for s in dep_states]
    failed = [s in ("FAILED", "UPSTREAM_FAILED") for s in dep_states]
    return {
        "ALL_SUCCESS": all(ok),
        "ALL_DONE": True,
        "NONE_FAILED": not any(failed),
        "AT_LEAST_ONE_SUCCESS": any(ok),
        "ALL_FAILED": all(failed),
        "AT_LEAST_ONE_FAILED": any(failed),
    }[run_if]


def to_argv(parameters: Mapping[str, Any]) -> list[str]:
    """``named_parameters`` as a python_wheel_task receives them: ``--key=value``."""
    return [f"--{key}={value}" for key, value in parameters.items()]


TaskRunner = Callable[[TaskSpec, list[str]], None]


def default_task_runner(spec: TaskSpec, argv: list[str]) -> None:
    """Run one task in-process: its entry point's ``main(argv)``."""
    module = spec.entry_point if spec.kind == "python_wheel_task" else "run_lakeflow_pipeline"
    main = importlib.import_module(f"ytlake.tasks.{module}").main
    code = main(argv)
    if code not in (None, 0):
        raise RuntimeError(f"{spec.task_key} exited with code {code}")


@dataclass
class TaskResult:
    task_key: str
    state: str = "PENDING"
    seconds: float = 0.0
    error: str | None = None
    traceback: str | None = None
    cpu_seconds: float | None = None
    peak_rss_mib: float | None = None


@dataclass
class JobRun:
    run_id: str
    results: dict[str, TaskResult] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return all(r.state in ("SUCCESS", "EXCLUDED") for r in self.results.values())

    def states(self) -> list[TaskState]:
        return [
            TaskState(r.task_key, r.state, r.seconds, r.error, r.cpu_seconds, r.peak_rss_mib)
            for r in self.results.values()
        ]


def _cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its children that have ended."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _reset_peak_rss() -> bool:
    """Restart this process's peak-memory mark (Linux: ``clear_refs`` 5); False elsewhere."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mib() -> float | None:
    """This process's peak resident memory since the last reset (Linux ``VmHWM``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def new_local_run_id() -> str:
    return f"local-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"


def run_job(
    variables: Mapping[str, Any] | None = None,
    parameter_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    common_parameters: Mapping[str, Any] | None = None,
    context: JobContext | None = None,
    runner: TaskRunner = default_task_runner,
    on_event: Callable[[str, TaskResult], None] | None = None,
    bundle: Bundle | None = None,
    run_id: str | None = None,
    only: Collection[str] | None = None,
    job_params: Mapping[str, Any] | None = None,
) -> JobRun:
    """Run the bundle's job locally, in-process, in dependency order.

    ``variables`` override the bundle variables' defaults; ``job_params`` override the job
    parameters' defaults (``bundle run --params``), which every task receives as named
    parameters (Databricks' job parameter pushdown); ``common_parameters`` are added to (or
    replace) every python task's parameters when the task declares them or they are
    local-only (``lakehouse``); ``parameter_overrides[task_key]`` replace single parameters.
    ``only`` runs just those tasks, as ``databricks bundle run --only`` does: the others end
    ``EXCLUDED`` and do not hold back the tasks that depend on them.
    """
    bundle = bundle or load_bundle()
    values = {**bundle.variables, **(variables or {})}
    run_id = run_id or new_local_run_id()
    dynamic = {
        "job.id": "local",
        "job.run_id": run_id,
        "bundle.target": "local",
        "bundle.name": str((bundle.config.get("bundle") or {}).get("name", "")),
    }
    declared = job_parameters(bundle)
    unknown = set(job_params or {}) - set(declared)
    if unknown:
        raise BundleError(
            f"unknown job parameter(s) {', '.join(sorted(unknown))}; the job has {', '.join(declared)}"
        )
    pushed = {
        name: resolve(default, values, dynamic, f"resources.jobs.{JOB_KEY}.parameters.{name}")
        for name, default in declared.items()
    }
    pushed.update(job_params or {})
    dynamic.update({f"job.parameters.{k}": str(v) for k, v in pushed.items()})
    specs = job_tasks(bundle)
    run = JobRun(run_id, {s.task_key: TaskResult(s.task_key) for s in specs})
    ctx = context or JobContext()
    ctx.task_states = run.states
    local_only = {"lakehouse"}
    for spec in specs:
        result = run.results[spec.task_key]
        if only is not None and spec.task_key not in only:
            result.state = "EXCLUDED"
            if on_event:
                on_event("skipped", result)
            continue
        deps = [run.results[d].state for d in spec.depends_on]
        if not should_run(spec.run_if, deps):
            result.state = (
                "UPSTREAM_FAILED" if any(s in ("FAILED", "UPSTREAM_FAILED") for s in deps) else "SKIPPED"
            )
            if on_event:
                on_event("skipped", result)
            continue
        task_dynamic = {**dynamic, "task.run_id": f"{run_id}-{spec.task_key}", "task.name": spec.task_key}
        params = resolve(
            spec.parameters,
            values,
            task_dynamic,
            f"resources.jobs.{JOB_KEY}.tasks.{spec.task_key}.named_parameters",
        )
        # job parameter pushdown (they win over a task parameter of the same name, as on Databricks);
        # the local pipeline task stands in for Lakeflow and gets them with the run id too
        params.update(pushed)
        if spec.kind == "pipeline_task":
            params["job_run_id"] = run_id
        for key, value in (common_parameters or {}).items():
            if key in params or key in local_only or (spec.kind == "pipeline_task" and key == "engine"):
                params[key] = value
        params.update((parameter_overrides or {}).get(spec.task_key, {}))
        argv = to_argv(params)
        result.state = "RUNNING"
        if on_event:
            on_event("started", result)
        started, cpu_started, peak_reset = time.monotonic(), _cpu_seconds(), _reset_peak_rss()
        try:
            with job_context(ctx):
                runner(spec, argv)
        except SystemExit as exit_:
            if exit_.code not in (None, 0):
                result.state, result.error = "FAILED", f"exited with code {exit_.code}"
            else:
                result.state = "SUCCESS"
        except Exception as err:
            reraise_if_stopped(err)  # a SIGINT/SIGTERM that reached us wrapped stops the run
            result.state = "FAILED"
            result.error = f"{type(err).__name__}: {err}".splitlines()[0]
            result.traceback = traceback.format_exc()
        else:
            result.state = "SUCCESS"
        finally:
            result.seconds = time.monotonic() - started
            result.cpu_seconds = round(_cpu_seconds() - cpu_started, 3)
            result.peak_rss_mib = _peak_rss_mib() if peak_reset else None
        if on_event:
            on_event("finished", result)
    return run
