"""Argument types shared by the schedule tools, described for the calling model."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictFloat, StrictInt, StrictStr

Cron = Annotated[
    str,
    Field(
        description="Five-field cron: minute hour day-of-month month day-of-week, "
        "e.g. '0 9 * * 1-5' for 09:00 on weekdays."
    ),
]
# Strict: JSON true would otherwise be read as 1 second.
Interval = Annotated[
    StrictStr | StrictInt | StrictFloat,
    Field(
        description="Time between runs: ISO 8601 ('PT15M', 'P1D'), short form "
        "('90s', '15m', '2h30m', '1d') or seconds ('3600'). Months and years are "
        "refused: use a cron or rrule."
    ),
]
RRule = Annotated[
    str,
    Field(
        description="RFC 5545 recurrence rule, e.g. 'DTSTART;TZID=America/Chicago:"
        "20250101T090000\\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE'. A TZID on DTSTART sets "
        "the time zone."
    ),
]
TimeZone = Annotated[
    str | None,
    Field(description="IANA time zone, e.g. 'America/New_York'. Default UTC."),
]
AnchorDate = Annotated[
    str | None,
    Field(
        description="Interval only: a time the runs are counted from (ISO 8601; "
        "without an offset it is wall time in `timezone`). Default: today 00:00."
    ),
]
DayOr = Annotated[
    bool | None,
    Field(
        description="Cron only: when both day-of-month and day-of-week are set, "
        "true (default, standard cron) runs on either; false only on days "
        "matching both."
    ),
]
DeploymentArg = Annotated[
    str,
    Field(
        description="Deployment id, 'flow name/deployment name', or a deployment "
        "name that is unique. list_deployments shows them."
    ),
]
Slug = Annotated[
    str | None,
    Field(description="A name for the schedule, unique within the deployment."),
]
Parameters = Annotated[
    dict[str, Any] | None,
    Field(description="Parameter overrides for the runs of this schedule."),
]
DryRun = Annotated[
    bool, Field(description="true: show what would be created and change nothing.")
]
Duration = Annotated[
    StrictStr | StrictInt | StrictFloat,
    Field(
        description="ISO 8601 ('PT30M', 'P1DT2H'), short form ('90s', '30m', "
        "'2h30m', '1d') or a number of seconds."
    ),
]
