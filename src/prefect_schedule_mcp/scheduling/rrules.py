"""RFC 5545 recurrence text, rewritten so that Prefect reads it as the user meant.

How Prefect 3.9.1 reads an rrule schedule (``RRuleSchedule.to_rrule``): it
parses the text with dateutil, then *relabels* every date in it (DTSTART,
UNTIL, RDATE, EXDATE) with the schedule's ``timezone``, keeping the digits and
dropping whatever zone they had. So:

- ``DTSTART;TZID=America/Chicago:...`` in a schedule whose timezone is UTC
  runs at Chicago's digits read as UTC (PrefectHQ/prefect#7406);
- ``EXDATE:20240103T140000Z`` in a New York schedule excludes 14:00 *New York*
  time, not 09:00 (PrefectHQ/prefect#7155); the same holds for UNTIL and RDATE;
- a rule without DTSTART is anchored at 2020-01-01 00:00, so
  ``FREQ=DAILY;COUNT=5`` ended in 2020 (PrefectHQ/prefect#10672).

The rewrite therefore produces text in which every date is *floating* wall
time in the schedule's zone (no ``TZID``, no ``Z``), which is exactly what the
relabelling preserves. The zone itself travels in the schedule's ``timezone``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.scheduling.limits import TIME_RANGE_HINT, time_in_range
from prefect_schedule_mcp.scheduling.times import resolve_timezone, resolve_wall_time

RRULE_EXAMPLE = (
    "Give RFC 5545 text such as 'DTSTART:20240101T090000\\n"
    "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR' (lines DTSTART, RRULE, EXRULE, RDATE, "
    "EXDATE; dates as YYYYMMDDTHHMMSS wall time, or with Z for UTC)."
)

_NAMES = ("DTSTART", "RRULE", "EXRULE", "RDATE", "EXDATE")

_STAMP = re.compile(r"^(\d{8})(?:T(\d{6}))?(Z?)$", re.IGNORECASE)
WALL_FORMAT = "%Y%m%dT%H%M%S"


@dataclass
class RRuleLine:
    """One content line: ``NAME;PARAM=V;...:VALUE``."""

    name: str
    params: dict[str, str]
    value: str


@dataclass
class Rewritten:
    """The floating-time text and what was decided on the way."""

    text: str
    timezone: str
    warnings: list[str] = field(default_factory=list)
    had_dtstart: bool = True


def split_lines(text: str, field_name: str = "rrule") -> list[RRuleLine]:
    """Split rrule text into content lines; a bare ``FREQ=...`` is an RRULE."""
    unfolded = re.sub(r"\r?\n[ \t]", "", text.strip())
    lines: list[RRuleLine] = []
    for raw in unfolded.splitlines():
        raw = raw.strip()
        if not raw:
            continue
        if raw.upper().startswith("FREQ="):
            raw = "RRULE:" + raw
        head, sep, value = raw.partition(":")
        if not sep:
            raise InvalidInput(
                field_name, text, f"line {raw!r} has no ':'.", RRULE_EXAMPLE
            )
        name, *param_parts = head.split(";")
        name = name.strip().upper()
        if name not in _NAMES:
            raise InvalidInput(
                field_name,
                text,
                f"line {raw!r} is not one of {', '.join(_NAMES)}.",
                RRULE_EXAMPLE,
            )
        params = {}
        for part in param_parts:
            key, _, val = part.partition("=")
            params[key.strip().upper()] = val.strip()
        lines.append(RRuleLine(name, params, value.strip()))
    if not any(line.name in ("RRULE", "RDATE") for line in lines):
        raise InvalidInput(
            field_name, text, "has no RRULE or RDATE line.", RRULE_EXAMPLE
        )
    return lines


def dtstart_zone(lines: list[RRuleLine]) -> str | None:
    """The IANA zone named by the DTSTART line's TZID, if it has one."""
    for line in lines:
        if line.name == "DTSTART" and "TZID" in line.params:
            return resolve_timezone(line.params["TZID"], "rrule DTSTART TZID")
    return None


def to_wall(
    stamp: str, source_zone: str | None, zone: str, what: str, text: str
) -> tuple[str | None, str]:
    """One RFC 5545 date or date-time as floating wall time in ``zone``.

    ``source_zone`` is the TZID the value carried (``None`` for floating); a
    ``Z`` suffix means UTC. Returns the YYYYMMDDTHHMMSS text (``None`` when
    the value must be dropped) and a warning sentence ("" if none).

    An instant in the *second* pass of a DST fold has no floating spelling
    (floating times mean the first pass). The rule's own occurrences in a
    fold only ever fire on the first pass, so: an UNTIL there becomes the last
    second of the fold (every first-pass time is before it); an EXDATE there
    matches no run and is dropped; DTSTART and RDATE fall back to the first
    pass, with a warning.
    """
    match = _STAMP.match(stamp.strip())
    if match is None:
        raise InvalidInput(
            "rrule", text, f"{what} value {stamp!r} is not a date-time.", RRULE_EXAMPLE
        )
    day, clock, zulu = match.groups()
    try:
        wall = datetime.strptime(day + "T" + (clock or "000000"), WALL_FORMAT)
    except ValueError as e:
        raise InvalidInput(
            "rrule", text, f"{what} value {stamp!r} is not a date.", RRULE_EXAMPLE
        ) from e
    if zulu:
        source_zone = "UTC"
    try:
        instant, _ = resolve_wall_time(wall, source_zone or zone)
    except (OverflowError, ValueError):  # a wall time at datetime's ends
        instant = None
    if instant is None or not time_in_range(instant):
        raise InvalidInput(
            "rrule",
            text,
            f"{what} value {stamp!r} is outside the range of times schedules "
            "are computed for.",
            TIME_RANGE_HINT
            + (
                " Leave UNTIL out for a rule without an end." if what == "UNTIL" else ""
            ),
        )
    if source_zone is None or source_zone == zone:
        return wall.strftime(WALL_FORMAT), ""

    # An exact instant: find the wall time it shows in the schedule's zone.
    local = instant.astimezone(ZoneInfo(zone))
    naive = local.replace(tzinfo=None)
    back, _ = resolve_wall_time(naive, zone)
    if back.astimezone(UTC) == instant.astimezone(UTC):
        return naive.strftime(WALL_FORMAT), ""
    if what == "UNTIL":
        return _fold_end(instant, zone).strftime(WALL_FORMAT), ""
    if what == "EXDATE":
        return None, (
            f"EXDATE {stamp} is {local.isoformat(timespec='seconds')}, the second "
            f"pass of a repeated hour in {zone}, when the schedule never runs; "
            "it was left out."
        )
    note = (
        f"{what} {stamp} is {local.isoformat(timespec='seconds')}, the second "
        f"occurrence of a repeated wall time in {zone}; the schedule can only "
        "name the first occurrence, so it was used."
    )
    return naive.strftime(WALL_FORMAT), note


def _fold_end(instant: datetime, zone: str) -> datetime:
    """The last wall second of the fold whose second pass holds ``instant``."""
    tz = ZoneInfo(zone)
    later = instant.astimezone(tz).utcoffset()
    # Transitions fall on whole minutes: walk back minute by minute to it
    # (a fold lasts at most a few hours).
    probe = instant.astimezone(UTC).replace(second=0, microsecond=0)
    while (probe - timedelta(minutes=1)).astimezone(tz).utcoffset() == later:
        probe -= timedelta(minutes=1)
    earlier = (probe - timedelta(minutes=1)).astimezone(tz).utcoffset()
    assert earlier is not None
    return probe.replace(tzinfo=None) + earlier - timedelta(seconds=1)


def _rewrite_rule(value: str, zone: str, source: str | None, text: str) -> str:
    parts = []
    for part in value.split(";"):
        if not part.strip():
            continue
        key, _, val = part.partition("=")
        key, val = key.strip().upper(), val.strip().upper()
        if key == "UNTIL" and "T" in val:
            wall, _ = to_wall(val, source, zone, "UNTIL", text)
            val = wall or val
        parts.append(f"{key}={val}")
    return ";".join(parts)


def rewrite(
    text: str, zone: str, lines: list[RRuleLine], dtstart: str | None
) -> Rewritten:
    """Rewrite parsed lines into floating wall time in ``zone``.

    Args:
        text: the original text (for messages).
        zone: the schedule's IANA zone.
        lines: the content lines from :func:`split_lines`.
        dtstart: a DTSTART wall time to add when the text has none.
    """
    result = Rewritten(text="", timezone=zone)
    out: list[str] = []
    starts = [line for line in lines if line.name == "DTSTART"]
    if len(starts) > 1:
        raise InvalidInput("rrule", text, "has more than one DTSTART.", RRULE_EXAMPLE)
    source = dtstart_zone(lines)

    if starts:
        line = starts[0]
        wall, note = to_wall(line.value, source, zone, "DTSTART", text)
        out.append(f"DTSTART:{wall or line.value}")
        if note:
            result.warnings.append(note)
    else:
        result.had_dtstart = False
        if dtstart is not None:
            out.append(f"DTSTART:{dtstart}")

    for kind in ("RRULE", "EXRULE"):
        for line in lines:
            if line.name == kind:
                out.append(f"{kind}:{_rewrite_rule(line.value, zone, source, text)}")

    for kind in ("RDATE", "EXDATE"):
        values: list[str] = []
        for line in lines:
            if line.name != kind:
                continue
            if line.params.get("VALUE", "DATE-TIME").upper() == "PERIOD":
                raise InvalidInput(
                    "rrule", text, f"{kind} periods are not supported.", RRULE_EXAMPLE
                )
            tzid = line.params.get("TZID")
            own = resolve_timezone(tzid, f"rrule {kind} TZID") if tzid else None
            for stamp in line.value.split(","):
                wall, note = to_wall(stamp, own, zone, kind, text)
                if wall is not None:
                    values.append(wall)
                if note:
                    result.warnings.append(note)
                if "T" not in stamp.upper() and kind == "EXDATE":
                    result.warnings.append(
                        f"EXDATE {stamp.strip()} has no time of day: it only "
                        "removes a run at exactly 00:00 that day. Give the run's "
                        "time (e.g. EXDATE:" + stamp.strip() + "T090000)."
                    )
        if values:
            out.append(f"{kind}:{','.join(values)}")

    result.text = "\n".join(out)
    return result


def has_count(lines: list[RRuleLine]) -> bool:
    """Whether any RRULE or EXRULE line limits itself with COUNT."""
    return any(
        line.name in ("RRULE", "EXRULE") and "COUNT" in rule_parts(line.value)
        for line in lines
    )


def zone_labels(text: str) -> list[str]:
    """Warnings for stored text that Prefect will read differently than written.

    Used for schedules read back from a server: a TZID or a ``Z`` date in the
    text is relabelled as wall time in the schedule's zone by Prefect.
    """
    notes: list[str] = []
    if re.search(r"TZID=", text, re.IGNORECASE):
        notes.append(
            "The rrule names a TZID; Prefect ignores it and reads its dates as wall "
            "time in the schedule's timezone."
        )
    if re.search(r"\d{8}T\d{6}Z", text, re.IGNORECASE):
        notes.append(
            "The rrule has UTC ('Z') dates; Prefect reads their digits as wall "
            "time in the schedule's timezone, not as UTC."
        )
    return notes


def rule_parts(value: str) -> dict[str, str]:
    """The ``KEY=VALUE`` parts of an RRULE or EXRULE value, keys upper-cased."""
    parts = {}
    for part in value.split(";"):
        key, sep, val = part.partition("=")
        if sep:
            parts[key.strip().upper()] = val.strip().upper()
    return parts


def stamp_wall(stamp: str) -> datetime | None:
    """The wall time a ``YYYYMMDD[THHMMSS][Z]`` value's digits show, or None.

    A ``Z`` is ignored, as Prefect ignores it (see the module docstring).
    """
    match = _STAMP.match(stamp.strip())
    if match is None:
        return None
    day, clock, _ = match.groups()
    try:
        return datetime.strptime(day + "T" + (clock or "000000"), WALL_FORMAT)
    except ValueError:
        return None
