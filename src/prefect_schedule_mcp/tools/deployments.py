"""Finding deployments to act on."""

from __future__ import annotations

from typing import Annotated

from fastmcp import FastMCP
from pydantic import Field

from prefect_schedule_mcp.models import DeploymentList, DeploymentSummary
from prefect_schedule_mcp.prefect_api import PAGE_SIZE, PrefectAPI
from prefect_schedule_mcp.tools import read_tool

DEFAULT_LIMIT = 50


def register(mcp: FastMCP, api: PrefectAPI, *, read_only: bool) -> None:
    @mcp.tool(annotations=read_tool("List deployments"))
    async def list_deployments(
        search: Annotated[
            str | None,
            Field(
                description="Text in the 'flow/deployment' name (case-insensitive "
                "substring; 'etl/night' matches flow etl's deployment nightly). "
                "Omit to list all."
            ),
        ] = None,
        limit: Annotated[
            int, Field(ge=1, le=PAGE_SIZE, description="At most 200 deployments.")
        ] = DEFAULT_LIMIT,
    ) -> DeploymentList:
        """Find deployments to schedule. Each is named 'flow name/deployment name';
        pass that name (or the id) as `deployment` to the other tools. Shows
        whether it is paused, its work pool, how many schedules it has and its
        default parameters."""
        found, more = await api.search_deployments(search, limit)
        warnings = []
        if more:
            warnings.append(
                f"Showing the first {len(found)} deployments by name; there may be "
                "more. Narrow the search, or raise limit (up to 200)."
            )
        return DeploymentList(
            warnings=warnings,
            deployments=[
                DeploymentSummary(
                    id=str(d.id),
                    name=d.name,
                    paused=bool(d.raw.paused),
                    work_pool=d.raw.work_pool_name,
                    schedule_count=len(d.raw.schedules or []),
                    parameters=dict(d.raw.parameters or {}),
                )
                for d in found
            ],
        )
