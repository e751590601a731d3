"""The project's errors.

Every failure a tool can report is one of these. Each message names the object
or input at fault, says why, and says what to do instead. They derive from
FastMCP's ``ToolError``, so the protocol layer reports them as tool errors
(``isError: true``) with the message as written and logs them without a
traceback; anything else a tool raises is caught in ``server.py``.

    ScheduleToolError
    ├── InvalidInput          a bad argument (time, duration, cron, zone, ...)
    ├── NotFound              no deployment, schedule or run by that reference
    ├── Ambiguous             a name that matches several deployments
    ├── Conflict              the server refused a change (slug taken, ...)
    ├── ReadOnlyMode          a write tool called in read-only mode
    └── PrefectUnavailable    the Prefect API could not be reached or timed out
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable

from fastmcp.exceptions import ToolError


class ScheduleToolError(ToolError):
    """Base class: an error whose message is fit to show to the caller."""

    # A refused call is the caller's to fix, not a fault of this server.
    level = logging.INFO

    def __init__(self, *args: object) -> None:
        super().__init__(*args, log_level=self.level)


class InvalidInput(ScheduleToolError):
    """An argument that cannot be used as given."""

    def __init__(self, field: str, value: object, reason: str, hint: str = "") -> None:
        self.field = field
        self.value = value
        self.reason = reason
        self.hint = hint
        shown = "" if value is None else f" {value!r}"
        message = f"Invalid {field}{shown}: {reason}"
        if hint:
            message += f" {hint}"
        super().__init__(message)


class NotFound(ScheduleToolError):
    """No object matches the reference the caller gave."""


class Ambiguous(ScheduleToolError):
    """A name matches more than one object."""


class Conflict(ScheduleToolError):
    """The Prefect server refused a change because of existing state."""


class ReadOnlyMode(ScheduleToolError):
    """A write was asked for while the server runs read-only."""


class PrefectUnavailable(ScheduleToolError):
    """The Prefect API did not answer, or answered with a server error."""

    level = logging.WARNING


def closest(word: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """The candidates closest to ``word``, best first (case-insensitive)."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    matches = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.5)
    return [lowered[m] for m in matches]


def suggestion(word: str, candidates: Iterable[str], n: int = 5) -> str:
    """A sentence that suggests close names, or an empty string."""
    names = closest(word, candidates, n)
    if not names:
        return ""
    return "Did you mean " + ", ".join(repr(name) for name in names) + "?"
