"""The flow-run tools against a real Prefect server.

Runs are created in the past on a work pool without a worker, so nothing ever
executes: they turn Late (the test server's late-run service runs every
second) or are created Late directly when a test needs many at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastmcp import Client

from prefect_schedule_mcp import bulk
from prefect_schedule_mcp.bulk.engine import (
    TransientFailure,
    is_transient,
    with_retries,
)
from prefect_schedule_mcp.errors import PrefectUnavailable, ScheduleToolError
from prefect_schedule_mcp.prefect_api import PrefectAPI
from prefect_schedule_mcp.settings import Settings
from tests.conftest import DeploymentFactory, call, call_error

pytestmark = pytest.mark.timeout(120)

POLL_DEADLINE = 30.0
POLL_INTERVAL = 0.2
BULK_CREATE_LIMIT = 100
ONE_SECOND = dt.timedelta(seconds=1)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str, deadline: float = POLL_DEADLINE
) -> None:
    """Poll ``check`` until it holds, failing after ``deadline`` seconds."""
    give_up = time.monotonic() + deadline
    while not await check():
        if time.monotonic() > give_up:
            pytest.fail(f"timed out after {deadline:.0f} s waiting for {what}")
        await asyncio.sleep(POLL_INTERVAL)


async def create_runs(
    client: Any,
    deployment_id: uuid.UUID,
    times: list[dt.datetime],
    *,
    late: bool = True,
    state_name: str | None = None,
    **fields: Any,
) -> list[uuid.UUID]:
    """Runs of a deployment at ``times`` (in that order), Late if ``late``.

    ``state_name`` gives their Scheduled-type state another name (e.g.
    ``AwaitingRetry``). Created 100 a call; SQLite can refuse some of a call
    ("database is locked"), and those are created again until a deadline.
    """
    from prefect.client.schemas.actions import DeploymentFlowRunCreate
    from prefect.client.schemas.objects import State
    from prefect.states import Late, Scheduled, to_state_create

    def create(when: dt.datetime) -> dict[str, Any]:
        state: State[Any] = (
            Scheduled(scheduled_time=when, name=state_name)
            if state_name
            else Late(scheduled_time=when)
            if late
            else Scheduled(scheduled_time=when)
        )
        return DeploymentFlowRunCreate(
            state=to_state_create(state), **fields
        ).model_dump(mode="json", exclude_unset=True)

    made: dict[int, uuid.UUID] = {}
    give_up = time.monotonic() + POLL_DEADLINE
    while len(made) < len(times):
        if time.monotonic() > give_up:
            pytest.fail(f"created only {len(made)} of {len(times)} runs")
        missing = [i for i in range(len(times)) if i not in made][:BULK_CREATE_LIMIT]
        response = await client.request(
            "POST",
            "/deployments/{id}/create_flow_run/bulk",
            path_params={"id": deployment_id},
            json=[create(times[i]) for i in missing],
        )
        for i, result in zip(missing, response.json()["results"], strict=True):
            if result["status"] == "CREATED":
                made[i] = uuid.UUID(result["flow_run_id"])
    return [made[i] for i in range(len(times))]


async def count_in(client: Any, deployment_id: uuid.UUID, states: list[str]) -> int:
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterState,
        FlowRunFilterStateName,
    )

    return int(
        await client.count_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]),
                state=FlowRunFilterState(name=FlowRunFilterStateName(any_=states)),
            )
        )
    )


async def state_of(client: Any, run_id: uuid.UUID | str) -> str:
    run = await client.read_flow_run(uuid.UUID(str(run_id)))
    return str(run.state.name)


async def set_running(client: Any, run_id: uuid.UUID) -> None:
    """What a worker does when it picks a run up (forced: no worker here)."""
    from prefect.states import Running

    await client.set_flow_run_state(run_id, Running(), force=True)


async def force_state(
    client: Any, run_id: uuid.UUID, state_type: str, name: str | None = None
) -> None:
    """Put a run in a state of ``state_type``, named ``name`` if given."""
    from prefect.client.schemas.objects import State, StateType

    state: State[Any] = State(type=StateType(state_type), name=name)
    await client.set_flow_run_state(run_id, state, force=True)


async def type_of(client: Any, run_id: uuid.UUID | str) -> str:
    run = await client.read_flow_run(uuid.UUID(str(run_id)))
    return str(run.state.type.value)


def hours_ago(*hours: float) -> list[dt.datetime]:
    now = utcnow()
    return [now - dt.timedelta(hours=h) for h in hours]


# -- schedule_one_time_run -------------------------------------------------------


async def test_one_time_run_after_a_delay(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    before = utcnow()
    result = await call(
        mcp_client,
        "schedule_one_time_run",
        deployment=name,
        delay="2h",
        timezone="America/New_York",
        parameters={"x": 5},
        tags=["adhoc"],
    )
    run = result["flow_run"]
    assert result["already_existed"] is False
    assert run["deployment"] == name
    assert run["state"] == "Scheduled"
    assert run["parameters"] == {"x": 5, "y": 2}
    assert "adhoc" in run["tags"]
    when = parse(run["scheduled_time"])
    assert when.utcoffset() in (dt.timedelta(hours=-4), dt.timedelta(hours=-5))
    # Result times are shown to the second.
    after = utcnow()
    assert before - ONE_SECOND <= when - dt.timedelta(hours=2) <= after

    stored = await prefect_client.read_flow_run(uuid.UUID(run["id"]))
    assert stored.deployment_id == deployment_id
    assert abs(stored.state.state_details.scheduled_time - when) < ONE_SECOND


async def test_one_time_run_at_a_wall_clock_time(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    _, name = await make_deployment()
    wall = (utcnow() + dt.timedelta(days=3)).replace(microsecond=0, tzinfo=None)
    result = await call(
        mcp_client,
        "schedule_one_time_run",
        deployment=name,
        scheduled_time=wall.isoformat(),
        timezone="Asia/Tokyo",
    )
    assert result["flow_run"]["scheduled_time"] == wall.isoformat() + "+09:00"


async def test_past_time_is_refused_unless_allowed_c11(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    past = (utcnow() - dt.timedelta(hours=3)).isoformat()

    error = await call_error(
        mcp_client, "schedule_one_time_run", deployment=name, scheduled_time=past
    )
    assert "scheduled_time" in error
    assert "past" in error
    assert "allow_past" in error
    assert await count_in(prefect_client, deployment_id, ["Scheduled", "Late"]) == 0

    result = await call(
        mcp_client,
        "schedule_one_time_run",
        deployment=name,
        scheduled_time=past,
        allow_past=True,
    )
    assert any("Late" in w for w in result["warnings"])
    run_id = result["flow_run"]["id"]

    async def is_late() -> bool:
        return await state_of(prefect_client, run_id) == "Late"

    await eventually(is_late, "the past run to be marked Late")


async def test_same_idempotency_key_gives_the_same_run_c12(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    key = f"nightly-{uuid.uuid4()}"
    first = await call(
        mcp_client,
        "schedule_one_time_run",
        deployment=name,
        delay="1h",
        parameters={"x": 10},
        idempotency_key=key,
    )
    second = await call(
        mcp_client,
        "schedule_one_time_run",
        deployment=name,
        delay="3h",
        parameters={"x": 99},
        idempotency_key=key,
    )
    assert first["already_existed"] is False
    assert not first["warnings"]
    assert second["already_existed"] is True
    assert second["flow_run"]["id"] == first["flow_run"]["id"]
    assert second["flow_run"]["parameters"] == {"x": 10, "y": 2}
    assert any("not applied" in w for w in second["warnings"])
    assert await count_in(prefect_client, deployment_id, ["Scheduled"]) == 1


async def test_idempotency_key_of_another_deployment_names_that_deployment(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    flow = f"shared-flow-{uuid.uuid4().hex[:8]}"
    _, first_name = await make_deployment(flow=flow)
    second_id, second_name = await make_deployment(flow=flow)
    key = f"once-{uuid.uuid4()}"
    first = await call(
        mcp_client,
        "schedule_one_time_run",
        deployment=first_name,
        delay="1h",
        idempotency_key=key,
    )

    again = await call(
        mcp_client,
        "schedule_one_time_run",
        deployment=second_name,
        delay="2h",
        idempotency_key=key,
    )
    assert again["already_existed"] is True
    assert again["flow_run"]["id"] == first["flow_run"]["id"]
    assert again["flow_run"]["deployment"] == first_name
    [warning] = again["warnings"]
    assert f"No run was created on deployment {second_name!r}" in warning
    assert repr(first_name) in warning
    assert "another idempotency_key" in warning
    assert await count_in(prefect_client, second_id, ["Scheduled"]) == 0

    other_key = await call(
        mcp_client,
        "schedule_one_time_run",
        deployment=second_name,
        delay="2h",
        idempotency_key=f"{key}-b",
    )
    assert other_key["already_existed"] is False
    assert other_key["flow_run"]["deployment"] == second_name
    assert await count_in(prefect_client, second_id, ["Scheduled"]) == 1


async def test_idempotency_key_of_another_flow_is_another_run(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    _, first_name = await make_deployment()
    _, second_name = await make_deployment()
    key = f"per-flow-{uuid.uuid4()}"
    first = await call(
        mcp_client,
        "schedule_one_time_run",
        deployment=first_name,
        delay="1h",
        idempotency_key=key,
    )
    second = await call(
        mcp_client,
        "schedule_one_time_run",
        deployment=second_name,
        delay="1h",
        idempotency_key=key,
    )
    again = await call(
        mcp_client,
        "schedule_one_time_run",
        deployment=second_name,
        delay="1h",
        idempotency_key=key,
    )
    assert second["already_existed"] is False
    assert second["flow_run"]["id"] != first["flow_run"]["id"]
    assert again["already_existed"] is True
    assert again["flow_run"]["id"] == second["flow_run"]["id"]
    assert again["flow_run"]["deployment"] == second_name


async def test_one_time_run_cleans_its_tags(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    _, name = await make_deployment(tags=["team"])
    result = await call(
        mcp_client,
        "schedule_one_time_run",
        deployment=name,
        delay="1h",
        tags=["a", "a", "", " b "],
    )
    assert sorted(result["flow_run"]["tags"]) == ["a", "b", "team"]
    stored = await prefect_client.read_flow_run(uuid.UUID(result["flow_run"]["id"]))
    assert sorted(stored.tags) == ["a", "b", "team"]
    [warning] = [w for w in result["warnings"] if "tags" in w]
    assert "1 empty tag" in warning
    assert "1 repeated tag(s) ('a')" in warning
    assert "' b '" in warning

    clean = await call(
        mcp_client, "schedule_one_time_run", deployment=name, delay="1h", tags=["a"]
    )
    assert clean["warnings"] == []


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (None, None),
        ([], []),
        (["a", "a", "", " b "], ["a", "b"]),
        ([" b ", "a", "b", "  ", "a"], ["b", "a"]),
    ],
)
def test_clean_tags_keeps_the_first_of_each_in_order(
    tags: list[str] | None, expected: list[str] | None
) -> None:
    from prefect_schedule_mcp.tools.one_time import clean_tags

    cleaned, warnings = clean_tags(tags)
    assert cleaned == expected
    assert bool(warnings) == (tags is not None and tags != expected)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({}, "exactly one"),
        ({"delay": "5m", "scheduled_time": "2099-01-01T00:00:00Z"}, "exactly one"),
        ({"delay": "5 fortnights"}, "delay"),
        ({"delay": "P1M"}, "P30D"),
        ({"delay": "5m", "timezone": "Europe/Pariss"}, "Europe/Paris"),
        ({"scheduled_time": "tomorrow at nine"}, "scheduled_time"),
        ({"delay": "5m", "parameters": {"z": 1}}, "label, x, y"),
        ({"delay": "5m", "parameters": {"x": "ten"}}, "parameter schema"),
        ({"delay": True}, "(got True)"),
    ],
)
async def test_one_time_run_refuses_bad_input(
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    arguments: dict[str, Any],
    expected: str,
) -> None:
    _, name = await make_deployment()
    error = await call_error(
        mcp_client, "schedule_one_time_run", deployment=name, **arguments
    )
    assert expected in error


async def test_deployment_references_are_exact(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    shared = f"shared-{uuid.uuid4().hex[:8]}"
    _, first = await make_deployment(name=shared)
    _, second = await make_deployment(name=shared)

    error = await call_error(
        mcp_client, "schedule_one_time_run", deployment=shared, delay="5m"
    )
    assert first in error
    assert second in error

    error = await call_error(
        mcp_client, "schedule_one_time_run", deployment=first + "x", delay="5m"
    )
    assert "No deployment" in error
    assert first in error


# -- list_flow_runs ----------------------------------------------------------------


async def test_list_flow_runs_filters_sorts_and_counts(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    late_times = hours_ago(1, 2, 3, 4)
    await create_runs(prefect_client, deployment_id, late_times)
    future = [utcnow() + dt.timedelta(days=1)]
    await create_runs(prefect_client, deployment_id, future, late=False)

    late = await call(
        mcp_client, "list_flow_runs", deployment=name, states=["late"], limit=3
    )
    assert late["total"] == 4
    assert len(late["flow_runs"]) == 3
    expected = [parse(r["expected_start_time"]) for r in late["flow_runs"]]
    assert expected == sorted(expected, reverse=True)
    assert all(r["state"] == "Late" for r in late["flow_runs"])
    assert all(r["deployment"] == name for r in late["flow_runs"])
    assert late["flow_runs"][0]["late_by_seconds"] >= 3600

    oldest = await call(
        mcp_client,
        "list_flow_runs",
        deployment=name,
        late_by_at_least="150m",
        sort="expected_start_time_asc",
    )
    assert oldest["total"] == 2
    assert [parse(r["expected_start_time"]) for r in oldest["flow_runs"]] == sorted(
        t.replace(microsecond=0) for t in late_times[2:]
    )

    window = await call(
        mcp_client,
        "list_flow_runs",
        deployment=name,
        expected_after=(utcnow() - dt.timedelta(minutes=150)).isoformat(),
        expected_before=(utcnow() + dt.timedelta(days=2)).isoformat(),
    )
    assert window["total"] == 3
    assert {r["state"] for r in window["flow_runs"]} == {"Late", "Scheduled"}


async def test_list_flow_runs_refuses_unknown_states(
    mcp_client: Client[Any],
) -> None:
    error = await call_error(mcp_client, "list_flow_runs", states=["Lat"])
    assert "Lat" in error
    assert "'Late'" in error
    error = await call_error(mcp_client, "list_flow_runs", late_by_at_least="soon")
    assert "late_by_at_least" in error


# -- reschedule_late_flow_runs ----------------------------------------------------


async def test_reschedule_keeps_the_run_and_its_fields_c13(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    [recent, older] = await create_runs(
        prefect_client,
        deployment_id,
        hours_ago(5, 9),
        late=False,
        parameters={"x": 10},
        tags=["c13"],
        job_variables={"env": {"A": "1"}},
    )

    async def both_late() -> bool:
        return await count_in(prefect_client, deployment_id, ["Late"]) == 2

    await eventually(both_late, "the runs to be marked Late")
    expected = {
        run_id: (await prefect_client.read_flow_run(run_id)).expected_start_time
        for run_id in (recent, older)
    }

    plan = await call(
        mcp_client,
        "reschedule_late_flow_runs",
        deployment=name,
        delay="6h",
        most_recent_n=2,
    )
    assert plan["dry_run"] is True
    assert {r["id"] for r in plan["rescheduled"]} == {str(recent), str(older)}
    assert await count_in(prefect_client, deployment_id, ["Late"]) == 2

    done = await call(
        mcp_client,
        "reschedule_late_flow_runs",
        deployment=name,
        delay="6h",
        most_recent_n=2,
        dry_run=False,
    )
    assert done["rescheduled"] == plan["rescheduled"]
    assert done["deleted"] == []
    assert done["failed"] == []
    # 9 h ago + 6 h is still 3 h ago: that run is late again at once.
    past_warning = [w for w in done["warnings"] if "already past" in w]
    assert len(past_warning) == 1

    for run_id in (recent, older):
        run = await prefect_client.read_flow_run(run_id)
        assert run.parameters == {"x": 10, "y": 2}
        assert "c13" in run.tags
        assert run.job_variables == {"env": {"A": "1"}}
        assert run.expected_start_time == expected[run_id]
        new_time = expected[run_id] + dt.timedelta(hours=6)
        assert run.next_scheduled_start_time == new_time
    names = {r["id"]: r["name"] for r in done["rescheduled"]}
    assert names[str(older)] in past_warning[0]
    assert names[str(recent)] not in past_warning[0]


async def test_reschedule_handles_every_page_and_a_second_call_adds_nothing(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    times = hours_ago(*[1 + i / 60 for i in range(230)])
    await create_runs(prefect_client, deployment_id, times)

    plan = await call(
        mcp_client,
        "reschedule_late_flow_runs",
        deployment=name,
        delay="1d",
        most_recent_n=5,
    )
    assert len(plan["rescheduled"]) == 5
    assert len(plan["deleted"]) == 225
    assert await count_in(prefect_client, deployment_id, ["Late"]) == 230

    done = await call(
        mcp_client,
        "reschedule_late_flow_runs",
        deployment=name,
        delay="1d",
        most_recent_n=5,
        dry_run=False,
    )
    assert [r["id"] for r in done["rescheduled"]] == [
        r["id"] for r in plan["rescheduled"]
    ]
    assert sorted(done["deleted"]) == sorted(plan["deleted"])
    assert done["failed"] == []
    assert await count_in(prefect_client, deployment_id, ["Late"]) == 0
    assert await count_in(prefect_client, deployment_id, ["Scheduled"]) == 5

    again = await call(
        mcp_client,
        "reschedule_late_flow_runs",
        deployment=name,
        delay="1d",
        most_recent_n=5,
        dry_run=False,
    )
    assert again["rescheduled"] == []
    assert again["deleted"] == []
    assert any("already have their new time" in w for w in again["warnings"])


async def test_reschedule_leaves_alone_a_run_that_started_after_the_plan(
    prefect_api_url: str, make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, _ = await make_deployment()
    [newest, middle, oldest] = await create_runs(
        prefect_client, deployment_id, hours_ago(1, 2, 3)
    )
    api = PrefectAPI(Settings(), api_url=prefect_api_url)
    try:
        now = utcnow()
        plan = await bulk.plan_reschedule(
            api, deployment_id, ["Late"], dt.timedelta(hours=5), 1, now
        )
        assert [run.id for run, _ in plan.moves] == [newest]
        assert [run.id for run in plan.deletions] == [middle, oldest]

        await set_running(prefect_client, newest)
        await set_running(prefect_client, oldest)
        result = await bulk.reschedule(api, plan, ["Late"], True, False, now)
    finally:
        await api.aclose()

    assert result.rescheduled == []
    assert result.deleted == [str(middle)]
    assert await state_of(prefect_client, newest) == "Running"
    assert await state_of(prefect_client, oldest) == "Running"
    changed = [w for w in result.warnings if "changed state" in w]
    assert len(changed) == 2


async def test_reschedule_never_touches_runs_not_due_yet(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    now = utcnow()
    future = [now + dt.timedelta(hours=hours) for hours in (1, 2, 24, 24 * 7)]
    ahead = await create_runs(prefect_client, deployment_id, future, late=False)
    [late] = await create_runs(prefect_client, deployment_id, hours_ago(3))

    arguments = {
        "deployment": name,
        "delay": "1h",
        "most_recent_n": 1,
        "states": ["Scheduled"],
    }
    plan = await call(mcp_client, "reschedule_late_flow_runs", **arguments)
    done = await call(
        mcp_client, "reschedule_late_flow_runs", **arguments, dry_run=False
    )
    for result in (plan, done):
        assert result["rescheduled"] == []
        assert result["deleted"] == []
        assert result["failed"] == []

    with_late = await call(
        mcp_client,
        "reschedule_late_flow_runs",
        deployment=name,
        delay="1d",
        most_recent_n=1,
        states=["Scheduled", "Late"],
        dry_run=False,
    )
    assert [r["id"] for r in with_late["rescheduled"]] == [str(late)]
    assert with_late["deleted"] == []
    for run_id, when in zip(ahead, future, strict=True):
        run = await prefect_client.read_flow_run(run_id)
        assert run.state.name == "Scheduled"
        assert run.next_scheduled_start_time == when

    tools = {tool.name: tool for tool in await mcp_client.list_tools()}
    description = tools["reschedule_late_flow_runs"].description or ""
    assert "Only past-due runs are handled" in description


async def test_reschedule_guard_leaves_alone_a_run_moved_ahead_after_the_plan(
    prefect_api_url: str, make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    """Moved to a future time after the plan: still Scheduled, no longer due."""
    from prefect.states import Scheduled

    deployment_id, _ = await make_deployment()
    [newest, middle, oldest] = await create_runs(
        prefect_client, deployment_id, hours_ago(1, 2, 3)
    )
    states = ["Late", "Scheduled"]
    api = PrefectAPI(Settings(), api_url=prefect_api_url)
    try:
        now = utcnow()
        plan = await bulk.plan_reschedule(
            api, deployment_id, states, dt.timedelta(hours=5), 1, now
        )
        assert [run.id for run, _ in plan.moves] == [newest]
        assert [run.id for run in plan.deletions] == [middle, oldest]

        tomorrow = now + dt.timedelta(days=1)
        for run_id in (newest, oldest):
            await prefect_client.set_flow_run_state(
                run_id, Scheduled(scheduled_time=tomorrow), force=True
            )
        result = await bulk.reschedule(api, plan, states, True, False, now)
    finally:
        await api.aclose()

    assert result.rescheduled == []
    assert result.deleted == [str(middle)]
    for run_id in (newest, oldest):
        run = await prefect_client.read_flow_run(run_id)
        assert run.state.name == "Scheduled"
        assert run.next_scheduled_start_time == tomorrow
    assert len([w for w in result.warnings if "changed state" in w]) == 2


async def test_reschedule_warns_of_overdue_runs_not_yet_marked_late(
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    prefect_client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Overdue runs the server has not renamed Late yet are counted and named.

    The test server renames an overdue Scheduled run within a second or two,
    so waiting for one to be overdue and still Scheduled would race it.
    Instead the tool's clock is set an hour ahead: runs due within the next
    half hour are overdue to the tool, and the server leaves them Scheduled.
    """
    from prefect_schedule_mcp.tools import runs as runs_tools

    deployment_id, name = await make_deployment()
    now = utcnow()
    [late_new, late_old] = await create_runs(
        prefect_client, deployment_id, hours_ago(2, 3)
    )
    soon = [now + dt.timedelta(minutes=minutes) for minutes in (30, 20, 10)]
    overdue = await create_runs(prefect_client, deployment_id, soon, late=False)
    [ahead] = await create_runs(
        prefect_client, deployment_id, [now + dt.timedelta(hours=2)], late=False
    )
    arguments = {"deployment": name, "delay": "1d", "most_recent_n": 1}

    def overdue_warnings(result: dict[str, Any]) -> list[str]:
        return [w for w in result["warnings"] if "still named Scheduled" in w]

    on_time = await call(mcp_client, "reschedule_late_flow_runs", **arguments)
    assert [r["id"] for r in on_time["rescheduled"]] == [str(late_new)]
    assert on_time["deleted"] == [str(late_old)]
    assert overdue_warnings(on_time) == []

    monkeypatch.setattr(runs_tools, "utc_now", lambda: now + dt.timedelta(hours=1))
    missed = await call(mcp_client, "reschedule_late_flow_runs", **arguments)
    assert [r["id"] for r in missed["rescheduled"]] == [str(late_new)]
    assert missed["deleted"] == [str(late_old)]
    assert overdue_warnings(missed) == [
        "3 run(s) of this deployment are past their scheduled time but still named "
        "Scheduled (Prefect has not marked them Late yet), so states=['Late'] left "
        "them out, and most_recent_n was counted without them. Include 'Scheduled' "
        "in `states` to handle them too."
    ]

    both = await call(
        mcp_client,
        "reschedule_late_flow_runs",
        **arguments,
        states=["Late", "Scheduled"],
    )
    assert [r["id"] for r in both["rescheduled"]] == [str(overdue[0])]
    assert sorted(both["deleted"]) == sorted(
        str(i) for i in [*overdue[1:], late_new, late_old]
    )
    assert str(ahead) not in both["deleted"]
    assert overdue_warnings(both) == []
    assert await count_in(prefect_client, deployment_id, ["Scheduled"]) == 4


async def test_reschedule_moves_runs_in_any_not_started_state(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    names = ["AwaitingRetry", "AwaitingConcurrencySlot", "Resuming"]
    waiting = [
        (await create_runs(prefect_client, deployment_id, [when], state_name=state))[0]
        for state, when in zip(names, hours_ago(1, 2, 3), strict=True)
    ]
    [late] = await create_runs(prefect_client, deployment_id, hours_ago(4))

    done = await call(
        mcp_client,
        "reschedule_late_flow_runs",
        deployment=name,
        delay="1d",
        most_recent_n=3,
        states=[name.lower() for name in names],
        dry_run=False,
    )
    assert [r["id"] for r in done["rescheduled"]] == [str(i) for i in waiting]
    assert done["deleted"] == []
    assert done["failed"] == []
    for run_id in waiting:
        run = await prefect_client.read_flow_run(run_id)
        assert run.state.name == "Scheduled"
        assert run.next_scheduled_start_time == run.expected_start_time + dt.timedelta(
            days=1
        )
    assert await state_of(prefect_client, late) == "Late"


@pytest.mark.parametrize(
    ("state", "hint"),
    [
        ("Pending", "cancel_flow_runs"),
        ("Running", "cancel_flow_runs"),
        ("Paused", "cancel_flow_runs"),
        ("Suspended", "cancel_flow_runs"),
        ("Completed", "schedule_one_time_run"),
        ("Cached", "schedule_one_time_run"),
        ("Failed", "schedule_one_time_run"),
        ("Crashed", "schedule_one_time_run"),
        ("cancelled", "schedule_one_time_run"),
        ("Cancelling", "end Cancelled"),
    ],
)
async def test_reschedule_refuses_states_of_runs_that_started(
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    prefect_client: Any,
    state: str,
    hint: str,
) -> None:
    deployment_id, name = await make_deployment()
    [cancelled, completed, late] = await create_runs(
        prefect_client, deployment_id, hours_ago(1, 2, 3)
    )
    await force_state(prefect_client, cancelled, "CANCELLED", "Cancelled")
    await force_state(prefect_client, completed, "COMPLETED", "Completed")

    for dry_run in (True, False):
        error = await call_error(
            mcp_client,
            "reschedule_late_flow_runs",
            deployment=name,
            delay="1d",
            most_recent_n=0,
            states=["Late", state],
            dry_run=dry_run,
        )
        assert "states" in error
        assert repr(state.capitalize()) in error
        assert "have not started" in error
        assert hint in error
        assert "AwaitingRetry" in error
    assert await state_of(prefect_client, cancelled) == "Cancelled"
    assert await state_of(prefect_client, completed) == "Completed"
    assert await state_of(prefect_client, late) == "Late"


async def test_reschedule_guard_needs_a_scheduled_state_type(
    prefect_api_url: str, make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    """A state named Late is not enough: a run that finished is left alone."""
    deployment_id, _ = await make_deployment()
    [newest, middle, oldest, labelled] = await create_runs(
        prefect_client, deployment_id, hours_ago(1, 2, 3, 4)
    )
    # Labelled Late before the plan, but cancelled: never planned at all.
    await force_state(prefect_client, labelled, "CANCELLED", "Late")
    api = PrefectAPI(Settings(), api_url=prefect_api_url)
    try:
        now = utcnow()
        plan = await bulk.plan_reschedule(
            api, deployment_id, ["Late"], dt.timedelta(hours=5), 1, now
        )
        assert [run.id for run, _ in plan.moves] == [newest]
        assert [run.id for run in plan.deletions] == [middle, oldest]

        # Finished after the plan, still under the name the plan saw.
        await force_state(prefect_client, newest, "COMPLETED", "Late")
        await force_state(prefect_client, oldest, "CANCELLED", "Late")
        result = await bulk.reschedule(api, plan, ["Late"], True, False, now)
    finally:
        await api.aclose()

    assert result.rescheduled == []
    assert result.deleted == [str(middle)]
    assert await type_of(prefect_client, newest) == "COMPLETED"
    assert await type_of(prefect_client, oldest) == "CANCELLED"
    assert await type_of(prefect_client, labelled) == "CANCELLED"
    assert len([w for w in result.warnings if "changed state" in w]) == 2


async def test_empty_states_are_refused_and_omitted_states_mean_late(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    [late] = await create_runs(prefect_client, deployment_id, hours_ago(1))
    for tool, arguments in [
        ("reschedule_late_flow_runs", {"delay": "1h", "most_recent_n": 1}),
        ("cancel_flow_runs", {}),
    ]:
        error = await call_error(
            mcp_client, tool, deployment=name, states=[], dry_run=False, **arguments
        )
        assert "Invalid states []" in error
        assert "at least one state, e.g. ['Late']" in error
    assert await state_of(prefect_client, late) == "Late"

    plan = await call(
        mcp_client,
        "reschedule_late_flow_runs",
        deployment=name,
        delay="1d",
        most_recent_n=1,
    )
    assert [r["id"] for r in plan["rescheduled"]] == [str(late)]


async def test_reschedule_refuses_bad_input(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    _, name = await make_deployment()
    error = await call_error(
        mcp_client,
        "reschedule_late_flow_runs",
        deployment=name,
        delay="1 month",
        most_recent_n=1,
    )
    assert "delay" in error
    error = await call_error(
        mcp_client,
        "reschedule_late_flow_runs",
        deployment=name,
        delay="0s",
        most_recent_n=1,
    )
    assert "zero" in error
    error = await call_error(
        mcp_client,
        "reschedule_late_flow_runs",
        deployment=name,
        delay="1h",
        most_recent_n=1,
        states=["Sceduled"],
    )
    assert "'Scheduled'" in error


# -- cancel_flow_runs --------------------------------------------------------------


async def test_cancel_only_runs_late_beyond_the_threshold_c14(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    now = utcnow()
    # Twelve 5-minute runs from an hour ago to 5 minutes ago.
    times = [now - dt.timedelta(minutes=60 - 5 * i) for i in range(12)]
    ids = await create_runs(prefect_client, deployment_id, times)

    plan = await call(
        mcp_client,
        "cancel_flow_runs",
        states=["Late"],
        deployment=name,
        late_by_at_least="30m",
    )
    assert plan["dry_run"] is True
    assert plan["matched"] == 7
    assert [r["id"] for r in plan["cancelled"]] == [str(i) for i in ids[:7]]
    assert await count_in(prefect_client, deployment_id, ["Late"]) == 12

    done = await call(
        mcp_client,
        "cancel_flow_runs",
        states=["Late"],
        deployment=name,
        late_by_at_least="30m",
        dry_run=False,
    )
    assert done["matched"] == 7
    assert done["failed"] == []
    assert {r["id"] for r in done["cancelled"]} == {str(i) for i in ids[:7]}
    assert {r["final_state"] for r in done["cancelled"]} == {"Cancelled"}
    for run_id in ids[:7]:
        assert await state_of(prefect_client, run_id) == "Cancelled"
    for run_id in ids[7:]:
        assert await state_of(prefect_client, run_id) == "Late"


async def test_cancel_proposes_cancelling_to_a_running_run(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    [running, late] = await create_runs(prefect_client, deployment_id, hours_ago(1, 2))
    await set_running(prefect_client, running)

    done = await call(
        mcp_client,
        "cancel_flow_runs",
        states=["Running", "Late"],
        deployment=name,
        dry_run=False,
    )
    final = {r["id"]: r["final_state"] for r in done["cancelled"]}
    assert final == {str(running): "Cancelling", str(late): "Cancelled"}
    assert await state_of(prefect_client, running) == "Cancelling"
    assert any("tears down" in w for w in done["warnings"])


async def test_cancel_handles_every_page_and_respects_a_limit(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    await create_runs(
        prefect_client, deployment_id, hours_ago(*[1 + i / 60 for i in range(230)])
    )

    arguments = {"states": ["Late"], "deployment": name, "limit": 20}
    plan = await call(mcp_client, "cancel_flow_runs", **arguments)
    capped = await call(mcp_client, "cancel_flow_runs", **arguments, dry_run=False)
    assert plan.keys() == capped.keys()
    for result, verb in [(plan, "would be"), (capped, "were")]:
        assert result["matched"] == 230
        assert len(result["cancelled"]) == 20
        limited = [w for w in result["warnings"] if "matching runs" in w]
        assert limited == [
            f"Only 20 of the 230 matching runs {verb} cancelled (`limit`), those "
            "with the oldest expected start time; call again for the rest, or "
            "raise `limit`."
        ]
    assert capped["cancelled"] == plan["cancelled"]
    assert await count_in(prefect_client, deployment_id, ["Cancelled"]) == 20

    done = await call(
        mcp_client, "cancel_flow_runs", states=["Late"], deployment=name, dry_run=False
    )
    assert done["matched"] == 210
    assert not any("matching runs" in w for w in done["warnings"])
    assert len(done["cancelled"]) == 210
    assert await count_in(prefect_client, deployment_id, ["Late"]) == 0
    assert await count_in(prefect_client, deployment_id, ["Cancelled"]) == 230


async def test_cancel_limit_warning_counts_the_runs_listed(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    ids = await create_runs(
        prefect_client, deployment_id, hours_ago(*[1 + i / 60 for i in range(315)])
    )
    oldest_first = [str(i) for i in reversed(ids)]

    arguments = {"states": ["Late"], "deployment": name, "limit": 300}
    plan = await call(mcp_client, "cancel_flow_runs", **arguments)
    done = await call(mcp_client, "cancel_flow_runs", **arguments, dry_run=False)
    for result, verb in [(plan, "would be"), (done, "were")]:
        assert result["matched"] == 315
        assert [r["id"] for r in result["cancelled"]] == oldest_first[:300]
        assert [w for w in result["warnings"] if "matching runs" in w] == [
            f"Only 300 of the 315 matching runs {verb} cancelled (`limit`), those "
            "with the oldest expected start time; call again for the rest, or "
            "raise `limit`."
        ]
    assert await count_in(prefect_client, deployment_id, ["Cancelled"]) == 300
    assert await count_in(prefect_client, deployment_id, ["Late"]) == 15


async def test_cancel_leaves_alone_a_run_that_started_after_the_plan(
    prefect_api_url: str, make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    from prefect.client.schemas.sorting import FlowRunSort

    from prefect_schedule_mcp.bulk.filters import run_filter

    deployment_id, _ = await make_deployment()
    [started, late] = await create_runs(prefect_client, deployment_id, hours_ago(1, 2))
    api = PrefectAPI(Settings(), api_url=prefect_api_url)
    try:
        flow_run_filter = run_filter(deployment_id=deployment_id, states=["Late"])
        planned = await bulk.plan_runs(
            api, flow_run_filter, FlowRunSort.EXPECTED_START_TIME_ASC
        )
        await set_running(prefect_client, started)
        result = await bulk.cancel(api, planned, flow_run_filter, 2, None, False)
    finally:
        await api.aclose()

    assert [r.id for r in result.cancelled] == [str(late)]
    assert await state_of(prefect_client, started) == "Running"
    assert any("changed state" in w for w in result.warnings)


async def test_cancel_needs_valid_states(mcp_client: Client[Any]) -> None:
    error = await call_error(mcp_client, "cancel_flow_runs", states=["Cancel"])
    assert "Cancelled" in error or "Cancelling" in error


# -- surface ---------------------------------------------------------------------


async def test_annotations_and_read_only_mode(
    mcp_client: Client[Any], prefect_api_url: str
) -> None:
    from prefect_schedule_mcp.server import build_server

    tools = {tool.name: tool for tool in await mcp_client.list_tools()}
    listing = tools["list_flow_runs"].annotations
    assert listing is not None
    assert listing.read_only_hint is True
    for name in ("reschedule_late_flow_runs", "cancel_flow_runs"):
        hints = tools[name].annotations
        assert hints is not None
        assert hints.read_only_hint is False
        assert hints.destructive_hint is True
    one_time = tools["schedule_one_time_run"].annotations
    assert one_time is not None
    assert one_time.destructive_hint is False

    read_only = build_server(Settings(read_only=True), api_url=prefect_api_url)
    async with Client(read_only) as client:
        names = {tool.name for tool in await client.list_tools()}
    assert "list_flow_runs" in names
    assert not names & {
        "schedule_one_time_run",
        "reschedule_late_flow_runs",
        "cancel_flow_runs",
    }


async def test_transient_failures_are_retried_then_reported() -> None:
    request = httpx.Request("POST", "http://prefect.invalid/api/flow_runs/bulk_delete")
    locked = httpx.HTTPStatusError(
        "locked", request=request, response=httpx.Response(503, request=request)
    )
    refused = httpx.HTTPStatusError(
        "bad", request=request, response=httpx.Response(422, request=request)
    )
    attempts: list[int] = []

    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise PrefectUnavailable("database is locked") from locked
        return "done"

    assert await with_retries("flaky call", flaky) == "done"
    assert len(attempts) == 3
    assert is_transient(TransientFailure("locked"))

    async def refusing() -> str:
        attempts.append(1)
        raise ScheduleToolError("refused") from refused

    attempts.clear()
    with pytest.raises(ScheduleToolError, match="refused"):
        await with_retries("refused call", refusing)
    assert len(attempts) == 1
