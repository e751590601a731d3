"""Result models of the tools: the fields a client sees, as the contract fixes them.

Times are ISO 8601 strings with an explicit offset, in the schedule's time zone
(or the zone the call gave, UTC otherwise). Ids are strings.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Result(BaseModel):
    """A result that can carry caveats for the user."""

    warnings: list[str] = Field(
        default_factory=list, description="Plain sentences the user should read."
    )


class DeploymentSummary(BaseModel):
    id: str
    name: str = Field(description="'flow name/deployment name'")
    paused: bool
    work_pool: str | None
    schedule_count: int
    parameters: dict[str, Any]


class DeploymentList(Result):
    deployments: list[DeploymentSummary]


class DeploymentRef(BaseModel):
    id: str
    name: str


class DeploymentState(DeploymentRef):
    paused: bool


class ScheduleInfo(BaseModel):
    """A deployment schedule: its identity, its meaning and its definition.

    The definition fields are those of the schedule's type: ``cron`` and
    ``day_or``; ``interval`` (seconds) and ``anchor_date``; or ``rrule``.
    """

    id: str | None = Field(description="None in a dry run of a creation.")
    slug: str | None
    active: bool
    type: Literal["cron", "interval", "rrule"]
    timezone: str
    description: str
    parameters: dict[str, Any]
    cron: str | None = None
    day_or: bool | None = None
    interval: float | None = Field(default=None, description="Seconds.")
    anchor_date: str | None = None
    rrule: str | None = None
    next_runs: list[str] | None = Field(
        default=None, description="Only in list_deployment_schedules."
    )


class SchedulePreview(Result):
    schedule: dict[str, Any] = Field(
        description="The normalized definition, exactly as it would be sent to Prefect."
    )
    timezone: str
    description: str
    next_runs: list[str]


class ScheduleCreated(Result):
    deployment: DeploymentRef
    schedule: ScheduleInfo
    next_runs: list[str]
    dry_run: bool


class DeploymentSchedules(BaseModel):
    deployment: DeploymentState
    schedules: list[ScheduleInfo]


class AffectedRun(BaseModel):
    id: str
    name: str
    expected_start_time: str | None
    state: str | None
    outcome: Literal["removed", "kept", "cancelled"] = Field(
        description="What the change does to the run."
    )


class ScheduleChanged(Result):
    action: Literal["pause", "resume", "update", "delete"]
    schedule: ScheduleInfo
    affected_runs: list[AffectedRun]
    dry_run: bool


class FlowRunInfo(BaseModel):
    id: str
    name: str
    deployment: str | None
    state: str | None
    scheduled_time: str | None
    parameters: dict[str, Any]
    tags: list[str]


class OneTimeRun(Result):
    flow_run: FlowRunInfo
    already_existed: bool = Field(
        default=False,
        description="True when the idempotency key matched an existing run.",
    )


class FlowRunSummary(BaseModel):
    id: str
    name: str
    deployment: str | None
    state: str | None
    expected_start_time: str | None
    scheduled_time: str | None
    late_by_seconds: float | None
    parameters: dict[str, Any]
    tags: list[str]


class FlowRunList(Result):
    total: int
    flow_runs: list[FlowRunSummary]


class RescheduledRun(BaseModel):
    id: str
    name: str
    expected_start_time: str | None
    new_scheduled_time: str


class FailedRun(BaseModel):
    id: str
    error: str


class RescheduleResult(Result):
    dry_run: bool
    rescheduled: list[RescheduledRun]
    deleted: list[str]
    failed: list[FailedRun]


class CancelledRun(BaseModel):
    id: str
    name: str
    final_state: str | None


class CancelResult(Result):
    dry_run: bool
    matched: int
    cancelled: list[CancelledRun]
    failed: list[FailedRun]
