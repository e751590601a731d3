"""How the apply phase makes its calls: retries, concurrency, progress, faults.

A bulk apply is a list of *calls*, each covering one or more runs (one run for
a move, which needs its own time; up to 50 for a cancel or a delete). The
runner makes them a few at a time, in pages of runs, and:

- repeats a call the server could not serve now (a locked SQLite database),
  with a bounded, doubling back-off;
- stops at the first call that cannot reach the Prefect API at all, because
  every later call would fail the same way after the client's own retries.
  The runs of the calls not made are reported as failed and untouched; those
  of a call whose request went out but got no answer are reported as failed
  with an unknown outcome, since the server may have applied it;
- logs one INFO line per page and reports progress after every call.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from prefect_schedule_mcp.errors import ScheduleToolError
from prefect_schedule_mcp.prefect_api import PAGE_SIZE

logger = logging.getLogger(__name__)

RETRY_ATTEMPTS = 5
RETRY_FIRST_DELAY = 0.2  # seconds; doubles after each failed attempt
HTTP_SERVICE_UNAVAILABLE = 503
# Runs handled between two progress notifications (one bulk call's worth).
PROGRESS_EVERY = 50

T = TypeVar("T")

ProgressHandler = Callable[[float, float | None, str | None], Awaitable[None]]
"""``(progress, total, message)``, as FastMCP's ``Context.report_progress``."""


@dataclass
class BulkOutcome:
    """What happened to the runs an apply phase was given."""

    done: dict[uuid.UUID, str | None] = field(default_factory=dict)
    """Runs changed, with the name of the state they ended in."""
    failed: dict[uuid.UUID, str] = field(default_factory=dict)
    """Runs the server refused or that could not be reached, with the reason."""
    skipped: list[uuid.UUID] = field(default_factory=list)
    """Runs that no longer matched the plan's states; left alone."""
    unknown: set[uuid.UUID] = field(default_factory=set)
    """Failed runs whose request was sent but got no answer: they may have
    changed on the server."""
    halted: str | None = None
    """Why the apply phase stopped early (the Prefect API became unreachable)."""

    @property
    def unchanged(self) -> int:
        """Failed runs that certainly did not change."""
        return len(self.failed) - len(self.unknown)


class TransientFailure(ScheduleToolError):
    """The server could not act now (a locked database) and changed nothing."""


def is_transient(error: BaseException) -> bool:
    """Whether a failed call certainly changed nothing and may be repeated.

    Connection failures are not repeated here: Prefect's client already
    retries them with its own back-off before it gives up.
    """
    if isinstance(error, TransientFailure):
        return True
    cause = error.__cause__ if isinstance(error, ScheduleToolError) else error
    if isinstance(cause, httpx.HTTPStatusError):
        return cause.response.status_code == HTTP_SERVICE_UNAVAILABLE
    return False


def is_unreachable(error: BaseException) -> bool:
    """Whether a failed call could not talk to the Prefect API at all."""
    cause = error.__cause__ if isinstance(error, ScheduleToolError) else error
    return isinstance(cause, httpx.TransportError)


def may_have_applied(error: BaseException) -> bool:
    """Whether a call that could not talk to the API may still have been applied.

    Only a failure to connect proves the request never reached the server; a
    connection lost later may have lost just the answer.
    """
    cause = error.__cause__ if isinstance(error, ScheduleToolError) else error
    return not isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout)


UNKNOWN_OUTCOME = (
    " The request may have reached the Prefect server before the connection "
    "failed, so this run may have changed: list_flow_runs shows its state, and "
    "calling again finishes the job without changing a run twice."
)


async def with_retries(what: str, attempt: Callable[[], Awaitable[T]]) -> T:
    """``attempt()``, repeated with a doubling back-off while it fails transiently."""
    delay = RETRY_FIRST_DELAY
    for number in range(1, RETRY_ATTEMPTS + 1):
        try:
            return await attempt()
        except ScheduleToolError as e:
            if number == RETRY_ATTEMPTS or not is_transient(e):
                raise
            logger.warning(
                "%s failed transiently (attempt %s of %s), retrying in %.1f s: %s",
                what,
                number,
                RETRY_ATTEMPTS,
                delay,
                e,
            )
        await asyncio.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable: the last attempt returns or raises")


@dataclass
class Call:
    """One request of an apply phase and the runs it covers."""

    run_ids: list[uuid.UUID]
    make: Callable[[], Awaitable[None]]
    """Makes the request and records its runs in the outcome."""


@dataclass
class Runner:
    """Makes the calls of one apply phase.

    Args:
        verb: what the calls do, for log lines ("Rescheduled", "Cancelled").
        concurrency: calls in flight at once.
        progress: where to report progress; ``None`` reports nothing.
        total: runs in the whole operation (a reschedule moves and deletes).
        offset: runs of the operation already handled before this phase.
    """

    verb: str
    concurrency: int
    progress: ProgressHandler | None = None
    total: int | None = None
    offset: int = 0
    outcome: BulkOutcome = field(default_factory=BulkOutcome)
    _handled: int = 0
    _reported: int = 0
    _planned: int = 0

    async def run(self, calls: Sequence[Call]) -> BulkOutcome:
        gate = asyncio.Semaphore(max(1, self.concurrency))
        self._planned = sum(len(call.run_ids) for call in calls)
        for number, page in enumerate(_pages(calls), start=1):
            await asyncio.gather(*(self._make(call, gate) for call in page))
            logger.info(
                "%s page %s: %s runs; so far %s done, %s failed, %s changed meanwhile",
                self.verb,
                number,
                sum(len(call.run_ids) for call in page),
                len(self.outcome.done),
                len(self.outcome.failed),
                len(self.outcome.skipped),
            )
        return self.outcome

    def _open(self, run_id: uuid.UUID) -> bool:
        outcome = self.outcome
        return run_id not in outcome.done and run_id not in outcome.failed

    async def _make(self, call: Call, gate: asyncio.Semaphore) -> None:
        async with gate:
            if self.outcome.halted is None:
                try:
                    await call.make()
                except ScheduleToolError as e:
                    # Runs the server answered for before the failure keep
                    # that answer; only the others failed.
                    open_ids = [i for i in call.run_ids if self._open(i)]
                    reason = str(e)
                    if is_unreachable(e):
                        self.outcome.halted = str(e)
                        logger.warning("Stopping the bulk change: %s", e)
                        if may_have_applied(e):
                            reason += UNKNOWN_OUTCOME
                            self.outcome.unknown.update(open_ids)
                    self.outcome.failed.update(dict.fromkeys(open_ids, reason))
            else:
                reason = (
                    "not attempted (left unchanged): the Prefect API became "
                    f"unreachable earlier in this call. {self.outcome.halted}"
                )
                self.outcome.failed.update(dict.fromkeys(call.run_ids, reason))
        self._handled += len(call.run_ids)
        due = self._handled - self._reported >= PROGRESS_EVERY
        if self.progress is not None and (due or self._handled == self._planned):
            self._reported = self._handled
            await self.progress(
                self.offset + self._handled,
                self.total,
                f"{self.verb} {self.offset + self._handled} of {self.total} runs",
            )


def _pages(calls: Sequence[Call]) -> list[list[Call]]:
    """Calls grouped so that each group covers about one page of runs."""
    pages: list[list[Call]] = [[]]
    covered = 0
    for call in calls:
        if covered >= PAGE_SIZE:
            pages.append([])
            covered = 0
        pages[-1].append(call)
        covered += len(call.run_ids)
    return [page for page in pages if page]
