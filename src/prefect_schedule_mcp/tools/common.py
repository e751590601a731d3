"""Conversions shared by the tool families: Prefect objects to result models."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from prefect_schedule_mcp.models import FlowRunSummary
from prefect_schedule_mcp.scheduling import format_time

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

logger = logging.getLogger(__name__)


def iso(value: dt.datetime | None, timezone: str = "UTC") -> str | None:
    """An ISO 8601 string with an offset, in ``timezone``; None stays None."""
    if value is None:
        return None
    return format_time(value, timezone)


def state_name(run: FlowRun) -> str | None:
    return run.state.name if run.state else None


def scheduled_time(run: FlowRun) -> dt.datetime | None:
    """When a Scheduled run will start: its state's time, else the run's next time."""
    if run.state is not None and run.state.state_details.scheduled_time is not None:
        return run.state.state_details.scheduled_time
    return run.next_scheduled_start_time


def late_by_seconds(run: FlowRun, now: dt.datetime) -> float | None:
    """How far past its scheduled time a not-yet-started run is; None otherwise."""
    if run.state is None or run.state.type.value != "SCHEDULED":
        return None
    when = scheduled_time(run) or run.expected_start_time
    if when is None:
        return None
    late = (now - when).total_seconds()
    return round(late, 3) if late > 0 else 0.0


def run_summary(
    run: FlowRun,
    deployment_names: dict[Any, str],
    now: dt.datetime,
    timezone: str = "UTC",
) -> FlowRunSummary:
    return FlowRunSummary(
        id=str(run.id),
        name=run.name,
        deployment=deployment_names.get(run.deployment_id)
        if run.deployment_id
        else None,
        state=state_name(run),
        expected_start_time=iso(run.expected_start_time, timezone),
        scheduled_time=iso(scheduled_time(run), timezone),
        late_by_seconds=late_by_seconds(run, now),
        parameters=dict(run.parameters or {}),
        tags=list(run.tags or []),
    )


def check_parameters(
    parameters: dict[str, Any] | None,
    schema: dict[str, Any] | None,
    deployment_name: str,
) -> dict[str, Any]:
    """Parameter overrides, checked against the deployment's parameter schema.

    A name the schema does not declare, or a value of the wrong type, is
    refused: the runs would otherwise be created and fail only when a worker
    runs them, hours later. Parameters left out are not required here, since
    the deployment's defaults fill them. Validation is Prefect's own, the one
    the server applies when a deployment enforces its schema.
    """
    from prefect.utilities.schema_tools.validation import validate

    from prefect_schedule_mcp.errors import InvalidInput

    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise InvalidInput(
            "parameters", parameters, "it must be an object of name: value pairs."
        )
    if not schema or "properties" not in schema:
        # No schema to check against (a deployment made without one).
        return dict(parameters)
    properties = schema["properties"] or {}
    unknown = sorted(set(parameters) - set(properties))
    if unknown:
        raise InvalidInput(
            "parameters",
            parameters,
            f"deployment {deployment_name!r} has no parameter named "
            + ", ".join(repr(name) for name in unknown)
            + ".",
            "Its parameters are: " + ", ".join(sorted(properties)) + "."
            if properties
            else "Its flow takes no parameters: leave parameters out.",
        )
    try:
        errors = validate(dict(parameters), schema, ignore_required=True)
    except Exception as e:
        # A schema Prefect itself cannot use: leave the check to the server.
        logger.debug("parameter schema of %s not usable: %s", deployment_name, e)
        return dict(parameters)
    if errors:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in error.absolute_path) or 'parameters'}: "
            f"{error.message}"
            for error in errors[:5]
        )
        raise InvalidInput(
            "parameters",
            parameters,
            f"they do not fit the parameter schema of {deployment_name!r} ({reasons}).",
            "Send values of the types the flow declares; list_deployments shows "
            "the deployment's default parameters.",
        )
    return dict(parameters)
