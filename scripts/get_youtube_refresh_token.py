"""Get a YouTube refresh token with the installed-app OAuth flow (PKCE, read-only scopes).

The same as `ytlake auth`. Reads YT_CLIENT_ID / YT_CLIENT_SECRET from the environment or
.env and writes YT_REFRESH_TOKEN to .env (mode 0600), or prints it with --print.

Example: uv run python scripts/get_youtube_refresh_token.py --env-file .env
"""

from __future__ import annotations

import sys

from ytlake.cli import main

if __name__ == "__main__":
    if any(a in ("-h", "--help") for a in sys.argv[1:]):
        print(__doc__)
    sys.exit(main(["auth", *sys.argv[1:]]))
