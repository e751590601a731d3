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


async def plan_runs(
    api: PrefectAPI,
    flow_run_filter: FlowRunFilter,
    sort: FlowRunSort,
    limit: int | None = None,
) -> list[PlannedRun]:
    """Every matching run (up to ``limit``), read page by page, without duplicates.

    Runs can join the match set while it is read (the server marks runs Late
    every few seconds), which shifts offsets by one; de-duplicating by id keeps
    the plan clean, and a run missed that way is handled by the next call.
    """
    planned: dict[uuid.UUID, PlannedRun] = {}
    body: dict[str, Any] = {
        "flow_runs": flow_run_filter.model_dump(mode="json", exclude_none=True),
        "sort": sort.value,
    }
    offset = 0
    page_number = 0
    while limit is None or offset < limit:
        size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - offset)
        page: list[dict[str, Any]] = await api.post(
            "/flow_runs/filter",
            {**body, "limit": size, "offset": offset},
            "Reading flow runs",
        )
        page_number += 1
        for run in page:
            planned_run = PlannedRun.from_json(run)
            planned.setdefault(planned_run.id, planned_run)
        logger.info(
            "Planned page %s: %s runs read, %s in the plan",
            page_number,
            len(page),
            len(planned),
        )
        offset += len(page)
        if len(page) < size:
            break
    return list(planned.values())
