"""resolve_timezone, parse_time and format_time tables."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.scheduling import (
    format_time,
    parse_time,
    resolve_timezone,
    utc_now,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, "UTC"),
        ("", "UTC"),
        ("utc", "UTC"),
        ("Z", "UTC"),
        ("Etc/UTC", "UTC"),
        ("America/New_York", "America/New_York"),
        ("america/new_york", "America/New_York"),
        ("EST5EDT", "EST5EDT"),
        ("Europe/London", "Europe/London"),
        ("Australia/Lord_Howe", "Australia/Lord_Howe"),
        ("GMT", "GMT"),
    ],
)
def test_resolve_timezone_accepts(name: str | None, expected: str) -> None:
    assert resolve_timezone(name) == expected


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("America/New_Yrok", ["'America/New_York'", "Did you mean"]),
        ("Europe/Londn", ["'Europe/London'"]),
        ("Asia/Calcutt", ["'Asia/Calcutta'"]),
        ("EST", ["abbreviation", "'America/New_York'"]),
        ("PST", ["abbreviation", "'America/Los_Angeles'"]),
        ("Mars/Olympus", ["not a known IANA time zone", "America/New_York"]),
        ("localtime", ["not a known IANA time zone"]),
    ],
)
def test_resolve_timezone_refuses(name: str, needles: list[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_timezone(name, "timezone")
    for needle in needles:
        assert needle in str(caught.value)


@pytest.mark.parametrize(
    ("value", "zone", "expected", "warning"),
    [
        # an offset or Z is that instant, whatever the zone
        ("2024-06-01T12:00:00Z", "America/New_York", "2024-06-01T08:00:00-04:00", ""),
        ("2024-06-01T12:00:00+02:00", "UTC", "2024-06-01T10:00:00+00:00", ""),
        ("2024-06-01T12:00:00z", "UTC", "2024-06-01T12:00:00+00:00", ""),
        # naive: wall time in the zone
        ("2024-06-01T12:00:00", "Europe/London", "2024-06-01T12:00:00+01:00", ""),
        ("2024-06-01 12:00", "Asia/Kolkata", "2024-06-01T12:00:00+05:30", ""),
        # gap: forward by the gap's length
        (
            "2024-03-10T02:30:00",
            "America/New_York",
            "2024-03-10T03:30:00-04:00",
            "does not exist",
        ),
        (
            "2024-10-06T02:15:00",
            "Australia/Lord_Howe",
            "2024-10-06T02:45:00+11:00",
            "30 minutes",
        ),
        # fold: the first occurrence
        (
            "2024-11-03T01:30:00",
            "America/New_York",
            "2024-11-03T01:30:00-04:00",
            "happens twice",
        ),
        (
            "2024-10-27T01:30:00",
            "Europe/London",
            "2024-10-27T01:30:00+01:00",
            "happens twice",
        ),
        # an explicit offset picks the second occurrence, without a warning
        (
            "2024-11-03T01:30:00-05:00",
            "America/New_York",
            "2024-11-03T01:30:00-05:00",
            "",
        ),
        # date only: midnight, said
        ("2024-06-01", "America/New_York", "2024-06-01T00:00:00-04:00", "midnight"),
    ],
)
def test_parse_time(value: str, zone: str, expected: str, warning: str) -> None:
    resolved = parse_time(value, zone, "scheduled_time")
    assert format_time(resolved.value, zone) == expected
    assert resolved.value.tzinfo is not None
    if warning:
        assert len(resolved.warnings) == 1
        assert warning in resolved.warnings[0]
        assert value[:10] in resolved.warnings[0]
    else:
        assert resolved.warnings == []


def test_parse_time_gap_warning_names_both_offsets() -> None:
    [warning] = parse_time("2024-03-10T02:30:00", "America/New_York", "t").warnings
    assert "UTC-05:00" in warning
    assert "UTC-04:00" in warning
    assert "2024-03-10T03:30:00-04:00" in warning


def test_parse_time_accepts_datetimes() -> None:
    naive = parse_time(datetime(2024, 11, 3, 1, 30), "America/New_York", "t")
    assert format_time(naive.value, "America/New_York") == "2024-11-03T01:30:00-04:00"
    aware = parse_time(datetime(2024, 1, 1, tzinfo=UTC), "Asia/Kolkata", "t")
    assert aware.value == datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "value", ["tomorrow", "2024-13-01T00:00:00", "12:00", "", "2024/01/01"]
)
def test_parse_time_refuses(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_time(value, "UTC", "scheduled_time")
    assert "scheduled_time" in str(caught.value)
    assert "2024-11-03T09:30:00" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "zone"),
    [
        ("9999-12-31T23:59Z", "UTC"),
        ("0001-01-01T00:00Z", "UTC"),
        ("0001-01-01T00:00", "Asia/Tokyo"),  # overflows when read as wall time
        ("9999-12-31T23:59", "America/New_York"),
        ("0001-01-01", "UTC"),
        ("1969-12-31T23:59:59Z", "UTC"),
        ("3000-01-01T00:00:00Z", "UTC"),
        ("1970-01-01T08:59", "Asia/Tokyo"),  # 1969 in UTC
        ("2999-12-31T19:00", "America/New_York"),  # 3000 in UTC
        (datetime(1, 1, 1, tzinfo=UTC), "America/New_York"),
        (datetime(9999, 12, 31, 23, 59), "Asia/Tokyo"),
    ],
)
def test_parse_time_refuses_out_of_range(value: str | datetime, zone: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_time(value, zone, "start_after")
    message = str(caught.value)
    assert message.startswith("Invalid start_after")
    assert "outside the range" in message
    assert "1970-01-01 to 2999-12-31 (UTC)" in message


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        ("1970-01-01T00:00:00Z", "UTC", "1970-01-01T00:00:00+00:00"),
        ("1970-01-01T09:00", "Asia/Tokyo", "1970-01-01T09:00:00+09:00"),
        ("2999-12-31T23:59:59Z", "UTC", "2999-12-31T23:59:59+00:00"),
        ("2999-12-31T18:59", "America/New_York", "2999-12-31T18:59:00-05:00"),
        ("2999-12-31", "UTC", "2999-12-31T00:00:00+00:00"),
    ],
)
def test_parse_time_accepts_the_ends_of_the_range(
    value: str, zone: str, expected: str
) -> None:
    assert format_time(parse_time(value, zone, "t").value, zone) == expected


@pytest.mark.parametrize(
    ("dt", "zone", "expected"),
    [
        (
            datetime(2024, 11, 3, 5, 30, tzinfo=UTC),
            "America/New_York",
            "2024-11-03T01:30:00-04:00",
        ),
        (
            datetime(2024, 11, 3, 6, 30, tzinfo=UTC),
            "America/New_York",
            "2024-11-03T01:30:00-05:00",
        ),
        (
            datetime(2024, 1, 1, 12, 0, 0, 999, tzinfo=UTC),
            "UTC",
            "2024-01-01T12:00:00+00:00",
        ),
        (
            datetime(2024, 1, 1, 12, tzinfo=ZoneInfo("Asia/Kolkata")),
            "UTC",
            "2024-01-01T06:30:00+00:00",
        ),
    ],
)
def test_format_time(dt: datetime, zone: str, expected: str) -> None:
    assert format_time(dt, zone) == expected


def test_utc_now_is_aware_utc() -> None:
    assert utc_now().utcoffset() is not None
    assert utc_now().utcoffset().total_seconds() == 0
