"""The guided demo, run as a user runs it: the installed console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from prefect_schedule_mcp.demo import TOOL_NAMES

CONSOLE_SCRIPT = Path(sys.executable).parent / "prefect-schedule-mcp"
DEMO_TIMEOUT = 300
# Nothing listens on the discard port: the demo must not use this URL.
UNREACHABLE_API = "http://127.0.0.1:9/api"


@pytest.mark.e2e
@pytest.mark.timeout(DEMO_TIMEOUT + 30)
def test_demo_walks_through_every_tool() -> None:
    env = dict(os.environ)
    env["PREFECT_API_URL"] = UNREACHABLE_API
    completed = subprocess.run(
        [str(CONSOLE_SCRIPT), "demo"],
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT,
        env=env,
        check=False,
    )
    out = completed.stdout
    assert completed.returncode == 0, (
        f"demo exited {completed.returncode}\n--- stdout (tail) ---\n"
        f"{out[-4000:]}\n--- stderr (tail) ---\n{completed.stderr[-4000:]}"
    )

    for tool in TOOL_NAMES:
        assert f"> {tool}(" in out, f"the transcript shows no call of {tool}"
    # The weekday 09:00 New York preview crosses the March DST change.
    assert "2025-03-07T09:00:00-05:00" in out
    assert "2025-03-10T09:00:00-04:00" in out
    assert "the preview warns about the DST gap" in out
    # The expected error names the bad zone and suggests the right one.
    assert "America/New_Yrok" in out
    assert "America/New_York" in out
    # The cron schedule's parameter overrides survive a pause and a resume.
    assert "its parameters survive the pause: {'x': 10}" in out
    assert "its parameters survive the resume: {'x': 10}" in out
    assert "4 Late runs are listed" in out
    assert "2 runs rescheduled, none deleted, none failed" in out
    assert "2 runs cancelled, none failed" in out
    assert "no Late run is left" in out
    assert UNREACHABLE_API not in out + completed.stderr
    assert f"all {len(TOOL_NAMES)} tools" in out
