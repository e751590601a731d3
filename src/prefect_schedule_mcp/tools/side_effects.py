"""What a schedule change does to the deployment's runs, said before it happens.

The Prefect server deletes runs as a side effect of schedule changes (see
``manage.py``); these functions find the runs concerned, classify what happens
to each, and cancel a paused schedule's past-due runs when asked.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Literal

from prefect_schedule_mcp.models import AffectedRun
from prefect_schedule_mcp.prefect_api import Deployment, PrefectAPI
from prefect_schedule_mcp.tools.common import iso, scheduled_time

if TYPE_CHECKING:
    from prefect.client.schemas.objects import DeploymentSchedule, FlowRun

Action = Literal["pause", "resume", "update", "delete"]
Outcome = Literal["removed", "kept", "cancelled"]
AWAITING_SLOT = "AwaitingConcurrencySlot"
CANCELLABLE_STATES = ["Scheduled", "Late"]


async def pending_auto_runs(api: PrefectAPI, deployment: Deployment) -> list[FlowRun]:
    """The deployment's auto-scheduled runs that have not started."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    run_filter = FlowRunFilter(
        deployment_id=FlowRunFilterDeploymentId(any_=[deployment.id]),
        state=FlowRunFilterState(
            type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])
        ),
    )
    runs: list[FlowRun] = []
    async for page in api.iter_flow_runs(
        run_filter, FlowRunSort.EXPECTED_START_TIME_ASC
    ):
        runs.extend(
            run
            for run in page
            if run.auto_scheduled
            and run.run_count == 0
            and (run.state is None or run.state.name != AWAITING_SLOT)
        )
    return runs


def classify_runs(
    runs: list[FlowRun],
    action: Action,
    schedule: DeploymentSchedule,
    now: dt.datetime,
    timezone: str,
    cancel_kept: bool = False,
    dry_run: bool = False,
) -> tuple[list[AffectedRun], list[str]]:
    """What the server's side effects do to each run, and the sentences to say.

    With ``cancel_kept``, this schedule's past-due runs (which the server keeps)
    are marked for cancelling instead. ``dry_run`` words the sentences as what
    would happen.
    """
    affected: list[AffectedRun] = []
    kept_own: list[str] = []
    removed_other = 0
    for run in runs:
        when = run.next_scheduled_start_time or scheduled_time(run)
        future = when is not None and when > now
        removed = action == "delete" or future
        own = run.created_by is not None and run.created_by.id == schedule.id
        if removed and not own:
            removed_other += 1
        if not removed and own:
            kept_own.append(iso(run.expected_start_time, timezone) or run.name)
        outcome: Outcome = "removed" if removed else "kept"
        if outcome == "kept" and own and cancel_kept:
            outcome = "cancelled"
        affected.append(
            AffectedRun(
                id=str(run.id),
                name=run.name,
                expected_start_time=iso(run.expected_start_time, timezone),
                state=run.state.name if run.state else None,
                outcome=outcome,
            )
        )
    notes: list[str] = []
    removed_count = sum(1 for a in affected if a.outcome == "removed")
    if removed_count:
        scope = "not-yet-started" if action == "delete" else "future"
        notes.append(
            f"The Prefect server {'would remove' if dry_run else 'removes'} "
            f"{removed_count} {scope} auto-scheduled "
            f"run(s) of this deployment ({removed_other} of them from its other "
            "schedules). The scheduler service recreates the future runs of the "
            "active schedules on its next loop (about a minute by default)."
        )
    if action == "delete" and removed_other:
        notes.append(
            "Past-due runs of the other schedules are removed too and are not "
            "recreated: the scheduler only makes future runs."
        )
    shown = ", ".join(kept_own[:10]) + (" ..." if len(kept_own) > 10 else "")
    if kept_own and cancel_kept:
        notes.append(
            f"{len(kept_own)} past-due run(s) of this schedule "
            f"{'would be' if dry_run else 'are'} cancelled (expected {shown}), "
            "as asked."
        )
    elif kept_own and action in ("pause", "update"):
        notes.append(
            f"{len(kept_own)} past-due run(s) of this schedule stay and will still "
            f"run when a worker picks them up (expected {shown}). Cancel them with "
            "cancel_flow_runs if they should not run."
        )
    return affected, notes


async def cancel_past_due(api: PrefectAPI, runs: list[AffectedRun]) -> list[str]:
    """Cancel runs that are still scheduled; sentences for those that were not."""
    from prefect_schedule_mcp.bulk.engine import cancel_runs, in_states

    outcome = await cancel_runs(
        api, [uuid.UUID(run.id) for run in runs], in_states(CANCELLABLE_STATES)
    )
    notes = []
    for run in runs:
        run_id = uuid.UUID(run.id)
        if run_id in outcome.failed:
            run.outcome = "kept"
            notes.append(f"Run {run.name} was not cancelled: {outcome.failed[run_id]}")
        elif run_id not in outcome.done:
            run.outcome = "kept"
            notes.append(
                f"Run {run.name} was not cancelled: it left the Scheduled state "
                "before the change (a worker may have picked it up)."
            )
    return notes


async def reconcile(
    api: PrefectAPI, deployment: Deployment, affected: list[AffectedRun]
) -> None:
    """Correct predicted outcomes with the runs that exist after the change."""
    present = {str(run.id) for run in await pending_auto_runs(api, deployment)}
    for run in affected:
        if run.outcome == "removed" and run.id in present:
            run.outcome = "kept"
        elif run.outcome != "removed" and run.id not in present:
            run.outcome = "removed"
