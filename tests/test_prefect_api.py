"""Prefect access: resolving a deployment costs one request and is never stale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastmcp import Client

from prefect_schedule_mcp.errors import NotFound
from prefect_schedule_mcp.prefect_api import PrefectAPI
from prefect_schedule_mcp.server import ErrorBoundary, build_server
from prefect_schedule_mcp.settings import Settings
from tests.conftest import DeploymentFactory, call


@pytest.fixture
async def api(prefect_api_url: str) -> AsyncIterator[PrefectAPI]:
    api = PrefectAPI(Settings(), api_url=prefect_api_url)
    try:
        yield api
    finally:
        await api.aclose()


async def record_requests(api: PrefectAPI) -> list[str]:
    """The paths of the requests the session's client sends from now on."""
    sent: list[str] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request.url.path)

    client = await api.client()
    client._client.event_hooks["request"].append(record)
    return sent


async def test_one_request_for_a_full_name_or_an_id(
    api: PrefectAPI, make_deployment: DeploymentFactory
) -> None:
    deployment_id, name = await make_deployment()
    sent = await record_requests(api)

    by_name = await api.resolve_deployment(name)
    assert (by_name.id, by_name.name) == (deployment_id, name)
    assert len(sent) == 1

    by_id = await api.resolve_deployment(str(deployment_id))
    assert by_id.name == name
    assert len(sent) == 2


async def test_a_recreated_deployment_resolves_to_the_new_one(
    api: PrefectAPI, prefect_client: Any, make_deployment: DeploymentFactory
) -> None:
    old_id, name = await make_deployment()
    flow, deployment = name.split("/")
    assert (await api.resolve_deployment(name)).id == old_id
    assert (await api.resolve_deployment(deployment)).id == old_id

    await prefect_client.delete_deployment(old_id)
    with pytest.raises(NotFound):
        await api.resolve_deployment(name)
    with pytest.raises(NotFound):
        await api.resolve_deployment(deployment)

    new_id, _ = await make_deployment(flow, deployment)
    assert new_id != old_id
    assert (await api.resolve_deployment(name)).id == new_id
    assert (await api.resolve_deployment(deployment)).id == new_id


async def test_listing_schedules_reads_the_deployment_once(
    prefect_api_url: str, make_deployment: DeploymentFactory
) -> None:
    _, name = await make_deployment()
    server = build_server(Settings(), api_url=prefect_api_url)
    async with Client(server) as client:
        await call(client, "create_cron_schedule", deployment=name, cron="0 9 * * *")
        await call(client, "create_interval_schedule", deployment=name, interval="6h")
        boundary = next(m for m in server.middleware if isinstance(m, ErrorBoundary))
        api = boundary.api
        sent = await record_requests(api)
        listed = await call(client, "list_deployment_schedules", deployment=name)
    assert len(listed["schedules"]) == 2
    assert all(len(s["next_runs"]) == 3 for s in listed["schedules"])
    assert len(sent) == 1
