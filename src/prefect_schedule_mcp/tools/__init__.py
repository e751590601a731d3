"""The tool families: deployments, schedules and flow runs.

Each module has a ``register(mcp, api, read_only=...)`` that adds its tools to
the server; write tools are left out in read-only mode.
"""

from __future__ import annotations

from mcp.types import ToolAnnotations


def read_tool(title: str) -> ToolAnnotations:
    """Annotations of a tool that changes nothing."""
    return ToolAnnotations(
        title=title,
        read_only_hint=True,
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=True,
    )


def write_tool(title: str, *, destructive: bool, idempotent: bool) -> ToolAnnotations:
    """Annotations of a tool that changes the Prefect server."""
    return ToolAnnotations(
        title=title,
        read_only_hint=False,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=True,
    )
