"""The official MCP conformance suite against our streamable HTTP transport.

``@modelcontextprotocol/conformance`` (pinned, run on Node 22 from npm; see
``tests/npm_tools.py``) plays a client against ``prefect-schedule-mcp serve
--transport http``. Every server scenario runs, the pending ones too. Those
that need the suite's reference tools, resources or prompts are listed in
``tests/conformance/expected-failures.txt`` with a reason; each of them must
still fail, and every other scenario must pass, DNS rebinding included.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from prefect_schedule_mcp.embedded import free_port
from tests import npm_tools

pytestmark = pytest.mark.e2e

CONSOLE_SCRIPT = Path(sys.executable).parent / "prefect-schedule-mcp"
EXPECTED_FAILURES = Path(__file__).parent / "conformance" / "expected-failures.txt"
# No scenario reaches Prefect; an unreachable API keeps the run independent.
UNREACHABLE_API = "http://127.0.0.1:9/api"
START_DEADLINE = 60.0
SUITE_TIMEOUT = 240.0
RESULT_DIR = re.compile(
    r"^server-(?P<scenario>.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$"
)
LISTED_SCENARIO = re.compile(r"^\s*-\s+(?P<scenario>[a-z0-9-]+)\b", re.MULTILINE)


def read_expected_failures(path: Path = EXPECTED_FAILURES) -> dict[str, str]:
    """Scenario name -> the reason it is expected to fail."""
    expected: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        scenario, _, reason = line.partition("#")
        scenario, reason = scenario.strip(), reason.strip()
        assert re.fullmatch(r"[a-z0-9-]+", scenario), f"{path}:{number}: {line!r}"
        assert reason, f"{path}:{number}: {scenario} needs a reason after '#'"
        assert scenario not in expected, f"{path}:{number}: {scenario} twice"
        expected[scenario] = reason
    return expected


@dataclass
class Scenario:
    name: str
    checks: list[dict[str, Any]]

    @property
    def passed(self) -> bool:
        # As the suite's own baseline check: a warning is not a pass either.
        statuses = {check["status"] for check in self.checks}
        return "SUCCESS" in statuses and not statuses & {"FAILURE", "WARNING"}

    def problems(self) -> str:
        found = [
            f"{check['id']} {check['status']}: {check.get('errorMessage', '')}"
            for check in self.checks
            if check["status"] in ("FAILURE", "WARNING")
        ]
        return "; ".join(found)


@dataclass
class SuiteRun:
    returncode: int
    output: str
    scenarios: dict[str, Scenario] = field(default_factory=dict)

    def table(self, expected: dict[str, str]) -> str:
        lines = []
        for name, scenario in sorted(self.scenarios.items()):
            if scenario.passed and name in expected:
                verdict = "PASS, but listed as expected to fail"
            elif scenario.passed:
                verdict = "PASS"
            elif name in expected:
                verdict = f"expected failure: {expected[name]}"
            else:
                verdict = f"FAIL: {scenario.problems()}"
            lines.append(f"{name:32} {verdict}")
        passed = sum(s.passed for s in self.scenarios.values())
        lines.append(f"{passed} of {len(self.scenarios)} scenarios passed")
        return "\n".join(lines)


@pytest.fixture(scope="module")
def conformance() -> list[str]:
    """The command that runs the suite: Node 22 and the suite's entry file."""
    entry = npm_tools.install(npm_tools.CONFORMANCE)
    return [str(npm_tools.node_22()), str(entry)]


@pytest.fixture(scope="module")
def server_scenarios(conformance: list[str]) -> list[str]:
    done = subprocess.run(
        [*conformance, "list", "--server"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    names = LISTED_SCENARIO.findall(done.stdout)
    assert names, f"no scenarios in:\n{done.stdout}"
    return names


def start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    # Its log goes to a file: a pipe nobody reads could fill up and stall it.
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [str(CONSOLE_SCRIPT), "serve", "--transport", "http", "--port", str(port)],
            env={**os.environ, "PREFECT_API_URL": UNREACHABLE_API},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def server_log(log: Path) -> str:
    return log.read_text(errors="replace")


async def wait_listening(
    port: int, process: subprocess.Popen[bytes], log: Path
) -> None:
    end = time.monotonic() + START_DEADLINE
    async with httpx.AsyncClient() as http:
        while time.monotonic() < end:
            assert process.poll() is None, server_log(log)
            try:
                await http.get(f"http://127.0.0.1:{port}/mcp")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.2)
    raise AssertionError(f"the HTTP server did not start:\n{server_log(log)}")


@pytest.fixture(scope="module")
async def server_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """Our HTTP transport on loopback, without a token (the suite sends none)."""
    port = free_port()
    log = tmp_path_factory.mktemp("conformance-server") / "stderr.log"
    process = start_server(port, log)
    try:
        await wait_listening(port, process, log)
        # 127.0.0.1 rather than localhost: the DNS rebinding scenario needs a
        # loopback URL, and localhost may resolve to ::1 where nothing listens.
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def suite_run(
    conformance: list[str],
    server_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> SuiteRun:
    """Every server scenario once, with our expected failures as its baseline."""
    work = tmp_path_factory.mktemp("conformance")
    baseline = work / "baseline.yml"
    names = "".join(f"  - {name}\n" for name in read_expected_failures())
    baseline.write_text(f"server:\n{names}")
    results = work / "results"
    done = subprocess.run(
        [
            *conformance,
            "server",
            "--url",
            server_url,
            "--suite",
            "all",
            "--expected-failures",
            str(baseline),
            "--output-dir",
            str(results),
        ],
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT,
        cwd=work,
    )
    run = SuiteRun(done.returncode, done.stdout + done.stderr)
    for folder in sorted(results.iterdir()) if results.exists() else []:
        match = RESULT_DIR.match(folder.name)
        if match and (folder / "checks.json").exists():
            checks = json.loads((folder / "checks.json").read_text())
            name = match["scenario"]
            run.scenarios[name] = Scenario(name, checks)
    return run


def test_expected_failures_name_real_scenarios(server_scenarios: list[str]) -> None:
    expected = read_expected_failures()
    unknown = sorted(set(expected) - set(server_scenarios))
    assert not unknown, f"not scenarios of this suite version: {unknown}"


def test_the_suite_ran_every_server_scenario(
    suite_run: SuiteRun, server_scenarios: list[str]
) -> None:
    missing = sorted(set(server_scenarios) - set(suite_run.scenarios))
    assert not missing, f"no results for {missing}:\n{suite_run.output}"


def test_every_unlisted_scenario_passes(suite_run: SuiteRun) -> None:
    expected = read_expected_failures()
    table = suite_run.table(expected)
    print(f"\nConformance scenarios against our HTTP transport:\n{table}")
    failing = sorted(
        name
        for name, scenario in suite_run.scenarios.items()
        if not scenario.passed and name not in expected
    )
    assert not failing, f"unexpected failures {failing}:\n{table}"


def test_every_listed_scenario_still_fails(suite_run: SuiteRun) -> None:
    expected = read_expected_failures()
    stale = sorted(
        name
        for name in expected
        if name in suite_run.scenarios and suite_run.scenarios[name].passed
    )
    assert not stale, (
        f"these pass now: remove them from {EXPECTED_FAILURES.name}: {stale}\n"
        f"{suite_run.table(expected)}"
    )


def test_dns_rebinding_protection_passes(suite_run: SuiteRun) -> None:
    scenario = suite_run.scenarios["dns-rebinding-protection"]
    statuses = {check["id"]: check["status"] for check in scenario.checks}
    assert statuses == {
        "localhost-host-rebinding-rejected": "SUCCESS",
        "localhost-host-valid-accepted": "SUCCESS",
    }, scenario.problems()


def test_the_suites_own_baseline_check_agrees(suite_run: SuiteRun) -> None:
    assert suite_run.returncode == 0, suite_run.output[-4000:]
    assert "Baseline check passed" in suite_run.output
