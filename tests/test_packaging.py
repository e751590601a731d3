"""The wheel installs and runs in a fresh venv; client configurations are valid."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from prefect_schedule_mcp import __version__

ROOT = Path(__file__).resolve().parent.parent
CLIENT_CONFIGS = sorted((ROOT / "examples" / "clients").glob("*.json"))
SCRIPT = "prefect-schedule-mcp"
INSTALL_TIMEOUT = 900


@pytest.mark.parametrize("path", CLIENT_CONFIGS, ids=lambda p: p.name)
def test_client_configuration_is_ready_to_paste(path: Path) -> None:
    config = json.loads(path.read_text())
    servers = config.get("mcpServers") or config.get("servers")
    assert servers, f"{path.name} has no server table"
    for entry in servers.values():
        command = Path(entry["command"])
        if command.name == SCRIPT:
            # Clients do not search the user's PATH: the script's full path.
            assert command.is_absolute(), f"{path.name}: {command}"
        else:
            assert SCRIPT in entry["args"], path.name
        # Clients start stdio servers with a trimmed environment.
        assert "PREFECT_API_URL" in entry["env"]


def test_every_client_has_a_configuration() -> None:
    names = {path.name for path in CLIENT_CONFIGS}
    assert {"claude_desktop_config.json", "cursor_mcp.json", "vscode_mcp.json"} <= names


@pytest.mark.e2e
def test_wheel_installs_and_runs_in_a_fresh_venv(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=INSTALL_TIMEOUT,
    )
    wheels = list(dist.glob("prefect_schedule_mcp-*.whl"))
    assert len(wheels) == 1

    fresh = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(fresh)
    subprocess.run(
        [str(fresh / "bin" / "python"), "-m", "pip", "install", "-q", str(wheels[0])],
        check=True,
        capture_output=True,
        timeout=INSTALL_TIMEOUT,
    )
    version = subprocess.run(
        [str(fresh / "bin" / SCRIPT), "--version"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert version.stdout.strip() == __version__
    # The installed server answers an MCP handshake and lists its tools.
    listing = subprocess.run(
        [
            str(fresh / "bin" / "python"),
            "-c",
            "import asyncio, fastmcp\n"
            "from fastmcp.client.transports import StdioTransport\n"
            f"t = StdioTransport(command={str(fresh / 'bin' / SCRIPT)!r}, args=[],"
            " env={'PREFECT_API_URL': 'http://127.0.0.1:9/api'}, keep_alive=False)\n"
            "async def main():\n"
            "    async with fastmcp.Client(t) as c:\n"
            "        print(len(await c.list_tools()))\n"
            "asyncio.run(main())\n",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listing.stdout.strip().splitlines()[-1] == "11"
