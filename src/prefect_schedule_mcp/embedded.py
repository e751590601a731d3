"""A local Prefect server for when no Prefect API is configured.

Prefect's own "ephemeral" mode would start a server inside every process with a
20-second start-up limit that a cold machine misses. Instead we start one
``prefect server start`` child on a free loopback port, with its SQLite
database under ``PREFECT_HOME``, poll its health check with a generous
deadline, and stop it when we exit. Its log goes to a file, never to stdout,
which carries the MCP protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

logger = logging.getLogger(__name__)

HEALTH_POLL_INTERVAL = 0.25
STOP_GRACE_SECONDS = 10.0
LOG_TAIL_LINES = 20
LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def prefect_home() -> Path:
    """Where Prefect keeps its profile and database (``PREFECT_HOME``)."""
    return Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")).expanduser()


class EmbeddedServerError(RuntimeError):
    """The local Prefect server did not start."""


class EmbeddedPrefectServer:
    """One ``prefect server start`` child process on a loopback port.

    Args:
        home: ``PREFECT_HOME`` for the child (database and log file live there).
        port: the port to listen on; a free one when omitted.
        start_timeout: seconds to wait for ``/api/health``.
        extra_env: more environment for the child, e.g. shorter service loops.
    """

    def __init__(
        self,
        home: Path | None = None,
        port: int | None = None,
        start_timeout: float = 90.0,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.home = home or prefect_home()
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self.extra_env = dict(extra_env or {})
        self.log_path = self.home / "prefect-schedule-mcp-server.log"
        self._process: asyncio.subprocess.Process | None = None

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/api"

    def _child_env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            # The child is the API: it must not point at another one.
            if key not in {"PREFECT_API_URL", "PREFECT_API_KEY"}
        }
        env.update(
            PREFECT_HOME=str(self.home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_SERVER_UI_ENABLED="false",
            PREFECT_SERVER_API_HOST=LOOPBACK,
            PREFECT_SERVER_API_PORT=str(self.port),
        )
        env.update(self.extra_env)
        return env

    async def start(self) -> str:
        """Start the server and return its API URL once it is healthy."""
        self.home.mkdir(parents=True, exist_ok=True)
        logger.info(
            "Starting a local Prefect server on %s (database under %s)",
            self.api_url,
            self.home,
        )
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                LOOPBACK,
                "--port",
                str(self.port),
                "--no-ui",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=self._child_env(),
                start_new_session=True,
            )
        try:
            await self._wait_healthy()
        except BaseException:
            await self.stop()
            raise
        logger.info(
            "Local Prefect server ready at %s after %.1f s",
            self.api_url,
            time.monotonic() - started,
        )
        return self.api_url

    async def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        async with httpx.AsyncClient(timeout=2.0) as http:
            while True:
                assert self._process is not None
                if self._process.returncode is not None:
                    raise EmbeddedServerError(
                        "The local Prefect server exited with code "
                        f"{self._process.returncode} before it was ready. "
                        f"Its log ({self.log_path}) ends with:\n{self.log_tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    response = await http.get(f"{self.api_url}/health")
                    if response.status_code == httpx.codes.OK:
                        return
                if time.monotonic() > deadline:
                    raise EmbeddedServerError(
                        f"The local Prefect server at {self.api_url} did not answer "
                        f"its health check within {self.start_timeout:.0f} s. Raise "
                        "PREFECT_SCHEDULE_MCP_EMBEDDED_START_TIMEOUT, or set "
                        "PREFECT_API_URL to a running server. Log tail:\n"
                        f"{self.log_tail()}"
                    )
                await asyncio.sleep(HEALTH_POLL_INTERVAL)

    def log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-LOG_TAIL_LINES:])

    async def stop(self) -> None:
        """Stop the server and every process it started."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        logger.info("Stopping the local Prefect server at %s", self.api_url)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()

    async def __aenter__(self) -> EmbeddedPrefectServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
