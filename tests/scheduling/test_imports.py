"""Importing the scheduling package must not import Prefect (start-up time).

Pydantic and FastMCP's exceptions come in with the error classes; every server
process loads them anyway. Prefect and its date libraries must wait for the
first preview.
"""

import subprocess
import sys


def test_scheduling_import_is_light() -> None:
    code = (
        "import sys, prefect_schedule_mcp.scheduling as s; "
        "heavy = [m for m in sys.modules if m == 'prefect' or m.startswith("
        "('prefect.', 'whenever', 'pendulum'))]; "
        "print(heavy); assert not heavy"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
