"""How many bulk calls to keep in flight, chosen by the server's database.

A SQLite-backed Prefect server serializes every write: calls in flight at
once only wait on each other's locks (and fail with "database is locked"),
so one at a time is fastest. A PostgreSQL-backed server takes bulk deletes
two at a time; state changes, which the server orchestrates one run at a
time in Python, gain nothing from more. The defaults below come from the benchmark
(``bench/late_runs_bench.py --sweep``); the README lists its figures.

The database is found out once per API, by the first of:

1. ``PREFECT_SCHEDULE_MCP_BULK_CONCURRENCY``, which overrides everything;
2. the server's ``/admin/settings`` when they name the database (a driver,
   a host, or a connection URL the server did not hide);
3. ``/flow_runs/lateness`` for one run: SQLite computes it from whole
   seconds (``strftime('%s')``), PostgreSQL from exact intervals, so only
   PostgreSQL answers with a fraction of a second.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Literal

from prefect_schedule_mcp.errors import ScheduleToolError
from prefect_schedule_mcp.prefect_api import PrefectAPI

logger = logging.getLogger(__name__)

Database = Literal["sqlite", "postgresql", "unknown"]
Operation = Literal["move", "cancel", "delete"]

CONCURRENCY: dict[Database, dict[Operation, int]] = {
    "sqlite": {"move": 1, "cancel": 1, "delete": 1},
    "postgresql": {"move": 1, "cancel": 1, "delete": 2},
    # One at a time is never far from the best on either database.
    "unknown": {"move": 1, "cancel": 1, "delete": 1},
}

_known: dict[str, Database] = {}


def _from_settings(settings: dict[str, Any]) -> Database:
    database = (settings.get("server") or {}).get("database") or {}
    hints = [database.get("driver"), database.get("connection_url")]
    for hint in hints:
        text = str(hint or "")
        if text.startswith("postgresql"):
            return "postgresql"
        if text.startswith("sqlite"):
            return "sqlite"
    if database.get("host"):
        return "postgresql"
    return "unknown"


async def _from_lateness(api: PrefectAPI, run_id: uuid.UUID) -> Database:
    lateness = await api.post(
        "/flow_runs/lateness",
        {"flow_runs": {"id": {"any_": [str(run_id)]}}},
        "Reading the lateness of a flow run",
    )
    if not isinstance(lateness, int | float) or lateness <= 0:
        return "unknown"
    return "sqlite" if float(lateness).is_integer() else "postgresql"


async def detect_database(api: PrefectAPI, run_id: uuid.UUID | None) -> Database:
    """What the Prefect server stores its data in, as far as it can be told."""
    key = api.api_url
    if key in _known:
        return _known[key]
    found: Database = "unknown"
    try:
        client = await api.client()
        async with api.calling("Reading the server's settings"):
            response = await client.request("GET", "/admin/settings")
        found = _from_settings(response.json())
        if found == "unknown" and run_id is not None:
            found = await _from_lateness(api, run_id)
    except ScheduleToolError as e:
        logger.debug("Could not tell the server's database: %s", e)
    if found != "unknown":
        _known[key] = found
    logger.info("The Prefect server at %s runs on %s", key, found)
    return found


async def bulk_concurrency(
    api: PrefectAPI, operation: Operation, run_id: uuid.UUID | None = None
) -> int:
    """Calls to keep in flight for ``operation`` against this API."""
    if api.settings.bulk_concurrency is not None:
        return api.settings.bulk_concurrency
    return CONCURRENCY[await detect_database(api, run_id)][operation]
