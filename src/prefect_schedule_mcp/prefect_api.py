"""The one place that talks to Prefect.

It owns the session's single Prefect client (and so one connection pool),
decides which API to use (Prefect's settings and profile, or an embedded local
server when none is configured), resolves deployment references exactly,
pages through flow runs, wraps the bulk endpoints the client does not, and
translates every Prefect and HTTP failure into the project's errors.

Prefect is imported lazily, in the background once the tools are listed
(:mod:`.preload`): listing tools must not pay for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prefect_schedule_mcp.embedded import EmbeddedPrefectServer
from prefect_schedule_mcp.errors import (
    Ambiguous,
    InvalidInput,
    NotFound,
    PrefectUnavailable,
    ScheduleToolError,
    suggestion,
)
from prefect_schedule_mcp.prefect_errors import translate_error
from prefect_schedule_mcp.preload import PrefectPreload
from prefect_schedule_mcp.settings import Settings

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import DeploymentFilter, FlowRunFilter
    from prefect.client.schemas.objects import FlowRun
    from prefect.client.schemas.responses import DeploymentResponse
    from prefect.client.schemas.sorting import FlowRunSort

logger = logging.getLogger(__name__)

# The server caps one page of flow runs (and deployments) at 200.
PAGE_SIZE = 200
# The server's bulk endpoints act on at most 50 runs a call.
BULK_LIMIT = 50
# How many deployments to read when suggesting names for a miss.
SUGGESTION_SCAN_LIMIT = 200
# How many deployments a search reads at most, page by page.
SEARCH_SCAN_LIMIT = 5000


@dataclass(frozen=True)
class Deployment:
    """A resolved deployment with its full ``flow/deployment`` name."""

    id: uuid.UUID
    name: str
    raw: DeploymentResponse


class PrefectAPI:
    """The session's access to one Prefect API.

    The connection is made on the first call that needs it: the MCP server
    lists its tools at once, and an unreachable API fails the call, not the
    server.
    """

    def __init__(self, settings: Settings, api_url: str | None = None) -> None:
        self.settings = settings
        self._api_url = api_url
        self._client: PrefectClient | None = None
        self._embedded: EmbeddedPrefectServer | None = None
        self._lock = asyncio.Lock()
        self._flow_names: dict[uuid.UUID, str] = {}
        self.preload = PrefectPreload()

    @property
    def api_url(self) -> str:
        return self._api_url or "(not connected yet)"

    async def client(self) -> PrefectClient:
        """The session's client, created and entered once."""
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                self._client = await self._connect()
        return self._client

    async def _connect(self) -> PrefectClient:
        await self.preload.wait()
        from prefect.client.orchestration import PrefectClient
        from prefect.settings import get_current_settings

        prefect_settings = get_current_settings()
        api_key = prefect_settings.api.key
        auth_string = prefect_settings.api.auth_string
        if self._api_url is None:
            self._api_url = prefect_settings.api.url
        if self._api_url is None:
            self._embedded = EmbeddedPrefectServer(
                start_timeout=self.settings.embedded_start_timeout
            )
            try:
                self._api_url = await self._embedded.start()
            except Exception as e:
                self._embedded = None
                raise PrefectUnavailable(
                    "No Prefect API is configured (PREFECT_API_URL is unset) and the "
                    f"local Prefect server could not be started: {e}"
                ) from e
        client = PrefectClient(
            self._api_url,
            api_key=api_key.get_secret_value() if api_key else None,
            auth_string=auth_string.get_secret_value() if auth_string else None,
            httpx_settings={"timeout": self.settings.request_timeout},
        )
        await client.__aenter__()
        logger.info("Connected to the Prefect API at %s", self._api_url)
        return client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.__aexit__(None, None, None)
        embedded, self._embedded = self._embedded, None
        if embedded is not None:
            await embedded.stop()

    # -- errors -----------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def calling(self, what: str) -> AsyncIterator[None]:
        """Translate Prefect and HTTP failures of ``what`` into tool errors."""
        try:
            yield
        except ScheduleToolError:
            raise
        except Exception as e:
            raise self.translate(e, what) from e

    def translate(self, error: Exception, what: str) -> ScheduleToolError:
        """The tool error for a Prefect or HTTP failure of ``what``."""
        return translate_error(error, what, self.api_url, self.settings.request_timeout)

    # -- deployments ------------------------------------------------------------

    async def flow_names(self, flow_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Flow names by id, read once per session."""
        from prefect.client.schemas.filters import FlowFilter, FlowFilterId

        missing = {fid for fid in flow_ids if fid not in self._flow_names}
        if missing:
            client = await self.client()
            async with self.calling("Reading flows"):
                flows = await client.read_flows(
                    flow_filter=FlowFilter(id=FlowFilterId(any_=list(missing))),
                    limit=len(missing),
                )
            self._flow_names.update({flow.id: flow.name for flow in flows})
        return dict(self._flow_names)

    async def _named(self, raw: list[DeploymentResponse]) -> list[Deployment]:
        names = await self.flow_names(d.flow_id for d in raw)
        return [
            Deployment(d.id, f"{names.get(d.flow_id, '?')}/{d.name}", d) for d in raw
        ]

    async def read_deployments(
        self,
        deployment_filter: DeploymentFilter | None = None,
        limit: int = PAGE_SIZE,
        offset: int = 0,
    ) -> list[Deployment]:
        client = await self.client()
        async with self.calling("Listing deployments"):
            raw = await client.read_deployments(
                deployment_filter=deployment_filter, limit=limit, offset=offset
            )
        return await self._named(raw)

    async def deployment_names(
        self, deployment_ids: Iterable[uuid.UUID | None]
    ) -> dict[uuid.UUID, str]:
        """The 'flow/deployment' names of the deployments that still exist."""
        from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

        ids = list({i for i in deployment_ids if i is not None})
        if not ids:
            return {}
        found = await self.read_deployments(
            DeploymentFilter(id=DeploymentFilterId(any_=ids)), limit=len(ids)
        )
        return {d.id: d.name for d in found}

    async def search_deployments(
        self, search: str | None, limit: int
    ) -> tuple[list[Deployment], bool]:
        """Deployments whose ``flow/deployment`` name contains ``search``, and
        whether there may be more than those returned.

        Matching is by case-insensitive substring, for finding; writes resolve
        with :meth:`resolve_deployment`, which never matches partially. A
        search with a ``/`` matches the flow part and the deployment part
        together. The server's LIKE treats ``%`` and ``_`` as wildcards, so
        its answers are read page by page (up to :data:`SEARCH_SCAN_LIMIT`)
        and filtered again on the plain text.
        """
        from prefect.client.schemas.filters import (
            DeploymentFilter,
            DeploymentFilterName,
            FlowFilter,
            FlowFilterName,
        )

        text = (search or "").strip()
        if not text:
            # One more than asked tells whether there are more; a full page of
            # 200 (the server's cap) can only say that there may be.
            ask = min(limit + 1, PAGE_SIZE)
            first = await self.read_deployments(limit=ask)
            return first[:limit], len(first) > limit or len(first) == PAGE_SIZE
        if "/" in text:
            flow_part, _, deployment_part = text.partition("/")
            queries = [
                {
                    "flow_filter": FlowFilter(name=FlowFilterName(like_=flow_part))
                    if flow_part
                    else None,
                    "deployment_filter": DeploymentFilter(
                        name=DeploymentFilterName(like_=deployment_part)
                    )
                    if deployment_part
                    else None,
                }
            ]
        else:
            queries = [
                {
                    "deployment_filter": DeploymentFilter(
                        name=DeploymentFilterName(like_=text)
                    )
                },
                {"flow_filter": FlowFilter(name=FlowFilterName(like_=text))},
            ]
        merged: dict[uuid.UUID, DeploymentResponse] = {}
        cut_short = False
        for query in queries:
            rows, more = await self._read_deployment_pages(query)
            cut_short = cut_short or more
            merged.update((d.id, d) for d in rows)
        found = await self._named(list(merged.values()))
        wanted = text.lower()
        matching = sorted(
            (d for d in found if wanted in d.name.lower()), key=lambda d: d.name
        )
        return matching[:limit], cut_short or len(matching) > limit

    async def _read_deployment_pages(
        self, query: dict[str, Any]
    ) -> tuple[list[DeploymentResponse], bool]:
        """Every deployment a filter matches, up to :data:`SEARCH_SCAN_LIMIT`,
        and whether the limit cut the reading short."""
        client = await self.client()
        rows: list[DeploymentResponse] = []
        while len(rows) < SEARCH_SCAN_LIMIT:
            async with self.calling("Searching deployments"):
                page = await client.read_deployments(
                    **query, limit=PAGE_SIZE, offset=len(rows)
                )
            rows.extend(page)
            if len(page) < PAGE_SIZE:
                return rows, False
        return rows, True

    async def resolve_deployment(self, reference: str) -> Deployment:
        """Exactly one deployment for an id, a ``flow/deployment`` or a bare name.

        One request for an id or a full name, whose answer carries the
        deployment's schedules; flow names are read once a session. Nothing
        about the deployment is cached: each call sees it as it is now, and a
        bare name is searched each time, since another deployment may take the
        same name at any moment and make it ambiguous.
        """
        from prefect.client.schemas.filters import (
            DeploymentFilter,
            DeploymentFilterName,
        )
        from prefect.exceptions import ObjectNotFound

        reference = (reference or "").strip()
        if not reference:
            raise InvalidInput(
                "deployment",
                reference,
                "it is empty.",
                "Give a deployment id, 'flow name/deployment name', or a unique "
                "deployment name; list_deployments shows them.",
            )
        parts = reference.split("/")
        if len(parts) > 2 or (len(parts) == 2 and not all(p.strip() for p in parts)):
            raise InvalidInput(
                "deployment",
                reference,
                "a name has the form 'flow name/deployment name', with one '/' "
                "between two names.",
                "list_deployments shows the names (or search for part of it).",
            )
        client = await self.client()
        try:
            deployment_id = uuid.UUID(reference)
        except ValueError:
            deployment_id = None
        if deployment_id is not None:
            try:
                async with self.calling(f"Reading deployment {reference}"):
                    raw = await client.read_deployment(deployment_id)
            except NotFound as e:
                raise NotFound(
                    f"No deployment has the id {reference}. Use list_deployments to "
                    "find the id or the 'flow/deployment' name."
                ) from e
            return (await self._named([raw]))[0]

        if "/" in reference:
            try:
                async with self.calling(f"Reading deployment {reference!r}"):
                    raw = await client.read_deployment_by_name(reference)
            except (NotFound, ObjectNotFound) as e:
                raise await self._not_found(reference) from e
            # Matched exactly, so the reference names the flow too.
            self._flow_names.setdefault(raw.flow_id, reference.split("/", 1)[0])
            return (await self._named([raw]))[0]

        async with self.calling(f"Looking up deployment {reference!r}"):
            matches = await client.read_deployments(
                deployment_filter=DeploymentFilter(
                    name=DeploymentFilterName(any_=[reference])
                ),
                limit=PAGE_SIZE,
            )
        if not matches:
            raise await self._not_found(reference)
        named = await self._named(matches)
        if len(named) > 1:
            full = ", ".join(repr(d.name) for d in sorted(named, key=lambda d: d.name))
            raise Ambiguous(
                f"The deployment name {reference!r} matches {len(named)} deployments: "
                f"{full}. Call again with the full 'flow/deployment' name or the id."
            )
        return named[0]

    async def _not_found(self, reference: str) -> NotFound:
        known = await self.read_deployments(limit=SUGGESTION_SCAN_LIMIT)
        candidates = [d.name for d in known] + [d.name.split("/", 1)[1] for d in known]
        hint = suggestion(reference, candidates) or (
            "Use list_deployments to see the deployments that exist."
        )
        return NotFound(f"No deployment is named {reference!r}. {hint}")

    # -- flow runs ----------------------------------------------------------------

    async def iter_flow_runs(
        self,
        flow_run_filter: FlowRunFilter | None,
        sort: FlowRunSort,
        limit: int | None = None,
        page_size: int = PAGE_SIZE,
    ) -> AsyncIterator[list[FlowRun]]:
        """Pages of matching runs, until ``limit`` runs or the end.

        Offsets are stable only while the set does not change; callers that
        change runs while paging should re-read from offset 0 instead.
        """
        client = await self.client()
        offset = 0
        seen = 0
        while limit is None or seen < limit:
            size = page_size if limit is None else min(page_size, limit - seen)
            async with self.calling("Reading flow runs"):
                page = await client.read_flow_runs(
                    flow_run_filter=flow_run_filter,
                    sort=sort,
                    limit=size,
                    offset=offset,
                )
            if not page:
                return
            yield page
            seen += len(page)
            offset += len(page)
            if len(page) < size:
                return

    async def count_flow_runs(self, flow_run_filter: FlowRunFilter | None) -> int:
        client = await self.client()
        async with self.calling("Counting flow runs"):
            return await client.count_flow_runs(flow_run_filter=flow_run_filter)

    async def post(self, path: str, payload: dict[str, Any], what: str) -> Any:
        """POST to an endpoint the client does not wrap; returns the JSON."""
        client = await self.client()
        async with self.calling(what):
            response = await client.request("POST", path, json=payload)  # type: ignore[arg-type]
        return response.json()
