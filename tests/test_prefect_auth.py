"""Prefect's own authentication, as self-hosted users have it (basic auth)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from prefect_schedule_mcp.embedded import EmbeddedPrefectServer
from tests.conftest import START_TIMEOUT
from tests.test_stdio import CONSOLE_SCRIPT

AUTH_STRING = "admin:correct-horse"


@pytest.fixture(scope="module")
async def guarded_api_url(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[str]:
    """A second Prefect server that demands basic auth."""
    server = EmbeddedPrefectServer(
        home=tmp_path_factory.mktemp("guarded-prefect"),
        start_timeout=START_TIMEOUT,
        extra_env={"PREFECT_SERVER_API_AUTH_STRING": AUTH_STRING},
    )
    # The health check is open; everything else needs the auth string.
    await server.start()
    try:
        yield server.api_url
    finally:
        await server.stop()


def client_for(api_url: str, home: Path, **env: str) -> Client[Any]:
    child_env = {
        "PATH": os.environ.get("PATH", ""),
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        **env,
    }
    return Client(
        StdioTransport(
            command=str(CONSOLE_SCRIPT), args=[], env=child_env, keep_alive=False
        )
    )


@pytest.mark.e2e
async def test_auth_string_is_sent(guarded_api_url: str, tmp_path: Path) -> None:
    async with client_for(
        guarded_api_url, tmp_path, PREFECT_API_AUTH_STRING=AUTH_STRING
    ) as client:
        result = await client.call_tool("list_deployments", {})
        assert result.structured_content == {"deployments": [], "warnings": []}


@pytest.mark.e2e
async def test_missing_or_wrong_auth_string_is_explained(
    guarded_api_url: str, tmp_path: Path
) -> None:
    for env in ({}, {"PREFECT_API_AUTH_STRING": "admin:wrong"}):
        async with client_for(guarded_api_url, tmp_path, **env) as client:
            result = await client.call_tool(
                "list_deployments", {}, raise_on_error=False
            )
            assert result.is_error
            text = result.content[0].text  # type: ignore[union-attr]
            assert "PREFECT_API_AUTH_STRING" in text
            assert guarded_api_url in text
            assert "correct-horse" not in text
