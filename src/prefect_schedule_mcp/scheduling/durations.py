"""Durations: parsing what a caller types, and saying it back in words.

Accepted forms, for every argument that takes a duration:

- ISO 8601 durations with days, weeks, hours, minutes and seconds: ``PT5M``,
  ``P1DT2H``, ``P2W``. Parsing is delegated to pydantic's ``timedelta`` reader.
- Short forms: a run of ``<number><unit>`` parts, units ``w``, ``d``, ``h``,
  ``m``, ``s`` (and spelled-out words such as ``min``, ``hours``), spaces
  allowed and case ignored: ``90s``, ``5m``, ``2h30m``, ``1h 30m``, ``1.5h``.
  The one exception to ignoring case is a bare ``M``: in ISO 8601's date part
  it means months, and many people write it for months, so ``1M`` is refused
  as ambiguous rather than read as a minute.
- A number of seconds, as a number or a numeric string: ``3600``, ``"0.5"``.
  A boolean is not a number here, although Python counts it as one.

Months and years are refused: their length varies (28 to 31 days, 365 or 366),
and Prefect itself does not agree with itself on them (pydantic reads ``P1M``
as 30 days; Prefect on Python 3.13 reads it as a calendar month). For an
interval the error points to a cron or an rrule, which keep a calendar
cadence; for any other duration (a delay, a lateness) it asks for days.

Durations longer than 100 years are refused (see ``limits.py``).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.scheduling.limits import (
    DURATION_RANGE_HINT,
    LONGEST_DURATION,
)

ACCEPTED_FORMATS = (
    "Use an ISO 8601 duration ('PT5M', 'P1DT2H', 'P2W'), a short form "
    "('90s', '5m', '2h30m', '1d', '1w', '1h 30m') or a number of seconds (3600)."
)

CALENDAR_HINT = (
    "Months and years have no fixed length, so they cannot be an interval: "
    "use a cron schedule such as '0 10 1 * *' (10:00 on the 1st of every month) "
    "or an rrule with FREQ=MONTHLY (or FREQ=YEARLY)."
)
LENGTH_HINT = (
    "Months and years have no fixed length: give the length in days, "
    "e.g. P30D (or '30d')."
)

# Fields whose duration is a schedule's interval: a calendar cadence there
# belongs in a cron or an rrule. Every other field is a plain length of time.
_INTERVAL_FIELDS = {"interval"}

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

_SHORT_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*,?", re.IGNORECASE)
_ISO_CALENDAR = re.compile(r"^P(?:[^T]*[YM])", re.IGNORECASE)


def parse_duration(value: str | int | float, field: str) -> timedelta:
    """Read a duration in any of the accepted forms.

    Args:
        value: an ISO 8601 duration, a short form, or a number of seconds.
        field: the argument's name, used in error messages; ``"interval"``
            gets the cron or rrule hint for months, other fields a hint to
            give days.

    Returns:
        The duration. Zero is returned as is; whether zero is allowed is the
        caller's decision.

    Raises:
        InvalidInput: for negatives, NaN or infinity, months or years, an
            ambiguous ``M``, more than 100 years, booleans, and text in none
            of the accepted forms.
    """
    if isinstance(value, bool):
        raise InvalidInput(
            field, value, "is a boolean, not a duration.", ACCEPTED_FORMATS
        )
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError as e:  # an int beyond any float
            raise _too_long(field, value) from e
        return _from_seconds(seconds, value, field)
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
    return _parse_short(text, value, field)


def _calendar_hint(field: str) -> str:
    return CALENDAR_HINT if field in _INTERVAL_FIELDS else LENGTH_HINT


def _from_seconds(seconds: float, original: object, field: str) -> timedelta:
    if math.isnan(seconds) or math.isinf(seconds):
        raise InvalidInput(field, original, "is not a finite number.", ACCEPTED_FORMATS)
    if seconds < 0:
        raise InvalidInput(field, original, "is negative.", ACCEPTED_FORMATS)
    if seconds > LONGEST_DURATION.total_seconds():
        raise _too_long(field, original)
    return timedelta(seconds=seconds)


def _too_long(field: str, original: object) -> InvalidInput:
    return InvalidInput(
        field, original, "is longer than the 100 years supported.", DURATION_RANGE_HINT
    )


def _parse_iso(text: str, original: str, field: str) -> timedelta:
    # pydantic reads P1M as 30 days and P1Y as 365 days without a word; catch
    # calendar units in the date part (before any T) first.
    if _ISO_CALENDAR.match(text):
        raise InvalidInput(
            field, original, "uses months or years.", _calendar_hint(field)
        )
    from pydantic import TypeAdapter, ValidationError

    try:
        duration = TypeAdapter(timedelta).validate_python(text.upper())
    except ValidationError as e:
        if any("too large" in str(err.get("msg", "")) for err in e.errors()):
            raise _too_long(field, original) from e
        raise InvalidInput(
            field, original, "is not a valid ISO 8601 duration.", ACCEPTED_FORMATS
        ) from e
    if duration < timedelta(0):
        raise InvalidInput(field, original, "is negative.", ACCEPTED_FORMATS)
    if duration > LONGEST_DURATION:
        raise _too_long(field, original)
    return duration


def _parse_short(text: str, original: str, field: str) -> timedelta:
    total = 0.0
    position = 0
    while position < len(text):
        match = _SHORT_PART.match(text, position)
        if match is None:
            break
        number, written = match.groups()
        if written == "M":
            raise InvalidInput(
                field,
                original,
                "uses 'M', which could mean minutes or months.",
                f"Write 'm' or 'min' for minutes ({text.lower()!r}). "
                + _calendar_hint(field),
            )
        unit = written.lower()
        if unit in _CALENDAR_UNITS:
            raise InvalidInput(
                field, original, "uses months or years.", _calendar_hint(field)
            )
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
