"""The transfer API under load, against the framework floor measured in the same run.

Starts the app under gunicorn (DEBUG off) on PostgreSQL and Redis and drives the real
transfer API with 16 client threads (http.client, keep-alive) for 20 s. One transfer is what
a customer's app does: POST /api/v1/transfers/ (recipient inquiry, Idempotency-Key; answers
the order and the security-card challenge), sign the order with the joint certificate's key
on the "device" (RSA-2048, in the client), POST .../confirm/ with the account password, the
card answer and the signature. Every rule runs: limits under the locks, the wrong-entry counter,
the signature check, idempotency, the balanced journal entry.

In the same run: `pgbench -b tpcb-like` (scale 10, 16 clients, 20 s) on the same server, in
its own database. A 3 s warm-up (not counted) lets every worker boot and fill its lazy
caches first. Printed: the SQL statements of one whole transfer (counted in this process
through Django's test client, after a warm-up transfer), transfers/s, p50/p99 of a whole
transfer (two calls) and of the confirm call, then the same 16 clients all paying into one
hot account for 10 s (one customer's security card has one open challenge at a time, so
one customer's confirmations are serialised by design: the hot row is the credited account).
Last, the framework floor: the same clients making the same two calls and signature against
a view that only authenticates (bench/_floor_urls.py, through the same gunicorn, middleware
and DRF), for 10 s; its ratio to pgbench bounds what any transfer through this stack can
reach on this machine. Then the issue's own reference, a bare ORM transfer (two row locks,
two updates, two inserts, no rule) in one call through the same stack, for 10 s, printed as
its ratio to pgbench. Last the goals, each a ratio within the run: transfers/s at least 0.6
of the floor's, p99 at most 2x the floor's p99, at most 12 statements, the hot account at
least 0.8 of the random accounts' rate (the pgbench ratio is printed for the record). Exits
non-zero when a goal is missed. The machine is shared: the
1-minute load average is printed before and after, and the figures mean little when it is
high; the app's own CPU time per transfer (gunicorn's processes, from /proc) is printed as
the steadier figure.

The app data lives in its own database `pb_bench_transfers` (created and migrated if
missing; customers, accounts and the CA made once, security cards renewed per run),
pgbench's in `pb_bench_pgbench` (initialised once). Each customer's device key is kept in
var/bench-transfers/ (git-ignored) so that its one certificate serves every run: a new
certificate per run would pile up revoked certificates that every signature check reads,
and make each run slower than the one before.

    make bench BENCH_ARGS=transfers_api
    (or: DEBUG=1 DATABASE_URL=postgres://... REDIS_URL=redis://.../5 \
         .venv/bin/python -m bench transfers_api)
"""

import base64
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg2
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Account
from accounts.services import Line, account_open, entry_post
from certcenter import ca as ca_ops
from certcenter import client as device
from certcenter import profile
from certcenter import services as certcenter
from certcenter.models import Certificate, CertificateAuthority
from enrollment.models import Customer, User
from enrollment.security import security_card_issue
from enrollment.services import api_token_issue
from transfers.models import Transfer

DATABASE = "pb_bench_transfers"
PGBENCH_DATABASE = "pb_bench_pgbench"
CLIENTS = 16
SECONDS = 20
HOT_SECONDS = 10
WARM_SECONDS = 3
RECEIVERS = 64
AMOUNT = 100  # won: small, so that runs on one KST day stay far below the daily limit
FUNDS = 50_000_000
ACCOUNT_PASSWORD = "2580"  # noqa: S105 (the bench customers' account password)
# Goals, each a ratio within one run (issue: the money path in PostgreSQL alone): the full
# transfer reaches 0.6 of the framework floor, its p99 at most 2x the floor's, at most 12
# statements over both calls, and the hot account 0.8 of the random-accounts rate.
FLOOR_RATIO_GOAL, P99_FLOOR_GOAL, STATEMENTS_GOAL, HOT_RATIO_GOAL = 0.6, 2.0, 12, 0.8
GUNICORN_WORKERS, GUNICORN_THREADS = 4, 2
FLOOR_PATH = "/api/v1/floor/"
BARE_PATH = "/api/v1/floor/bare-transfer/"
FLOOR_SECONDS = 10
ROOT = Path(__file__).resolve().parent.parent
KEYS = ROOT / "var" / "bench-transfers"
# Customers are named by generation: the first generation ("bench-transfer-") renewed its
# certificate on every run and carries a pile of revoked ones.
PREFIX = "bench-transfers2"


class Client:
    """One bench customer as its app sees it: token, account, card codes, signing key."""

    def __init__(self, *, customer, account, codes, key, token):
        self.customer, self.account, self.codes, self.key = customer, account, codes, key
        self.token = token


def _use_bench_database() -> dict | None:
    params = connection.get_connection_params()
    connection.close()
    admin = psycopg2.connect(**{**params, "dbname": "postgres"})
    admin.autocommit = True
    with admin.cursor() as cursor:
        for name in (DATABASE, PGBENCH_DATABASE):
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
                print(f"created database {name}")
    admin.close()
    settings.DATABASES["default"]["NAME"] = DATABASE
    connections["default"].settings_dict["NAME"] = DATABASE
    call_command("migrate", verbosity=0, interactive=False)
    return params


def _customer(username: str, name: str) -> Customer:
    user, _created = User.objects.get_or_create(username=username)
    customer, _created = Customer.objects.get_or_create(user=user, defaults={"name": name})
    return customer


def _account(customer: Customer, funds: int) -> Account:
    account = Account.objects.filter(owner=customer).first() or account_open(
        customer=customer, password=ACCOUNT_PASSWORD
    )
    if account.balance < funds // 2:
        with transaction.atomic():
            entry_post(
                kind="cash_deposit",
                memo="bench",
                lines=[
                    Line(amount=funds, account=account, counterparty="bench"),
                    Line(amount=-funds, ledger="vault_cash"),
                ],
            )
    return account


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _certify(customer: Customer, username: str):
    """The device's key and a valid certificate for it: the previous run's when both are
    still there and the certificate has a week left; else a fresh key and a certificate
    straight from the CA, as the certificate center's tests issue them (no identity step,
    no fee), the previous one discarded first (one live certificate per type)."""
    path = KEYS / f"{username}.pem"
    live = list(Certificate.objects.filter(customer=customer, status__in=["valid", "held"]))
    if path.exists() and len(live) == 1 and live[0].status == "valid":
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        certificate = x509.load_der_x509_certificate(bytes(live[0].der))
        if (
            _public_der(certificate.public_key()) == _public_der(key.public_key())
            and live[0].not_after > timezone.now() + timedelta(days=7)
        ):
            return key
    for certificate in live:
        certcenter.certificate_revoke(
            customer=customer, serial=certificate.serial, reason=Certificate.Reason.CESSATION
        )
    key = device.key_generate()
    not_before, not_after = profile.validity_new(now=timezone.now())
    with transaction.atomic():
        certcenter._certificate_create(
            customer=customer,
            csr=certcenter.csr_load(device.csr_make(key).decode()),
            cert_type="bank_personal",
            medium="pc",
            not_before=not_before,
            not_after=not_after,
            fee=0,
            account=None,
            idempotency_key=f"bench-{time.time_ns()}-{customer.pk}",
            replaces=None,
        )
    KEYS.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return key


def _client(username: str, name: str, funds: int) -> Client:
    customer = _customer(username, name)
    account = _account(customer, funds)
    Customer.objects.filter(pk=customer.pk).update(wrong_entries=0, suspension="")
    _card, codes = security_card_issue(customer=customer, channel="bench")
    return Client(
        customer=customer,
        account=account,
        codes=codes,
        key=_certify(customer, username),
        token=api_token_issue(user=customer.user),
    )


def _setup() -> tuple[list[Client], Client, list[str]]:
    if not CertificateAuthority.objects.filter(active=True).exists():
        ca_ops.ca_hierarchy_create(now=timezone.now())
    senders = [_client(f"{PREFIX}-{i}", f"이체벤치{i}", FUNDS) for i in range(CLIENTS)]
    hot = _client(f"{PREFIX}-hot", "핫계좌", FUNDS)
    receiver = _customer(f"{PREFIX}-receivers", "수취벤치")
    have = list(Account.objects.filter(owner=receiver).values_list("number", flat=True))
    for _n in range(RECEIVERS - len(have)):
        have.append(account_open(customer=receiver, password=ACCOUNT_PASSWORD).number)
    return senders, hot, have[:RECEIVERS]


# ------------------------------------------------------------------------ the HTTP side


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn(
    port: int, params: dict, token: str, *, settings_module: str = "postbank.settings"
) -> subprocess.Popen:
    # The host may be a socket folder (the private server of postbank/localdb.py).
    url = "postgres://{user}:{password}@{host}:{port}/{db}".format(
        user=params.get("user", "postgres"),
        password=params.get("password", ""),
        host=quote(str(params.get("host", "127.0.0.1")), safe=""),
        port=params.get("port", 5432),
        db=DATABASE,
    )
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "PERSONAL_DATA_KEY": settings.PERSONAL_DATA_KEY,
        "CERTCENTER_CA_PASSPHRASE": settings.CA_KEY_PASSPHRASE,
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "600",
        "DJANGO_SETTINGS_MODULE": settings_module,
    }
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    process = subprocess.Popen(
        [
            gunicorn,
            "postbank.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(GUNICORN_WORKERS),
            "--worker-class",
            "gthread",
            "--threads",
            str(GUNICORN_THREADS),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            path = "/api/v1/transfers/results/"
            if settings_module != "postbank.settings":
                path = FLOOR_PATH
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            conn.getresponse().read()
            conn.close()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("gunicorn exited at start") from None
            time.sleep(0.3)
    _stop(process)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the gunicorn master and its workers, from /proc: the
    app's own cost per transfer, which the machine's other load does not inflate much."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1] is the ppid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Api:
    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, path: str, body: dict | None = None, **headers) -> tuple[int, dict]:
        self.conn.request("POST", path, json.dumps(body or {}), headers={**self.headers, **headers})
        response = self.conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")


class InProcessApi:
    """Api's calls through Django's test client in this process, to count statements."""

    def __init__(self, token: str):
        from django.test import Client as DjangoClient

        self.client = DjangoClient(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {token}")

    def post(self, path: str, body: dict | None = None, **headers) -> tuple[int, dict]:
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
        response = self.client.post(path, body or {}, content_type="application/json", **extra)
        return response.status_code, json.loads(response.content or b"{}")


def _statements_per_transfer(source: Client, to_number: str) -> int:
    """The SQL statements of one whole transfer (prepare + signed confirm), counted after a
    first transfer has warmed the process's caches, as a gunicorn worker is after warm-up."""
    api = InProcessApi(source.token)
    _transfer(api, source, to_number, f"bench-count-warm-{time.time_ns()}")
    counted = []

    def count(execute, sql, params, many, context):
        counted.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        outcome = _transfer(api, source, to_number, f"bench-count-{time.time_ns()}")[0]
    if outcome != "completed":
        raise SystemExit(f"the counted transfer was not completed: {outcome}")
    return len(counted)


def _transfer(api: Api, source: Client, to_number: str, key: str) -> tuple:
    """One whole transfer; returns (outcome, seconds of the whole, seconds of the confirm)."""
    started = time.perf_counter()
    status, prepared = api.post(
        "/api/v1/transfers/",
        {
            "from_account": source.account.number,
            "bank_code": "071",
            "account_number": to_number,
            "amount": AMOUNT,
        },
        **{"Idempotency-Key": key},
    )
    if status not in (200, 201):
        return prepared.get("code", status), time.perf_counter() - started, 0.0
    base = f"/api/v1/transfers/{prepared['id']}"
    challenge = prepared["challenge"]
    answer = (
        source.codes[challenge["first_index"] - 1][:2]
        + source.codes[challenge["second_index"] - 1][2:]
    )
    signature = device.sign(source.key, base64.b64decode(prepared["order"]))
    confirm_started = time.perf_counter()
    status, done = api.post(
        f"{base}/confirm/",
        {
            "account_password": ACCOUNT_PASSWORD,
            "challenge_id": challenge["challenge_id"],
            "security_answer": answer,
            "signature": base64.b64encode(signature).decode(),
        },
    )
    finished = time.perf_counter()
    outcome = done.get("status") if status == 200 else done.get("code", status)
    return outcome, finished - started, finished - confirm_started


def _floor_call(api: Api, source: Client, to_number: str, key: str) -> tuple:
    """What _transfer does, against the framework floor (bench/_floor_urls.py)."""
    started = time.perf_counter()
    body = {"from_account": source.account.number, "account_number": to_number, "amount": 1}
    _status, prepared = api.post(FLOOR_PATH, body, **{"Idempotency-Key": key})
    signature = device.sign(source.key, base64.b64decode(prepared["order"]))
    confirm_started = time.perf_counter()
    status, done = api.post(
        FLOOR_PATH,
        {"account_password": ACCOUNT_PASSWORD, "signature": base64.b64encode(signature).decode()},
    )
    finished = time.perf_counter()
    return done.get("status", status), finished - started, finished - confirm_started


def _bare_call(api: Api, source: Client, to_number: str, _key: str) -> tuple:
    """The issue's reference: a bare ORM transfer in one call (bench/_floor_urls.py)."""
    started = time.perf_counter()
    body = {"from_account": source.account.number, "account_number": to_number, "amount": AMOUNT}
    status, done = api.post(BARE_PATH, body)
    finished = time.perf_counter()
    return done.get("status", status), finished - started, finished - started


def _drive(port: int, clients: list[Client], receivers: list[str], seconds: int, call=None):
    """One thread per client, each transferring from its client's account (or making
    another `call` with _transfer's arguments), for `seconds`; returns the outcomes with
    their latencies and the elapsed time."""
    call = call or _transfer
    barrier = threading.Barrier(len(clients) + 1)
    results: list[list[tuple]] = [[] for _ in clients]
    stop_at = [0.0]
    run = f"{time.time_ns():x}"

    def worker(index: int) -> None:
        api = Api(port, clients[index].token)
        rng = random.Random(index)
        barrier.wait()
        n = 0
        while time.perf_counter() < stop_at[0]:
            n += 1
            try:
                results[index].append(
                    call(
                        api,
                        clients[index],
                        rng.choice(receivers),
                        f"bench-{run}-{index}-{n}",
                    )
                )
            except (OSError, http.client.HTTPException, ValueError) as exc:
                results[index].append((type(exc).__name__, 0.0, 0.0))
                api = Api(port, clients[index].token)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    return [r for per in results for r in per], time.perf_counter() - started


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _report(label: str, results, elapsed: float) -> tuple[float, float]:
    outcomes = Counter(outcome for outcome, _total, _confirm in results)
    done = [r for r in results if r[0] == "completed"]
    rate = len(done) / elapsed
    whole = [r[1] * 1000 for r in done]
    confirm = [r[2] * 1000 for r in done]
    p99 = _percentile(whole, 99)
    print(
        f"{label}: {len(done)} transfers in {elapsed:.1f} s = {rate:.1f} transfers/s; "
        f"whole transfer p50 {_percentile(whole, 50):.1f} ms, p99 {p99:.1f} ms; "
        f"confirm call p50 {_percentile(confirm, 50):.1f} ms, p99 {_percentile(confirm, 99):.1f} ms"
    )
    others = {k: v for k, v in outcomes.items() if k != "completed"}
    if others:
        print(f"  other outcomes: {dict(others)}")
    return rate, p99


# ------------------------------------------------------------------------------ pgbench


def _pgbench(params: dict) -> float:
    env = {**os.environ, "PGPASSWORD": str(params.get("password") or "")}
    base = [
        "-h",
        str(params.get("host", "127.0.0.1")),
        "-p",
        str(params.get("port", 5432)),
        "-U",
        str(params.get("user", "postgres")),
    ]
    check = psycopg2.connect(**{**params, "dbname": PGBENCH_DATABASE})
    with check.cursor() as cursor:
        cursor.execute("SELECT to_regclass('pgbench_branches') IS NOT NULL")
        ready = cursor.fetchone()[0]
        if ready:
            cursor.execute("SELECT count(*) FROM pgbench_branches")
            ready = cursor.fetchone()[0] == 10
    check.close()
    pgbench = shutil.which("pgbench") or "pgbench"
    if not ready:
        print("initialising pgbench (scale 10) ...", flush=True)
        subprocess.run(
            [pgbench, *base, "-i", "-s", "10", "-q", PGBENCH_DATABASE],
            env=env,
            check=True,
            capture_output=True,
        )
    out = subprocess.run(
        [pgbench, *base, "-b", "tpcb-like", "-c", "16", "-j", "2", "-T", "20", PGBENCH_DATABASE],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))
    latency = re.search(r"latency average = ([0-9.]+) ms", out)
    print(
        f"pgbench tpcb-like, scale 10, 16 clients, 20 s: {tps:.1f} TPS"
        + (f" (latency average {latency.group(1)} ms)" if latency else "")
    )
    return tps


def _deposits(clients: list[Client], receivers: list[str]) -> int:
    ids = [c.account.pk for c in clients]
    total = Account.objects.filter(pk__in=ids).aggregate(s=Sum("balance"))["s"]
    return total + Account.objects.filter(number__in=receivers).aggregate(s=Sum("balance"))["s"]


def main() -> int:
    params = _use_bench_database()
    if params is None:
        return 0
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    started = time.perf_counter()
    senders, hot, receivers = _setup()
    statements = _statements_per_transfer(senders[0], receivers[0])
    everyone = [*senders, hot]
    before_money = _deposits(everyone, receivers)
    before_transfers = Transfer.objects.filter(status="completed").count()
    connection.close()
    print(f"set up {len(everyone)} customers in {time.perf_counter() - started:.1f} s", flush=True)

    tps = _pgbench(params)
    call_command("collectstatic", interactive=False, verbosity=0)  # served as in production
    port = _free_port()
    server = _gunicorn(port, params, senders[0].token)
    try:
        # Every worker booted and past its first requests (imports, lazy caches, database
        # connections) before anything is measured.
        warm_results, _warm_elapsed = _drive(port, senders, receivers, WARM_SECONDS)
        cpu_before = _cpu_seconds(server.pid)
        results, elapsed = _drive(port, senders, receivers, SECONDS)
        cpu = _cpu_seconds(server.pid) - cpu_before
        rate, p99 = _report(
            f"transfer API, {CLIENTS} clients, {SECONDS} s, "
            f"gunicorn {GUNICORN_WORKERS}x{GUNICORN_THREADS} gthread",
            results,
            elapsed,
        )
        hot_results, hot_elapsed = _drive(port, senders, [hot.account.number], HOT_SECONDS)
        hot_rate, _hot_p99 = _report(
            f"hot account: {CLIENTS} clients all paying into one account, {HOT_SECONDS} s",
            hot_results,
            hot_elapsed,
        )
    finally:
        _stop(server)
    floor = _gunicorn(port, params, senders[0].token, settings_module="bench._floor_settings")
    try:
        _drive(port, senders, receivers, WARM_SECONDS, call=_floor_call)
        floor_results, floor_elapsed = _drive(
            port, senders, receivers, FLOOR_SECONDS, call=_floor_call
        )
        bare_results, bare_elapsed = _drive(
            port, senders, receivers, FLOOR_SECONDS, call=_bare_call
        )
    finally:
        _stop(floor)
    floor_rate, floor_p99 = _report(
        f"framework floor: the same clients, {FLOOR_SECONDS} s, two calls of a view that only "
        "authenticates (bench/_floor_urls.py)",
        floor_results,
        floor_elapsed,
    )
    bare_rate, _bare_p99 = _report(
        f"reference: a bare ORM transfer (two row locks, two updates, two inserts, no rule), "
        f"one call, the same clients, {FLOOR_SECONDS} s",
        bare_results,
        bare_elapsed,
    )
    completed = sum(r[0] == "completed" for r in [*warm_results, *results, *hot_results])
    moved = Transfer.objects.filter(status="completed").count() - before_transfers
    conserved = _deposits(everyone, receivers) == before_money
    print(
        f"ledger check: {moved} transfers completed in the database for {completed} answers; "
        f"money among the bench accounts conserved: {conserved}"
    )
    served = sum(r[0] == "completed" for r in results)
    print(
        f"app CPU (gunicorn processes): {cpu * 1000 / max(served, 1):.1f} ms per transfer "
        f"over the main run, i.e. at most {served / cpu if cpu else float('nan'):.0f} "
        "transfers/s per fully available core"
    )
    floor_ratio, p99_ratio, hot_ratio = rate / floor_rate, p99 / floor_p99, hot_rate / rate
    print(
        f"statements per transfer (prepare + confirm): {statements} (goal <= {STATEMENTS_GOAL})\n"
        f"transfers/s to the framework floor: {floor_ratio:.2f} (goal >= {FLOOR_RATIO_GOAL})\n"
        f"p99 to the floor's p99: {p99_ratio:.2f} (goal <= {P99_FLOOR_GOAL})\n"
        f"hot account to random accounts: {hot_ratio:.2f} (goal >= {HOT_RATIO_GOAL})\n"
        f"to the bare ORM transfer: {rate / bare_rate:.2f}; to pgbench: {rate / tps:.3f} "
        f"(the floor itself: {floor_rate / tps:.3f} of pgbench; for the record)"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    missed = (floor_ratio < FLOOR_RATIO_GOAL or p99_ratio > P99_FLOOR_GOAL
              or statements > STATEMENTS_GOAL or hot_ratio < HOT_RATIO_GOAL)
    return int(missed or not conserved or moved != completed)
