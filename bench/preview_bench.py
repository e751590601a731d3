"""Time previews: 1,000 run times of a cron, an interval and an rrule, and 10 warm.

Run: PYTHONPATH=src .venv/bin/python bench/preview_bench.py
Prints the median of several runs for each; the target is < 100 ms per
1,000-run preview.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from prefect_schedule_mcp.scheduling import (
    ScheduleSpec,
    next_runs,
    normalize_cron,
    normalize_interval,
    normalize_rrule,
)

REPEATS = 7
START = datetime(2024, 1, 1, tzinfo=UTC)


def median_ms(work: Callable[[], object], repeats: int = REPEATS) -> float:
    timings = []
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def main() -> None:
    began = time.perf_counter()
    specs: dict[str, ScheduleSpec] = {
        "cron '*/15 * * * *' America/New_York": normalize_cron(
            "*/15 * * * *", "America/New_York"
        ),
        "interval 1h America/New_York": normalize_interval(
            "1h", "2023-06-01T00:00:00", "America/New_York"
        ),
        "rrule hourly weekdays America/New_York": normalize_rrule(
            "DTSTART:20231201T000000\nRRULE:FREQ=HOURLY;BYDAY=MO,TU,WE,TH,FR",
            "America/New_York",
        ),
    }
    next_runs(specs["cron '*/15 * * * *' America/New_York"], START, 1)
    print(f"first use (imports Prefect): {(time.perf_counter() - began) * 1000:.0f} ms")
    for name, spec in specs.items():
        cold = median_ms(lambda spec=spec: next_runs(spec, START, 1000))
        warm = median_ms(lambda spec=spec: next_runs(spec, START, 10), repeats=21)
        print(f"{name:45s} 1000 runs: {cold:7.1f} ms   10 runs: {warm:6.2f} ms")


if __name__ == "__main__":
    main()
