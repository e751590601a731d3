"""Start-up, memory and latency: this server against Prefect's official MCP server.

Run: .venv/bin/python bench/startup_bench.py [--rounds N]   (or python3 dev.py bench)

The official server (PyPI ``prefect-mcp``) is installed once into its own
virtual environment under ``.cache/bench-official/``. A local Prefect server
with a fresh database gets one deployment with three schedules; then both MCP
servers are spawned over stdio by a real MCP client, alternately, for several
rounds. Each round measures, per server:

- start-up: from spawn to the answer of ``tools/list``;
- peak memory (VmHWM of the server process) after ``tools/list``, and after
  the first call that reads from Prefect;
- the first Prefect call, and warm reads: ours ``list_deployment_schedules``
  of the deployment; the official ``get_deployments`` twice over: as a
  listing (no filter) and for the one deployment by id, the form its
  documentation gives for a deployment's full detail;
- ours only: ``preview_schedule`` for 10 run times, warm.

The same reads made directly with Prefect's client in this process, in each
round, are the floor that our warm read is compared with. Medians over the
rounds are printed with the ratios the issue sets targets for.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL_SPEC = "prefect-mcp==0.0.1b13"
OFFICIAL_VENV = ROOT / ".cache" / "bench-official"
OFFICIAL_SCRIPT = OFFICIAL_VENV / "bin" / "prefect-mcp-server"
OURS_SCRIPT = Path(sys.executable).parent / "prefect-schedule-mcp"
# The official server proxies a documentation MCP server on the internet; a
# closed loopback port makes that part fail at once instead of waiting on DNS.
CLOSED_DOCS_URL = "http://127.0.0.1:9/mcp"

FLOW = "bench-flow"
DEPLOYMENT = "bench-deployment"
ROUNDS = 5
WARMUP_CALLS = 3
WARM_CALLS = 20
PREVIEW_COUNT = 10

# A source tree to measure instead of the installed one, for ours only.
PASSED_ON = {k: v for k, v in os.environ.items() if k == "PYTHONPATH"}

# Bench process: its own Prefect home before anything imports Prefect.
BENCH_HOME = Path(tempfile.mkdtemp(prefix="psm-bench-home-"))
os.environ["PREFECT_HOME"] = str(BENCH_HOME)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.pop("PREFECT_API_URL", None)


@dataclass
class Samples:
    """What one server measured, one value per round."""

    startup_s: list[float] = field(default_factory=list)
    hwm_startup_mib: list[float] = field(default_factory=list)
    hwm_first_call_mib: list[float] = field(default_factory=list)
    first_call_ms: list[float] = field(default_factory=list)
    warm_read_ms: list[float] = field(default_factory=list)
    one_read_ms: list[float] = field(default_factory=list)
    preview_ms: list[float] = field(default_factory=list)
    bare_read_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Server:
    name: str
    command: Path
    read_tool: str
    read_args: dict[str, Any]
    env: dict[str, str]
    # The read of the one deployment, when it differs from ``read_args``.
    one_read_args: dict[str, Any] | None = None
    samples: Samples = field(default_factory=Samples)


def ensure_official() -> None:
    """The official server in its own virtual environment, installed once."""
    stamp = OFFICIAL_VENV / ".installed"
    if (
        OFFICIAL_SCRIPT.exists()
        and stamp.exists()
        and stamp.read_text() == OFFICIAL_SPEC
    ):
        return
    print(f"Installing {OFFICIAL_SPEC} into {OFFICIAL_VENV} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(OFFICIAL_VENV)], check=True)
    subprocess.run(
        [str(OFFICIAL_VENV / "bin" / "pip"), "install", "--quiet", OFFICIAL_SPEC],
        check=True,
    )
    stamp.write_text(OFFICIAL_SPEC)


def child_pids() -> set[int]:
    """This process's children (Linux: /proc/self/task/*/children)."""
    pids: set[int] = set()
    for children in Path("/proc/self/task").glob("*/children"):
        pids.update(int(pid) for pid in children.read_text().split())
    return pids


def peak_rss_mib(pid: int | None) -> float:
    """The high-water mark of a process's resident memory, in MiB."""
    if pid is None:
        return float("nan")
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def median_ms(work: Callable[[], Awaitable[Any]], calls: int) -> float:
    for _ in range(WARMUP_CALLS):
        await work()
    timings = []
    for _ in range(calls):
        began = time.perf_counter()
        await work()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


async def measure(server: Server) -> None:
    """One round: spawn, list tools, first call, warm calls, exit."""
    from fastmcp import Client
    from fastmcp.client.transports import StdioTransport

    log = BENCH_HOME / f"{server.name}-stderr.log"
    transport = StdioTransport(
        command=str(server.command),
        args=[],
        env=server.env,
        keep_alive=False,
        log_file=log,
    )
    before = child_pids()
    began = time.perf_counter()
    async with Client(transport) as client:
        tools = await client.list_tools()
        startup = time.perf_counter() - began
        new = child_pids() - before
        pid = new.pop() if len(new) == 1 else None
        hwm_startup = peak_rss_mib(pid)
        assert any(t.name == server.read_tool for t in tools), server.read_tool

        async def read(args: dict[str, Any] = server.read_args) -> None:
            result = await client.call_tool(
                server.read_tool, args, raise_on_error=False
            )
            if result.is_error:
                raise RuntimeError(f"{server.name}: {result.content}")

        began = time.perf_counter()
        await read()
        first_call = (time.perf_counter() - began) * 1000
        hwm_first_call = peak_rss_mib(pid)
        warm = await median_ms(read, WARM_CALLS)
        one = warm
        if server.one_read_args is not None:
            one_args = server.one_read_args
            one = await median_ms(lambda: read(one_args), WARM_CALLS)
        if server.read_tool == "list_deployment_schedules":

            async def preview() -> None:
                await client.call_tool(
                    "preview_schedule",
                    {"cron": "0 9 * * 1-5", "timezone": "America/New_York"}
                    | {"count": PREVIEW_COUNT},
                )

            server.samples.preview_ms.append(await median_ms(preview, WARM_CALLS))

            async def bare_read() -> None:
                await client.call_tool(
                    server.read_tool, server.read_args | {"next_runs": 0}
                )

            server.samples.bare_read_ms.append(await median_ms(bare_read, WARM_CALLS))
    samples = server.samples
    samples.startup_s.append(startup)
    samples.hwm_startup_mib.append(hwm_startup)
    samples.hwm_first_call_mib.append(hwm_first_call)
    samples.first_call_ms.append(first_call)
    samples.warm_read_ms.append(warm)
    samples.one_read_ms.append(one)


async def direct_read_ms(client: PrefectClient) -> float:
    """The same reads with Prefect's client in this process, warm."""

    async def read() -> None:
        found = await client.read_deployment_by_name(f"{FLOW}/{DEPLOYMENT}")
        await client.read_deployment_schedules(found.id)

    return await median_ms(read, WARM_CALLS)


async def seed(api_url: str, others: int) -> str:
    """One deployment with a cron, an interval and an rrule schedule, and
    ``others`` more deployments of another flow with a daily cron each;
    returns the id of the first."""
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.client.schemas.schedules import (
        CronSchedule,
        IntervalSchedule,
        RRuleSchedule,
    )

    from prefect_schedule_mcp import sandbox

    schedules: list[CronSchedule | IntervalSchedule | RRuleSchedule] = [
        CronSchedule(cron="0 9 * * 1-5", timezone="America/New_York"),
        IntervalSchedule(interval=timedelta(hours=6), timezone="UTC"),
        RRuleSchedule(rrule="FREQ=WEEKLY;BYDAY=MO,WE", timezone="Europe/Berlin"),
    ]
    async with PrefectClient(api_url) as client:
        deployment_id = await sandbox.create_deployment(client, FLOW, DEPLOYMENT)
        await client.create_deployment_schedules(
            deployment_id,
            [DeploymentScheduleCreate(schedule=s, active=True) for s in schedules],
        )
        for number in range(others):
            other_id = await sandbox.create_deployment(
                client, f"{FLOW}-other", f"{DEPLOYMENT}-{number + 1}"
            )
            daily = CronSchedule(cron=f"{number % 60} 6 * * *", timezone="UTC")
            await client.create_deployment_schedules(
                other_id, [DeploymentScheduleCreate(schedule=daily, active=True)]
            )
    return str(deployment_id)


def median(values: list[float]) -> float:
    return statistics.median(values)


def report(ours: Samples, official: Samples, direct: list[float]) -> None:
    rows = [
        ("start-up, spawn to tools/list (s)", ours.startup_s, official.startup_s),
        (
            "peak RSS after tools/list (MiB)",
            ours.hwm_startup_mib,
            official.hwm_startup_mib,
        ),
        (
            "peak RSS after first Prefect call (MiB)",
            ours.hwm_first_call_mib,
            official.hwm_first_call_mib,
        ),
        ("first Prefect call (ms)", ours.first_call_ms, official.first_call_ms),
        ("warm read: official listing (ms)", ours.warm_read_ms, official.warm_read_ms),
        ("warm read: official by id (ms)", ours.one_read_ms, official.one_read_ms),
    ]
    print()
    print(f"{'median over rounds':42s} {'ours':>9s} {'official':>9s} {'ratio':>7s}")
    for label, mine, theirs in rows:
        a, b = median(mine), median(theirs)
        print(f"{label:42s} {a:9.2f} {b:9.2f} {a / b:7.2f}")
    direct_ms = median(direct)
    preview_ms = median(ours.preview_ms)
    print(f"{'warm read, Prefect client directly (ms)':42s} {direct_ms:9.2f}")
    print(f"{'preview_schedule, 10 runs, warm (ms)':42s} {preview_ms:9.2f}")
    bare_ms = median(ours.bare_read_ms)
    print(f"{'warm read without next runs (ms)':42s} {bare_ms:9.2f}")

    startup = median(ours.startup_s) / median(official.startup_s)
    speedup = median(official.warm_read_ms) / median(ours.warm_read_ms)
    speedup_one = median(official.one_read_ms) / median(ours.one_read_ms)
    overhead = median(ours.warm_read_ms) / direct_ms
    checks = [
        (f"start-up {startup:.2f}x the official's (<= 0.55x)", startup <= 0.55),
        (
            "peak RSS at start-up below the official's",
            median(ours.hwm_startup_mib) < median(official.hwm_startup_mib),
        ),
        (
            "peak RSS after the first call no more than the official's",
            median(ours.hwm_first_call_mib) <= median(official.hwm_first_call_mib),
        ),
        (
            f"warm read {speedup:.1f}x faster than get_deployments, listing (>= 5x)",
            speedup >= 5,
        ),
        (
            f"warm read {speedup_one:.1f}x faster than get_deployments of the one "
            "deployment by id (>= 5x)",
            speedup_one >= 5,
        ),
        (
            f"warm read {overhead:.2f}x the direct client reads (<= 1.3x)",
            overhead <= 1.3,
        ),
        (f"preview of 10 runs {preview_ms:.2f} ms (< 5 ms)", preview_ms < 5),
    ]
    print()
    for text, met in checks:
        print(f"  [{'met' if met else 'MISSED'}] {text}")


async def run(rounds: int, others: int) -> None:
    from prefect_schedule_mcp.embedded import EmbeddedPrefectServer

    prefect_server = EmbeddedPrefectServer(home=BENCH_HOME / "server")
    api_url = await prefect_server.start()
    try:
        deployment_id = await seed(api_url, others)
        print(f"Prefect server at {api_url}: {1 + others} deployment(s)", flush=True)
        base_env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", ""),
            "PREFECT_API_URL": api_url,
        }
        ours = Server(
            "ours",
            OURS_SCRIPT,
            "list_deployment_schedules",
            {"deployment": f"{FLOW}/{DEPLOYMENT}"},
            base_env | {"PREFECT_HOME": str(BENCH_HOME / "ours")} | PASSED_ON,
        )
        official = Server(
            "official",
            OFFICIAL_SCRIPT,
            "get_deployments",
            {},
            base_env
            | {
                "PREFECT_HOME": str(BENCH_HOME / "official"),
                "PREFECT_DOCS_MCP_URL": CLOSED_DOCS_URL,
            },
            one_read_args={"filter": {"id": {"any_": [deployment_id]}}},
        )
        from prefect.client.orchestration import PrefectClient

        direct: list[float] = []
        async with PrefectClient(api_url) as client:
            for number in range(rounds):
                order = (ours, official) if number % 2 == 0 else (official, ours)
                for server in order:
                    await measure(server)
                direct.append(await direct_read_ms(client))
                print(
                    f"round {number + 1}/{rounds}: start-up ours "
                    f"{ours.samples.startup_s[-1]:.2f} s, official "
                    f"{official.samples.startup_s[-1]:.2f} s",
                    flush=True,
                )
        report(ours.samples, official.samples, direct)
    finally:
        await prefect_server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument(
        "--other-deployments",
        type=int,
        default=0,
        help="more deployments on the Prefect server besides the one read",
    )
    args, _ = parser.parse_known_args()
    if not Path("/proc/self/status").exists():
        raise SystemExit("This benchmark reads /proc for peak memory: run it on Linux.")
    ensure_official()
    began = time.perf_counter()
    asyncio.run(run(args.rounds, args.other_deployments))
    print(f"\n({args.rounds} rounds in {time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
