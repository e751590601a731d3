"""Shared fixtures: one real Prefect server for the session, and MCP clients.

The Prefect server is ``prefect server start`` on a free loopback port with
its own PREFECT_HOME (a fresh SQLite database) and short service loops, so
that late runs and scheduler refills happen within seconds.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

# Before anything imports Prefect: a private home, no analytics, no ephemeral.
TEST_HOME = Path(tempfile.mkdtemp(prefix="psm-test-home-"))
os.environ["PREFECT_HOME"] = str(TEST_HOME)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.pop("PREFECT_API_KEY", None)
os.environ.pop("PREFECT_API_AUTH_STRING", None)

import pytest  # noqa: E402
from fastmcp import Client  # noqa: E402

from prefect_schedule_mcp.embedded import EmbeddedPrefectServer  # noqa: E402
from prefect_schedule_mcp.settings import Settings  # noqa: E402

# Seconds: how soon the test server marks a run Late and refills schedules.
SERVER_ENV = {
    "PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS": "1",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": "1",
    "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
    "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
}
START_TIMEOUT = 120.0


@pytest.fixture(scope="session")
async def prefect_api_url() -> AsyncIterator[str]:
    """A real Prefect server for the whole session."""
    server = EmbeddedPrefectServer(
        home=TEST_HOME / "server",
        start_timeout=START_TIMEOUT,
        extra_env=SERVER_ENV,
    )
    url = await server.start()
    os.environ["PREFECT_API_URL"] = url
    try:
        yield url
    finally:
        await server.stop()


@pytest.fixture(scope="session")
async def prefect_client(prefect_api_url: str) -> AsyncIterator[Any]:
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(prefect_api_url) as client:
        yield client


@pytest.fixture(scope="session")
async def mcp_client(prefect_api_url: str) -> AsyncIterator[Client[Any]]:
    """An in-process MCP client connected to the full server."""
    from prefect_schedule_mcp.server import build_server

    server = build_server(Settings(), api_url=prefect_api_url)
    async with Client(server) as client:
        yield client


DeploymentFactory = Callable[..., Awaitable[tuple[uuid.UUID, str]]]


@pytest.fixture
def make_deployment(prefect_client: Any) -> DeploymentFactory:
    """Create a fresh deployment; returns (id, 'flow/deployment')."""
    from prefect_schedule_mcp import sandbox

    async def make(
        flow: str | None = None, name: str | None = None, **kwargs: Any
    ) -> tuple[uuid.UUID, str]:
        suffix = uuid.uuid4().hex[:8]
        flow = flow or f"flow-{suffix}"
        name = name or f"deploy-{suffix}"
        deployment_id = await sandbox.create_deployment(
            prefect_client, flow, name, **kwargs
        )
        return deployment_id, f"{flow}/{name}"

    return make


async def call(client: Client[Any], tool: str, **arguments: Any) -> dict[str, Any]:
    """Call a tool that must succeed; returns its structured result."""
    result = await client.call_tool(tool, arguments, raise_on_error=False)
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    assert not result.is_error, f"{tool} failed: {text}"
    assert result.structured_content is not None
    return dict(result.structured_content)


async def call_error(client: Client[Any], tool: str, **arguments: Any) -> str:
    """Call a tool that must fail; returns the error text."""
    result = await client.call_tool(tool, arguments, raise_on_error=False)
    assert result.is_error, f"{tool} should have failed: {result.structured_content}"
    return str(result.content[0].text)  # type: ignore[union-attr]
