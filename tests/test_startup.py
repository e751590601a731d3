"""Start-up: the tool list comes without Prefect, which loads in the background."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# Runs in a fresh interpreter: the test process has imported Prefect already.
PROBE = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from fastmcp import Client
    from prefect_schedule_mcp.server import build_server
    from prefect_schedule_mcp.settings import Settings

    def loaded(name):
        return name in sys.modules

    async def main():
        server = build_server(Settings(), api_url="http://127.0.0.1:9/api")
        async with Client(server) as client:
            tools = await client.list_tools()
            listed = [m for m in sys.modules if m.split(".")[0] == "prefect"]
            deadline = time.monotonic() + 60
            while not loaded("prefect.client.orchestration"):
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            preloaded = loaded("prefect.client.orchestration")
            preview = await client.call_tool(
                "preview_schedule", {"cron": "0 9 * * 1-5", "count": 2}
            )
        print(json.dumps({
            "tools": len(tools),
            "prefect_after_list": listed,
            "preloaded": preloaded,
            "preview": preview.structured_content["next_runs"],
        }))

    asyncio.run(main())
    """
)


def test_tools_are_listed_before_prefect_is_imported() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["tools"] >= 3
    assert report["prefect_after_list"] == []
    # Then it loads without any call asking for it, and the tools work.
    assert report["preloaded"] is True
    assert len(report["preview"]) == 2
