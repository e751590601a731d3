"""Which flow runs a call is about: state names and server-side filters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from prefect_schedule_mcp.errors import InvalidInput, suggestion
from prefect_schedule_mcp.scheduling import parse_duration, parse_time

if TYPE_CHECKING:
    from prefect.client.schemas.filters import FlowRunFilter

# Every state name Prefect 3 gives a flow run, with its state type. The server
# names a Scheduled-type state "Resuming" when a suspended run is resumed;
# "NotReady" is a Pending state when upstream work is not done.
STATE_TYPES = {
    "Scheduled": "SCHEDULED",
    "Late": "SCHEDULED",
    "AwaitingRetry": "SCHEDULED",
    "AwaitingConcurrencySlot": "SCHEDULED",
    "Resuming": "SCHEDULED",
    "Pending": "PENDING",
    "Submitting": "PENDING",
    "InfrastructurePending": "PENDING",
    "NotReady": "PENDING",
    "Running": "RUNNING",
    "Retrying": "RUNNING",
    "Completed": "COMPLETED",
    "Cached": "COMPLETED",
    "RolledBack": "COMPLETED",
    "Failed": "FAILED",
    "TimedOut": "FAILED",
    "Crashed": "CRASHED",
    "Cancelling": "CANCELLING",
    "Cancelled": "CANCELLED",
    "Paused": "PAUSED",
    "Suspended": "PAUSED",
}
STATE_NAMES = tuple(STATE_TYPES)
NOT_STARTED_STATES = tuple(
    name for name, kind in STATE_TYPES.items() if kind == "SCHEDULED"
)
_CANONICAL = {name.lower(): name for name in STATE_NAMES}
_FINISHED_TYPES = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


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


def required_states(states: list[str], field: str = "states") -> list[str]:
    """Like :func:`check_states`, but an empty list is an error too.

    A bulk change over "no states" has no sensible meaning: it would either
    match nothing or, read as "all", touch every run of the deployment.
    """
    if not states:
        raise InvalidInput(
            field,
            states,
            "is empty: it would match no run.",
            "Give at least one state, e.g. ['Late'].",
        )
    return check_states(states, field)


def not_started_states(states: list[str], field: str = "states") -> list[str]:
    """Checked state names, each of a run that has not started yet.

    Moving a run to a new time is a Scheduled state proposed to it; for a run
    that started or finished, that would bring it back to run again (a
    Completed flow re-run, a Cancelled one revived). Only names of the
    SCHEDULED state type are accepted.
    """
    checked = required_states(states, field)
    for name in checked:
        kind = STATE_TYPES[name]
        if kind == "SCHEDULED":
            continue
        if kind in _FINISHED_TYPES:
            why = "its runs have finished, and a new time would make them run again."
            hint = "To run the flow again, use schedule_one_time_run."
        elif kind == "CANCELLING":
            why = "its runs are being cancelled already."
            hint = "They end Cancelled by themselves."
        else:
            why = "its runs have already been picked up to run."
            hint = "To stop them, use cancel_flow_runs."
        raise InvalidInput(
            field,
            name,
            f"is a {kind} state: {why} Only runs that have not started can be "
            "rescheduled.",
            f"{hint} Reschedule runs in {', '.join(NOT_STARTED_STATES)}; e.g. "
            "['Late'].",
        )
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
