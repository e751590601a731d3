"""Previewing, creating, listing and managing schedules on a real server."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from fastmcp import Client

from tests.conftest import DeploymentFactory, call, call_error

POLL_SECONDS = 0.5
REFILL_DEADLINE = 60.0
PAGE = 200


async def test_preview_weekday_cron_across_dst(mcp_client: Client[Any]) -> None:
    result = await call(
        mcp_client,
        "preview_schedule",
        cron="0 9 * * 1-5",
        timezone="America/New_York",
        start_after="2025-03-06T00:00:00",
        count=4,
    )
    assert result["schedule"] == {
        "cron": "0 9 * * 1-5",
        "timezone": "America/New_York",
        "day_or": True,
    }
    assert result["next_runs"] == [
        "2025-03-06T09:00:00-05:00",
        "2025-03-07T09:00:00-05:00",
        "2025-03-10T09:00:00-04:00",
        "2025-03-11T09:00:00-04:00",
    ]
    assert "America/New_York" in result["description"]


async def test_preview_gap_time_is_moved_and_warned(mcp_client: Client[Any]) -> None:
    result = await call(
        mcp_client,
        "preview_schedule",
        cron="30 2 * * *",
        timezone="America/New_York",
        start_after="2024-03-09T00:00:00-05:00",
        count=3,
    )
    assert result["next_runs"] == [
        "2024-03-09T02:30:00-05:00",
        "2024-03-10T03:30:00-04:00",
        "2024-03-11T02:30:00-04:00",
    ]
    assert any("2024-03-10" in warning for warning in result["warnings"])


async def test_preview_input_errors_say_what_to_do(mcp_client: Client[Any]) -> None:
    bad_cron = await call_error(mcp_client, "preview_schedule", cron="61 * * * *")
    assert "61 * * * *" in bad_cron
    bad_zone = await call_error(
        mcp_client, "preview_schedule", cron="0 9 * * *", timezone="America/New_Yrok"
    )
    assert "America/New_York" in bad_zone
    month = await call_error(mcp_client, "preview_schedule", interval="P1M")
    assert "cron" in month
    assert "rrule" in month
    bad_duration = await call_error(mcp_client, "preview_schedule", interval="soon")
    assert "soon" in bad_duration
    both = await call_error(
        mcp_client, "preview_schedule", cron="0 9 * * *", interval="1h"
    )
    assert "exactly one" in both
    stray = await call_error(
        mcp_client, "preview_schedule", cron="0 9 * * *", anchor_date="2025-01-01"
    )
    assert "anchor_date" in stray


async def test_create_each_kind_then_list(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    deployment_id, name = await make_deployment()
    interval = await call(
        mcp_client,
        "create_interval_schedule",
        deployment=name,
        interval="6h",
        anchor_date="2025-01-01T02:00:00",
        timezone="Europe/London",
        slug="every-6h",
    )
    assert interval["dry_run"] is False
    assert interval["deployment"] == {"id": str(deployment_id), "name": name}
    assert interval["schedule"]["interval"] == 21600.0
    assert interval["schedule"]["anchor_date"] == "2025-01-01T02:00:00+00:00"
    assert len(interval["next_runs"]) == 5

    cron = await call(
        mcp_client,
        "create_cron_schedule",
        deployment=name,
        cron="0 9 * * 1-5",
        timezone="America/New_York",
        slug="weekday-9am",
        parameters={"x": 10},
    )
    assert cron["schedule"]["parameters"] == {"x": 10}
    assert cron["schedule"]["day_or"] is True

    rrule = await call(
        mcp_client,
        "create_rrule_schedule",
        deployment=name,
        rrule="DTSTART;TZID=America/Chicago:20250106T073000\n"
        "RRULE:FREQ=WEEKLY;BYDAY=MO,TH",
        slug="twice-weekly",
    )
    assert rrule["schedule"]["timezone"] == "America/Chicago"
    assert all(t.endswith(("-06:00", "-05:00")) for t in rrule["next_runs"])

    listed = await call(
        mcp_client, "list_deployment_schedules", deployment=name, next_runs=2
    )
    by_slug = {s["slug"]: s for s in listed["schedules"]}
    assert set(by_slug) == {"every-6h", "weekday-9am", "twice-weekly"}
    assert by_slug["weekday-9am"]["id"] == cron["schedule"]["id"]
    assert by_slug["weekday-9am"]["cron"] == "0 9 * * 1-5"
    assert by_slug["weekday-9am"]["parameters"] == {"x": 10}
    assert all(len(s["next_runs"]) == 2 for s in listed["schedules"])


async def test_create_dry_run_changes_nothing(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    _, name = await make_deployment()
    result = await call(
        mcp_client,
        "create_cron_schedule",
        deployment=name,
        cron="*/5 * * * *",
        dry_run=True,
    )
    assert result["dry_run"] is True
    assert result["schedule"]["id"] is None
    assert len(result["next_runs"]) == 5
    listed = await call(mcp_client, "list_deployment_schedules", deployment=name)
    assert listed["schedules"] == []


async def test_create_refuses_taken_slug_and_unknown_parameter(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    _, name = await make_deployment()
    await call(
        mcp_client,
        "create_cron_schedule",
        deployment=name,
        cron="0 1 * * *",
        slug="daily",
    )
    taken = await call_error(
        mcp_client,
        "create_cron_schedule",
        deployment=name,
        cron="0 2 * * *",
        slug="daily",
    )
    assert "daily" in taken
    assert "manage_deployment_schedules" in taken
    unknown = await call_error(
        mcp_client,
        "create_cron_schedule",
        deployment=name,
        cron="0 2 * * *",
        parameters={"z": 1},
    )
    assert "'z'" in unknown
    assert "x" in unknown
    # The demo schema declares x and y as integers; the runs would fail.
    for wrong in ({"x": "notanint"}, {"x": None}, {"y": 1.5}):
        mistyped = await call_error(
            mcp_client,
            "create_cron_schedule",
            deployment=name,
            cron="0 3 * * *",
            parameters=wrong,
        )
        assert "parameter schema" in mistyped, wrong
        assert next(iter(wrong)) in mistyped
    listed = await call(mcp_client, "list_deployment_schedules", deployment=name)
    assert [s["slug"] for s in listed["schedules"]] == ["daily"]


async def test_pause_and_resume_keep_parameter_overrides(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    """Case C09: a pause must not drop the schedule's parameter overrides."""
    _, name = await make_deployment(parameters={"x": 1, "y": 2})
    created = await call(
        mcp_client,
        "create_cron_schedule",
        deployment=name,
        cron="0 6 * * *",
        slug="morning",
        parameters={"x": 10},
    )
    schedule_id = created["schedule"]["id"]
    paused = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="morning",
        action="pause",
    )
    assert paused["schedule"]["active"] is False
    assert paused["schedule"]["parameters"] == {"x": 10}
    assert paused["schedule"]["id"] == schedule_id

    again = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule=schedule_id,
        action="pause",
    )
    assert any("already paused" in w for w in again["warnings"])

    resumed = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="morning",
        action="resume",
    )
    assert resumed["schedule"]["active"] is True
    assert resumed["schedule"]["parameters"] == {"x": 10}
    assert resumed["schedule"]["cron"] == "0 6 * * *"


async def test_update_keeps_unnamed_fields_and_renames_in_place(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    _, name = await make_deployment()
    created = await call(
        mcp_client,
        "create_cron_schedule",
        deployment=name,
        cron="0 6 * * *",
        timezone="Europe/Paris",
        slug="old",
        parameters={"x": 7},
    )
    dry = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="old",
        action="update",
        cron="15 7 * * *",
        slug="new",
        dry_run=True,
    )
    assert dry["dry_run"] is True
    assert dry["schedule"]["cron"] == "15 7 * * *"
    unchanged = await call(mcp_client, "list_deployment_schedules", deployment=name)
    assert unchanged["schedules"][0]["slug"] == "old"

    updated = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="old",
        action="update",
        cron="15 7 * * *",
        slug="new",
    )
    after = updated["schedule"]
    assert after["id"] == created["schedule"]["id"]
    assert after["slug"] == "new"
    assert after["cron"] == "15 7 * * *"
    assert after["timezone"] == "Europe/Paris"
    assert after["parameters"] == {"x": 7}
    listed = await call(mcp_client, "list_deployment_schedules", deployment=name)
    assert [s["slug"] for s in listed["schedules"]] == ["new"]


async def test_manage_errors(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    _, name = await make_deployment()
    await call(
        mcp_client,
        "create_interval_schedule",
        deployment=name,
        interval="1h",
        slug="hourly",
    )
    missing = await call_error(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="nope",
        action="pause",
    )
    assert "hourly" in missing
    stray = await call_error(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="hourly",
        action="pause",
        cron="0 * * * *",
    )
    assert "action='update'" in stray
    wrong_kind = await call_error(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="hourly",
        action="update",
        day_or=False,
    )
    assert "day_or" in wrong_kind
    bad_action = await mcp_client.call_tool(
        "manage_deployment_schedules",
        {"deployment": name, "schedule": "hourly", "action": "explode"},
        raise_on_error=False,
    )
    assert bad_action.is_error
    two_kinds = await call_error(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="hourly",
        action="update",
        cron="0 9 * * *",
        interval="2h",
    )
    assert "exactly one of cron, interval and rrule" in two_kinds
    blank = await call_error(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="hourly",
        action="update",
        slug="  ",
    )
    assert "blank" in blank
    mistyped = await call_error(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="hourly",
        action="update",
        parameters={"x": "ten"},
    )
    assert "parameter schema" in mistyped
    unchanged = await call(mcp_client, "list_deployment_schedules", deployment=name)
    (schedule,) = unchanged["schedules"]
    assert (schedule["slug"], schedule["interval"], schedule["parameters"]) == (
        "hourly",
        3600.0,
        {},
    )


async def test_an_rrule_update_takes_the_zone_of_its_tzid(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    _, name = await make_deployment()
    created = await call(
        mcp_client,
        "create_cron_schedule",
        deployment=name,
        cron="0 9 * * *",
        timezone="America/New_York",
        slug="morning",
    )
    updated = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="morning",
        action="update",
        rrule="DTSTART;TZID=Europe/Paris:20250101T090000\nRRULE:FREQ=DAILY",
    )
    after = updated["schedule"]
    assert after["id"] == created["schedule"]["id"]
    assert (after["type"], after["timezone"]) == ("rrule", "Europe/Paris")
    # Without a TZID the schedule keeps the zone it had.
    again = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="morning",
        action="update",
        rrule="DTSTART:20250101T070000\nRRULE:FREQ=DAILY",
    )
    assert again["schedule"]["timezone"] == "Europe/Paris"
    listed = await call(mcp_client, "list_deployment_schedules", deployment=name)
    runs = listed["schedules"][0]["next_runs"]
    assert runs
    assert all(run[11:] in ("07:00:00+01:00", "07:00:00+02:00") for run in runs)


async def test_blank_slugs_are_no_slug(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    _, name = await make_deployment()
    for blank in ("", "   "):
        created = await call(
            mcp_client,
            "create_interval_schedule",
            deployment=name,
            interval="1d",
            slug=blank,
            dry_run=False,
        )
        assert created["schedule"]["slug"] is None
    listed = await call(mcp_client, "list_deployment_schedules", deployment=name)
    assert [s["slug"] for s in listed["schedules"]] == [None, None]


async def test_a_paused_deployment_shows_no_next_runs_and_says_when(
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    prefect_client: Any,
) -> None:
    deployment_id, name = await make_deployment()
    await prefect_client.pause_deployment(deployment_id)
    created = await call(
        mcp_client,
        "create_cron_schedule",
        deployment=name,
        cron="0 6 * * *",
        slug="early",
    )
    assert created["next_runs"] == []
    (paused_note,) = [w for w in created["warnings"] if "is paused" in w]
    assert "06:00:00+00:00" in paused_note
    listed = await call(mcp_client, "list_deployment_schedules", deployment=name)
    assert listed["schedules"][0]["next_runs"] == []
    await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="early",
        action="pause",
    )
    resumed = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="early",
        action="resume",
    )
    assert resumed["schedule"]["active"] is True
    assert any("itself is paused" in w for w in resumed["warnings"])


async def _runs_by_schedule(
    prefect_client: Any, deployment_id: uuid.UUID
) -> dict[str, list[Any]]:
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    # Second-scale schedules make hundreds of runs: read every page.
    runs: list[Any] = []
    while True:
        page = await prefect_client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id])
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=PAGE,
            offset=len(runs),
        )
        runs.extend(page)
        if len(page) < PAGE:
            break
    grouped: dict[str, list[Any]] = {}
    for run in runs:
        key = run.created_by.display_value if run.created_by else "manual"
        grouped.setdefault(key, []).append(run)
    return grouped


async def _poll(predicate: Any, what: str, deadline: float = REFILL_DEADLINE) -> Any:
    end = time.monotonic() + deadline
    while True:
        value = await predicate()
        if value:
            return value
        assert time.monotonic() < end, f"timed out waiting for {what}"
        await asyncio.sleep(POLL_SECONDS)


async def test_pausing_one_schedule_reports_kept_and_removed_runs(
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    prefect_client: Any,
) -> None:
    """Case C10 on a live scheduler with second-scale intervals."""
    deployment_id, name = await make_deployment()
    for slug, every in (("fast", "4s"), ("other", "6s")):
        await call(
            mcp_client,
            "create_interval_schedule",
            deployment=name,
            interval=every,
            slug=slug,
        )

    async def past_due_of_fast() -> bool:
        from prefect.types._datetime import now

        runs = (await _runs_by_schedule(prefect_client, deployment_id)).get("fast", [])
        return any(r.expected_start_time < now("UTC") for r in runs)

    await _poll(past_due_of_fast, "a past-due run of 'fast'")
    result = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="fast",
        action="pause",
    )
    outcomes = {run["outcome"] for run in result["affected_runs"]}
    assert outcomes == {"kept", "removed"}
    assert any("past-due run(s) of this schedule stay" in w for w in result["warnings"])
    assert any("recreates the future runs" in w for w in result["warnings"])
    kept = {r["id"] for r in result["affected_runs"] if r["outcome"] == "kept"}
    removed = {r["id"] for r in result["affected_runs"] if r["outcome"] == "removed"}

    remaining = await _runs_by_schedule(prefect_client, deployment_id)
    remaining_ids = {str(r.id) for runs in remaining.values() for r in runs}
    assert kept <= remaining_ids
    assert not (removed & remaining_ids)

    async def other_refilled() -> bool:
        from prefect.types._datetime import now

        runs = (await _runs_by_schedule(prefect_client, deployment_id)).get("other", [])
        return any(r.expected_start_time > now("UTC") for r in runs)

    await _poll(other_refilled, "the scheduler to refill 'other'")


async def test_delete_reports_the_runs_that_go_with_it(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, name = await make_deployment()
    await call(
        mcp_client,
        "create_interval_schedule",
        deployment=name,
        interval="1h",
        slug="hourly",
    )

    async def filled() -> bool:
        return bool(await _runs_by_schedule(prefect_client, deployment_id))

    await _poll(filled, "the scheduler to create runs")
    dry = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="hourly",
        action="delete",
        dry_run=True,
    )
    assert dry["affected_runs"]
    assert all(r["outcome"] == "removed" for r in dry["affected_runs"])
    still = await call(mcp_client, "list_deployment_schedules", deployment=name)
    assert len(still["schedules"]) == 1

    done = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="hourly",
        action="delete",
    )
    assert done["schedule"]["slug"] == "hourly"
    gone = await call(mcp_client, "list_deployment_schedules", deployment=name)
    assert gone["schedules"] == []
    left = await _runs_by_schedule(prefect_client, deployment_id)
    removed = {r["id"] for r in done["affected_runs"]}
    assert not removed & {str(r.id) for runs in left.values() for r in runs}


async def test_pause_can_cancel_the_schedules_past_due_runs(
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    prefect_client: Any,
) -> None:
    deployment_id, name = await make_deployment()
    await call(
        mcp_client,
        "create_interval_schedule",
        deployment=name,
        interval="3s",
        slug="fast",
    )

    async def past_due() -> list[Any]:
        from prefect.types._datetime import now

        runs = (await _runs_by_schedule(prefect_client, deployment_id)).get("fast", [])
        return [r for r in runs if r.expected_start_time < now("UTC")]

    await _poll(past_due, "a past-due run of 'fast'")
    dry = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="fast",
        action="pause",
        cancel_past_due_runs=True,
        dry_run=True,
    )
    planned = {r["id"] for r in dry["affected_runs"] if r["outcome"] == "cancelled"}
    assert planned
    for run_id in planned:
        run = await prefect_client.read_flow_run(uuid.UUID(run_id))
        assert run.state.type.value == "SCHEDULED", "the dry run changed a run"

    done = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="fast",
        action="pause",
        cancel_past_due_runs=True,
    )
    cancelled = {r["id"] for r in done["affected_runs"] if r["outcome"] == "cancelled"}
    assert cancelled
    for run_id in cancelled:
        run = await prefect_client.read_flow_run(uuid.UUID(run_id))
        assert run.state.name == "Cancelled"
    assert any("are cancelled" in w for w in done["warnings"])

    refused = await call_error(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule="fast",
        action="resume",
        cancel_past_due_runs=True,
    )
    assert "action='pause'" in refused


async def test_a_cron_text_update_keeps_day_or_and_ids_match_in_any_case(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    _, name = await make_deployment()
    created = await call(
        mcp_client,
        "create_cron_schedule",
        deployment=name,
        cron="0 9 1 * 1",
        day_or=False,
        slug="first-monday",
    )
    updated = await call(
        mcp_client,
        "manage_deployment_schedules",
        deployment=name,
        schedule=created["schedule"]["id"].upper(),
        action="update",
        cron="0 10 1 * 1",
    )
    after = updated["schedule"]
    assert (after["cron"], after["day_or"]) == ("0 10 1 * 1", False)
    assert "only if it is" in after["description"]


async def test_preview_says_when_a_schedule_ends_before_count(
    mcp_client: Client[Any],
) -> None:
    result = await call(
        mcp_client,
        "preview_schedule",
        rrule="DTSTART:20230908T150000\nRRULE:FREQ=HOURLY;INTERVAL=1;COUNT=3",
        start_after="2023-09-08T16:30:00Z",
    )
    assert result["next_runs"] == ["2023-09-08T17:00:00+00:00"]
    assert any("Only 1 of the 10 runs" in w for w in result["warnings"])
