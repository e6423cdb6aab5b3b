"""A throwaway PostgreSQL server for the tests: its own cluster in a temporary folder.

The cluster is made with initdb and run with pg_ctl on a free port of 127.0.0.1, as an
unprivileged user: PostgreSQL refuses to run as root, so when the tests run as root (as CI
does) both run as nobody (uid 65534) through setpriv. Durability is switched off (fsync,
full-page writes, synchronous commit): the data is thrown away at the end anyway.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

NOBODY = 65534
# A hang guard only: initdb and start take a few seconds even on a loaded machine.
START_TIMEOUT_S = 120

INSTALL_HINT = (
    "the PostgreSQL tests need the PostgreSQL server binaries (initdb, pg_ctl, postgres): "
    "install them (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql) "
    "or put their folder on PATH"
)


class PgServerError(RuntimeError):
    """The throwaway server could not be found, started or used."""


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: pg_config's, a Debian versioned one, or PATH's."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=True
            )
            candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    # Debian installs the server under a versioned folder and pg_config may be the client's.
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgServer:
    """One running cluster; databases are made and dropped through its `postgres` superuser."""

    def __init__(self, bindir: Path) -> None:
        """Remember where the binaries are; start() makes and runs the cluster."""
        self.bindir = bindir
        self._as_nobody = os.geteuid() == 0
        # As root the folder must be reachable by nobody: /tmp is, a private TMPDIR may not be.
        parent = "/tmp" if self._as_nobody and os.path.isdir("/tmp") else None
        self.root = Path(tempfile.mkdtemp(prefix="newsweave-pg-", dir=parent))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._made = 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a server binary as the unprivileged user; raise with its output if it fails."""
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_nobody:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                raise PgServerError(
                    "running as root, the PostgreSQL tests start the server as nobody through "
                    "setpriv, which is not installed (Debian: apt-get install util-linux)"
                )
            command = [
                setpriv,
                f"--reuid={NOBODY}",
                f"--regid={NOBODY}",
                "--clear-groups",
                *command,
            ]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PgServerError(
                f"{args[0]} failed (exit {done.returncode}): {done.stdout}{done.stderr}{log}"
            )
        return done

    def start(self) -> None:
        """Make the cluster and start the server on a free port (a few tries if one is taken)."""
        if self._as_nobody:
            os.chown(self.root, NOBODY, NOBODY)
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--locale=C.UTF-8",
        )  # fmt: skip
        last: PgServerError | None = None
        for _ in range(3):
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}"
                " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
                " -c max_connections=200"
            )
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                          "-w", "-t", str(START_TIMEOUT_S), "start")  # fmt: skip
                return
            except PgServerError as exc:  # most likely the port was taken in between
                last = exc
        raise PgServerError(f"the PostgreSQL server did not start: {last}")

    def stop(self) -> None:
        """Stop the server (if it runs) and remove its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """The URL of one database of this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database; return its URL."""
        self._made += 1
        name = f"t{os.getpid()}_{self._made}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by create_database, closing any connection left to it."""
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
