"""``python -m ytlake`` and the ``ytlake`` console script.

The command's modules take a moment to import; SIGINT or SIGTERM in that moment is one line
and exit 130 too (nothing has been written yet), not a traceback."""

from __future__ import annotations

import signal
import sys


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def entry() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        from ytlake.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("ytlake: error: interrupted while starting; nothing was written\n")
        return 130
    code = main()
    # the work is done and its status recorded: a signal now must not turn the exit code into
    # a death by signal while the interpreter shuts down
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
    return code


if __name__ == "__main__":
    raise SystemExit(entry())
