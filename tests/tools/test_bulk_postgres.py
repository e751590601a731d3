"""The key bulk cases again, on a Prefect server backed by PostgreSQL.

The module starts its own throwaway PostgreSQL cluster (see
``tests/postgres.py``) and a second Prefect server on it, and overrides the
session's server fixtures for its tests. Where PostgreSQL is not installed
the module is skipped, and says why.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastmcp import Client

from prefect_schedule_mcp.embedded import EmbeddedPrefectServer
from prefect_schedule_mcp.settings import Settings
from tests.conftest import SERVER_ENV, START_TIMEOUT, TEST_HOME, DeploymentFactory
from tests.postgres import ThrowawayPostgres, why_unavailable
from tests.tools import bulk_cases

_reason = why_unavailable()
pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(_reason is not None, reason=str(_reason)),
]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with ThrowawayPostgres() as cluster:
        yield cluster.create_database("prefect")


@pytest.fixture(scope="module")
async def prefect_api_url(postgres_url: str) -> AsyncIterator[str]:
    server = EmbeddedPrefectServer(
        home=TEST_HOME / f"server-postgres-{uuid.uuid4().hex[:6]}",
        start_timeout=START_TIMEOUT,
        extra_env={**SERVER_ENV, "PREFECT_API_DATABASE_CONNECTION_URL": postgres_url},
    )
    url = await server.start()
    try:
        yield url
    finally:
        await server.stop()


@pytest.fixture(scope="module")
async def prefect_client(prefect_api_url: str) -> AsyncIterator[Any]:
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(prefect_api_url) as client:
        yield client


@pytest.fixture(scope="module")
async def mcp_client(prefect_api_url: str) -> AsyncIterator[Client[Any]]:
    from prefect_schedule_mcp.server import build_server

    async with Client(build_server(Settings(), api_url=prefect_api_url)) as client:
        yield client


async def test_the_database_is_told_from_the_server(
    prefect_api_url: str, make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    deployment_id, _ = await make_deployment()
    [run_id] = await bulk_cases.late_runs(prefect_client, deployment_id, count=1)
    assert await bulk_cases.database_of(prefect_api_url, run_id) == "postgresql"


async def test_reschedule_of_every_page_keeps_the_runs(
    mcp_client: Client[Any], make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    await bulk_cases.reschedule_every_page(mcp_client, make_deployment, prefect_client)


async def test_reschedule_survives_a_network_fault(
    prefect_api_url: str,
    mcp_client: Client[Any],
    make_deployment: DeploymentFactory,
    prefect_client: Any,
) -> None:
    await bulk_cases.reschedule_survives_a_fault(
        prefect_api_url, mcp_client, make_deployment, prefect_client, allowed=40
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


async def test_plan_reads_each_run_once_while_runs_change_state(
    prefect_api_url: str, make_deployment: DeploymentFactory, prefect_client: Any
) -> None:
    await bulk_cases.plan_reads_each_run_once(
        prefect_api_url,
        make_deployment,
        prefect_client,
        newest_first=False,
        leaving=5,
        joining=10,
        limit=300,
    )
