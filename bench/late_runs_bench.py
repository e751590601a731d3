"""Late runs at scale: our bulk tools against the ways people do it by hand.

Run: .venv/bin/python bench/late_runs_bench.py [--postgres] [--runs N]

Starts one real Prefect server (SQLite, or PostgreSQL in a throwaway cluster
with --postgres), our MCP server as a separate process over stdio, and prints
runs per second for each way of doing the same work on the same server:

- our reschedule_late_flow_runs: every one of N late runs, then the 5 most
  recent of N with the rest deleted; our cancel_flow_runs of N runs;
- the reference loop (delete each run, then create it again at its expected
  time + delay), on a sample, since its cost per run is constant;
- one ``prefect flow-run cancel <id>`` process per run, on a small sample;
- the raw ``/flow_runs/bulk_set_state`` endpoint (Cancelling, 50 a call),
  the ceiling for a cancel;
- the peak memory of our MCP server while it handles --memory-runs runs,
  against its idle figure.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="psm-bench-"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"

from fastmcp import Client  # noqa: E402
from fastmcp.client.transports import StdioTransport  # noqa: E402
from tests.postgres import ThrowawayPostgres  # noqa: E402

from prefect_schedule_mcp import sandbox  # noqa: E402
from prefect_schedule_mcp.embedded import EmbeddedPrefectServer  # noqa: E402

BULK_CREATE = 100
SWEEP = (1, 2, 4)
BULK_CHANGE = 50
KEEP = 5
DELAY = dt.timedelta(days=1)
FIELDS: dict[str, Any] = {
    "parameters": {"x": 1},
    "tags": ["bench"],
    "job_variables": {"env": {"BENCH": "1"}},
}


async def create_late_runs(client: Any, deployment_id: uuid.UUID, count: int) -> None:
    """``count`` Late runs a minute apart; items refused as locked are redone."""
    from prefect.client.schemas.actions import DeploymentFlowRunCreate
    from prefect.states import Late, to_state_create

    now = dt.datetime.now(dt.UTC)
    pending = [
        DeploymentFlowRunCreate(
            state=to_state_create(Late(scheduled_time=now - dt.timedelta(minutes=i))),
            **FIELDS,
        ).model_dump(mode="json", exclude_unset=True)
        for i in range(1, count + 1)
    ]
    while pending:
        batch, pending = pending[:BULK_CREATE], pending[BULK_CREATE:]
        response = await client.request(
            "POST",
            "/deployments/{id}/create_flow_run/bulk",
            path_params={"id": deployment_id},
            json=batch,
        )
        results = response.json()["results"]
        pending += [
            item
            for item, r in zip(batch, results, strict=True)
            if r["status"] != "CREATED"
        ]


async def late_run_ids(client: Any, deployment_id: uuid.UUID) -> list[Any]:
    """The deployment's late runs, newest first (read outside any timing)."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterState,
        FlowRunFilterStateName,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    runs: list[Any] = []
    while True:
        page = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]),
                state=FlowRunFilterState(name=FlowRunFilterStateName(any_=["Late"])),
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_DESC,
            limit=200,
            offset=len(runs),
        )
        runs += page
        if len(page) < 200:
            return runs


async def rate(count: int, work: Callable[[], Awaitable[object]]) -> float:
    began = time.perf_counter()
    await work()
    return count / (time.perf_counter() - began)


class Bench:
    def __init__(self, client: Any, mcp: Client[Any], api_url: str) -> None:
        self.client = client
        self.mcp = mcp
        self.api_url = api_url

    async def deployment(self, runs: int) -> tuple[uuid.UUID, str]:
        suffix = uuid.uuid4().hex[:8]
        flow, name = f"bench-{suffix}", f"late-{suffix}"
        deployment_id = await sandbox.create_deployment(self.client, flow, name)
        await create_late_runs(self.client, deployment_id, runs)
        return deployment_id, f"{flow}/{name}"

    async def tool(self, name: str, **arguments: Any) -> dict[str, Any]:
        result = await self.mcp.call_tool(name, arguments, raise_on_error=False)
        assert not result.is_error, result.content
        data = dict(result.structured_content or {})
        assert not data.get("failed"), data["failed"][:3]
        return data

    async def ours_reschedule(self, runs: int, keep: int) -> float:
        _, name = await self.deployment(runs)
        return await rate(
            runs,
            lambda: self.tool(
                "reschedule_late_flow_runs",
                deployment=name,
                delay="1d",
                most_recent_n=keep,
                dry_run=False,
            ),
        )

    async def ours_cancel(self, runs: int) -> float:
        _, name = await self.deployment(runs)
        return await rate(
            runs,
            lambda: self.tool(
                "cancel_flow_runs", states=["Late"], deployment=name, dry_run=False
            ),
        )

    async def reference_loop(self, runs: int, keep: int) -> float:
        from prefect.states import Scheduled

        deployment_id, _ = await self.deployment(runs)
        found = await late_run_ids(self.client, deployment_id)

        async def loop() -> None:
            for i, run in enumerate(found):
                await self.client.delete_flow_run(run.id)
                if i < keep:
                    await self.client.create_flow_run_from_deployment(
                        deployment_id,
                        state=Scheduled(scheduled_time=run.expected_start_time + DELAY),
                    )

        return await rate(runs, loop)

    async def cli_cancel(self, runs: int) -> float:
        deployment_id, _ = await self.deployment(runs)
        found = await late_run_ids(self.client, deployment_id)
        env = {**os.environ, "PREFECT_API_URL": self.api_url}

        async def loop() -> None:
            for run in found:
                await asyncio.to_thread(
                    subprocess.run,
                    [str(BIN / "prefect"), "flow-run", "cancel", str(run.id)],
                    env=env,
                    capture_output=True,
                    check=True,
                )

        return await rate(runs, loop)

    async def raw_bulk_cancel(self, runs: int) -> float:
        from prefect.states import Cancelling, to_state_create

        deployment_id, _ = await self.deployment(runs)
        ids = [str(run.id) for run in await late_run_ids(self.client, deployment_id)]
        state = to_state_create(Cancelling()).model_dump(mode="json")

        async def loop() -> None:
            for i in range(0, len(ids), BULK_CHANGE):
                chunk = ids[i : i + BULK_CHANGE]
                body = {
                    "flow_runs": {
                        "id": {"any_": chunk},
                        "state": {"name": {"any_": ["Late"]}},
                    },
                    "state": state,
                    "limit": len(chunk),
                }
                await self.client.request(
                    "POST", "/flow_runs/bulk_set_state", json=body
                )

        return await rate(runs, loop)


async def sweep(client: Any, api_url: str, runs: int) -> None:
    """Our engine's rate for each operation at 1, 2 and 4 requests in flight."""
    from prefect_schedule_mcp.bulk import engine
    from prefect_schedule_mcp.prefect_api import PrefectAPI
    from prefect_schedule_mcp.settings import Settings

    api = PrefectAPI(Settings(), api_url=api_url)
    print(f"\nConcurrency sweep, runs/s ({runs} runs an operation):")
    print(f"  {'in flight':<10} {'move':>8} {'cancel':>8} {'delete':>8}")
    try:
        for concurrency in SWEEP:
            figures = []
            for operation in ("move", "cancel", "delete"):
                deployment_id = await sandbox.create_deployment(
                    client, f"sweep-{uuid.uuid4().hex[:8]}", "late"
                )
                await create_late_runs(client, deployment_id, runs)
                found = await late_run_ids(client, deployment_id)
                ids = [run.id for run in found]
                if operation == "move":
                    moves = [
                        (engine.PlannedRun.from_json({"id": str(run.id)}), when)
                        for run in found
                        for when in [run.expected_start_time + DELAY]
                    ]
                    work = engine.move_runs(api, moves, ["Late"], concurrency)
                elif operation == "cancel":
                    guard = engine.in_states(["Late"])
                    work = engine.cancel_runs(api, ids, guard, concurrency)
                else:
                    work = engine.delete_runs(api, ids, ["Late"], concurrency)
                began = time.perf_counter()
                outcome = await work
                figures.append(runs / (time.perf_counter() - began))
                assert not outcome.failed, list(outcome.failed.values())[:3]
            print(
                f"  {concurrency:<10} "
                + " ".join(f"{figure:>8.1f}" for figure in figures),
                flush=True,
            )
    finally:
        await api.aclose()


def server_pid() -> int:
    """Our MCP server: the child of this process running prefect-schedule-mcp."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if ppid == os.getpid() and b"prefect-schedule-mcp" in command:
            return int(entry.name)
    raise RuntimeError("the MCP server process was not found")


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


async def memory_phase(bench: Bench, runs: int) -> tuple[float, float]:
    """Idle RSS and the peak above it while planning and handling ``runs`` runs."""
    pid = server_pid()
    await bench.tool("list_flow_runs", limit=1)
    idle = memory_kib(pid, "VmRSS")
    _, name = await bench.deployment(runs)
    before = memory_kib(pid, "VmHWM")
    await bench.tool("cancel_flow_runs", states=["Late"], deployment=name)
    await bench.tool(
        "reschedule_late_flow_runs",
        deployment=name,
        delay="1d",
        most_recent_n=KEEP,
        dry_run=False,
    )
    peak = max(memory_kib(pid, "VmHWM"), before)
    return idle / 1024, (peak - idle) / 1024


def line(label: str, value: float, unit: str = "runs/s", note: str = "") -> None:
    print(f"  {label:<52} {value:>9.1f} {unit}{note}", flush=True)


async def run(args: argparse.Namespace, database_url: str | None) -> None:
    from prefect.client.orchestration import PrefectClient

    home = Path(os.environ["PREFECT_HOME"])
    env = {"PREFECT_API_DATABASE_CONNECTION_URL": database_url} if database_url else {}
    server = EmbeddedPrefectServer(home=home / "server", extra_env=env)
    api_url = await server.start()
    transport = StdioTransport(
        command=str(BIN / "prefect-schedule-mcp"),
        args=["serve"],
        env={
            **os.environ,
            "PREFECT_API_URL": api_url,
            "PREFECT_SCHEDULE_MCP_LOG_LEVEL": "WARNING",
        },
        log_file=home / "mcp-server.log",
    )
    try:
        async with PrefectClient(api_url) as client, Client(transport) as mcp:
            bench = Bench(client, mcp, api_url)
            if args.sweep:
                await sweep(client, api_url, args.runs)
                return
            n, sample, cli = args.runs, args.reference_runs, args.cli_runs
            kept_in_sample = max(1, round(KEEP * 2 * sample / n))
            print(
                f"Prefect at {api_url} on {'PostgreSQL' if database_url else 'SQLite'}"
            )
            figures = {
                "reschedule all (ours)": await bench.ours_reschedule(n, n),
                "reschedule all (reference loop)": await bench.reference_loop(
                    sample, sample
                ),
                f"keep {KEEP}, delete the rest (ours)": await bench.ours_reschedule(
                    n, KEEP
                ),
                # The sample keeps the same share of runs as the real thing.
                f"keep {KEEP}, delete the rest (reference loop)": (
                    await bench.reference_loop(2 * sample, kept_in_sample)
                ),
                "cancel (ours)": await bench.ours_cancel(n),
                "cancel (raw bulk_set_state, 50 a call)": await bench.raw_bulk_cancel(
                    n
                ),
                "cancel (one CLI process per run)": await bench.cli_cancel(cli),
            }
            print(
                f"\nRuns per second ({n} runs; samples: reference {sample}, CLI {cli}):"
            )
            for label, value in figures.items():
                line(label, value)
            print("\nRatios (targets on SQLite):")
            ratios = [
                ("reschedule all: ours / reference loop", "reschedule all", 5.0),
                (
                    f"keep {KEEP}: ours / reference loop",
                    f"keep {KEEP}, delete the rest",
                    8.0,
                ),
            ]
            for label, key, target in ratios:
                value = figures[f"{key} (ours)"] / figures[f"{key} (reference loop)"]
                line(label, value, "x", f"   (target >= {target:.0f}x)")
            line(
                "cancel: ours / one CLI per run",
                figures["cancel (ours)"] / figures["cancel (one CLI process per run)"],
                "x",
                "   (target >= 50x)",
            )
            share = (
                figures["cancel (ours)"]
                / figures["cancel (raw bulk_set_state, 50 a call)"]
            )
            line(
                "cancel: ours / raw bulk endpoint",
                100 * share,
                "%",
                "   (target >= 80%)",
            )
            idle, above = await memory_phase(bench, args.memory_runs)
            print(f"\nMemory of our MCP server ({args.memory_runs} runs):")
            line("idle RSS", idle, "MiB")
            line("peak above idle", above, "MiB", "   (target < 50 MiB)")
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL server")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--reference-runs", type=int, default=100)
    parser.add_argument("--cli-runs", type=int, default=8)
    parser.add_argument("--memory-runs", type=int, default=10_000)
    parser.add_argument(
        "--sweep", action="store_true", help="only time our engine at 1, 2, 4 calls"
    )
    args = parser.parse_args()
    if not args.postgres:
        asyncio.run(run(args, None))
        return
    with ThrowawayPostgres(durable=True) as cluster:
        asyncio.run(run(args, cluster.create_database("prefect")))


if __name__ == "__main__":
    main()
