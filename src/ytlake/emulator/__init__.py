"""The offline Google: OAuth, YouTube Data API v3, Analytics API v2 and Reporting API v1.

Depends on nothing else in the package. ``World`` is the deterministic ground truth; each API
answers in its own module (``oauth``, ``data_api``, ``analytics``, ``reporting`` with
``reporting_files``), behind the shared front door ``service.Emulator``; ``create_app`` is the
HTTP face, ``running_emulator`` a context manager for tests and demo runs.
"""

from ytlake.emulator.world import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    World,
    WorldConfig,
    demo_refresh_token,
)

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "World",
    "WorldConfig",
    "demo_refresh_token",
]
