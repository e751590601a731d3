"""End to end: the installed console script, spawned over stdio by a real client."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from tests.conftest import DeploymentFactory

CONSOLE_SCRIPT = Path(sys.executable).parent / "prefect-schedule-mcp"


def stdio_client(api_url: str, **env: str) -> Client[Any]:
    # Clients hand stdio children a trimmed environment: pass what it needs.
    child_env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "PREFECT_HOME": os.environ["PREFECT_HOME"],
        "PREFECT_API_URL": api_url,
        **env,
    }
    return Client(
        StdioTransport(
            command=str(CONSOLE_SCRIPT), args=[], env=child_env, keep_alive=False
        )
    )


@pytest.mark.e2e
async def test_console_script_serves_the_contract_over_stdio(
    prefect_api_url: str, make_deployment: DeploymentFactory
) -> None:
    _, name = await make_deployment(name=f"stdio-{uuid.uuid4().hex[:6]}")
    async with stdio_client(prefect_api_url) as client:
        tools = {tool.name for tool in await client.list_tools()}
        assert len(tools) == 11

        created = await client.call_tool(
            "create_cron_schedule",
            {"deployment": name, "cron": "0 9 * * 1-5", "timezone": "America/New_York"},
        )
        schedule = created.structured_content["schedule"]  # type: ignore[index]
        assert schedule["type"] == "cron"
        assert schedule["timezone"] == "America/New_York"

        listed = await client.call_tool(
            "list_deployment_schedules", {"deployment": name}
        )
        schedules = listed.structured_content["schedules"]  # type: ignore[index]
        assert [s["id"] for s in schedules] == [schedule["id"]]

        failed = await client.call_tool(
            "list_deployment_schedules", {"deployment": "no/such"}, raise_on_error=False
        )
        assert failed.is_error
        assert "No deployment is named 'no/such'" in failed.content[0].text  # type: ignore[union-attr]

        dry = await client.call_tool(
            "cancel_flow_runs", {"states": ["Late"], "deployment": name}
        )
        assert dry.structured_content["dry_run"] is True  # type: ignore[index]


@pytest.mark.e2e
async def test_read_only_console_script(prefect_api_url: str) -> None:
    async with stdio_client(
        prefect_api_url, PREFECT_SCHEDULE_MCP_READ_ONLY="true"
    ) as client:
        tools = {tool.name for tool in await client.list_tools()}
        assert tools == {
            "list_deployments",
            "preview_schedule",
            "list_deployment_schedules",
            "list_flow_runs",
        }


@pytest.mark.e2e
async def test_no_api_configured_starts_an_embedded_server(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    transport = StdioTransport(
        command=str(CONSOLE_SCRIPT), args=[], env=env, keep_alive=False
    )
    async with Client(transport) as client:
        assert len(await client.list_tools()) == 11
        result = await client.call_tool("list_deployments", {})
        assert result.structured_content == {"deployments": [], "warnings": []}
    database = tmp_path / "prefect-home" / "prefect.db"
    assert database.exists()
    # The local server was stopped with the MCP server: its port is closed.
    log = (tmp_path / "prefect-home" / "prefect-schedule-mcp-server.log").read_text()
    port = int(re.findall(r"127\.0\.0\.1:(\d+)", log)[-1])
    assert await _port_closes(port), f"the local Prefect server on {port} still runs"


async def _port_closes(port: int, deadline: float = 20.0) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
        except OSError:
            return True
        await asyncio.sleep(0.2)
    return False
