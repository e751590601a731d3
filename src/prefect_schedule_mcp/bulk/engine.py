"""The bulk engine behind ``reschedule_late_flow_runs`` and ``cancel_flow_runs``.

Every bulk operation runs in two phases:

1. **Plan** (:mod:`.plan`). Page through the matching runs (the server returns
   at most 200 a page) and keep only what acting needs: id, name, state and
   times. Pages follow the expected start time rather than an offset, so runs
   that change state meanwhile (the server marks runs Late every few seconds)
   neither repeat a run nor hide one.
2. **Apply** (here, with :mod:`.runner`). Act on the planned ids, each call
   guarded by a filter that names the ids *and* the states the plan saw (for
   a reschedule, also that the run is still past its scheduled time). A
   run that changed state since the plan (a worker picked it up, someone
   cancelled it) no longer matches the guard, so the server leaves it alone;
   it is reported, not touched.

Calls that fail transiently ("database is locked" on SQLite) are retried a
bounded number of times with a doubling back-off. Whatever still fails is
reported per run; a run is either done or untouched, never half-done.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from prefect_schedule_mcp.bulk.concurrency import bulk_concurrency
from prefect_schedule_mcp.bulk.plan import PlannedRun, plan_runs
from prefect_schedule_mcp.bulk.runner import (
    BulkOutcome,
    Call,
    ProgressHandler,
    Runner,
    TransientFailure,
    is_transient,
    with_retries,
)
from prefect_schedule_mcp.prefect_api import BULK_LIMIT, PrefectAPI

if TYPE_CHECKING:
    from prefect.client.schemas.filters import FlowRunFilter
    from prefect.states import State

__all__ = [
    "BulkOutcome",
    "PlannedRun",
    "TransientFailure",
    "cancel_runs",
    "delete_runs",
    "in_states",
    "is_transient",
    "move_runs",
    "plan_runs",
    "with_retries",
]

logger = logging.getLogger(__name__)

SQLITE_LOCKED = "database is locked"

T = TypeVar("T")


def in_states(
    states: list[str],
    *,
    not_started: bool = False,
    due_by: dt.datetime | None = None,
) -> FlowRunFilter:
    """A filter of the runs whose state is named one of ``states``.

    With ``not_started``, the state must also be of the SCHEDULED type: a
    name says nothing certain about the type (any client may label a state
    as it likes), and moving or deleting a run that started would lose it.
    With ``due_by``, the run's scheduled time (its next scheduled start) must
    be at or before it: a run whose time is still ahead is not late, whatever
    its state is named.
    """
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterNextScheduledStartTime,
        FlowRunFilterState,
        FlowRunFilterStateName,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    return FlowRunFilter(
        state=FlowRunFilterState(
            name=FlowRunFilterStateName(any_=states),
            type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])
            if not_started
            else None,
        ),
        next_scheduled_start_time=FlowRunFilterNextScheduledStartTime.model_validate(
            {"before_": due_by}
        )
        if due_by
        else None,
    )


def guarded(base: FlowRunFilter, ids: Iterable[uuid.UUID]) -> dict[str, Any]:
    """JSON of ``base`` (which names the plan's states) narrowed to ``ids``."""
    body = base.model_dump(mode="json", exclude_none=True)
    body["id"] = {"any_": [str(run_id) for run_id in ids]}
    return body


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
    record: Callable[[dict[str, Any]], None],
) -> set[uuid.UUID]:
    """One guarded ``bulk_set_state`` call; a locked database is retried.

    The endpoint catches failures per run and reports them as ABORT, so a
    "database is locked" shows up in a result rather than as HTTP 503. Each
    other result is passed to ``record`` as soon as it arrives; runs already
    changed no longer match the guard, so a repeat leaves them alone. Returns
    the ids the server answered for.
    """
    body = {"flow_runs": guard, "state": state, "force": False, "limit": len(ids)}
    answered: set[uuid.UUID] = set()

    async def attempt() -> set[uuid.UUID]:
        answer = await api.post("/flow_runs/bulk_set_state", body, what)
        locked = None
        for result in answer.get("results", []):
            if SQLITE_LOCKED in _reason(result):
                locked = result
                continue
            answered.add(uuid.UUID(str(result["flow_run_id"])))
            record(result)
        if locked is not None:
            raise TransientFailure(f"{what}: {_reason(locked)}")
        return answered

    return await with_retries(what, attempt)


async def move_runs(
    api: PrefectAPI,
    moves: list[tuple[PlannedRun, dt.datetime]],
    states: list[str],
    concurrency: int | None = None,
    progress: ProgressHandler | None = None,
    total: int | None = None,
    *,
    due_by: dt.datetime | None = None,
) -> BulkOutcome:
    """Propose ``Scheduled(new time)`` to each run still waiting in ``states``.

    The run itself is kept (id, parameters, tags, job variables); only its
    state changes. Each run has its own time, so each is one guarded call.
    The guard also asks for a SCHEDULED state type, whatever ``states`` says:
    a run that started or finished is never brought back to run again. With
    ``due_by``, a run whose scheduled time has since moved past it (someone
    rescheduled it) is left alone too.
    """
    from prefect.states import Scheduled

    base = in_states(states, not_started=True, due_by=due_by)
    runner = Runner(
        "Rescheduled",
        concurrency
        or await bulk_concurrency(api, "move", moves[0][0].id if moves else None),
        progress,
        total or len(moves),
    )
    outcome = runner.outcome

    def record(result: dict[str, Any]) -> None:
        run_id = uuid.UUID(str(result["flow_run_id"]))
        if result.get("status") == "ACCEPT":
            outcome.done[run_id] = (result.get("state") or {}).get("name")
        else:
            outcome.failed[run_id] = _reason(result)

    def call(run: PlannedRun, when: dt.datetime) -> Call:
        async def make() -> None:
            answered = await _set_state(
                api,
                [run.id],
                guarded(base, [run.id]),
                _state_json(Scheduled(scheduled_time=when)),
                f"Rescheduling flow run {run.name!r}",
                record,
            )
            if not answered:
                outcome.skipped.append(run.id)

        return Call([run.id], make)

    return await runner.run([call(run, when) for run, when in moves])


async def delete_runs(
    api: PrefectAPI,
    ids: list[uuid.UUID],
    states: list[str],
    concurrency: int | None = None,
    progress: ProgressHandler | None = None,
    total: int | None = None,
    offset: int = 0,
    *,
    due_by: dt.datetime | None = None,
) -> BulkOutcome:
    """Delete the runs of ``ids`` still not started and in ``states``, 50 a call.

    With ``due_by``, only those whose scheduled time is at or before it.
    """
    base = in_states(states, not_started=True, due_by=due_by)
    runner = Runner(
        "Deleted",
        concurrency or await bulk_concurrency(api, "delete", ids[0] if ids else None),
        progress,
        total or len(ids),
        offset,
    )
    outcome = runner.outcome

    def call(chunk: list[uuid.UUID]) -> Call:
        body = {"flow_runs": guarded(base, chunk), "limit": len(chunk)}
        what = f"Deleting {len(chunk)} flow runs"

        async def make() -> None:
            async def attempt() -> Any:
                return await api.post("/flow_runs/bulk_delete", body, what)

            answer = await with_retries(what, attempt)
            deleted = {uuid.UUID(str(i)) for i in answer.get("deleted", [])}
            outcome.done.update({i: None for i in chunk if i in deleted})
            outcome.skipped.extend(i for i in chunk if i not in deleted)

        return Call(chunk, make)

    return await runner.run([call(chunk) for chunk in _chunks(ids)])


async def cancel_runs(
    api: PrefectAPI,
    ids: list[uuid.UUID],
    base: FlowRunFilter,
    concurrency: int | None = None,
    progress: ProgressHandler | None = None,
) -> BulkOutcome:
    """Propose ``Cancelling`` to the runs of ``ids`` that still match ``base``.

    The server answers a run that never started with REJECT and moves it to
    ``Cancelled`` itself (there is no infrastructure to tear down); a running
    one is ACCEPTed into ``Cancelling`` and its worker tears it down.
    """
    from prefect.states import Cancelling

    state = _state_json(Cancelling())
    runner = Runner(
        "Cancelled",
        concurrency or await bulk_concurrency(api, "cancel", ids[0] if ids else None),
        progress,
        len(ids),
    )
    outcome = runner.outcome

    def record(result: dict[str, Any]) -> None:
        run_id = uuid.UUID(str(result["flow_run_id"]))
        final = result.get("state") or {}
        if final.get("type") in ("CANCELLED", "CANCELLING"):
            outcome.done[run_id] = final.get("name")
        else:
            outcome.failed[run_id] = _reason(result)

    def call(chunk: list[uuid.UUID]) -> Call:
        what = f"Cancelling {len(chunk)} flow runs"

        async def make() -> None:
            answered = await _set_state(
                api, chunk, guarded(base, chunk), state, what, record
            )
            outcome.skipped.extend(i for i in chunk if i not in answered)

        return Call(chunk, make)

    return await runner.run([call(chunk) for chunk in _chunks(ids)])
