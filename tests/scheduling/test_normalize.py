"""Normalizing crons, intervals and rrules; conversion to and from Prefect."""

from datetime import UTC, datetime

import pytest

from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.scheduling import (
    ScheduleSpec,
    next_runs,
    normalize_cron,
    normalize_interval,
    normalize_rrule,
    spec_from_prefect,
    to_prefect_schedule,
)

NOW = datetime(2024, 6, 15, 13, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("0 9 * * 1-5", "0 9 * * 1-5"),
        ("  0   9 * *   MON-FRI ", "0 9 * * MON-FRI"),
        ("@daily", "0 0 * * *"),
        ("@HOURLY", "0 * * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("0 9 * * 5#2", "0 9 * * 5#2"),
        ("0 9 L * *", "0 9 L * *"),
        ("*/15 * * * *", "*/15 * * * *"),
    ],
)
def test_normalize_cron_accepts(cron: str, expected: str) -> None:
    spec = normalize_cron(cron, "Europe/London")
    assert spec.definition == {
        "cron": expected,
        "timezone": "Europe/London",
        "day_or": True,
    }


@pytest.mark.parametrize(
    ("cron", "needle"),
    [
        ("0 0 9 * * *", "6 fields"),
        ("0 0 9 * * * 2024", "7 fields"),
        ("0 9 * *", "4 fields"),
        ("H 9 * * *", "hashed"),
        ("R 9 * * *", "random"),
        ("61 9 * * *", "not a valid cron"),
        ("0 9 * * FOO", "not a valid cron"),
        ("0 0 31 2 *", "never matches"),
        ("@reboot", "alias"),
        ("", "empty"),
    ],
)
def test_normalize_cron_refuses(cron: str, needle: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_cron(cron)
    assert needle in str(caught.value)
    assert "minute" in str(caught.value) or needle == "empty"


@pytest.mark.parametrize(
    ("interval", "anchor", "zone", "expected_anchor"),
    [
        ("1h", None, "America/New_York", "2024-06-15T00:00:00-04:00"),
        ("1h", None, None, "2024-06-15T00:00:00Z"),
        ("1h", None, "Asia/Kolkata", "2024-06-15T00:00:00+05:30"),
        ("1d", "2024-01-01T09:00:00", "Europe/London", "2024-01-01T09:00:00Z"),
        ("1d", "2024-01-01T14:00:00Z", "America/New_York", "2024-01-01T09:00:00-05:00"),
        ("30m", "2024-03-10T02:30:00", "America/New_York", "2024-03-10T03:30:00-04:00"),
        (90, "2024-01-01T00:00:00.250000", None, "2024-01-01T00:00:00.250000Z"),
    ],
)
def test_normalize_interval_anchor(
    interval: str | int, anchor: str | None, zone: str | None, expected_anchor: str
) -> None:
    spec = normalize_interval(interval, anchor, zone, now=NOW)
    assert spec.definition["anchor_date"] == expected_anchor
    assert spec.timezone == (zone or "UTC")


def test_normalize_interval_refuses_short_and_zero() -> None:
    for value in (0, "0s", 0.5):
        with pytest.raises(InvalidInput, match="1 second"):
            normalize_interval(value)


def test_normalize_interval_warns_offset_without_zone() -> None:
    spec = normalize_interval("1d", "2024-01-01T09:00:00-05:00", now=NOW)
    assert spec.definition["anchor_date"] == "2024-01-01T14:00:00Z"
    assert any("no timezone was given" in w for w in spec.warnings)


def test_normalize_interval_warns_day_interval_in_gap() -> None:
    spec = normalize_interval("1d", "2024-03-01T02:30:00", "America/New_York", now=NOW)
    [warning] = spec.warnings
    assert "2025-03-09T02:30:00 does not exist" in warning


@pytest.mark.parametrize(
    ("rrule", "zone", "expected_text", "expected_zone"),
    [
        (
            "FREQ=WEEKLY;BYDAY=mo,we",
            None,
            "DTSTART:20200101T000000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE",
            "UTC",
        ),
        (
            "DTSTART:20240101T140000Z\nRRULE:FREQ=DAILY",
            "America/New_York",
            "DTSTART:20240101T090000\nRRULE:FREQ=DAILY",
            "America/New_York",
        ),
        (
            "DTSTART;TZID=Europe/London:20240101T090000\n"
            "RRULE:FREQ=DAILY;UNTIL=20240110T090000Z",
            None,
            "DTSTART:20240101T090000\nRRULE:FREQ=DAILY;UNTIL=20240110T090000",
            "Europe/London",
        ),
        (
            "DTSTART:20240601T090000\nRRULE:FREQ=DAILY;UNTIL=20240605T130000Z\n"
            "RDATE:20240610T130000Z\nEXDATE;TZID=Europe/London:20240602T140000",
            "America/New_York",
            "DTSTART:20240601T090000\nRRULE:FREQ=DAILY;UNTIL=20240605T090000\n"
            "RDATE:20240610T090000\nEXDATE:20240602T090000",
            "America/New_York",
        ),
    ],
)
def test_normalize_rrule_rewrites(
    rrule: str, zone: str | None, expected_text: str, expected_zone: str
) -> None:
    spec = normalize_rrule(rrule, zone, now=NOW)
    assert spec.definition == {"rrule": expected_text, "timezone": expected_zone}


def test_normalize_rrule_minutely_gets_recent_anchor() -> None:
    spec = normalize_rrule("RRULE:FREQ=MINUTELY;INTERVAL=15", "UTC", now=NOW)
    assert spec.definition["rrule"].startswith("DTSTART:20240615T1345")
    assert any("no DTSTART" in w for w in spec.warnings)


@pytest.mark.parametrize(
    ("rrule", "needle"),
    [
        ("RRULE:FREQ=SOMETIMES", "not a valid rrule"),
        ("hello", "no ':'"),
        ("DTSTART:20240101T000000", "no RRULE"),
        ("DTSTART:2024XX01\nRRULE:FREQ=DAILY", "not a date-time"),
        ("VEVENT:x\nRRULE:FREQ=DAILY", "is not one of"),
        ("DTSTART;TZID=Mars/Base:20240101T000000\nRRULE:FREQ=DAILY", "TZID"),
        ("", "empty"),
    ],
)
def test_normalize_rrule_refuses(rrule: str, needle: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_rrule(rrule)
    assert needle in str(caught.value)


def test_date_only_exdate_warns() -> None:
    spec = normalize_rrule(
        "DTSTART:20240101T090000\nRRULE:FREQ=DAILY\nEXDATE;VALUE=DATE:20240103"
    )
    assert any("no time of day" in w for w in spec.warnings)


SPECS = [
    normalize_cron("0 9 * * 1-5", "America/New_York"),
    normalize_cron("0 15 1 * 1", day_or=False),
    normalize_interval("90m", "2024-01-01T09:00:00", "America/New_York"),
    normalize_interval("1d", "2024-01-01T00:00:00.5", "Asia/Kolkata"),
    normalize_rrule("DTSTART;TZID=America/Chicago:20221027T124000\nRRULE:FREQ=DAILY"),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind)
def test_prefect_round_trip(spec: ScheduleSpec) -> None:
    client = to_prefect_schedule(spec)
    assert client.model_dump(mode="json") == spec.definition
    again = spec_from_prefect(client)
    assert again.definition == spec.definition
    assert (
        spec_from_prefect(client.model_dump(mode="json")).definition == spec.definition
    )
    start = datetime(2024, 6, 1, tzinfo=UTC)
    assert next_runs(again, start, 5) == next_runs(spec, start, 5)


def test_spec_from_prefect_reads_server_forms() -> None:
    spec = spec_from_prefect(
        {
            "interval": "PT1H",
            "anchor_date": "2024-01-01T05:00:00Z",
            "timezone": "America/New_York",
        }
    )
    assert spec.definition["anchor_date"] == "2024-01-01T00:00:00-05:00"
    assert spec.definition["interval"] == 3600.0
    cron = spec_from_prefect({"cron": "0 9 * * *", "timezone": None})
    assert cron.definition == {"cron": "0 9 * * *", "timezone": "UTC", "day_or": True}
    legacy = spec_from_prefect(
        {"rrule": "DTSTART;TZID=America/Chicago:20221027T124000\nRRULE:FREQ=DAILY"}
    )
    assert legacy.timezone == "UTC"
    assert any("TZID" in w for w in legacy.warnings)
