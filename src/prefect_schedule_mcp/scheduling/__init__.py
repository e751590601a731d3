"""Pure schedule logic: durations, times, normalizing, previews, descriptions.

Nothing here does I/O or talks to a Prefect server. Prefect's own schedule
classes are imported lazily, inside the functions that use them, so importing
this package stays cheap.
"""

from prefect_schedule_mcp.scheduling.describe import describe
from prefect_schedule_mcp.scheduling.durations import format_duration, parse_duration
from prefect_schedule_mcp.scheduling.normalize import (
    ScheduleSpec,
    normalize_cron,
    normalize_interval,
    normalize_rrule,
    spec_from_prefect,
    to_prefect_schedule,
)
from prefect_schedule_mcp.scheduling.preview import next_runs, schedule_warnings
from prefect_schedule_mcp.scheduling.times import (
    ResolvedTime,
    format_time,
    parse_time,
    resolve_timezone,
    utc_now,
)

__all__ = [
    "ResolvedTime",
    "ScheduleSpec",
    "describe",
    "format_duration",
    "format_time",
    "next_runs",
    "normalize_cron",
    "normalize_interval",
    "normalize_rrule",
    "parse_duration",
    "parse_time",
    "resolve_timezone",
    "schedule_warnings",
    "spec_from_prefect",
    "to_prefect_schedule",
    "utc_now",
]
