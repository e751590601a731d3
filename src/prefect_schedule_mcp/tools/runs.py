"""Flow runs: one-time runs, listing runs, and the bulk late-run tools."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Literal

from fastmcp import Context, FastMCP
from pydantic import Field

from prefect_schedule_mcp import bulk
from prefect_schedule_mcp.bulk.filters import (
    NOT_STARTED_STATES,
    check_states,
    late_cutoff,
    not_started_states,
    optional_time,
    required_states,
    run_filter,
)
from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.models import (
    CancelResult,
    FlowRunList,
    RescheduleResult,
)
from prefect_schedule_mcp.prefect_api import PrefectAPI
from prefect_schedule_mcp.scheduling import (
    parse_duration,
    utc_now,
)
from prefect_schedule_mcp.tools import read_tool, write_tool
from prefect_schedule_mcp.tools.arguments import DeploymentArg, Duration
from prefect_schedule_mcp.tools.common import (
    run_summary,
)

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

logger = logging.getLogger(__name__)

DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 1000
MAX_CANCEL_LIMIT = 100_000

States = Annotated[
    list[str],
    Field(
        description="Prefect state names, e.g. ['Late'] or ['Pending', 'Running', "
        "'Scheduled', 'Late']. 'Late' runs are Scheduled runs past their time."
    ),
]
Time = Annotated[
    str | None,
    Field(
        description="ISO 8601 time, e.g. '2025-06-01T09:00:00Z'; without an offset "
        "it is UTC."
    ),
]
LateBy = Annotated[
    Duration | None,
    Field(
        description="Only runs that have not started and whose scheduled time is "
        "at least this far in the past, e.g. '30m'."
    ),
]


def register(mcp: FastMCP, api: PrefectAPI, *, read_only: bool) -> None:
    @mcp.tool(annotations=read_tool("List flow runs"))
    async def list_flow_runs(
        deployment: Annotated[
            str | None,
            Field(description="Only runs of this deployment (id or 'flow/name')."),
        ] = None,
        states: Annotated[
            list[str] | None,
            Field(
                description="State names, e.g. ['Late'] or ['Running']; omit for all."
            ),
        ] = None,
        expected_after: Time = None,
        expected_before: Time = None,
        late_by_at_least: LateBy = None,
        limit: Annotated[int, Field(ge=1, le=MAX_LIST_LIMIT)] = DEFAULT_LIST_LIMIT,
        sort: Literal[
            "expected_start_time_desc", "expected_start_time_asc"
        ] = "expected_start_time_desc",
    ) -> FlowRunList:
        """List flow runs by deployment, state and expected start time.

        Late runs are the ones to look at before reschedule_late_flow_runs or
        cancel_flow_runs: e.g. {"deployment": "etl/nightly", "states": ["Late"],
        "late_by_at_least": "30m"}. `total` counts every match; `flow_runs`
        holds at most `limit` (up to 1000). Times are UTC; `late_by_seconds` is
        how far past its scheduled time a run that has not started is.
        """
        from prefect.client.schemas.sorting import FlowRunSort

        now = utc_now()
        target = await api.resolve_deployment(deployment) if deployment else None
        flow_run_filter = run_filter(
            deployment_id=target.id if target else None,
            states=check_states(states),
            expected_after=optional_time(expected_after, "expected_after"),
            expected_before=optional_time(expected_before, "expected_before"),
            late_cutoff=late_cutoff(late_by_at_least, now),
        )
        order = FlowRunSort[sort.upper()]
        runs: list[FlowRun] = []
        async for page in api.iter_flow_runs(flow_run_filter, order, limit=limit):
            runs.extend(page)
        total = await api.count_flow_runs(flow_run_filter)
        names = await api.deployment_names(run.deployment_id for run in runs)
        return FlowRunList(
            total=total,
            flow_runs=[run_summary(run, names, now) for run in runs],
        )

    if read_only:
        return

    @mcp.tool(
        annotations=write_tool(
            "Reschedule late flow runs", destructive=True, idempotent=False
        )
    )
    async def reschedule_late_flow_runs(
        deployment: DeploymentArg,
        delay: Annotated[
            Duration,
            Field(
                description="Added to each run's expected start time: '6h', "
                "'PT6H', '1d' or a number of seconds."
            ),
        ],
        most_recent_n: Annotated[
            int,
            Field(
                ge=0,
                description="How many of the most recent matching runs (by "
                "expected start time) to move.",
            ),
        ],
        delete_remaining: Annotated[
            bool,
            Field(
                description="Delete the other matching runs (default true). "
                "DESTRUCTIVE."
            ),
        ] = True,
        states: Annotated[
            list[str] | None,
            Field(
                description="States of runs that have not started, to match; "
                "default ['Late']. One of: " + ", ".join(NOT_STARTED_STATES) + "."
            ),
        ] = None,
        dry_run: Annotated[
            bool,
            Field(description="Default true: change nothing, show what would happen."),
        ] = True,
        ctx: Context | None = None,
    ) -> RescheduleResult:
        """Move a deployment's late runs later, and delete the older ones.

        Only past-due runs are handled: a run matches when its state is in
        `states` and its scheduled time is already past; a run due in the
        future is never moved or deleted, whatever `states` says. The most
        recent `most_recent_n` matching runs (by expected start time) get the
        new time expected start + `delay`; they keep their id, parameters, tags
        and job variables. With delete_remaining=true (default) every other
        matching run is DELETED, after the moves. Example:
        {"deployment": "etl/nightly", "delay": "6h", "most_recent_n": 3}.
        dry_run=true (default) changes nothing and lists the runs that would be
        rescheduled (with their new times) and deleted: show it to the user,
        then call again with dry_run=false. Prefect marks overdue runs Late
        some seconds after their time (longer on a busy server): `warnings`
        counts the overdue runs still named Scheduled, and adding 'Scheduled'
        to `states` handles them too. Only runs that have not started are
        touched: `states` refuses Running, Completed, Cancelled and the like
        (use cancel_flow_runs to stop runs). A run that changed state in
        between is left alone and named in `warnings`. Calling again after a
        partial failure finishes the job without moving extra runs.
        """
        now = utc_now()
        offset = parse_duration(delay, "delay")
        if not offset:
            raise InvalidInput(
                "delay", delay, "is zero.", "Give how much later to run, e.g. '6h'."
            )
        checked = not_started_states(["Late"] if states is None else states)
        target = await api.resolve_deployment(deployment)
        plan = await bulk.plan_reschedule(
            api, target.id, checked, offset, most_recent_n, now
        )
        return await bulk.reschedule(
            api,
            plan,
            checked,
            delete_remaining,
            dry_run,
            now,
            progress=ctx.report_progress if ctx else None,
        )

    @mcp.tool(
        annotations=write_tool("Cancel flow runs", destructive=True, idempotent=True)
    )
    async def cancel_flow_runs(
        states: States,
        deployment: Annotated[
            str | None, Field(description="Only runs of this deployment.")
        ] = None,
        late_by_at_least: LateBy = None,
        expected_before: Time = None,
        limit: Annotated[
            int | None,
            Field(
                ge=1,
                le=MAX_CANCEL_LIMIT,
                description="Cancel at most this many, oldest first.",
            ),
        ] = None,
        dry_run: Annotated[
            bool,
            Field(
                description="Default true: change nothing, show what would be "
                "cancelled."
            ),
        ] = True,
        ctx: Context | None = None,
    ) -> CancelResult:
        """Cancel flow runs in the given states. DESTRUCTIVE when dry_run=false.

        Example: {"states": ["Late"], "deployment": "etl/nightly",
        "late_by_at_least": "30m"} cancels the runs more than 30 minutes late
        and keeps the rest. Each run is asked to go to Cancelling: one that
        never started becomes Cancelled at once, a running one stays Cancelling
        until its worker has torn its infrastructure down. dry_run=true
        (default) changes nothing and lists the runs that would be cancelled
        with their expected final state. `matched` counts every run that
        matches; `cancelled` holds at most `limit` of them.
        """
        from prefect.client.schemas.sorting import FlowRunSort

        now = utc_now()
        checked = required_states(states)
        cutoff = late_cutoff(late_by_at_least, now)
        before = optional_time(expected_before, "expected_before")
        target = await api.resolve_deployment(deployment) if deployment else None
        flow_run_filter = run_filter(
            deployment_id=target.id if target else None,
            states=checked,
            expected_before=before,
            late_cutoff=cutoff,
        )
        total = await api.count_flow_runs(flow_run_filter)
        planned = await bulk.plan_runs(
            api, flow_run_filter, FlowRunSort.EXPECTED_START_TIME_ASC, limit
        )
        return await bulk.cancel(
            api,
            planned,
            flow_run_filter,
            total,
            limit,
            dry_run,
            progress=ctx.report_progress if ctx else None,
        )
