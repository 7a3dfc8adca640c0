"""What the benchmark scripts share: a free port, the emulator in its own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
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


def _resident(process) -> int:
    """Memory a process holds: its proportional set size where the kernel gives it (Linux),
    so pages shared by forked workers are not counted twice in a tree's sum; else its RSS."""
    import psutil

    try:
        return process.memory_full_info().pss
    except (AttributeError, psutil.AccessDenied):
        return process.memory_info().rss


def measured(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> dict:
    """Run a command; wall seconds, CPU seconds and peak RSS of its whole process tree.

    The tree (a Spark run's JVM included) is sampled every 0.1 s with psutil: peak RSS is the
    largest sum over the tree's processes of their proportional set size (shared pages split
    between the processes sharing them, so forked workers are not counted twice). CPU is the larger of the kernel's figure for the
    command and the children it waited for (``wait4``) and the sampled sum over every process
    seen, so a child that outlives its parent's wait (the JVM) still counts. The command's
    stdout is returned as ``stdout`` (the child scripts print JSON there).
    """
    import psutil

    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    streams: dict[str, bytes] = {}
    state = {"peak": 0, "stop": False}
    cpu_seen: dict[int, float] = {}

    def read(name: str, pipe) -> None:
        streams[name] = pipe.read()

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while not state["stop"]:
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            rss = 0
            for p in tree:
                try:
                    with p.oneshot():
                        rss += _resident(p)
                        t = p.cpu_times()
                        cpu_seen[p.pid] = t.user + t.system
                except psutil.Error:
                    continue
            state["peak"] = max(state["peak"], rss)
            time.sleep(0.1)

    threads = [
        threading.Thread(target=read, args=("out", proc.stdout), daemon=True),
        threading.Thread(target=read, args=("err", proc.stderr), daemon=True),
        threading.Thread(target=sample, daemon=True),
    ]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    state["stop"] = True
    for t in threads:
        t.join()
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped here, not by Popen
    err = streams.get("err", b"").decode(errors="replace")
    return {
        "exit_code": code,
        "wall_s": round(wall, 2),
        "cpu_s": round(max(usage.ru_utime + usage.ru_stime, sum(cpu_seen.values())), 2),
        "peak_rss_mib": round(max(state["peak"], usage.ru_maxrss * 1024) / 2**20),
        "stdout": streams.get("out", b"").decode(errors="replace"),
        "stderr_tail": err[-500:] if code else "",
    }
