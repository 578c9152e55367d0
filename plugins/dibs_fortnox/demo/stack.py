"""A real Airflow on this machine: api-server, scheduler and dag-processor, driven by its CLI.

The demo and the end-to-end tests book days the way an operator does: ``airflow backfill
create`` with Airflow's defaults, ``airflow dags unpause``, ``airflow tasks clear``, and the
scheduler doing the rest with the LocalExecutor. Nothing here reaches into a DAG run: the
only way in is the CLI, and the only way to watch is reading the metadata database (SQLite
here), which is what the UI shows too.

Example:
    >>> with AirflowStack(env, logs=Path("var/demo/logs")) as stack:   # doctest: +SKIP
    ...     stack.wait_for_dag("dibs_fortnox__demo")
    ...     stack.backfill("dibs_fortnox__demo", first, last)
    ...     stack.airflow("dags", "unpause", "dibs_fortnox__demo")
    ...     runs = stack.wait_for_days("dibs_fortnox__demo", days)
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import psutil
import sqlalchemy as sa

from dibs_fortnox.preload import scheduler_settings
from dibs_fortnox.schedule import TIMEZONE

COMPONENTS = ("api-server", "scheduler", "dag-processor")
# The operator's command that creates or upgrades our state database ($DIBS_FORTNOX_DB_URL).
MIGRATE_STATE = [sys.executable, "-m", "dibs_fortnox.ledger.migrate", "upgrade"]
FINISHED = ("success", "failed")
# How long a component's leftover processes get to end after SIGTERM before SIGKILL.
GRACE_S = 30.0


class StackError(RuntimeError):
    """An Airflow component died, a command failed or a wait ran out; the message says where
    to look."""


@dataclass(frozen=True)
class DayRun:
    """The latest DAG run of a payout day, as the metadata database shows it."""

    day: date
    run_id: str
    run_type: str
    state: str


def _utc(value: object) -> datetime:
    """A timestamp of the metadata database (SQLite hands back naive UTC text) as aware UTC."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def group_members(pgid: int) -> list[int]:
    """Live processes (zombies left out) of a process group."""
    found = []
    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(proc.pid)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:  # the group is already empty
        pass


def _kill_group(pgid: int, timeout_s: float = 10.0) -> None:
    """SIGKILL a process group until none of it is left: a signalled process takes a moment
    to die (longer in uninterruptible I/O on a busy machine), and one may have forked."""
    end = time.monotonic() + timeout_s
    while True:
        _signal_group(pgid, signal.SIGKILL)
        if not group_members(pgid) or time.monotonic() > end:
            return
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stack_env(env: dict[str, str]) -> dict[str, str]:
    """Add what the three components need to talk to each other on 127.0.0.1."""
    port = free_port()
    return {
        **env,
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": (
            "dibs_fortnox.demo.sqlite_metadata.CONNECT_ARGS"
        ),
        # The LocalExecutor's log server: its own port, so two stacks can run side by side.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
        **scheduler_settings(),  # tasks start with the pipeline already imported
    }


class AirflowStack:
    """Start Airflow's components as separate processes; stop them all on exit.

    Args:
        env: the environment of every component and CLI call (``airflow_env`` + ``stack_env``).
        logs: folder for each component's log and the CLI's output.
        components: ``airflow`` subcommands to run (``"celery worker"`` for the Celery topology).
    """

    def __init__(
        self, env: dict[str, str], logs: Path, components: tuple[str, ...] = COMPONENTS
    ) -> None:
        self.env = env
        self.logs = logs
        self.components = components
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._groups: list[int] = []  # process group of every component ever started
        logs.mkdir(parents=True, exist_ok=True)
        home = Path(env["AIRFLOW_HOME"])
        self.metadata_url = env.get(
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}"
        )

    def __enter__(self) -> AirflowStack:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, names: Iterable[str] | None = None) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for name in self.components if names is None else names:
            args = name.split()
            if name == "api-server":
                args += ["--port", self.env["AIRFLOW__API__PORT"]]
            with (self.logs / f"{name.replace(' ', '-')}.log").open("ab") as out:
                self.procs[name] = subprocess.Popen(
                    [sys.executable, "-m", "airflow", *args],
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self._groups.append(self.procs[name].pid)

    def stop(self, names: Iterable[str] | None = None) -> None:
        """Stop components and every process they started.

        Each component runs in its own process group. The LocalExecutor's workers come from
        a forkserver, so they are not the scheduler's children and can outlive it; the whole
        group gets SIGTERM, and whatever is still there after ``GRACE_S`` gets SIGKILL.
        """
        wanted = self.components if names is None else names
        chosen = {name: self.procs[name] for name in wanted if name in self.procs}
        for proc in chosen.values():
            _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_S
        for proc in chosen.values():
            while group_members(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            _kill_group(proc.pid)
            proc.wait()
        for name in chosen:
            del self.procs[name]

    def survivors(self) -> list[int]:
        """Processes of this stack still alive (want: none once stopped).

        Those in the process group of a component started so far that carry this stack's
        ``AIRFLOW_HOME``: once a group's leader is gone its number can be reused by a new
        group (Linux counts pids up to 32,768 by default), perhaps another test's.
        """
        home = self.env["AIRFLOW_HOME"]
        found = []
        for pid in {pid for pgid in self._groups for pid in group_members(pgid)}:
            try:
                if psutil.Process(pid).environ().get("AIRFLOW_HOME") == home:
                    found.append(pid)
            except psutil.Error:  # gone meanwhile
                continue
        return sorted(found)

    @property
    def on_sqlite(self) -> bool:
        return sa.make_url(self.metadata_url).get_backend_name() == "sqlite"

    def airflow_alone(self, *args: str) -> str:
        """Run a CLI command that rewrites many rows (backfill create, tasks clear).

        On SQLite such a command and the scheduler (or dag-processor) writing at once can
        meet "database is locked" half-way, which no busy timeout cures, and a half-created
        backfill cannot be retried. So on SQLite those two stop for the command and start
        again after it; with Postgres (production) they keep running.
        """
        writers = [n for n in ("scheduler", "dag-processor") if n in self.procs]
        if not self.on_sqlite or not writers:
            return self.airflow(*args)
        self.stop(writers)
        try:
            return self.airflow(*args)
        finally:
            self.start(writers)

    def migrate(self) -> None:
        """Create or upgrade both databases before anything starts, as docker-compose's
        ``airflow-init`` does: Airflow's metadata (``airflow db migrate``; SQLite goes to
        WAL mode, so that reading it, as the UI and these waits do, never blocks a writer)
        and our state database (the operator's command, ``ledger.migrate upgrade``)."""
        self.airflow("db", "migrate")
        url = sa.make_url(self.metadata_url)
        if url.get_backend_name() == "sqlite" and url.database:
            with sqlite3.connect(url.database) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
        self.run_logged("python -m dibs_fortnox.ledger.migrate upgrade", MIGRATE_STATE)

    def run_logged(self, title: str, argv: list[str]) -> str:
        """Run a command with the stack's environment, its output kept in ``cli.log``."""
        done = subprocess.run(
            argv, env=self.env, capture_output=True, text=True, timeout=600, check=False
        )
        output = done.stdout + done.stderr
        with (self.logs / "cli.log").open("a", encoding="utf-8") as log:
            log.write(f"$ {title}\n{output}\n")
        if done.returncode != 0:
            raise StackError(f"`{title}` failed:\n{output[-3000:]}")
        return output

    def check_alive(self) -> None:
        dead = [name for name, proc in self.procs.items() if proc.poll() is not None]
        if dead:
            raise StackError(f"Airflow components exited: {dead}; see {self.logs}")

    def airflow(self, *args: str, attempts: int = 5) -> str:
        """Run an ``airflow`` CLI command; retried when SQLite is busy with the scheduler."""
        output = ""
        for attempt in range(attempts):
            done = subprocess.run(
                [sys.executable, "-m", "airflow", *args],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            output = done.stdout + done.stderr
            with (self.logs / "cli.log").open("a", encoding="utf-8") as log:
                log.write(f"$ airflow {' '.join(args)}\n{output}\n")
            if done.returncode == 0:
                return output
            if "database is locked" not in output or attempt == attempts - 1:
                break
            time.sleep(2)
        raise StackError(f"`airflow {' '.join(args)}` failed:\n{output[-3000:]}")

    def _query(self, sql: str, **params: object) -> list[sa.Row[Any]]:
        engine = sa.create_engine(self.metadata_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(sql), params))
        except sa.exc.OperationalError:
            return []  # tables not created yet, or briefly locked: ask again later
        finally:
            engine.dispose()

    def wait_for_dag(self, dag_id: str, timeout_s: float = 300) -> None:
        """Wait until the dag-processor has parsed and stored the DAG."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            if self._query("SELECT dag_id FROM serialized_dag WHERE dag_id = :d", d=dag_id):
                return
            time.sleep(1)
        raise StackError(f"DAG {dag_id} was not parsed within {timeout_s:.0f} s; see {self.logs}")

    def backfill(
        self, dag_id: str, first: date, last: date, *extra: str
    ) -> str:  # fmt: skip
        """``airflow backfill create`` over the payout days ``first``..``last`` (inclusive).

        ``--to-date`` is read as midnight UTC, before the last day's 06:00 Stockholm logical
        date, so the day after ``last`` is passed (docs/backfill.md). Airflow allows one
        running backfill per DAG and marks one complete only on its next 30-second check,
        so this waits for the previous one first, as an operator would.
        """
        self.wait_for_no_backfill(dag_id)
        return self.airflow_alone(
            "backfill", "create", "--dag-id", dag_id,
            "--from-date", first.isoformat(),
            "--to-date", (last + timedelta(days=1)).isoformat(),
            *extra,
        )  # fmt: skip

    def wait_for_no_backfill(self, dag_id: str, timeout_s: float = 180) -> None:
        """Wait until no backfill of the DAG is still running."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            active = self._query(
                "SELECT count(*) FROM backfill WHERE dag_id = :d AND completed_at IS NULL",
                d=dag_id,
            )
            if active and not active[0][0]:
                return
            time.sleep(2)
        raise StackError(f"{dag_id}: a backfill is still running after {timeout_s:.0f} s")

    def day_runs(self, dag_id: str) -> dict[date, DayRun]:
        """The latest run of every payout day of the DAG (by logical date, Stockholm).

        A manual run triggered without a logical date (it books its ``day`` param) is left out.
        """
        rows = self._query(
            "SELECT logical_date, run_id, run_type, state FROM dag_run WHERE dag_id = :d "
            "AND logical_date IS NOT NULL ORDER BY id",
            d=dag_id,
        )
        found: dict[date, DayRun] = {}
        for row in rows:
            day = _utc(row.logical_date).astimezone(TIMEZONE).date()
            found[day] = DayRun(day, str(row.run_id), str(row.run_type), str(row.state))
        return found

    def wait_for_days(
        self,
        dag_id: str,
        days: Iterable[date],
        timeout_s: float = 1800,
        since: float = 0.0,
        on_finished: Callable[[DayRun], None] | None = None,
    ) -> dict[date, DayRun]:
        """Wait until every day has a finished latest run; return them.

        Args:
            since: only count runs whose task instances ended after this epoch time (a
                cleared run is finished until the scheduler picks it up again).
            on_finished: called once per day as its run finishes (progress for a person).
        """
        wanted = sorted(set(days))
        reported: set[date] = set()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            runs = self.day_runs(dag_id)
            done = [d for d in wanted if d in runs and runs[d].state in FINISHED]
            if on_finished is not None and (since == 0.0 or self._settled(dag_id, since)):
                for day in done:
                    if day not in reported:
                        reported.add(day)
                        on_finished(runs[day])
            if len(done) == len(wanted) and self._settled(dag_id, since):
                return {d: runs[d] for d in wanted}
            time.sleep(2)
        raise StackError(
            f"{dag_id}: days not finished within {timeout_s:.0f} s: "
            f"{[d.isoformat() for d in wanted if self.day_runs(dag_id).get(d) is None]}"
        )

    def _settled(self, dag_id: str, since: float) -> bool:
        """No task of the DAG is waiting to run or running."""
        busy = self._query(
            "SELECT count(*) FROM task_instance WHERE dag_id = :d AND (state IS NULL OR state IN "
            "('scheduled', 'queued', 'running', 'up_for_retry', 'up_for_reschedule', "
            "'restarting', 'deferred'))",
            d=dag_id,
        )
        if busy and busy[0][0]:
            return False
        if not since:
            return True
        ended = self._query("SELECT max(end_date) FROM task_instance WHERE dag_id = :d", d=dag_id)
        last = ended[0][0] if ended else None
        if last is None:
            return False
        return _utc(last).timestamp() >= since

    def try_numbers(self, dag_id: str, run_id: str) -> dict[str, int]:
        """Each task's try number in a run (1 = it ran once, no retry)."""
        rows = self._query(
            "SELECT task_id, try_number FROM task_instance WHERE dag_id = :d AND run_id = :r",
            d=dag_id,
            r=run_id,
        )
        return {str(row.task_id): int(row.try_number) for row in rows}
