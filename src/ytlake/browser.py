"""Headless Chromium driven over the DevTools protocol: open a page, wait until its text
says it rendered, read the text, take a screenshot. Used by ``ytlake docs`` and the
dashboard's end-to-end test (Debian's ``chromium``; nothing is downloaded)."""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--hide-scrollbars",
    # the same pixels every time: one raster thread over whole tiles, no hinting, one colour
    # profile (without these, widget edges varied by one level in a few pixels between runs)
    "--num-raster-threads=1",
    "--disable-partial-raster",
    "--disable-skia-runtime-opts",
    "--font-render-hinting=none",
    "--force-color-profile=srgb",
    "--run-all-compositor-stages-before-draw",
    "--window-size=1400,1000",
    "--remote-debugging-port=0",
]


#: Plotly's drawn axes of type "category", each with the number of categories and of the
#: non-empty tick labels drawn for it.
UNLABELLED_CATEGORIES = """(() => {
  const out = [];
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const layout = gd._fullLayout;
    if (!layout) continue;
    for (const key of Object.keys(layout)) {
      const ax = layout[key];
      if (!/^[xy]axis[0-9]*$/.test(key) || !ax || ax.type !== 'category' || !ax.visible) continue;
      const labels = [...gd.querySelectorAll('.' + ax._id + 'tick text')].filter(t => t.textContent.trim());
      const categories = (ax._categories || []).length;
      if (labels.length < categories) {
        const chart = (layout.title && layout.title.text) || '';
        out.push({chart, axis: key, categories, labelled: labels.length});
      }
    }
  }
  return out;
})()"""


#: Still the page for a screenshot: blur the focused field, hide carets, stop transitions.
STILL = (
    "(() => { const a = document.activeElement; if (a && a.blur) a.blur();"
    " if (!document.getElementById('ytlake-still')) { const s = document.createElement('style');"
    " s.id = 'ytlake-still'; s.textContent = '*, *::before, *::after { caret-color: transparent"
    " !important; animation: none !important; transition: none !important; }';"
    " document.head.appendChild(s); } return true; })()"
)


#: Whether the page has settled: Streamlit is not rerunning (its status widget is gone) and
#: every Plotly chart it placed is drawn, at its container's width, with no transition under way.
SETTLED = """(() => {
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  const plots = document.querySelectorAll('.js-plotly-plot');
  if (plots.length < document.querySelectorAll('[data-testid="stPlotlyChart"]').length) return false;
  for (const gd of plots) {
    const layout = gd._fullLayout;
    if (!layout || gd._transitioning || gd._transitionData && gd._transitionData._interruptCallbacks
        && gd._transitionData._interruptCallbacks.length) return false;
    if (Math.abs(layout.width - gd.getBoundingClientRect().width) > 1) return false;
  }
  return true;
})()"""


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    def __init__(self, executable: str | None = None) -> None:
        self.executable = executable or chromium_path()
        if not self.executable:
            raise RuntimeError("Chromium is not installed: apt-get install chromium")

    def __enter__(self) -> Chromium:
        from websockets.sync.client import connect

        self._tmp = tempfile.TemporaryDirectory(
            ignore_cleanup_errors=True
        )  # Chromium helpers may still write
        self.proc = subprocess.Popen(
            [self.executable, *FLAGS, f"--user-data-dir={self._tmp.name}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self._tmp.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("Chromium did not start")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        pages = [t for t in httpx.get(f"http://127.0.0.1:{port}/json/list").json() if t["type"] == "page"]
        self.ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        self._ids = itertools.count(1)
        return self

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self._ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def open(self, url: str, ready: Callable[[str], bool], timeout_s: float = 60) -> str:
        """Navigate and wait until ``ready(page text)``; returns the page text."""
        self.call("Page.navigate", url=url)
        return self.wait_for(ready, timeout_s)

    def click_label(self, text: str) -> None:
        """Click the first ``<label>`` whose text is ``text`` (a Streamlit radio option)."""
        found = self.call(
            "Runtime.evaluate",
            expression=(
                "(() => { const l = [...document.querySelectorAll('label')]"
                f".find(e => e.innerText.trim() === {json.dumps(text)}); if (l) l.click(); return !!l; }})()"
            ),
        )
        if not found.get("result", {}).get("value"):
            raise LookupError(f"no label {text!r} on the page")

    def heading(self) -> str:
        """The text of the page's first ``<h1>`` or ``<h2>`` (a Streamlit page's header)."""
        result = self.call(
            "Runtime.evaluate",
            expression="(() => { const h = document.querySelector('section.main h1, section.main h2, "
            '[data-testid="stMain"] h1, [data-testid="stMain"] h2\'); return h ? h.innerText : \'\'; })()',
        )
        return (result.get("result", {}).get("value", "") or "").strip()

    def text(self) -> str:
        result = self.call("Runtime.evaluate", expression="document.body ? document.body.innerText : ''")
        return result.get("result", {}).get("value", "") or ""

    def wait_for(self, ready: Callable[[str], bool], timeout_s: float = 60) -> str:
        """Wait until ``ready(page text)`` (a rerun after a click); returns the page text."""
        deadline = time.monotonic() + timeout_s
        text = ""
        while time.monotonic() < deadline:
            text = self.text()
            if ready(text):
                # a rerun's status widget shows a moment after it starts: a short pause first,
                # then the page settled (no rerun under way, the charts laid out)
                time.sleep(0.5)
                self.settle(max(deadline - time.monotonic(), 1.0))
                return self.text()
            time.sleep(0.3)
        raise TimeoutError(f"the page did not render in {timeout_s:.0f} s; it shows: {text[:200]!r}")

    def settle(self, timeout_s: float = 10) -> bool:
        """Wait until the page has settled (``SETTLED``: no rerun under way, every chart laid
        out at its width); False if it did not within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while not self.evaluate(SETTLED):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"the page's script failed: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    def unlabelled_categories(self) -> list[dict[str, Any]]:
        """Each Plotly chart axis of categories (countries, sources, devices) that labels fewer
        categories than it draws: its chart's title, the axis, and both counts."""
        return self.evaluate(UNLABELLED_CATEGORIES) or []

    def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the Streamlit select box labelled ``label`` (a sidebar picker)."""
        opened = self.evaluate(  # Streamlit's select box: a combo box whose button opens the list
            "(() => { const box = [...document.querySelectorAll('input[role=\"combobox\"]')]"
            f".find(b => b.getAttribute('aria-label') === {json.dumps(label)});"
            " const open = box && box.parentElement.querySelector('button');"
            " if (open) open.click(); return !!open; })()"
        )
        if not opened:
            raise LookupError(f"no select box {label!r} on the page")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.evaluate(
                "(() => { const o = [...document.querySelectorAll('[role=\"option\"]')]"
                f".find(e => e.innerText.trim() === {json.dumps(option)});"
                " if (o) o.click(); return !!o; })()"
            ):
                return
            time.sleep(0.2)
        raise LookupError(f"no option {option!r} in {label!r}")

    def table_rows(self) -> list[list[str]]:
        """The rows of the page's first table (Streamlit's grid draws on a canvas; its
        accessible copy holds the cells' text)."""
        return self.evaluate(
            "[...document.querySelectorAll('[data-testid=\"stDataFrame\"] tbody tr')]"
            ".map(r => [...r.querySelectorAll('td')].map(c => c.textContent))"
        )

    def click_table_row(self, index: int, row_height: float = 35) -> None:
        """Click row ``index`` (0: the first under the header) of the page's first table on
        its selection box, as a mouse does: the grid is a canvas, one row every 35 px."""
        left, top = self.evaluate(
            "(() => { const r = document.querySelector('[data-testid=\"stDataFrame\"] canvas')"
            ".getBoundingClientRect(); return [r.left, r.top]; })()"
        )
        x, y = left + 15, top + row_height * (index + 1) + row_height / 2
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self, path: Path, agreeing: int = 3, tries: int = 30) -> None:
        """The page as a PNG, the same bytes each time: no focused field (its caret blinks), no
        transition, the mouse on the empty header (no hover toolbar), the page settled (no rerun
        under way, every chart laid out at its width), and captured until ``agreeing`` captures
        in a row, 0.4 s apart, agree (a chart still laying out its axes changes between them)."""
        self.evaluate(STILL)
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=700, y=2)  # the empty header
        data, same = "", 0
        for _ in range(tries):
            time.sleep(0.4)
            if not self.settle(0):
                same = 0
                continue
            capture = self.call("Page.captureScreenshot", format="png")["data"]
            same = same + 1 if capture == data else 1
            data = capture
            if same >= agreeing:
                break
        data = data or self.call("Page.captureScreenshot", format="png")["data"]  # never settled
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(base64.b64decode(data))

    def __exit__(self, *exc: object) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self._tmp.cleanup()
