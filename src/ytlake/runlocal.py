"""``ytlake run`` as a library function: validate the options, pick the source, start the
emulator for demo runs, run the bundle's job graph locally, and report."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from ytlake import channels as channel_store
from ytlake.channels import DEMO_CREDENTIALS, ChannelAccess
from ytlake.identity import IdentityError, check_source, source_of
from ytlake.interrupts import Interrupted, shielded
from ytlake.job import (
    JobRun,
    TaskResult,
    TaskRunner,
    default_task_runner,
    new_local_run_id,
    run_job,
)
from ytlake.jobcontext import JobContext
from ytlake.lakehouse import ENGINES, location, open_engine
from ytlake.lakehouse.bronze import RAW_TABLES
from ytlake.lakehouse.duckdb_engine import check_lakehouse_path
from ytlake.lakehouse.files import LakehouseFileError, LakehouseInUseError, check_lakehouse_file, lock_path
from ytlake.lakehouse.identifiers import InvalidIdentifierError, validate_identifier
from ytlake.settings import (
    Secrets,
    SettingsError,
    default_lakehouse,
    pacific_today,
    redact_url,
    require_youtube_credentials,
)
from ytlake.tasks.finalize_run_log import INGEST_TASKS
from ytlake.tasks.finalize_run_log import TASK_KEY as FINALIZE_TASK
from ytlake.youtube.endpoints import ApiRoot, InvalidApiRootError
from ytlake.youtube.reporting_api import ANALYTICS_MODES

log = logging.getLogger(__name__)

SOURCES = ("auto", "demo", "google")


def demo_accesses(channels: int = 1) -> list[ChannelAccess]:
    """The demo world's channels, each with its owner's token (channel k > 1:
    ``ytlake-demo-refresh-token-k``, as the emulator issues them)."""
    return [
        ChannelAccess(
            replace(
                DEMO_CREDENTIALS,
                refresh_token=DEMO_CREDENTIALS.refresh_token + ("" if k == 1 else f"-{k}"),
            ),
            f"demo token {k}",
        )
        for k in range(1, channels + 1)
    ]


def stored_channels() -> int:
    """How many channels ``ytlake channels add`` stored (a malformed file is bad input)."""
    return len(channel_store.load())


@dataclass
class RunOptions:
    """Every ``ytlake run`` flag (see ARCHITECTURE "Contracts")."""

    source: str = "auto"
    api_root: str | None = None
    lakehouse: Path = field(default_factory=default_lakehouse)
    engine: str = "duckdb"
    catalog: str = "youtube_analytics"
    start_date: date | None = None
    end_date: date | None = None
    today: date | None = None
    lookback_days: int = 7
    latency_days: int = 2
    chunk_days: int | None = None
    concurrency: int = 8
    requests_per_second: float | None = None
    analytics_mode: str = "hybrid"
    demo_seed: int = 42
    demo_videos: int = 60
    demo_history_days: int = 120
    demo_monetary: bool = False  # the demo token may read revenue (as after `ytlake auth --monetary`)
    demo_channels: int = 1  # channels in the demo world, each with its own owner's token

    def validate(self) -> None:
        """Raise :class:`SettingsError` naming the first bad option and the fix."""
        if self.source not in SOURCES:
            raise SettingsError(f"--source {self.source!r} is unknown; use one of {', '.join(SOURCES)}")
        if self.engine not in ENGINES:
            raise SettingsError(f"--engine {self.engine!r} is unknown; use one of {', '.join(ENGINES)}")
        try:
            validate_identifier(self.catalog, "catalog")
        except InvalidIdentifierError as err:
            raise SettingsError(f"--catalog: {err}") from None
        for name in ("lookback_days", "latency_days", "demo_seed"):
            if getattr(self, name) < 0:
                raise SettingsError(f"--{name.replace('_', '-')} must be >= 0 (got {getattr(self, name)})")
        for name in ("concurrency", "demo_history_days", "demo_channels"):
            if getattr(self, name) < 1:
                raise SettingsError(f"--{name.replace('_', '-')} must be >= 1 (got {getattr(self, name)})")
        if self.demo_videos < 0:
            raise SettingsError(f"--demo-videos must be >= 0 (got {self.demo_videos})")
        if self.chunk_days is not None and self.chunk_days < 0:
            raise SettingsError(f"--chunk-days must be >= 0 (got {self.chunk_days}; 0: no split)")
        if self.analytics_mode not in ANALYTICS_MODES:
            raise SettingsError(
                f"--analytics-mode {self.analytics_mode!r} is unknown; "
                f"use one of {', '.join(ANALYTICS_MODES)}"
            )
        if self.requests_per_second is not None and self.requests_per_second <= 0:
            raise SettingsError(f"--requests-per-second must be > 0 (got {self.requests_per_second})")
        today = self.today or pacific_today()
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise SettingsError(
                f"--start-date {self.start_date} is after --end-date {self.end_date}; swap them"
            )
        for flag, value in (("--start-date", self.start_date), ("--end-date", self.end_date)):
            if value and value > today:
                raise SettingsError(
                    f"{flag} {value} is in the future (today is {today}, Pacific); use a past day"
                )
        end = self.end_date or today - timedelta(days=self.latency_days)
        if self.start_date and self.start_date > end:
            raise SettingsError(
                f"--start-date {self.start_date} is after the window's end {end} (today {today} minus "
                f"--latency-days {self.latency_days}); give an earlier --start-date or lower --latency-days"
            )
        if self.today and self.source == "google" and self.today > pacific_today() + timedelta(days=1):
            raise SettingsError(f"--today {self.today} is in the future; Google has no data for it")
        if self.api_root:
            try:
                ApiRoot.under(self.api_root)
            except InvalidApiRootError as err:
                raise SettingsError(str(err)) from None
        try:
            check_lakehouse_path(Path(self.lakehouse))
        except Exception as err:  # LakehouseError: one line, exit 2
            raise SettingsError(str(err)) from None
        if self.engine == "duckdb":
            try:
                check_lakehouse_file(Path(self.lakehouse))  # nothing is written to a damaged file
            except LakehouseInUseError:
                pass  # not bad input: run_lock names another run; the engine waits for readers
            except LakehouseFileError as err:
                if err.kind in ("not_duckdb", "directory"):
                    raise SettingsError(str(err)) from None  # exit 2
                raise  # truncated / corrupt / unreadable: exit 3, said which
        if self.resolved_source() == "google" and not self.api_root:
            require_youtube_credentials(Secrets(), "or run with --source demo", stored_channels())

    def resolved_source(self, secrets: Secrets | None = None) -> str:
        """``demo`` or ``google``; ``auto`` is google when YT_REFRESH_TOKEN is set or
        ``ytlake channels add`` stored a channel."""
        if self.source != "auto":
            return self.source
        secrets = secrets or Secrets()
        return "google" if secrets.yt_refresh_token or stored_channels() else "demo"

    def for_log(self) -> dict[str, Any]:
        """The options as stored in the run log: never credentials (a URL's are redacted)."""
        out = {k: (str(v) if isinstance(v, Path | date) else v) for k, v in asdict(self).items()}
        out["api_root"] = redact_url(self.api_root)
        return out

    def lakehouse_source(self) -> str:
        """The source this run pulls from, as the lakehouse's identity records it."""
        return source_of(
            self.resolved_source(),
            self.api_root,
            {
                "seed": self.demo_seed,
                "videos": self.demo_videos,
                "history_days": self.demo_history_days,
                **({"channels": self.demo_channels} if self.demo_channels > 1 else {}),
            },
        )


@dataclass
class LocalRunResult:
    run: JobRun
    source: str
    api_root: str | None
    lakehouse: Path
    rows: dict[str, int]
    log_path: Path | None = None
    summary: dict[str, Any] = field(default_factory=dict)  # run_context_log.summary
    channels: list[dict[str, Any]] = field(default_factory=list)  # channel_facts after the run
    engine: str = "duckdb"

    @property
    def location(self) -> Path:
        """Where the tables are: the DuckDB file, or the Spark warehouse beside it."""
        return location(self.engine, self.lakehouse)

    @property
    def succeeded(self) -> bool:
        return self.run.succeeded

    @property
    def run_status(self) -> str | None:
        return self.rows.get("__run_status__")  # type: ignore[return-value]


def demo_world_start(options: RunOptions, today: date) -> date:
    """The demo world's first day: pinned by the first demo run of the same world in this
    lakehouse, so that daily runs see one channel growing older (restatements included)."""
    default = today - timedelta(days=options.demo_history_days)
    if options.engine != "duckdb" or not Path(options.lakehouse).is_file():
        return default
    try:
        from ytlake.lakehouse import DuckDBEngine

        with DuckDBEngine(options.lakehouse, options.catalog) as engine:
            if not engine.table_exists("bronze.run_context_log"):
                return default
            rows = engine.query_native(
                "SELECT params FROM bronze.run_context_log ORDER BY started_ts_utc"
            ).to_pylist()
    except Exception:
        return default
    for row in rows:
        params = json.loads(row["params"] or "{}")
        keys = ("demo_seed", "demo_videos", "demo_history_days")
        same = all(params.get(k) == getattr(options, k) for k in keys)
        if (
            same
            and params.get("demo_channels", 1) == options.demo_channels
            and params.get("demo_world_start")
        ):
            pinned = date.fromisoformat(params["demo_world_start"])
            if pinned <= today:
                return pinned
    return default


@contextlib.contextmanager
def _demo_emulator(options: RunOptions, today: date, start: date) -> Iterator[str]:
    from ytlake.emulator.server import running_emulator  # the emulator only for demo runs
    from ytlake.emulator.service import EmulatorConfig
    from ytlake.emulator.world import WorldConfig

    world = WorldConfig(
        seed=options.demo_seed,
        channels=options.demo_channels,
        videos=options.demo_videos,
        history_days=options.demo_history_days,
        today=today,
        start=start,
        latency_days=options.latency_days,
        final_after_days=max(options.latency_days, 4),
    )
    with running_emulator(world, EmulatorConfig(demo_monetary=options.demo_monetary)) as emu:
        yield emu.base_url


@contextlib.contextmanager
def channel_lister(options: RunOptions) -> Iterator[Callable[[], Any]]:
    """A function that lists each of the run's channels and its uploads
    (``ytlake.plan.list_uploads``), for planning a first run: against the demo emulator,
    ``--api-root`` or Google."""
    from ytlake.plan import list_uploads
    from ytlake.youtube.http import GoogleHttp
    from ytlake.youtube.oauth import OAuthSession

    today = options.today or pacific_today()
    secrets = Secrets()
    if options.resolved_source(secrets) == "demo" and not options.api_root:
        cm: contextlib.AbstractContextManager[str | None] = _demo_emulator(
            options, today, demo_world_start(options, today)
        )
        accesses = demo_accesses(options.demo_channels)
    else:
        cm = contextlib.nullcontext(options.api_root)
        if options.api_root and not secrets.yt_refresh_token and not stored_channels():
            accesses = demo_accesses(options.demo_channels)
        else:
            client = (
                (secrets.yt_client_id or "", secrets.yt_client_secret.get_secret_value())
                if secrets.yt_client_id and secrets.yt_client_secret
                else (DEMO_CREDENTIALS.client_id, DEMO_CREDENTIALS.client_secret)
            )
            token = secrets.yt_refresh_token.get_secret_value() if secrets.yt_refresh_token else None
            accesses = channel_store.local_accesses(*client, token)
    with cm as base_url:
        root = ApiRoot.under(base_url) if base_url else ApiRoot()

        def lister() -> Any:
            out = []
            for access in accesses:
                oauth = OAuthSession(access.credentials, root.token_uri)
                http = GoogleHttp(oauth)
                try:
                    out.append(list_uploads(http, root))
                finally:
                    http.close()
                    oauth.close()
            return out

        yield lister


def variables_for(options: RunOptions) -> dict[str, Any]:
    """The bundle variables ``ytlake run``'s flags override."""
    out: dict[str, Any] = {
        "catalog": options.catalog,
        "analytics_start_date": options.start_date.isoformat() if options.start_date else "",
        "analytics_end_date": options.end_date.isoformat() if options.end_date else "",
        "lookback_days": options.lookback_days,
        "latency_days": options.latency_days,
        "concurrency": options.concurrency,
        "requests_per_second": options.requests_per_second or 0,
        "analytics_mode": options.analytics_mode,
    }
    if options.chunk_days is not None:
        out["chunk_days"] = options.chunk_days
    return out


def table_rows(lakehouse: Path, engine: str, catalog: str, run_id: str) -> dict[str, int]:
    """Rows per table after a run: Bronze rows of this run, Silver and Gold totals."""
    rows: dict[str, int] = {}
    with open_engine(engine, lakehouse, catalog) as eng:
        wanted: dict[str, str | None] = {
            f"bronze.{t}": f"run_id = '{run_id}'" for t in RAW_TABLES if eng.table_exists(f"bronze.{t}")
        }
        if engine == "duckdb":
            listed = [
                f"{r['table_schema']}.{r['table_name']}"
                for r in eng.query_native(  # type: ignore[attr-defined]
                    "SELECT table_schema, table_name FROM information_schema.tables "
                    "WHERE table_schema IN ('silver', 'gold') ORDER BY 1, 2"
                ).to_pylist()
            ]
        else:
            catalog_api = eng.spark.catalog  # type: ignore[attr-defined]
            listed = [
                f"{schema}.{t.name}"
                for schema in ("silver", "gold")
                if catalog_api.databaseExists(schema)
                for t in catalog_api.listTables(schema)
                if not t.isTemporary
            ]
        rows.update(eng.counts({**wanted, **dict.fromkeys(listed)}))
        status = eng.query(
            f"SELECT run_status FROM {eng.qualify('bronze.run_context_log')} WHERE run_id = '{run_id}'"
        )
        if status.num_rows:
            rows["__run_status__"] = status.column(0)[0].as_py()  # type: ignore[assignment]
    return rows


def channel_facts(lakehouse: Path, engine: str, catalog: str) -> list[dict[str, Any]]:
    """Each channel in Gold in a creator's terms: its name, videos, the days Gold holds and the
    views of its last 28 days (empty when Gold was not built)."""
    with open_engine(engine, lakehouse, catalog) as eng:
        needed = ("gold.gold_channels", "gold.gold_channel_daily_summary", "gold.gold_video_daily_summary")
        if not all(eng.table_exists(t) for t in needed):
            return []
        channels, days = eng.qualify("gold.gold_channels"), eng.qualify("gold.gold_channel_daily_summary")
        videos = eng.qualify("gold.gold_video_daily_summary")
        names = {
            r["channel_id"]: r["channel_title"]
            for r in eng.query(f"SELECT channel_id, channel_title FROM {channels}").to_pylist()
        }
        counts = {
            r["channel_id"]: r["n"]
            for r in eng.query(
                f"SELECT channel_id, count(DISTINCT video_id) AS n FROM {videos} GROUP BY channel_id"
            ).to_pylist()
        }
        daily = eng.query(f"SELECT channel_id, date, views FROM {days}").to_pylist()
    facts = []
    for channel_id, title in sorted(names.items(), key=lambda kv: (kv[1] or "", kv[0])):
        mine = [d for d in daily if d["channel_id"] == channel_id]
        last = max((d["date"] for d in mine), default=None)
        facts.append(
            {
                "channel_id": channel_id,
                "channel_title": title,
                "videos": counts.get(channel_id, 0),
                "first_day": min((d["date"] for d in mine), default=None),
                "last_day": last,
                "views_28": sum(
                    int(d["views"] or 0) for d in mine if last and d["date"] > last - timedelta(days=28)
                ),
            }
        )
    return facts


def run_summary(lakehouse: Path, engine: str, catalog: str, run_id: str) -> dict[str, Any]:
    """The run's ``summary`` from ``bronze.run_context_log`` (empty when not recorded)."""
    with open_engine(engine, lakehouse, catalog) as eng:
        got = eng.query(
            f"SELECT summary FROM {eng.qualify('bronze.run_context_log')} WHERE run_id = '{run_id}'"
        ).to_pylist()
    return json.loads(got[0]["summary"] or "{}") if got else {}


@contextlib.contextmanager
def run_lock(lakehouse: Path) -> Iterator[None]:
    """One ``ytlake run`` per lakehouse at a time: an exclusive lock on ``<lakehouse>.lock``
    for the whole run (DuckDB's own lock is per task). Readers (the dashboard) never take it."""
    import fcntl
    import os

    from ytlake.lakehouse import LakehouseError

    path = lock_path(Path(lakehouse))  # keyed on the real file: a symlink takes the same lock
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise LakehouseError(
                f"another ytlake run ({holder}) is writing to {lakehouse}; wait for it to finish "
                "(`ytlake runs` shows it when done) or use another --lakehouse"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"PID {os.getpid()}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def run_local(
    options: RunOptions,
    *,
    on_event: Callable[[str, TaskResult], None] | None = None,
    runner: TaskRunner = default_task_runner,
    log_dir: Path | None = None,
    only: Collection[str] | None = None,
    repair: str | None = None,
    echo: TextIO | None = None,
) -> LocalRunResult:
    """Run the whole job locally. Raises :class:`SettingsError` for bad options, and
    :class:`LakehouseError` when another run holds the lakehouse. ``only``: just those tasks
    (the others end EXCLUDED; ``finalize_run_log`` always runs, closing the run), as
    ``databricks bundle run --only``: a new run, opened by its first task. ``repair``: run
    them in that earlier run instead (same run id), as a Databricks repair run: the tasks
    reopen its row and ``finalize_run_log`` closes it again. ``echo``: where the tasks' log
    lines go too, besides the run's log file (`ytlake run -v`: stderr)."""
    options.validate()
    with run_lock(Path(options.lakehouse)):
        _check_identity(options)
        return _run_local(
            options, on_event=on_event, runner=runner, log_dir=log_dir, only=only, repair=repair, echo=echo
        )


class RunAborted(KeyboardInterrupt):
    """The run was interrupted (SIGINT/SIGTERM) and recorded ABORTED; what landed stays."""

    def __init__(self, run_id: str, signal_name: str, log_path: Path | None, recorded: bool = True) -> None:
        self.run_id, self.signal_name, self.log_path = run_id, signal_name, log_path
        super().__init__(
            f"interrupted ({signal_name}): run {run_id} ABORTED; what landed stays in Bronze and the next "
            "run asks for the rest"
            if recorded
            else f"interrupted ({signal_name}) while run {run_id} was starting; nothing of it landed "
            "(the next run closes it ABORTED if it was recorded)"
        )


def _check_identity(options: RunOptions) -> None:
    """One identity per lakehouse: refuse another source or demo world before anything is written."""
    path = Path(options.lakehouse)
    if options.engine != "duckdb" or not path.is_file():
        return
    from ytlake.lakehouse import DuckDBEngine

    with DuckDBEngine(path, options.catalog, read_only=True) as engine:
        try:
            check_source(engine, options.lakehouse_source(), f"lakehouse {path}")
        except IdentityError as err:
            raise SettingsError(str(err)) from None


def _close_aborted(options: RunOptions, run_id: str, signal_name: str, ctx: JobContext) -> bool:
    """Record the interrupted run as ABORTED (signals held back meanwhile); False when the run
    had not been recorded yet (interrupted before init_run_context wrote it)."""
    with shielded():
        try:
            from ytlake.tasks.run_log import mark_aborted

            with open_engine(options.engine, options.lakehouse, options.catalog) as engine:
                return bool(
                    mark_aborted(engine, f"run_id = '{run_id}'", f"interrupted ({signal_name})", ctx.states())
                )
        except Exception as err:  # the next run marks it ABORTED anyway
            log.warning("could not record run %s as ABORTED: %s", run_id, err)
            return True


def _run_local(
    options: RunOptions,
    *,
    on_event: Callable[[str, TaskResult], None] | None = None,
    runner: TaskRunner = default_task_runner,
    log_dir: Path | None = None,
    only: Collection[str] | None = None,
    repair: str | None = None,
    echo: TextIO | None = None,
) -> LocalRunResult:
    source = options.resolved_source()
    today = options.today or pacific_today()
    run_id = repair or new_local_run_id()
    channels = None
    world_start = None
    asks_google = only is None or bool(set(only) & set(INGEST_TASKS))
    if source == "demo" and not options.api_root and asks_google:
        world_start = demo_world_start(options, today)
        emulator_cm: contextlib.AbstractContextManager[str | None] = _demo_emulator(
            options, today, world_start
        )
        channels = demo_accesses(options.demo_channels)
    else:
        emulator_cm = contextlib.nullcontext(options.api_root)
        if options.api_root and not Secrets().yt_refresh_token and not stored_channels():
            channels = demo_accesses(options.demo_channels)
    lakehouse = Path(options.lakehouse)
    log_dir = log_dir or lakehouse.parent / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{run_id}.log"
    with emulator_cm as base_url, log_path.open("a" if repair else "w", encoding="utf-8") as log_file:
        source_system = "emulator" if base_url or source == "demo" else "google"
        common = {"engine": options.engine, "lakehouse": str(lakehouse), "catalog": options.catalog}
        google = {"api_root": base_url} if base_url else {}
        overrides = {
            "ingest_data_api_to_bronze": dict(google),
            "ingest_analytics_api_to_bronze": dict(google),
            "init_run_context": {
                "source_system": source_system,
                "params_json": json.dumps(
                    {
                        **options.for_log(),
                        "source": source,
                        "api_root": redact_url(base_url),
                        "lakehouse_source": options.lakehouse_source(),
                        "demo_world_start": world_start.isoformat() if world_start else None,
                    },
                    sort_keys=True,
                ),
            },
            # dbt builds Gold where Silver is: DuckDB (`local`) or the local SparkSession (`spark`)
            "dbt_run_gold": {"target": "spark" if options.engine == "spark" else "local"},
            "dbt_test": {"target": "spark" if options.engine == "spark" else "local"},
        }
        ctx = JobContext(channels=channels)

        targets = [log_file] if echo is None else [log_file, echo]

        def logged_runner(spec, argv):  # task output goes to the run's log file (and `echo`)
            handlers = [logging.StreamHandler(target) for target in targets]
            root = logging.getLogger()
            for handler in handlers:
                handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
                root.addHandler(handler)
            previous_level = root.level
            root.setLevel(logging.INFO)
            try:
                with contextlib.redirect_stdout(_Tee(*targets)):
                    shown = " ".join(  # an --api-root's credentials, if any, never shown
                        f"--api_root={redact_url(a.split('=', 1)[1])}" if a.startswith("--api_root=") else a
                        for a in argv
                    )
                    for target in targets:
                        target.write(f"--- {spec.task_key} {shown}\n")
                        target.flush()  # the task's start is visible at once (tail -f, watchdogs)
                    runner(spec, argv)
            finally:
                for handler in handlers:
                    root.removeHandler(handler)
                root.setLevel(previous_level)
                log_file.flush()

        try:
            run = run_job(
                variables_for(options),
                parameter_overrides=overrides,
                common_parameters=common,
                context=ctx,
                runner=logged_runner,
                on_event=on_event,
                run_id=run_id,
                # a partial run is closed like a whole one (its first task opens it)
                only=None if only is None else {*only, FINALIZE_TASK},
                job_params={"today": today.isoformat()},
            )
        except KeyboardInterrupt as err:
            signal_name = err.signal_name if isinstance(err, Interrupted) else "SIGINT"
            log_file.write(f"--- interrupted ({signal_name})\n")
            recorded = _close_aborted(options, run_id, signal_name, ctx)
            raise RunAborted(run_id, signal_name, log_path, recorded) from None
        for result in run.results.values():
            if result.traceback:
                log_file.write(f"--- {result.task_key} failed\n{result.traceback}\n")
    try:
        rows = table_rows(lakehouse, options.engine, options.catalog, run_id)
        summary = run_summary(lakehouse, options.engine, options.catalog, run_id)
    except Exception as err:
        log.warning("could not count rows: %s", err)
        rows, summary = {}, {}
    try:  # the creator's summary is a courtesy: a Gold it cannot read costs it alone
        facts = channel_facts(lakehouse, options.engine, options.catalog)
    except Exception as err:
        log.warning("could not read the channels' figures from Gold: %s", err)
        facts = []
    return LocalRunResult(run, source, base_url, lakehouse, rows, log_path, summary, facts, options.engine)


class _Tee(io.TextIOBase):
    """stdout of a task: into the run's log file (and the terminal with `-v`)."""

    def __init__(self, *targets: TextIO) -> None:
        self.targets = targets

    def write(self, text: str) -> int:  # type: ignore[override]
        for target in self.targets:
            target.write(text)
        return len(text)

    def flush(self) -> None:
        for target in self.targets:
            target.flush()


#: The day of the screenshots' demo lakehouse (`ytlake docs`): a pinned world and days, so
#: the pictures change only when the code does.
DOCS_TODAY = date(2026, 6, 30)


def screenshot_lakehouse(lakehouse: Path, channels: int = 1) -> None:
    """Two demo runs three days apart (the first creates the Reporting API's jobs, the second
    lands their files: audience, playback locations), the token allowed to read revenue; with
    ``channels`` > 1, one run of that many channels of fewer videos each (the channel picker's
    picture)."""
    from ytlake.emulator.server import running_emulator
    from ytlake.emulator.service import EmulatorConfig
    from ytlake.emulator.world import PACIFIC, WorldConfig

    state = lakehouse.parent / f"emulator_state_{channels}.json"
    videos = 24 if channels == 1 else 6
    days = (DOCS_TODAY - timedelta(days=3), DOCS_TODAY) if channels == 1 else (DOCS_TODAY,)
    for today in days:
        noon = datetime(today.year, today.month, today.day, 12, tzinfo=PACIFIC).timestamp()
        world = WorldConfig(
            videos=videos,
            channels=channels,
            history_days=90,
            today=today,
            start=DOCS_TODAY - timedelta(days=90),
        )
        config = EmulatorConfig(state_path=state, demo_monetary=True)
        with running_emulator(world, config, clock=lambda noon=noon: noon) as emu:
            run_local(
                RunOptions(
                    source="demo",
                    api_root=emu.base_url,
                    lakehouse=lakehouse,
                    today=today,
                    demo_videos=videos,
                    demo_channels=channels,
                )
            )


def failed_without_gold(lakehouse: Path, copy: Path, keep_gold: bool = False) -> Path:
    """A copy of ``lakehouse`` whose latest run FAILED in ``ingest_analytics_api_to_bronze``:
    the dashboard's failed-run banner (``keep_gold``: a day after the last run, the earlier
    runs' Gold stays) and its no-Gold state (Gold gone, and the failed run the only one
    recorded, at 14:00-14:02 UTC the day after the data's last day: the same copy, the same
    picture). Its picture and its tests."""
    import shutil

    import duckdb

    shutil.copy(lakehouse, copy)
    started = (
        "max(started_ts_utc) + INTERVAL 1 DAY"
        if keep_gold
        else "CAST(max(snapshot_date) + 1 AS TIMESTAMP) + INTERVAL 14 HOUR"
    )
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "INSERT INTO bronze.run_context_log (run_id, snapshot_date, source_system, params, run_status, "
            "started_ts_utc, finished_ts_utc, summary) "
            f"SELECT 'local-failed-run', max(snapshot_date) + 1, 'emulator', '{{}}', 'FAILED', {started}, "
            f"{started} + INTERVAL 2 MINUTE, "
            '\'{"failed_tasks": ["ingest_analytics_api_to_bronze"]}\' FROM bronze.run_context_log'
        )
        if not keep_gold:
            con.execute("DROP SCHEMA gold CASCADE")
            con.execute("DELETE FROM bronze.run_context_log WHERE run_id <> 'local-failed-run'")
    return copy
