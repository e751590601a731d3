"""The real-world cases C01-C08 of /work/shared/cases/scheduling.md."""

from datetime import datetime

import pytest

from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.scheduling import (
    format_time,
    next_runs,
    normalize_cron,
    normalize_interval,
    normalize_rrule,
    schedule_warnings,
)


def shown(spec, start: str, count: int) -> list[str]:
    runs = next_runs(spec, datetime.fromisoformat(start), count)
    return [format_time(r, spec.timezone) for r in runs]


def utc_days(days: list[str], clock: str = "15:00:00") -> list[str]:
    return [f"{day}T{clock}+00:00" for day in days]


@pytest.mark.parametrize(
    ("day_or", "expected"),
    [
        (
            None,
            utc_days(
                [
                    "2025-04-01",
                    "2025-04-07",
                    "2025-04-14",
                    "2025-04-21",
                    "2025-04-28",
                    "2025-05-01",
                ]
            ),
        ),
        (
            False,
            utc_days(
                [
                    "2025-09-01",
                    "2025-12-01",
                    "2026-06-01",
                    "2027-02-01",
                    "2027-03-01",
                    "2027-11-01",
                ]
            ),
        ),
    ],
)
def test_c01_day_or(day_or: bool | None, expected: list[str]) -> None:
    spec = normalize_cron("0 15 1 * 1", "UTC", day_or)
    assert spec.definition["day_or"] is (day_or is not False)
    assert "day_or" in spec.definition
    assert shown(spec, "2025-03-31T16:00:00Z", 6) == expected


def test_c01_default_day_or_is_explicit_true_and_warned() -> None:
    spec = normalize_cron("0 15 1 * 1")
    assert spec.definition == {"cron": "0 15 1 * 1", "timezone": "UTC", "day_or": True}
    assert any("EITHER" in w for w in spec.warnings)


def test_c02_spring_forward_day_start() -> None:
    spec = normalize_cron("10 0 * * *", "America/Montreal")
    assert shown(spec, "2023-03-12T05:10:02Z", 5) == [
        f"2023-03-{d}T00:10:00-04:00" for d in (13, 14, 15, 16, 17)
    ]


@pytest.mark.parametrize(
    ("cron", "start", "expected", "needles"),
    [
        (
            "30 1 * * *",
            "2024-11-02T00:00:00-04:00",
            [
                "2024-11-02T01:30:00-04:00",
                "2024-11-03T01:30:00-04:00",
                "2024-11-04T01:30:00-05:00",
                "2024-11-05T01:30:00-05:00",
            ],
            ["2024-11-03", "01:30", "only once", "UTC-04:00", "UTC-05:00"],
        ),
        (
            "0 * * * *",
            "2024-11-03T00:00:00-04:00",
            [
                "2024-11-03T00:00:00-04:00",
                "2024-11-03T01:00:00-04:00",
                "2024-11-03T02:00:00-05:00",
                "2024-11-03T03:00:00-05:00",
                "2024-11-03T04:00:00-05:00",
            ],
            ["2024-11-03", "01:00", "repeated period gets no runs"],
        ),
        (
            "30 2 * * *",
            "2024-03-09T00:00:00-05:00",
            [
                "2024-03-09T02:30:00-05:00",
                "2024-03-10T03:30:00-04:00",
                "2024-03-11T02:30:00-04:00",
            ],
            ["2024-03-10", "02:30", "does not exist", "03:30", "1 hour later"],
        ),
    ],
)
def test_c03_fold_and_gap(
    cron: str, start: str, expected: list[str], needles: list[str]
) -> None:
    spec = normalize_cron(cron, "America/New_York")
    runs = next_runs(spec, datetime.fromisoformat(start), len(expected))
    assert [format_time(r, spec.timezone) for r in runs] == expected
    warnings = schedule_warnings(spec, runs, datetime.fromisoformat(start))
    dst = [w for w in warnings if "clocks" in w]
    assert len(dst) == 1, warnings
    for needle in needles:
        assert needle in dst[0]


def test_c04_naive_anchor_gets_offset() -> None:
    spec = normalize_interval("1d", "2023-07-11T09:00:00", "America/New_York")
    assert spec.definition == {
        "interval": 86400.0,
        "anchor_date": "2023-07-11T09:00:00-04:00",
        "timezone": "America/New_York",
    }
    assert shown(spec, "2023-07-12T00:00:00Z", 3) == [
        f"2023-07-{d}T09:00:00-04:00" for d in (12, 13, 14)
    ]


@pytest.mark.parametrize("interval", ["P1M", "P1Y", "1mo", "1y", "2 months", "P1Y2D"])
def test_c05_month_intervals_refused(interval: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_interval(interval)
    message = str(caught.value)
    assert "months or years" in message
    assert "'0 10 1 * *'" in message
    assert "FREQ=MONTHLY" in message


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (
            "2023-09-08T00:00:00Z",
            [
                "2023-09-08T15:00:00+00:00",
                "2023-09-08T16:00:00+00:00",
                "2023-09-08T17:00:00+00:00",
            ],
        ),
        ("2023-09-08T16:30:00Z", ["2023-09-08T17:00:00+00:00"]),
    ],
)
def test_c06_count_with_dtstart(start: str, expected: list[str]) -> None:
    spec = normalize_rrule(
        "DTSTART:20230908T150000\nRRULE:FREQ=HOURLY;INTERVAL=1;COUNT=3"
    )
    runs = next_runs(spec, datetime.fromisoformat(start), 10)
    assert [format_time(r, "UTC") for r in runs] == expected
    warnings = schedule_warnings(spec, runs, datetime.fromisoformat(start), 10)
    assert any("ends after 2023-09-08T17:00:00+00:00" in w for w in warnings)


def test_c06_count_without_dtstart_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_rrule("RRULE:FREQ=DAILY;COUNT=5")
    assert "DTSTART" in str(caught.value)
    assert "2020" in str(caught.value)


def test_c06_ended_rule_warns_no_future_runs() -> None:
    spec = normalize_rrule("DTSTART:20230908T150000\nRRULE:FREQ=HOURLY;COUNT=3")
    start = datetime.fromisoformat("2024-01-01T00:00:00Z")
    runs = next_runs(spec, start, 5)
    assert runs == []
    assert any("no runs at or after" in w for w in schedule_warnings(spec, runs, start))


def test_c07_tzid_becomes_the_zone() -> None:
    spec = normalize_rrule(
        "DTSTART;TZID=America/Chicago:20221027T124000\nRRULE:FREQ=DAILY"
    )
    assert spec.timezone == "America/Chicago"
    assert spec.definition == {
        "rrule": "DTSTART:20221027T124000\nRRULE:FREQ=DAILY",
        "timezone": "America/Chicago",
    }
    assert shown(spec, "2022-11-01T00:00:00Z", 7) == [
        *(f"2022-11-0{d}T12:40:00-05:00" for d in range(1, 6)),
        "2022-11-06T12:40:00-06:00",
        "2022-11-07T12:40:00-06:00",
    ]


def test_c07_conflicting_timezone_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_rrule(
            "DTSTART;TZID=America/Chicago:20221027T124000\nRRULE:FREQ=DAILY",
            "Europe/London",
        )
    assert "America/Chicago" in str(caught.value)


def test_c08_utc_exdate_converted() -> None:
    spec = normalize_rrule(
        "DTSTART:20240101T090000\nRRULE:FREQ=DAILY\nEXDATE:20240103T140000Z",
        "America/New_York",
    )
    assert "EXDATE:20240103T090000" in spec.definition["rrule"]
    assert shown(spec, "2024-01-01T00:00:00Z", 5) == [
        f"2024-01-0{d}T09:00:00-05:00" for d in (1, 2, 4, 5, 6)
    ]
