"""parse_duration and format_duration tables."""

from datetime import timedelta

import pytest

from prefect_schedule_mcp.errors import InvalidInput
from prefect_schedule_mcp.scheduling import format_duration, parse_duration


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
        ("1H30M", timedelta(hours=1, minutes=30)),
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
        ("P1M", "months or years"),
        ("P1Y", "months or years"),
        ("P1Y2M", "months or years"),
        ("1mo", "months or years"),
        ("1y", "months or years"),
        ("3 months", "months or years"),
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
        (True, "not a duration"),
    ],
)
def test_parse_duration_refuses(value: object, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_duration(value, "delay")  # type: ignore[arg-type]
    message = str(caught.value)
    assert reason in message
    assert "delay" in message
    if "months" in reason:
        assert "cron" in message
        assert "rrule" in message
    else:
        assert "PT5M" in message
        assert "2h30m" in message


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
