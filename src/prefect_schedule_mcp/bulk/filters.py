"""Which flow runs a call is about: state names and server-side filters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from prefect_schedule_mcp.errors import InvalidInput, suggestion
from prefect_schedule_mcp.scheduling import parse_duration, parse_time

if TYPE_CHECKING:
    from prefect.client.schemas.filters import FlowRunFilter

# Every state name Prefect 3 gives a flow run, by state type.
STATE_NAMES = (
    "Scheduled",
    "Late",
    "AwaitingRetry",
    "AwaitingConcurrencySlot",
    "Resuming",
    "Pending",
    "Submitting",
    "InfrastructurePending",
    "NotReady",
    "Running",
    "Retrying",
    "Completed",
    "Cached",
    "RolledBack",
    "Failed",
    "TimedOut",
    "Crashed",
    "Cancelling",
    "Cancelled",
    "Paused",
    "Suspended",
)
_CANONICAL = {name.lower(): name for name in STATE_NAMES}


def check_states(states: list[str] | None, field: str = "states") -> list[str]:
    """Prefect's spelling of each state name; an unknown name is an error."""
    checked: list[str] = []
    for name in states or []:
        canonical = _CANONICAL.get(str(name).strip().lower())
        if canonical is None:
            raise InvalidInput(
                field,
                name,
                "is not a Prefect flow run state name.",
                suggestion(str(name), STATE_NAMES)
                or "Known names: " + ", ".join(STATE_NAMES) + ".",
            )
        if canonical not in checked:
            checked.append(canonical)
    return checked


def run_filter(
    *,
    deployment_id: uuid.UUID | None = None,
    states: list[str] | None = None,
    expected_after: dt.datetime | None = None,
    expected_before: dt.datetime | None = None,
    late_cutoff: dt.datetime | None = None,
) -> FlowRunFilter:
    """The server-side filter of the runs a call is about.

    Lateness is measured from the run's scheduled time (its next scheduled
    start), not its expected start time: Prefect never updates the latter,
    so a run rescheduled to tomorrow would otherwise still count as late.
    """
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterNextScheduledStartTime,
        FlowRunFilterState,
        FlowRunFilterStateName,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    state = None
    if states or late_cutoff:
        state = FlowRunFilterState(
            name=FlowRunFilterStateName(any_=states) if states else None,
            type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])
            if late_cutoff
            else None,
        )
    expected = None
    if expected_after or expected_before:
        expected = FlowRunFilterExpectedStartTime.model_validate(
            {"after_": expected_after, "before_": expected_before}
        )
    return FlowRunFilter(
        deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id])
        if deployment_id
        else None,
        state=state,
        expected_start_time=expected,
        next_scheduled_start_time=FlowRunFilterNextScheduledStartTime.model_validate(
            {"before_": late_cutoff}
        )
        if late_cutoff
        else None,
    )


def optional_time(value: str | None, field: str) -> dt.datetime | None:
    return parse_time(value, "UTC", field).value if value else None


def late_cutoff(late_by: str | float | None, now: dt.datetime) -> dt.datetime | None:
    if late_by is None:
        return None
    return now - parse_duration(late_by, "late_by_at_least")
