"""The plan phase: every matching run, read page by page, kept small.

Pages are read as plain JSON and each run is reduced at once to the few
fields acting on it needs (id, name, state, two times). Building Prefect's
full ``FlowRun`` model for thousands of runs only to drop it again costs
more time than the server takes to answer, and holding them costs memory
in proportion to the count.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prefect_schedule_mcp.prefect_api import PAGE_SIZE, PrefectAPI

if TYPE_CHECKING:
    from prefect.client.schemas.filters import FlowRunFilter
    from prefect.client.schemas.sorting import FlowRunSort

logger = logging.getLogger(__name__)


def _time(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class PlannedRun:
    """What the apply phase needs to know about one run."""

    id: uuid.UUID
    name: str
    state: str | None
    state_type: str | None
    expected_start_time: dt.datetime | None
    scheduled_time: dt.datetime | None
    """When a Scheduled run will start: its state's time, else its next time."""

    @classmethod
    def from_json(cls, run: dict[str, Any]) -> PlannedRun:
        state = run.get("state") or {}
        details = state.get("state_details") or {}
        return cls(
            id=uuid.UUID(str(run["id"])),
            name=str(run.get("name") or run["id"]),
            state=state.get("name"),
            state_type=state.get("type"),
            expected_start_time=_time(run.get("expected_start_time")),
            scheduled_time=_time(details.get("scheduled_time"))
            or _time(run.get("next_scheduled_start_time")),
        )


def _page_filter(
    body: dict[str, Any],
    bound: dt.datetime | None,
    at_bound: list[uuid.UUID],
    newest_first: bool,
) -> dict[str, Any]:
    """``body`` narrowed to the runs at or beyond ``bound``, minus ``at_bound``.

    ``bound`` is the expected start time of the last run read. Every run read
    so far lies at or before it in the order; those exactly at it (ties have
    no order of their own) are left out by id.
    """
    if bound is None:
        return body
    narrowed = dict(body)
    times = dict(narrowed.get("expected_start_time") or {})
    # The bound comes from a run that matched the filter, so it lies within
    # any bound the filter already had: replacing that one loses nothing.
    times["before_" if newest_first else "after_"] = bound.isoformat()
    narrowed["expected_start_time"] = times
    ids = dict(narrowed.get("id") or {})
    ids["not_any_"] = [*(ids.get("not_any_") or []), *map(str, at_bound)]
    narrowed["id"] = ids
    return narrowed


async def plan_runs(
    api: PrefectAPI,
    flow_run_filter: FlowRunFilter,
    sort: FlowRunSort,
    limit: int | None = None,
) -> list[PlannedRun]:
    """Every matching run (up to ``limit``) in ``sort`` order, each once.

    ``sort`` is by expected start time, oldest or newest first. Pages are
    read by that time, not by offset: each page asks for the runs at or
    beyond the last time read, leaving out by id the runs already read at
    that very time. Runs change state while the plan is read (the server
    marks runs Late every few seconds, workers pick runs up), and with
    offsets every run that joins or leaves the match set ahead of the offset
    shifts the next page, so that one run is read twice and another never.
    Read by time, a run that matches throughout is read exactly once; one
    that joins behind the last time read is left to the next call, and one
    that leaves after it was read is left alone by the apply phase's guard.

    Prefect sets a run's expected start time with its first state and never
    changes it afterwards, so every run has one and it is a stable key.
    """
    from prefect.client.schemas.sorting import FlowRunSort

    if sort not in (
        FlowRunSort.EXPECTED_START_TIME_ASC,
        FlowRunSort.EXPECTED_START_TIME_DESC,
    ):
        raise ValueError(f"plan_runs pages by expected start time, not by {sort}")
    newest_first = sort == FlowRunSort.EXPECTED_START_TIME_DESC
    planned: dict[uuid.UUID, PlannedRun] = {}
    body: dict[str, Any] = flow_run_filter.model_dump(mode="json", exclude_none=True)
    bound: dt.datetime | None = None
    at_bound: list[uuid.UUID] = []
    page_number = 0
    while limit is None or len(planned) < limit:
        size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(planned))
        page: list[dict[str, Any]] = await api.post(
            "/flow_runs/filter",
            {
                "flow_runs": _page_filter(body, bound, at_bound, newest_first),
                "sort": sort.value,
                "limit": size,
            },
            "Reading flow runs",
        )
        page_number += 1
        runs = [PlannedRun.from_json(run) for run in page]
        for run in runs:
            planned.setdefault(run.id, run)
        logger.info(
            "Planned page %s: %s runs read, %s in the plan",
            page_number,
            len(page),
            len(planned),
        )
        if len(page) < size:
            break
        last = runs[-1].expected_start_time
        if last is None:
            logger.warning("A flow run without an expected start time ends the plan")
            break
        at_last = [run.id for run in runs if run.expected_start_time == last]
        at_bound = [*at_bound, *at_last] if last == bound else at_last
        bound = last
    return list(planned.values())
