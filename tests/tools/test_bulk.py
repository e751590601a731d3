"""Bulk late-run handling on the session's SQLite-backed Prefect server:
faults part-way, progress notifications, and per-page log lines."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastmcp import Client

from tests.conftest import DeploymentFactory
from tests.tools import bulk_cases

pytestmark = pytest.mark.timeout(180)


async def test_the_database_is_told_from_the_server(
    prefect_api_url: str, make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, _ = await make_deployment()
    [run_id] = await bulk_cases.late_runs(prefect_client, deployment_id, count=1)
    assert await bulk_cases.database_of(prefect_api_url, run_id) == "sqlite"


async def test_reschedule_of_every_page_keeps_the_runs(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    await bulk_cases.reschedule_every_page(mcp_client, make_deployment, prefect_client)


@pytest.mark.parametrize(
    "allowed", [40, 101], ids=["cut-during-moves", "cut-during-deletions"]
)
async def test_reschedule_survives_a_network_fault(
    prefect_api_url: str,
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    prefect_client: Any,
    allowed: int,
) -> None:
    await bulk_cases.reschedule_survives_a_fault(
        prefect_api_url, mcp_client, make_deployment, prefect_client, allowed
    )


async def test_cancel_survives_a_network_fault(
    prefect_api_url: str,
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    prefect_client: Any,
) -> None:
    await bulk_cases.cancel_survives_a_fault(
        prefect_api_url, mcp_client, make_deployment, prefect_client, allowed=2
    )


async def test_cancel_with_a_lost_answer_reports_an_unknown_outcome(
    prefect_api_url: str,
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    prefect_client: Any,
) -> None:
    await bulk_cases.cancel_with_a_lost_answer(
        prefect_api_url, mcp_client, make_deployment, prefect_client
    )


@pytest.mark.parametrize(
    ("newest_first", "leaving", "joining", "limit"),
    [(True, 10, 5, None), (False, 5, 10, 300)],
    ids=["newest-first-runs-leave", "oldest-first-runs-join-with-limit"],
)
async def test_plan_reads_each_run_once_while_runs_change_state(
    prefect_api_url: str,
    make_deployment: DeploymentFactory,
    prefect_client: Any,
    newest_first: bool,
    leaving: int,
    joining: int,
    limit: int | None,
) -> None:
    await bulk_cases.plan_reads_each_run_once(
        prefect_api_url,
        make_deployment,
        prefect_client,
        newest_first,
        leaving,
        joining,
        limit,
    )


async def test_bulk_calls_report_progress_and_log_each_page(
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    prefect_client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    deployment_id, name = await make_deployment()
    await bulk_cases.late_runs(prefect_client, deployment_id)
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(
        progress: float, total: float | None, message: str | None
    ) -> None:
        updates.append((progress, total, message))

    caplog.set_level(logging.INFO, logger="prefect_schedule_mcp")
    result = await mcp_client.call_tool(
        "cancel_flow_runs",
        {"states": ["Late"], "deployment": name, "dry_run": False},
        progress_handler=on_progress,
    )
    assert not result.is_error
    assert len(result.structured_content["cancelled"]) == bulk_cases.RUN_COUNT  # type: ignore[index]
    progress = [p for p, _, _ in updates]
    assert progress == sorted(progress)
    assert len(progress) >= 2
    assert updates[-1][:2] == (bulk_cases.RUN_COUNT, bulk_cases.RUN_COUNT)
    assert all(message and "Cancelled" in message for _, _, message in updates)
    pages = [r for r in caplog.records if r.getMessage().startswith("Cancelled page")]
    assert len(pages) == 2  # 230 runs: a page of 200 and one of 30
    planned = [r for r in caplog.records if r.getMessage().startswith("Planned page")]
    assert len(planned) == 2
