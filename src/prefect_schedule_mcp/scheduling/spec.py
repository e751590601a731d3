"""The normalized schedule value every other module passes around."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule ready to send to Prefect.

    Attributes:
        kind: which of Prefect's three schedule types it is.
        definition: the JSON-ready ``schedule`` body, exactly as sent.
        timezone: the IANA zone its wall times are in.
        warnings: sentences about what normalizing decided.
    """

    kind: Literal["cron", "interval", "rrule"]
    definition: dict[str, Any]
    timezone: str
    warnings: tuple[str, ...] = ()
