"""Write the reference datasets of the Lakeflow pipeline from their sources of truth.

- lakeflow/silver/dim_country_reference.sql  <- ISO 3166-1 from pycountry
- lakeflow/silver/dim_traffic_source.sql     <- lakeflow/reference/traffic_sources.csv
- lakeflow/silver/dim_device.sql             <- lakeflow/reference/device_types.csv
- lakeflow/silver/dim_playback_location.sql  <- lakeflow/reference/playback_locations.csv

Never edit those SQL files by hand: change the source and rerun
`uv run python scripts/generate_reference_sql.py`. A test checks that they are current.

Example: uv run python scripts/generate_reference_sql.py --check
"""

from __future__ import annotations

import argparse
import sys

from ytlake.lakeflow.reference import write_all


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.splitlines()[-1])
    p.add_argument("--check", action="store_true", help="exit 1 if a file is not current, write nothing")
    args = p.parse_args(argv)
    stale = write_all(check=args.check)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
