"""The bulk engine behind ``reschedule_late_flow_runs`` and ``cancel_flow_runs``.

Every bulk operation runs in two phases:

1. **Plan.** Page through the matching runs (the server returns at most 200 a
   page) and keep only what acting needs: id, name, state and times. Nothing
   is changed while paging, so offsets stay meaningful.
2. **Apply.** Act on the planned ids, each call guarded by a filter that names
   the ids *and* the states the plan saw. A run that changed state since the
   plan (a worker picked it up, someone cancelled it) no longer matches the
   guard, so the server leaves it alone; it is reported, not touched.

Calls that fail transiently (HTTP 503, which a SQLite-backed server answers
with "database is locked", or a refused connection) are retried a bounded
number of times with a doubling back-off. Whatever still fails is reported
per run; a run is either done or untouched, never half-done.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from prefect_schedule_mcp.errors import ScheduleToolError
from prefect_schedule_mcp.prefect_api import BULK_LIMIT, PrefectAPI
from prefect_schedule_mcp.tools.common import scheduled_time, state_name

if TYPE_CHECKING:
    from prefect.client.schemas.filters import FlowRunFilter
    from prefect.client.schemas.objects import FlowRun
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.states import State

logger = logging.getLogger(__name__)

# Concurrent set-state calls when moving runs. Against a local SQLite-backed
# server (200 runs, two rounds) 1, 4 and 8 all moved 48-58 runs/s, since SQLite
# serializes writes, and 16 fell to 36-40 runs/s from lock contention. A few
# calls in flight cost nothing there and hide the round trip to a remote API.
MOVE_CONCURRENCY = 4
RETRY_ATTEMPTS = 5
RETRY_FIRST_DELAY = 0.2  # seconds; doubles after each failed attempt
HTTP_SERVICE_UNAVAILABLE = 503
SQLITE_LOCKED = "database is locked"

T = TypeVar("T")


@dataclass(frozen=True)
class PlannedRun:
    """What the apply phase needs to know about one run."""

    id: uuid.UUID
    name: str
    state: str | None
    state_type: str | None
    expected_start_time: dt.datetime | None
    scheduled_time: dt.datetime | None

    @classmethod
    def of(cls, run: FlowRun) -> PlannedRun:
        return cls(
            id=run.id,
            name=run.name,
            state=state_name(run),
            state_type=run.state.type.value if run.state else None,
            expected_start_time=run.expected_start_time,
            scheduled_time=scheduled_time(run),
        )


@dataclass
class BulkOutcome:
    """What happened to the runs an apply phase was given."""

    done: dict[uuid.UUID, str | None] = field(default_factory=dict)
    """Runs changed, with the name of the state they ended in."""
    failed: dict[uuid.UUID, str] = field(default_factory=dict)
    """Runs the server refused or that could not be reached, with the reason."""
    skipped: list[uuid.UUID] = field(default_factory=list)
    """Runs that no longer matched the plan's states; left alone."""


# -- plan ------------------------------------------------------------------------


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
    page_number = 0
    async for page in api.iter_flow_runs(flow_run_filter, sort, limit=limit):
        page_number += 1
        for run in page:
            planned.setdefault(run.id, PlannedRun.of(run))
        logger.info(
            "Planned page %s: %s runs read, %s in the plan",
            page_number,
            len(page),
            len(planned),
        )
    return list(planned.values())


# -- retries ---------------------------------------------------------------------


class TransientFailure(ScheduleToolError):
    """The server could not act now (a locked database) and changed nothing."""


def is_transient(error: BaseException) -> bool:
    """Whether a failed call certainly changed nothing and may be repeated."""
    if isinstance(error, TransientFailure):
        return True
    cause = error.__cause__ if isinstance(error, ScheduleToolError) else error
    if isinstance(cause, httpx.HTTPStatusError):
        return cause.response.status_code == HTTP_SERVICE_UNAVAILABLE
    return isinstance(cause, httpx.ConnectError)


async def with_retries(what: str, attempt: Callable[[], Awaitable[T]]) -> T:
    """``attempt()``, repeated with a doubling back-off while it fails transiently."""
    delay = RETRY_FIRST_DELAY
    for number in range(1, RETRY_ATTEMPTS + 1):
        try:
            return await attempt()
        except ScheduleToolError as e:
            if number == RETRY_ATTEMPTS or not is_transient(e):
                raise
            logger.warning(
                "%s failed transiently (attempt %s of %s), retrying in %.1f s: %s",
                what,
                number,
                RETRY_ATTEMPTS,
                delay,
                e,
            )
        await asyncio.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable: the last attempt returns or raises")


# -- apply -----------------------------------------------------------------------


def in_states(states: list[str]) -> FlowRunFilter:
    """A filter of the runs whose state is named one of ``states``."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateName,
    )

    return FlowRunFilter(
        state=FlowRunFilterState(name=FlowRunFilterStateName(any_=states))
    )


def guarded(base: FlowRunFilter, ids: Iterable[uuid.UUID]) -> dict[str, Any]:
    """JSON of ``base`` (which names the plan's states) narrowed to ``ids``."""
    from prefect.client.schemas.filters import FlowRunFilterId

    guard = base.model_copy(update={"id": FlowRunFilterId(any_=list(ids))})
    return guard.model_dump(mode="json", exclude_none=True)


def _state_json(state: State[Any]) -> dict[str, Any]:
    from prefect.states import to_state_create

    return to_state_create(state).model_dump(mode="json", serialize_as_any=True)


def _chunks(items: list[T], size: int = BULK_LIMIT) -> list[list[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _reason(result: dict[str, Any]) -> str:
    details = result.get("details") or {}
    reason = details.get("reason") or details.get("type") or "no reason given"
    return f"the server answered {result.get('status')}: {reason}"


async def _set_state(
    api: PrefectAPI,
    ids: list[uuid.UUID],
    guard: dict[str, Any],
    state: dict[str, Any],
    what: str,
) -> list[dict[str, Any]]:
    """One guarded ``bulk_set_state`` call; a locked database is retried.

    The endpoint catches failures per run and reports them as ABORT, so a
    "database is locked" shows up in a result rather than as HTTP 503.
    """
    body = {"flow_runs": guard, "state": state, "force": False, "limit": len(ids)}

    async def attempt() -> list[dict[str, Any]]:
        answer = await api.post("/flow_runs/bulk_set_state", body, what)
        results: list[dict[str, Any]] = answer.get("results", [])
        locked = [r for r in results if SQLITE_LOCKED in _reason(r)]
        if locked:
            raise TransientFailure(f"{what}: {_reason(locked[0])}")
        return results

    return await with_retries(what, attempt)


async def move_runs(
    api: PrefectAPI,
    moves: list[tuple[PlannedRun, dt.datetime]],
    states: list[str],
    concurrency: int = MOVE_CONCURRENCY,
) -> BulkOutcome:
    """Propose ``Scheduled(new time)`` to each run that is still in ``states``.

    The run itself is kept (id, parameters, tags, job variables); only its
    state changes. Each run has its own time, so each is one guarded call; a
    few run at once.
    """
    from prefect.states import Scheduled

    outcome = BulkOutcome()
    base = in_states(states)
    gate = asyncio.Semaphore(concurrency)

    async def move(run: PlannedRun, when: dt.datetime) -> None:
        async with gate:
            try:
                results = await _set_state(
                    api,
                    [run.id],
                    guarded(base, [run.id]),
                    _state_json(Scheduled(scheduled_time=when)),
                    f"Rescheduling flow run {run.name!r}",
                )
            except ScheduleToolError as e:
                outcome.failed[run.id] = str(e)
                return
        if not results:
            outcome.skipped.append(run.id)
        elif results[0].get("status") == "ACCEPT":
            outcome.done[run.id] = (results[0].get("state") or {}).get("name")
        else:
            outcome.failed[run.id] = _reason(results[0])

    for number, page in enumerate(_chunks(moves), start=1):
        await asyncio.gather(*(move(run, when) for run, when in page))
        logger.info(
            "Rescheduled page %s: %s runs, %s done, %s failed, %s changed meanwhile",
            number,
            len(page),
            len(outcome.done),
            len(outcome.failed),
            len(outcome.skipped),
        )
    return outcome


async def delete_runs(
    api: PrefectAPI, ids: list[uuid.UUID], states: list[str]
) -> BulkOutcome:
    """Delete the runs of ``ids`` that are still in ``states``, 50 a call."""
    outcome = BulkOutcome()
    base = in_states(states)
    for number, chunk in enumerate(_chunks(ids), start=1):
        body = {"flow_runs": guarded(base, chunk), "limit": len(chunk)}
        what = f"Deleting {len(chunk)} flow runs"

        async def attempt(body: dict[str, Any] = body, what: str = what) -> Any:
            return await api.post("/flow_runs/bulk_delete", body, what)

        try:
            answer = await with_retries(what, attempt)
        except ScheduleToolError as e:
            outcome.failed.update({run_id: str(e) for run_id in chunk})
            continue
        deleted = {uuid.UUID(str(run_id)) for run_id in answer.get("deleted", [])}
        outcome.done.update({run_id: None for run_id in chunk if run_id in deleted})
        outcome.skipped.extend(run_id for run_id in chunk if run_id not in deleted)
        logger.info("Deleted page %s: %s of %s runs", number, len(deleted), len(chunk))
    return outcome


async def cancel_runs(
    api: PrefectAPI, ids: list[uuid.UUID], base: FlowRunFilter
) -> BulkOutcome:
    """Propose ``Cancelling`` to the runs of ``ids`` that still match ``base``.

    The server answers a run that never started with REJECT and moves it to
    ``Cancelled`` itself (there is no infrastructure to tear down); a running
    one is ACCEPTed into ``Cancelling`` and its worker tears it down.
    """
    from prefect.states import Cancelling

    outcome = BulkOutcome()
    state = _state_json(Cancelling())
    for number, chunk in enumerate(_chunks(ids), start=1):
        what = f"Cancelling {len(chunk)} flow runs"
        try:
            results = await _set_state(api, chunk, guarded(base, chunk), state, what)
        except ScheduleToolError as e:
            outcome.failed.update({run_id: str(e) for run_id in chunk})
            continue
        answered: set[uuid.UUID] = set()
        for result in results:
            run_id = uuid.UUID(str(result["flow_run_id"]))
            answered.add(run_id)
            final = result.get("state") or {}
            if final.get("type") in ("CANCELLED", "CANCELLING"):
                outcome.done[run_id] = final.get("name")
            else:
                outcome.failed[run_id] = _reason(result)
        outcome.skipped.extend(run_id for run_id in chunk if run_id not in answered)
        logger.info(
            "Cancelled page %s: %s runs, %s done, %s failed so far",
            number,
            len(chunk),
            len(outcome.done),
            len(outcome.failed),
        )
    return outcome
