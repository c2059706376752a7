"""Throwaway PostgreSQL clusters: a primary on a free port and streaming
standbys of it, for the benchmarks and the tests that need a real replica.

    with primary_and_standby() as (primary, standby):
        primary.url("verifier")   # postgres://postgres@127.0.0.1:<port>/verifier
        standby.in_recovery()     # True until standby.promote()

Each cluster lives in its own temporary directory (removed on exit), listens
on 127.0.0.1 only, trusts local connections (it holds nothing but test data)
and keeps its socket in its own directory, so it never meets the machine's
clusters. The binaries come from ``PG_BIN`` or the newest
``/usr/lib/postgresql/*/bin``; as root, they run as the ``postgres`` user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg

SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{directory}'
max_connections = 100
shared_buffers = 64MB
fsync = off
full_page_writes = off
wal_level = replica
max_wal_senders = 5
hot_standby = on
wal_receiver_status_interval = 1s
logging_collector = off
"""


def bin_directory() -> Path:
    """Where initdb, pg_ctl and pg_basebackup are."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
    )
    if not found:
        raise RuntimeError("No PostgreSQL binaries: set PG_BIN.")
    return found[-1]


def available() -> str | None:
    """Why throwaway clusters cannot be made here, or None if they can."""
    try:
        directory = bin_directory()
    except (RuntimeError, ValueError) as error:
        return str(error)
    for tool in ("initdb", "pg_ctl", "pg_basebackup"):
        if not (directory / tool).exists():
            return f"{tool} is not in {directory}"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*args: str) -> None:
    command = [str(bin_directory() / args[0]), *args[1:]]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603


@dataclass
class Cluster:
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, timeout: float = 30) -> None:
        _run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.directory / "server.log"),
            "-w",
            "-t",
            str(int(timeout)),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``immediate`` is a crash as far as clients see."""
        _run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def promote(self) -> None:
        """Make this standby a primary; returns once it accepts writes."""
        _run("pg_ctl", "-D", str(self.data), "-w", "promote")

    def in_recovery(self) -> bool:
        with psycopg.connect(self.url(), autocommit=True) as connection:
            return connection.execute("SELECT pg_is_in_recovery()").fetchone()[0]

    def execute(self, sql: str, database: str = "postgres") -> list[tuple]:
        with psycopg.connect(self.url(database), autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _directory() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="verifier-pg-"))
    directory.chmod(0o700)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    return directory


def _configure(cluster: Cluster) -> None:
    with (cluster.data / "postgresql.auto.conf").open("a") as settings:
        settings.write(SETTINGS.format(port=cluster.port, directory=cluster.directory))


@contextmanager
def primary() -> Iterator[Cluster]:
    """A new, empty, running primary; stopped and removed on exit."""
    cluster = Cluster(_directory(), free_port())
    try:
        _run(
            "initdb",
            "-D",
            str(cluster.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        _configure(cluster)
        cluster.start()
        yield cluster
    finally:
        _discard(cluster)


@contextmanager
def standby_of(source: Cluster) -> Iterator[Cluster]:
    """A hot standby streaming from ``source`` (``pg_basebackup -R``),
    running; stopped and removed on exit."""
    cluster = Cluster(_directory(), free_port())
    try:
        _run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(source.port),
            "-U",
            "postgres",
            "-D",
            str(cluster.data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        with (cluster.data / "postgresql.auto.conf").open("a") as settings:
            settings.write(f"\nport = {cluster.port}\n")
            settings.write(f"unix_socket_directories = '{cluster.directory}'\n")
        cluster.start()
        yield cluster
    finally:
        _discard(cluster)


def wait_for_replay(primary: Cluster, standby: Cluster, timeout: float = 30) -> None:
    """Until the standby has replayed everything the primary has written."""
    target = primary.execute("SELECT pg_current_wal_lsn()")[0][0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replayed = standby.execute(
            f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
        )[0][0]
        if replayed:
            return
        time.sleep(0.05)
    raise TimeoutError(f"The standby did not replay up to {target} in {timeout} s")


@contextmanager
def primary_and_standby() -> Iterator[tuple[Cluster, Cluster]]:
    with ExitStack() as stack:
        source = stack.enter_context(primary())
        yield source, stack.enter_context(standby_of(source))


def _discard(cluster: Cluster) -> None:
    if cluster.running():
        with suppress(subprocess.CalledProcessError):
            cluster.stop("immediate")
    shutil.rmtree(cluster.directory, ignore_errors=True)
