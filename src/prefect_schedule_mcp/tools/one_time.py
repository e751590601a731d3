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


def run_info(run: FlowRun, deployment: str | None, timezone: str) -> FlowRunInfo:
    return FlowRunInfo(
        id=str(run.id),
        name=run.name,
        deployment=deployment,
        state=state_name(run),
        scheduled_time=iso(scheduled_time(run), timezone),
        parameters=dict(run.parameters or {}),
        tags=list(run.tags or []),
    )


def clean_tags(tags: list[str] | None) -> tuple[list[str] | None, list[str]]:
    """Tags stripped, without empty ones or repeats (first seen kept, in order).

    Prefect stores tags as given, so ``" b "`` and ``"b"`` would be two tags
    and ``""`` one that matches nothing. Returns the tags and the sentences
    saying what was changed.
    """
    if tags is None:
        return None, []
    cleaned: list[str] = []
    trimmed: list[str] = []
    repeated: list[str] = []
    empty = 0
    for tag in tags:
        text = str(tag).strip()
        if not text:
            empty += 1
            continue
        if text != tag:
            trimmed.append(str(tag))
        if text in cleaned:
            repeated.append(text)
            continue
        cleaned.append(text)
    changes = []
    if empty:
        changes.append(f"dropped {empty} empty tag(s)")
    if repeated:
        shown = ", ".join(repr(tag) for tag in dict.fromkeys(repeated))
        changes.append(f"dropped {len(repeated)} repeated tag(s) ({shown})")
    if trimmed:
        shown = ", ".join(repr(tag) for tag in trimmed)
        changes.append(f"trimmed the spaces around {shown}")
    if not changes:
        return cleaned, []
    kept = ", ".join(repr(tag) for tag in cleaned) or "none"
    return cleaned, [
        "The tags were cleaned: " + "; ".join(changes) + f". Tags given: {kept}."
    ]


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
            list[str] | None,
            Field(
                description="Extra tags for the run, added to the deployment's; "
                "spaces around a tag, empty tags and repeats are dropped."
            ),
        ] = None,
        idempotency_key: Annotated[
            str | None,
            Field(
                description="Calling again with the same key returns the same run, "
                "not a second one. Prefect scopes keys by flow: a key used for "
                "another deployment of the same flow returns that run."
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
        `already_existed` is true; `flow_run.deployment` names the deployment
        it belongs to, which can be another deployment of the same flow.
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
        if idempotency_key is not None and not idempotency_key.strip():
            raise InvalidInput(
                "idempotency_key",
                idempotency_key,
                "it is blank.",
                "Leave it out for a new run every time, or give a key such as "
                "'backfill-2025-06-01'.",
            )
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
        tags_to_add, tag_warnings = clean_tags(tags)
        existing: list[FlowRun] = []
        if idempotency_key:
            # Keys are unique per flow, so other flows may hold runs with the
            # same key: read them all (one per flow), or one of them could
            # hide this flow's run.
            key_filter = FlowRunFilter(
                idempotency_key=FlowRunFilterIdempotencyKey(any_=[idempotency_key])
            )
            async for page in api.iter_flow_runs(key_filter, FlowRunSort.ID_DESC):
                existing.extend(page)

        client = await api.client()
        async with api.calling(f"Creating a flow run of deployment {target.name!r}"):
            run = await client.create_flow_run_from_deployment(
                target.id,
                parameters=overrides,
                state=Scheduled(scheduled_time=when),
                tags=tags_to_add,
                idempotency_key=idempotency_key,
            )
        # A run of another deployment cannot be the one just asked for.
        already = run.deployment_id != target.id or any(
            old.id == run.id for old in existing
        )
        run_deployment: str | None = target.name
        if not already:
            warnings.extend(tag_warnings)
        elif run.deployment_id == target.id:
            warnings.append(
                f"The idempotency key {idempotency_key!r} was used before: the "
                f"existing run {run.name!r} was returned as it is; the time, "
                "parameters and tags of this call were not applied."
            )
        else:
            names = await api.deployment_names([run.deployment_id])
            run_deployment = names.get(run.deployment_id) if run.deployment_id else None
            if run_deployment:
                holder = f"deployment {run_deployment!r} of the same flow"
            elif run.deployment_id:
                holder = f"deployment {run.deployment_id} (since deleted) of the flow"
            else:
                holder = "the same flow, made without a deployment"
            warnings.append(
                f"No run was created on deployment {target.name!r}: the "
                f"idempotency key {idempotency_key!r} is already used by run "
                f"{run.name!r} of {holder}, and Prefect scopes idempotency keys "
                "by flow, not by deployment. That run was returned as it is; the "
                "time, parameters and tags of this call were not applied. To "
                f"schedule a run of {target.name!r}, call again with another "
                "idempotency_key."
            )
        logger.info(
            "Flow run %s of %s at %s%s",
            run.id,
            run_deployment,
            when.isoformat(),
            " (already existed)" if already else "",
        )
        return OneTimeRun(
            flow_run=run_info(run, run_deployment, zone),
            already_existed=already,
            warnings=warnings,
        )
