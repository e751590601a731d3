"""parse_duration and format_duration tables."""

from datetime import timedelta

import pytest

from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.scheduling import format_duration, parse_duration, utc_now


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PT5M", timedelta(minutes=5)),
        ("pt5m", timedelta(minutes=5)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("P2W", timedelta(weeks=2)),
        ("PT1.5H", timedelta(minutes=90)),
        ("PT0S", timedelta(0)),
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("1H30m", timedelta(hours=1, minutes=30)),
        ("1m", timedelta(minutes=1)),
        ("PT1M", timedelta(minutes=1)),
        ("pt2m", timedelta(minutes=2)),
        ("5 Min", timedelta(minutes=5)),
        ("10 MINUTES", timedelta(minutes=10)),
        ("P36525D", timedelta(days=36525)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        ("1.5h", timedelta(minutes=90)),
        ("10 minutes", timedelta(minutes=10)),
        ("2 hours, 5 min", timedelta(hours=2, minutes=5)),
        (3600, timedelta(hours=1)),
        (0.5, timedelta(milliseconds=500)),
        ("3600", timedelta(hours=1)),
        (" 42 ", timedelta(seconds=42)),
        (0, timedelta(0)),
    ],
)
def test_parse_duration_accepts(value: str | float, expected: timedelta) -> None:
    assert parse_duration(value, "delay") == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("-5m", "negative"),
        ("-PT5M", "negative"),
        (-1, "negative"),
        ("-3600", "negative"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        ("nan", "finite"),
        ("soon", "accepted form"),
        ("5 parsecs", "unknown unit"),
        ("PT5X", "ISO 8601"),
        ("", "empty"),
        ("5m garbage!", "accepted form"),
        (True, "boolean"),
        (False, "boolean"),
    ],
)
def test_parse_duration_refuses(value: object, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_duration(value, "delay")  # type: ignore[arg-type]
    message = str(caught.value)
    assert reason in message
    assert "delay" in message
    assert "PT5M" in message
    assert "2h30m" in message


INTERVAL_HINT = ["'0 10 1 * *'", "rrule", "FREQ=MONTHLY"]
LENGTH_HINT = ["in days", "P30D"]


@pytest.mark.parametrize(
    ("value", "field", "needles"),
    [
        # calendar units: the hint fits what the field is
        ("P1M", "interval", ["months or years", *INTERVAL_HINT]),
        ("P1Y2M", "interval", ["months or years", *INTERVAL_HINT]),
        ("1mo", "interval", ["months or years", *INTERVAL_HINT]),
        ("P1M", "delay", ["months or years", *LENGTH_HINT]),
        ("1y", "delay", ["months or years", *LENGTH_HINT]),
        ("3 months", "late_by_at_least", ["months or years", *LENGTH_HINT]),
        # a short form's upper-case M: minutes or months?
        ("1M", "interval", ["minutes or months", "'1m'", *INTERVAL_HINT]),
        ("2M", "interval", ["minutes or months", "'2m'", *INTERVAL_HINT]),
        ("1H30M", "delay", ["minutes or months", "'1h30m'", *LENGTH_HINT]),
        ("2 M", "late_by_at_least", ["minutes or months", *LENGTH_HINT]),
    ],
)
def test_parse_duration_refuses_calendar_units(
    value: str, field: str, needles: list[str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_duration(value, field)
    message = str(caught.value)
    assert message.startswith(f"Invalid {field} {value!r}:")
    for needle in needles:
        assert needle in message
    if field != "interval":
        assert "cron" not in message  # a delay is no schedule: no cron advice


@pytest.mark.parametrize(
    "value",
    [
        1e12,
        10**400,  # beyond any float
        "1e12",
        "1000000000000s",
        "P36526D",
        "P36525DT1S",
        "5300000w",
        "P99999999999D",  # too large for pydantic itself
    ],
)
def test_parse_duration_refuses_beyond_a_century(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_duration(value, "delay")  # type: ignore[arg-type]
    assert "longer than the 100 years supported" in str(caught.value)
    assert "P36525D" in str(caught.value)


def test_longest_duration_can_be_added_to_now() -> None:
    longest = parse_duration("P36525D", "delay")
    assert (utc_now() + longest).year >= 2070


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(hours=1, minutes=30), "1 hour 30 minutes"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=14), "14 days"),
        (timedelta(seconds=90), "90 seconds"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(minutes=5), "5 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(days=1, hours=2, seconds=5), "1 day 2 hours 5 seconds"),
        (timedelta(milliseconds=500), "0.5 seconds"),
        (timedelta(0), "0 seconds"),
    ],
)
def test_format_duration(td: timedelta, text: str) -> None:
    assert format_duration(td) == text
