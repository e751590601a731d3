"""Serving MCP over streamable HTTP, safely.

A server that can cancel a team's flow runs must not answer just anyone:

- With ``PREFECT_SCHEDULE_MCP_AUTH_TOKEN`` set, every request must carry
  ``Authorization: Bearer <token>``; the comparison takes constant time.
- Binding to anything but a loopback address without a token is refused.
- DNS-rebinding protection: a request whose ``Host`` (or ``Origin``) is not an
  allowed name is refused. Loopback names are allowed; ``--allowed-host`` adds
  more.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Sequence

from fastmcp.server.auth import AccessToken, TokenVerifier

from prefect_schedule_mcp.settings import ENV_PREFIX, Settings

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
TOKEN_CLIENT_ID = "prefect-schedule-mcp-token"


class OpenBindRefused(SystemExit):
    """Serving on a non-loopback address without a token."""


class SharedTokenVerifier(TokenVerifier):
    """Accepts exactly one bearer token, compared in constant time."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token.encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self._token):
            return AccessToken(token=token, client_id=TOKEN_CLIENT_ID, scopes=[])
        logger.warning("Refused an HTTP request with a wrong bearer token")
        return None


def is_loopback(host: str) -> bool:
    if host.strip("[]") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: Settings) -> None:
    """Refuse to serve openly: a non-loopback address needs a token."""
    if not is_loopback(host) and not settings.auth_token:
        raise OpenBindRefused(
            f"Refusing to serve on {host}: anyone who can reach it could change "
            f"your Prefect schedules and runs. Set {ENV_PREFIX}AUTH_TOKEN to a "
            "secret that clients send as 'Authorization: Bearer <token>', or bind "
            "to 127.0.0.1."
        )


def allowed_hosts(host: str, port: int, extra: Sequence[str]) -> list[str]:
    """Host header values to accept: loopback names, the bound host, extras."""
    names = {*LOOPBACK_NAMES, *extra}
    if not is_loopback(host) and host not in ("0.0.0.0", "::"):
        names.add(host)
    with_ports = {f"{name}:{port}" for name in names}
    return sorted(names | with_ports)


def serve_http(
    settings: Settings, host: str, port: int, extra_hosts: Sequence[str] = ()
) -> None:
    """Serve streamable HTTP at ``/mcp`` until interrupted."""
    import uvicorn

    from prefect_schedule_mcp.server import build_server

    check_bind(host, settings)
    auth = SharedTokenVerifier(settings.auth_token) if settings.auth_token else None
    mcp = build_server(settings, auth=auth)
    hosts = allowed_hosts(host, port, extra_hosts)
    app = mcp.http_app(
        path=MCP_PATH,
        host_origin_protection=True,
        allowed_hosts=hosts,
        allowed_origins=[f"http://{name}" for name in hosts],
    )
    logger.info(
        "Serving MCP over HTTP at http://%s:%d%s (%s)",
        host,
        port,
        MCP_PATH,
        "bearer token required" if auth else "no token: loopback only",
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on")
