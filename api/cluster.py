"""The embedded private PostgreSQL cluster: find the binaries, initdb, start, stop, recover.

The cluster lives in a data directory of the project (default `./.campus/`), listens only on a
unix socket inside it, and trusts local connections because nobody else can reach that socket.
PostgreSQL refuses to run as root, so when we are root the server binaries run as an
unprivileged OS user (Debian's `postgres` by default) that owns the cluster's directories.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

MIN_VERSION = 15
SUPERUSER = "campus"
DATABASE = "campus"
PORT = 5432  # only names the socket file; the cluster opens no TCP port
# Where a root-run cluster goes when the data directory's parents are closed to the server user.
RELOCATION_ROOT = Path("/var/lib/campus/clusters")
SOCKET_PATH_LIMIT = 100  # sun_path holds 108 bytes; leave room for ".s.PGSQL.5432"


class ClusterError(RuntimeError):
    """A one-line, user-facing problem with the embedded cluster."""


@dataclass(frozen=True)
class Binaries:
    """A PostgreSQL server installation: its bin directory and major version."""

    bindir: Path
    major: int

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


def _major_version(bindir: Path) -> int | None:
    postgres = bindir / "postgres"
    if not os.access(postgres, os.X_OK):
        return None
    try:
        out = subprocess.run([str(postgres), "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def _candidate_bindirs() -> list[Path]:
    """PATH first, then `pg_config --bindir`, then Debian's versioned directories, highest first."""
    candidates: list[Path] = []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout
            candidates.append(Path(out.strip()))
        except (OSError, subprocess.CalledProcessError):
            pass
    versioned = Path("/usr/lib/postgresql").glob("*/bin")
    candidates.extend(
        sorted(versioned, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    )
    return candidates


def find_binaries() -> Binaries:
    """The first PostgreSQL ≥ 15 server installation found, or a one-line error naming the package."""
    for bindir in _candidate_bindirs():
        major = _major_version(bindir)
        if major is not None and major >= MIN_VERSION and (bindir / "initdb").exists():
            return Binaries(bindir=bindir, major=major)
    raise ClusterError(
        f"no PostgreSQL >= {MIN_VERSION} server binaries found (PATH, pg_config, /usr/lib/postgresql); "
        "install them with: apt-get install postgresql-15"
    )


def _service_user() -> pwd.struct_passwd | None:
    """The OS user the server runs as: None when we are not root (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("CAMPUS_PG_OS_USER", "postgres")
    try:
        return pwd.getpwnam(name)
    except KeyError as missing:
        raise ClusterError(
            f"running as root needs an unprivileged OS user '{name}' to run PostgreSQL "
            "(set CAMPUS_PG_OS_USER or create it)"
        ) from missing


@dataclass
class EmbeddedCluster:
    """A private cluster in `data_dir`. `settings` are extra postgresql.conf lines (e.g. for tests)."""

    data_dir: Path
    settings: dict[str, str] | None = None

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).absolute()
        self.binaries = find_binaries()
        self.os_user = _service_user()

    # -- where things are -------------------------------------------------------------------
    @property
    def root(self) -> Path:
        """The directory holding pgdata, socket and log (relocated when root's path is closed)."""
        if self.os_user is None or self._reachable_by_service_user(self.data_dir):
            return self.data_dir
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
        return RELOCATION_ROOT / digest

    @property
    def pgdata(self) -> Path:
        return self.root / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    @property
    def logfile(self) -> Path:
        return self.root / "log" / "postgresql.log"

    def url(self, database: str = DATABASE, user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@/{database}?host={self.socket_dir}"

    def _reachable_by_service_user(self, path: Path) -> bool:
        """Whether every existing ancestor of `path` lets the server user through."""
        assert self.os_user is not None
        for ancestor in [path, *path.parents]:
            if not ancestor.exists():
                continue
            st = ancestor.stat()
            if st.st_uid == self.os_user.pw_uid:
                allowed = st.st_mode & 0o100
            elif st.st_gid == self.os_user.pw_gid:
                allowed = st.st_mode & 0o010
            else:
                allowed = st.st_mode & 0o001
            if not allowed:
                return False
        return True

    # -- running commands as the right user -------------------------------------------------
    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [self.binaries.tool(tool), *args]
        if self.os_user is not None:
            command = ["runuser", "-u", self.os_user.pw_name, "--", *command]
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        # cwd "/" because the server user may not be allowed into the caller's directory.
        result = subprocess.run(command, capture_output=True, text=True, cwd="/", env=env)
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise ClusterError(f"{tool} {args[0] if args else ''} failed: {detail[-1] if detail else '?'}")
        return result

    def _make_owned_dir(self, path: Path, mode: int = 0o700) -> None:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(mode)
        if self.os_user is not None:
            os.chown(path, self.os_user.pw_uid, self.os_user.pw_gid)

    # -- life cycle -------------------------------------------------------------------------
    def is_initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def initialise(self) -> bool:
        """initdb once; returns False when the cluster already exists."""
        if self.is_initialised():
            return False
        if len(str(self.socket_dir)) > SOCKET_PATH_LIMIT:
            raise ClusterError(f"data directory path too long for a unix socket: {self.socket_dir}")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.root != self.data_dir:
            self.root.mkdir(parents=True, exist_ok=True)
            (self.data_dir / "cluster-location").write_text(f"{self.root}\n")
        self._make_owned_dir(self.root, 0o755)
        for directory in (self.pgdata, self.socket_dir, self.logfile.parent):
            self._make_owned_dir(directory)
        self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            SUPERUSER,
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        )
        with (self.pgdata / "postgresql.conf").open("a") as config:
            config.write("\n# Campus writes its settings here at every start.\ninclude_if_exists = 'campus.conf'\n")
        return True

    def _write_settings(self) -> None:
        """Rewritten at each start, so a moved data directory still gets the right socket path."""
        conf = {
            "listen_addresses": "''",
            "port": str(PORT),
            "unix_socket_directories": "'" + str(self.socket_dir).replace("'", "''") + "'",
            "unix_socket_permissions": "0700",
            "logging_collector": "off",
            **(self.settings or {}),
        }
        path = self.pgdata / "campus.conf"
        path.write_text("".join(f"{key} = {value}\n" for key, value in conf.items()))
        if self.os_user is not None:
            os.chown(path, self.os_user.pw_uid, self.os_user.pw_gid)

    def postmaster_pid(self) -> int | None:
        """The PID of this cluster's live postmaster, or None (a stale pid file does not count)."""
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        is_postgres = cmdline and Path(cmdline[0].decode(errors="replace")).name in {"postgres", "postmaster"}
        return pid if is_postgres and str(self.pgdata).encode() in b" ".join(cmdline) else None

    def is_running(self) -> bool:
        return self.postmaster_pid() is not None

    def _clear_stale_lock_files(self) -> None:
        """After a crash, a pid file may name a dead or reused PID; PostgreSQL would then refuse to start."""
        for stale in (self.pgdata / "postmaster.pid", self.socket_dir / f".s.PGSQL.{PORT}.lock"):
            stale.unlink(missing_ok=True)

    def start(self) -> bool:
        """Start the cluster (initialising it first); returns False when it was already running."""
        self.initialise()
        if self.is_running():
            return False
        self._clear_stale_lock_files()
        self._write_settings()
        self._run("pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self.logfile), "-w", "-t", "60")
        self._ensure_database()
        return True

    def stop(self) -> bool:
        """Stop the cluster (fast shutdown); returns False when it was not running."""
        if not self.is_running():
            return False
        self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60")
        return True

    def destroy(self) -> None:
        """Stop and delete the cluster and everything in it."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        if self.root != self.data_dir:
            (self.data_dir / "cluster-location").unlink(missing_ok=True)

    def _ensure_database(self, name: str = DATABASE) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
