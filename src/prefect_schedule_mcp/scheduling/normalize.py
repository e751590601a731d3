"""Schedules as the user asks for them, made into what Prefect must be sent.

A :class:`ScheduleSpec` holds the ``schedule`` of a Prefect deployment schedule
as a JSON-ready dict, already corrected for the ways Prefect 3.9.1 would read a
literal translation differently from what was meant:

- cron: ``day_or`` is always explicit (true unless asked otherwise), aliases
  such as ``@daily`` are spelled out, and six- or seven-field crons are refused
  (Prefect's croniter reads a sixth field as *trailing* seconds, so a Quartz
  expression with leading seconds would run at other times).
- interval: the anchor always carries an explicit UTC offset (a naive anchor
  is read differently by Prefect on Python 3.11 and 3.13), months and years
  are refused, and intervals under a second are refused.
- rrule: every date is rewritten as floating wall time in the schedule's zone,
  which is the only form Prefect does not reinterpret (see ``rrules.py``).

Prefect itself is imported lazily, inside the functions that need it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.scheduling import rrule_checks, rrules
from prefect_schedule_mcp.scheduling.convert import (
    anchor_text,
    server_schedule,
    spec_from_prefect,
    to_prefect_schedule,
)
from prefect_schedule_mcp.scheduling.dst import transitions
from prefect_schedule_mcp.scheduling.durations import parse_duration
from prefect_schedule_mcp.scheduling.limits import LATEST_TIME
from prefect_schedule_mcp.scheduling.spec import ScheduleSpec
from prefect_schedule_mcp.scheduling.times import (
    parse_time,
    resolve_timezone,
    resolve_wall_time,
    utc_now,
)

CRON_EXAMPLE = (
    "A cron has 5 fields: minute (0-59), hour (0-23), day of month (1-31), "
    "month (1-12 or JAN-DEC), day of week (0-6, Sunday=0, or SUN-SAT); "
    "e.g. '0 9 * * 1-5' is 09:00 Monday to Friday."
)

CRON_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

MIN_INTERVAL = timedelta(seconds=1)

__all__ = [
    "ScheduleSpec",
    "normalize_cron",
    "normalize_interval",
    "normalize_rrule",
    "server_schedule",
    "spec_from_prefect",
    "to_prefect_schedule",
]


def normalize_cron(
    cron: str, timezone: str | None = None, day_or: bool | None = None
) -> ScheduleSpec:
    """Validate a 5-field cron as Prefect's server does and make it explicit.

    Args:
        cron: five fields, or one of ``@hourly``, ``@daily``, ``@midnight``,
            ``@weekly``, ``@monthly``, ``@yearly``, ``@annually``.
        timezone: IANA zone of the cron's wall times (default UTC).
        day_or: how day of month and day of week combine when both are set:
            true (the default, standard cron) runs when either matches; false
            runs only when both match.
    """
    zone = resolve_timezone(timezone)
    if not isinstance(cron, str) or not cron.strip():
        raise InvalidInput("cron", cron, "is empty.", CRON_EXAMPLE)
    text = " ".join(cron.split())
    if text.startswith("@"):
        if text.lower() not in CRON_ALIASES:
            raise InvalidInput(
                "cron",
                cron,
                "is not a cron alias Prefect can schedule.",
                "Use @hourly, @daily, @weekly, @monthly, @yearly or 5 fields. "
                + CRON_EXAMPLE,
            )
        text = CRON_ALIASES[text.lower()]

    fields = text.split(" ")
    if len(fields) in (6, 7):
        raise InvalidInput(
            "cron",
            cron,
            f"has {len(fields)} fields. Prefect's cron reads a 6th field as "
            "seconds *after* the day of week (not Quartz's leading seconds), and "
            "a 7th as a year, so it would not run when meant.",
            "Prefect schedules to the minute: drop the seconds (and year). "
            + CRON_EXAMPLE,
        )
    if len(fields) != 5:
        raise InvalidInput(
            "cron", cron, f"has {len(fields)} fields, not 5.", CRON_EXAMPLE
        )
    if any(f[:1].upper() in ("H", "R") for f in fields):
        raise InvalidInput(
            "cron",
            cron,
            "uses a random (R) or hashed (H) field, which Prefect does not support.",
            CRON_EXAMPLE,
        )

    from prefect._internal.schemas.validators import validate_cron_string
    from prefect._vendor.croniter import croniter
    from prefect._vendor.croniter.croniter import CroniterBadDateError

    try:
        validate_cron_string(text)
    except (ValueError, KeyError, TypeError) as e:
        raise InvalidInput("cron", cron, "is not a valid cron.", CRON_EXAMPLE) from e
    try:
        croniter(text, datetime(2000, 1, 1), day_or=day_or is not False).get_next(
            datetime
        )
    except CroniterBadDateError as e:
        raise InvalidInput(
            "cron",
            cron,
            "never matches a real date.",
            "Check the day of month against the month. " + CRON_EXAMPLE,
        ) from e

    warnings: list[str] = []
    if day_or is None and cron_days(text).combined:
        warnings.append(
            f"The cron sets both a day of month ({fields[2]}) and a day of week "
            f"({fields[4]}); as in standard cron it runs on days matching EITHER. "
            "Pass day_or=false to run only on days matching both."
        )
    definition = {"cron": text, "timezone": zone, "day_or": day_or is not False}
    return ScheduleSpec("cron", definition, zone, tuple(warnings))


class CronDays(NamedTuple):
    """How Prefect's croniter reads the two day fields of a valid cron."""

    combined: bool  # day_or decides: neither field is a wildcard
    every_day_of_month: bool
    every_day_of_week: bool


def cron_days(cron: str) -> CronDays:
    """Read the day fields as croniter expands them.

    croniter treats ``?`` as ``*``, and turns a field naming every day
    (``1-31``, ``0-7``, ``SUN-SAT``) into ``*`` only when the other field is
    a wildcard; otherwise the field stays a list of days, and with
    ``day_or=true`` the two are combined, so ``0 9 1 * 0-6`` runs every day.
    """
    from prefect._vendor.croniter import croniter

    expanded, nth_weekday = croniter.expand(cron)
    month_days, week_days = expanded[2], expanded[4]
    combined = month_days[0] != "*" and week_days[0] != "*"
    every_month_day = month_days[0] == "*" or set(month_days) >= set(range(1, 32))
    every_week_day = week_days[0] == "*" or (
        not nth_weekday and set(week_days) >= set(range(7))
    )
    return CronDays(combined, every_month_day, every_week_day)


def normalize_interval(
    interval: str | int | float,
    anchor_date: str | None = None,
    timezone: str | None = None,
    now: datetime | None = None,
) -> ScheduleSpec:
    """Validate an interval and pin its anchor to an explicit offset.

    Args:
        interval: any duration :func:`parse_duration` reads; at least 1 second;
            months and years are refused.
        anchor_date: the instant runs count from. Without an offset it is wall
            time in ``timezone`` (gap: moved forward; fold: first occurrence).
            Without an anchor, midnight (00:00 wall time) of the current day
            in ``timezone`` is used, so that hourly runs land on the hour and
            daily runs at midnight.
        timezone: IANA zone (default UTC). Prefect adds whole days in local
            wall time here (so a daily run keeps its clock time across DST)
            and sub-day intervals as elapsed time.
        now: the current time, for the default anchor (tests). Warnings do
            not depend on it: they follow from the anchor alone.
    """
    zone = resolve_timezone(timezone)
    duration = parse_duration(interval, "interval")
    if duration < MIN_INTERVAL:
        raise InvalidInput(
            "interval",
            interval,
            "is shorter than 1 second.",
            "Give a positive duration of at least 1 second, e.g. '30s' or 'PT5M'.",
        )

    warnings: list[str] = []
    if anchor_date is None or anchor_date == "":
        today = (now or utc_now()).astimezone(_zone(zone)).date()
        anchor, note = resolve_wall_time(
            datetime.combine(today, datetime.min.time()), zone
        )
        if note:
            warnings.append(note)
    else:
        resolved = parse_time(anchor_date, zone, "anchor_date")
        anchor = resolved.value
        warnings.extend(resolved.warnings)
        given = _given_offset(anchor_date)
        if timezone in (None, "") and given not in (None, timedelta(0)):
            warnings.append(
                "anchor_date has a UTC offset but no timezone was given, so the "
                "schedule runs in UTC and will not follow daylight saving time. "
                "Pass timezone (e.g. 'America/New_York') to keep local clock times."
            )

    gap_note = _day_interval_gap(anchor, duration, zone)
    if gap_note:
        warnings.append(gap_note)
    definition = {
        "interval": duration.total_seconds(),
        "anchor_date": anchor_text(anchor, zone),
        "timezone": zone,
    }
    return ScheduleSpec("interval", definition, zone, tuple(warnings))


def _day_interval_gap(anchor: datetime, duration: timedelta, zone: str) -> str:
    """A warning when a whole-day interval's clock time will fall in a DST gap.

    Prefect adds whole-day intervals in local calendar days counted from the
    anchor. The first run whose day has a gap at the anchor's clock time runs
    the gap's length later, and every later run stays at the shifted clock
    time (the additions continue from the moved run), until the anchor is
    changed. That first day follows from the anchor alone, so the warning is
    the same whatever window is previewed, and whenever it is asked for.
    Looks through the zone's next clock changes after the anchor (see
    :func:`.dst.transitions`).
    """
    if zone == "UTC" or duration.days == 0 or duration % timedelta(days=1):
        return ""
    tz = _zone(zone)
    local = anchor.astimezone(tz)
    clock, first = local.time().replace(tzinfo=None), local.date()
    for moment, before, after in transitions(zone, anchor, LATEST_TIME):
        if after <= before:
            continue  # clocks go back: every wall time exists
        naive = moment.replace(tzinfo=None)
        skipped_from, skipped_to = naive + before, naive + after
        for day in sorted({skipped_from.date(), skipped_to.date()}):
            wall = datetime.combine(day, clock)
            on_run_day = (day - first).days % duration.days == 0
            if on_run_day and skipped_from <= wall < skipped_to:
                moved = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
                return (
                    f"{wall.isoformat(timespec='seconds')} does not exist in "
                    f"{zone} (clocks jump forward that day): Prefect runs it at "
                    f"{moved.isoformat(timespec='seconds')} and keeps every later "
                    f"run at {moved.strftime('%H:%M')} too. Choose an anchor time "
                    "outside the DST change, or use a cron, which returns to its "
                    "clock time the next day."
                )
    return ""


def _given_offset(value: Any) -> timedelta | None:
    if isinstance(value, datetime):
        return value.utcoffset()
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.utcoffset()


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def normalize_rrule(
    rrule: str, timezone: str | None = None, now: datetime | None = None
) -> ScheduleSpec:
    """Rewrite an RFC 5545 rule so that Prefect reads it as written.

    - The zone is DTSTART's TZID when it has one (a different ``timezone`` is
      an error), else ``timezone``, else UTC.
    - DTSTART, UNTIL, RDATE and EXDATE become floating wall times in that zone
      (``Z`` and TZID values are converted to the wall time of the same
      instant); a floating DTSTART is wall time in the zone.
    - COUNT without DTSTART is refused: Prefect would count from 2020.
    - A rule that names only dates no calendar has (``BYMONTH=2;BYMONTHDAY=30``)
      or a part out of range (``INTERVAL=0``, ``BYYEARDAY=400``) is refused.
    - A rule without DTSTART gets the DTSTART Prefect would give it (its own
      ``normalize_rrule_string``: 2020-01-01 00:00, or a recent phase-equal
      anchor for minutely and secondly rules), written out and reported.

    Args:
        rrule: the rule text (lines separated by newlines).
        timezone: IANA zone, when DTSTART has no TZID.
        now: the current time, for the injected DTSTART (tests).
    """
    if not isinstance(rrule, str) or not rrule.strip():
        raise InvalidInput("rrule", rrule, "is empty.", rrules.RRULE_EXAMPLE)
    lines = rrules.split_lines(rrule)
    rrule_checks.refuse_impossible(lines, rrule)
    tzid = rrules.dtstart_zone(lines)
    zone = resolve_timezone(timezone)
    if tzid is not None:
        if timezone not in (None, "") and zone != tzid:
            raise InvalidInput(
                "timezone",
                timezone,
                f"conflicts with the rrule's DTSTART TZID {tzid!r}.",
                "Leave timezone out (the TZID is used) or make them the same.",
            )
        zone = tzid

    has_start = any(line.name == "DTSTART" for line in lines)
    if not has_start and rrules.has_count(lines):
        raise InvalidInput(
            "rrule",
            rrule,
            "uses COUNT without a DTSTART: Prefect would count from 2020-01-01, "
            "so every run would be in the past.",
            "Add a first occurrence, e.g. 'DTSTART:20250101T090000' on its own "
            "line before the RRULE line.",
        )

    rewritten = rrules.rewrite(rrule, zone, lines, dtstart=None)
    warnings = list(rewritten.warnings)
    text = rewritten.text
    if not has_start:
        from prefect._internal.schemas.validators import normalize_rrule_string

        text = normalize_rrule_string(text, now=now or utc_now(), timezone=zone)
        first = text.splitlines()[0]
        warnings.append(
            f"The rrule had no DTSTART, so it was anchored as Prefect would anchor "
            f"it: {first} (wall time in {zone}). The anchor sets the minute, "
            "second, weekday or day of month the rule does not name; add your own "
            "DTSTART to choose them."
        )

    rrule_checks.validate_text(text, zone, rrule)
    definition = {"rrule": text, "timezone": zone}
    return ScheduleSpec("rrule", definition, zone, tuple(warnings))
