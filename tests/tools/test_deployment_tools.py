"""list_deployments and the deployment-resolution rules every tool shares."""

from __future__ import annotations

import uuid
from typing import Any

from fastmcp import Client

from tests.conftest import DeploymentFactory, call, call_error


async def test_list_deployments_finds_by_flow_or_deployment_name(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    tag = uuid.uuid4().hex[:6]
    deployment_id, name = await make_deployment(
        flow=f"sales-{tag}", name="nightly", parameters={"x": 3, "y": 4}
    )
    by_flow = await call(mcp_client, "list_deployments", search=f"sales-{tag}")
    assert [d["name"] for d in by_flow["deployments"]] == [name]
    found = by_flow["deployments"][0]
    assert found["id"] == str(deployment_id)
    assert found["parameters"] == {"x": 3, "y": 4}
    assert found["work_pool"] == "no-worker-pool"
    assert found["paused"] is False
    assert found["schedule_count"] == 0

    by_deployment = await call(mcp_client, "list_deployments", search="nightly")
    assert name in [d["name"] for d in by_deployment["deployments"]]


async def test_deployment_reference_forms(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    tag = uuid.uuid4().hex[:6]
    deployment_id, full_name = await make_deployment(name=f"unique-{tag}")
    for reference in (str(deployment_id), full_name, f"unique-{tag}"):
        listed = await call(
            mcp_client, "list_deployment_schedules", deployment=reference
        )
        assert listed["deployment"]["id"] == str(deployment_id)
        assert listed["deployment"]["name"] == full_name


async def test_ambiguous_bare_name_lists_the_full_names(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    shared = f"shared-{uuid.uuid4().hex[:6]}"
    _, first = await make_deployment(name=shared)
    _, second = await make_deployment(name=shared)
    text = await call_error(mcp_client, "list_deployment_schedules", deployment=shared)
    assert first in text
    assert second in text
    assert "full 'flow/deployment' name" in text


async def test_unknown_deployment_suggests_close_names(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    tag = uuid.uuid4().hex[:6]
    await make_deployment(name=f"warehouse-load-{tag}")
    text = await call_error(
        mcp_client, "list_deployment_schedules", deployment=f"warehouse-lod-{tag}"
    )
    assert "No deployment is named" in text
    assert f"warehouse-load-{tag}" in text


async def test_partial_name_never_selects_a_write_target(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    tag = uuid.uuid4().hex[:6]
    await make_deployment(name=f"billing-{tag}")
    text = await call_error(
        mcp_client,
        "create_cron_schedule",
        deployment=f"billing-{tag[:3]}",
        cron="0 * * * *",
    )
    assert "No deployment is named" in text


async def test_unknown_deployment_id(mcp_client: Client[Any]) -> None:
    missing = str(uuid.uuid4())
    text = await call_error(mcp_client, "list_deployment_schedules", deployment=missing)
    assert missing in text


async def test_search_matches_the_full_name_and_plain_text_only(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    tag = uuid.uuid4().hex[:6]
    _, name = await make_deployment(flow=f"etl-{tag}", name="nightly")
    await make_deployment(flow=f"etl-{tag}", name="hourly")
    full = await call(mcp_client, "list_deployments", search=name)
    assert [d["name"] for d in full["deployments"]] == [name]
    partial = await call(mcp_client, "list_deployments", search=f"{tag}/night")
    assert [d["name"] for d in partial["deployments"]] == [name]
    # The server's LIKE wildcards are text here, not patterns.
    for wildcard in ("%", "_", f"etl%{tag}"):
        found = await call(mcp_client, "list_deployments", search=wildcard)
        assert found["deployments"] == [], wildcard


async def test_a_full_page_of_deployments_says_there_may_be_more(
    mcp_client: Client[Any], make_deployment: DeploymentFactory
) -> None:
    tag = uuid.uuid4().hex[:6]
    for number in range(3):
        await make_deployment(flow=f"many-{tag}", name=f"d{number}")
    capped = await call(mcp_client, "list_deployments", search=f"many-{tag}", limit=2)
    assert len(capped["deployments"]) == 2
    assert any("may be more" in w for w in capped["warnings"])
    every = await call(mcp_client, "list_deployments", search=f"many-{tag}", limit=5)
    assert len(every["deployments"]) == 3
    assert every["warnings"] == []


async def test_search_reads_past_the_first_page_of_wildcard_matches(
    mcp_client: Client[Any], prefect_client: Any
) -> None:
    from prefect_schedule_mcp import sandbox

    tag = uuid.uuid4().hex[:6]
    flow = f"pad-{tag}"
    # LIKE reads '_' as any one character, so these 201 match '{tag}_' on the
    # server, and sort before the one deployment whose name has it as text.
    for number in range(201):
        await sandbox.create_deployment(prefect_client, flow, f"{tag}A{number:03d}")
    await sandbox.create_deployment(prefect_client, flow, f"{tag}_z")
    found = await call(mcp_client, "list_deployments", search=f"{tag}_")
    assert [d["name"] for d in found["deployments"]] == [f"{flow}/{tag}_z"]
    assert found["warnings"] == []


async def test_a_name_with_extra_slashes_is_refused_with_the_form(
    mcp_client: Client[Any],
) -> None:
    for reference in ("etl/a/b", "/nightly", "etl/"):
        text = await call_error(
            mcp_client, "list_deployment_schedules", deployment=reference
        )
        assert "'flow name/deployment name'" in text, reference
        assert "ValueError" not in text
