#!/usr/bin/env python3
"""Run the project's tasks in a local virtual environment (.venv).

    python3 dev.py demo     the guided demo on an embedded Prefect server
    python3 dev.py test     formatting, lint, type check and the test suite
    python3 dev.py bench    the benchmarks

Needs only Python 3.11+ and pip: the first run creates .venv and installs the
project with its pinned development tools; later runs reinstall only when
pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".prefect-schedule-mcp-installed"
MIN_PYTHON = (3, 11)


def step(*command: str | Path) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    completed = subprocess.run([str(c) for c in command], cwd=ROOT)
    if completed.returncode != 0:
        raise SystemExit(completed.returncode)


def ensure_venv() -> None:
    if sys.version_info < MIN_PYTHON:
        raise SystemExit("prefect-schedule-mcp needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print(f"Creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    step(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    step(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def test(extra: list[str]) -> None:
    step(BIN / "ruff", "format", "--check", "src", "tests", "bench", "dev.py")
    step(BIN / "ruff", "check", "src", "tests", "bench", "dev.py")
    step(BIN / "mypy")
    step(PYTHON, "-m", "pytest", *extra)


def main() -> None:
    task, extra = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if task not in {"demo", "test", "bench"}:
        raise SystemExit(__doc__)
    ensure_venv()
    if task == "demo":
        step(BIN / "prefect-schedule-mcp", "demo", *extra)
    elif task == "test":
        test(extra)
    else:
        for script in sorted((ROOT / "bench").glob("*.py")):
            step(PYTHON, script, *extra)


if __name__ == "__main__":
    main()
