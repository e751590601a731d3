"""schedule_one_time_run: the input it refuses before anything is created."""

from __future__ import annotations

import uuid
from typing import Any

from fastmcp import Client

from tests.conftest import DeploymentFactory, call, call_error

# What Prefect records for a flow that takes no parameters.
NO_PARAMETERS = {"type": "object", "title": "Parameters", "properties": {}}


async def test_a_blank_idempotency_key_is_refused(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    _, name = await make_deployment()
    for blank in ("", "  "):
        text = await call_error(
            mcp_client,
            "schedule_one_time_run",
            deployment=name,
            delay="5h",
            idempotency_key=blank,
        )
        assert "idempotency_key" in text
        assert "blank" in text
    listed = await call(mcp_client, "list_flow_runs", deployment=name)
    assert listed["total"] == 0


async def test_a_flow_without_parameters_takes_none(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    _, name = await make_deployment(
        name=f"plain-{uuid.uuid4().hex[:6]}",
        parameters={},
        parameter_schema=NO_PARAMETERS,
    )
    for tool, arguments in (
        ("schedule_one_time_run", {"delay": "5h"}),
        ("create_cron_schedule", {"cron": "0 6 * * *"}),
    ):
        text = await call_error(
            mcp_client, tool, deployment=name, parameters={"z": 1}, **arguments
        )
        assert "no parameter named 'z'" in text, tool
        assert "takes no parameters" in text, tool
    created = await call(
        mcp_client, "schedule_one_time_run", deployment=name, delay="5h"
    )
    assert created["flow_run"]["parameters"] == {}
