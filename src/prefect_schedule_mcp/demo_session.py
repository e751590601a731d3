"""The demo's side of the MCP conversation: numbered calls, printed as they go.

Each call is shown with its arguments and a trimmed result; a failed call or
a false check ends the demo with a message that says which one.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastmcp import Client

# Seconds one demo call may take before the demo gives up on it.
CALL_TIMEOUT = 60.0

# How much of a result the transcript shows.
MAX_LIST_ITEMS = 4
MAX_STRING = 140
RULE = "-" * 78


class DemoFailure(Exception):
    """A call or a check of the demo did not give what it should."""


def expect(condition: bool, message: str) -> None:
    """A fact the demo shows; a false one ends the demo."""
    if not condition:
        say(f"  FAILED: {message}")
        raise DemoFailure(f"this check did not hold: {message}")
    say(f"  ok: {message}")


def say(text: str = "") -> None:
    print(text, flush=True)


def compact(value: Any) -> Any:
    """A result trimmed for reading: no nulls, short lists, short strings."""
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        shown = [compact(item) for item in value[:MAX_LIST_ITEMS]]
        if len(value) > MAX_LIST_ITEMS:
            shown.append(f"... {len(value) - MAX_LIST_ITEMS} more")
        return shown
    if isinstance(value, str) and len(value) > MAX_STRING:
        return value[:MAX_STRING] + "..."
    return value


def indented(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def render_call(tool: str, arguments: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in arguments.items())
    return f"{tool}({shown})"


class Session:
    """The MCP client side of the demo: numbered calls, printed as they go."""

    def __init__(self, client: Client[Any]) -> None:
        self.client = client
        self.steps = 0
        self.called: set[str] = set()

    def _header(self, tool: str, arguments: dict[str, Any], why: str) -> None:
        self.steps += 1
        say(RULE)
        say(f"[{self.steps}] {why}")
        say(f"> {render_call(tool, arguments)}")

    async def _call(self, tool: str, arguments: dict[str, Any]) -> tuple[Any, float]:
        started = time.perf_counter()
        try:
            result = await self.client.call_tool(
                tool, arguments, raise_on_error=False, timeout=CALL_TIMEOUT
            )
        except Exception as e:
            raise DemoFailure(
                f"{tool} could not be called over MCP: {type(e).__name__}: {e}"
            ) from e
        self.called.add(tool)
        return result, time.perf_counter() - started

    async def call(self, tool: str, why: str, **arguments: Any) -> dict[str, Any]:
        """Call a tool that must succeed; print and return its result."""
        self._header(tool, arguments, why)
        result, elapsed = await self._call(tool, arguments)
        text = " ".join(getattr(block, "text", "") for block in result.content)
        if result.is_error:
            say(f"< error ({elapsed:.2f} s): {text}")
            raise DemoFailure(f"{tool} failed unexpectedly: {text}")
        if result.structured_content is None:
            raise DemoFailure(f"{tool} returned no structured result: {text}")
        data = dict(result.structured_content)
        say(f"< result ({elapsed:.2f} s):")
        say(indented(json.dumps(compact(data), indent=2, ensure_ascii=False)))
        return data

    async def call_error(self, tool: str, why: str, **arguments: Any) -> str:
        """Call a tool that must refuse the call; print and return the error."""
        self._header(tool, arguments, why)
        result, elapsed = await self._call(tool, arguments)
        if not result.is_error:
            raise DemoFailure(
                f"{tool} accepted {arguments} but should have refused it: "
                f"{result.structured_content}"
            )
        text = " ".join(getattr(block, "text", "") for block in result.content)
        say(f"< tool error, as expected ({elapsed:.2f} s):")
        say(indented(text))
        return text
