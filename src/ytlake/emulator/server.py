"""Run the emulator: in a background thread (tests, demo runs) or in the foreground (CLI)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import uvicorn

from ytlake.emulator.app import create_app
from ytlake.emulator.service import Emulator, EmulatorConfig
from ytlake.emulator.world import World, WorldConfig


@dataclass
class RunningEmulator:
    base_url: str
    emulator: Emulator

    @property
    def world(self) -> World:
        return self.emulator.world


def _server(emulator: Emulator) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(emulator), log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=30
    )
    return uvicorn.Server(config)


@contextlib.contextmanager
def running_emulator(
    world: WorldConfig | World | None = None,
    config: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Callable[[], float] = time.time,
) -> Iterator[RunningEmulator]:
    """Start the emulator on a free loopback port in a background thread (``clock``: the wall
    clock it reads: token lifetimes, Pacific quota days, the time of day on the world's clock)."""
    if not isinstance(world, World):
        world = World(world or WorldConfig())
    emulator = Emulator(world, config, clock=clock)
    server = _server(emulator)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    actual_port = sock.getsockname()[1]
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="ytlake-emulator"
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the emulator did not start")
        time.sleep(0.01)
    try:
        yield RunningEmulator(f"http://{host}:{actual_port}", emulator)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve_forever(world: World, config: EmulatorConfig, host: str, port: int) -> None:
    """Run in the foreground until interrupted (``ytlake emulator serve``)."""
    emulator = Emulator(world, config)
    server = _server(emulator)
    server.config.host, server.config.port = host, port
    server.run()
