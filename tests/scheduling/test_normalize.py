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


@pytest.mark.parametrize(
    ("interval", "anchor", "zone", "first_gap"),
    [
        # the first run day after the anchor whose clock time is skipped
        ("1d", "2024-03-01T02:30:00", "America/New_York", "2024-03-10T02:30:00"),
        ("1d", "2025-03-01T02:30", "America/New_York", "2025-03-09T02:30:00"),
        ("P7D", "2024-03-03T02:15:00", "America/New_York", "2024-03-10T02:15:00"),
        ("2d", "2024-03-03T02:30:00", "America/New_York", "2027-03-14T02:30:00"),
        ("1d", "2024-09-01T02:10:00", "Australia/Lord_Howe", "2024-10-06T02:10:00"),
    ],
)
def test_day_interval_gap_warning_follows_the_anchor(
    interval: str, anchor: str, zone: str, first_gap: str
) -> None:
    # Prefect counts days from the anchor and keeps the moved clock time, so
    # the day named must not depend on when the schedule is normalized.
    later = datetime(2031, 7, 1, tzinfo=UTC)
    for now in (NOW, later, None):
        spec = normalize_interval(interval, anchor, zone, now=now)
        [warning] = spec.warnings
        assert warning.startswith(f"{first_gap} does not exist in {zone}"), warning


@pytest.mark.parametrize(
    ("interval", "anchor", "zone"),
    [
        ("1d", "2024-03-01T09:00:00", "America/New_York"),  # 09:00 is never skipped
        ("P7D", "2024-03-02T02:30:00", "America/New_York"),  # Saturdays only
        ("1h", "2024-03-01T02:30:00", "America/New_York"),  # elapsed time
        ("1d", "2024-03-01T02:30:00", "Asia/Kolkata"),  # no DST
    ],
)
def test_day_interval_without_gap_has_no_warning(
    interval: str, anchor: str, zone: str
) -> None:
    assert normalize_interval(interval, anchor, zone, now=NOW).warnings == ()


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
    ("cron", "day_or", "combined", "mondays_only"),
    [
        # '?' leaves a day field open, as '*' does: Prefect runs on Mondays
        ("0 9 ? * 1", None, False, True),
        ("0 9 * * 1", None, False, True),
        ("0 9 ? * MON", None, False, True),
        ("0 9 1 * ?", None, False, False),
        # both fields set: day_or decides
        ("0 9 1 * 1", None, True, False),
        ("0 9 1-31 * 1", None, True, False),
    ],
)
def test_cron_day_or_warning_only_when_both_days_are_set(
    cron: str, day_or: bool | None, combined: bool, mondays_only: bool
) -> None:
    spec = normalize_cron(cron, day_or=day_or)
    assert spec.definition["cron"] == cron
    assert any("EITHER" in w for w in spec.warnings) is combined
    runs = next_runs(spec, datetime(2025, 3, 1, tzinfo=UTC), 8)
    assert all(r.weekday() == 0 for r in runs) is mondays_only


@pytest.mark.parametrize(
    ("rrule", "needles"),
    [
        (
            "DTSTART:20250101T000000\nRRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30",
            ["BYMONTHDAY=30", "February", "at most 29 days"],
        ),
        (
            "DTSTART:20250101T000000\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30,31",
            ["BYMONTHDAY=30,31", "February"],
        ),
        (
            "DTSTART:20250101T000000\nRRULE:FREQ=MONTHLY;BYMONTH=4,6,9,11;BYMONTHDAY=31",
            ["April, June, September, November", "at most 30 days"],
        ),
        (
            "DTSTART:20250101T000000\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=-30",
            ["BYMONTHDAY=-30", "February"],
        ),
        ("FREQ=DAILY;BYMONTHDAY=32", ["BYMONTHDAY 32", "at most 31 days"]),
        ("FREQ=DAILY;BYMONTHDAY=0,15", ["BYMONTHDAY 0"]),
        ("FREQ=DAILY;BYMONTH=13", ["BYMONTH 13", "12 months"]),
        ("FREQ=YEARLY;BYYEARDAY=400", ["BYYEARDAY 400", "366 days"]),
        ("FREQ=YEARLY;BYYEARDAY=0", ["BYYEARDAY 0"]),
        ("FREQ=YEARLY;BYWEEKNO=60", ["BYWEEKNO 60", "53 weeks"]),
        ("FREQ=DAILY;INTERVAL=0", ["INTERVAL=0", "1 or more"]),
        ("DTSTART:20250101T000000\nRRULE:FREQ=DAILY;COUNT=0", ["COUNT=0"]),
        (
            "DTSTART:20250101T000000\nRRULE:FREQ=DAILY\nEXRULE:FREQ=DAILY;INTERVAL=0",
            ["EXRULE", "INTERVAL=0"],
        ),
    ],
)
def test_normalize_rrule_refuses_impossible_rules(
    rrule: str, needles: list[str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_rrule(rrule, now=NOW)
    message = str(caught.value)
    assert "can never run" in message
    assert "DTSTART:20240101T090000" in message  # an example of a valid rule
    for needle in needles:
        assert needle in message


@pytest.mark.parametrize(
    "rrule",
    [
        "DTSTART:20240101T000000\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "DTSTART:20240101T000000\nRRULE:FREQ=MONTHLY;BYMONTH=2,3;BYMONTHDAY=31",
        "DTSTART:20240101T000000\nRRULE:FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=15,30",
        "DTSTART:20240101T000000\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1",
        "DTSTART:20240101T000000\nRRULE:FREQ=YEARLY;BYYEARDAY=366",
        "DTSTART:20240101T000000\nRRULE:FREQ=YEARLY;BYWEEKNO=53",
    ],
)
def test_normalize_rrule_keeps_rare_but_real_dates(rrule: str) -> None:
    spec = normalize_rrule(rrule, now=NOW)
    assert next_runs(spec, datetime(2024, 1, 1, tzinfo=UTC), 1)


@pytest.mark.parametrize(
    ("rrule", "reason"),
    [
        ("DTSTART:20250101T000000\nRRULE:FREQ=BOGUS", "invalid 'FREQ': BOGUS"),
        ("RRULE:FREQ=SOMETIMES", "invalid 'FREQ': SOMETIMES"),
        ("DTSTART:20250101T000000\nRRULE:FREQ=DAILY;FOO=1", "unknown parameter 'FOO'"),
        ("DTSTART:20250101T000000\nRRULE:FREQ=DAILY;BYHOUR=25", "hour must be in"),
        ("DTSTART:20250101T000000\nRRULE:FREQ=DAILY;BYDAY=XX", "invalid 'BYDAY'"),
        ("DTSTART:20250101T000000\nRRULE:FREQ=DAILY;COUNT=x", "invalid 'COUNT'"),
        (
            "DTSTART:20250101T000000\nRRULE:FREQ=DAILY;BYMINUTE=0" + ",0" * 3500,
            "Max length is",
        ),
    ],
)
def test_normalize_rrule_says_why_it_is_invalid(rrule: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_rrule(rrule, now=NOW)
    message = str(caught.value)
    assert f"is not a valid rrule: {reason}" in message
    assert "DTSTART:20240101T090000" in message  # an example of a valid rule
    assert "pydantic" not in message
    assert "For further information" not in message
    assert "Invalid RRule string" not in message


@pytest.mark.parametrize(
    ("rrule", "zone", "needle"),
    [
        ("DTSTART:00010101T000000\nRRULE:FREQ=DAILY", "UTC", "DTSTART value"),
        ("DTSTART:19691231T230000\nRRULE:FREQ=DAILY", "UTC", "DTSTART value"),
        ("DTSTART:19700101T080000\nRRULE:FREQ=DAILY", "Asia/Tokyo", "DTSTART value"),
        (
            "DTSTART:20250101T000000\nRRULE:FREQ=DAILY;UNTIL=99991231T235959Z",
            "Asia/Tokyo",
            "Leave UNTIL out",
        ),
        (
            "DTSTART:20250101T000000\nRRULE:FREQ=DAILY\nRDATE:30000101T000000",
            "UTC",
            "RDATE value",
        ),
    ],
)
def test_normalize_rrule_refuses_dates_out_of_range(
    rrule: str, zone: str, needle: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_rrule(rrule, zone, now=NOW)
    message = str(caught.value)
    assert needle in message
    assert "1970-01-01 to 2999-12-31" in message


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


def test_spec_from_prefect_keeps_a_stored_anchor_out_of_range() -> None:
    # A caller's anchor before 1970 is refused; one a server holds is shown.
    stored = {
        "interval": 3600,
        "anchor_date": "1960-01-01T00:00:00Z",
        "timezone": "UTC",
    }
    with pytest.raises(InvalidInput, match="1970-01-01 to 2999-12-31"):
        normalize_interval("1h", stored["anchor_date"])
    spec = spec_from_prefect(stored)
    assert spec.definition["anchor_date"] == "1960-01-01T00:00:00Z"
    start = datetime(2024, 6, 1, 0, 30, tzinfo=UTC)
    assert next_runs(spec, start, 2) == [
        datetime(2024, 6, 1, 1, tzinfo=UTC),
        datetime(2024, 6, 1, 2, tzinfo=UTC),
    ]


def test_normalize_rrule_refuses_count_with_until() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_rrule(
            "DTSTART:20240101T090000\nRRULE:FREQ=DAILY;COUNT=5;UNTIL=20240301T000000",
            now=NOW,
        )
    message = str(caught.value)
    assert "both COUNT and UNTIL" in message
    assert "Keep one" in message
