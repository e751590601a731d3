"""schedule_warnings: DST sentences derived from the runs Prefect produces."""

import re
from datetime import UTC, datetime

import pytest

from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.scheduling import (
    ScheduleSpec,
    format_time,
    next_runs,
    normalize_cron,
    normalize_interval,
    normalize_rrule,
    schedule_warnings,
)


def preview(spec, start: str, count: int) -> tuple[list[str], list[str]]:
    began = datetime.fromisoformat(start)
    runs = next_runs(spec, began, count)
    shown = [format_time(r, spec.timezone) for r in runs]
    return shown, schedule_warnings(spec, runs, began, count)


def test_rrule_gap_time_runs_earlier_and_is_said() -> None:
    spec = normalize_rrule(
        "DTSTART:20240301T023000\nRRULE:FREQ=DAILY", "America/New_York"
    )
    runs, warnings = preview(spec, "2024-03-09T00:00:00-05:00", 3)
    assert runs == [
        "2024-03-09T02:30:00-05:00",
        "2024-03-10T01:30:00-05:00",
        "2024-03-11T02:30:00-04:00",
    ]
    [dst] = [w for w in warnings if "clocks" in w]
    assert "EARLIER" in dst
    assert "02:30 (at 01:30)" in dst


def test_hourly_cron_gap_merges() -> None:
    spec = normalize_cron("0 * * * *", "America/New_York")
    runs, warnings = preview(spec, "2024-03-10T00:00:00-05:00", 4)
    assert runs[2] == "2024-03-10T03:00:00-04:00"
    assert any("02:00 (into 03:00)" in w for w in warnings)


def test_subday_interval_fold_loss_is_said() -> None:
    spec = normalize_interval("1h", "2024-11-01T00:00:00", "America/New_York")
    runs, warnings = preview(spec, "2024-11-03T00:00:00-04:00", 4)
    assert runs == [
        "2024-11-03T00:00:00-04:00",
        "2024-11-03T01:00:00-04:00",
        "2024-11-03T02:00:00-05:00",
        "2024-11-03T03:00:00-05:00",
    ]
    [dst] = [w for w in warnings if "clocks" in w]
    assert "runs in the repeated hour are lost" in dst


def test_day_interval_gap_shift_is_said() -> None:
    spec = normalize_interval("1d", "2024-03-01T02:30:00", "America/New_York")
    runs, warnings = preview(spec, "2024-03-09T00:00:00-05:00", 3)
    assert runs[1:] == ["2024-03-10T03:30:00-04:00", "2024-03-11T03:30:00-04:00"]
    [dst] = [w for w in warnings if w.startswith("Clocks in America/New_York")]
    assert "02:30 did not exist on a day before them" in dst
    assert "2024-03-10T03:30:00-04:00, 2024-03-11T03:30:00-04:00" in dst


def test_a_long_interval_preview_says_its_clock_changes_once() -> None:
    spec = normalize_interval("P1W", "2026-12-06T01:30", "Europe/London")
    runs, warnings = preview(spec, "2026-12-07T00:00:00Z", 1000)
    assert len(runs) == 1000
    [dst] = [w for w in warnings if "Clocks in Europe/London change on" in w]
    assert "2027-03-28, 2027-10-31, 2028-03-26 and" in dst
    offset_runs = normalize_interval("25h", "2025-03-01T00:00", "America/New_York")
    _, notes = preview(offset_runs, "2025-03-01T00:00:00Z", 200)
    [note] = [w for w in notes if "Clocks in America/New_York" in w]
    assert note.endswith("and the rest in elapsed time.")


def test_interval_start_in_second_pass_of_fold() -> None:
    spec = normalize_interval("5m", "2016-11-06T01:01:00-05:00", "America/New_York")
    runs, _ = preview(spec, "2016-11-06T01:00:00-05:00", 3)
    assert runs[0] >= "2016-11-06T01:00:00-05:00"
    assert all(r.endswith("-05:00") for r in runs)


@pytest.mark.parametrize(
    ("until", "expected_until"),
    [
        ("20161106T060001Z", "UNTIL=20161106T015959"),  # second pass: end of fold
        ("20161106T054500Z", "UNTIL=20161106T014500"),  # first pass: as is
    ],
)
def test_until_in_fold(until: str, expected_until: str) -> None:
    spec = normalize_rrule(
        "DTSTART;TZID=America/New_York:20161106T001500\n"
        f"RRULE:FREQ=HOURLY;UNTIL={until}"
    )
    assert expected_until in spec.definition["rrule"]


def test_exdate_in_second_pass_is_dropped() -> None:
    spec = normalize_rrule(
        "DTSTART;TZID=America/New_York:20161105T013000\n"
        "RRULE:FREQ=DAILY\nEXDATE:20161106T063000Z"
    )
    assert "EXDATE" not in spec.definition["rrule"]
    assert any("left out" in w for w in spec.warnings)


def test_no_warnings_for_plain_utc_schedule() -> None:
    _, warnings = preview(normalize_cron("0 9 * * *"), "2024-03-09T00:00:00Z", 5)
    assert warnings == []


NORMALIZED_NOTES = [
    # (spec, start): each spec carries a note from normalizing
    (normalize_cron("0 15 1 * 1"), "2025-03-31T16:00:00+00:00"),
    (normalize_rrule("RRULE:FREQ=DAILY", "UTC"), "2025-03-31T16:00:00+00:00"),
    (
        normalize_interval("1h", "2025-03-09T02:30", "America/New_York"),
        "2025-03-09T00:00:00-05:00",
    ),
    (
        normalize_interval("1d", "2025-03-01T02:30", "America/New_York"),
        "2025-03-08T00:00:00-05:00",
    ),
    (normalize_interval("1d", "2024-01-01T09:00-05:00"), "2024-03-09T00:00:00Z"),
    (
        normalize_rrule(
            "DTSTART:20240101T090000\nRRULE:FREQ=DAILY\nEXDATE;VALUE=DATE:20240103"
        ),
        "2024-01-01T00:00:00Z",
    ),
]


@pytest.mark.parametrize(("spec", "start"), NORMALIZED_NOTES)
def test_window_warnings_leave_normalizing_notes_to_the_caller(
    spec: ScheduleSpec, start: str
) -> None:
    assert spec.warnings
    _, window = preview(spec, start, 3)
    assert not set(spec.warnings) & set(window)
    # what a tool shows: the notes once, then the window's sentences
    shown = [*spec.warnings, *window]
    assert len(shown) == len(set(shown))


@pytest.mark.parametrize(
    "start",
    [
        "2025-03-08T00:00:00-05:00",  # the window holds the shifted day
        "2026-01-01T00:00:00-05:00",  # long after it: runs stay at 03:30
        "2031-03-01T00:00:00-05:00",
    ],
)
def test_day_interval_gap_names_the_anchor_gap_not_today(start: str) -> None:
    spec = normalize_interval("1d", "2025-03-01T02:30", "America/New_York")
    runs, window = preview(spec, start, 3)
    shown = [*spec.warnings, *window]
    [gap] = [w for w in shown if "does not exist" in w]
    assert gap.startswith("2025-03-09T02:30:00 does not exist")
    assert "at 03:30 too" in gap
    # Prefect agrees: from that day on, every run is at 03:30
    assert all("T03:30:00" in r for r in runs if r >= "2025-03-09")
    years = {r[:4] for r in runs} | {"2025"}
    for sentence in shown:
        assert set(re.findall(r"\b(2\d{3})-\d\d-\d\d", sentence)) <= years, sentence


@pytest.mark.parametrize(
    ("rrule", "start", "reason"),
    [
        (
            "DTSTART:20230908T150000\nRRULE:FREQ=HOURLY;COUNT=3",
            "2024-01-01T00:00:00Z",
            "the 3 runs its COUNT allows are used up",
        ),
        (
            "DTSTART:20230908T150000\nRRULE:FREQ=HOURLY;UNTIL=20231001T000000",
            "2024-01-01T00:00:00Z",
            "its UNTIL, 2023-10-01T00:00:00+00:00, is before then",
        ),
        (
            "DTSTART:20230908T150000\nRRULE:FREQ=YEARLY;BYMONTH=1;UNTIL=20241201T000000",
            "2024-02-01T00:00:00Z",
            "the rule gives no date between then and its UNTIL, "
            "2024-12-01T00:00:00+00:00",
        ),
        (
            "DTSTART:20230908T150000\nRDATE:20230909T150000,20230910T150000",
            "2024-01-01T00:00:00Z",
            "every RDATE is before then",
        ),
        (
            "DTSTART:29991201T000000\nRRULE:FREQ=YEARLY",
            "2999-12-02T00:00:00Z",
            "the rule gives no date from then up to 2999-12-31 (UTC), the end of "
            "the range of times previews cover",
        ),
    ],
)
# RFC 5545 forbids COUNT with UNTIL; such rules stored on a server still need
# an answer, and dateutil warns about them.
@pytest.mark.filterwarnings("ignore:Using both 'count' and 'until':DeprecationWarning")
def test_rrule_without_runs_says_why(rrule: str, start: str, reason: str) -> None:
    spec = normalize_rrule(rrule)
    runs, warnings = preview(spec, start, 5)
    assert runs == []
    [warning] = warnings
    assert warning.startswith("This schedule has no runs at or after")
    assert warning.endswith(f": {reason}.")


@pytest.mark.parametrize(
    ("spec", "start", "count", "shown", "needle"),
    [
        (
            normalize_interval("P36525D", "1970-01-01T00:00:00Z"),
            "1970-01-01T00:00:00Z",
            1000,
            11,
            "Only 11 of the 1000 runs asked for are shown",
        ),
        (
            normalize_cron("* * * * *"),
            "2999-12-31T23:59:30Z",
            10,
            0,
            "its next run would be after 2999-12-31 (UTC)",
        ),
        (
            normalize_rrule("DTSTART:29991229T000000\nRRULE:FREQ=DAILY"),
            "2999-12-29T00:00:00Z",
            10,
            3,
            "later runs would fall after 2999-12-31 (UTC)",
        ),
        (
            normalize_rrule("DTSTART:29991229T000000\nRRULE:FREQ=DAILY;COUNT=3"),
            "2999-12-29T00:00:00Z",
            10,
            3,
            "the schedule ends after 2999-12-31T00:00:00+00:00",
        ),
    ],
)
def test_previews_stop_at_the_end_of_the_range(
    spec: ScheduleSpec, start: str, count: int, shown: int, needle: str
) -> None:
    runs, warnings = preview(spec, start, count)
    assert len(runs) == shown
    assert all(r < "3000" for r in runs)
    assert any(needle in w for w in warnings), warnings


@pytest.mark.parametrize(
    "start",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59),  # naive: wall time in the zone
        datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
        datetime(3000, 1, 1, tzinfo=UTC),
    ],
)
def test_next_runs_refuses_a_start_out_of_range(start: datetime) -> None:
    spec = normalize_cron("0 9 * * *", "Asia/Tokyo")
    with pytest.raises(InvalidInput) as caught:
        next_runs(spec, start, 3)
    assert "start_after" in str(caught.value)
    assert "1970-01-01 to 2999-12-31" in str(caught.value)
