"""Importing Prefect in the background, after the MCP client has its tool list.

Listing tools needs nothing of Prefect, and importing its client takes longer
than the rest of start-up together, so the server answers the handshake first.
Once the tool list has gone out, a daemon thread imports the Prefect modules
the tools use; the first call that needs Prefect awaits that thread instead of
importing on the event loop, which stays free to answer meanwhile. Python's
import lock makes a concurrent import of the same module wait for the thread,
so a call that arrives early costs no more than importing it itself.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import logging
import threading
import time

logger = logging.getLogger(__name__)

# What the first Prefect call imports: the client and its schemas, the
# settings loader, and the server's schedule classes that previews use.
PRELOAD_MODULES = (
    "prefect.settings",
    "prefect.exceptions",
    "prefect.client.orchestration",
    "prefect.client.schemas.actions",
    "prefect.client.schemas.filters",
    "prefect.client.schemas.sorting",
    "prefect.server.schemas.schedules",
)
# Clients send other list requests (resources, prompts) right after
# tools/list; the import holds the GIL for long stretches, so let those go
# first.
PRELOAD_DELAY_SECONDS = 0.5


class PrefectPreload:
    """One background import of :data:`PRELOAD_MODULES` per process."""

    def __init__(self, modules: tuple[str, ...] = PRELOAD_MODULES) -> None:
        self.modules = modules
        self._future: concurrent.futures.Future[None] | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._future is not None

    def start(self) -> concurrent.futures.Future[None]:
        """Start the import thread unless it has started; its future."""
        with self._lock:
            if self._future is None:
                self._future = concurrent.futures.Future()
                # Running: a caller that gives up waiting cannot cancel it.
                self._future.set_running_or_notify_cancel()
                threading.Thread(
                    target=self._run, name="prefect-preload", daemon=True
                ).start()
            return self._future

    def start_soon(self, delay: float = PRELOAD_DELAY_SECONDS) -> None:
        """Start the import ``delay`` seconds from now, on the running loop."""
        if not self.started:
            asyncio.get_running_loop().call_later(delay, self.start)

    async def wait(self) -> None:
        """Return once Prefect is imported, starting the import if need be."""
        future = self.start()
        if not future.done():
            await asyncio.wrap_future(future)
        future.result()

    def _run(self) -> None:
        assert self._future is not None
        began = time.perf_counter()
        try:
            for name in self.modules:
                importlib.import_module(name)
        except BaseException as e:
            self._future.set_exception(e)
            return
        elapsed_ms = (time.perf_counter() - began) * 1000
        logger.debug("Prefect imported in the background in %.0f ms", elapsed_ms)
        self._future.set_result(None)
