"""The run times Prefect's scheduler will create for a schedule, and their caveats.

Previews do not re-implement Prefect's rules: they build Prefect's own *server*
schedule class from the definition that will be sent and call
``_get_dates_generator``, the method the server's scheduler service calls when
it creates runs (``prefect.server.models.deployments``). Its results are at or
after ``start``. Note that the server's rules depend on the Python version the
server runs (intervals use pendulum before 3.13 and whenever from 3.13); the
preview uses this process's Python.

Computing run times can be slow: an rrule without DTSTART is walked from
Prefect's 2020-01-01 anchor on every call. Each computation of a cron or an
rrule is therefore kept as a window (its first runs at or after some instant)
that later calls for the same definition and a later start reuse, as long as
the runs they need lie inside it: a repeated read is answered from the window
until one of its runs has passed. Prefect's cron and rrule classes give the
same runs after an instant whatever start they were asked from (the property
tests check it), so a window stays true; it is only too short or too early,
and then recomputed.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.scheduling import rrules
from prefect_schedule_mcp.scheduling.dst import dst_warnings
from prefect_schedule_mcp.scheduling.limits import LATEST_TIME
from prefect_schedule_mcp.scheduling.normalize import ScheduleSpec, server_schedule
from prefect_schedule_mcp.scheduling.times import (
    format_time,
    parse_time,
    resolve_wall_time,
    utc_now,
)

logger = logging.getLogger(__name__)

MAX_PREVIEW_RUNS = 1000
_RANGE_END = (
    f"{LATEST_TIME.date().isoformat()} (UTC), the end of the range of times "
    "previews cover"
)
# The longest computation kept for later calls, and how many schedules are kept.
WINDOW_RUNS = 50
WINDOW_CACHE_SIZE = 512


@dataclass(frozen=True)
class _Window:
    """Every run of a schedule from ``start`` up to ``runs[-1]``, in UTC.

    ``ended``: the schedule has no runs after ``runs[-1]`` (or none at all).
    """

    start: datetime
    runs: list[datetime]
    ended: bool


_windows: OrderedDict[tuple[object, ...], _Window] = OrderedDict()
_windows_lock = threading.Lock()


def next_runs(
    spec: ScheduleSpec, start_after: datetime | None = None, count: int = 10
) -> list[datetime]:
    """The next ``count`` run times at or after ``start_after`` (default now).

    Args:
        spec: a normalized schedule.
        start_after: aware instant; a naive one is wall time in the schedule's
            zone.
        count: 1 to 1000.

    Returns:
        Aware stdlib datetimes in the schedule's zone, in time order. Fewer
        than ``count`` when the schedule ends, or its next runs are after
        the end of the supported range (``limits.LATEST_TIME``).

    Raises:
        InvalidInput: for a count out of range, and a start outside the
            supported range.
    """
    if isinstance(count, bool) or not isinstance(count, int):
        raise InvalidInput("count", count, "is not a whole number.", "Give 1 to 1000.")
    if not 1 <= count <= MAX_PREVIEW_RUNS:
        raise InvalidInput(
            "count", count, "is out of range.", f"Give 1 to {MAX_PREVIEW_RUNS}."
        )
    start = _start(spec, start_after).astimezone(UTC)
    zone = ZoneInfo(spec.timezone)
    if spec.kind == "interval" or count > WINDOW_RUNS:
        # Computed as asked. Intervals are cheap, and Prefect's interval
        # class (Python < 3.13) yields different runs around a DST fold for
        # different starts, so a window from an earlier start could disagree.
        # Near Prefect's limit of 1,000 candidates, a short answer no longer
        # means that the schedule ends.
        runs = _compute(spec, start, count)
    else:
        runs = _windowed(spec, start, count)
    return [run.astimezone(zone) for run in runs]


def _windowed(spec: ScheduleSpec, start: datetime, count: int) -> list[datetime]:
    """``_compute`` for at most :data:`WINDOW_RUNS` runs, through the windows."""
    key = (spec.kind, *sorted(spec.definition.items()))
    with _windows_lock:
        window = _windows.get(key)
        if window is not None:
            _windows.move_to_end(key)
    if window is not None and window.start <= start:
        tail = window.runs[bisect.bisect_left(window.runs, start) :]
        if len(tail) >= count or window.ended:
            return tail[:count]
    # Only the runs asked for: a rule that matches rarely (leap-day Mondays)
    # takes a second per run to walk.
    runs = _compute(spec, start, count)
    with _windows_lock:
        _windows[key] = _Window(start, runs, ended=len(runs) < count)
        _windows.move_to_end(key)
        while len(_windows) > WINDOW_CACHE_SIZE:
            _windows.popitem(last=False)
    return runs[:count]


def _compute(spec: ScheduleSpec, start: datetime, count: int) -> list[datetime]:
    """The first ``count`` run times at or after ``start``, in UTC, from
    Prefect's server class.

    Runs stop at the end of the supported range (``limits.LATEST_TIME``):
    past it, a long interval asked for many runs overflows ``datetime``.
    """
    schedule = server_schedule(spec)
    wanted = count
    while True:
        dates = schedule._get_dates_generator(n=wanted, start=start, end=LATEST_TIME)
        # Sort by instant: aware datetimes sharing one tzinfo compare by wall
        # time. For the same reason Prefect's interval schedule (Python < 3.13)
        # can yield first-pass times of a DST fold when the start is in the
        # second pass; those are before the start and are dropped here.
        instants = sorted({_plain(d, UTC) for d in dates})
        runs = [i for i in instants if i >= start]
        early = len(instants) - len(runs)
        if len(runs) >= count or not early or wanted >= 2 * MAX_PREVIEW_RUNS:
            logger.debug("computed %s runs of a %s schedule", len(runs), spec.kind)
            return runs[:count]
        wanted += early


def _start(spec: ScheduleSpec, start_after: datetime | None) -> datetime:
    if start_after is None:
        return utc_now()
    # parse_time reads a naive start as wall time and refuses one outside the
    # supported range; its warnings are the caller's, who parsed the text.
    return parse_time(start_after, spec.timezone, "start_after").value


def _plain(value: datetime, zone: tzinfo) -> datetime:
    """A stdlib datetime in ``zone`` for any datetime subclass (pendulum, ...)."""
    utc = value.astimezone(UTC)
    plain = datetime(
        utc.year,
        utc.month,
        utc.day,
        utc.hour,
        utc.minute,
        utc.second,
        utc.microsecond,
        tzinfo=UTC,
    )
    return plain.astimezone(zone)


def schedule_warnings(
    spec: ScheduleSpec,
    runs: list[datetime],
    start_after: datetime,
    count: int | None = None,
) -> list[str]:
    """Plain sentences about the previewed window, and only about it.

    The sentences normalizing wrote (``spec.warnings``) are not repeated
    here: callers show those once, beside these.

    - DST: cron and rrule wall times that fall in a gap (moved, or merged with
      another run) or a fold (fire once, the first time); how an interval
      behaves across a change (see :mod:`.dst`).
    - A schedule with no runs at or after ``start_after``, and for an rrule
      why: its COUNT used up, its UNTIL passed, or a rule with no later date.
    - Fewer runs than ``count`` (when given): the schedule ends, or its later
      runs fall after the end of the supported range, where previews stop.
    """
    start = _start(spec, start_after)
    if not runs:
        shown_start = format_time(start, spec.timezone)
        reason = (
            _rrule_ended(spec, start)
            if spec.kind == "rrule"
            else f"its next run would be after {_RANGE_END}"
        )
        return [f"This schedule has no runs at or after {shown_start}: {reason}."]
    warnings: list[str] = []
    if count is not None and len(runs) < count and _endless(spec):
        warnings.append(
            f"Only {len(runs)} of the {count} runs asked for are shown: later "
            f"runs would fall after {_RANGE_END}."
        )
    elif count is not None and len(runs) < count:
        warnings.append(
            f"Only {len(runs)} of the {count} runs asked for "
            f"{'exists' if len(runs) == 1 else 'exist'}: the schedule "
            f"ends after {format_time(runs[-1], spec.timezone)}."
        )
    warnings.extend(dst_warnings(spec, runs, start))
    return warnings


def _rrule_ended(spec: ScheduleSpec, start: datetime) -> str:
    """Why an rrule has no run at or after ``start``, read from its text.

    Reading the parts is cheap and names the cause where the text shows it;
    no occurrence is computed. Prefect reads every date in the text as wall
    time in the schedule's zone, and so does this.
    """
    rules = _rules(spec)
    if rules is None:
        return "its text could not be read to say why"
    if not rules:
        return "every RDATE is before then"
    reasons = []
    for parts in rules:
        until = _until(parts, spec.timezone)
        if until is not None and until < start:
            shown = format_time(until, spec.timezone)
            reasons.append(f"its UNTIL, {shown}, is before then")
        elif "COUNT" in parts:
            reasons.append(f"the {parts['COUNT']} runs its COUNT allows are used up")
        elif until is not None:
            shown = format_time(until, spec.timezone)
            reasons.append(
                f"the rule gives no date between then and its UNTIL, {shown}"
            )
        else:
            reasons.append(f"the rule gives no date from then up to {_RANGE_END}")
    return "; ".join(dict.fromkeys(reasons))


def _endless(spec: ScheduleSpec) -> bool:
    """Whether the schedule's text sets no end: every cron and interval, and
    an rrule with an RRULE line that has neither COUNT nor UNTIL."""
    if spec.kind != "rrule":
        return True
    return any(
        "COUNT" not in parts and "UNTIL" not in parts for parts in _rules(spec) or []
    )


def _rules(spec: ScheduleSpec) -> list[dict[str, str]] | None:
    """The parts of each RRULE line of an rrule spec; None if unreadable."""
    try:
        lines = rrules.split_lines(spec.definition["rrule"])
    except InvalidInput:
        return None
    return [rrules.rule_parts(line.value) for line in lines if line.name == "RRULE"]


def _until(parts: dict[str, str], zone: str) -> datetime | None:
    """An rrule's UNTIL as an aware time; None without one (or past datetime's end)."""
    wall = rrules.stamp_wall(parts.get("UNTIL", ""))
    if wall is None:
        return None
    try:
        until, _ = resolve_wall_time(wall, zone)
    except (OverflowError, ValueError):
        return None
    return until
