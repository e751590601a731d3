"""Bulk work on flow runs: plan every matching run, then act on the plan.

``engine`` pages, guards and retries; ``operations`` turns a plan into the
result of ``reschedule_late_flow_runs`` or ``cancel_flow_runs``.
"""

from prefect_schedule_mcp.bulk.engine import (
    BulkOutcome,
    PlannedRun,
    plan_runs,
)
from prefect_schedule_mcp.bulk.operations import (
    ReschedulePlan,
    cancel,
    plan_reschedule,
    reschedule,
)

__all__ = [
    "BulkOutcome",
    "PlannedRun",
    "ReschedulePlan",
    "cancel",
    "plan_reschedule",
    "plan_runs",
    "reschedule",
]
