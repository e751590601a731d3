"""describe(): one sentence per schedule, naming its zone."""

from datetime import UTC, datetime

import pytest

from prefect_schedule_mcp.scheduling import (
    describe,
    next_runs,
    normalize_cron,
    normalize_interval,
    normalize_rrule,
    spec_from_prefect,
)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            normalize_cron("0 9 * * 1-5", "America/New_York"),
            "At 09:00, Monday through Friday (America/New_York)",
        ),
        (normalize_cron("30 14 * * *"), "At 14:30 (UTC)"),
        (normalize_cron("@hourly", "Europe/London"), "Every hour (Europe/London)"),
        (
            normalize_cron("0 15 1 * 1", day_or=False),
            "At 15:00, on day 1 of the month, but only if it is Monday (UTC)",
        ),
        (
            normalize_interval("1h", "2024-01-01T00:00:00", "America/New_York"),
            "Every 1 hour from 2024-01-01T00:00:00-05:00 (America/New_York)",
        ),
        (
            normalize_interval("PT90M", "2024-01-01T00:00:00Z"),
            "Every 1 hour 30 minutes from 2024-01-01T00:00:00Z (UTC)",
        ),
        (
            normalize_rrule(
                "DTSTART:20240101T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR",
                "Europe/London",
            ),
            "Every week, on Monday, Wednesday and Friday, at 09:00, "
            "starting 2024-01-01T09:00:00 (Europe/London)",
        ),
        (
            normalize_rrule(
                "DTSTART:20240101T000000\n"
                "RRULE:FREQ=MONTHLY;BYDAY=2TU;BYHOUR=18;BYMINUTE=30;COUNT=6"
            ),
            "Every month, on the second Tuesday, at 18:30, "
            "starting 2024-01-01T00:00:00, 6 times (UTC)",
        ),
        (
            normalize_rrule(
                "DTSTART:20240101T080000\nRRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20240201T080000"
            ),
            "Every 2 days, at 08:00, starting 2024-01-01T08:00:00, "
            "until 2024-02-01T08:00:00 (UTC)",
        ),
        (
            normalize_rrule(
                "DTSTART:20240101T090000\nRRULE:FREQ=DAILY\nEXDATE:20240103T090000"
            ),
            "Every day, at 09:00, starting 2024-01-01T09:00:00, except 1 date (UTC)",
        ),
        (
            normalize_rrule("DTSTART:20240101T090000\nRRULE:FREQ=YEARLY;BYWEEKNO=20"),
            "Rule 'DTSTART:20240101T090000 | RRULE:FREQ=YEARLY;BYWEEKNO=20' (UTC)",
        ),
    ],
)
def test_describe(spec, expected: str) -> None:
    assert describe(spec) == expected


@pytest.mark.parametrize(
    ("cron", "day_or", "expected"),
    [
        # a day of week naming all seven days is every day
        ("0 9 * * 0-7", None, "At 09:00 (UTC)"),
        ("0 9 * * 0-6", None, "At 09:00 (UTC)"),
        ("0 9 * * 1-7", None, "At 09:00 (UTC)"),
        ("0 9 * * SUN-SAT", None, "At 09:00 (UTC)"),
        ("0 9 * * 0,1,2,3,4,5,6", None, "At 09:00 (UTC)"),
        ("0 9 ? * 0-7", None, "At 09:00 (UTC)"),
        # joined to a day of month by day_or, every day runs
        ("0 9 1 * 0-6", None, "At 09:00 (UTC)"),
        ("0 9 1-31 * 1", None, "At 09:00 (UTC)"),
        # required together with one (day_or=false), only the other counts
        ("0 9 1 * 0-7", False, "At 09:00, on day 1 of the month (UTC)"),
        ("0 9 1-31 * 1", False, "At 09:00, only on Monday (UTC)"),
        # '?' leaves the field open
        ("0 9 ? * 1", None, "At 09:00, only on Monday (UTC)"),
        ("0 9 1 * ?", None, "At 09:00, on day 1 of the month (UTC)"),
        # not every day: unchanged
        ("0 9 * * 1-5", None, "At 09:00, Monday through Friday (UTC)"),
        ("0 9 * * 6-7", None, "At 09:00, Saturday through Sunday (UTC)"),
        # 7 is Sunday as 0 is: a list naming both is one day
        ("0 9 * * 0,7", None, "At 09:00, only on Sunday (UTC)"),
        ("0 9 * * 1,7,0", None, "At 09:00, only on Monday and Sunday (UTC)"),
    ],
)
def test_describe_cron_days(cron: str, day_or: bool | None, expected: str) -> None:
    spec = normalize_cron(cron, day_or=day_or)
    assert describe(spec) == expected
    # the sentence matches the days Prefect runs on
    runs = next_runs(spec, datetime(2025, 3, 1, tzinfo=UTC), 7)
    every_day = len({r.date() for r in runs}) == 7 and runs[-1].day == 7
    assert every_day is (expected == "At 09:00 (UTC)")


def test_a_stored_six_field_cron_reads_its_last_field_as_seconds() -> None:
    # Prefect's cron library reads "0 9 * * * 5" as 09:00:05 every day.
    spec = spec_from_prefect({"cron": "0 9 * * * 5", "timezone": "UTC", "day_or": True})
    assert describe(spec) == "At 09:00:05 (UTC)"
