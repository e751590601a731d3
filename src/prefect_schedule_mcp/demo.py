"""The guided demo: every tool, called over stdio by a real MCP client.

``prefect-schedule-mcp demo`` does what an assistant such as Claude or Cursor
would do, against a throwaway Prefect server:

1. start a local Prefect server in a fresh temporary ``PREFECT_HOME`` (never the
   user's own database or profile), with service loops short enough that a
   past-due run turns Late within seconds;
2. create a flow, a work pool that no worker polls, and two deployments with
   parameters: one to schedule, one to collect missed runs;
3. start ``prefect-schedule-mcp`` as a child process over stdio, passing
   ``PREFECT_API_URL`` explicitly as MCP clients do (they give stdio servers a
   trimmed environment), and walk through the eleven tools.

The transcript (each call, its arguments, a trimmed result and the facts the
demo checks) goes to stdout; progress goes to stderr. A failed call or check
ends the demo with a non-zero exit and says which one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sys
import tempfile
import time
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from prefect_schedule_mcp.demo_session import RULE, DemoFailure, Session, expect, say
from prefect_schedule_mcp.embedded import EmbeddedPrefectServer

if TYPE_CHECKING:
    from fastmcp import Client
    from prefect.client.orchestration import PrefectClient

logger = logging.getLogger(__name__)

TOOL_NAMES = (
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
)

# Short service loops so that a past-due run is marked Late within seconds.
# Services the demo does not need are off to spare a 2-core machine.
SERVER_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS": "1",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": "1",
    "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
}
SERVER_START_TIMEOUT = 120.0
CLIENT_INIT_TIMEOUT = 60.0
LATE_WAIT_SECONDS = 60.0
LATE_POLL_INTERVAL = 0.5
CHILD_LOG_TAIL_LINES = 30

FLOW = "demo-etl"
SCHEDULED = f"{FLOW}/warehouse-sync"
BACKFILL = f"{FLOW}/backfill"
DEPLOYMENT_PARAMETERS = {"x": 1, "y": 2, "label": "nightly"}
CRON_PARAMETERS = {"x": 10}
NEW_YORK = "America/New_York"
# Hours ago of the runs the demo creates in the past, to turn Late.
PAST_RUN_HOURS = (1.0, 1.5, 2.0, 3.0)
RESCHEDULE_COUNT = 2


def server_command() -> tuple[str, list[str]]:
    """The console script next to this Python, else ``python -m``."""
    script = Path(sys.executable).parent / "prefect-schedule-mcp"
    if script.exists():
        return str(script), []
    return sys.executable, ["-m", "prefect_schedule_mcp"]


def child_log_tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no output)"
    return "\n".join(lines[-CHILD_LOG_TAIL_LINES:]) or "(no output)"


def offsets(times: list[str]) -> set[str]:
    return {t[-6:] for t in times}


def hours_ago(hours: float) -> str:
    """A time ``hours`` before now, in New York wall time with its offset."""
    # Subtract in UTC: wall-clock arithmetic would go wrong across a DST change.
    then = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=hours)
    return then.astimezone(ZoneInfo(NEW_YORK)).isoformat()


# -- the walk-through -------------------------------------------------------------


async def show_tools(client: Client[Any]) -> None:
    tools = {tool.name: tool for tool in await client.list_tools()}
    say(RULE)
    say("The server offers these tools (read-only / destructive hints):")
    for name in TOOL_NAMES:
        tool = tools.get(name)
        if tool is None:
            raise DemoFailure(f"The server does not offer the tool {name!r}.")
        hints = tool.annotations
        read_only = hints.read_only_hint if hints else None
        destructive = hints.destructive_hint if hints else None
        say(f"  {name:<30} read-only={read_only!s:<5} destructive={destructive}")


async def walk_schedules(session: Session) -> None:
    found = await session.call(
        "list_deployments", "Find the deployments to work on.", search="demo-etl"
    )
    names = {d["name"] for d in found["deployments"]}
    expect({SCHEDULED, BACKFILL} <= names, f"both demo deployments found: {names}")

    preview = await session.call(
        "preview_schedule",
        "Preview a weekday 09:00 New York cron over the March 2025 DST change.",
        cron="0 9 * * 1-5",
        timezone=NEW_YORK,
        start_after="2025-03-06T00:00",
        count=8,
    )
    seen = offsets(preview["next_runs"])
    expect(
        {"-05:00", "-04:00"} <= seen,
        "09:00 stays 09:00 wall time; the offset moves from -05:00 to -04:00",
    )

    gap = await session.call(
        "preview_schedule",
        "A daily 02:30 run falls into the 2025-03-09 DST gap (02:00-03:00 "
        "does not exist in New York that night).",
        cron="30 2 * * *",
        timezone=NEW_YORK,
        start_after="2025-03-07T00:00",
        count=4,
    )
    expect(bool(gap["warnings"]), "the preview warns about the DST gap")

    await session.call_error(
        "preview_schedule",
        "A misspelt time zone is refused with a suggestion (an expected error).",
        cron="0 9 * * 1-5",
        timezone="America/New_Yrok",
    )

    await session.call(
        "create_interval_schedule",
        "Run every 4 hours, counted from 00:15 Berlin time.",
        deployment=SCHEDULED,
        interval="4h",
        anchor_date="2025-01-01T00:15",
        timezone="Europe/Berlin",
        slug="every-4h",
        parameters={"label": "intraday"},
    )
    cron = await session.call(
        "create_cron_schedule",
        "Weekdays at 09:00 New York time, with a parameter override.",
        deployment=SCHEDULED,
        cron="0 9 * * 1-5",
        timezone=NEW_YORK,
        slug="weekday-9am",
        parameters=CRON_PARAMETERS,
    )
    expect(
        cron["schedule"]["parameters"] == CRON_PARAMETERS,
        f"the cron schedule carries parameters {CRON_PARAMETERS}",
    )
    await session.call(
        "create_rrule_schedule",
        "Every other Tuesday at 09:00 London time (an RFC 5545 rule).",
        deployment=SCHEDULED,
        rrule="DTSTART;TZID=Europe/London:20250107T090000\n"
        "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
        slug="fortnightly-tuesday",
    )

    listed = await session.call(
        "list_deployment_schedules",
        "The deployment's schedules with their next runs.",
        deployment=SCHEDULED,
        next_runs=2,
    )
    slugs = {s["slug"] for s in listed["schedules"]}
    expect(
        {"every-4h", "weekday-9am", "fortnightly-tuesday"} <= slugs,
        f"all three schedules are listed: {sorted(slugs)}",
    )

    for action in ("pause", "resume"):
        changed = await session.call(
            "manage_deployment_schedules",
            f"{action.capitalize()} the cron schedule.",
            deployment=SCHEDULED,
            schedule="weekday-9am",
            action=action,
        )
        after = changed["schedule"]
        expect(
            after["active"] is (action == "resume"),
            f"the schedule is {'active' if after['active'] else 'paused'}",
        )
        expect(
            after["parameters"] == CRON_PARAMETERS,
            f"its parameters survive the {action}: {after['parameters']}",
        )
        expect(after["id"] == cron["schedule"]["id"], "it keeps its id")

    one_off = await session.call(
        "schedule_one_time_run",
        "One ad-hoc run in five minutes.",
        deployment=SCHEDULED,
        delay="5m",
        timezone=NEW_YORK,
        parameters={"label": "ad-hoc"},
        tags=["demo"],
    )
    expect(
        one_off["flow_run"]["state"] == "Scheduled",
        "the one-time run is Scheduled",
    )


async def wait_until_late(prefect: PrefectClient, run_ids: list[str]) -> None:
    """Poll until Prefect's late-runs service has marked every run Late."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    wanted = set(run_ids)
    run_filter = FlowRunFilter(id=FlowRunFilterId(any_=[uuid.UUID(i) for i in run_ids]))
    started = time.monotonic()
    deadline = started + LATE_WAIT_SECONDS
    while True:
        runs = await prefect.read_flow_runs(flow_run_filter=run_filter)
        late = {str(r.id) for r in runs if r.state and r.state.name == "Late"}
        if late >= wanted:
            logger.info(
                "Prefect marked %d runs Late after %.1f s",
                len(wanted),
                time.monotonic() - started,
            )
            return
        if time.monotonic() > deadline:
            raise DemoFailure(
                f"Only {len(late)} of {len(wanted)} past-due runs were marked Late "
                f"within {LATE_WAIT_SECONDS:.0f} s; is Prefect's late-runs "
                "service running?"
            )
        await asyncio.sleep(LATE_POLL_INTERVAL)


async def walk_late_runs(session: Session, prefect: PrefectClient) -> None:
    run_ids = []
    for n, hours in enumerate(PAST_RUN_HOURS, start=1):
        created = await session.call(
            "schedule_one_time_run",
            f"A run that should have started {hours:g} h ago (a missed run).",
            deployment=BACKFILL,
            scheduled_time=hours_ago(hours),
            timezone=NEW_YORK,
            allow_past=True,
            parameters={"x": n},
            tags=["demo", "missed"],
        )
        run_ids.append(created["flow_run"]["id"])

    say(RULE)
    say("Waiting for Prefect to mark the missed runs Late ...")
    logger.info(
        "Waiting up to %.0f s for %d Late runs", LATE_WAIT_SECONDS, len(run_ids)
    )
    await wait_until_late(prefect, run_ids)

    late = await session.call(
        "list_flow_runs",
        "List the Late runs of the backfill deployment.",
        deployment=BACKFILL,
        states=["Late"],
    )
    expect(late["total"] == len(run_ids), f"{len(run_ids)} Late runs are listed")

    reschedule_args: dict[str, Any] = {
        "deployment": BACKFILL,
        "delay": "3h",
        "most_recent_n": RESCHEDULE_COUNT,
        "delete_remaining": False,
    }
    preview = await session.call(
        "reschedule_late_flow_runs",
        "Dry run (the default): which runs would move 3 h later.",
        **reschedule_args,
    )
    expect(preview["dry_run"] is True, "the bulk tool defaults to a dry run")
    expect(
        len(preview["rescheduled"]) == RESCHEDULE_COUNT,
        f"{RESCHEDULE_COUNT} runs would be rescheduled, none deleted",
    )
    done = await session.call(
        "reschedule_late_flow_runs",
        "Now for real; delete_remaining=false leaves the older runs alone.",
        **reschedule_args,
        dry_run=False,
    )
    expect(
        len(done["rescheduled"]) == RESCHEDULE_COUNT
        and not done["deleted"]
        and not done["failed"],
        f"{RESCHEDULE_COUNT} runs rescheduled, none deleted, none failed",
    )

    remaining = len(run_ids) - RESCHEDULE_COUNT
    would = await session.call(
        "cancel_flow_runs",
        "Dry run: which Late runs are left to cancel.",
        deployment=BACKFILL,
        states=["Late"],
    )
    expect(would["matched"] == remaining, f"{remaining} Late runs would be cancelled")
    cancelled = await session.call(
        "cancel_flow_runs",
        "Cancel them for real.",
        deployment=BACKFILL,
        states=["Late"],
        dry_run=False,
    )
    expect(
        len(cancelled["cancelled"]) == remaining and not cancelled["failed"],
        f"{remaining} runs cancelled, none failed",
    )

    final = await session.call(
        "list_flow_runs",
        "Every run of the backfill deployment afterwards.",
        deployment=BACKFILL,
        sort="expected_start_time_asc",
    )
    states = sorted(r["state"] for r in final["flow_runs"])
    expect("Late" not in states, f"no Late run is left (states: {states})")


# -- set-up and tear-down ----------------------------------------------------------


def isolate_environment(home: Path) -> None:
    """Point this process's Prefect at the throwaway home before it is imported."""
    for name in ("PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_API_AUTH_STRING"):
        os.environ.pop(name, None)
    os.environ["PREFECT_HOME"] = str(home)
    os.environ["PREFECT_PROFILES_PATH"] = str(home / "profiles.toml")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"


async def create_deployments(prefect: PrefectClient) -> None:
    from prefect_schedule_mcp import sandbox

    for name in (SCHEDULED, BACKFILL):
        flow, deployment = name.split("/")
        await sandbox.create_deployment(
            prefect,
            flow,
            deployment,
            work_pool="demo-pool-no-worker",
            parameters=DEPLOYMENT_PARAMETERS,
        )
    logger.info("Created deployments %s and %s", SCHEDULED, BACKFILL)


async def connect(stack: AsyncExitStack, client: Client[Any], command: str) -> None:
    """Open the MCP session, so that a child that cannot start says so."""
    try:
        await stack.enter_async_context(client)
    except Exception as e:
        raise DemoFailure(
            f"The MCP server {command} did not complete the MCP handshake "
            f"({type(e).__name__}: {e}); its stderr is shown above."
        ) from e


async def drive(api_url: str, home: Path, child_log: Path) -> int:
    """Start the MCP server as a child over stdio and walk through the tools."""
    from fastmcp import Client
    from fastmcp.client.transports import StdioTransport
    from prefect.client.orchestration import PrefectClient

    command, args = server_command()
    # What a user puts in the "env" of an MCP client's server entry.
    child_env = {
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(home / "mcp-child"),
        "PREFECT_SCHEDULE_MCP_LOG_LEVEL": "INFO",
    }
    transport = StdioTransport(
        command=command,
        args=args,
        env=child_env,
        keep_alive=False,
        log_file=child_log,
    )
    logger.info("Starting the MCP server: %s %s", command, " ".join(args))
    client: Client[Any] = Client(transport, init_timeout=CLIENT_INIT_TIMEOUT)
    session = Session(client)
    try:
        async with PrefectClient(api_url) as prefect:
            await create_deployments(prefect)
            async with AsyncExitStack() as stack:
                await connect(stack, client, command)
                await show_tools(client)
                await walk_schedules(session)
                await walk_late_runs(session, prefect)
    finally:
        await transport.close()
    missing = [name for name in TOOL_NAMES if name not in session.called]
    if missing:
        raise DemoFailure(f"The demo did not call {', '.join(missing)}.")
    return session.steps


async def run(home: Path) -> None:
    started = time.perf_counter()
    server = EmbeddedPrefectServer(
        home=home / "server",
        start_timeout=SERVER_START_TIMEOUT,
        extra_env=SERVER_ENV,
    )
    child_log = home / "mcp-server.log"
    api_url = await server.start()
    try:
        steps = await drive(api_url, home, child_log)
    except BaseException:
        logger.error(
            "The MCP server's stderr ends with:\n%s", child_log_tail(child_log)
        )
        raise
    finally:
        await server.stop()
    say(RULE)
    say(
        f"Demo finished: {steps} calls, all {len(TOOL_NAMES)} tools, in "
        f"{time.perf_counter() - started:.1f} s."
    )


def run_demo() -> int:
    """Run the demo; 0 when every call and check passed."""
    with tempfile.TemporaryDirectory(
        prefix="prefect-schedule-mcp-demo-", ignore_cleanup_errors=True
    ) as tmp:
        home = Path(tmp)
        isolate_environment(home)
        logger.info("Demo Prefect home: %s (removed at the end)", home)
        try:
            asyncio.run(run(home))
        except DemoFailure as e:
            print(f"prefect-schedule-mcp demo failed: {e}", file=sys.stderr)
            return 1
    return 0
