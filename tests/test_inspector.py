"""The MCP Inspector's command-line mode drives the console script over stdio.

The Inspector is a client nobody here wrote: it starts
``prefect-schedule-mcp`` itself, lists the tools and calls them, and prints
the JSON-RPC result on stdout. It runs on this machine's ``node``; the pinned
package is installed once into ``.cache/npm-tools`` (see ``tests/npm_tools.py``).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests import npm_tools
from tests.conftest import DeploymentFactory

pytestmark = pytest.mark.e2e

CONSOLE_SCRIPT = Path(sys.executable).parent / "prefect-schedule-mcp"
# Nothing listens on the discard port: fine for calls that need no Prefect.
UNREACHABLE_API = "http://127.0.0.1:9/api"
RUN_TIMEOUT = 120.0
TOOLS = {
    "list_deployments",
    "preview_schedule",
    "schedule_one_time_run",
    "create_interval_schedule",
    "create_cron_schedule",
    "create_rrule_schedule",
    "list_deployment_schedules",
    "manage_deployment_schedules",
    "list_flow_runs",
    "reschedule_late_flow_runs",
    "cancel_flow_runs",
}


@dataclass
class InspectorRun:
    returncode: int
    result: dict[str, Any]
    stderr: str


@pytest.fixture(scope="module")
def inspector() -> Path:
    return npm_tools.install(npm_tools.INSPECTOR)


@pytest.fixture
def inspector_home(tmp_path: Path) -> Path:
    # The Inspector keeps a catalog and secrets under ~/.mcp-inspector:
    # give it a home of its own, not the user's.
    home = tmp_path / "inspector-home"
    home.mkdir()
    return home


def run_inspector(
    inspector: Path, home: Path, api_url: str, *method: str
) -> InspectorRun:
    """One Inspector CLI call against a freshly spawned console script.

    The server command comes first: ``--tool-arg`` takes every word after it.
    """
    command = [
        npm_tools.system_node(),
        str(inspector),
        "--cli",
        str(CONSOLE_SCRIPT),
        "-e",
        f"PREFECT_API_URL={api_url}",
        "-e",
        f"PREFECT_HOME={os.environ['PREFECT_HOME']}",
        *method,
    ]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home)}
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(
            f"the Inspector printed no JSON (exit {done.returncode}):\n"
            f"stdout: {done.stdout}\nstderr: {done.stderr}"
        ) from e
    return InspectorRun(done.returncode, result, done.stderr)


def call_tool(
    inspector: Path, home: Path, api_url: str, tool: str, **arguments: str
) -> InspectorRun:
    pairs = [f"{key}={value}" for key, value in arguments.items()]
    method = ["--method", "tools/call", "--tool-name", tool]
    if pairs:
        method += ["--tool-arg", *pairs]
    return run_inspector(inspector, home, api_url, *method)


def test_inspector_lists_the_eleven_tools(
    inspector: Path, inspector_home: Path
) -> None:
    run = run_inspector(
        inspector, inspector_home, UNREACHABLE_API, "--method", "tools/list"
    )
    assert run.returncode == 0, run.stderr
    tools = run.result["tools"]
    assert {tool["name"] for tool in tools} == TOOLS
    assert len(tools) == len(TOOLS)
    for tool in tools:
        assert tool["description"], tool["name"]
        assert tool["inputSchema"]["type"] == "object", tool["name"]
        assert tool["outputSchema"]["type"] == "object", tool["name"]


def test_inspector_calls_preview_schedule(
    inspector: Path, inspector_home: Path
) -> None:
    run = call_tool(
        inspector,
        inspector_home,
        UNREACHABLE_API,
        "preview_schedule",
        cron="0 9 * * 1-5",
        timezone="America/New_York",
    )
    assert run.returncode == 0, run.stderr
    assert run.result.get("isError") is not True, run.result
    preview = run.result["structuredContent"]
    assert preview["timezone"] == "America/New_York"
    runs = [datetime.fromisoformat(text) for text in preview["next_runs"]]
    assert len(runs) == 10
    assert runs == sorted(set(runs))
    for when in runs:
        # 09:00 New York time on a weekday, in winter (EST) or summer (EDT).
        assert (when.hour, when.minute) == (9, 0), when
        assert when.weekday() < 5, when
        assert when.utcoffset() in (timedelta(hours=-5), timedelta(hours=-4)), when


def test_inspector_sees_a_tool_error(inspector: Path, inspector_home: Path) -> None:
    run = call_tool(
        inspector,
        inspector_home,
        UNREACHABLE_API,
        "preview_schedule",
        cron="61 9 * * *",
    )
    assert run.returncode != 0
    assert run.result["isError"] is True
    assert "Invalid cron '61 9 * * *'" in run.result["content"][0]["text"]


async def test_inspector_lists_a_deployment_from_prefect(
    inspector: Path,
    inspector_home: Path,
    prefect_api_url: str,
    make_deployment: DeploymentFactory,
) -> None:
    deployment_id, name = await make_deployment()
    run = await asyncio.to_thread(
        call_tool,
        inspector,
        inspector_home,
        prefect_api_url,
        "list_deployments",
        search=name.split("/")[1],
    )
    assert run.returncode == 0, run.stderr
    found = run.result["structuredContent"]["deployments"]
    assert [(d["id"], d["name"]) for d in found] == [(str(deployment_id), name)]
