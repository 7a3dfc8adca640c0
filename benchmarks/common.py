"""What the benchmark scripts share: a free port, the emulator in its own process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmulatorProcess:
    """`ytlake emulator serve` with the given flags, on a free loopback port."""

    def __init__(self, *flags: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ytlake", "emulator", "serve", "--port", str(self.port), *flags],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        for _ in range(600):
            try:
                httpx.get(f"{self.base}/emulator/stats", timeout=1)
                return
            except httpx.HTTPError:
                if self.proc.poll() is not None:
                    raise RuntimeError("the emulator exited at start") from None
                time.sleep(0.2)
        raise RuntimeError("the emulator did not start")

    def stats(self) -> dict:
        return httpx.get(f"{self.base}/emulator/stats", timeout=30).json()

    def token(self) -> str:
        return httpx.post(
            f"{self.base}/token",
            data={
                "grant_type": "refresh_token",
                "client_id": "ytlake-demo-client",
                "client_secret": "ytlake-demo-secret",
                "refresh_token": "ytlake-demo-refresh-token",
            },
        ).json()["access_token"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
