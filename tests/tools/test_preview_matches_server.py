"""What preview_schedule promises is what Prefect's scheduler creates.

A dedicated Prefect server with a one-second scheduler loop and a 200-day
horizon creates the runs of schedules made through the tools; the runs it
creates must be exactly the previewed times, DST changes included (the US
spring-forward of 2027-03-14 and the UK one of 2027-03-28 fall in the window).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastmcp import Client

from prefect_schedule_mcp import sandbox
from prefect_schedule_mcp.embedded import EmbeddedPrefectServer
from prefect_schedule_mcp.server import build_server
from prefect_schedule_mcp.settings import Settings
from tests.conftest import SERVER_ENV, START_TIMEOUT, call

HORIZON = dt.timedelta(days=200)
MAX_RUNS = 300
FILL_DEADLINE = 90.0
POLL_SECONDS = 0.5

CASES: list[tuple[str, dict[str, Any]]] = [
    ("create_cron_schedule", {"cron": "30 2 * * *", "timezone": "America/New_York"}),
    ("create_cron_schedule", {"cron": "0 9 * * 1-5", "timezone": "America/New_York"}),
    ("create_cron_schedule", {"cron": "0 15 1 * 1", "day_or": False}),
    (
        "create_interval_schedule",
        {
            "interval": "1d",
            "anchor_date": "2026-01-01T02:30:00",
            "timezone": "America/New_York",
        },
    ),
    (
        "create_interval_schedule",
        {
            "interval": "16h",
            "anchor_date": "2026-06-01T01:00:00",
            "timezone": "Europe/London",
        },
    ),
    (
        "create_rrule_schedule",
        {
            "rrule": "DTSTART;TZID=America/Chicago:20261201T073000\n"
            "RRULE:FREQ=WEEKLY;BYDAY=MO,TH"
        },
    ),
    (
        "create_rrule_schedule",
        {
            "rrule": "DTSTART:20261201T090000\nRRULE:FREQ=DAILY\n"
            "EXDATE:20261224T140000Z",
            "timezone": "America/New_York",
        },
    ),
]


@pytest.fixture(scope="module")
async def horizon_client(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Client[Any], Any]]:
    from prefect.client.orchestration import PrefectClient

    server = EmbeddedPrefectServer(
        home=tmp_path_factory.mktemp("horizon-prefect"),
        start_timeout=START_TIMEOUT,
        extra_env={
            **SERVER_ENV,
            "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "1",
            "PREFECT_SERVER_SERVICES_SCHEDULER_MIN_RUNS": str(MAX_RUNS),
            "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS": str(MAX_RUNS),
            "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME": f"P{HORIZON.days}D",
            "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
        },
    )
    url = await server.start()
    try:
        async with (
            PrefectClient(url) as prefect,
            Client(build_server(Settings(), api_url=url)) as client,
        ):
            yield client, prefect
    finally:
        await server.stop()


async def scheduled_runs(
    prefect: Any, deployment_id: uuid.UUID, schedule_id: str
) -> list[Any]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId

    runs: list[Any] = []
    offset = 0
    while True:
        page = await prefect.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id])
            ),
            limit=200,
            offset=offset,
        )
        runs.extend(page)
        offset += len(page)
        if len(page) < 200:
            break
    own = [r for r in runs if r.created_by and str(r.created_by.id) == schedule_id]
    return sorted(own, key=lambda r: r.expected_start_time)


async def settled_runs(
    prefect: Any, deployment_id: uuid.UUID, schedule_id: str
) -> list[Any]:
    """The schedule's runs once the scheduler has stopped adding to them."""
    end = time.monotonic() + FILL_DEADLINE
    previous = -1
    while True:
        runs = await scheduled_runs(prefect, deployment_id, schedule_id)
        if runs and len(runs) == previous:
            return runs
        previous = len(runs)
        assert time.monotonic() < end, "the scheduler did not create the runs"
        await asyncio.sleep(POLL_SECONDS * 4)


@pytest.mark.parametrize(("tool", "arguments"), CASES)
async def test_server_creates_exactly_the_previewed_runs(
    horizon_client: tuple[Client[Any], Any], tool: str, arguments: dict[str, Any]
) -> None:
    client, prefect = horizon_client
    suffix = uuid.uuid4().hex[:8]
    deployment_id = await sandbox.create_deployment(
        prefect, f"flow-{suffix}", "horizon", parameters={"x": 1, "y": 2}
    )
    created = await call(
        client,
        tool,
        deployment=str(deployment_id),
        parameters={"x": 10},
        **arguments,
    )
    schedule = created["schedule"]
    runs = await settled_runs(prefect, deployment_id, schedule["id"])
    created_times = [r.expected_start_time for r in runs]

    # The five times the create call announced are the first runs (as many of
    # them as fall within the server's horizon).
    announced = [dt.datetime.fromisoformat(t) for t in created["next_runs"]]
    shared = min(len(announced), len(created_times))
    assert shared >= 2
    assert created_times[:shared] == announced[:shared]

    # And a preview from the first run covers every run the server made.
    preview_arguments = {
        key: value for key, value in arguments.items() if key != "deployment"
    }
    kind = tool.removeprefix("create_").removesuffix("_schedule")
    preview = await call(
        client,
        "preview_schedule",
        **preview_arguments,
        start_after=created_times[0].isoformat(),
        count=len(runs),
    )
    assert preview["schedule"][kind] is not None
    assert [dt.datetime.fromisoformat(t) for t in preview["next_runs"]] == created_times

    # Every run gets the deployment's defaults under the schedule's overrides.
    assert all(r.parameters == {"x": 10, "y": 2} for r in runs)
