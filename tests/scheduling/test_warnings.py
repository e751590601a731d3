"""schedule_warnings: DST sentences derived from the runs Prefect produces."""

from datetime import datetime

import pytest

from prefect_schedule_mcp.scheduling import (
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
    assert any("Runs not at 02:30" in w for w in warnings)


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
