"""Checks that rrule text can run, with messages that say what is wrong.

Two kinds of fault are caught before a rule is sent, both cheaply:

- Text that dateutil or Prefect's schema refuses: the message is theirs,
  without the pydantic boilerplate around it.
- Rules that are valid text but can never give a date: a day of the month
  that none of the named months has, a number out of its range, an
  ``INTERVAL`` of 0. dateutil would walk the calendar looking for them (for
  seconds, or for ever), so they are read from the text instead.
"""

from __future__ import annotations

import calendar
import re

from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.scheduling.rrules import RRULE_EXAMPLE, RRuleLine, rule_parts

# The longest each month can be (February in a leap year).
_MONTH_LENGTHS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# The largest magnitude of each numbered part; negative values count back
# from the end, and zero is no position at all.
_PART_LIMITS = {
    "BYMONTH": (12, "a year has 12 months"),
    "BYMONTHDAY": (31, "a month has at most 31 days"),
    "BYYEARDAY": (366, "a year has at most 366 days"),
    "BYWEEKNO": (53, "a year has at most 53 weeks"),
}
# How Prefect's validator opens its message: it repeats the whole rule text,
# which the error already names.
_ECHOED_RULE = re.compile(r'^Invalid RRule string ".*?"[:\s]*', re.DOTALL)


def refuse_impossible(lines: list[RRuleLine], text: str) -> None:
    """Refuse a rule that can never give a date, by reading it, not iterating.

    dateutil has no way to tell that ``BYMONTH=2;BYMONTHDAY=30`` never matches:
    it walks the calendar until it gives up (seconds for ``FREQ=SECONDLY``),
    and ``INTERVAL=0`` never advances at all. So the numbered parts are checked
    against the calendar first: each value in range, and at least one day of
    the month that one of the named months has. Values that are not whole
    numbers are left to dateutil, whose message says what is wrong.
    """
    for line in lines:
        if line.name not in ("RRULE", "EXRULE"):
            continue
        parts = rule_parts(line.value)
        if "COUNT" in parts and "UNTIL" in parts:
            raise InvalidInput(
                "rrule",
                text,
                f"{line.name} {line.value!r} has both COUNT and UNTIL, which RFC "
                "5545 forbids (dateutil already warns that it will refuse it).",
                "Keep one: COUNT=n for n runs, or UNTIL=<date> for runs up to a date.",
            )
        reason = _impossible_part(parts)
        if reason is None and line.name == "RRULE":
            reason = _impossible_month_days(parts)
        if reason is not None:
            raise InvalidInput(
                "rrule",
                text,
                f"can never run: in {line.name} {line.value!r}, {reason}.",
                "Check the numbers against the calendar. " + RRULE_EXAMPLE,
            )


def _numbers(value: str | None) -> list[int] | None:
    """The whole numbers of a comma list; None if absent or not all numbers."""
    if not value:
        return None
    try:
        return [int(item) for item in value.split(",")]
    except ValueError:
        return None


def _impossible_part(parts: dict[str, str]) -> str | None:
    for key in ("INTERVAL", "COUNT"):
        numbers = _numbers(parts.get(key))
        if numbers is not None and min(numbers) < 1:
            return f"{key}={parts[key]} must be 1 or more"
    for key, (limit, why) in _PART_LIMITS.items():
        wrong = [v for v in _numbers(parts.get(key)) or [] if v == 0 or abs(v) > limit]
        if wrong:
            return (
                f"{key} {', '.join(map(str, wrong))} is out of range ({why}: use "
                f"1 to {limit}, or -1 to -{limit} to count from the end)"
            )
    return None


def _impossible_month_days(parts: dict[str, str]) -> str | None:
    days = _numbers(parts.get("BYMONTHDAY"))
    months = _numbers(parts.get("BYMONTH"))
    if not days or not months:
        return None
    longest = max(_MONTH_LENGTHS[m - 1] for m in months)
    if all(abs(day) > longest for day in days):
        names = ", ".join(calendar.month_name[m] for m in months)
        return (
            f"BYMONTHDAY={parts['BYMONTHDAY']} falls in none of the months "
            f"named ({names}: at most {longest} days)"
        )
    return None


def validate_text(text: str, zone: str, original: str) -> None:
    """Refuse text that Prefect's server would refuse, saying why.

    dateutil is asked first, as Prefect's own validator does: its message says
    what is wrong (``invalid 'FREQ': BOGUS``). Prefect's schema checks the
    rest (length, zone); its pydantic errors are reduced to their message.
    """
    import dateutil.rrule
    from prefect.server.schemas.schedules import RRuleSchedule
    from pydantic import ValidationError

    try:
        dateutil.rrule.rrulestr(text, cache=True)
        RRuleSchedule(rrule=text, timezone=zone).to_rrule()
    except ValidationError as e:
        reason = "; ".join(_schema_reason(str(error["msg"])) for error in e.errors())
        raise _invalid_rrule(original, reason) from e
    except Exception as e:  # dateutil raises ValueError, and others on odd text
        raise _invalid_rrule(original, str(e) or type(e).__name__) from e


def _invalid_rrule(original: str, reason: str) -> InvalidInput:
    return InvalidInput(
        "rrule", original, f"is not a valid rrule: {reason}.", RRULE_EXAMPLE
    )


def _schema_reason(message: str) -> str:
    """A pydantic message without its prefix or the echo of the rule text."""
    message = message.removeprefix("Value error, ")
    return _ECHOED_RULE.sub("", message, count=1).strip().rstrip(".")
