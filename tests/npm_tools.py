"""MCP clients from npm, installed on demand into an ignored cache folder.

Each tool is pinned to an exact version and installed once into
``.cache/npm-tools/<name>-<version>/`` with ``npm install --prefix``; later
runs find it there and start at once. The install goes to a scratch folder
first and is renamed into place when it succeeded, so an interrupted install
never looks finished.

When npm is missing or the registry cannot be reached, the tests that need a
tool are skipped with the reason. Set ``PREFECT_SCHEDULE_MCP_REQUIRE_NPM_TOOLS=1``
(in CI, say) to make that a failure instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "npm-tools"
INSTALL_TIMEOUT = 900.0
REQUIRE_ENV = "PREFECT_SCHEDULE_MCP_REQUIRE_NPM_TOOLS"
# npm error codes that mean "no registry here", not "the pin is wrong".
OFFLINE_MARKERS = (
    "ENOTFOUND",
    "EAI_AGAIN",
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "network request",
    "request to https://",
)


@dataclass(frozen=True)
class NpmTool:
    """An npm package at an exact version, and the file to run inside it."""

    package: str
    version: str
    entry: str  # relative to the install's node_modules

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def folder(self) -> Path:
        name = self.package.lstrip("@").replace("/", "-")
        return CACHE / f"{name}-{self.version}"

    @property
    def path(self) -> Path:
        return self.folder / "node_modules" / self.entry


# The Inspector's CLI mode; its launcher dispatches to the CLI in-process.
INSPECTOR = NpmTool(
    "@modelcontextprotocol/inspector",
    "2.12.0",
    "@modelcontextprotocol/inspector/clients/launcher/build/index.js",
)
# The official conformance suite; it needs Node 22 (fs.globSync and friends).
CONFORMANCE = NpmTool(
    "@modelcontextprotocol/conformance",
    "0.1.16",
    "@modelcontextprotocol/conformance/dist/index.js",
)
# Node 22 as an npm package: its install script fetches the real binary.
NODE_22 = NpmTool("node", "22.23.3", "node/bin/node")


def unavailable(reason: str) -> NoReturn:
    """Skip the calling test, or fail it when the tools are required."""
    if os.environ.get(REQUIRE_ENV, "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (and {REQUIRE_ENV} is set)", pytrace=False)
    pytest.skip(reason)


def npm_executable() -> str:
    npm = shutil.which("npm")
    if npm is None:
        unavailable("npm is not installed: cannot fetch MCP clients from npm")
    return npm


def install(tool: NpmTool) -> Path:
    """The tool's entry file, installing the pinned version if not cached."""
    if tool.path.exists():
        return tool.path
    npm = npm_executable()
    CACHE.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{tool.folder.name}-", dir=CACHE))
    try:
        command = [
            npm,
            "install",
            "--prefix",
            str(scratch),
            "--no-audit",
            "--no-fund",
            "--no-update-notifier",
            "--save-exact",
            tool.spec,
        ]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            unavailable(
                f"npm install {tool.spec} took over {INSTALL_TIMEOUT:.0f} s: "
                "is the npm registry reachable?"
            )
        output = done.stdout + done.stderr
        if done.returncode != 0:
            tail = "\n".join(output.strip().splitlines()[-15:])
            offline = [
                line
                for line in output.splitlines()
                if any(marker in line for marker in OFFLINE_MARKERS)
            ]
            if offline:
                unavailable(f"npm registry unavailable for {tool.spec}: {offline[0]}")
            raise AssertionError(f"npm install {tool.spec} failed:\n{tail}")
        if not (scratch / "node_modules" / tool.entry).exists():
            raise AssertionError(
                f"npm installed {tool.spec} but {tool.entry} is missing:\n{output}"
            )
        try:
            scratch.rename(tool.folder)
        except OSError:
            # Another run installed it meanwhile: use theirs.
            if not tool.path.exists():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return tool.path


def system_node() -> str:
    """This machine's ``node``, which the Inspector runs on."""
    node = shutil.which("node")
    if node is None:
        unavailable("node is not installed: cannot run the MCP Inspector")
    return node


def node_22() -> Path:
    """A Node 22 binary from npm, checked to run."""
    node = install(NODE_22)
    done = subprocess.run(
        [str(node), "--version"], capture_output=True, text=True, timeout=60
    )
    version = done.stdout.strip()
    if done.returncode != 0 or not version.startswith("v22."):
        raise AssertionError(
            f"{node} is not a working Node 22 ({version or done.stderr.strip()}); "
            f"delete {NODE_22.folder} and run again"
        )
    return node
