"""Put the job's credentials in a Databricks secret scope (created when missing).

Keys: yt_client_id, yt_client_secret, yt_refresh_token (from YT_*), dbt_host,
dbt_http_path, dbt_token (from DBT_DATABRICKS_*), read from the environment or .env.
No value is ever printed.

Example: uv run python scripts/bootstrap_youtube_secrets.py --profile dev --scope youtube-analytics
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from runbook import fail, guarded, parser

from ytlake.databricks_ops import put_secrets, workspace_client
from ytlake.settings import SECRET_SCOPE_KEYS, Secrets


def values_from_environment() -> dict[str, str]:
    env = Secrets()
    out = {}
    for key, var in SECRET_SCOPE_KEYS.items():
        value = getattr(env, var.lower())
        out[key] = value.get_secret_value() if hasattr(value, "get_secret_value") else (value or "")
    return out


def main(argv: list[str] | None = None, ws=None) -> int:
    args = parser(__doc__).parse_args(argv)
    values = values_from_environment()
    missing = [SECRET_SCOPE_KEYS[k] for k, v in values.items() if not v]
    if missing:
        return fail(f"missing {', '.join(missing)} in the environment or .env: set them (see .env.example)")

    def body() -> int:
        client = ws or workspace_client(args.profile)
        written = put_secrets(client, args.scope, values)
        print(f"secret scope {args.scope}: put {', '.join(written)}")
        return 0

    return guarded(body, secrets=values.values())


if __name__ == "__main__":
    sys.exit(main())
