"""The server's own settings, read from PREFECT_SCHEDULE_MCP_* variables."""

from __future__ import annotations

import pytest

from prefect_schedule_mcp.settings import Settings


@pytest.mark.parametrize(
    ("raw", "read_only"),
    [
        ("true", True),
        ("TRUE", True),
        (" 1 ", True),
        ("yes", True),
        ("on", True),
        ("false", False),
        ("0", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_read_only_words(
    monkeypatch: pytest.MonkeyPatch, raw: str, read_only: bool
) -> None:
    monkeypatch.setenv("PREFECT_SCHEDULE_MCP_READ_ONLY", raw)
    assert Settings.from_env().read_only is read_only


@pytest.mark.parametrize("raw", ["ture", "enabled", "y e s", "2"])
def test_a_misspelt_read_only_stops_the_server_instead_of_allowing_writes(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("PREFECT_SCHEDULE_MCP_READ_ONLY", raw)
    with pytest.raises(SystemExit) as stopped:
        Settings.from_env()
    assert "PREFECT_SCHEDULE_MCP_READ_ONLY" in str(stopped.value.code)
    assert "true or false" in str(stopped.value.code)


@pytest.mark.parametrize(
    ("name", "raw"),
    [("CALL_TIMEOUT", "abc"), ("CALL_TIMEOUT", "-1"), ("BULK_CONCURRENCY", "0")],
)
def test_bad_numbers_stop_the_server(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str
) -> None:
    monkeypatch.setenv(f"PREFECT_SCHEDULE_MCP_{name}", raw)
    with pytest.raises(SystemExit) as stopped:
        Settings.from_env()
    assert name in str(stopped.value.code)


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf"])
def test_a_time_out_must_be_finite(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("PREFECT_SCHEDULE_MCP_CALL_TIMEOUT", raw)
    with pytest.raises(SystemExit) as stopped:
        Settings.from_env()
    assert "finite" in str(stopped.value.code)


@pytest.mark.parametrize("raw", ["", "   ", "\t"])
def test_a_blank_auth_token_is_no_token(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("PREFECT_SCHEDULE_MCP_AUTH_TOKEN", raw)
    assert Settings.from_env().auth_token is None
