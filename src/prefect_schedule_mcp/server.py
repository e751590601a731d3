"""The MCP application: tools, their annotations, and the one error boundary.

Every failure inside a tool becomes an MCP tool error here (``isError: true``)
with a message for the model; unexpected exceptions are logged with their
traceback on stderr and reported without it, and the server keeps serving.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.exceptions import ValidationError as ArgumentsRefused
from fastmcp.server.auth import AuthProvider
from fastmcp.server.middleware import Middleware, MiddlewareContext
from pydantic import ValidationError

from prefect_schedule_mcp import __version__
from prefect_schedule_mcp.errors import ScheduleToolError
from prefect_schedule_mcp.prefect_api import PrefectAPI
from prefect_schedule_mcp.settings import Settings

logger = logging.getLogger(__name__)

SERVER_NAME = "prefect-schedule-mcp"
INSTRUCTIONS = """\
Schedules Prefect 3 deployments and flow runs. Preview a schedule with
preview_schedule before creating it. Deployments are named 'flow/deployment'.
Times are ISO 8601; a time without an offset is wall-clock time in the call's
timezone. Bulk tools (reschedule_late_flow_runs, cancel_flow_runs) default to
dry_run=true: show the user what would happen, then call again with
dry_run=false."""


# Tools that never call the Prefect API.
OFFLINE_TOOLS = frozenset({"preview_schedule"})


class ErrorBoundary(Middleware):
    """Turns every failure of a tool into a tool error, and logs each call.

    A call that outlives ``call_timeout`` (a hanging Prefect API, say) is
    cancelled and reported; the server keeps serving other calls. Once the
    tools are listed, it starts importing Prefect in the background.
    """

    def __init__(self, api: PrefectAPI, call_timeout: float) -> None:
        self.api = api
        self.call_timeout = call_timeout

    async def on_call_tool(
        self, context: MiddlewareContext[Any], call_next: Any
    ) -> Any:
        name = getattr(context.message, "name", "?")
        started = time.perf_counter()
        outcome = "ok"
        try:
            with anyio.fail_after(self.call_timeout):
                return await call_next(context)
        except TimeoutError as e:
            outcome = "timed out"
            if name in OFFLINE_TOOLS:
                raise ToolError(
                    f"{name} did not finish within {self.call_timeout:.0f} s: the "
                    "schedule's run times take too long to compute (a rule that "
                    "matches rarely, or never, is walked date by date). Ask for "
                    "fewer runs or simplify the rule; "
                    "PREFECT_SCHEDULE_MCP_CALL_TIMEOUT sets the limit."
                ) from e
            raise ToolError(
                f"{name} did not finish within {self.call_timeout:.0f} s: the "
                f"Prefect API at {self.api.api_url} is slow or not answering. Check "
                "the server, or raise PREFECT_SCHEDULE_MCP_CALL_TIMEOUT. Changes "
                "already made stay made; a dry run shows what is left."
            ) from e
        except ScheduleToolError:
            outcome = "refused"
            raise
        except ArgumentsRefused as e:
            # The arguments did not fit the tool's schema: say which and how,
            # in place of pydantic's report.
            outcome = "refused"
            if isinstance(e.__cause__, ValidationError):
                raise ToolError(argument_errors(name, e.__cause__)) from e
            raise
        except ToolError as e:
            # FastMCP has logged the traceback of anything else a tool raised
            # and wrapped it; say plainly that it is our fault, not the call's.
            if e.__cause__ is None or isinstance(e.__cause__, ToolError):
                outcome = "refused"
                raise
            outcome = "internal error"
            cause = e.__cause__
            raise ToolError(
                f"{name} failed with an unexpected {type(cause).__name__}: {cause}. "
                "The server keeps running; if it repeats, report it with the "
                "server's stderr log."
            ) from cause
        finally:
            logger.info(
                "tool %s %s in %.0f ms",
                name,
                outcome,
                (time.perf_counter() - started) * 1000,
            )

    async def on_list_tools(
        self, context: MiddlewareContext[Any], call_next: Any
    ) -> Any:
        tools = await call_next(context)
        # The client has what it needs to start; now load Prefect for the
        # first call, in the background (see preload.py).
        self.api.preload.start_soon()
        return tools


def argument_errors(tool: str, error: ValidationError) -> str:
    """Arguments the tool's schema refused, said for the model that sent them."""
    problems = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        if item["type"] == "unexpected_keyword_argument":
            problems.append(f"{where}: not a parameter of {tool}")
            continue
        reason = item["msg"].rstrip(".")
        if "input" in item and item["type"] != "missing":
            reason += f" (got {item['input']!r})"
        problems.append(f"{where}: {reason}")
    return (
        f"Invalid arguments for {tool}: {'; '.join(problems)}. Call again with "
        "these fixed; the tool's input schema gives each parameter's type and "
        "range."
    )


def build_server(
    settings: Settings | None = None,
    api_url: str | None = None,
    auth: AuthProvider | None = None,
) -> FastMCP:
    """The MCP server with every tool; write tools only when not read-only.

    ``auth`` guards the HTTP transport (stdio needs none: its peer is the
    process that started it).
    """
    from prefect_schedule_mcp.tools import (
        deployments,
        manage,
        one_time,
        runs,
        schedules,
    )

    settings = settings or Settings.from_env()
    api = PrefectAPI(settings, api_url=api_url)

    @asynccontextmanager
    async def lifespan(_: FastMCP) -> AsyncIterator[dict[str, Any]]:
        try:
            yield {}
        finally:
            await api.aclose()

    mcp = FastMCP(
        SERVER_NAME,
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        auth=auth,
        middleware=[ErrorBoundary(api, settings.call_timeout)],
        mask_error_details=False,
    )
    for family in (deployments, schedules, manage, one_time, runs):
        family.register(mcp, api, read_only=settings.read_only)
    if settings.read_only:
        logger.info("Read-only mode: tools that change Prefect are not offered")
    return mcp
