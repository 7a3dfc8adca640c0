"""``ytlake docs``: the project's pictures, generated from the code (Graphviz ``dot``).

- ``pipeline_graph.png`` — the job's task graph, from the bundle;
- ``data_model_erd.png`` — Bronze, Silver and Gold tables with their keys and lineage: Bronze
  from the bootstrap DDL, Silver from the Lakeflow files (grain property, tables read),
  Gold from the dbt manifest (grain meta, refs and sources);
- ``architecture.png`` — sources, the job's tasks, the layers and the dashboards;
- ``dashboard_<page>.png`` — a screenshot of every dashboard page over a demo lakehouse
  (revenue authorised), taken in headless Chromium (optional: ``--no-screenshot``).

The diagrams are a pure function of the code: regenerating them changes no byte unless the
code changed.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ytlake import paths
from ytlake.job import job_tasks, load_bundle
from ytlake.lakeflow import discover
from ytlake.lakehouse.bootstrap import bronze_table_columns

FONT = 'fontname="DejaVu Sans"'


def require_tools(with_screenshot: bool) -> None:
    """Say in one line what is missing before anything is drawn: Graphviz, and Chromium for the
    screenshots."""
    from ytlake.browser import chromium_path
    from ytlake.settings import SettingsError

    if not shutil.which("dot"):
        raise SettingsError(
            "Graphviz's `dot` is not installed: install Graphviz (apt-get install graphviz, "
            "brew install graphviz) and run `ytlake docs` again"
        )
    if with_screenshot and chromium_path() is None:
        raise SettingsError(
            "Chromium is not installed (the dashboard's screenshots): install it (apt-get install "
            "chromium) or pass --no-screenshot"
        )


def _dot_to_png(dot: str, out: Path) -> None:
    exe = shutil.which("dot")
    if not exe:
        require_tools(False)
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([exe, "-Tpng", "-Gdpi=110", "-o", str(out)], input=dot.encode(), check=True)


def _q(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def pipeline_dot() -> str:
    specs = job_tasks(load_bundle())
    lines = [
        f'digraph job {{ rankdir=TB; nodesep=0.25; ranksep=0.3; node [shape=box style="rounded,filled" fillcolor="#f6f6f6" {FONT}];',
        f"edge [{FONT} fontsize=9];",
        'label="youtube_analytics_job (from databricks.yml + resources/)"; labelloc=t;',
    ]
    for s in specs:
        kind = "Lakeflow pipeline" if s.kind == "pipeline_task" else "python_wheel_task"
        color = "#dbe9ff" if s.kind == "pipeline_task" else "#f6f6f6"
        lines.append(f'{_q(s.task_key)} [label="{s.task_key}\\n({kind})" fillcolor="{color}"];')
        for dep in s.depends_on:
            label = f' [label="{s.run_if}" style=dashed]' if s.run_if != "ALL_SUCCESS" else ""
            lines.append(f"{_q(dep)} -> {_q(s.task_key)}{label};")
    lines.append("}")
    return "\n".join(lines)


def _manifest() -> dict:
    from dbt.cli.main import dbtRunner

    project = paths.dbt_project_dir()
    with tempfile.TemporaryDirectory() as tmp:
        res = dbtRunner().invoke(
            [
                "parse",
                "--project-dir",
                str(project),
                "--profiles-dir",
                str(project),
                "--target-path",
                tmp,
                "--log-path",
                tmp,
                "--quiet",
            ]
        )
        if not res.success:
            raise RuntimeError(f"dbt parse failed: {res.exception}")
        return json.loads((Path(tmp) / "manifest.json").read_text())


def erd_dot(manifest: dict | None = None) -> str:
    manifest = manifest or _manifest()
    lines = [
        f'digraph erd {{ rankdir=LR; node [shape=plaintext {FONT}]; edge [color="#888888"];',
        'label="Data model: keys and lineage (Bronze DDL, Lakeflow SQL, dbt manifest)"; labelloc=t;',
    ]

    def table(name: str, keys: list[str], color: str, extra: list[str] = ()) -> str:
        rows = "".join(f'<tr><td align="left">key: {k}</td></tr>' for k in keys)
        rows += "".join(f'<tr><td align="left"><font color="#666666">{e}</font></td></tr>' for e in extra)
        return (
            f'{_q(name)} [label=<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
            f'<tr><td bgcolor="{color}"><b>{name}</b></td></tr>{rows}</table>>];'
        )

    lines.append('subgraph cluster_bronze { label="bronze"; style=rounded; color="#cd7f32";')
    for name, columns in sorted(bronze_table_columns().items()):
        keys = ["run_id", "request_id"] if name.endswith("_raw") else [columns[0][0]]
        lines.append(
            table(
                f"bronze.{name}",
                keys,
                "#f3e0cc",
                ["payload (JSON envelope)"] if name.endswith("_raw") else [],
            )
        )
    lines.append("}")
    datasets = discover(str(paths.silver_sql_dir() / "**"))
    names = {d.name for d in datasets}
    lines.append('subgraph cluster_silver { label="silver (Lakeflow)"; style=rounded; color="#9aa5b1";')
    for ds in sorted(datasets, key=lambda d: d.name):
        grain = [g for g in ds.properties.get("ytlake.grain", "").split(",") if g]
        kind = [] if ds.kind == "MATERIALIZED VIEW" else [ds.kind.lower()]  # streaming table, temporary view
        lines.append(table(f"silver.{ds.name}", grain, "#e6eaee", kind))
    lines.append("}")
    edges = set()
    for ds in datasets:
        for ref in sorted(ds.references()):
            source = ref if ref.startswith("bronze.") else (f"silver.{ref}" if ref in names else None)
            if source:
                edges.add((source, f"silver.{ds.name}"))
    lines.append('subgraph cluster_gold { label="gold (dbt)"; style=rounded; color="#d4af37";')
    for node in sorted(manifest["nodes"].values(), key=lambda n: n["name"]):
        if node["resource_type"] != "model":
            continue
        grain = (node.get("config", {}).get("meta") or node.get("meta") or {}).get("grain", [])
        lines.append(table(f"gold.{node['name']}", list(grain), "#f7ecc4"))
        for dep in sorted(node["depends_on"]["nodes"]):
            if dep.startswith("source."):
                edges.add((f"silver.{dep.split('.')[-1]}", f"gold.{node['name']}"))
    lines.append("}")
    lines += [f"{_q(a)} -> {_q(b)};" for a, b in sorted(edges)]
    lines.append("}")
    return "\n".join(lines)


def architecture_dot() -> str:
    """The same job on two platforms: what runs where, locally and on Databricks, and the
    one set of files (bundle, Lakeflow SQL, dbt project) both run. Top to bottom, so it reads
    at README width."""
    specs = job_tasks(load_bundle())
    task = {s.task_key for s in specs}
    assert {"ingest_data_api_to_bronze", "run_lakeflow_pipeline", "dbt_run_gold"} <= task
    kinds = Counter(d.kind.lower() for d in discover(str(paths.silver_sql_dir() / "**")))
    silver = ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in sorted(kinds.items()))
    n_gold = len(list((paths.dbt_project_dir() / "models" / "gold").glob("*.sql")))
    n_tasks = len(specs)
    return "\n".join(
        [
            f'digraph arch {{ rankdir=TB; nodesep=0.3; ranksep=0.35; node [shape=box style="rounded,filled" fillcolor="#f6f6f6" {FONT} fontsize=12];',
            f"edge [{FONT} fontsize=10]; graph [{FONT}];",
            'label="YouTube Analytics Lakehouse: one job, two platforms"; labelloc=t; fontsize=16;',
            '"google" [label="Google: YouTube Data API v3, Analytics API v2,\\nReporting API, OAuth (or the built-in emulator)" fillcolor="#fde2e1"];',
            f'"code" [label="both run the same files: databricks.yml + resources/ (the job of {n_tasks} tasks),\\nlakeflow/ (Silver: {silver}), dbt/ ({n_gold} Gold marts)" fillcolor="#e8f0fe"];',
            'subgraph cluster_local { label="Locally: ytlake run (one command, no account)"; style=rounded; color="#888888";',
            '"l_tasks" [label="the job\'s tasks in one process,\\nin depends_on order"];',
            '"l_store" [label="one DuckDB file: bronze, silver,\\nsilver_physical, gold" fillcolor="#f3e0cc"];',
            '"l_silver" [label="Silver: the Lakeflow SQL\\ntranslated by SQLGlot"];',
            '"l_gold" [label="Gold: dbt-duckdb\\n(build + tests)" fillcolor="#f7ecc4"];',
            '"l_app" [label="ytlake dashboard\\n(Streamlit)"];',
            '"l_tasks" -> "l_store" -> "l_silver" -> "l_gold" -> "l_app"; }',
            'subgraph cluster_dbx { label="On Databricks: one Asset Bundle"; style=rounded; color="#888888";',
            '"d_tasks" [label="the job: python_wheel_tasks\\non serverless, daily"];',
            '"d_store" [label="Unity Catalog + Delta: bronze,\\nsilver, silver_physical, gold" fillcolor="#f3e0cc"];',
            '"d_silver" [label="Silver: the Lakeflow\\npipeline"];',
            '"d_gold" [label="Gold: dbt-databricks\\n(write-audit-publish)" fillcolor="#f7ecc4"];',
            '"d_app" [label="Databricks App (the same\\nStreamlit) + AI/BI dashboard"];',
            '"d_tasks" -> "d_store" -> "d_silver" -> "d_gold" -> "d_app"; }',
            '"google" -> "l_tasks"; "google" -> "d_tasks";',
            '"l_app" -> "code" [style=invis]; "d_app" -> "code" [style=invis];',
            "}",
        ]
    )


#: Each dashboard page and a text it shows once drawn (its header, and a chart title or the
#: sentence that stands in for the charts).
PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Overview": ("Channel overview", ("Views per day",)),
    "Content": ("Content", ("Daily views since publishing",)),
    "Audience": ("Audience", ("Viewers by age and gender", "No audience data")),
    "Reach": ("Reach", ("Views by traffic source",)),
    "Engagement": ("Engagement", ("Audience retention", "No audience retention curve")),
    "Geography": ("Geography", ("Views by country",)),
    "Devices": ("Devices", ("Views by device type",)),
    "Revenue": ("Revenue", ("Estimated revenue per day", "Revenue is not authorised", "No revenue reported")),
}


def page_drawn(page: str, browser: Any) -> Callable[[str], bool]:
    """Whether ``page`` is drawn: its header begins the page's heading (the sidebar lists
    every page's name, so the text alone cannot say; the overview names its channel after it)
    and one of its texts is shown."""
    header, shown = PAGES[page]
    return lambda text: any(s in text for s in shown) and browser.heading().partition(":")[0] == header


def visit_every_page(
    browser: Any,
    url: str | None,
    shoot: Callable[[str], Path | None],
    on_page: Callable[[str], None] | None = None,
) -> dict[str, str]:
    """Open the dashboard (``url``; None: it is open) and click through every page; returns
    each page's text, after ``on_page(page)`` and the screenshot ``shoot(page)`` names (None:
    none)."""
    texts = {}
    if url is not None:
        browser.open(url, ready=page_drawn("Overview", browser))
    for page in PAGES:
        browser.click_label(page)
        texts[page] = browser.wait_for(page_drawn(page, browser))
        if on_page is not None:
            on_page(page)
        target = shoot(page)
        if target is not None:
            browser.screenshot(target)
    return texts


def screenshot(out_dir: Path) -> list[Path]:
    """Build the demo lakehouse, start the dashboard, and screenshot every page in headless
    Chromium."""
    from ytlake.browser import Chromium
    from ytlake.runlocal import failed_without_gold, screenshot_lakehouse

    # one fixed folder, emptied first: the no-Gold picture names its lakehouse's path
    tmp = Path(tempfile.gettempdir()) / "ytlake-docs"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        lakehouse = Path(tmp) / "demo.duckdb"
        screenshot_lakehouse(lakehouse)
        with running_dashboard(lakehouse) as url, Chromium() as browser:
            visit_every_page(browser, url, lambda page: out_dir / f"dashboard_{page.lower()}.png")
        written = [out_dir / f"dashboard_{page.lower()}.png" for page in PAGES]
        several = Path(tmp) / "channels.duckdb"
        screenshot_lakehouse(several, channels=2)
        with running_dashboard(several) as url, Chromium() as browser:
            browser.open(url, ready=page_drawn("Overview", browser))
            browser.screenshot(out_dir / "dashboard_channels.png")  # the picker, all channels
        empty = failed_without_gold(lakehouse, Path(tmp) / "no_gold.duckdb")
        with running_dashboard(empty) as url, Chromium() as browser:
            browser.open(url, ready=lambda text: "no Gold yet" in text)
            browser.screenshot(out_dir / "dashboard_no_gold.png")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [*written, out_dir / "dashboard_channels.png", out_dir / "dashboard_no_gold.png"]


@contextlib.contextmanager
def running_dashboard(lakehouse: Path) -> Iterator[str]:
    """``ytlake dashboard`` in a subprocess on a free loopback port; yields its URL."""
    import socket
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "ytlake", "dashboard", "--lakehouse", str(lakehouse), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise RuntimeError("the dashboard exited at start")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=20)


def generate(out_dir: Path, with_screenshot: bool = True) -> list[Path]:
    out_dir = Path(out_dir)
    written = []
    for name, dot in (
        ("pipeline_graph.png", pipeline_dot()),
        ("data_model_erd.png", erd_dot()),
        ("architecture.png", architecture_dot()),
    ):
        _dot_to_png(dot, out_dir / name)
        written.append(out_dir / name)
    if with_screenshot:
        written += screenshot(out_dir)
    return written
