"""Property tests: previews equal Prefect's server classes and mean what was asked.

For generated crons, intervals and rrules in zones with unusual DST (30-minute
in Lord Howe, midnight changes in Sao Paulo until 2019, none in Kolkata), with
start times near transitions, three things are checked:

1. ``next_runs`` gives the same instants as Prefect's *server* class built from
   the JSON that would be sent (so the preview is what the scheduler creates),
   also for a later start that ``next_runs`` answers from the window of runs
   it kept from the first call.
2. The definition means what the user asked, against an independent
   computation: cronsim on wall times plus zoneinfo with the stated gap/fold
   rule (gap: forward by its length; fold: first occurrence) for crons;
   ``anchor + k * interval`` for intervals; dateutil with the TZID of the
   user's own text plus RFC 5545's gap rule for rrules. Where Prefect differs,
   the difference must be one of the known kinds below; they are counted.
3. ``to_prefect_schedule(spec).model_dump(mode="json")`` is the definition.

Known kinds of disagreement (Prefect 3.9.1 on Python 3.11):

- ``rrule-gap-backward``: an rrule wall time inside a DST gap runs the gap's
  length *earlier* (dateutil reads it with the new offset); RFC 5545 and
  Prefect's cron run it later.
- ``interval-fold-lost``: a sub-day interval loses the runs that fall in the
  repeated hour of a fall-back (pendulum adds the seconds in wall time there),
  although Prefect documents elapsed-time spacing.
- ``interval-gap-sticks``: a whole-day interval whose clock time falls in a gap
  is moved forward, and every later run keeps the moved clock time.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dateutil.rrule
import pytest
from cronsim import CronSim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prefect_schedule_mcp.scheduling import (
    ScheduleSpec,
    next_runs,
    normalize_cron,
    normalize_interval,
    normalize_rrule,
    to_prefect_schedule,
)

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "UTC",
]
COUNT = 12
SETTINGS = settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
compared: Counter[str] = Counter()


def _transitions(zone: str) -> list[datetime]:
    """UTC instants where ``zone`` changes offset, 2016-2027 (midnights for UTC)."""
    tz = ZoneInfo(zone)
    found = []
    moment = datetime(2016, 1, 1, tzinfo=UTC)
    step = timedelta(hours=1)
    previous = moment.astimezone(tz).utcoffset()
    while moment < datetime(2028, 1, 1, tzinfo=UTC):
        moment += step
        offset = moment.astimezone(tz).utcoffset()
        if offset != previous:
            # refine to the minute
            probe = moment - step
            while probe.astimezone(tz).utcoffset() == previous:
                probe += timedelta(minutes=1)
            found.append(probe)
            previous = offset
    return found or [
        datetime(2024, 3, 10, tzinfo=UTC),
        datetime(2024, 11, 3, tzinfo=UTC),
    ]


TRANSITIONS = {zone: _transitions(zone) for zone in ZONES}


@st.composite
def zone_and_start(draw: st.DrawFn) -> tuple[str, datetime]:
    zone = draw(st.sampled_from(ZONES))
    moment = draw(st.sampled_from(TRANSITIONS[zone]))
    shift = draw(st.integers(-3 * 24 * 60, 24 * 60))
    seconds = draw(st.sampled_from([0, 0, 0, 1, 59]))
    return zone, moment + timedelta(minutes=shift, seconds=seconds)


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest) -> None:
    """Hand the counter to conftest's terminal summary."""
    request.config.scheduling_compared = compared  # type: ignore[attr-defined]


def _server_runs(spec: ScheduleSpec, start: datetime, n: int) -> list[datetime]:
    """Prefect's server class, built from the JSON that would be sent."""
    from prefect.server.schemas import schedules

    body = to_prefect_schedule(spec).model_dump(mode="json")
    assert body == spec.definition  # (3) the JSON round trip
    cls = {
        "cron": schedules.CronSchedule,
        "interval": schedules.IntervalSchedule,
        "rrule": schedules.RRuleSchedule,
    }[spec.kind]
    server = cls.model_validate(body)
    return sorted(
        {d.astimezone(UTC) for d in server._get_dates_generator(n=n, start=start)}
    )


def _instants(runs: list[datetime]) -> list[datetime]:
    return [r.astimezone(UTC) for r in runs]


def _wall_rule(wall: datetime, zone: str) -> datetime:
    """The stated rule: gap → offset before the jump (later); fold → first."""
    return wall.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


def _check_prefect(spec: ScheduleSpec, start: datetime) -> list[datetime]:
    ours = _instants(next_runs(spec, start, COUNT))
    assert all(r >= start for r in ours)
    theirs = _server_runs(spec, start, COUNT)
    if theirs and theirs[0] < start:
        # Prefect yields first-pass fold times for a start in the second pass
        compared[f"{spec.kind}-fold-before-start"] += 1
        theirs = _server_runs(spec, start, COUNT * 3)
    assert ours == [r for r in theirs if r >= start][:COUNT]  # (1)
    return ours


LATER = st.integers(0, 3 * 24 * 60)


def _check_later(spec: ScheduleSpec, start: datetime, minutes: int) -> None:
    """(1) again for a later start, after ``start`` has filled the window."""
    _check_prefect(spec, start + timedelta(minutes=minutes, seconds=minutes % 7))
    compared["later-start"] += 1


# --- crons ---------------------------------------------------------------

MINUTES = ["0", "30", "15", "*/15", "5,45", "*/20"]
HOURS = ["*", "0", "1", "2", "3", "9", "1-3", "*/2", "0,12", "23"]
DOMS = ["*", "*", "1", "15", "1-7", "31"]
MONTHS = ["*", "*", "3,10,11", "*/2"]
DOWS = ["*", "*", "0", "1-5", "6", "5"]


def _matches(expr: str, wall: datetime) -> bool:
    return next(CronSim(expr, wall - timedelta(minutes=1))) == wall


def _cron_oracle(cron: str, day_or: bool, zone: str, start: datetime) -> list[datetime]:
    minute, hour, dom, month, dow = cron.split()
    both = dom != "*" and dow != "*"
    expr = f"{minute} {hour} {dom} {month} *" if both and not day_or else cron
    dow_expr = f"{minute} {hour} * {month} {dow}"
    wall = start.astimezone(ZoneInfo(zone)).replace(tzinfo=None) - timedelta(hours=4)
    found: set[datetime] = set()
    walls = CronSim(expr, wall.replace(second=0) - timedelta(minutes=1))
    for candidate in walls:
        if both and not day_or and not _matches(dow_expr, candidate):
            continue
        instant = _wall_rule(candidate, zone)
        if instant >= start:
            found.add(instant)
        if len(found) >= COUNT and candidate > sorted(found)[COUNT - 1].astimezone(
            ZoneInfo(zone)
        ).replace(tzinfo=None) + timedelta(hours=4):
            break
    return sorted(found)[:COUNT]


@SETTINGS
@given(
    zs=zone_and_start(),
    fields=st.tuples(
        *(st.sampled_from(f) for f in (MINUTES, HOURS, DOMS, MONTHS, DOWS))
    ),
    day_or=st.sampled_from([None, True, False]),
    later=LATER,
)
def test_cron_property(
    zs: tuple[str, datetime],
    fields: tuple[str, ...],
    day_or: bool | None,
    later: int,
) -> None:
    zone, start = zs
    cron = " ".join(fields)
    try:
        spec = normalize_cron(cron, zone, day_or)
    except Exception:
        return  # e.g. "0 0 31 2 *" never matches: refused, not scheduled
    ours = _check_prefect(spec, start)
    expected = _cron_oracle(cron, day_or is not False, zone, start)
    assert ours == expected, (cron, zone, start)
    compared["cron"] += 1
    _check_later(spec, start, later)


# --- intervals -----------------------------------------------------------

INTERVALS = [
    60,
    300,
    900,
    1800,
    2700,
    3600,
    5400,
    7200,
    10800,
    43200,
    86400,
    172800,
    604800,
]


def _interval_disagreement(
    spec: ScheduleSpec, ours: list[datetime], expected: list[datetime]
) -> str:
    zone = ZoneInfo(spec.timezone)
    seconds = spec.definition["interval"]
    if seconds < 86400:
        # the lost runs must all be the second pass of a repeated hour
        lost = set(expected) - set(ours)
        for instant in lost:
            local = instant.astimezone(zone)
            first = local.replace(fold=0).astimezone(UTC)
            if local.fold != 1 or first == instant:
                return "unknown"
        return "interval-fold-lost"
    # whole days: the first difference follows a gap day and the shift sticks
    for mine, theirs in zip(ours, expected, strict=False):
        if mine != theirs:
            wall = theirs.astimezone(zone).replace(tzinfo=None)
            return (
                "interval-gap-sticks"
                if _in_gap_on_some_day(wall, ours, zone)
                else "unknown"
            )
    return "unknown"


def _in_gap_on_some_day(wall: datetime, runs: list[datetime], zone: ZoneInfo) -> bool:
    clock = wall.time()
    for run in runs:
        day_wall = datetime.combine(run.astimezone(zone).date(), clock)
        for back in range(0, 400):
            probe = day_wall - timedelta(days=back)
            aware = probe.replace(tzinfo=zone)
            if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != probe:
                return True
    return False


@SETTINGS
@given(
    zs=zone_and_start(),
    seconds=st.sampled_from(INTERVALS),
    anchor_shift=st.integers(-30 * 24 * 60, 30 * 24 * 60),
    naive=st.booleans(),
    later=LATER,
)
def test_interval_property(
    zs: tuple[str, datetime],
    seconds: int,
    anchor_shift: int,
    naive: bool,
    later: int,
) -> None:
    zone, start = zs
    anchor_instant = (start + timedelta(minutes=anchor_shift)).replace(second=0)
    if naive:
        anchor_text = (
            anchor_instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None).isoformat()
        )
    else:
        anchor_text = anchor_instant.astimezone(ZoneInfo(zone)).isoformat()
    spec = normalize_interval(seconds, anchor_text, zone, now=start)
    anchor = datetime.fromisoformat(spec.definition["anchor_date"])
    if not naive:
        assert anchor == anchor_instant  # an aware anchor keeps its instant
    ours = _check_prefect(spec, start)

    step = timedelta(seconds=seconds)
    if seconds < 86400:
        k = -((anchor - start) // step)
        expected = [(anchor + (k + i) * step).astimezone(UTC) for i in range(COUNT)]
    else:
        days = seconds // 86400
        wall = anchor.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        k = (
            start.astimezone(ZoneInfo(zone)).replace(tzinfo=None) - wall
        ).days // days - 2
        # The anchor itself is a run, also in the second pass of a fold;
        # the other days take its wall time by the stated rule.
        candidates = (
            anchor.astimezone(UTC)
            if k + i == 0
            else _wall_rule(wall + timedelta(days=(k + i) * days), zone)
            for i in range(COUNT + 6)
        )
        expected = [c for c in candidates if c >= start][:COUNT]

    if ours != expected:
        kind = _interval_disagreement(spec, ours, expected)
        assert kind != "unknown", (seconds, anchor_text, zone, start, ours, expected)
        compared[kind] += 1
    compared["interval"] += 1
    _check_later(spec, start, later)


# --- rrules --------------------------------------------------------------


def _stamp(dt: datetime) -> str:
    return dt.strftime("%Y%m%dT%H%M%S")


@st.composite
def rrule_texts(draw: st.DrawFn) -> tuple[str, str, datetime]:
    zone, start = draw(zone_and_start())
    tz = ZoneInfo(zone)
    first = (start - timedelta(minutes=draw(st.integers(0, 20 * 24 * 60)))).astimezone(
        tz
    )
    first = first.replace(
        minute=draw(st.sampled_from([0, 15, 30, 45])), second=0, tzinfo=None
    )
    freq = draw(st.sampled_from(["HOURLY", "DAILY", "WEEKLY"]))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 3))}"]
    if freq != "HOURLY" and draw(st.booleans()):
        hours = draw(st.lists(st.integers(0, 23), min_size=1, max_size=3, unique=True))
        parts.append("BYHOUR=" + ",".join(map(str, sorted(hours))))
    if draw(st.booleans()):
        parts.append(f"BYMINUTE={draw(st.sampled_from(['0', '30', '0,30', '15']))}")
    end = draw(st.sampled_from(["none", "count", "until"]))
    if end == "count":
        parts.append(f"COUNT={draw(st.integers(3, 60))}")
    elif end == "until":
        until = start + timedelta(hours=draw(st.integers(-24, 24 * 20)))
        parts.append(f"UNTIL={_stamp(until.astimezone(UTC))}Z")
    lines = [f"DTSTART;TZID={zone}:{_stamp(first)}", "RRULE:" + ";".join(parts)]
    if draw(st.booleans()):
        rule = dateutil.rrule.rrulestr("\n".join(lines))
        occurrences = list(rule.xafter(start, count=3))
        if occurrences:
            exdate = occurrences[draw(st.integers(0, len(occurrences) - 1))]
            # Not next to a clock change: there dateutil maps a gap time onto
            # the same instant as a real time, and an EXDATE removes both.
            near = exdate.astimezone(UTC)
            offsets = {
                (near + timedelta(hours=h)).astimezone(tz).utcoffset()
                for h in range(-3, 4)
            }
            if len(offsets) == 1:
                lines.append(f"EXDATE:{_stamp(near)}Z")
    return "\n".join(lines), zone, start


def _rrule_oracle(
    text: str, zone: str, start: datetime, gap_fold: int = 0
) -> list[datetime]:
    """dateutil reads the user's own text (TZID, Z); the rule resolves gaps.

    ``gap_fold=0`` is RFC 5545's rule (a missing time uses the offset before
    the gap, so it runs later); ``gap_fold=1`` reads it with the offset after
    (earlier). Folds are the first occurrence either way.
    """
    tz = ZoneInfo(zone)
    rule = dateutil.rrule.rrulestr(text, forceset=True)
    found: set[datetime] = set()
    for occurrence in rule:
        wall = occurrence.replace(tzinfo=None)
        first = _wall_rule(wall, zone)
        in_gap = first.astimezone(tz).replace(tzinfo=None) != wall
        instant = (
            wall.replace(tzinfo=tz, fold=gap_fold).astimezone(UTC) if in_gap else first
        )
        if instant >= start:
            found.add(instant)
        if len(found) >= COUNT + 2:
            break
    return sorted(found)[:COUNT]


@SETTINGS
@given(case=rrule_texts(), later=LATER)
def test_rrule_property(case: tuple[str, str, datetime], later: int) -> None:
    text, zone, start = case
    spec = normalize_rrule(text)
    assert spec.timezone == zone
    assert "TZID" not in spec.definition["rrule"]
    assert "Z" not in spec.definition["rrule"].replace("DTSTART", "")
    ours = _check_prefect(spec, start)
    expected = _rrule_oracle(text, zone, start)
    if ours != expected:
        backward = _rrule_oracle(text, zone, start, gap_fold=1)
        assert ours == backward, (text, start, ours, expected)
        compared["rrule-gap-backward"] += 1
    compared["rrule"] += 1
    _check_later(spec, start, later)
