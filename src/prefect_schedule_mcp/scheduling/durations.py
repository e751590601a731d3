"""Durations: parsing what a caller types, and saying it back in words.

Accepted forms, for every argument that takes a duration:

- ISO 8601 durations with days, weeks, hours, minutes and seconds: ``PT5M``,
  ``P1DT2H``, ``P2W``. Parsing is delegated to pydantic's ``timedelta`` reader.
- Short forms: a run of ``<number><unit>`` parts, units ``w``, ``d``, ``h``,
  ``m``, ``s`` (and spelled-out words such as ``min``, ``hours``), spaces
  allowed and case ignored: ``90s``, ``5m``, ``2h30m``, ``1h 30m``, ``1.5h``.
- A number of seconds, as a number or a numeric string: ``3600``, ``"0.5"``.

Months and years are refused: their length varies (28 to 31 days, 365 or 366),
and Prefect itself does not agree with itself on them (pydantic reads ``P1M``
as 30 days; Prefect on Python 3.13 reads it as a calendar month). A calendar
cadence belongs in a cron or an rrule, and the error says so.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

from prefect_schedule_mcp.errors import InvalidInput

ACCEPTED_FORMATS = (
    "Use an ISO 8601 duration ('PT5M', 'P1DT2H', 'P2W'), a short form "
    "('90s', '5m', '2h30m', '1d', '1w', '1h 30m') or a number of seconds (3600)."
)

CALENDAR_HINT = (
    "Months and years have no fixed length, so they cannot be an interval: "
    "use a cron schedule such as '0 10 1 * *' (10:00 on the 1st of every month) "
    "or an rrule with FREQ=MONTHLY (or FREQ=YEARLY)."
)

_UNIT_SECONDS: dict[str, float] = {
    "w": 604800.0,
    "d": 86400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
}

# Spelled-out unit names mapped to the one-letter unit.
_UNIT_ALIASES: dict[str, str] = {
    "w": "w",
    "wk": "w",
    "wks": "w",
    "week": "w",
    "weeks": "w",
    "d": "d",
    "day": "d",
    "days": "d",
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "m": "m",
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "s": "s",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
}

_CALENDAR_UNITS = {
    "mo",
    "mon",
    "mons",
    "month",
    "months",
    "y",
    "yr",
    "yrs",
    "year",
    "years",
}

_SHORT_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*,?")
_ISO_CALENDAR = re.compile(r"^P(?:[^T]*[YM])", re.IGNORECASE)


def parse_duration(value: str | int | float, field: str) -> timedelta:
    """Read a duration in any of the accepted forms.

    Args:
        value: an ISO 8601 duration, a short form, or a number of seconds.
        field: the argument's name, used in error messages.

    Returns:
        The duration. Zero is returned as is; whether zero is allowed is the
        caller's decision.

    Raises:
        InvalidInput: for negatives, NaN or infinity, months or years, and text
            in none of the accepted forms.
    """
    if isinstance(value, bool):
        raise InvalidInput(field, value, "is not a duration.", ACCEPTED_FORMATS)
    if isinstance(value, int | float):
        return _from_seconds(float(value), value, field)
    if not isinstance(value, str):
        raise InvalidInput(field, value, "is not a duration.", ACCEPTED_FORMATS)

    text = value.strip()
    if not text:
        raise InvalidInput(field, value, "is empty.", ACCEPTED_FORMATS)
    if text.startswith("-"):
        raise InvalidInput(field, value, "is negative.", ACCEPTED_FORMATS)

    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return _from_seconds(seconds, value, field)

    if text[:1] in ("P", "p"):
        return _parse_iso(text, value, field)
    return _parse_short(text.lower(), value, field)


def _from_seconds(seconds: float, original: object, field: str) -> timedelta:
    if math.isnan(seconds) or math.isinf(seconds):
        raise InvalidInput(field, original, "is not a finite number.", ACCEPTED_FORMATS)
    if seconds < 0:
        raise InvalidInput(field, original, "is negative.", ACCEPTED_FORMATS)
    try:
        return timedelta(seconds=seconds)
    except OverflowError as e:
        raise InvalidInput(field, original, "is too large.", ACCEPTED_FORMATS) from e


def _parse_iso(text: str, original: str, field: str) -> timedelta:
    # pydantic reads P1M as 30 days and P1Y as 365 days without a word; catch
    # calendar units in the date part (before any T) first.
    if _ISO_CALENDAR.match(text):
        raise InvalidInput(field, original, "uses months or years.", CALENDAR_HINT)
    from pydantic import TypeAdapter, ValidationError

    try:
        duration = TypeAdapter(timedelta).validate_python(text.upper())
    except ValidationError as e:
        raise InvalidInput(
            field, original, "is not a valid ISO 8601 duration.", ACCEPTED_FORMATS
        ) from e
    if duration < timedelta(0):
        raise InvalidInput(field, original, "is negative.", ACCEPTED_FORMATS)
    return duration


def _parse_short(text: str, original: str, field: str) -> timedelta:
    total = 0.0
    position = 0
    while position < len(text):
        match = _SHORT_PART.match(text, position)
        if match is None:
            break
        number, unit = match.groups()
        if unit in _CALENDAR_UNITS:
            raise InvalidInput(field, original, "uses months or years.", CALENDAR_HINT)
        if unit not in _UNIT_ALIASES:
            raise InvalidInput(
                field, original, f"has an unknown unit {unit!r}.", ACCEPTED_FORMATS
            )
        total += float(number) * _UNIT_SECONDS[_UNIT_ALIASES[unit]]
        position = match.end()

    if position != len(text) or position == 0:
        raise InvalidInput(
            field, original, "is not a duration in any accepted form.", ACCEPTED_FORMATS
        )
    return _from_seconds(total, original, field)


def format_duration(td: timedelta) -> str:
    """Say a duration in words, largest unit first.

    ``timedelta(hours=1, minutes=30)`` → ``"1 hour 30 minutes"``; a whole
    number of days stays in days (``"1 day"``, ``"14 days"``); a duration under
    two minutes that is not a whole minute is said in seconds (``"90 seconds"``).
    Fractions of a second are kept as a decimal.
    """
    total = td.total_seconds()
    if total == 0:
        return "0 seconds"
    sign = "minus " if total < 0 else ""
    total = abs(total)
    if total < 120 and total % 60:
        return sign + _plural(total, "second")

    parts = []
    remaining = total
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        whole = int(remaining // size)
        if whole:
            parts.append(_plural(whole, name))
            remaining -= whole * size
    if remaining:
        parts.append(_plural(round(remaining, 6), "second"))
    return sign + " ".join(parts)


def _plural(amount: float, unit: str) -> str:
    shown = f"{amount:g}" if amount != int(amount) else str(int(amount))
    return f"{shown} {unit}" + ("" if amount == 1 else "s")
