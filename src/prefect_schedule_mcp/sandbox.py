"""Objects to schedule against: a flow, a work pool with no worker, a deployment.

The demo and the test suite use these so that every tool meets a real
deployment on a real Prefect server. Nothing here runs a flow: with no worker
polling the pool, scheduled runs stay Scheduled and later turn Late, which is
exactly what the late-run tools are for.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient

DEMO_PARAMETER_SCHEMA: dict[str, Any] = {
    "title": "Parameters",
    "type": "object",
    "properties": {
        "x": {"title": "x", "type": "integer", "default": 1},
        "y": {"title": "y", "type": "integer", "default": 2},
        "label": {"title": "label", "type": "string", "default": "nightly"},
    },
}


async def ensure_work_pool(client: PrefectClient, name: str) -> None:
    """A process work pool (no worker is ever started for it)."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with contextlib.suppress(ObjectAlreadyExists):
        await client.create_work_pool(WorkPoolCreate(name=name, type="process"))


async def create_deployment(
    client: PrefectClient,
    flow_name: str,
    deployment_name: str,
    *,
    work_pool: str = "no-worker-pool",
    parameters: dict[str, Any] | None = None,
    parameter_schema: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    job_variables: dict[str, Any] | None = None,
) -> uuid.UUID:
    """Create (or update) a deployment of a flow by name; returns its id."""
    await ensure_work_pool(client, work_pool)
    flow_id = await client.create_flow_from_name(flow_name)
    return await client.create_deployment(
        flow_id=flow_id,
        name=deployment_name,
        work_pool_name=work_pool,
        entrypoint="demo_flows.py:demo_flow",
        parameters=parameters if parameters is not None else {"x": 1, "y": 2},
        parameter_openapi_schema=parameter_schema or DEMO_PARAMETER_SCHEMA,
        tags=tags or [],
        job_variables=job_variables or {},
    )
