"""Start a deployment of the whole assistant for a benchmark, on free 127.0.0.1 ports.

A deployment is `make run`'s configuration (SQLite tracker store, in-memory locks, tickets in
SQLite; one worker each) or `make run-prod`'s (PostgreSQL tracker store, Redis lock store,
tickets in PostgreSQL; N workers each of Rasa, the action server and the help desk). Databases
are temporary (created and dropped here); Redis keys are left to expire in the machine's Redis
(database `BENCH_REDIS_DB`), or the stack runs a private, unsaved `redis-server` of its own
(`private_redis=True`), which a fault benchmark may kill. Emails go to a sink.

`DeploymentStack` also reads the CPU time of its processes (and of their PostgreSQL backends)
from /proc, and can kill and restart its services (scripts/bench_faults.py).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from scripts.eval_process import descendants as process_tree
from scripts.eval_process import parent_ids

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
POSTGRES_ADMIN_DSN = os.environ.get(
    "BENCH_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "11"))
# The shared secret Rasa sends the action server (actions/server.py), fresh for each run.
ACTION_TOKEN = secrets.token_urlsafe(32)
SERVICE_TOKEN = secrets.token_urlsafe(32)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Deployment:
    name: str
    production: bool  # PostgreSQL + Redis (endpoints.production.yml) or the SQLite default
    workers: int = 1

    @property
    def label(self) -> str:
        if not self.production:
            return "SQLite, 1 worker (make run)"
        plural = "s" if self.workers > 1 else ""
        return f"PostgreSQL + Redis, {self.workers} worker{plural} (make run-prod)"


DEPLOYMENTS = {
    "sqlite": Deployment("sqlite", production=False),
    "prod-1": Deployment("prod-1", production=True, workers=1),
    "prod-2": Deployment("prod-2", production=True, workers=2),
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            # A local benchmark stack: the development defaults (plain-HTTP cookies) are allowed.
            "HELPDESK_ENV": "development",
            "ACTION_SERVER_TOKEN": ACTION_TOKEN,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONPATH": str(ROOT),
            "PYTHONWARNINGS": "ignore",
        }
    )
    for inherited in ("SANIC_WORKERS", "ACTION_SERVER_SANIC_WORKERS"):
        env.pop(inherited, None)
    return env


# --- /proc -------------------------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of `pid`, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def descendants(roots: list[int]) -> list[int]:
    """`roots` and every process below them."""
    parents = parent_ids()
    return sorted(set().union(*(process_tree(root, parents) for root in roots)))


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    times = {}
    for pid in pids:
        stat = _proc_stat(pid)
        if stat is not None:
            times[pid] = stat[1]
    return times


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


# --- databases ----------------------------------------------------------------------------------


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    import psycopg2

    name = f"{prefix}_{secrets.token_hex(4)}"
    connection = psycopg2.connect(POSTGRES_ADMIN_DSN)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield f"{POSTGRES_ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


def _database_names(database_urls: list[str]) -> list[str]:
    return [url.rsplit("/", 1)[1] for url in database_urls if url.startswith("postgresql")]


def postgres_backend_pids(database_urls: list[str]) -> list[int]:
    import psycopg2

    names = _database_names(database_urls)
    if not names:
        return []
    with psycopg2.connect(POSTGRES_ADMIN_DSN) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
            (names,),
        )
        return [int(pid) for (pid,) in cursor.fetchall()]


def terminate_postgres_backends(database_urls: list[str]) -> int:
    """`pg_terminate_backend` every connection to these databases (and no others); how many."""
    import psycopg2

    names = _database_names(database_urls)
    if not names:
        return 0
    with psycopg2.connect(POSTGRES_ADMIN_DSN) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
            (names,),
        )
        row = cursor.fetchone()
        return int(row[0]) if row else 0


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (a Sanic master's workers)."""
    return sorted(
        child for child, parent in parent_ids().items() if parent == pid and not _zombie(child)
    )


def _zombie(pid: int) -> bool:
    """A process that has exited but was not reaped by its parent (yet)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return raw[raw.rindex(")") + 2 :].split()[0] == "Z"


# --- processes ----------------------------------------------------------------------------------


@dataclass
class Service:
    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    ready_url: str
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"{self.name} stopped: see {self.log_path}")
            if self.ready_url.startswith("redis://"):
                if _redis_answers(self.ready_url):
                    return
                time.sleep(0.2)
                continue
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as answer:
                    if answer.status < 500:
                        return
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{self.name} not ready at {self.ready_url} in {timeout:.0f} s")


def _redis_answers(url: str) -> bool:
    """True if the Redis at redis://host:port/... answers PING."""
    host, port = url[len("redis://") :].split("/", 1)[0].rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_until_idle(pids_of: Any, timeout: float, window: float = 2.0) -> None:
    """Wait until the processes `pids_of()` use < 10% of a core (every worker loaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = pids_of()
        before = cpu_seconds(pids)
        time.sleep(window)
        after = cpu_seconds(pids)
        busy = [after[p] - before[p] for p in after if p in before]
        if len(pids) > 0 and all(used < 0.1 * window for used in busy):
            return


@dataclass
class DeploymentStack:
    """One deployment's processes; use as a context manager."""

    deployment: Deployment
    model: Path
    work: Path
    # Run a redis-server of this stack's own (no persistence) instead of using the machine's.
    private_redis: bool = False
    ports: dict[str, int] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    database_urls: dict[str, str] = field(default_factory=dict)
    _cleanup: ExitStack = field(default_factory=ExitStack)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['rasa']}"

    @property
    def helpdesk_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['helpdesk']}"

    def __enter__(self) -> DeploymentStack:
        try:
            self._start()
        except BaseException:
            self._cleanup.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._cleanup.close()

    def _start(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Sink

        self.work.mkdir(parents=True, exist_ok=True)
        self.ports = {name: free_port() for name in ("rasa", "actions", "helpdesk", "smtp")}
        if self.private_redis:
            self.ports["redis"] = free_port()
        smtp = Controller(Sink(), hostname="127.0.0.1", port=self.ports["smtp"])
        smtp.start()
        self._cleanup.callback(smtp.stop)
        name = self.deployment.name
        if self.deployment.production:
            self.database_urls["tickets"] = self._cleanup.enter_context(
                postgres_database("bench_tickets")
            )
            self.database_urls["tracker"] = self._cleanup.enter_context(
                postgres_database("bench_tracker")
            )
        else:
            self.database_urls["tickets"] = f"sqlite:///{self.work / f'{name}-helpdesk.db'}"
            self.database_urls["tracker"] = str(self.work / f"{name}-tracker.db")
        for service in self._services():
            self.services[service.name] = service
            service.start()
            self._cleanup.callback(service.stop)
        timeouts = {"redis": 30, "helpdesk": 120, "actions": 120, "rasa": 400}
        for service_name, service in self.services.items():
            service.wait_ready(timeouts[service_name])
        wait_until_idle(lambda: descendants([self.services["rasa"].pid]), 240)

    @property
    def redis_port(self) -> int:
        return self.ports.get("redis", 6379)

    @property
    def redis_db(self) -> int:
        return 0 if self.private_redis else BENCH_REDIS_DB

    def _services(self) -> list[Service]:
        workers = str(self.deployment.workers)
        env = base_env()
        name = self.deployment.name
        helpdesk_env = {
            **env,
            "DATABASE_URL": self.database_urls["tickets"],
            "HELPDESK_SERVICE_TOKEN": SERVICE_TOKEN,
            "HELPDESK_SECRET_KEY": secrets.token_urlsafe(32),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.ports["smtp"]),
            "RASA_URL": f"http://127.0.0.1:{self.ports['rasa']}",
        }
        actions_env = {
            **env,
            "HELPDESK_URL": self.helpdesk_url,
            "HELPDESK_SERVICE_TOKEN": SERVICE_TOKEN,
            "ACTION_SERVER_SANIC_WORKERS": workers,
        }
        rasa_env = {**env, "SANIC_WORKERS": workers}
        if self.deployment.production:
            endpoints = ROOT / "endpoints.production.yml"
            tracker = self.database_urls["tracker"]
            rasa_env.update(
                {
                    "ACTION_SERVER_URL": f"http://127.0.0.1:{self.ports['actions']}/webhook",
                    "TRACKER_DB_HOST": "127.0.0.1",
                    "TRACKER_DB_PORT": "5432",
                    "TRACKER_DB_NAME": tracker.rsplit("/", 1)[1],
                    "TRACKER_DB_USER": "postgres",
                    "TRACKER_DB_PASSWORD": "",
                    "REDIS_HOST": "127.0.0.1",
                    "REDIS_PORT": str(self.redis_port),
                    "REDIS_DB": str(self.redis_db),
                }
            )
            if self.private_redis:
                # As in production, the help desk's rate limits live in the same Redis.
                helpdesk_env["REDIS_URL"] = f"redis://127.0.0.1:{self.redis_port}/1"
        else:
            # endpoints.yml as `make run` uses it, with this run's port and tracker file
            config = yaml.safe_load((ROOT / "endpoints.yml").read_text())
            config["action_endpoint"]["url"] = f"http://127.0.0.1:{self.ports['actions']}/webhook"
            config["tracker_store"]["db"] = self.database_urls["tracker"]
            endpoints = self.work / f"{name}-endpoints.yml"
            endpoints.write_text(yaml.safe_dump(config))
        log = self.work / f"{name}-%s.log"
        redis_server = []
        if self.private_redis:
            redis_server.append(
                Service(
                    "redis",
                    ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port)]
                    + ["--save", "", "--appendonly", "no", "--dir", str(self.work)],
                    env,
                    Path(str(log) % "redis"),
                    f"redis://127.0.0.1:{self.redis_port}/0",
                )
            )
        return redis_server + [
            Service(
                "helpdesk",
                [str(BIN / "helpdesk"), "serve", "--host", "127.0.0.1"]
                + ["--port", str(self.ports["helpdesk"]), "--workers", workers],
                helpdesk_env,
                Path(str(log) % "helpdesk"),
                f"{self.helpdesk_url}/helpdesk/login",
            ),
            Service(
                "actions",
                [str(BIN / "python"), "-m", "actions.server", "--host", "127.0.0.1"]
                + ["--port", str(self.ports["actions"]), "--workers", workers],
                actions_env,
                Path(str(log) % "actions"),
                f"http://127.0.0.1:{self.ports['actions']}/health",
            ),
            Service(
                "rasa",
                [str(BIN / "python"), "-m", "bot.rasa_runtime", "run", "--model", str(self.model)]
                + ["--endpoints", str(endpoints), "--credentials", "credentials.yml"]
                + ["--interface", "127.0.0.1", "--port", str(self.ports["rasa"])],
                rasa_env,
                Path(str(log) % "rasa"),
                f"{self.rasa_url}/",
            ),
        ]

    def server_pids(self) -> list[int]:
        return descendants([service.pid for service in self.services.values() if service.running()])

    def backend_pids(self) -> list[int]:
        try:
            return postgres_backend_pids(list(self.database_urls.values()))
        except Exception:  # noqa: BLE001 - a measurement aid only
            return []

    def cpu_snapshot(self) -> dict[int, float]:
        return cpu_seconds(self.server_pids() + self.backend_pids())

    def stored_tickets(self) -> list[tuple[str, str]]:
        """(reference, email) of every ticket in the help desk's database."""
        url = self.database_urls["tickets"]
        query = "SELECT reference, email FROM tickets"
        if url.startswith("sqlite"):
            import sqlite3

            with sqlite3.connect(url[len("sqlite:///") :]) as connection:
                return [(str(r), str(e)) for r, e in connection.execute(query)]
        import psycopg2

        with psycopg2.connect(url) as connection, connection.cursor() as cursor:
            cursor.execute(query)
            return [(str(r), str(e)) for r, e in cursor.fetchall()]

    def restart(self, name: str, sig: int = signal.SIGKILL) -> None:
        service = self.services[name]
        service.stop(sig)
        service.start()

    def worker_pids(self, name: str) -> list[int]:
        """The worker processes a service's Sanic master forked (none with one worker)."""
        return children(self.services[name].pid)

    def terminate_backends(self) -> int:
        """Cut every PostgreSQL connection of this deployment's databases; how many."""
        return terminate_postgres_backends(list(self.database_urls.values()))
