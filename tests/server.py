"""A real Postbank server in a subprocess (gunicorn) for tests that need one: a worker to kill,
an environment of its own (Redis down). Every wait is bounded; `stop` kills the whole process
group (master and workers), and `backends` finds the server's PostgreSQL sessions by the
application_name it connects with.
"""

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(application_name: str) -> str:
    """The test database (the one the test process uses), as DATABASE_URL."""
    s = connection.settings_dict
    auth = quote(s.get("USER") or "postgres")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return (
        f"postgres://{auth}@{quote(s.get('HOST') or '127.0.0.1', safe='')}:{s.get('PORT') or 5432}/"
        f"{s['NAME']}?application_name={application_name}"
    )


class Server:
    """gunicorn serving postbank.wsgi on a free loopback port, against the test database."""

    def __init__(self, *, env: dict | None = None, workers: int = 1):
        self.port = free_port()
        self.name = f"pbtest-{uuid.uuid4().hex[:12]}"
        self.log = Path(tempfile.gettempdir()) / f"{self.name}.log"
        base = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url(self.name),
            "DB_CONN_MAX_AGE": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "postbank.settings",
            "PYTHONUNBUFFERED": "1",
        }
        base.update(env or {})
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        self._logfile = self.log.open("wb")
        self.process = subprocess.Popen(
            [
                gunicorn,
                "postbank.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--timeout",
                "120",
                "--graceful-timeout",
                "2",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=base,
            start_new_session=True,
            stdout=self._logfile,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.output()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/me/")
                status = conn.getresponse().status
                conn.close()
                if status in (200, 401, 403):
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"gunicorn did not answer within {START_SECONDS} s:\n{self.output()}")

    def output(self) -> str:
        if not self._logfile.closed:
            self._logfile.flush()
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL to the master and every worker (the process group), at once."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=10)
            else:
                # The master is gone; a worker left behind must not outlive the test.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
        finally:
            self._logfile.close()
            self.log.unlink(missing_ok=True)

    def backends(self) -> list[int]:
        """PIDs of the server's PostgreSQL sessions (by application_name)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [self.name]
            )
            return [pid for (pid,) in cursor.fetchall()]

    def backends_gone(self, timeout: float = 15) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.backends():
                return True
            time.sleep(0.1)
        return False

    def terminate_backends(self) -> None:
        """Last resort in a finally: ends sessions a killed server left (a dead worker's
        session blocked on a lock only notices its client is gone when the lock is granted)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                [self.name],
            )

    def call(
        self,
        method: str,
        path: str,
        body=None,
        *,
        token: str | None = None,
        headers: dict | None = None,
        timeout: float = 30,
    ) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            sent = {"Content-Type": "application/json", **(headers or {})}
            if token:
                sent["Authorization"] = f"Bearer {token}"
            conn.request(method, path, json.dumps(body) if body is not None else None, sent)
            response = conn.getresponse()
            raw = response.read()
            try:
                data = json.loads(raw) if raw else {}
            except ValueError:
                data = {"raw": raw.decode(errors="replace")[:2000]}
            return response.status, data
        finally:
            conn.close()
