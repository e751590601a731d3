"""Bulk late-run cases run against every database the tests start.

Each case takes the fixtures it needs as arguments, so that
``test_bulk.py`` (SQLite) and ``test_bulk_postgres.py`` run the same checks
against their own Prefect server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from fastmcp import Client

from prefect_schedule_mcp.prefect_api import PrefectAPI
from prefect_schedule_mcp.settings import Settings
from tests.conftest import DeploymentFactory, call
from tests.fault_proxy import CuttingProxy
from tests.tools.test_runs import count_in, create_runs, hours_ago, set_running

RUN_COUNT = 230
FIELDS: dict[str, Any] = {
    "parameters": {"x": 7},
    "tags": ["bulk-case"],
    "job_variables": {"env": {"CASE": "1"}},
}


async def late_runs(
    prefect_client: Any, deployment_id: uuid.UUID, count: int = RUN_COUNT
) -> list[uuid.UUID]:
    """``count`` Late runs, newest first, a minute apart, with ``FIELDS``."""
    times = hours_ago(*[1 + i / 60 for i in range(count)])
    return await create_runs(prefect_client, deployment_id, times, **FIELDS)


async def database_of(api_url: str, run_id: uuid.UUID) -> str:
    """What the bulk engine decides the server's database is."""
    from prefect_schedule_mcp.bulk.concurrency import detect_database

    api = PrefectAPI(Settings(), api_url=api_url)
    try:
        return await detect_database(api, run_id)
    finally:
        await api.aclose()


@contextlib.asynccontextmanager
async def faulty_client(
    api_url: str, allowed: int, lose_answer: bool = False
) -> AsyncIterator[Client[Any]]:
    """An MCP client whose server reaches Prefect through a cutting proxy.

    Prefect's client would retry a broken connection for about a minute;
    with no retries the fault shows at once, which is what the test is about.
    """
    from prefect.settings import PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    from prefect_schedule_mcp.server import build_server

    port = urlsplit(api_url).port
    assert port is not None
    with temporary_settings({PREFECT_CLIENT_MAX_RETRIES: 0}):
        async with CuttingProxy(port, allowed, lose_answer=lose_answer) as proxy:
            server = build_server(Settings(), api_url=proxy.url)
            async with Client(server) as client:
                yield client
            assert proxy.cut, "the proxy never cut: the fault did not happen"


async def assert_runs_intact(
    prefect_client: Any, run_ids: list[str], delay: dt.timedelta
) -> None:
    """Each run still exists, at expected start + delay, with its own fields."""
    for run_id in run_ids:
        run = await prefect_client.read_flow_run(uuid.UUID(run_id))
        assert run.parameters == {"x": 7, "y": 2}
        assert "bulk-case" in run.tags
        assert run.job_variables == FIELDS["job_variables"]
        assert run.next_scheduled_start_time == run.expected_start_time + delay


async def reschedule_every_page(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    ids = await late_runs(prefect_client, deployment_id)
    done = await call(
        mcp_client,
        "reschedule_late_flow_runs",
        deployment=name,
        delay="1d",
        most_recent_n=30,
        dry_run=False,
    )
    assert [r["id"] for r in done["rescheduled"]] == [str(i) for i in ids[:30]]
    assert sorted(done["deleted"]) == sorted(str(i) for i in ids[30:])
    assert done["failed"] == []
    assert await count_in(prefect_client, deployment_id, ["Late"]) == 0
    assert await count_in(prefect_client, deployment_id, ["Scheduled"]) == 30
    await assert_runs_intact(
        prefect_client, [r["id"] for r in done["rescheduled"]], dt.timedelta(days=1)
    )


async def reschedule_survives_a_fault(
    api_url: str,
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    prefect_client: Any,
    allowed: int,
) -> None:
    """Cut the API after ``allowed`` changes; a second call finishes the job.

    With 100 runs kept of 230, the first 100 changes are moves and the next
    three are deletions of 50, 50 and 30 runs.
    """
    deployment_id, name = await make_deployment()
    ids = {str(i) for i in await late_runs(prefect_client, deployment_id)}
    arguments = {
        "deployment": name,
        "delay": "1d",
        "most_recent_n": 100,
        "dry_run": False,
    }
    async with faulty_client(api_url, allowed) as faulty:
        first = await call(faulty, "reschedule_late_flow_runs", **arguments)
    moved = {r["id"] for r in first["rescheduled"]}
    deleted = set(first["deleted"])
    failed = {f["id"] for f in first["failed"]}
    assert len(moved) == min(allowed, 100)
    assert len(deleted) == 50 * max(0, allowed - 100)
    assert not moved & failed
    assert moved | deleted | failed <= ids
    assert any("unreachable" in w for w in first["warnings"])
    # What the result says is what the server holds.
    assert await count_in(prefect_client, deployment_id, ["Scheduled"]) == len(moved)
    remaining = await count_in(prefect_client, deployment_id, ["Late"])
    assert remaining == len(ids) - len(moved) - len(deleted)

    second = await call(mcp_client, "reschedule_late_flow_runs", **arguments)
    assert second["failed"] == []
    moved |= {r["id"] for r in second["rescheduled"]}
    assert len(moved) == 100
    assert not deleted & set(second["deleted"])
    deleted |= set(second["deleted"])
    assert moved | deleted == ids
    assert not moved & deleted
    assert await count_in(prefect_client, deployment_id, ["Late"]) == 0
    assert await count_in(prefect_client, deployment_id, ["Scheduled"]) == 100
    total = await prefect_client.count_flow_runs(
        flow_run_filter=_of_deployment(deployment_id)
    )
    assert total == 100
    await assert_runs_intact(prefect_client, sorted(moved), dt.timedelta(days=1))


async def cancel_survives_a_fault(
    api_url: str,
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    prefect_client: Any,
    allowed: int,
) -> None:
    """Cut the API after ``allowed`` cancel calls of 50; a second call finishes."""
    deployment_id, name = await make_deployment()
    ids = {str(i) for i in await late_runs(prefect_client, deployment_id)}
    arguments = {"states": ["Late"], "deployment": name, "dry_run": False}
    async with faulty_client(api_url, allowed) as faulty:
        first = await call(faulty, "cancel_flow_runs", **arguments)
    cancelled = {r["id"] for r in first["cancelled"]}
    failed = {f["id"] for f in first["failed"]}
    assert len(cancelled) == 50 * allowed
    assert cancelled | failed == ids
    assert not cancelled & failed
    assert any("unreachable" in w for w in first["warnings"])
    assert await count_in(prefect_client, deployment_id, ["Cancelled"]) == len(
        cancelled
    )
    for run_id in failed:
        run = await prefect_client.read_flow_run(uuid.UUID(run_id))
        assert run.state.name == "Late"

    second = await call(mcp_client, "cancel_flow_runs", **arguments)
    assert second["failed"] == []
    assert {r["id"] for r in second["cancelled"]} == failed
    assert await count_in(prefect_client, deployment_id, ["Cancelled"]) == len(ids)
    total = await prefect_client.count_flow_runs(
        flow_run_filter=_of_deployment(deployment_id)
    )
    assert total == len(ids)
    for run_id in sorted(ids)[:20]:
        run = await prefect_client.read_flow_run(uuid.UUID(run_id))
        assert run.parameters == {"x": 7, "y": 2}
        assert "bulk-case" in run.tags


async def cancel_with_a_lost_answer(
    api_url: str,
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    prefect_client: Any,
) -> None:
    """The third cancel call of 50 is applied but its answer is lost.

    Its runs are reported failed with an unknown outcome, not as unchanged;
    a second call cancels the rest and touches none of them twice.
    """
    deployment_id, name = await make_deployment()
    ids = {str(i) for i in await late_runs(prefect_client, deployment_id)}
    arguments = {"states": ["Late"], "deployment": name, "dry_run": False}
    async with faulty_client(api_url, 2, lose_answer=True) as faulty:
        first = await call(faulty, "cancel_flow_runs", **arguments)
    cancelled = {r["id"] for r in first["cancelled"]}
    assert len(cancelled) == 100
    unknown = {f["id"] for f in first["failed"] if "may have changed" in f["error"]}
    untouched = {f["id"] for f in first["failed"]} - unknown
    assert len(unknown) == 50
    assert len(untouched) == len(ids) - 150
    assert cancelled | unknown | untouched == ids
    [warning] = [w for w in first["warnings"] if "unreachable" in w]
    assert f"{len(untouched)} were left unchanged" in warning
    assert "50 were in a request that got no answer" in warning
    # The lost answer's runs were cancelled on the server; the others were not.
    for run_id in sorted(unknown)[:10]:
        run = await prefect_client.read_flow_run(uuid.UUID(run_id))
        assert run.state.type.value == "CANCELLED"
    for run_id in sorted(untouched)[:10]:
        run = await prefect_client.read_flow_run(uuid.UUID(run_id))
        assert run.state.name == "Late"

    second = await call(mcp_client, "cancel_flow_runs", **arguments)
    assert second["failed"] == []
    assert {r["id"] for r in second["cancelled"]} == untouched
    assert await count_in(prefect_client, deployment_id, ["Cancelled"]) == len(ids)
    total = await prefect_client.count_flow_runs(
        flow_run_filter=_of_deployment(deployment_id)
    )
    assert total == len(ids)


PAGING_RUNS = 315
# Runs sharing one expected start time; each group straddles the first page's
# end in one of the two orders.
TIED = (range(95, 125), range(190, 220))


class ChangingAPI(PrefectAPI):
    """The Prefect API, with runs changed on the server after the first page.

    It stands in for what happens on a busy server while a plan is read: a
    worker picks runs up, the late-run service renames runs Late.
    """

    def __init__(
        self,
        api_url: str,
        change: Callable[[list[dict[str, Any]]], Awaitable[None]],
    ) -> None:
        super().__init__(Settings(), api_url=api_url)
        self._change = change
        self.pages = 0

    async def post(self, path: str, payload: dict[str, Any], what: str) -> Any:
        answer = await super().post(path, payload, what)
        if path == "/flow_runs/filter":
            self.pages += 1
            if self.pages == 1:
                await self._change(answer)
        return answer


async def plan_reads_each_run_once(
    api_url: str,
    make_deployment: DeploymentFactory,
    prefect_client: Any,
    newest_first: bool,
    leaving: int,
    joining: int,
    limit: int | None,
) -> None:
    """Runs leave and join the match set after the first page is read.

    ``leaving`` runs of the first page start (they leave the Late set) and
    ``joining`` new Late runs appear ahead of the read position. Read by
    offset, the second page would then start ``joining - leaving`` runs
    early (repeating runs) or late (skipping them). The plan must hold each
    run that matched throughout exactly once, and no run that joined behind
    the read position. With a ``limit``, the plan is cancelled as
    ``cancel_flow_runs`` does it: the warning counts the runs cancelled.
    """
    from prefect.client.schemas.sorting import FlowRunSort

    from prefect_schedule_mcp import bulk
    from prefect_schedule_mcp.bulk.filters import run_filter

    deployment_id, _ = await make_deployment()
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=10)

    def at(minute: float) -> dt.datetime:
        return start + dt.timedelta(minutes=minute)

    minutes = list(range(PAGING_RUNS))
    for group in TIED:
        for i in group:
            minutes[i] = group[0]
    ids = await create_runs(prefect_client, deployment_id, [at(m) for m in minutes])
    order = list(reversed(ids)) if newest_first else ids
    # Ahead of the read position: newer than all when newest first, else older.
    ahead = [
        at(PAGING_RUNS + i) if newest_first else at(-1 - i) for i in range(joining)
    ]
    left: list[uuid.UUID] = []

    async def change(page: list[dict[str, Any]]) -> None:
        for run in page[:leaving]:
            left.append(uuid.UUID(run["id"]))
            await set_running(prefect_client, left[-1])
        await create_runs(prefect_client, deployment_id, ahead)

    flow_run_filter = run_filter(deployment_id=deployment_id, states=["Late"])
    sort = (
        FlowRunSort.EXPECTED_START_TIME_DESC
        if newest_first
        else FlowRunSort.EXPECTED_START_TIME_ASC
    )
    api = ChangingAPI(api_url, change)
    try:
        total = await api.count_flow_runs(flow_run_filter)
        planned = await bulk.plan_runs(api, flow_run_filter, sort, limit)
        assert api.pages == 2
        assert left == order[:leaving]
        expected = order[:limit] if limit else order
        assert len(planned) == len(expected)
        assert {run.id for run in planned} == set(expected)
        times = [run.expected_start_time for run in planned if run.expected_start_time]
        assert len(times) == len(planned)
        assert times == sorted(times, reverse=newest_first)
        if limit is None:
            return

        result = await bulk.cancel(api, planned, flow_run_filter, total, limit, False)
    finally:
        await api.aclose()
    assert result.matched == PAGING_RUNS
    assert {r.id for r in result.cancelled} == {str(i) for i in expected[leaving:]}
    assert [w for w in result.warnings if "matching runs" in w] == [
        f"Only {limit - leaving} of the {PAGING_RUNS} matching runs were cancelled "
        "(`limit`), those with the oldest expected start time; call again for the "
        "rest, or raise `limit`."
    ]
    assert any(f"{leaving} run(s) changed state" in w for w in result.warnings)
    assert await count_in(prefect_client, deployment_id, ["Cancelled"]) == (
        limit - leaving
    )
    assert await count_in(prefect_client, deployment_id, ["Running"]) == leaving


def _of_deployment(deployment_id: uuid.UUID) -> Any:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId

    return FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]))
