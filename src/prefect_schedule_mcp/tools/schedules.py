"""Previewing, creating and listing deployment schedules."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import anyio.to_thread
from fastmcp import FastMCP
from pydantic import Field

from prefect_schedule_mcp.errors import Conflict, InvalidInput
from prefect_schedule_mcp.models import (
    DeploymentRef,
    DeploymentSchedules,
    DeploymentState,
    ScheduleCreated,
    ScheduleInfo,
    SchedulePreview,
)
from prefect_schedule_mcp.prefect_api import Deployment, PrefectAPI
from prefect_schedule_mcp.scheduling import (
    ScheduleSpec,
    describe,
    format_time,
    next_runs,
    normalize_cron,
    normalize_interval,
    normalize_rrule,
    parse_time,
    schedule_warnings,
    spec_from_prefect,
    to_prefect_schedule,
    utc_now,
)
from prefect_schedule_mcp.tools import read_tool, write_tool
from prefect_schedule_mcp.tools.arguments import (
    AnchorDate,
    Cron,
    DayOr,
    DeploymentArg,
    DryRun,
    Interval,
    Parameters,
    RRule,
    Slug,
    TimeZone,
)
from prefect_schedule_mcp.tools.common import check_parameters

if TYPE_CHECKING:
    from mcp.types import ToolAnnotations
    from prefect.client.schemas.objects import DeploymentSchedule

CREATED_PREVIEW_COUNT = 5
MAX_PREVIEW = 1000
MAX_LIST_PREVIEW = 50

T = TypeVar("T")


async def off_loop(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run CPU-bound schedule work in a worker thread.

    A rule that takes seconds to evaluate (an rrule that rarely matches) then
    holds up neither the other calls nor the call's own deadline: when the
    deadline passes, the call fails at once and the thread's result is
    dropped.
    """
    return await anyio.to_thread.run_sync(
        functools.partial(work, *args, **kwargs), abandon_on_cancel=True
    )


def build_spec(
    *,
    cron: str | None = None,
    interval: str | float | None = None,
    rrule: str | None = None,
    timezone: str | None = None,
    anchor_date: str | None = None,
    day_or: bool | None = None,
) -> ScheduleSpec:
    """One normalized schedule from exactly one of cron, interval and rrule."""
    given = [
        name
        for name, value in (("cron", cron), ("interval", interval), ("rrule", rrule))
        if value not in (None, "")
    ]
    empty = [
        name
        for name, value in (("cron", cron), ("interval", interval), ("rrule", rrule))
        if value == ""
    ]
    if not given and empty:
        raise InvalidInput(
            empty[0],
            "",
            "it is empty.",
            "Give exactly one of cron (e.g. '0 9 * * 1-5'), interval (e.g. '1h') "
            "and rrule (e.g. 'FREQ=WEEKLY;BYDAY=MO').",
        )
    if len(given) != 1:
        raise InvalidInput(
            "schedule",
            None,
            "give exactly one of cron, interval and rrule"
            + (f" (got {', '.join(given)})." if given else " (got none)."),
        )
    if anchor_date is not None and interval is None:
        raise InvalidInput(
            "anchor_date", anchor_date, "it only applies to interval schedules."
        )
    if day_or is not None and cron is None:
        raise InvalidInput("day_or", day_or, "it only applies to cron schedules.")
    if cron is not None:
        return normalize_cron(cron, timezone, day_or)
    if interval is not None:
        return normalize_interval(interval, anchor_date, timezone)
    assert rrule is not None
    return normalize_rrule(rrule, timezone)


def schedule_info(
    spec: ScheduleSpec,
    *,
    id: str | None,
    slug: str | None,
    active: bool,
    parameters: dict[str, Any],
    runs: list[str] | None = None,
) -> ScheduleInfo:
    definition = {k: v for k, v in spec.definition.items() if k != "timezone"}
    if "anchor_date" in definition:
        # A result time: shown with its offset in the schedule's zone.
        anchor = dt.datetime.fromisoformat(str(definition["anchor_date"]))
        definition["anchor_date"] = format_time(anchor, spec.timezone)
    return ScheduleInfo(
        id=id,
        slug=slug,
        active=active,
        type=spec.kind,
        timezone=spec.timezone,
        description=describe(spec),
        parameters=parameters,
        next_runs=runs,
        **definition,
    )


def existing_schedule_info(
    schedule: DeploymentSchedule, runs: list[str] | None = None
) -> ScheduleInfo:
    spec = spec_from_prefect(schedule.schedule)
    return schedule_info(
        spec,
        id=str(schedule.id),
        slug=schedule.slug,
        active=bool(schedule.active),
        parameters=dict(schedule.parameters or {}),
        runs=runs,
    )


def preview(
    *,
    cron: str | None,
    interval: str | float | None,
    rrule: str | None,
    timezone: str | None,
    anchor_date: str | None,
    day_or: bool | None,
    start_after: str | None,
    count: int,
) -> SchedulePreview:
    """What ``preview_schedule`` returns; CPU-bound, run off the loop."""
    spec = build_spec(
        cron=cron,
        interval=interval,
        rrule=rrule,
        timezone=timezone,
        anchor_date=anchor_date,
        day_or=day_or,
    )
    warnings = list(spec.warnings)
    if start_after is None:
        start = utc_now()
    else:
        resolved = parse_time(start_after, spec.timezone, "start_after")
        start = resolved.value
        warnings.extend(resolved.warnings)
    times, window_warnings = preview_times(spec, count, start)
    return SchedulePreview(
        schedule=spec.definition,
        timezone=spec.timezone,
        description=describe(spec),
        next_runs=times,
        warnings=[*warnings, *window_warnings],
    )


def schedule_infos(found: Deployment, count: int) -> list[ScheduleInfo]:
    """A deployment's schedules, with ``count`` next runs of the active ones
    (none while the deployment is paused)."""
    start = utc_now()
    infos = []
    for schedule in found.raw.schedules or []:
        runs: list[str] = []
        if schedule.active and not found.raw.paused and count:
            spec = spec_from_prefect(schedule.schedule)
            runs = run_times(spec, start, count)
        infos.append(existing_schedule_info(schedule, runs))
    return infos


def run_times(spec: ScheduleSpec, start: dt.datetime, count: int) -> list[str]:
    """The next ``count`` run times at or after ``start``, in the schedule's zone."""
    return [format_time(run, spec.timezone) for run in next_runs(spec, start, count)]


def preview_times(
    spec: ScheduleSpec, count: int, start: dt.datetime | None = None
) -> tuple[list[str], list[str]]:
    """The next ``count`` run times from ``start`` (default now), formatted,
    with the warnings about them."""
    start = start or utc_now()
    runs = next_runs(spec, start, count)
    warnings = schedule_warnings(spec, runs, start, count)
    return [format_time(run, spec.timezone) for run in runs], warnings


async def create_schedule(
    api: PrefectAPI,
    deployment_ref: str,
    spec: ScheduleSpec,
    *,
    slug: str | None,
    active: bool,
    parameters: dict[str, Any] | None,
    dry_run: bool,
) -> ScheduleCreated:
    """Attach ``spec`` to a deployment (or show what would be attached)."""
    from prefect.client.schemas.actions import DeploymentScheduleCreate

    deployment = await api.resolve_deployment(deployment_ref)
    overrides = check_parameters(
        parameters, deployment.raw.parameter_openapi_schema, deployment.name
    )
    slug = (slug or "").strip() or None
    existing = deployment.raw.schedules or []
    if slug and any(s.slug == slug for s in existing):
        raise Conflict(
            f"Deployment {deployment.name!r} already has a schedule with slug "
            f"{slug!r}. Choose another slug, or change that schedule with "
            "manage_deployment_schedules(action='update')."
        )
    times, warnings = await off_loop(preview_times, spec, CREATED_PREVIEW_COUNT)
    warnings = [
        *spec.warnings,
        *warnings,
        *deployment_warnings(deployment, active, times),
    ]
    schedule_id: str | None = None
    if not dry_run:
        client = await api.client()
        async with api.calling(f"Creating a schedule on {deployment.name!r}"):
            created = await client.create_deployment_schedules(
                deployment.id,
                [
                    DeploymentScheduleCreate(
                        schedule=to_prefect_schedule(spec),
                        active=active,
                        parameters=overrides,
                        slug=slug,
                    )
                ],
            )
        schedule_id = str(created[0].id)
    return ScheduleCreated(
        deployment=DeploymentRef(id=str(deployment.id), name=deployment.name),
        schedule=schedule_info(
            spec, id=schedule_id, slug=slug, active=active, parameters=overrides
        ),
        next_runs=times if active and not deployment.raw.paused else [],
        warnings=warnings,
        dry_run=dry_run,
    )


def deployment_warnings(
    deployment: Deployment, active: bool, times: list[str]
) -> list[str]:
    """Why a new schedule makes no runs yet, with the times it would have.

    ``next_runs`` is empty then, as in ``list_deployment_schedules``.
    """
    notes = []
    would = f" Its next run times would be: {', '.join(times[:3])}." if times else ""
    if not active:
        notes.append(
            "The schedule is created inactive: it makes no runs until it is "
            f"resumed.{would}"
        )
    if deployment.raw.paused:
        notes.append(
            f"Deployment {deployment.name!r} is paused: none of its schedules makes "
            "runs until the deployment is resumed." + (would if active else "")
        )
    return notes


def register(mcp: FastMCP, api: PrefectAPI, *, read_only: bool) -> None:
    @mcp.tool(annotations=read_tool("Preview a schedule"))
    async def preview_schedule(
        cron: Cron | None = None,
        interval: Interval | None = None,
        rrule: RRule | None = None,
        timezone: TimeZone = None,
        anchor_date: AnchorDate = None,
        day_or: DayOr = None,
        start_after: Annotated[
            str | None,
            Field(
                description="Show runs at or after this time (ISO 8601). Default now."
            ),
        ] = None,
        count: Annotated[int, Field(ge=1, le=MAX_PREVIEW)] = 10,
    ) -> SchedulePreview:
        """Show the next run times of a schedule before creating it; needs no
        Prefect server. Give exactly one of `cron`, `interval` or `rrule`. The
        times are the ones Prefect's scheduler will create, in the schedule's
        time zone; `warnings` names DST changes that skip or move runs.
        Example: cron='0 9 * * 1-5', timezone='America/New_York'."""
        # Previews use Prefect's schedule classes: import them off the loop.
        await api.preload.wait()
        return await off_loop(
            preview,
            cron=cron,
            interval=interval,
            rrule=rrule,
            timezone=timezone,
            anchor_date=anchor_date,
            day_or=day_or,
            start_after=start_after,
            count=count,
        )

    @mcp.tool(annotations=read_tool("List a deployment's schedules"))
    async def list_deployment_schedules(
        deployment: DeploymentArg,
        next_runs: Annotated[int, Field(ge=0, le=MAX_LIST_PREVIEW)] = 3,
    ) -> DeploymentSchedules:
        """A deployment's schedules: id, slug, active, type, definition, time
        zone, a description, parameter overrides, and the next run times of
        active schedules (none while the schedule or the deployment is paused)."""
        # The deployment as read carries its schedules: one request in all.
        found = await api.resolve_deployment(deployment)
        infos = await off_loop(schedule_infos, found, next_runs)
        return DeploymentSchedules(
            deployment=DeploymentState(
                id=str(found.id), name=found.name, paused=bool(found.raw.paused)
            ),
            schedules=infos,
        )

    if read_only:
        return

    def create(kind: str) -> ToolAnnotations:
        return write_tool(
            f"Create {kind} schedule", destructive=False, idempotent=False
        )

    @mcp.tool(annotations=create("an interval"))
    async def create_interval_schedule(
        deployment: DeploymentArg,
        interval: Interval,
        anchor_date: AnchorDate = None,
        timezone: TimeZone = None,
        slug: Slug = None,
        active: bool = True,
        parameters: Parameters = None,
        dry_run: DryRun = False,
    ) -> ScheduleCreated:
        """Attach an interval schedule to a deployment: a run every `interval`,
        counted from `anchor_date`. Intervals of whole days keep the anchor's
        wall-clock time across DST changes. Example: interval='6h',
        anchor_date='2025-01-01T02:00', timezone='Europe/Berlin'. Use
        dry_run=true to see the definition and the next runs first."""
        spec = build_spec(interval=interval, anchor_date=anchor_date, timezone=timezone)
        return await create_schedule(
            api,
            deployment,
            spec,
            slug=slug,
            active=active,
            parameters=parameters,
            dry_run=dry_run,
        )

    @mcp.tool(annotations=create("a cron"))
    async def create_cron_schedule(
        deployment: DeploymentArg,
        cron: Cron,
        timezone: TimeZone = None,
        day_or: DayOr = None,
        slug: Slug = None,
        active: bool = True,
        parameters: Parameters = None,
        dry_run: DryRun = False,
    ) -> ScheduleCreated:
        """Attach a cron schedule to a deployment, evaluated in `timezone`
        wall-clock time (a run in a DST gap moves forward; in a repeated hour it
        fires once). Example: cron='0 9 * * 1-5', timezone='America/New_York'.
        Use dry_run=true to see the definition and the next runs first."""
        spec = build_spec(cron=cron, timezone=timezone, day_or=day_or)
        return await create_schedule(
            api,
            deployment,
            spec,
            slug=slug,
            active=active,
            parameters=parameters,
            dry_run=dry_run,
        )

    @mcp.tool(annotations=create("an rrule"))
    async def create_rrule_schedule(
        deployment: DeploymentArg,
        rrule: RRule,
        timezone: TimeZone = None,
        slug: Slug = None,
        active: bool = True,
        parameters: Parameters = None,
        dry_run: DryRun = False,
    ) -> ScheduleCreated:
        """Attach an RFC 5545 recurrence rule to a deployment, for calendars a
        cron cannot express (every other Tuesday, the last weekday of the
        month). Example: rrule='DTSTART:20250106T090000\\nRRULE:FREQ=WEEKLY;
        INTERVAL=2;BYDAY=TU', timezone='Europe/London'. Use dry_run=true to see
        the normalized rule and the next runs first."""
        spec = build_spec(rrule=rrule, timezone=timezone)
        return await create_schedule(
            api,
            deployment,
            spec,
            slug=slug,
            active=active,
            parameters=parameters,
            dry_run=dry_run,
        )
