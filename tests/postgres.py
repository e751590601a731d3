"""A throwaway PostgreSQL cluster for tests and the benchmark.

Installs nothing: it finds Debian's ``postgresql`` binaries (on PATH or in
``/usr/lib/postgresql/<version>/bin``), creates a cluster in a temporary
directory, starts it on a free loopback port and creates one database. The
server refuses to run as root, so under root the cluster belongs to the
``postgres`` user and every command runs through ``runuser``.

Use it as a context manager::

    with ThrowawayPostgres() as pg:
        url = pg.database_url("prefect")   # postgresql+asyncpg://...
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from prefect_schedule_mcp.embedded import LOOPBACK, free_port

SUPERUSER = "postgres"
START_TIMEOUT = 60.0
READY_POLL_INTERVAL = 0.2
COMMAND_TIMEOUT = 120.0


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed here, or cannot run."""


def find_bin_dir() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl``, newest version first."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name)
            if Path(p).parent.parent.name.isdigit()
            else 0
        ),
        reverse=True,
    )
    return Path(versions[0]).parent if versions else None


def why_unavailable() -> str | None:
    """A reason PostgreSQL cannot be used here, or ``None`` when it can."""
    if find_bin_dir() is None:
        return (
            "PostgreSQL is not installed (no initdb on PATH or in "
            "/usr/lib/postgresql/*/bin); install Debian's 'postgresql' package"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            return "running as root and there is no 'postgres' user to own a cluster"
    return None


class ThrowawayPostgres:
    """One PostgreSQL cluster in a temporary directory, on a free port.

    Args:
        durable: keep PostgreSQL's default durability (fsync). Tests turn it
            off for speed; the benchmark keeps it, as a real deployment would.
    """

    def __init__(self, durable: bool = False) -> None:
        reason = why_unavailable()
        if reason:
            raise PostgresUnavailable(reason)
        bin_dir = find_bin_dir()
        assert bin_dir is not None
        self.bin_dir = bin_dir
        self.durable = durable
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="psm-postgres-"))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log_path = self.root / "postgres.log"
        self._as_other_user = os.geteuid() == 0
        self._started = False

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bin_dir / command[0]), *command[1:]]
        if self._as_other_user:
            argv = ["runuser", "-u", SUPERUSER, "--", *argv]
        completed = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            cwd=self.root,
        )
        if completed.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(command[:2])} failed ({completed.returncode}): "
                f"{completed.stderr.strip() or completed.stdout.strip()}"
            )
        return completed

    def start(self) -> ThrowawayPostgres:
        self.socket_dir.mkdir(parents=True)
        if self._as_other_user:
            owner = pwd.getpwnam(SUPERUSER)
            for path in (self.root, self.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-instructions",
        )
        options = [
            f"-p {self.port}",
            f"-k {self.socket_dir}",
            f"-c listen_addresses={LOOPBACK}",
            "-c max_connections=200",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off"]
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_path),
            "-o",
            " ".join(options),
            "-w",
            "-t",
            str(int(START_TIMEOUT)),
            "start",
        )
        self._started = True
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            probe = subprocess.run(
                [
                    str(self.bin_dir / "pg_isready"),
                    "-h",
                    LOOPBACK,
                    "-p",
                    str(self.port),
                ],
                capture_output=True,
                timeout=COMMAND_TIMEOUT,
            )
            if probe.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise PostgresUnavailable(
                    f"PostgreSQL on port {self.port} was not ready within "
                    f"{START_TIMEOUT:.0f} s; see {self.log_path}"
                )
            time.sleep(READY_POLL_INTERVAL)

    def create_database(self, name: str) -> str:
        """Create database ``name``; returns its asyncpg URL for Prefect."""
        self._run(
            "createdb", "-h", LOOPBACK, "-p", str(self.port), "-U", SUPERUSER, name
        )
        return self.database_url(name)

    def database_url(self, name: str) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@{LOOPBACK}:{self.port}/{name}"

    def stop(self) -> None:
        if self._started:
            self._started = False
            try:
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "stop")
            finally:
                shutil.rmtree(self.root, ignore_errors=True)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
