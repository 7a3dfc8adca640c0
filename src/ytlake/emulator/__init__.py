"""The offline Google: OAuth token endpoint, YouTube Data API v3 and Analytics API v2.

Depends on nothing else in the package. ``World`` is the deterministic ground truth,
``create_app`` the HTTP face, ``running_emulator`` a context manager for tests and demo runs.
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
