"""Pausing, resuming, updating and deleting one deployment schedule.

The Prefect server has side effects here that its API does not show, and this
module makes them visible and safe:

- A PATCH of a schedule replaces its parameter overrides with ``{}`` unless
  they are sent again, so every change sends the schedule's current overrides
  (or the new ones the caller named).
- Any change to any schedule deletes the deployment's *future* auto-scheduled
  runs, of every schedule; the scheduler service refills the active schedules
  on its next loop. Past-due runs stay, and will still run.
- Deleting a schedule deletes every auto-scheduled run of the deployment that
  has not started, past-due ones included, of every schedule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastmcp import FastMCP
from pydantic import Field

from prefect_schedule_mcp.errors import Conflict, InvalidInput, NotFound
from prefect_schedule_mcp.models import ScheduleChanged, ScheduleInfo
from prefect_schedule_mcp.prefect_api import Deployment, PrefectAPI
from prefect_schedule_mcp.scheduling import (
    ScheduleSpec,
    normalize_cron,
    normalize_interval,
    normalize_rrule,
    rrules,
    spec_from_prefect,
    to_prefect_schedule,
    utc_now,
)
from prefect_schedule_mcp.tools import write_tool
from prefect_schedule_mcp.tools.arguments import (
    AnchorDate,
    Cron,
    DayOr,
    DeploymentArg,
    Interval,
    Parameters,
    RRule,
    Slug,
    TimeZone,
)
from prefect_schedule_mcp.tools.common import check_parameters
from prefect_schedule_mcp.tools.schedules import (
    build_spec,
    existing_schedule_info,
)
from prefect_schedule_mcp.tools.side_effects import (
    Action,
    cancel_past_due,
    classify_runs,
    pending_auto_runs,
    reconcile,
)

if TYPE_CHECKING:
    from prefect.client.schemas.objects import DeploymentSchedule

UPDATE_FIELDS = (
    "cron",
    "interval",
    "anchor_date",
    "rrule",
    "timezone",
    "day_or",
    "slug",
    "parameters",
    "active",
)


def find_schedule(
    deployment: Deployment, schedules: list[DeploymentSchedule], reference: str
) -> DeploymentSchedule:
    """The schedule whose id or slug is ``reference``."""
    wanted = reference.strip()
    for schedule in schedules:
        if str(schedule.id) == wanted.lower() or (
            schedule.slug and schedule.slug == wanted
        ):
            return schedule
    known = ", ".join(f"{s.slug or '(no slug)'} [{s.id}]" for s in schedules) or "none"
    raise NotFound(
        f"Deployment {deployment.name!r} has no schedule with id or slug "
        f"{reference!r}. Its schedules: {known}. list_deployment_schedules shows "
        "them in full."
    )


def updated_spec(current: ScheduleSpec, changes: dict[str, Any]) -> ScheduleSpec:
    """The schedule definition after an update; unnamed fields keep their values."""
    definition = current.definition
    timezone = changes.get("timezone") or current.timezone
    kinds = [k for k in ("cron", "interval", "rrule") if changes.get(k) is not None]
    if len(kinds) > 1:
        raise InvalidInput(
            ", ".join(kinds),
            [changes[k] for k in kinds],
            "an update gives the schedule one new definition, not several.",
            "Send exactly one of cron, interval and rrule (switching type is allowed).",
        )
    if kinds:
        kind = kinds[0]
        if kind == "rrule" and not changes.get("timezone"):
            # A TZID on the new rule's DTSTART names its zone; the schedule's
            # current zone applies only to a rule without one.
            lines = rrules.split_lines(changes["rrule"])
            timezone = rrules.dtstart_zone(lines) or current.timezone
        day_or = changes.get("day_or") if kind == "cron" else None
        if kind == "cron" and day_or is None and current.kind == "cron":
            # A new cron text keeps the schedule's day_or unless it is named.
            day_or = definition.get("day_or", True)
        return build_spec(
            **{kind: changes[kind]},
            timezone=timezone,
            anchor_date=changes.get("anchor_date") if kind == "interval" else None,
            day_or=day_or,
        )
    if current.kind == "cron":
        if changes.get("anchor_date") is not None:
            raise InvalidInput(
                "anchor_date",
                changes["anchor_date"],
                "this is a cron schedule; anchor_date applies to interval schedules.",
            )
        day_or = changes.get("day_or")
        return normalize_cron(
            definition["cron"],
            timezone,
            definition.get("day_or", True) if day_or is None else day_or,
        )
    if changes.get("day_or") is not None:
        raise InvalidInput(
            "day_or",
            changes["day_or"],
            f"this is an {current.kind} schedule; day_or applies to cron schedules.",
        )
    if current.kind == "interval":
        if changes.get("anchor_date") is None and changes.get("timezone"):
            # Keep the anchor's wall time, now read in the new zone.
            anchor = str(definition["anchor_date"])[:19]
        else:
            anchor = changes.get("anchor_date") or definition["anchor_date"]
        return normalize_interval(str(definition["interval"]), anchor, timezone)
    if changes.get("anchor_date") is not None:
        raise InvalidInput(
            "anchor_date",
            changes["anchor_date"],
            "this is an rrule schedule; put DTSTART in the rule instead.",
        )
    return normalize_rrule(definition["rrule"], changes.get("timezone"))


def register(mcp: FastMCP, api: PrefectAPI, *, read_only: bool) -> None:
    if read_only:
        return

    @mcp.tool(
        annotations=write_tool(
            "Pause, resume, update or delete a schedule",
            destructive=True,
            idempotent=False,
        )
    )
    async def manage_deployment_schedules(
        deployment: DeploymentArg,
        schedule: Annotated[str, Field(description="The schedule's id or slug.")],
        action: Annotated[
            Action,
            Field(
                description="pause | resume | update | delete. delete is "
                "permanent, and the Prefect server then removes every "
                "auto-scheduled run of the deployment that has not started "
                "(of all its schedules, past-due ones included)."
            ),
        ],
        cron: Cron | None = None,
        interval: Interval | None = None,
        anchor_date: AnchorDate = None,
        rrule: RRule | None = None,
        timezone: TimeZone = None,
        day_or: DayOr = None,
        slug: Slug = None,
        parameters: Parameters = None,
        active: Annotated[bool | None, Field(description="update only.")] = None,
        cancel_past_due_runs: Annotated[
            bool,
            Field(
                description="pause only: also cancel this schedule's past-due runs, "
                "which the server would otherwise keep and run."
            ),
        ] = False,
        dry_run: Annotated[
            bool, Field(description="true: report what would change; change nothing.")
        ] = False,
    ) -> ScheduleChanged:
        """Change one schedule of a deployment, keeping everything the call does
        not name: its id, its parameter overrides, its slug. For `update`, give
        any of cron/interval/rrule (switching type is allowed), timezone,
        anchor_date, day_or, slug (a rename keeps the same schedule),
        parameters (replace the overrides) or active. `affected_runs` lists the
        runs the Prefect server removes because of the change, and past-due
        runs it keeps (a pause with cancel_past_due_runs=true cancels this
        schedule's past-due runs instead); dry_run=true shows them without
        changing anything.
        Example: deployment='etl/nightly', schedule='weekday-9am',
        action='pause'."""
        given = {
            name: value
            for name, value in (
                ("cron", cron),
                ("interval", interval),
                ("anchor_date", anchor_date),
                ("rrule", rrule),
                ("timezone", timezone),
                ("day_or", day_or),
                ("slug", slug),
                ("parameters", parameters),
                ("active", active),
            )
            if value is not None
        }
        if action != "update" and given:
            raise InvalidInput(
                ", ".join(given),
                list(given.values()),
                f"these fields only apply to action='update', not {action!r}.",
                "Call again without them, or with action='update'.",
            )
        if cancel_past_due_runs and action != "pause":
            raise InvalidInput(
                "cancel_past_due_runs",
                True,
                f"it only applies to action='pause', not {action!r}.",
            )
        if action == "update" and not given:
            raise InvalidInput(
                "update",
                None,
                "name at least one field to change.",
                "Fields: " + ", ".join(UPDATE_FIELDS) + ".",
            )

        # The deployment as read carries its schedules: no second request.
        found = await api.resolve_deployment(deployment)
        client = await api.client()
        schedules = list(found.raw.schedules or [])
        target = find_schedule(found, schedules, schedule)
        current = spec_from_prefect(target.schedule)
        overrides = dict(target.parameters or {})
        warnings: list[str] = []

        new_spec: ScheduleSpec | None = None
        new_slug = target.slug
        new_active = bool(target.active)
        if action == "pause":
            new_active = False
        elif action == "resume":
            new_active = True
        elif action == "update":
            if any(
                k in given
                for k in (
                    "cron",
                    "interval",
                    "rrule",
                    "timezone",
                    "anchor_date",
                    "day_or",
                )
            ):
                new_spec = updated_spec(current, given)
                warnings.extend(new_spec.warnings)
            if "parameters" in given:
                overrides = check_parameters(
                    parameters, found.raw.parameter_openapi_schema, found.name
                )
            if "active" in given:
                new_active = bool(active)
            if slug is not None:
                new_slug = slug.strip()
                if not new_slug:
                    raise InvalidInput(
                        "slug",
                        slug,
                        "it is blank.",
                        "Give the schedule a new name, or leave slug out to keep "
                        f"{target.slug!r}.",
                    )
                if any(s.slug == new_slug and s.id != target.id for s in schedules):
                    raise Conflict(
                        f"Deployment {found.name!r} already has another schedule "
                        f"with slug {new_slug!r}; choose another slug."
                    )
        if action == "resume" and found.raw.paused:
            warnings.append(
                f"Deployment {found.name!r} itself is paused: the schedule makes no "
                "runs until the deployment is resumed too."
            )
        if action in ("pause", "resume") and new_active == bool(target.active):
            warnings.append(
                f"The schedule was already {'active' if new_active else 'paused'}; "
                "nothing was changed."
            )
            return ScheduleChanged(
                action=action,
                schedule=existing_schedule_info(target),
                affected_runs=[],
                warnings=warnings,
                dry_run=dry_run,
            )

        shown_zone = (new_spec or current).timezone
        runs = await pending_auto_runs(api, found)
        affected, notes = classify_runs(
            runs, action, target, utc_now(), shown_zone, cancel_past_due_runs, dry_run
        )
        warnings.extend(notes)

        if not dry_run:
            async with api.calling(f"Changing schedule {schedule!r} of {found.name!r}"):
                if action == "delete":
                    await client.delete_deployment_schedule(found.id, target.id)
                else:
                    await client.update_deployment_schedule(
                        found.id,
                        target.id,
                        active=new_active,
                        schedule=to_prefect_schedule(new_spec) if new_spec else None,
                        parameters=overrides,
                        slug=new_slug if new_slug != target.slug else None,
                    )
        if not dry_run:
            # A run can cross "now" between the plan and the change: report
            # what the server actually did, not what was predicted.
            await reconcile(api, found, affected)
        to_cancel = [a for a in affected if a.outcome == "cancelled"]
        if to_cancel and not dry_run:
            warnings.extend(await cancel_past_due(api, to_cancel))
        if action == "delete":
            after = existing_schedule_info(target)
        elif dry_run:
            after = existing_schedule_info(target).model_copy(
                update=_preview_update(new_spec, new_active, new_slug, overrides)
            )
        else:
            async with api.calling(f"Reading back schedule {schedule!r}"):
                fresh = await client.read_deployment_schedules(found.id)
            after = existing_schedule_info(next(s for s in fresh if s.id == target.id))
            if after.parameters != overrides:
                warnings.append(
                    "The Prefect server did not keep the parameter overrides: they "
                    f"are now {after.parameters}, expected {overrides}."
                )
        return ScheduleChanged(
            action=action,
            schedule=after,
            affected_runs=affected,
            warnings=warnings,
            dry_run=dry_run,
        )


def _preview_update(
    spec: ScheduleSpec | None,
    active: bool,
    slug: str | None,
    parameters: dict[str, Any],
) -> dict[str, Any]:
    """The fields of a ScheduleInfo as a dry-run update would leave them."""
    from prefect_schedule_mcp.tools.schedules import schedule_info

    update: dict[str, Any] = {"active": active, "slug": slug, "parameters": parameters}
    if spec is not None:
        info: ScheduleInfo = schedule_info(
            spec, id=None, slug=slug, active=active, parameters=parameters
        )
        update.update(info.model_dump(exclude={"id", "next_runs"}))
    return update
