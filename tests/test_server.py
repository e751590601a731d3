"""The tool surface as a client sees it: names, annotations, defaults, errors."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastmcp import Client

from prefect_schedule_mcp.embedded import free_port
from prefect_schedule_mcp.server import build_server
from prefect_schedule_mcp.settings import Settings

READ_TOOLS = {
    "list_deployments",
    "preview_schedule",
    "list_deployment_schedules",
    "list_flow_runs",
}
WRITE_TOOLS = {
    "schedule_one_time_run",
    "create_interval_schedule",
    "create_cron_schedule",
    "create_rrule_schedule",
    "manage_deployment_schedules",
    "reschedule_late_flow_runs",
    "cancel_flow_runs",
}
DESTRUCTIVE = {
    "manage_deployment_schedules",
    "reschedule_late_flow_runs",
    "cancel_flow_runs",
}
DRY_RUN_BY_DEFAULT = {"reschedule_late_flow_runs", "cancel_flow_runs"}


async def test_eleven_tools_with_honest_annotations(mcp_client: Client[Any]) -> None:
    tools = {tool.name: tool for tool in await mcp_client.list_tools()}
    assert set(tools) == READ_TOOLS | WRITE_TOOLS

    for name, tool in tools.items():
        hints = tool.annotations
        assert hints is not None, name
        assert hints.title, name
        assert hints.read_only_hint is (name in READ_TOOLS), name
        assert hints.destructive_hint is (name in DESTRUCTIVE), name
        assert hints.idempotent_hint is not None, name
        assert tool.description, name
        assert tool.output_schema is not None, name


async def test_bulk_tools_default_to_dry_run(mcp_client: Client[Any]) -> None:
    tools = {tool.name: tool for tool in await mcp_client.list_tools()}
    for name in WRITE_TOOLS:
        properties = tools[name].input_schema["properties"]
        if name in DRY_RUN_BY_DEFAULT:
            assert properties["dry_run"]["default"] is True, name
        elif "dry_run" in properties:
            assert properties["dry_run"]["default"] is False, name


async def test_read_only_mode_offers_no_write_tool(prefect_api_url: str) -> None:
    server = build_server(Settings(read_only=True), api_url=prefect_api_url)
    async with Client(server) as client:
        names = {tool.name for tool in await client.list_tools()}
        assert names == READ_TOOLS
        result = await client.call_tool(
            "cancel_flow_runs", {"states": ["Late"]}, raise_on_error=False
        )
        assert result.is_error
        preview = await client.call_tool("preview_schedule", {"cron": "0 9 * * *"})
        assert len(preview.structured_content["next_runs"]) == 10  # type: ignore[index]


async def test_unreachable_api_fails_the_call_not_the_server() -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    server = build_server(Settings(call_timeout=5), api_url=url)
    async with Client(server) as client:
        assert len(await client.list_tools()) == len(READ_TOOLS | WRITE_TOOLS)
        result = await client.call_tool("list_deployments", {}, raise_on_error=False)
        assert result.is_error
        text = result.content[0].text  # type: ignore[union-attr]
        assert url in text
        assert "PREFECT_API_URL" in text
        assert "Traceback" not in text
        # The server still answers the calls that need no Prefect API.
        preview = await client.call_tool("preview_schedule", {"interval": "1h"})
        assert not preview.is_error


async def test_hanging_api_ends_in_a_clear_error_and_the_server_goes_on() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def never_answer(
        _: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        accepted.append(writer)

    hanging = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = hanging.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/api"
    server = build_server(Settings(call_timeout=4, request_timeout=1), api_url=url)
    try:
        async with Client(server) as client:
            started = time.monotonic()
            result = await client.call_tool(
                "list_deployments", {}, raise_on_error=False
            )
            elapsed = time.monotonic() - started
            assert result.is_error
            text = result.content[0].text  # type: ignore[union-attr]
            assert url in text
            assert "PREFECT_SCHEDULE_MCP_" in text
            assert elapsed < 30, f"the call hung for {elapsed:.0f} s"
            preview = await client.call_tool(
                "preview_schedule", {"cron": "*/5 * * * *"}
            )
            assert not preview.is_error
    finally:
        for writer in accepted:
            writer.close()
        hanging.close()


async def test_arguments_outside_the_schema_are_named_with_a_fix() -> None:
    server = build_server(Settings(), api_url=f"http://127.0.0.1:{free_port()}/api")
    async with Client(server) as client:
        cases = [
            ({"cron": "0 9 * * *", "count": 5000}, "count", "less than or equal"),
            ({"cron": ["0 9 * * *"]}, "cron", "valid string"),
            ({"cron": "0 9 * * *", "bogus": 1}, "bogus", "not a parameter"),
            # JSON true is not one second.
            ({"interval": True}, "interval", "(got True)"),
        ]
        for arguments, field, reason in cases:
            result = await client.call_tool(
                "preview_schedule", arguments, raise_on_error=False
            )
            assert result.is_error, arguments
            text = result.content[0].text  # type: ignore[union-attr]
            assert text.startswith("Invalid arguments for preview_schedule"), text
            assert field in text
            assert reason in text
            assert "errors.pydantic.dev" not in text
        numeric = await client.call_tool(
            "preview_schedule", {"interval": 3600, "count": 2}
        )
        assert numeric.structured_content["schedule"]["interval"] == 3600.0  # type: ignore[index]


async def test_a_slow_preview_holds_up_neither_other_calls_nor_its_deadline() -> None:
    # February 29 in the first ISO week never happens, but dateutil only
    # finds that out by walking to the year 9999: seconds of CPU.
    never = (
        "DTSTART:20250101T000000\nRRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29;"
        "BYWEEKNO=1;BYHOUR=0;BYMINUTE=0;BYSECOND=0"
    )
    server = build_server(
        Settings(call_timeout=1), api_url=f"http://127.0.0.1:{free_port()}/api"
    )
    async with Client(server) as client:
        await client.call_tool("preview_schedule", {"cron": "0 9 * * *"})
        slow = asyncio.create_task(
            client.call_tool(
                "preview_schedule", {"rrule": never, "count": 3}, raise_on_error=False
            )
        )
        await asyncio.sleep(0.1)
        quick = await client.call_tool("preview_schedule", {"cron": "*/5 * * * *"})
        assert not quick.is_error
        assert not slow.done(), "the quick call waited for the slow one"
        result = await slow
        assert result.is_error
        text = result.content[0].text  # type: ignore[union-attr]
        assert "did not finish within 1 s" in text
        # No Prefect API is involved: the message says what is slow instead.
        assert "take too long to compute" in text
        assert "Prefect API" not in text
