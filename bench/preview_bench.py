"""Time previews: 1,000 run times of a cron, an interval and an rrule, and 10.

Run: .venv/bin/python bench/preview_bench.py   (or python3 dev.py bench)

For each schedule it prints the median of several runs of:

- ``next_runs`` for 1,000 run times (computed every time);
- ``next_runs`` for 10 run times, computed (the kept windows cleared first),
  and again from the window the previous call kept;
- the whole ``preview_schedule`` tool for 1,000 run times (normalizing,
  times, warnings, description and the result model), called through an
  in-process MCP client, which is what an assistant waits for.

The target is < 100 ms per 1,000-run preview.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from prefect_schedule_mcp.scheduling import (
    ScheduleSpec,
    next_runs,
    normalize_cron,
    normalize_interval,
    normalize_rrule,
)
from prefect_schedule_mcp.scheduling import preview as preview_module

REPEATS = 7
START = datetime(2024, 1, 1, tzinfo=UTC)
TARGET_MS = 100.0

# name: (tool arguments, the same schedule normalized)
SCHEDULES: dict[str, tuple[dict[str, Any], Callable[[], ScheduleSpec]]] = {
    "cron '*/15 * * * *' America/New_York": (
        {"cron": "*/15 * * * *", "timezone": "America/New_York"},
        lambda: normalize_cron("*/15 * * * *", "America/New_York"),
    ),
    "interval 1h America/New_York": (
        {
            "interval": "1h",
            "anchor_date": "2023-06-01T00:00:00",
            "timezone": "America/New_York",
        },
        lambda: normalize_interval("1h", "2023-06-01T00:00:00", "America/New_York"),
    ),
    "rrule hourly weekdays America/New_York": (
        {
            "rrule": "DTSTART:20231201T000000\nRRULE:FREQ=HOURLY;BYDAY=MO,TU,WE,TH,FR",
            "timezone": "America/New_York",
        },
        lambda: normalize_rrule(
            "DTSTART:20231201T000000\nRRULE:FREQ=HOURLY;BYDAY=MO,TU,WE,TH,FR",
            "America/New_York",
        ),
    ),
}


def median_ms(work: Callable[[], object], repeats: int = REPEATS) -> float:
    timings = []
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


async def amedian_ms(work: Callable[[], Awaitable[object]]) -> float:
    timings = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        await work()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def computed_10(spec: ScheduleSpec) -> None:
    preview_module._windows.clear()
    next_runs(spec, START, 10)


async def tool_figures() -> dict[str, float]:
    """preview_schedule for 1,000 runs through an in-process MCP client."""
    from fastmcp import Client

    from prefect_schedule_mcp.server import build_server
    from prefect_schedule_mcp.settings import Settings

    figures = {}
    async with Client(build_server(Settings())) as client:
        for name, (arguments, _) in SCHEDULES.items():
            call = arguments | {"count": 1000, "start_after": START.isoformat()}

            async def preview(call: dict[str, Any] = call) -> None:
                result = await client.call_tool("preview_schedule", call)
                assert len(result.structured_content["next_runs"]) == 1000

            await preview()
            figures[name] = await amedian_ms(preview)
    return figures


def main() -> None:
    began = time.perf_counter()
    specs = {name: make() for name, (_, make) in SCHEDULES.items()}
    next_runs(next(iter(specs.values())), START, 1)
    print(f"first use (imports Prefect): {(time.perf_counter() - began) * 1000:.0f} ms")
    tool = asyncio.run(tool_figures())
    print(
        f"{'median ms':40s} {'1000 runs':>10s} {'10 computed':>12s} "
        f"{'10 again':>9s} {'tool, 1000':>11s}"
    )
    for name, spec in specs.items():
        thousand = median_ms(lambda spec=spec: next_runs(spec, START, 1000))
        ten = median_ms(lambda spec=spec: computed_10(spec), repeats=21)
        next_runs(spec, START, 10)
        again = median_ms(lambda spec=spec: next_runs(spec, START, 10), repeats=21)
        print(
            f"{name:40s} {thousand:10.1f} {ten:12.2f} {again:9.3f} {tool[name]:11.1f}"
        )
    worst = max(tool.values())
    verdict = "met" if worst < TARGET_MS else "MISSED"
    print(
        f"\n  [{verdict}] slowest 1,000-run preview_schedule {worst:.1f} ms (< 100 ms)"
    )


if __name__ == "__main__":
    main()
