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
the runs they need lie inside it. Prefect's cron and rrule classes give the
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
from prefect_schedule_mcp.scheduling.dst import dst_warnings
from prefect_schedule_mcp.scheduling.normalize import ScheduleSpec, server_schedule
from prefect_schedule_mcp.scheduling.times import (
    format_time,
    resolve_wall_time,
    utc_now,
)

logger = logging.getLogger(__name__)

MAX_PREVIEW_RUNS = 1000
# Runs one computation keeps for later calls, and how many schedules are kept.
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
        than ``count`` when the schedule ends.
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
    runs = _compute(spec, start, WINDOW_RUNS)
    with _windows_lock:
        _windows[key] = _Window(start, runs, ended=len(runs) < WINDOW_RUNS)
        _windows.move_to_end(key)
        while len(_windows) > WINDOW_CACHE_SIZE:
            _windows.popitem(last=False)
    return runs[:count]


def _compute(spec: ScheduleSpec, start: datetime, count: int) -> list[datetime]:
    """The first ``count`` run times at or after ``start``, in UTC, from
    Prefect's server class."""
    schedule = server_schedule(spec)
    wanted = count
    while True:
        dates = schedule._get_dates_generator(n=wanted, start=start)
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
    if start_after.tzinfo is None or start_after.utcoffset() is None:
        start, _ = resolve_wall_time(start_after, spec.timezone)
        return start
    return start_after


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
    """Plain sentences about the previewed window.

    - DST: cron and rrule wall times that fall in a gap (moved, or merged with
      another run) or a fold (fire once, the first time); how an interval
      behaves across a change (see :mod:`.dst`).
    - A schedule with no runs at or after ``start_after``.
    - Fewer runs than ``count`` (when given): the schedule ends.
    """
    warnings: list[str] = list(spec.warnings)
    shown_start = format_time(_start(spec, start_after), spec.timezone)
    if not runs:
        warnings.append(
            f"This schedule has no runs at or after {shown_start}: "
            + (
                "its COUNT or UNTIL has been used up, or every date is in the past."
                if spec.kind == "rrule"
                else "it has ended."
            )
        )
        return warnings
    if count is not None and len(runs) < count:
        warnings.append(
            f"Only {len(runs)} of the {count} runs asked for "
            f"{'exists' if len(runs) == 1 else 'exist'}: the schedule "
            f"ends after {format_time(runs[-1], spec.timezone)}."
        )
    warnings.extend(dst_warnings(spec, runs, _start(spec, start_after)))
    return warnings
