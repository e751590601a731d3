"""Daylight-saving caveats for a previewed window, as plain sentences.

What Prefect 3.9.1's scheduler does at a clock change (measured, see
``tests/scheduling/test_properties.py``), and what is said:

- Cron wall times inside a *gap* (clocks jump forward) do not exist. Prefect
  reads them with the offset in force before the jump, so they run the gap's
  length later (02:30 → 03:30). When that later time is itself a run of the
  schedule (an hourly cron's 02:00 → 03:00), the two are one run: the day has
  one run fewer.
- Rrule wall times inside a gap run the gap's length *earlier* (dateutil reads
  them with the offset after the jump: 02:30 → 01:30), unlike cron and unlike
  RFC 5545. The text cannot express a fix, so it is said.
- Wall times inside a *fold* (clocks go back) exist twice. Crons and rrules
  fire at the first occurrence only, so an hourly cron gives the repeated hour
  no runs.
- Intervals under a day are documented as elapsed time (runs keep their
  spacing), but on Python before 3.13 Prefect loses the runs in the repeated
  hour of a fold; uneven spacing around a change is reported. Whole-day
  intervals are added in local calendar days and keep their clock time, except
  that a run moved out of a gap keeps the moved clock time from then on; runs
  whose clock time differs from the anchor's are reported.

Sentences are derived from the runs the preview actually produced, so they
describe what Prefect does, not what it is supposed to do.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prefect_schedule_mcp.scheduling.durations import format_duration
from prefect_schedule_mcp.scheduling.spec import ScheduleSpec

MAX_TRANSITIONS = 100
MAX_LISTED = 4
DAY_SECONDS = 86400


def transitions(
    zone: str, start: datetime, end: datetime
) -> Iterator[tuple[datetime, timedelta, timedelta]]:
    """UTC offset changes of ``zone`` in ``[start, end]``: (instant, before, after)."""
    from whenever import Instant

    tz = ZoneInfo(zone)
    current = Instant.from_timestamp(start.timestamp()).to_tz(zone)
    for _ in range(MAX_TRANSITIONS):
        nxt = current.next_transition()
        if nxt is None or nxt.timestamp() > end.timestamp():
            return
        moment = datetime.fromtimestamp(nxt.timestamp(), UTC)
        before = (moment - timedelta(seconds=1)).astimezone(tz).utcoffset()
        after = moment.astimezone(tz).utcoffset()
        if before is not None and after is not None and before != after:
            yield moment, before, after
        current = nxt


def dst_warnings(
    spec: ScheduleSpec, runs: list[datetime], start: datetime
) -> list[str]:
    """Sentences about the clock changes between ``start`` and the last run."""
    if spec.timezone == "UTC" or not runs:
        return []
    notes: list[str] = []
    run_set = {r.astimezone(UTC) for r in runs}
    walls = _wall_times(spec)
    changes = list(transitions(spec.timezone, start, runs[-1]))
    if walls is None and spec.definition["interval"] >= DAY_SECONDS:
        # Intervals of a day or more behave the same at every change: say it once.
        return _day_interval_note(spec, runs, changes)
    for moment, before, after in changes:
        if walls is not None:
            notes.extend(_calendar_note(spec, walls, run_set, moment, before, after))
        else:
            notes.extend(_interval_note(spec, runs, moment, before, after))
    return notes


def _day_interval_note(
    spec: ScheduleSpec,
    runs: list[datetime],
    changes: list[tuple[datetime, timedelta, timedelta]],
) -> list[str]:
    """One sentence for an interval of a day or more across clock changes."""
    if not changes:
        return []
    zone = ZoneInfo(spec.timezone)
    days = [moment.astimezone(zone).date().isoformat() for moment, _, _ in changes]
    shown = ", ".join(days[:3]) + (
        f" and {len(days) - 3} more" if len(days) > 3 else ""
    )
    head = (
        f"Clocks in {spec.timezone} change on {shown}. Prefect adds the whole days "
        "of an interval in local calendar days"
    )
    interval = timedelta(seconds=spec.definition["interval"])
    if interval.seconds or interval.microseconds:
        return [head + " and the rest in elapsed time."]
    anchor = datetime.fromisoformat(spec.definition["anchor_date"])
    wanted = anchor.astimezone(zone).time()
    odd = [
        r.isoformat(timespec="seconds")
        for r in runs
        if r.astimezone(zone).time() != wanted
    ]
    clock = wanted.strftime("%H:%M")
    text = head + f", so runs keep their clock time ({clock})."
    if odd:
        text += (
            f" Except these, moved because {clock} did not exist on a day before "
            f"them, and kept at the moved time: {_listed(odd)}."
        )
    return [text]


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _clock(wall: datetime) -> str:
    return wall.strftime("%H:%M") + (f":{wall.second:02d}" if wall.second else "")


def _times(items: list[str]) -> str:
    if len(items) == 1:
        return f"the run time {items[0]}"
    return f"the run times {_listed(items)}"


def _are(items: list[str]) -> str:
    """'the run time 02:30 does not exist' / 'the run times ... do not exist'."""
    return _times(items) + (" does" if len(items) == 1 else " do") + " not exist"


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        shown += f" and {len(items) - MAX_LISTED} more"
    return shown


def _calendar_note(
    spec: ScheduleSpec,
    walls: Any,
    run_set: set[datetime],
    moment: datetime,
    before: timedelta,
    after: timedelta,
) -> list[str]:
    """Gap and fold sentences for a cron or rrule at one transition."""
    naive = moment.replace(tzinfo=None)
    zone = spec.timezone
    change = abs(after - before)
    day = (naive + after).date().isoformat()
    if after > before:
        lo, hi = naive + before, naive + after
        affected = walls(lo, hi + change)
        in_gap = [w for w in affected if w < hi]
        if not in_gap:
            return []
        others = set(affected)
        forward, backward, merged, skipped = [], [], [], []
        moved_to: list[str] = []
        for wall in in_gap:
            later, earlier = wall + change, wall - change
            ahead = wall.replace(tzinfo=UTC) - before
            behind = wall.replace(tzinfo=UTC) - after
            if ahead in run_set and later in others:
                merged.append(f"{_clock(wall)} (into {_clock(later)})")
            elif ahead in run_set:
                forward.append(_clock(wall))
                moved_to.append(_clock(later))
            elif behind in run_set:
                backward.append(f"{_clock(wall)} (at {_clock(earlier)})")
            else:
                skipped.append(_clock(wall))
        head = (
            f"On {day} clocks in {zone} jump from {_clock(lo)} to {_clock(hi)} "
            f"({_offset(before)} to {_offset(after)}), so "
        )
        length = format_duration(change)
        parts = []
        if forward:
            each = "the run moves" if len(forward) == 1 else "each run moves"
            parts.append(
                f"{_are(forward)} that day: {each} {length} later, to "
                f"{_listed(moved_to)} ({_offset(after)})"
            )
        if merged:
            parts.append(
                f"{_are(merged)}: it runs together with the later run, so that "
                "day has fewer runs"
            )
        if backward:
            parts.append(
                f"{_are(backward)}: Prefect's rrule engine runs it {length} "
                "EARLIER (it reads a missing time with the new offset), unlike "
                "cron, which runs such times later"
            )
        if skipped:
            parts.append(f"{_are(skipped)} and get no run")
        return [head + "; ".join(parts) + "."]

    lo, hi = naive + after, naive + before
    in_fold = walls(lo, hi)
    if not in_fold:
        return []
    once, twice = [], []
    for wall in in_fold:
        first = wall.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)
        second = wall.replace(tzinfo=ZoneInfo(zone), fold=1).astimezone(UTC)
        if first in run_set and second in run_set:
            twice.append(_clock(wall))
        elif first in run_set or second in run_set:
            once.append(_clock(wall))
    head = (
        f"On {day} clocks in {zone} go back from {_clock(hi)} to {_clock(lo)} "
        f"({_offset(before)} to {_offset(after)}), so {_clock(lo)}-{_clock(hi)} "
        "happens twice: "
    )
    parts = []
    if once:
        parts.append(
            f"{_times(once)} {'fires' if len(once) == 1 else 'fire'} only once, "
            f"the first time ({_offset(before)}), and the repeated period gets "
            "no runs"
        )
    if twice:
        parts.append(f"{_times(twice)} {'fires' if len(twice) == 1 else 'fire'} twice")
    return [head + "; ".join(parts) + "."] if parts else []


def _interval_note(
    spec: ScheduleSpec,
    runs: list[datetime],
    moment: datetime,
    before: timedelta,
    after: timedelta,
) -> list[str]:
    """A sentence for an interval under a day at one clock change."""
    zone = spec.timezone
    interval = timedelta(seconds=spec.definition["interval"])
    change = abs(after - before)
    day = moment.astimezone(ZoneInfo(zone)).date().isoformat()
    text = (
        f"On {day} clocks in {zone} change from {_offset(before)} to {_offset(after)}. "
        "Prefect documents intervals under a day as elapsed time: runs stay "
        f"{format_duration(interval)} apart"
        + (
            ", so the repeated clock times get runs twice."
            if after < before and change % interval == timedelta(0)
            else f" and their clock times shift by {format_duration(change)}."
            if change % interval
            else "."
        )
    )
    uneven = [
        f"{a.isoformat(timespec='seconds')} to {b.isoformat(timespec='seconds')}"
        for a, b in itertools.pairwise(runs)
        if b.astimezone(UTC) - a.astimezone(UTC) != interval
        and a <= moment + change
        and b >= moment - change
    ]
    if uneven:
        text += (
            f" But Prefect's scheduler on this Python does not keep that here: "
            f"{_listed(uneven)} is not {format_duration(interval)} (runs in "
            "the repeated hour are lost)."
        )
    return [text]


def _wall_times(spec: ScheduleSpec) -> Any:
    """A function (lo, hi) → sorted naive wall times of the schedule in [lo, hi).

    None for intervals, which have no wall-time pattern.
    """
    if spec.kind == "cron":
        from prefect._vendor.croniter import croniter

        cron, day_or = spec.definition["cron"], spec.definition["day_or"]

        def cron_walls(lo: datetime, hi: datetime) -> list[datetime]:
            it = croniter(cron, lo - timedelta(seconds=1), day_or=day_or)
            found = []
            for _ in range(10_000):
                wall = it.get_next(datetime)
                if wall >= hi:
                    break
                if wall >= lo:
                    found.append(wall)
            return found

        return cron_walls
    if spec.kind == "rrule":
        import dateutil.rrule

        rule = dateutil.rrule.rrulestr(
            spec.definition["rrule"],
            dtstart=datetime(2020, 1, 1),
            ignoretz=True,
            forceset=True,
            cache=True,
        )

        def rule_walls(lo: datetime, hi: datetime) -> list[datetime]:
            return [w for w in rule.between(lo, hi, inc=True) if w < hi]

        return rule_walls
    return None
