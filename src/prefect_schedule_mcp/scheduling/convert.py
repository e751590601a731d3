"""Between our :class:`ScheduleSpec` and Prefect's schedule schema objects.

Prefect is imported inside the functions: importing this module is cheap.
"""

from __future__ import annotations

from datetime import timedelta
from types import ModuleType
from typing import Any

from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.scheduling import rrules
from prefect_schedule_mcp.scheduling.durations import parse_duration
from prefect_schedule_mcp.scheduling.spec import ScheduleSpec
from prefect_schedule_mcp.scheduling.times import format_time, parse_time


def anchor_text(anchor: Any, zone: str) -> str:
    """An anchor as ISO 8601 in ``zone`` with an explicit offset.

    Spelled the way Prefect's client serializes it (``Z`` for a zero offset),
    so that the definition is byte for byte what is sent.
    """
    from zoneinfo import ZoneInfo

    if anchor.microsecond:
        text = str(anchor.astimezone(ZoneInfo(zone)).isoformat())
    else:
        text = format_time(anchor, zone)
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def spec_from_prefect(schedule: Any) -> ScheduleSpec:
    """A spec for a schedule read back from a Prefect server.

    Accepts a client (or server) schedule object or its dict form. Nothing is
    re-normalized: the definition is what the server holds, so previews show
    what the server will do. Stored rrule text that Prefect reads differently
    from how it is written gets warnings.
    """
    if hasattr(schedule, "model_dump"):
        data = schedule.model_dump(mode="json")
    elif isinstance(schedule, dict):
        data = dict(schedule)
    else:
        raise InvalidInput("schedule", schedule, "is not a Prefect schedule.")
    zone = data.get("timezone") or "UTC"

    if "cron" in data:
        definition = {
            "cron": data["cron"],
            "timezone": zone,
            "day_or": bool(data.get("day_or", True)),
        }
        return ScheduleSpec("cron", definition, zone)
    if "interval" in data:
        interval = data["interval"]
        if isinstance(interval, timedelta):
            seconds = interval.total_seconds()
        elif isinstance(interval, int | float):
            seconds = float(interval)
        else:
            seconds = parse_duration(interval, "interval").total_seconds()
        # As stored: an anchor outside the range taken from callers still runs.
        anchor = parse_time(
            data["anchor_date"], zone, "anchor_date", check_range=False
        ).value
        definition = {
            "interval": seconds,
            "anchor_date": anchor_text(anchor, zone),
            "timezone": zone,
        }
        return ScheduleSpec("interval", definition, zone)
    if "rrule" in data:
        definition = {"rrule": data["rrule"], "timezone": zone}
        notes = tuple(rrules.zone_labels(data["rrule"]))
        return ScheduleSpec("rrule", definition, zone, notes)
    raise InvalidInput("schedule", schedule, "has none of cron, interval or rrule.", "")


def to_prefect_schedule(spec: ScheduleSpec) -> Any:
    """The Prefect client schema object for ``spec``.

    ``model_dump(mode="json")`` of the result equals ``spec.definition``
    (the anchor keeps its offset; the interval is float seconds).
    """
    from prefect.client.schemas import schedules

    return _schedule_object(schedules, spec)


def server_schedule(spec: ScheduleSpec) -> Any:
    """The Prefect *server* schema object the scheduler service will use."""
    from prefect.server.schemas import schedules

    return _schedule_object(schedules, spec)


def _schedule_object(schedules: ModuleType, spec: ScheduleSpec) -> Any:
    """``spec`` as an object of the schedule classes of ``schedules``."""
    d = spec.definition
    if spec.kind == "cron":
        return schedules.CronSchedule(
            cron=d["cron"], timezone=d["timezone"], day_or=d["day_or"]
        )
    if spec.kind == "interval":
        return schedules.IntervalSchedule(
            interval=timedelta(seconds=d["interval"]),
            anchor_date=d["anchor_date"],
            timezone=d["timezone"],
        )
    return schedules.RRuleSchedule(rrule=d["rrule"], timezone=d["timezone"])
