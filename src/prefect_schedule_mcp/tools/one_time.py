"""One flow run of a deployment at a future time."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any

from fastmcp import FastMCP
from pydantic import Field

from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.models import FlowRunInfo, OneTimeRun
from prefect_schedule_mcp.prefect_api import PrefectAPI
from prefect_schedule_mcp.scheduling import (
    format_time,
    parse_duration,
    parse_time,
    resolve_timezone,
    utc_now,
)
from prefect_schedule_mcp.tools import write_tool
from prefect_schedule_mcp.tools.arguments import DeploymentArg, Duration
from prefect_schedule_mcp.tools.common import (
    check_parameters,
    iso,
    scheduled_time,
    state_name,
)

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

logger = logging.getLogger(__name__)


def run_info(run: FlowRun, deployment: str, timezone: str) -> FlowRunInfo:
    return FlowRunInfo(
        id=str(run.id),
        name=run.name,
        deployment=deployment,
        state=state_name(run),
        scheduled_time=iso(scheduled_time(run), timezone),
        parameters=dict(run.parameters or {}),
        tags=list(run.tags or []),
    )


def register(mcp: FastMCP, api: PrefectAPI, *, read_only: bool) -> None:
    if read_only:
        return

    @mcp.tool(
        annotations=write_tool(
            "Schedule a one-time run", destructive=False, idempotent=False
        )
    )
    async def schedule_one_time_run(
        deployment: DeploymentArg,
        scheduled_time: Annotated[
            str | None,
            Field(
                description="When to run, ISO 8601: '2025-06-01T09:00:00+02:00', or "
                "'2025-06-01T09:00' = wall time in `timezone`. Give this or `delay`."
            ),
        ] = None,
        delay: Annotated[
            Duration | None,
            Field(
                description="How long from now, e.g. '5m', 'PT2H'. Give this or "
                "`scheduled_time`."
            ),
        ] = None,
        timezone: Annotated[
            str | None,
            Field(
                description="IANA time zone of a time without offset, and of the "
                "result's times; default UTC."
            ),
        ] = None,
        parameters: Annotated[
            dict[str, Any] | None,
            Field(
                description="Overrides of the deployment's parameters; the others "
                "keep their defaults."
            ),
        ] = None,
        tags: Annotated[
            list[str] | None, Field(description="Extra tags for the run.")
        ] = None,
        idempotency_key: Annotated[
            str | None,
            Field(
                description="Calling again with the same key returns the same run, "
                "not a second one."
            ),
        ] = None,
        allow_past: Annotated[
            bool,
            Field(
                description="Accept a time in the past; Prefect then marks the run "
                "Late at once."
            ),
        ] = False,
    ) -> OneTimeRun:
        """Create one flow run of a deployment at a given time (a single run, not a
        recurring schedule). Example: {"deployment": "etl/nightly", "delay": "5m",
        "parameters": {"x": 10}}. Parameter names must be the deployment's. A
        time in the past is refused unless allow_past=true. With an
        idempotency_key already used, the existing run is returned unchanged and
        `already_existed` is true.
        """
        from prefect.client.schemas.filters import (
            FlowRunFilter,
            FlowRunFilterIdempotencyKey,
        )
        from prefect.client.schemas.sorting import FlowRunSort
        from prefect.states import Scheduled

        zone = resolve_timezone(timezone)
        now = utc_now()
        warnings: list[str] = []
        if (scheduled_time is None) == (delay is None):
            raise InvalidInput(
                "scheduled_time/delay",
                {"scheduled_time": scheduled_time, "delay": delay},
                "give exactly one of them.",
                "Use scheduled_time for a clock time ('2025-06-01T09:00:00Z') or "
                "delay for a time from now ('5m').",
            )
        if scheduled_time is not None:
            resolved = parse_time(scheduled_time, zone, "scheduled_time")
            when, warnings = resolved.value, list(resolved.warnings)
            if when < now and not allow_past:
                raise InvalidInput(
                    "scheduled_time",
                    scheduled_time,
                    f"is in the past ({format_time(when, zone)}; now is "
                    f"{format_time(now, zone)}).",
                    "Give a future time or a delay, or set allow_past=true to "
                    "create a run that Prefect marks Late at once.",
                )
            if when < now:
                warnings.append(
                    f"The time {format_time(when, zone)} is already past: Prefect "
                    "marks the run Late at once, and a worker starts it as soon as "
                    "it polls."
                )
        else:
            when = now + parse_duration(delay if delay is not None else 0, "delay")

        target = await api.resolve_deployment(deployment)
        overrides = check_parameters(
            parameters, target.raw.parameter_openapi_schema, target.name
        )
        existing: list[FlowRun] = []
        if idempotency_key:
            key_filter = FlowRunFilter(
                idempotency_key=FlowRunFilterIdempotencyKey(any_=[idempotency_key])
            )
            async for page in api.iter_flow_runs(
                key_filter, FlowRunSort.ID_DESC, limit=1
            ):
                existing.extend(page)

        client = await api.client()
        async with api.calling(f"Creating a flow run of deployment {target.name!r}"):
            run = await client.create_flow_run_from_deployment(
                target.id,
                parameters=overrides,
                state=Scheduled(scheduled_time=when),
                tags=tags,
                idempotency_key=idempotency_key,
            )
        already = any(old.id == run.id for old in existing)
        if already:
            warnings.append(
                f"The idempotency key {idempotency_key!r} was used before: the "
                f"existing run {run.name!r} was returned as it is; the time, "
                "parameters and tags of this call were not applied."
            )
            if run.deployment_id != target.id:
                warnings.append(
                    "That run belongs to another deployment of the same flow "
                    "(Prefect scopes idempotency keys by flow)."
                )
        logger.info("Flow run %s of %s at %s", run.id, target.name, when.isoformat())
        return OneTimeRun(
            flow_run=run_info(run, target.name, zone),
            already_existed=already,
            warnings=warnings,
        )
