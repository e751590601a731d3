"""The background import of Prefect: once, awaited without blocking the loop."""

from __future__ import annotations

import asyncio
import sys

import pytest

from prefect_schedule_mcp.preload import PrefectPreload


async def test_wait_imports_once_and_returns() -> None:
    preload = PrefectPreload(("json", "decimal"))
    assert not preload.started
    await asyncio.gather(preload.wait(), preload.wait())
    assert preload.started
    assert preload.start() is preload.start()
    assert "decimal" in sys.modules


async def test_start_soon_starts_later_on_the_loop() -> None:
    preload = PrefectPreload(("json",))
    preload.start_soon(delay=0.01)
    assert not preload.started
    deadline = asyncio.get_running_loop().time() + 10
    while not preload.started:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    await preload.wait()


async def test_an_import_failure_reaches_every_caller() -> None:
    preload = PrefectPreload(("json", "prefect_schedule_mcp_no_such_module"))
    for _ in range(2):
        with pytest.raises(ModuleNotFoundError):
            await preload.wait()


async def test_a_caller_that_gives_up_does_not_cancel_the_import() -> None:
    preload = PrefectPreload(("json",))
    waiter = asyncio.create_task(preload.wait())
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await preload.wait()
