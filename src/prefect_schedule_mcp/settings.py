"""Settings of the MCP server, read once from the environment.

Prefect's own settings (``PREFECT_API_URL``, ``PREFECT_API_KEY``,
``PREFECT_API_AUTH_STRING`` and the active profile) decide which Prefect API the
server talks to; they are read through Prefect's settings loader on the first
call that needs them, so listing tools imports nothing of Prefect.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

ENV_PREFIX = "PREFECT_SCHEDULE_MCP_"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})

# A cold machine needs ~20 s before a new Prefect server answers its health
# check; leave plenty of room.
DEFAULT_EMBEDDED_START_TIMEOUT = 90.0
# A whole tool call, retries included; bulk calls over thousands of runs fit.
DEFAULT_CALL_TIMEOUT = 300.0
# One HTTP request to the Prefect API (Prefect's client retries a few times).
DEFAULT_REQUEST_TIMEOUT = 30.0


def _flag(name: str, default: bool = False) -> bool:
    """A yes/no setting; a word that is neither stops the server at start.

    A misspelt ``READ_ONLY=ture`` must not quietly offer the write tools.
    """
    raw = os.environ.get(ENV_PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SystemExit(
        f"{ENV_PREFIX}{name}={raw!r} is neither true nor false; set it to true "
        "or false (1/0, yes/no and on/off work too), or unset it."
    )


def _number(name: str, default: float) -> float:
    raw = os.environ.get(ENV_PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as e:
        raise SystemExit(
            f"{ENV_PREFIX}{name}={raw!r} is not a number of seconds; "
            "set it to a positive number such as 60."
        ) from e
    if not math.isfinite(value) or value <= 0:
        raise SystemExit(
            f"{ENV_PREFIX}{name} must be a positive, finite number of seconds, "
            f"not {raw!r}."
        )
    return value


def _count(name: str) -> int | None:
    raw = os.environ.get(ENV_PREFIX + name)
    if raw is None or raw.strip() == "":
        return None
    if not raw.strip().isdigit() or int(raw) < 1:
        raise SystemExit(
            f"{ENV_PREFIX}{name}={raw!r} is not a positive whole number; "
            "set it to a count such as 4, or unset it for the default."
        )
    return int(raw)


@dataclass(frozen=True)
class Settings:
    """What the server reads from ``PREFECT_SCHEDULE_MCP_*`` variables."""

    read_only: bool = False
    """With ``READ_ONLY=true`` the write tools are not offered at all."""

    call_timeout: float = DEFAULT_CALL_TIMEOUT
    """Seconds a whole tool call may take before it fails with a clear error."""

    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    """Seconds one request to the Prefect API may wait for an answer."""

    auth_token: str | None = field(default=None, repr=False)
    """With ``AUTH_TOKEN`` set, HTTP requests must carry it as a bearer token."""

    embedded_start_timeout: float = DEFAULT_EMBEDDED_START_TIMEOUT
    """Seconds to wait for the embedded Prefect server's health check."""

    log_level: str = "INFO"

    bulk_concurrency: int | None = None
    """With ``BULK_CONCURRENCY`` set, bulk calls keep this many requests in
    flight; otherwise the number is chosen by the server's database."""

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            read_only=_flag("READ_ONLY"),
            call_timeout=_number("CALL_TIMEOUT", DEFAULT_CALL_TIMEOUT),
            request_timeout=_number("REQUEST_TIMEOUT", DEFAULT_REQUEST_TIMEOUT),
            # A blank token is no token: the open-bind check must see it so.
            auth_token=(os.environ.get(ENV_PREFIX + "AUTH_TOKEN") or "").strip()
            or None,
            embedded_start_timeout=_number(
                "EMBEDDED_START_TIMEOUT", DEFAULT_EMBEDDED_START_TIMEOUT
            ),
            log_level=os.environ.get(ENV_PREFIX + "LOG_LEVEL", "INFO").upper(),
            bulk_concurrency=_count("BULK_CONCURRENCY"),
        )
