"""Report how many schedules the property tests compared."""

import pytest


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    counts = getattr(config, "scheduling_compared", None)
    if counts:
        summary = ", ".join(f"{kind}={n}" for kind, n in sorted(counts.items()))
        terminalreporter.write_line(f"schedules compared by property tests: {summary}")
