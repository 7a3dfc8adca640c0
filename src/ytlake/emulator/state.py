"""What calls change in the emulator, kept across restarts (``ytlake emulator serve --state``).

Google remembers what callers did: the quota a project spent today, the refresh tokens it
issued and revoked (and, with the Reporting API, the jobs it created). An emulator restarted
on the same state file (with a later ``--today``, say) remembers them too. The world itself
is not state: it is regenerated from its seed.

The file is JSON, written whole to a temporary file and renamed over the old one on every
change (a crash leaves the old state or the new, never half of one), readable by its owner
only (it holds refresh tokens, the emulator's own).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

VERSION = 1


class StateFileError(ValueError):
    """The state file cannot be used; the message names it and the fix."""


@dataclass
class EmulatorState:
    data_api_units: dict[date, Counter] = field(default_factory=dict)  # Pacific day -> endpoint units
    analytics_requests: dict[date, int] = field(default_factory=dict)  # Pacific day -> requests
    refresh_tokens: dict[str, tuple[int, frozenset[str]]] | None = None  # None: the world's defaults
    consented: set[tuple[str, int]] = field(default_factory=set)  # (client, channel) that consented
    reporting_jobs: list[dict[str, Any]] = field(default_factory=list)  # Reporting API jobs
    reporting_requests: dict[date, int] = field(default_factory=dict)  # Pacific day -> requests

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "data_api_units": {d.isoformat(): dict(c) for d, c in sorted(self.data_api_units.items())},
            "analytics_requests": {d.isoformat(): n for d, n in sorted(self.analytics_requests.items())},
            "refresh_tokens": None
            if self.refresh_tokens is None
            else {t: [ch, sorted(scopes)] for t, (ch, scopes) in sorted(self.refresh_tokens.items())},
            "consented": sorted([c, ch] for c, ch in self.consented),
            "reporting_jobs": self.reporting_jobs,
            "reporting_requests": {d.isoformat(): n for d, n in sorted(self.reporting_requests.items())},
        }

    @classmethod
    def from_json(cls, doc: Any) -> EmulatorState:
        if not isinstance(doc, dict) or doc.get("version") != VERSION:
            raise ValueError(f"not a version-{VERSION} emulator state")
        tokens = doc.get("refresh_tokens")
        return cls(
            data_api_units={
                date.fromisoformat(d): Counter({k: int(v) for k, v in c.items()})
                for d, c in (doc.get("data_api_units") or {}).items()
            },
            analytics_requests={
                date.fromisoformat(d): int(n) for d, n in (doc.get("analytics_requests") or {}).items()
            },
            refresh_tokens=None
            if tokens is None
            else {t: (int(ch), frozenset(scopes)) for t, (ch, scopes) in tokens.items()},
            consented={(str(c), int(ch)) for c, ch in doc.get("consented") or []},
            reporting_jobs=[_job(j) for j in doc.get("reporting_jobs") or []],
            reporting_requests={
                date.fromisoformat(d): int(n) for d, n in (doc.get("reporting_requests") or {}).items()
            },
        )


def _job(doc: Any) -> dict[str, Any]:
    """A Reporting API job as saved; ValueError unless it has every field, well typed."""
    fields = {"id": str, "reportTypeId": str, "name": str, "createTime": str, "channelIndex": int}
    if not isinstance(doc, dict) or any(not isinstance(doc.get(k), t) for k, t in fields.items()):
        raise ValueError(f"a reporting job is not {sorted(fields)}")
    datetime.fromisoformat(doc["createTime"].replace("Z", "+00:00"))
    return doc


def load(path: Path) -> EmulatorState:
    """The state saved at ``path`` (an empty state when the file does not exist yet)."""
    path = Path(path)
    if not path.exists():
        return EmulatorState()
    try:
        return EmulatorState.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise StateFileError(
            f"--state {path} is not an emulator state file ({first}): give another path, "
            "or remove it to start with a fresh state"
        ) from None


def save(path: Path, state: EmulatorState) -> None:
    """Write ``state`` to ``path`` atomically (owner-only)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(state.to_json(), f, separators=(",", ":"))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
