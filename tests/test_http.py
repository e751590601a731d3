"""Serving over streamable HTTP: bearer token, Host checks, refusing open binds."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport

from prefect_schedule_mcp.embedded import free_port

CONSOLE_SCRIPT = Path(sys.executable).parent / "prefect-schedule-mcp"
TOKEN = "s3cret-token-for-tests"
START_DEADLINE = 60.0
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw-test", "version": "0"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


def spawn(api_url: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
    child_env = {**os.environ, "PREFECT_API_URL": api_url, **env}
    return subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve", "--transport", "http", *args],
        env=child_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    end = time.monotonic() + START_DEADLINE
    async with httpx.AsyncClient() as http:
        while time.monotonic() < end:
            assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
            try:
                await http.get(f"http://127.0.0.1:{port}/mcp")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.2)
    raise AssertionError("the HTTP server did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def http_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
async def token_server(prefect_api_url: str, http_port: int) -> AsyncIterator[str]:
    process = spawn(
        prefect_api_url,
        "--port",
        str(http_port),
        "--allowed-host",
        "mcp.internal.example",
        PREFECT_SCHEDULE_MCP_AUTH_TOKEN=TOKEN,
    )
    try:
        await wait_listening(http_port, process)
        yield f"http://127.0.0.1:{http_port}/mcp"
    finally:
        stop(process)
        log = process.stderr.read().decode()  # type: ignore[union-attr]
        assert TOKEN not in log, "the token leaked into the log"


async def post(url: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **headers})


async def test_requests_without_or_with_a_wrong_token_get_401(
    token_server: str,
) -> None:
    assert (await post(token_server, {})).status_code == 401
    wrong = await post(token_server, {"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    right = await post(token_server, {"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200


async def test_foreign_host_or_origin_is_refused(token_server: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    evil_host = await post(token_server, {**auth, "Host": "evil.example"})
    assert 400 <= evil_host.status_code < 500
    evil_origin = await post(token_server, {**auth, "Origin": "http://evil.example"})
    assert 400 <= evil_origin.status_code < 500
    allowed = await post(token_server, {**auth, "Host": "mcp.internal.example"})
    assert allowed.status_code == 200


async def test_a_real_client_calls_tools_with_the_token(token_server: str) -> None:
    transport = StreamableHttpTransport(token_server, auth=TOKEN)
    async with Client(transport) as client:
        tools = {tool.name for tool in await client.list_tools()}
        assert "cancel_flow_runs" in tools
        result = await client.call_tool("preview_schedule", {"cron": "0 9 * * *"})
        assert len(result.structured_content["next_runs"]) == 10  # type: ignore[index]


def test_open_bind_without_a_token_is_refused(prefect_api_url: str) -> None:
    process = spawn(prefect_api_url, "--host", "0.0.0.0", "--port", str(free_port()))
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0
    message = err.decode()
    assert "PREFECT_SCHEDULE_MCP_AUTH_TOKEN" in message
    assert "Refusing to serve on 0.0.0.0" in message
