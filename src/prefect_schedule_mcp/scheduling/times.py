"""Time zones and points in time, as callers give them and as results show them.

The rules, used by every tool:

- A time zone is an IANA name (``America/New_York``). ``None`` or ``""`` means
  UTC; ``"utc"`` and ``"Z"`` are read as ``UTC``; case is forgiven
  (``america/new_york``). Bare abbreviations are refused: ``EST`` is a real
  tz database entry, but a fixed UTC-05:00 with no daylight saving, which is
  rarely what someone typing it means; ``PST`` and friends are not names at all.
- A time with an offset (``+02:00`` or ``Z``) is that instant.
- A time without an offset is wall-clock time in the call's time zone.
- A wall time inside a DST gap (it never shows on the clock) is moved forward
  by the gap's length: 02:30 on 2024-03-10 in New York becomes 03:30-04:00.
  This is what Python's ``fold=0`` gives and what Prefect's cron scheduler
  does, so a one-time run and a cron run at the same wall time agree.
- A wall time inside a DST fold (it shows twice) is the first occurrence
  (``fold=0``): 01:30 on 2024-11-03 in New York is 01:30-04:00. Prefect's cron
  fires on the first occurrence too. Give an explicit offset for the second.
- A date without a time is midnight wall time that day, with a warning.
- Times outside 1970-01-01 to 2999-12-31 (UTC) are refused (see ``limits.py``).

Each gap or fold resolution is reported as a warning sentence, never silently.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from prefect_schedule_mcp.errors import InvalidInput, suggestion
from prefect_schedule_mcp.scheduling.limits import TIME_RANGE_HINT, time_in_range

TIME_EXAMPLE = (
    "Use ISO 8601, e.g. '2024-11-03T09:30:00' (wall time in the given time zone) "
    "or '2024-11-03T09:30:00-05:00' / '2024-11-03T14:30:00Z' (an exact instant)."
)

_UTC_ALIASES = {"utc", "z", "zulu", "etc/utc", "universal", "etc/universal"}

# Zone-file entries that are no place's time zone.
_NOT_ZONES = {"localtime", "Factory"}

# Abbreviations people type, and the IANA name they most likely mean.
_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "EST": ("America/New_York",),
    "EDT": ("America/New_York",),
    "ET": ("America/New_York",),
    "CST": ("America/Chicago",),
    "CDT": ("America/Chicago",),
    "CT": ("America/Chicago",),
    "MST": ("America/Denver", "America/Phoenix"),
    "MDT": ("America/Denver",),
    "MT": ("America/Denver",),
    "PST": ("America/Los_Angeles",),
    "PDT": ("America/Los_Angeles",),
    "PT": ("America/Los_Angeles",),
    "AKST": ("America/Anchorage",),
    "HST": ("Pacific/Honolulu",),
    "BST": ("Europe/London",),
    "CEST": ("Europe/Paris", "Europe/Berlin"),
    "EEST": ("Europe/Athens", "Europe/Helsinki"),
    "IST": ("Asia/Kolkata", "Europe/Dublin"),
    "JST": ("Asia/Tokyo",),
    "KST": ("Asia/Seoul",),
    "SGT": ("Asia/Singapore",),
    "AEST": ("Australia/Sydney", "Australia/Brisbane"),
    "AEDT": ("Australia/Sydney",),
    "ACST": ("Australia/Adelaide",),
    "AWST": ("Australia/Perth",),
    "NZST": ("Pacific/Auckland",),
    "NZDT": ("Pacific/Auckland",),
    "BRT": ("America/Sao_Paulo",),
}


@functools.cache
def _zone_names() -> dict[str, str]:
    """Every usable IANA name, keyed by its lower-case spelling."""
    from zoneinfo import available_timezones

    return {n.lower(): n for n in available_timezones() if n not in _NOT_ZONES}


def resolve_timezone(name: str | None, field: str = "timezone") -> str:
    """The canonical IANA name for ``name``; UTC when none is given.

    Raises:
        InvalidInput: for abbreviations (with the IANA names they likely mean)
            and unknown names (with the closest known names).
    """
    if name is None:
        return "UTC"
    if not isinstance(name, str):
        raise InvalidInput(field, name, "is not a time zone name.", _zone_hint(""))
    text = name.strip()
    if not text or text.lower() in _UTC_ALIASES:
        return "UTC"

    upper = text.upper()
    if upper in _ABBREVIATIONS:
        meant = " or ".join(repr(z) for z in _ABBREVIATIONS[upper])
        raise InvalidInput(
            field,
            name,
            "is an abbreviation, not an IANA time zone name (abbreviations do not "
            "follow daylight saving time, or are ambiguous).",
            f"Use an IANA name such as {meant}.",
        )

    canonical = _zone_names().get(text.lower())
    if canonical is not None:
        return canonical
    raise InvalidInput(field, name, "is not a known IANA time zone.", _zone_hint(text))


def _zone_hint(text: str) -> str:
    close = suggestion(text, _zone_names().values()) if text else ""
    example = "Use an IANA name such as 'America/New_York' or 'Europe/London'."
    return f"{close} {example}" if close else example


@dataclass(frozen=True)
class ResolvedTime:
    """A point in time read from a caller, with what had to be decided."""

    value: datetime
    warnings: list[str] = field(default_factory=list)


def parse_time(
    value: str | datetime, timezone: str, field: str, *, check_range: bool = True
) -> ResolvedTime:
    """Read an ISO 8601 time; a time without an offset is wall time in ``timezone``.

    See the module docstring for the gap, fold and date-only rules.

    Args:
        value: an ISO 8601 string, or a ``datetime`` (naive = wall time).
        timezone: an IANA name (resolved with :func:`resolve_timezone`).
        field: the argument's name, used in messages.
        check_range: refuse times outside the supported range. False for
            values read back from a Prefect server, which are shown as stored.

    Returns:
        The instant, expressed in ``timezone``, and any warnings.

    Raises:
        InvalidInput: for text that is not ISO 8601, and for times outside
            the supported range.
    """
    zone_name = resolve_timezone(timezone)
    zone = ZoneInfo(zone_name)
    warnings: list[str] = []

    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, datetime.min.time())
        warnings.append(_date_only_warning(field, parsed, zone_name))
    elif isinstance(value, str):
        parsed = _parse_iso(value, field)
        if _is_date_only(value):
            warnings.append(_date_only_warning(field, parsed, zone_name))
    else:
        raise InvalidInput(field, value, "is not a time.", TIME_EXAMPLE)

    if parsed.tzinfo is not None and parsed.utcoffset() is not None:
        if check_range and not time_in_range(parsed):
            raise _out_of_range(field, value)
        return ResolvedTime(parsed.astimezone(zone), warnings)

    try:
        resolved, note = resolve_wall_time(parsed.replace(tzinfo=None), zone_name)
    except (OverflowError, ValueError) as e:  # a wall time at datetime's ends
        raise _out_of_range(field, value) from e
    if check_range and not time_in_range(resolved):
        raise _out_of_range(field, value)
    if note:
        warnings.append(note)
    return ResolvedTime(resolved, warnings)


def _out_of_range(field: str, original: object) -> InvalidInput:
    return InvalidInput(
        field,
        original,
        "is outside the range of times schedules are computed for.",
        TIME_RANGE_HINT,
    )


def resolve_wall_time(wall: datetime, timezone: str) -> tuple[datetime, str]:
    """Attach ``timezone`` to a naive wall time by the gap/fold rule.

    Returns:
        The aware time and a warning sentence ("" when the wall time is
        unambiguous).
    """
    zone = ZoneInfo(timezone)
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    before, after = first.utcoffset(), second.utcoffset()
    if before == after:
        return first, ""

    shown = wall.isoformat(timespec="seconds")
    day = wall.date().isoformat()
    assert before is not None
    assert after is not None
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        # In a gap: fold=0 reads the wall time with the offset in force before
        # the jump, which lands the gap's length later on the new offset.
        moved = first.astimezone(UTC).astimezone(zone)
        return moved, (
            f"{shown} does not exist in {timezone}: on {day} the clocks jump "
            f"from UTC{_offset(before)} to UTC{_offset(after)}. It was moved "
            f"forward by the gap ({_gap(after - before)}) to "
            f"{moved.isoformat(timespec='seconds')}."
        )
    return first, (
        f"{shown} happens twice in {timezone} on {day} (first at "
        f"UTC{_offset(before)}, then at UTC{_offset(after)}); the first one, "
        f"{first.isoformat(timespec='seconds')}, is used. Give an explicit offset "
        f"({shown}{_offset(after)}) to mean the second."
    )


def _offset(delta: timedelta | None) -> str:
    seconds = int((delta or timedelta(0)).total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def _gap(delta: timedelta) -> str:
    minutes = abs(int(delta.total_seconds())) // 60
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" + ("" if hours == 1 else "s")
    return f"{minutes} minutes"


def _parse_iso(value: str, field: str) -> datetime:
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError as e:
        raise InvalidInput(
            field, value, "is not an ISO 8601 date and time.", TIME_EXAMPLE
        ) from e


def _is_date_only(value: str) -> bool:
    text = value.strip()
    return "T" not in text.upper() and ":" not in text and " " not in text


def _date_only_warning(field: str, parsed: datetime, timezone: str) -> str:
    return (
        f"{field} has a date but no time; it was read as midnight, "
        f"{parsed.date().isoformat()}T00:00:00 in {timezone}."
    )


def format_time(dt: datetime, timezone: str) -> str:
    """ISO 8601 in ``timezone``, seconds precision, explicit offset.

    ``format_time(x, "America/New_York")`` → ``"2024-11-03T01:30:00-04:00"``;
    UTC shows ``+00:00``. A naive ``dt`` is taken as wall time in ``timezone``
    (by the gap/fold rule).
    """
    zone_name = resolve_timezone(timezone)
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt, _ = resolve_wall_time(dt.replace(tzinfo=None), zone_name)
    return dt.astimezone(ZoneInfo(zone_name)).isoformat(timespec="seconds")


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
