"""A throwaway PostgreSQL server for the test session (Debian's ``postgresql`` package).

:func:`start` runs ``initdb`` in a new temporary folder and ``pg_ctl start`` on a free 127.0.0.1
port, with the Unix socket in that folder too, so it touches no system cluster. Each test then gets
a database of its own (:meth:`PostgresServer.new_database`, copied from ``template0`` and dropped
after the test). Run as root, the server runs as the ``postgres`` user (``initdb`` refuses root).

The server's time zone is deliberately not UTC (``Europe/Warsaw``), as a production server's
often is: the store must hand back UTC times wherever the server lives.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: Where Debian puts the server programs; ``MATCHER_TEST_PG_BIN`` names another folder.
DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"
HOW_TO_GET_IT = "PostgreSQL is not installed: 'apt-get install postgresql' (see README, PostgreSQL)"


class Unavailable(RuntimeError):
    """What the server needs is not installed here (its programs, the driver); the message says how
    to get it. A server that is installed but fails to start raises :class:`RuntimeError` instead."""


def find_bindir() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl``: ``MATCHER_TEST_PG_BIN``, Debian's newest, or PATH's."""
    named = os.environ.get("MATCHER_TEST_PG_BIN")
    candidates = [Path(named)] if named else []
    candidates += sorted(Path("/").glob(DEBIAN_BINDIRS.lstrip("/")), key=_version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    return next((d for d in candidates if (d / "initdb").is_file() and (d / "pg_ctl").is_file()), None)


def _version(bindir: Path) -> int:
    name = bindir.parent.name
    return int(name) if name.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A running server in ``root``; the superuser ``postgres`` logs in without a password."""

    def __init__(self, bindir: Path, root: Path, port: int, run_as: list[str]) -> None:
        self.bindir = bindir
        self.root = root
        self.port = port
        self._run_as = run_as
        self._names = itertools.count(1)
        self._copy_files = ""  # " STRATEGY FILE_COPY" from PostgreSQL 15 on: faster for a small template

    def _read_version(self) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres") as c:
            row = c.execute("SHOW server_version_num").fetchone()
        if row is not None and int(row[0]) >= 150000:
            self._copy_files = " STRATEGY FILE_COPY"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str = "postgres") -> str:
        """The SQLAlchemy URL of database ``dbname`` (the driver: psycopg 3)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def execute(self, *statements: str, dbname: str = "postgres") -> None:
        """Run SQL outside a transaction (CREATE and DROP DATABASE need that)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True) as c:
            for statement in statements:
                c.execute(statement)  # type: ignore[arg-type]  # our own literal SQL

    @contextlib.contextmanager
    def new_database(self) -> Iterator[str]:
        """A new, empty database for one test; dropped afterwards, connections left open or not."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self.execute(f"CREATE DATABASE {name} TEMPLATE template0{self._copy_files}")
        try:
            yield self.url(name)
        finally:
            self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def _ctl(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [*self._run_as, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)

    def stop(self) -> None:
        """Stop the server at once (nothing in it is kept) and remove its folder."""
        try:
            self._ctl("stop", "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start(tries: int = 3) -> PostgresServer:
    """initdb in a new temporary folder and start a server there; raises :class:`Unavailable`."""
    bindir = find_bindir()
    if bindir is None:
        raise Unavailable(HOW_TO_GET_IT)
    try:
        import psycopg  # noqa: F401  # the driver the URLs name
    except ImportError:
        raise Unavailable("the psycopg driver is missing: '.venv/bin/pip install -r requirements.lock'") from None
    run_as: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="matcher-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            raise Unavailable("running as root and there is no 'postgres' user to run the server as") from None
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    try:
        _initdb(bindir, root, run_as)
        for attempt in range(tries):  # a free port can be taken between finding it and listening on it
            server = PostgresServer(bindir, root, _free_port(), run_as)
            started = server._ctl("start", "-w", "-t", "60", "-l", str(root / "server.log"), "-o", _options(server))
            if started.returncode == 0:
                try:
                    server._read_version()
                except BaseException:
                    server.stop()
                    raise
                return server
            if attempt == tries - 1:
                log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
                raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()} {log[-2000:]}")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    raise AssertionError("unreachable")


def _initdb(bindir: Path, root: Path, run_as: list[str]) -> None:
    command = [
        *run_as,
        str(bindir / "initdb"),
        "-D",
        str(root / "data"),
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
        "--no-sync",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")


def _options(server: PostgresServer) -> str:
    """Server settings: only loopback and our own socket folder; speed over crash safety (the
    server is thrown away; a killed *client* loses nothing either way); a non-UTC time zone."""
    settings = {
        "port": server.port,
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": server.root,
        "max_connections": 200,
        "fsync": "off",
        "full_page_writes": "off",
        "timezone": "Europe/Warsaw",
    }
    return " ".join(f"-c {k}={v}" for k, v in settings.items())
