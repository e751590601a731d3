"""The range of times and durations the tools accept.

Python's ``datetime`` reaches from year 1 to 9999, but the libraries Prefect
computes runs with give out well before that: a start in 9999 fails while the
next runs are computed, one in year 1 overflows when it is moved into a zone
with a positive offset, and a duration of a trillion seconds overflows when it
is added to the current time. Rather than let such errors reach the caller as
internal faults, every time and duration is checked against this range where
it is read, and refused with a message that states the range.

The range is wide for any real schedule: times from the Unix epoch to the end
of 2999 (UTC), durations up to a century.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
LONGEST_DURATION = timedelta(days=36525)  # 100 years of 365.25 days

TIME_RANGE_HINT = "Give a time from 1970-01-01 to 2999-12-31 (UTC)."
DURATION_RANGE_HINT = "Give a duration of at most 100 years (P36525D)."


def time_in_range(value: datetime) -> bool:
    """Whether the aware ``value`` lies in the supported range."""
    try:
        instant = value.astimezone(UTC)
    except (OverflowError, ValueError):
        return False
    return EARLIEST_TIME <= instant <= LATEST_TIME
