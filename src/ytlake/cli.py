"""The ``ytlake`` command: a thin layer over the library.

Bad input gets one line on stderr naming the problem and the fix, and exit code 2.
"""

from __future__ import annotations

import errno
import logging
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ytlake.emulator.reporting import catalog as reporting_catalog
from ytlake.interrupts import handling_signals
from ytlake.lakehouse.duckdb_engine import LakehouseError
from ytlake.settings import SettingsError, default_lakehouse, parse_date

DEFAULT_LAKEHOUSE_PATH = default_lakehouse()

#: Every command's help: ``-h`` as well as ``--help``, wrapped at the terminal's width (100 at most).
HELP_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

app = typer.Typer(
    name="ytlake",
    help=(
        "YouTube Analytics Lakehouse: YouTube APIs -> Bronze -> Silver (Lakeflow SQL) -> "
        "Gold (dbt), locally on DuckDB or on Databricks.\n\n"
        "Example: ytlake run   (the whole job on the built-in emulator, no account needed)"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: wraps at the terminal's width, flags as typed
    context_settings=HELP_SETTINGS,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            console.print(f"ytlake {version('ytlake')}", highlight=False)
        except PackageNotFoundError:
            console.print("ytlake (not installed: run it with `uv run`)", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    show_version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """The options before any command (the app's help is the Typer's own)."""


emulator_app = typer.Typer(
    help="The offline Google (OAuth, Data API v3, Analytics API v2).\n\n"
    "Example: ytlake emulator serve --port 8765",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=HELP_SETTINGS,
)
app.add_typer(emulator_app, name="emulator")
channels_app = typer.Typer(
    help="The channels a lakehouse pulls, each with its owner's refresh token.\n\n"
    "Example: ytlake channels add   (opens the consent page for the channel's owner)",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=HELP_SETTINGS,
)
app.add_typer(channels_app, name="channels")

console = Console(stderr=False)
err_console = Console(stderr=True)


class Source(StrEnum):
    auto = "auto"
    demo = "demo"
    google = "google"


class EngineName(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


def _date(flag: str):
    def convert(value: str | None) -> date | None:
        if value is None:
            return None
        try:
            return parse_date(value, flag)
        except SettingsError as err:
            raise typer.BadParameter(str(err)) from None

    return convert


@app.command(epilog="Example: ytlake run --demo-videos 20 --lakehouse /tmp/yt.duckdb")
def run(
    source: Annotated[
        Source, typer.Option(help="auto: google when YT_REFRESH_TOKEN is set, else demo")
    ] = Source.auto,
    api_root: Annotated[
        str | None,
        typer.Option(
            metavar="URL", help="send every Google call to this base URL (e.g. a separately started emulator)"
        ),
    ] = None,
    lakehouse: Annotated[Path, typer.Option(help="DuckDB lakehouse file")] = DEFAULT_LAKEHOUSE_PATH,
    engine: Annotated[
        EngineName, typer.Option(help="duckdb (default) or a local SparkSession")
    ] = EngineName.duckdb,
    catalog: Annotated[str, typer.Option(help="catalog name ([A-Za-z0-9_])")] = "youtube_analytics",
    start_date: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM-DD", help="first Pacific day to pull (YYYY-MM-DD); default 90 days back"
        ),
    ] = None,
    end_date: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD", help="last Pacific day to pull; default today - latency"),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM-DD", help="the pipeline's today, Pacific time (YYYY-MM-DD); default now"
        ),
    ] = None,
    lookback_days: Annotated[
        int, typer.Option(help="days before the cursor pulled again (restatements)")
    ] = 7,
    latency_days: Annotated[int, typer.Option(help="days Google's Analytics data lags")] = 2,
    chunk_days: Annotated[
        int | None,
        typer.Option(
            help="split range requests into this many days (default 0: one request per video for the "
            "whole window; Google caps no row count for one video's query)"
        ),
    ] = None,
    concurrency: Annotated[int, typer.Option(help="concurrent Analytics requests")] = 8,
    requests_per_second: Annotated[float | None, typer.Option(help="client-side request limit")] = None,
    analytics_mode: Annotated[
        str,
        typer.Option(
            help="query: v2 reports.query; bulk: the Reporting API's daily files (landed in "
            "bronze.analytics_bulk_reports_raw); hybrid (default): the files where one covers the day, "
            "v2 for the rest"
        ),
    ] = "hybrid",
    demo_seed: Annotated[int, typer.Option(help="demo world seed")] = 42,
    demo_videos: Annotated[int, typer.Option(help="videos in the demo channel")] = 60,
    demo_channels: Annotated[
        int, typer.Option(help="channels in the demo world, each with its own owner's token")
    ] = 1,
    demo_history_days: Annotated[int, typer.Option(help="days of demo channel history")] = 120,
    demo_monetary: Annotated[
        bool,
        typer.Option(
            show_default=False, help="the demo token may read revenue (as after `ytlake auth --monetary`)"
        ),
    ] = False,
    quota_budget: Annotated[
        int | None,
        typer.Option(
            help="refuse to start when the planned requests (Data API units + Analytics) exceed this"
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", show_default=False, help="print the tasks' log lines")
    ] = False,
) -> None:
    """Run the whole job locally: the bundle's eight tasks, in order.

    With no arguments and no credentials it runs on the built-in emulator (demo mode)
    into .lakehouse/youtube_analytics.duckdb.
    """
    from ytlake.runlocal import RunAborted, RunOptions, run_local

    options = RunOptions(
        source=source.value,
        api_root=api_root,
        lakehouse=lakehouse,
        engine=engine.value,
        catalog=catalog,
        start_date=_date("--start-date")(start_date),
        end_date=_date("--end-date")(end_date),
        today=_date("--today")(today),
        lookback_days=lookback_days,
        latency_days=latency_days,
        chunk_days=chunk_days,
        concurrency=concurrency,
        requests_per_second=requests_per_second,
        analytics_mode=analytics_mode,
        demo_seed=demo_seed,
        demo_videos=demo_videos,
        demo_channels=demo_channels,
        demo_history_days=demo_history_days,
        demo_monetary=demo_monetary,
    )
    options.validate()
    if quota_budget is not None:
        _check_budget(options, quota_budget)
    progress = _Progress(verbose)
    try:
        with handling_signals():
            result = run_local(options, on_event=progress.event, echo=sys.stderr if verbose else None)
    except KeyboardInterrupt as err:  # click would turn it into a silent exit 130
        progress.close()
        _error(
            str(err)
            if isinstance(err, RunAborted)
            else "interrupted; `ytlake runs` shows the run's status (what landed stays in Bronze)"
        )
        raise typer.Exit(130) from None
    finally:
        progress.close()
    _summary(result, verbose)
    full = next((r.error for r in result.run.results.values() if r.error and _is_disk_full(r.error)), None)
    if full:
        raise LakehouseError(
            f"the disk holding {result.lakehouse} is full ({full}); free some space and run again: "
            "what landed stays, the next run asks for the rest"
        )
    raise typer.Exit(EXIT_CODES.get(str(result.run_status), 0 if result.succeeded else 1))


#: ``ytlake run``'s exit code per run status (ARCHITECTURE "Contracts").
EXIT_CODES = {"SUCCEEDED": 0, "FAILED": 1, "PARTIAL": 4, "ABORTED": 130}


def _is_disk_full(text: str) -> bool:
    return "No space left on device" in text or "ENOSPC" in text or "Disk quota exceeded" in text


def _plan_for(options):
    """The plan of the next run; a first run lists the channel and its uploads to estimate it."""
    from ytlake.plan import plan_next_run
    from ytlake.runlocal import channel_lister
    from ytlake.settings import pacific_today

    with channel_lister(options) as lister:
        return plan_next_run(
            options.lakehouse,
            options.catalog,
            options.today or pacific_today(),
            options.start_date,
            options.end_date,
            options.lookback_days,
            options.latency_days,
            options.chunk_days,
            list_channel=lister,
            analytics_mode=options.analytics_mode,
        )


def _check_budget(options, budget: int) -> None:
    if budget < 0:
        raise SettingsError(f"--quota-budget must be >= 0 (got {budget})")
    plan = _plan_for(options)
    if plan.total > budget:
        raise SettingsError(
            f"the plan needs {plan.total:,} requests ({sum(plan.data_api_units.values()):,} Data API units, "
            f"{sum(plan.analytics_requests.values()):,} Analytics, "
            f"{sum(plan.reporting_requests.values()):,} Reporting) > --quota-budget {budget:,}; "
            "lower --lookback-days, pass a later --start-date or an earlier --end-date, or raise the budget"
        )


@app.command(epilog="Example: ytlake plan --requests-per-second 5")
def plan(
    source: Annotated[
        Source, typer.Option(help="where a first run's channel is listed: auto, demo or google")
    ] = Source.auto,
    api_root: Annotated[
        str | None, typer.Option(metavar="URL", help="send the Google calls to this base URL")
    ] = None,
    lakehouse: Annotated[Path, typer.Option(help="DuckDB lakehouse file")] = DEFAULT_LAKEHOUSE_PATH,
    catalog: Annotated[str, typer.Option(help="catalog name")] = "youtube_analytics",
    start_date: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="first Pacific day (first run)")
    ] = None,
    end_date: Annotated[str | None, typer.Option(metavar="YYYY-MM-DD", help="last Pacific day")] = None,
    today: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="the pipeline's today (Pacific)")
    ] = None,
    lookback_days: Annotated[int, typer.Option(help="days before the cursor pulled again")] = 7,
    latency_days: Annotated[int, typer.Option(help="days Google's data lags")] = 2,
    chunk_days: Annotated[
        int, typer.Option(help="split range requests into this many days (0: one per video for the window)")
    ] = 0,
    concurrency: Annotated[int, typer.Option(help="concurrent Analytics requests")] = 8,
    requests_per_second: Annotated[float | None, typer.Option(help="client-side request limit")] = None,
    analytics_mode: Annotated[str, typer.Option(help="query, bulk or hybrid (as ytlake run)")] = "hybrid",
) -> None:
    """Print the Data API units and Analytics requests the next run will make, before spending any
    (a first run's plan lists the channel and its uploads: a few Data API units, said so)."""
    from ytlake.runlocal import RunOptions

    options = RunOptions(
        source=source.value,
        api_root=api_root,
        lakehouse=lakehouse,
        catalog=catalog,
        start_date=_date("--start-date")(start_date),
        end_date=_date("--end-date")(end_date),
        today=_date("--today")(today),
        lookback_days=lookback_days,
        latency_days=latency_days,
        chunk_days=chunk_days,
        concurrency=concurrency,
        requests_per_second=requests_per_second,
        analytics_mode=analytics_mode,
    )
    options.validate()
    result = _plan_for(options)
    table = Table(show_edge=False)
    table.add_column("what")
    table.add_column("requests", justify="right")
    for name, n in result.data_api_units.items():
        table.add_row(f"Data API {name} (units)", f"{n:,}")
    for name, n in result.analytics_requests.items():
        table.add_row(f"Analytics {name}", f"{n:,}")
    for name, n in result.reporting_requests.items():
        table.add_row(f"Reporting {name}", f"{n:,}")
    table.add_row("total", f"{result.total:,}")
    console.print(table)
    if len(result.channels) > 1:  # one project's quota serves every channel: each one's share
        per = Table(show_edge=False)
        for col in ("channel", "Data API units", "Analytics", "Reporting"):
            per.add_column(col, justify="left" if col == "channel" else "right")
        for channel_id, c in result.channels.items():
            per.add_row(
                channel_id,
                f"{c['data_api_units']:,}",
                f"{c['analytics_requests']:,}",
                f"{c['reporting_requests']:,}",
            )
        console.print(per)
        console.print(
            f"shared quota (one Google Cloud project for all {len(result.channels)} channels): "
            f"{sum(result.data_api_units.values()):,} of the Data API's 10,000 units a day; "
            f"{sum(result.analytics_requests.values()):,} Analytics requests",
            highlight=False,
        )
    pace = f"{requests_per_second:g}/s" if requests_per_second else f"{concurrency} concurrent, ~0.25 s each"
    console.print(
        f"window ends {result.window_end}; videos known: "
        f"{result.videos if result.videos is not None else 'unknown'}; about "
        f"{result.seconds(requests_per_second, concurrency):,.0f} s at {pace}",
        highlight=False,
    )
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    if Path(lakehouse).is_file():  # every mode, from the same Bronze (no request spent)
        from ytlake.plan import plan_next_run
        from ytlake.settings import pacific_today
        from ytlake.youtube.reporting_api import ANALYTICS_MODES

        window = (options.start_date, options.end_date, options.lookback_days, options.latency_days)
        day = options.today or pacific_today()
        totals = {  # the selected mode's plan is the one printed above
            mode: result.total
            if mode == options.analytics_mode
            else plan_next_run(
                lakehouse, catalog, day, *window, options.chunk_days, analytics_mode=mode
            ).total
            for mode in ANALYTICS_MODES
        }
        console.print(
            "per mode: " + ", ".join(f"{mode} {n:,}" for mode, n in totals.items()) + " requests",
            highlight=False,
        )


@app.command(epilog="Example: ytlake runs --limit 5")
def runs(
    lakehouse: Annotated[Path, typer.Option(help="DuckDB lakehouse file")] = DEFAULT_LAKEHOUSE_PATH,
    limit: Annotated[int, typer.Option(help="how many recent runs")] = 10,
) -> None:
    """Print the recent runs from bronze.run_context_log."""
    import json

    from ytlake.lakehouse import DuckDBEngine

    if not Path(lakehouse).is_file():
        raise SettingsError(f"no lakehouse at {lakehouse}; run `ytlake run` first or pass --lakehouse")
    with DuckDBEngine(lakehouse, read_only=True) as engine:
        rows = engine.query_native(
            "SELECT run_id, started_ts_utc, run_status, finished_ts_utc, source_system, summary "
            f"FROM bronze.run_context_log ORDER BY started_ts_utc DESC LIMIT {max(limit, 1)}"
        ).to_pylist()
    table = Table(show_edge=False)
    for col in ("run", "started (UTC)", "status", "seconds", "source", "requests", "failed / partial"):
        table.add_column(col)
    for r in rows:
        summary = json.loads(r["summary"] or "{}")
        seconds = (
            (r["finished_ts_utc"] - r["started_ts_utc"]).total_seconds() if r["finished_ts_utc"] else None
        )
        requests = summary.get("data_api_units", 0) + summary.get("analytics_requests", 0)
        why = ", ".join(summary.get("failed_tasks") or []) or "; ".join(summary.get("partial") or [])
        table.add_row(
            r["run_id"],
            f"{r['started_ts_utc']:%Y-%m-%d %H:%M:%S}",
            r["run_status"],
            f"{seconds:.1f}" if seconds is not None else "",
            r["source_system"],
            f"{requests:,}",
            why,
        )
        channels = summary.get("channels") or {}
        if len(channels) > 1 or any(c.get("status") != "SUCCEEDED" for c in channels.values()):
            for channel_id, c in channels.items():  # one line per channel, under its run
                table.add_row(
                    f"  {channel_id}",
                    "",
                    c.get("status") or "",
                    "",
                    "",
                    f"{c['analytics_requests']:,}" if c.get("analytics_requests") is not None else "",
                    c.get("reason") or "",
                )
    console.print(table)


@app.command(epilog="Example: ytlake validate --schema databricks_bundle_schema.json")
def validate(
    schema: Annotated[
        Path | None,
        typer.Option(help="the bundle JSON schema (`databricks bundle schema > schema.json`)"),
    ] = None,
    bundle: Annotated[Path | None, typer.Option(help="bundle folder (default: this project)")] = None,
) -> None:
    """Check the Databricks bundle offline: JSON schema, cross references, typed models."""
    from ytlake.bundle_validate import validate_bundle

    if schema is not None and not schema.is_file():
        raise SettingsError(f"--schema {schema} does not exist; produce it with `databricks bundle schema`")
    problems = validate_bundle(bundle, schema)
    for problem in problems:
        console.print(f"[red]✘[/] {problem}", highlight=False)
    if problems:
        raise typer.Exit(1)
    checked = (
        "schema, rules, models, Databricks checks"
        if schema
        else "rules, models, Databricks checks (no --schema given)"
    )
    console.print(f"[green]✔[/] bundle valid: {checked}", highlight=False)


def _print_report(report, ok_line: str) -> None:
    for line in report.passed:
        console.print(f"[green]✔[/] {line}", highlight=False)
    for line in report.failed:
        console.print(f"[red]✘[/] {line}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
    console.print(ok_line, highlight=False)


@app.command(
    "validate-contract",
    epilog="Example: ytlake validate-contract --lakehouse .lakehouse/youtube_analytics.duckdb",
)
def validate_contract_cmd(
    lakehouse: Annotated[Path, typer.Option(help="DuckDB lakehouse file")] = DEFAULT_LAKEHOUSE_PATH,
) -> None:
    """Check the Bronze metadata contract (tables, columns, NOT NULL) of the local lakehouse."""
    from ytlake.checks import duckdb_runner, validate_contract

    if not Path(lakehouse).is_file():
        raise SettingsError(f"no lakehouse at {lakehouse}; run `ytlake run` first or pass --lakehouse")
    _print_report(validate_contract(duckdb_runner(lakehouse)), "Bronze contract holds")


@app.command(epilog="Example: ytlake smoke --max-gold-lag-days 5")
def smoke(
    lakehouse: Annotated[Path, typer.Option(help="DuckDB lakehouse file")] = DEFAULT_LAKEHOUSE_PATH,
    max_gold_lag_days: Annotated[int, typer.Option(help="Gold's last day may be at most this old")] = 5,
    today: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="today (Pacific), default now")
    ] = None,
    require_latest_run_success: Annotated[
        bool, typer.Option(show_default=False, help="fail unless the latest run SUCCEEDED")
    ] = True,
) -> None:
    """Smoke-check the local lakehouse: tables non-empty, Gold fresh, latest run succeeded."""
    from ytlake.checks import default_today, duckdb_runner
    from ytlake.checks import smoke as run_smoke

    day = _date("--today")(today) or default_today()  # a bad flag first, whatever the lakehouse
    if not Path(lakehouse).is_file():
        raise SettingsError(f"no lakehouse at {lakehouse}; run `ytlake run` first or pass --lakehouse")
    _print_report(
        run_smoke(duckdb_runner(lakehouse), None, day, max_gold_lag_days, require_latest_run_success),
        "smoke checks passed",
    )


#: ``--browser/--no-browser`` of the commands that open Google's consent page.
BrowserOption = Annotated[
    bool,
    typer.Option(
        "--browser/--no-browser",
        show_default=False,
        help="open the consent page in a browser (--no-browser: print its URL to open elsewhere)",
    ),
]


@app.command(epilog="Example: ytlake auth   (opens the consent page; writes YT_REFRESH_TOKEN to .env)")
def auth(
    api_root: Annotated[
        str | None,
        typer.Option(
            metavar="URL", help="consent page and token endpoint under this URL (e.g. the emulator)"
        ),
    ] = None,
    env_file: Annotated[Path, typer.Option(help=".env file to write (mode 0600)")] = Path(".env"),
    print_token: Annotated[
        bool, typer.Option("--print", show_default=False, help="print the token instead of writing it")
    ] = False,
    browser: BrowserOption = True,
    monetary: Annotated[
        bool,
        typer.Option(
            show_default=False, help="also ask for revenue and ad metrics (yt-analytics-monetary.readonly)"
        ),
    ] = False,
) -> None:
    """Get a YouTube refresh token (installed-app OAuth flow with PKCE, read-only scopes).

    With --monetary the token may read revenue too; the pipeline asks Google for revenue only
    when its token carries that scope."""
    from ytlake.settings import Secrets
    from ytlake.youtube.auth import GOOGLE_AUTH_URI, ConsentError, consent, write_env
    from ytlake.youtube.endpoints import ApiRoot

    secrets_ = Secrets()
    if not secrets_.yt_client_id or not secrets_.yt_client_secret:
        raise SettingsError(
            "missing YT_CLIENT_ID or YT_CLIENT_SECRET: put your OAuth client's id and secret "
            "in the environment or .env (see .env.example)"
        )
    root = ApiRoot.under(api_root) if api_root else ApiRoot()
    auth_uri = f"{api_root.rstrip('/')}/o/oauth2/auth" if api_root else GOOGLE_AUTH_URI
    try:
        token = consent(
            secrets_.yt_client_id,
            secrets_.yt_client_secret.get_secret_value(),
            auth_uri=auth_uri,
            token_uri=root.token_uri,
            open_browser=browser,
            monetary=monetary,
        )
    except ConsentError as err:
        raise SettingsError(str(err)) from None
    if print_token:
        console.print(token, highlight=False)
        return
    write_env(env_file, {"YT_REFRESH_TOKEN": token})
    console.print(f"YT_REFRESH_TOKEN written to {env_file} (mode 0600)", highlight=False)


def _client_for(api_root: str | None) -> tuple[str, str]:
    """The OAuth client's id and secret (the environment or .env; at an --api-root without them,
    the emulator's demo client)."""
    from ytlake.settings import Secrets

    secrets_ = Secrets()
    if secrets_.yt_client_id and secrets_.yt_client_secret:
        return secrets_.yt_client_id, secrets_.yt_client_secret.get_secret_value()
    if api_root:
        from ytlake.channels import DEMO_CREDENTIALS

        return DEMO_CREDENTIALS.client_id, DEMO_CREDENTIALS.client_secret
    raise SettingsError(
        "missing YT_CLIENT_ID or YT_CLIENT_SECRET: put your OAuth client's id and secret "
        "in the environment or .env (see .env.example)"
    )


#: ``--profile``: the Databricks CLI profile of a ``channels`` command's ``--secret-scope``.
ProfileOption = Annotated[str | None, typer.Option(help="Databricks CLI profile (with --secret-scope)")]


def _secret_workspace(profile: str | None):
    from ytlake.databricks_ops import RunbookError, workspace_client

    try:
        return workspace_client(profile)
    except RunbookError as err:
        raise SettingsError(str(err)) from None


@channels_app.command("add", epilog="Example: ytlake channels add --refresh-token 1//0g...")
def channels_add(
    refresh_token: Annotated[
        str | None,
        typer.Option(help="the channel owner's refresh token (no browser: scripts, CI, the emulator)"),
    ] = None,
    api_root: Annotated[
        str | None, typer.Option(metavar="URL", help="Google's endpoints under this URL (e.g. the emulator)")
    ] = None,
    monetary: Annotated[
        bool,
        typer.Option(
            show_default=False, help="also ask for revenue and ad metrics (yt-analytics-monetary.readonly)"
        ),
    ] = False,
    browser: BrowserOption = True,
    secret_scope: Annotated[
        str | None,
        typer.Option(help="store the token in this Databricks secret scope (yt_refresh_token_<channel id>)"),
    ] = None,
    profile: ProfileOption = None,
) -> None:
    """Add a channel: its owner consents (or gives --refresh-token), the channel is identified
    with channels.list(mine=true), and its token is stored (the credentials file, mode 0600,
    or one secret per channel in a Databricks secret scope). Adding a channel again replaces
    its token (after a revocation, say)."""
    from ytlake import channels
    from ytlake.youtube.data_api import DataApi
    from ytlake.youtube.endpoints import ApiRoot
    from ytlake.youtube.http import GoogleApiError, GoogleHttp
    from ytlake.youtube.oauth import AuthError, ClientCredentials, OAuthSession

    client_id, client_secret = _client_for(api_root)
    root = ApiRoot.under(api_root) if api_root else ApiRoot()
    if not refresh_token:
        from ytlake.youtube.auth import GOOGLE_AUTH_URI, ConsentError, consent

        auth_uri = f"{api_root.rstrip('/')}/o/oauth2/auth" if api_root else GOOGLE_AUTH_URI
        try:
            refresh_token = consent(
                client_id,
                client_secret,
                auth_uri=auth_uri,
                token_uri=root.token_uri,
                open_browser=browser,
                monetary=monetary,
            )
        except ConsentError as err:
            raise SettingsError(str(err)) from None
    oauth = OAuthSession(ClientCredentials(client_id, client_secret, refresh_token), root.token_uri)
    http = GoogleHttp(oauth)
    try:
        answer = DataApi(http, root.data_api).my_channel()
    except AuthError as err:
        raise SettingsError(f"the refresh token was refused: {err}") from None
    except GoogleApiError as err:
        raise SettingsError(f"channels.list(mine=true) failed with this token: {err}") from None
    finally:
        http.close()
        oauth.close()
    items = (answer.json or {}).get("items") or []
    if not items:
        raise SettingsError("this token's account has no YouTube channel: sign in as the channel's owner")
    channel_id = str(items[0]["id"])
    title = str((items[0].get("snippet") or {}).get("title") or "")
    if secret_scope:
        from ytlake.databricks_ops import put_channel_token

        key = put_channel_token(_secret_workspace(profile), secret_scope, channel_id, refresh_token)
        console.print(f"channel {channel_id} ({title}): token in secret scope {secret_scope}, key {key}")
        return
    new = channels.add(channel_id, title, refresh_token)
    path = channels.credentials_path()
    verb = "added" if new else "token replaced for"
    console.print(
        f"{verb} channel {channel_id} ({title}): its token is in {path} (mode 600)", highlight=False
    )


@channels_app.command("list", epilog="Example: ytlake channels list")
def channels_list(
    secret_scope: Annotated[
        str | None, typer.Option(help="list the channels of this Databricks secret scope instead")
    ] = None,
    profile: ProfileOption = None,
) -> None:
    """The channels runs pull and where each token is (never a token)."""
    from ytlake import channels
    from ytlake.settings import Secrets

    if secret_scope:
        from ytlake.databricks_ops import channel_secret_keys

        keys = channel_secret_keys(_secret_workspace(profile), secret_scope)
        for key in keys:
            channel = (
                key.removeprefix(channels.SECRET_PREFIX)
                if key != "yt_refresh_token"
                else "(learnt at run time)"
            )
            console.print(f"{channel}\tsecret {secret_scope}/{key}", highlight=False)
        if not keys:
            console.print(f"no channel token in secret scope {secret_scope}", highlight=False)
        return
    stored = channels.load()
    for c in stored:
        console.print(
            f"{c.channel_id}\t{c.title}\tadded {c.added_at_utc}\t{channels.credentials_path()}",
            highlight=False,
        )
    if Secrets().yt_refresh_token:
        console.print("(learnt at run time)\t\t\tYT_REFRESH_TOKEN (environment or .env)", highlight=False)
    if not stored and not Secrets().yt_refresh_token:
        console.print(
            "no channel: add one with `ytlake channels add` (runs pull the demo world meanwhile)",
            highlight=False,
        )


@channels_app.command("remove", epilog="Example: ytlake channels remove UCxxxxxxxxxxxxxxxxxxxxxx")
def channels_remove(
    channel_id: Annotated[str, typer.Argument(help="the channel id (UC...)")],
    secret_scope: Annotated[
        str | None, typer.Option(help="remove its token from this Databricks secret scope")
    ] = None,
    profile: ProfileOption = None,
) -> None:
    """Stop pulling a channel: its token is forgotten; what landed stays in the lakehouse."""
    from ytlake import channels

    if secret_scope:
        from ytlake.databricks_ops import delete_channel_token

        if not delete_channel_token(_secret_workspace(profile), secret_scope, channel_id):
            raise SettingsError(f"no token for channel {channel_id} in secret scope {secret_scope}")
        console.print(
            f"channel {channel_id}: token removed from secret scope {secret_scope}", highlight=False
        )
        return
    if not channels.remove(channel_id):
        raise SettingsError(
            f"channel {channel_id} is not in {channels.credentials_path()}: see `ytlake channels list`"
        )
    console.print(f"channel {channel_id} removed; its data stays in the lakehouse", highlight=False)


@app.command(epilog="Example: ytlake dashboard --port 8501")
def dashboard(
    lakehouse: Annotated[Path, typer.Option(help="DuckDB lakehouse file")] = DEFAULT_LAKEHOUSE_PATH,
    host: Annotated[str, typer.Option(help="interface (loopback unless told otherwise)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8501,
) -> None:
    """Start the Streamlit dashboard over Gold (reads the lakehouse read-only, per query)."""
    import os

    if not Path(lakehouse).is_file():
        raise SettingsError(f"no lakehouse at {lakehouse}; run `ytlake run` first or pass --lakehouse")
    _check_port(host, port)
    app_path = Path(__file__).parent / "dashboard" / "app.py"
    env = {
        **os.environ,
        "YTLAKE_LAKEHOUSE": str(Path(lakehouse).resolve()),
        "YTLAKE_DASHBOARD_SOURCE": "duckdb",
    }
    console.print(f"dashboard: http://{host}:{port}", highlight=False)
    sys.stdout.flush()
    # Streamlit takes this process's place (exec), so stopping `ytlake dashboard` (Ctrl-C,
    # SIGTERM) stops Streamlit itself, instead of leaving it running as an orphan child.
    os.execve(
        sys.executable,
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(app_path),
            "--server.address",
            host,
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--client.toolbarMode",
            "viewer",
        ],
        env,
    )


@app.command(epilog="Example: ytlake docs --out docs/images --no-screenshot")
def docs(
    out: Annotated[Path, typer.Option(help="folder for the pictures")] = Path("docs/images"),
    screenshot: Annotated[
        bool, typer.Option(show_default=False, help="also screenshot the dashboard (needs Chromium)")
    ] = True,
) -> None:
    """Generate the pictures from the code: job graph, data model, architecture, dashboard
    (a pinned demo world and day: the same code draws the same pictures)."""
    from ytlake.docs import generate, require_tools

    require_tools(screenshot)
    quiet = logging.StreamHandler(sys.stderr)  # the demo runs' INFO lines stay in their logs
    quiet.setLevel(logging.WARNING)
    logging.getLogger().addHandler(quiet)  # (a later logging.basicConfig() then adds none)
    try:
        with handling_signals():  # SIGTERM too ends in `finally`: the dashboard it started stops
            for path in generate(out, with_screenshot=screenshot):
                console.print(f"wrote {path}", highlight=False)
    finally:
        logging.getLogger().removeHandler(quiet)


def _check_port(host: str, port: int) -> None:
    """Refuse a port that something already listens on, before saying "ready" anywhere."""
    import socket

    if not 0 <= port <= 65535:
        raise SettingsError(f"--port {port} is not a port (0-65535)")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
        try:
            probe.bind((host, port))
        except OSError as err:
            raise SettingsError(
                f"cannot listen on {host}:{port} ({err.strerror}): another program uses it; "
                "pass another --port (or stop that program)"
            ) from None


class _Progress:
    """One line per task; on a terminal, a live line for the running task: a spinner, and for
    the ingestion tasks their requests answered / planned, the rate and the ETA."""

    REDRAW = 0.2  # seconds between two redraws of the live line

    def __init__(self, verbose: bool) -> None:
        from ytlake import progress

        self.verbose = verbose
        self.status = None
        self.task: str | None = None
        self.drawn = 0.0
        # the live line draws on this terminal: while a task runs, sys.stdout is its log file
        self.terminal = Console(file=sys.stdout)
        progress.listen(self.requests)

    def event(self, kind: str, result) -> None:
        if kind == "started":
            self.task = result.task_key
            if self.terminal.is_terminal and not self.verbose:  # -v prints log lines: no live line
                self.status = self.terminal.status(f"[bold]{result.task_key}[/] running...")
                self.status.start()
            return
        if self.status is not None:
            self.status.stop()
            self.status = None
        mark = {"SUCCESS": "[green]✔[/]", "FAILED": "[red]✘[/]"}.get(result.state, "[yellow]–[/]")
        line = f"{mark} {result.task_key:<32} {result.state:<16}"
        if kind == "finished":
            line += f" {result.seconds:6.1f}s"
        if result.error:
            line += f"  {result.error}"
        console.print(line, highlight=False)

    def requests(self, task) -> None:
        import time

        now = time.monotonic()
        if self.status is None or task.task_key != self.task or now - self.drawn < self.REDRAW:
            return
        self.drawn = now
        self.status.update(f"[bold]{task.task_key}[/] {task.line(now)}")

    def close(self) -> None:
        from ytlake import progress

        progress.listen(None)
        if self.status is not None:
            self.status.stop()
            self.status = None


#: The order of the layers in ``ytlake run -v``'s table of rows.
LAYERS = ("bronze", "silver", "silver_physical", "gold")


def _summary(result, verbose: bool = False) -> None:
    """What a creator asks after a run: which channel, which days, how many videos, what came in,
    the last 28 days' views. ``-v`` adds the rows of every table, Bronze to Gold."""
    tables = {name: n for name, n in result.rows.items() if not name.startswith("__")}
    if verbose:
        table = Table(title=None, show_edge=False)
        table.add_column("table")
        table.add_column("rows", justify="right")
        order = {layer: i for i, layer in enumerate(LAYERS)}
        for name, n in sorted(tables.items(), key=lambda kv: (order.get(kv[0].split(".")[0], 9), kv[0])):
            table.add_row(name, f"{n:,}")
        console.print(table)
    for c in result.channels:
        days = f"{c['first_day']} to {c['last_day']}" if c["last_day"] else "no days yet"
        console.print(
            f"[bold]{c['channel_title'] or c['channel_id']}[/] ({c['channel_id']}): {c['videos']:,} videos; "
            f"days {days}; {c['views_28']:,} views in the last 28 days",
            highlight=False,
        )
    summary = result.summary
    landed = sum(n for name, n in tables.items() if name.startswith("bronze."))
    layer = {
        prefix: sum(n for name, n in tables.items() if name.startswith(f"{prefix}.")) for prefix in LAYERS
    }
    if tables:
        console.print(
            f"this run: {summary.get('analytics_requests', 0):,} Analytics requests and "
            f"{summary.get('data_api_units', 0):,} Data API units; {landed:,} answers landed in Bronze; "
            f"Silver now {layer['silver']:,} rows, Gold {layer['gold']:,}"
            + ("" if verbose else " (-v: per table)"),
            highlight=False,
        )
    status = result.rows.get("__run_status__", "unknown")
    total = sum(r.seconds for r in result.run.results.values())
    where = f"emulator at {result.api_root}" if result.api_root and result.source == "demo" else result.source
    for line in summary.get("partial") or []:
        console.print(f"[yellow]partial:[/] {line}", highlight=False)
    for line in summary.get("warnings") or []:
        console.print(f"[yellow]warning:[/] {line}", highlight=False)
    filled = (summary.get("quality") or {}).get("filled_days") or {}
    if any(filled.values()):
        console.print(
            f"zero-filled days (Google left them out of an answer): {filled.get('channel_days', 0):,} "
            f"channel, {filled.get('video_days', 0):,} video",
            highlight=False,
        )
    console.print(
        f"run {result.run.run_id}: [bold]{status}[/] in {total:.1f}s "
        f"(source: {where}; lakehouse: {result.location}; log: {result.log_path})",
        highlight=False,
    )


@emulator_app.command(
    "serve",
    epilog="Example: ytlake emulator serve --port 8765 --videos 200 --seed 7\n\n"
    "Reporting API report types (the header row of each daily file):\n\n" + reporting_catalog(),
)
def emulator_serve(
    host: Annotated[str, typer.Option(help="interface to bind (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8765,
    seed: Annotated[int, typer.Option(help="world seed")] = 42,
    channels: Annotated[int, typer.Option(help="channels in the world")] = 1,
    videos: Annotated[int, typer.Option(help="videos per channel")] = 60,
    history_days: Annotated[int, typer.Option(help="days of history")] = 120,
    today: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD", help="the world's today (YYYY-MM-DD, Pacific); default now"),
    ] = None,
    world_start: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD", help="pin the world's first day (default today - history days)"),
    ] = None,
    token_ttl: Annotated[int, typer.Option(help="access token lifetime, seconds")] = 3600,
    data_api_quota: Annotated[int, typer.Option(help="Data API units per Pacific day")] = 10_000,
    analytics_quota: Annotated[
        int | None, typer.Option(help="Analytics requests per day (default unlimited)")
    ] = None,
    reporting_quota: Annotated[
        int | None,
        typer.Option(help="Reporting API requests per Pacific day, per project (default unlimited)"),
    ] = None,
    max_rps: Annotated[float | None, typer.Option(help="server-side rate limit, requests/s")] = None,
    latency_ms: Annotated[int, typer.Option(help="added to every answer, milliseconds")] = 0,
    fault_rate: Annotated[
        float,
        typer.Option(help="share of API calls (Data, Analytics, Reporting) answered 500/503/429/403"),
    ] = 0.0,
    malformed_rate: Annotated[
        float, typer.Option(help="share of questions answered with malformed data")
    ] = 0.0,
    truncate_rate: Annotated[float, typer.Option(help="share of answers cut mid-JSON")] = 0.0,
    slow_rate: Annotated[float, typer.Option(help="share of answers slower than --slow-ms")] = 0.0,
    slow_ms: Annotated[int, typer.Option(help="delay of a slow answer")] = 5000,
    reset_rate: Annotated[float, typer.Option(help="share of connections dropped mid-answer")] = 0.0,
    garbled_rate: Annotated[
        float, typer.Option(help="share of answers not shaped as the endpoint's (rows/items a string)")
    ] = 0.0,
    revoke_after: Annotated[
        int | None, typer.Option(help="revoke the refresh tokens after N API requests")
    ] = None,
    exact: Annotated[
        bool,
        typer.Option(
            show_default=False,
            help="the ideal world: every irregularity below off (flags given with it turn one back on)",
        ),
    ] = False,
    privacy_threshold: Annotated[
        int | None,
        typer.Option(
            help="breakdown rows (country, traffic source, device) under N views are withheld; "
            "in report files such rows lose their detail values, aggregated [5]"
        ),
    ] = None,
    metric_latency: Annotated[
        bool | None,
        typer.Option(
            show_default=False,
            help="each metric has its own lag; answers end where every metric asked is available [on]",
        ),
    ] = None,
    sparse_days: Annotated[
        bool | None,
        typer.Option(show_default=False, help="days without activity are absent from day answers [on]"),
    ] = None,
    shuffle_columns: Annotated[
        bool | None,
        typer.Option(show_default=False, help="columns in another order than asked, headers matching [off]"),
    ] = None,
    quota_error: Annotated[
        str | None,
        typer.Option(
            help="shape of a spent daily quota: quotaExceeded, dailyLimitExceeded or rateLimitExceeded "
            "(429 per day) [Data API: quotaExceeded; Analytics: rateLimitExceeded]"
        ),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            help="keep what calls change (quota spent today, refresh tokens issued and revoked, "
            "Reporting API jobs) in this file across restarts"
        ),
    ] = None,
    demo_monetary: Annotated[
        bool,
        typer.Option(
            show_default=False,
            help="the demo refresh tokens may read revenue (yt-analytics-monetary.readonly)",
        ),
    ] = False,
) -> None:
    """Serve the emulator until stopped; prints its base URL and the demo credentials.

    By default it is as irregular as Google documents (privacy thresholds, per-metric latency,
    sparse days); --exact gives the ideal world, and each irregularity has its own flag.
    """
    from ytlake.emulator.errors import QUOTA_ERRORS
    from ytlake.emulator.rules import Irregularities
    from ytlake.emulator.server import serve_forever
    from ytlake.emulator.service import EmulatorConfig
    from ytlake.emulator.world import (
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        World,
        WorldConfig,
        demo_refresh_token,
    )

    for name, value, low in (
        ("--channels", channels, 1),
        ("--videos", videos, 0),
        ("--history-days", history_days, 1),
        ("--token-ttl", token_ttl, 1),
        ("--data-api-quota", data_api_quota, 0),
        ("--latency-ms", latency_ms, 0),
    ):
        if value < low:
            raise SettingsError(f"{name} must be >= {low} (got {value})")
    for name, rate in (
        ("--fault-rate", fault_rate),
        ("--malformed-rate", malformed_rate),
        ("--truncate-rate", truncate_rate),
        ("--slow-rate", slow_rate),
        ("--reset-rate", reset_rate),
        ("--garbled-rate", garbled_rate),
    ):
        if not 0.0 <= rate < 1.0:
            raise SettingsError(f"{name} must be in [0, 1) (got {rate})")
    _check_port(host, port)
    if max_rps is not None and max_rps <= 0:
        raise SettingsError(f"--max-rps must be > 0 (got {max_rps})")
    if privacy_threshold is not None and privacy_threshold < 0:
        raise SettingsError(f"--privacy-threshold must be >= 0 (got {privacy_threshold})")
    if quota_error is not None and quota_error not in QUOTA_ERRORS:
        raise SettingsError(f"--quota-error {quota_error!r} is unknown; use one of {', '.join(QUOTA_ERRORS)}")
    irregular = Irregularities.chosen(
        exact,
        privacy_threshold=privacy_threshold,
        metric_latency=metric_latency,
        sparse_days=sparse_days,
        shuffle_columns=shuffle_columns,
    )
    kwargs = {"today": _date("--today")(today)} if today else {}
    if world_start:
        kwargs["start"] = _date("--world-start")(world_start)
    try:
        world = World(
            WorldConfig(seed=seed, channels=channels, videos=videos, history_days=history_days, **kwargs)
        )
    except ValueError as err:
        raise SettingsError(str(err)) from None
    if state is not None:
        from ytlake.emulator.state import StateFileError, load

        try:
            load(state)  # a file that is not an emulator state is one line, before serving
        except StateFileError as err:
            raise SettingsError(str(err)) from None
    config = EmulatorConfig(
        demo_monetary=demo_monetary,
        state_path=state,
        token_ttl=token_ttl,
        data_api_quota=data_api_quota,
        analytics_quota=analytics_quota,
        reporting_quota=reporting_quota,
        max_rps=max_rps,
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        seed=seed,
        malformed_rate=malformed_rate,
        truncate_rate=truncate_rate,
        slow_rate=slow_rate,
        slow_ms=slow_ms,
        reset_rate=reset_rate,
        garbled_rate=garbled_rate,
        revoke_after=revoke_after,
        irregular=irregular,
        quota_error=quota_error,
    )
    console.print(
        f"ytlake emulator: http://{host}:{port}  (today {world.today}, seed {seed}, "
        f"world start {world.start}: pass --world-start {world.start} to see this world on a later --today)",
        highlight=False,
    )
    console.print(f"  YT_CLIENT_ID={DEMO_CLIENT_ID} YT_CLIENT_SECRET={DEMO_CLIENT_SECRET}", highlight=False)
    for ch in world.channels:
        console.print(
            f"  channel {ch.index} {ch.channel_id}: YT_REFRESH_TOKEN={demo_refresh_token(ch.index)}",
            highlight=False,
        )
    console.print(f"  use it with: ytlake run --api-root http://{host}:{port}", highlight=False)
    serve_forever(world, config, host, port)


#: ``ytlake``'s exit codes, one per class of outcome (README "Exit codes"). Every error is one
#: line on stderr, ``ytlake: error: <what> ... <the fix>``.
EXIT_CLASSES = {
    0: "success",
    1: "a run FAILED, or a check (validate, validate-contract, smoke) found a problem",
    2: "bad input or setup: a flag, a setting, a credential, a file or a tool the command needs",
    3: "the lakehouse cannot be used: held by another run, not a lakehouse, or the disk is full",
    4: "a run ended PARTIAL (what landed stays; the next run asks for the rest)",
    130: "interrupted (Ctrl-C, SIGTERM): the run is recorded ABORTED; what landed stays",
}


#: The :class:`LakehouseFileError` kinds that are bad input (exit 2) rather than exit 3.
BAD_PATH_KINDS = ("missing", "directory", "not_duckdb")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning each class of error into one line and its exit code
    (:data:`EXIT_CLASSES`)."""
    args = sys.argv[1:] if argv is None else argv
    logging.raiseExceptions = False  # a full disk is one line, not a "Logging error" per log line
    try:
        code = app(args=args, prog_name="ytlake", standalone_mode=False)
    except typer.TyperException as err:  # usage errors (typer's bundled click)
        if type(err).__name__ == "NoArgsIsHelpError":
            console.print(err.format_message(), highlight=False, markup=False)
            return 0
        _error(err.format_message())
        return 2
    except SettingsError as err:
        _error(str(err))
        return 2
    except LakehouseError as err:
        _error(str(err))
        # a path that names no lakehouse (a text file, a folder) is bad input, as in `run`;
        # a lakehouse that cannot be used (damaged, held, a full disk) is its own class
        return 2 if getattr(err, "kind", None) in BAD_PATH_KINDS else 3
    except typer.Exit as err:
        return int(err.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _error("interrupted")
        return 130
    except OSError as err:
        if err.errno != errno.ENOSPC:
            raise
        where = f" writing {err.filename}" if err.filename else ""
        _error(f"the disk is full ({err.strerror}{where}); free some space and run again: what landed stays")
        return 3
    return code if isinstance(code, int) else 0


def _error(text: str) -> None:
    sys.stderr.write(f"ytlake: error: {_one_line(text)}\n")
    sys.stderr.flush()


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":
    raise SystemExit(main())
