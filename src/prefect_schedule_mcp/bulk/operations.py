"""The two bulk operations: reschedule late runs, cancel runs.

Each takes a plan made by the engine and either describes it (a dry run) or
applies it, and says what happened in the tool's result model.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prefect_schedule_mcp.bulk.engine import (
    BulkOutcome,
    cancel_runs,
    delete_runs,
    in_states,
    move_runs,
)
from prefect_schedule_mcp.bulk.plan import PlannedRun, plan_runs
from prefect_schedule_mcp.bulk.runner import ProgressHandler
from prefect_schedule_mcp.models import (
    CancelledRun,
    CancelResult,
    FailedRun,
    RescheduledRun,
    RescheduleResult,
)
from prefect_schedule_mcp.prefect_api import PrefectAPI
from prefect_schedule_mcp.tools.common import iso

if TYPE_CHECKING:
    from prefect.client.schemas.filters import FlowRunFilter

logger = logging.getLogger(__name__)


def names_of(runs: list[PlannedRun], shown: int = 10) -> str:
    """Run names for a warning, the first few and a count of the rest."""
    text = ", ".join(repr(run.name) for run in runs[:shown])
    if len(runs) > shown:
        text += f" and {len(runs) - shown} more"
    return text


@dataclass
class ReschedulePlan:
    """Which runs move where, which are deleted, which are already done."""

    moves: list[tuple[PlannedRun, dt.datetime]]
    deletions: list[PlannedRun]
    already_moved: list[PlannedRun]
    unmovable: list[PlannedRun]
    overdue_scheduled: int = 0
    """Past-due runs still named Scheduled, which ``states`` left out."""


async def plan_reschedule(
    api: PrefectAPI,
    deployment_id: uuid.UUID,
    states: list[str],
    delay: dt.timedelta,
    most_recent_n: int,
    now: dt.datetime,
) -> ReschedulePlan:
    """Rank the deployment's late runs in ``states`` by expected start, newest first.

    A run is late when its scheduled time (its next scheduled start) is at
    or before ``now``, whatever its state is named: a Scheduled run due next
    week is never moved or deleted, even with ``states=["Scheduled"]``.

    The new time is the run's expected start time plus ``delay``, and Prefect
    never changes a run's expected start time after its first state; so a run
    already at that time was moved by an earlier call. Such runs count toward
    ``most_recent_n`` but are not moved again, which makes a second call after
    a partial failure finish the job instead of moving N more runs.

    Prefect's late-run service renames overdue Scheduled runs to Late some
    seconds later, longer when the server is busy. When ``states`` leaves
    Scheduled out, the overdue runs it has not renamed yet are counted, so
    that the result can say they were missed.
    """
    from prefect.client.schemas.filters import (
        FlowRunFilterDeploymentId,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterNextScheduledStartTime,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    sort = FlowRunSort.EXPECTED_START_TIME_DESC
    of_deployment = {"deployment_id": FlowRunFilterDeploymentId(any_=[deployment_id])}
    due = in_states(states, not_started=True, due_by=now)
    candidates = await plan_runs(api, due.model_copy(update=of_deployment), sort)
    # Runs an earlier call moved to a future time are plain Scheduled and not
    # due; they were late once, so their expected start time is in the past.
    moved_earlier = in_states(["Scheduled"], not_started=True).model_copy(
        update={
            **of_deployment,
            "expected_start_time": FlowRunFilterExpectedStartTime.model_validate(
                {"before_": now}
            ),
            "next_scheduled_start_time": (
                FlowRunFilterNextScheduledStartTime.model_validate({"after_": now})
            ),
        }
    )
    moved_before = await plan_runs(api, moved_earlier, sort)
    overdue_scheduled = 0
    if "Scheduled" not in states:
        overdue = in_states(["Scheduled"], not_started=True, due_by=now)
        overdue_scheduled = await api.count_flow_runs(
            overdue.model_copy(update=of_deployment)
        )

    def at_target(run: PlannedRun) -> bool:
        expected = run.expected_start_time
        return expected is not None and run.scheduled_time == expected + delay

    candidate_ids = {run.id for run in candidates}
    moved_before = [
        run for run in moved_before if at_target(run) and run.id not in candidate_ids
    ]
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    ranked = sorted(
        [*candidates, *moved_before],
        key=lambda run: run.expected_start_time or oldest,
        reverse=True,
    )
    chosen, rest = ranked[:most_recent_n], ranked[most_recent_n:]
    return ReschedulePlan(
        moves=[
            (run, run.expected_start_time + delay)
            for run in chosen
            if run.expected_start_time is not None and not at_target(run)
        ],
        deletions=[run for run in rest if run.id in candidate_ids],
        already_moved=[run for run in chosen if at_target(run)],
        unmovable=[run for run in chosen if run.expected_start_time is None],
        overdue_scheduled=overdue_scheduled,
    )


def _left(outcome: BulkOutcome, verb: str) -> str:
    """How many failed runs are untouched, and how many may have changed."""
    text = f"{outcome.unchanged} were left unchanged"
    if outcome.unknown:
        text += (
            f"; {len(outcome.unknown)} were in a request that got no answer and "
            f"may or may not have been {verb}"
        )
    return text + " (see `failed`)"


def _failed(outcome: BulkOutcome) -> list[FailedRun]:
    return [
        FailedRun(id=str(run_id), error=error)
        for run_id, error in outcome.failed.items()
    ]


async def reschedule(
    api: PrefectAPI,
    plan: ReschedulePlan,
    states: list[str],
    delete_remaining: bool,
    dry_run: bool,
    now: dt.datetime,
    progress: ProgressHandler | None = None,
) -> RescheduleResult:
    """Describe or apply a reschedule plan: the moves first, then the deletions.

    Deletions only start once every move has succeeded: after a failed move
    nothing is deleted, and a second call (which counts the runs already moved)
    finishes the job.
    """
    warnings: list[str] = []
    if plan.overdue_scheduled:
        warnings.append(
            f"{plan.overdue_scheduled} run(s) of this deployment are past their "
            "scheduled time but still named Scheduled (Prefect has not marked them "
            f"Late yet), so states={states} left them out, and most_recent_n was "
            "counted without them. Include 'Scheduled' in `states` to handle them "
            "too."
        )
    past = [run for run, when in plan.moves if when <= now]
    if past:
        warnings.append(
            f"The new time of {len(past)} run(s) is already past, so Prefect marks "
            f"them Late again at once: {names_of(past)}. Use a longer delay to move "
            "them into the future."
        )
    if plan.already_moved:
        warnings.append(
            f"{len(plan.already_moved)} of the most recent runs already have their new "
            f"time (moved by an earlier call) and were left as they are: "
            f"{names_of(plan.already_moved)}."
        )
    if plan.unmovable:
        warnings.append(
            f"{len(plan.unmovable)} run(s) have no expected start time, so no new time "
            f"can be computed; they were left alone: {names_of(plan.unmovable)}."
        )
    deletions = plan.deletions if delete_remaining else []
    if not delete_remaining and plan.deletions:
        warnings.append(
            f"{len(plan.deletions)} other matching run(s) were left in place "
            "(delete_remaining=false)."
        )

    if dry_run:
        return RescheduleResult(
            dry_run=True,
            rescheduled=[_rescheduled(run, when) for run, when in plan.moves],
            deleted=[str(run.id) for run in deletions],
            failed=[],
            warnings=warnings,
        )

    total = len(plan.moves) + len(deletions)
    # The guard repeats the plan's "past due at `now`": a run someone moved to
    # a later time since is no longer late, and is left alone.
    moved = await move_runs(
        api, plan.moves, states, progress=progress, total=total, due_by=now
    )
    by_id = {run.id: run for run, _ in plan.moves}
    if moved.skipped:
        warnings.append(
            f"{len(moved.skipped)} run(s) changed state after the plan and were not "
            f"rescheduled: {names_of([by_id[i] for i in moved.skipped])}."
        )
    deleted = BulkOutcome()
    if moved.halted:
        warnings.append(
            f"The Prefect API became unreachable part-way: {len(moved.done)} run(s) "
            f"were rescheduled, {_left(moved, 'rescheduled')}, and none of the "
            f"{len(deletions)} other runs was deleted. "
            "Call again once the API is back to finish: runs already moved are "
            "not moved twice."
        )
    elif deletions and moved.failed:
        warnings.append(
            f"{len(moved.failed)} run(s) could not be rescheduled, so none of the "
            f"{len(deletions)} other runs was deleted. Call again to finish: runs "
            "already moved are not moved twice."
        )
    elif deletions:
        deleted = await delete_runs(
            api,
            [run.id for run in deletions],
            states,
            progress=progress,
            total=total,
            offset=len(plan.moves),
            due_by=now,
        )
        if deleted.halted:
            warnings.append(
                "The Prefect API became unreachable part-way through the deletions: "
                f"{len(deleted.done)} run(s) were deleted and "
                f"{_left(deleted, 'deleted')}. Call again to finish."
            )
        if deleted.skipped:
            kept = [run for run in deletions if run.id in set(deleted.skipped)]
            warnings.append(
                f"{len(kept)} run(s) changed state after the plan and were not "
                f"deleted: {names_of(kept)}."
            )
    logger.info(
        "Rescheduled %s runs, deleted %s, %s failed",
        len(moved.done),
        len(deleted.done),
        len(moved.failed) + len(deleted.failed),
    )
    return RescheduleResult(
        dry_run=False,
        rescheduled=[
            _rescheduled(run, when) for run, when in plan.moves if run.id in moved.done
        ],
        deleted=[str(run_id) for run_id in deleted.done],
        failed=_failed(moved) + _failed(deleted),
        warnings=warnings,
    )


def _rescheduled(run: PlannedRun, when: dt.datetime) -> RescheduledRun:
    return RescheduledRun(
        id=str(run.id),
        name=run.name,
        expected_start_time=iso(run.expected_start_time),
        new_scheduled_time=iso(when) or "",
    )


def _capped(listed: int, matched: int, verb: str) -> str:
    return (
        f"Only {listed} of the {matched} matching runs {verb} cancelled (`limit`), "
        "those with the oldest expected start time; call again for the rest, or "
        "raise `limit`."
    )


def predicted_final_state(run: PlannedRun) -> str:
    """What proposing Cancelling leads to: runs not started go straight to Cancelled."""
    return "Cancelled" if run.state_type == "SCHEDULED" else "Cancelling"


async def cancel(
    api: PrefectAPI,
    planned: list[PlannedRun],
    flow_run_filter: FlowRunFilter,
    total: int,
    limit: int | None,
    dry_run: bool,
    progress: ProgressHandler | None = None,
) -> CancelResult:
    """Describe or apply the cancellation of the planned runs.

    ``total`` is how many runs match the filters (``matched`` in the result,
    every match however many are handled); ``planned`` holds at most
    ``limit`` of them, the oldest first. The warning about ``limit`` counts
    the runs the result lists, which can be fewer than ``limit``: runs leave
    the match set while it is read, and a run that changed state before it
    was cancelled is left alone.
    """
    # Runs can turn Late between the count and the plan: never report fewer
    # matches than the runs planned.
    matched = max(total, len(planned))
    warnings: list[str] = []
    capped = limit is not None and matched > len(planned)
    if dry_run:
        if capped:
            warnings.append(_capped(len(planned), matched, "would be"))
        return CancelResult(
            dry_run=True,
            matched=matched,
            cancelled=[
                CancelledRun(
                    id=str(run.id),
                    name=run.name,
                    final_state=predicted_final_state(run),
                )
                for run in planned
            ],
            failed=[],
            warnings=warnings,
        )

    by_id = {run.id: run for run in planned}
    outcome = await cancel_runs(api, list(by_id), flow_run_filter, progress=progress)
    if capped:
        warnings.append(_capped(len(outcome.done), matched, "were"))
    if outcome.halted:
        warnings.append(
            f"The Prefect API became unreachable part-way: {len(outcome.done)} run(s) "
            f"were cancelled and {_left(outcome, 'cancelled')}. Call again once "
            "the API is back to cancel the rest."
        )
    if outcome.skipped:
        warnings.append(
            f"{len(outcome.skipped)} run(s) changed state after the plan and were left "
            f"alone: {names_of([by_id[i] for i in outcome.skipped])}."
        )
    if any(state == "Cancelling" for state in outcome.done.values()):
        warnings.append(
            "Runs in Cancelling had started: their worker tears down the "
            "infrastructure and then marks them Cancelled."
        )
    logger.info("Cancelled %s runs, %s failed", len(outcome.done), len(outcome.failed))
    return CancelResult(
        dry_run=False,
        matched=matched,
        # In the plan's order (oldest first), as the dry run lists them.
        cancelled=[
            CancelledRun(
                id=str(run.id), name=run.name, final_state=outcome.done[run.id]
            )
            for run in planned
            if run.id in outcome.done
        ],
        failed=_failed(outcome),
        warnings=warnings,
    )
