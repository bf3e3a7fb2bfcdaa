"""`make smoke`: the compose stack's own commands, run here, and a bank that works through them.

Docker is not available on these machines, so this reads docker-compose.yml and runs the
commands of its services as written there: `init` (twice), `web` (gunicorn, two instances),
`worker` (two) and `beat` (one), with the compose environment as an .env file would fill it
(DEBUG=0, fresh SECRET_KEY, PERSONAL_DATA_KEY and CERTCENTER_CA_PASSPHRASE) and only these
adaptations, each printed at the start:

- DATABASE_URL: a fresh database `postbank_smoke` (dropped and created) on the server of the
  DATABASE_URL this is started with; REDIS_URL / CELERY_BROKER_URL: Redis databases 14 and
  15 of the REDIS_URL it is started with, flushed first;
- collectstatic, which the image build runs, writes staticfiles/ of this checkout;
- web binds 127.0.0.1 on a free port instead of 0.0.0.0:8000; each worker gets its own node
  name (in compose each container has its own host name); beat keeps its schedule file in a
  temporary folder; WEB_CONCURRENCY is 2 (as an .env file may set it);
- Caddy is not run: every request carries what Caddy sends on, `Host: localhost` and
  `X-Forwarded-Proto: https`, so SECURE_SSL_REDIRECT, secure cookies and CSRF work as they
  do behind it.

Then, over HTTP: a teller made with create_staff logs into /counter/, a customer logs in
through the API, gets a joint certificate issued from the CA that init created, makes a
signed in-bank transfer and an interbank transfer that the worker settles; the ledger shows
one journal entry per transfer and postings summing to zero; and every periodic task of the
beat schedule (postbank/celery.py) is run twice at once, one run on each worker, with its
outcome checked (all of them, then every failure is reported). Every process is stopped at
the end, on failure too; any failure exits non-zero with its reason.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python -m deploy.smoke
"""

import base64
import contextlib
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DATABASE = "postbank_smoke"
CACHE_DB, BROKER_DB = 14, 15
HOST = "localhost"  # what Caddy passes on as Host (POSTBANK_HOST's default)
SERVICES = ("init", "web", "worker", "beat")
STAFF_PASSWORD = "Smoke-counter-2026!"  # noqa: S105 (a throwaway login of the smoke database)
CUSTOMER = ("smoke-customer", "Smoke-customer-2026!")
CUSTOMER_RRN_FRONT = "8503151" + "23456"
BOOT_SECONDS = 60  # the slowest wait: processes booting on a loaded 2-core machine
TASK_SECONDS = 30
SETTLE_SECONDS = 30
OVERALL_SECONDS = 300

STARTED = time.monotonic()


class SmokeFailed(Exception):
    pass


def passed(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:5.1f} s] ok  {text}", flush=True)


def expect(condition: bool, text: str) -> None:
    if not condition:
        raise SmokeFailed(text)


def wait_for(what: str, probe, seconds: float, interval: float = 0.2):
    """Calls `probe` until it returns something truthy, at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SmokeFailed(f"{what}: not within {seconds:.0f} s")
        time.sleep(interval)


# --------------------------------------------------------------------- the compose file


_VARIABLE = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\})")


def interpolate(text: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error} and $$."""

    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.groups()
        value = variables.get(name)
        if operator is None:
            return value or ""
        if value is None or (operator.startswith(":") and not value):
            if operator.endswith("?"):
                raise SmokeFailed(f"docker-compose.yml: {name}: {argument}")
            return argument
        return value or ""

    return _VARIABLE.sub(one, text)


def compose_services(variables: dict[str, str]) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Each service's command (as argv) and environment, as compose would run them."""
    spec = yaml.safe_load(COMPOSE_FILE.read_text())
    services = {}
    for name in SERVICES:
        service = spec["services"][name]
        command = service["command"]
        argv = shlex.split(command) if isinstance(command, str) else list(command)
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        services[name] = (
            [interpolate(str(arg), variables) for arg in argv],
            {key: interpolate(str(value), variables) for key, value in environment.items()},
        )
    return services


def option_replaced(argv: list[str], option: str, value: str) -> list[str]:
    if option not in argv:
        raise SmokeFailed(f"docker-compose.yml: the command {argv} has no {option}")
    at = argv.index(option) + 1
    return [*argv[:at], value, *argv[at + 1 :]]


def masked(url: str) -> str:
    return re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", url)


def url_with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


# --------------------------------------------------------------------------- processes


class Stack:
    """The processes started here, each in its own process group, with its output in a log."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="postbank-smoke-"))
        self.processes: dict[str, subprocess.Popen] = {}
        self.oneshots: list[subprocess.Popen] = []

    def log(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        with self.log(name).open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 (the compose file's own commands)
                argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes[name] = process
        return process

    def run(self, name: str, argv: list[str], env: dict[str, str], seconds: float) -> str:
        """Runs a one-shot command to its end; its output, or SmokeFailed."""
        process = subprocess.Popen(  # noqa: S603 (the compose file's own commands)
            argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        self.oneshots.append(process)
        try:
            out, _err = process.communicate(timeout=seconds)
        except subprocess.TimeoutExpired as exc:
            raise SmokeFailed(f"{name}: still running after {seconds:.0f} s") from exc
        self.log(name).write_text(out)
        if process.returncode:
            raise SmokeFailed(f"{name} exited {process.returncode}:\n{out}")
        return out

    def alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise SmokeFailed(f"{name} exited {process.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 30) -> str:
        try:
            return "\n".join(self.log(name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        for process in self.oneshots:
            if process.poll() is None:  # e.g. a timed-out `sh -c` and its children
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop within 15 s of SIGTERM: killed", flush=True)
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            else:
                # The group too: prefork children of a worker that was killed first.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------ HTTP


class Browser:
    """HTTP to one gunicorn as Caddy forwards it, with a cookie jar."""

    def __init__(self, port: int, token: str | None = None):
        self.port, self.cookies = port, {}
        self.headers = {"Host": HOST, "X-Forwarded-Proto": "https"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, body: bytes | None = None,
                **headers) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent = {**self.headers, **({"Cookie": cookie} if cookie else {}), **headers}
        try:
            connection.request(method, path, body, headers=sent)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, dict(response.headers), content

    def json(self, method: str, path: str, payload: dict | None = None) -> tuple[int, dict]:
        body = json.dumps(payload).encode() if payload is not None else None
        status, _headers, content = self.request(
            method, path, body, **({"Content-Type": "application/json"} if body else {}))
        try:
            return status, json.loads(content or b"{}")
        except ValueError:
            return status, {"body": content[:300].decode(errors="replace")}


def answering(port: int) -> bool:
    try:
        status, _headers, _body = Browser(port).request("GET", "/api/schema/")
    except OSError:
        return False
    return status == 200


def counter_login(port: int, user_id: str, password: str) -> None:
    browser = Browser(port)
    status, _headers, page = browser.request("GET", "/counter/login/?next=/counter/")
    expect(status == 200, f"GET /counter/login/ answered {status}")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    expect(token is not None and "csrftoken" in browser.cookies, "no CSRF token on the login")
    form = {"csrfmiddlewaretoken": token.group(1).decode(), "username": user_id,
            "password": password, "next": "/counter/"}
    body = "&".join(f"{k}={v}" for k, v in form.items()).encode()
    status, headers, _page = browser.request(
        "POST", "/counter/login/?next=/counter/", body, Origin=f"https://{HOST}",
        **{"Content-Type": "application/x-www-form-urlencoded"})
    expect(status == 302 and headers.get("Location") == "/counter/",
           f"{user_id}: the counter login answered {status} {headers.get('Location')}")
    expect("sessionid" in browser.cookies, f"{user_id}: no session cookie")
    status, _headers, page = browser.request("GET", "/counter/")
    expect(status == 200 and user_id.encode() in page,
           f"{user_id}: GET /counter/ after login answered {status}")


# ------------------------------------------------------------------------- the checks


def prepare_database(server_url: str) -> str:
    import dj_database_url
    import psycopg2

    params = dj_database_url.parse(server_url)
    admin = psycopg2.connect(dbname="postgres", user=params["USER"] or None,
                             password=params["PASSWORD"] or None, host=params["HOST"] or None,
                             port=params["PORT"] or None, connect_timeout=10)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{DATABASE}"')
    admin.close()
    return url_with_path(server_url, f"/{DATABASE}")


def prepare_redis(redis_url: str) -> tuple[str, str]:
    import redis

    urls = tuple(url_with_path(redis_url, f"/{db}") for db in (CACHE_DB, BROKER_DB))
    for url in urls:
        redis.Redis.from_url(url, socket_timeout=5).flushdb()
    return urls


def environments(stack: Stack) -> tuple[dict, dict]:
    """The compose services (argv, env) adapted to this machine, and the adaptations."""
    server_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    expect(bool(server_url and server_url.startswith("postgres")),
           "DATABASE_URL must name the PostgreSQL server to use (postgres://...)")
    expect(bool(redis_url and redis_url.startswith("redis")),
           "REDIS_URL must name the Redis server to use (redis://...)")
    dotenv = {  # what an .env file gives compose
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PERSONAL_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "CERTCENTER_CA_PASSPHRASE": secrets.token_urlsafe(24),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
        "WEB_CONCURRENCY": "2",
    }
    services = compose_services(dotenv)
    cache_url, broker_url = prepare_redis(redis_url)
    adapted = {
        "DATABASE_URL": prepare_database(server_url),
        "REDIS_URL": cache_url,
        "CELERY_BROKER_URL": broker_url,
    }
    base = {
        # The image's: Dockerfile ENV and PATH (here the virtualenv's).
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", str(stack.folder)),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name, (argv, env) in services.items():
        services[name] = (argv, {**base, **env, **adapted})
    return services, {**adapted, "WEB_CONCURRENCY": "2"}


def start_all(stack: Stack, services: dict) -> dict:
    ports = [free_port(), free_port()]
    web_argv, web_env = services["web"]
    for i, port in enumerate(ports, 1):
        stack.start(f"web{i}", option_replaced(web_argv, "--bind", f"127.0.0.1:{port}"), web_env)
    worker_argv, worker_env = services["worker"]
    nodes = []
    for i in (1, 2):
        stack.start(f"worker{i}", [*worker_argv, "--hostname", f"smoke{i}@%h"], worker_env)
        nodes.append(f"smoke{i}@{socket.gethostname()}")
    beat_argv, beat_env = services["beat"]
    stack.start("beat", option_replaced(beat_argv, "--schedule",
                                        str(stack.folder / "celerybeat-schedule")), beat_env)
    return {"ports": ports, "nodes": nodes}


def run_init_twice(stack: Stack, services: dict) -> None:
    argv, env = services["init"]
    first = stack.run("init", argv, env, 180)
    expect("Created Postbank Root CA" in first, f"init did not create the CA:\n{first}")
    passed(f"init ({shlex.join(argv)}): checks passed, migrated, CA created")
    second = stack.run("init-again", argv, env, 180)
    expect("No migrations to apply." in second and "The CA exists; nothing to do." in second,
           f"init run again was not a no-op:\n{second}")
    passed("init run again: no migration to apply, the CA exists (idempotent)")


def create_staff(stack: Stack, services: dict) -> None:
    _argv, env = services["web"]  # as `docker compose run --rm web python manage.py ...`
    env = {**env, "STAFF_PASSWORD": STAFF_PASSWORD}
    for role, user_id in (("teller", "smoke-teller"), ("operator", "smoke-operator")):
        out = stack.run(f"create_staff-{role}",
                        ["python", "manage.py", "create_staff", role, user_id], env, 60)
        expect(f"Created {role} {user_id}" in out, f"create_staff {role}: {out}")
    out = stack.run("create_staff-again",
                    ["python", "manage.py", "create_staff", "teller", "smoke-teller"], env, 60)
    expect("exists; nothing changed" in out, f"create_staff run again: {out}")
    passed("create_staff made a teller and an operator (password from STAFF_PASSWORD); "
           "run again it changes nothing")


def wait_until_up(stack: Stack, started: dict, app) -> None:
    for i, port in enumerate(started["ports"], 1):
        wait_for(f"web{i} answering", lambda p=port: stack.alive() or answering(p), BOOT_SECONDS)
    passed(f"two gunicorn instances answer on 127.0.0.1:{started['ports'][0]} and "
           f":{started['ports'][1]} (behind Caddy's headers)")

    def both_workers():
        stack.alive()
        replies = app.control.ping(destination=started["nodes"], timeout=1.0) or []
        return {name for reply in replies for name in reply} >= set(started["nodes"])

    wait_for("both workers answering a ping", both_workers, BOOT_SECONDS, interval=0.5)
    for i, node in enumerate(started["nodes"], 1):
        replies = app.control.add_consumer(f"smoke.worker{i}", destination=[node], reply=True,
                                           timeout=5.0)
        expect(bool(replies), f"{node} did not take the queue smoke.worker{i}")
    wait_for("beat started", lambda: stack.alive() or "beat: Starting" in stack.tail("beat", 200),
             BOOT_SECONDS)
    passed(f"two workers ({', '.join(started['nodes'])}) and one beat are up")


def make_customers():
    """The bank's side, as a counter would leave it: the customer with a funded account and a
    security card; a second customer to pay; the clearing house's directory of other banks."""
    from stdnum.kr import rrn as stdnum_rrn

    from accounts.services import account_open
    from bench import transfers_api as bench
    from enrollment import demo as enrollment_demo
    from enrollment.security import security_card_issue
    from transfers import demo as transfers_demo

    rrn = CUSTOMER_RRN_FRONT + stdnum_rrn.calc_check_digit(CUSTOMER_RRN_FRONT)
    customer = enrollment_demo._customer(*CUSTOMER, name="김스모크", rrn=rrn, phone="01055501234")
    account = bench._account(customer, bench.FUNDS)
    _card, codes = security_card_issue(customer=customer, channel="counter")
    payee = bench._customer("smoke-payee", "이수취")
    payee_account = account_open(customer=payee, password=bench.ACCOUNT_PASSWORD)
    transfers_demo.seed(lambda *_args: None)  # the directory only: there is no `demo` customer
    return customer, account, codes, rrn, payee_account


def answer(codes: list[str], challenge: dict) -> str:
    return codes[challenge["first_index"] - 1][:2] + codes[challenge["second_index"] - 1][2:]


def issue_certificate(port: int, token: str, account, codes, rrn):
    """The device makes a key and a PKCS#10 request; the bank's CA (made by init) signs it."""
    from bench import transfers_api as bench
    from certcenter import client as device

    api = Browser(port, token)
    # The app's way to a security-card challenge outside a transfer: the Smart Banking page.
    status, body = api.json("GET", "/api/v1/smart-banking/")
    expect(status == 200 and body.get("challenge"), f"no challenge: {status} {body}")
    key = device.key_generate()
    status, body = api.json("POST", "/api/v1/certcenter/certificates/issue/", {
        "user_id": CUSTOMER[0], "rrn_or_business_number": rrn,
        "account_number": account.number, "account_password": bench.ACCOUNT_PASSWORD,
        "security_challenge_id": body["challenge"]["challenge_id"],
        "security_answer": answer(codes, body["challenge"]),
        "csr": device.csr_make(key).decode(), "cert_type": "bank_personal", "medium": "pc",
        "idempotency_key": f"smoke-{uuid.uuid4()}"})
    expect(status == 201 and body.get("status") == "valid",
           f"certificate issue answered {status} {body}")
    return key, body["serial"]


def signed_transfer(port: int, client, bank_code: str, number: str, amount: int) -> dict:
    """bench.transfers_api._transfer, for any bank (that one pays Post Office accounts):
    prepare (recipient inquiry, the card's challenge), then confirm with the account
    password, the card's answer and the order signed with the certificate's key."""
    from bench import transfers_api as bench
    from certcenter import client as device

    api = bench.Api(port, client.token)
    api.headers.update({"Host": HOST, "X-Forwarded-Proto": "https"})
    status, prepared = api.post(
        "/api/v1/transfers/",
        {"from_account": client.account.number, "bank_code": bank_code,
         "account_number": number, "amount": amount},
        **{"Idempotency-Key": f"smoke-{uuid.uuid4()}"})
    expect(status in (200, 201), f"transfer to {bank_code} {number}: prepare {status} {prepared}")
    signature = device.sign(client.key, base64.b64decode(prepared["order"]))
    status, done = api.post(f"/api/v1/transfers/{prepared['id']}/confirm/", {
        "account_password": bench.ACCOUNT_PASSWORD,
        "challenge_id": prepared["challenge"]["challenge_id"],
        "security_answer": answer(client.codes, prepared["challenge"]),
        "signature": base64.b64encode(signature).decode()})
    expect(status == 200, f"transfer to {bank_code} {number}: confirm {status} {done}")
    return done


def poll_settled(port: int, token: str, public_id: str) -> dict:
    api = Browser(port, token)

    def settled():
        status, body = api.json("GET", f"/api/v1/transfers/{public_id}/")
        expect(status == 200, f"GET the transfer {public_id}: {status} {body}")
        expect(body["status"] in ("settling", "completed"),
               f"the interbank transfer ended {body['status']}: {body.get('failure_reason')}")
        return body if body["status"] == "completed" else None

    return wait_for("the interbank transfer settled by a worker", settled, SETTLE_SECONDS, 0.3)


def ledger_check() -> int:
    """Each executed transfer has exactly one journal entry of its own (and one reversal
    only if it failed after moving money); every currency's postings sum to zero; every
    account's balance is the sum of its postings."""
    from django.db.models import F, Sum, Value
    from django.db.models.functions import Coalesce

    from accounts.models import Account, JournalEntry, Posting
    from transfers.models import Transfer

    for row in Posting.objects.values("currency").annotate(total=Sum("amount")):
        expect(row["total"] == 0, f"the {row['currency']} postings sum to {row['total']}")
    executed = Transfer.objects.exclude(entry=None)
    for item in executed:
        entries = list(JournalEntry.objects.filter(reference=str(item.public_id)))
        forward = [e.pk for e in entries if e.reverses_id is None]
        reversals = [e.pk for e in entries if e.reverses_id is not None]
        expect(forward == [item.entry_id],
               f"transfer {item.public_id} ({item.status}) has journal entries {forward}")
        expect(reversals == ([item.reversal_entry_id] if item.reversal_entry_id else []),
               f"transfer {item.public_id} ({item.status}) has reversals {reversals}")
        expect(item.status != Transfer.Status.COMPLETED or not reversals,
               f"completed transfer {item.public_id} was reversed")
    wrong = Account.objects.annotate(
        posted=Coalesce(Sum("postings__amount"), Value(0))).exclude(balance=F("posted"))
    expect(not wrong.exists(), f"balances differ from their postings: {list(wrong)}")
    return executed.count()


def bank_checks(started: dict) -> dict:
    from bench import transfers_api as bench
    from transfers.models import Transfer

    port_a, port_b = started["ports"]
    counter_login(port_a, "smoke-teller", STAFF_PASSWORD)
    counter_login(port_b, "smoke-operator", STAFF_PASSWORD)
    passed("the teller logs into /counter/ (web1) and the operator too (web2): CSRF, secure "
           "cookies and the HTTPS redirect behave behind the proxy headers")

    status, headers, _body = Browser(port_a).request(
        "GET", "/login/", **{"X-Forwarded-Proto": "http"})
    expect(status == 301 and headers.get("Location") == f"https://{HOST}/login/",
           f"plain http was not sent to https: {status} {headers.get('Location')}")
    passed("a request that did not come over https is redirected to https://localhost/")

    customer, account, codes, rrn, payee_account = make_customers()
    status, body = Browser(port_a).json(
        "POST", "/api/v1/auth/token/", {"user_id": CUSTOMER[0], "password": CUSTOMER[1]})
    expect(status == 201 and body.get("token"), f"API login answered {status} {body}")
    token = body["token"]
    passed("the customer logs in through POST /api/v1/auth/token/ (web1)")

    key, serial = issue_certificate(port_b, token, account, codes, rrn)
    passed(f"a joint certificate ({serial}) is issued from a device's CSR by the CA that init "
           "made (web2, with web1's token)")

    client = bench.Client(customer=customer, account=account, codes=codes, key=key, token=token)
    api = bench.Api(port_a, token)
    api.headers.update({"Host": HOST, "X-Forwarded-Proto": "https"})
    outcome, _total, _confirm = bench._transfer(api, client, payee_account.number,
                                                f"smoke-{uuid.uuid4()}")
    expect(outcome == "completed", f"the in-bank transfer ended {outcome}")
    payee_account.refresh_from_db()
    expect(payee_account.balance == bench.AMOUNT,
           f"the payee holds {payee_account.balance}, not {bench.AMOUNT}")
    passed(f"a signed in-bank transfer of {bench.AMOUNT} won completes (web1)")

    began = time.monotonic()
    done = signed_transfer(port_b, client, "004", "94370200123456", 20_000)
    expect(done["status"] in ("settling", "completed"), f"interbank transfer: {done}")
    poll_settled(port_a, token, done["id"])
    passed(f"a signed interbank transfer (web2) is settled by a worker in "
           f"{time.monotonic() - began:.1f} s (seen completed on web1)")

    silent = signed_transfer(port_a, client, "090", "3333012345678", 30_000)
    expect(silent["status"] == "settling", f"transfer to a bank that never answers: {silent}")
    checked = ledger_check()
    passed(f"ledger: {checked} transfers, each with exactly one journal entry; postings sum "
           "to zero; every balance equals its postings")
    return {"customer": customer, "token": token, "port": port_a, "serial": serial,
            "silent": Transfer.objects.get(public_id=silent["id"]),
            "payee": payee_account.owner}


# ------------------------------------------------------------------- periodic tasks


def state() -> dict:
    """Row counts and sums that a periodic task might change. CRLs are left out: every
    revocation queues a CRL refresh of its own."""
    from django.db.models import Sum

    from accounts.models import Account, JournalEntry, Posting, ReconciliationReport
    from certcenter.models import Certificate, CopySession
    from enrollment.models import Application, Customer, Notification
    from fx.models import RateNotice, Remittance
    from postbank.models import AuditEvent
    from transfers.models import Transfer

    figures = {
        "journal entries": JournalEntry.objects.count(),
        "postings": Posting.objects.count(),
        "sum of postings": Posting.objects.aggregate(s=Sum("amount"))["s"] or 0,
        "sum of balances": Account.objects.aggregate(s=Sum("balance"))["s"] or 0,
        "notifications": Notification.objects.count(),
        "undelivered notifications": Notification.objects.filter(delivered_at=None).count(),
        "suspended customers": Customer.objects.exclude(suspension="").count(),
        "dormancy notices": Customer.objects.exclude(dormancy_notice_at=None).count(),
        "pending applications": Application.objects.filter(status="pending").count(),
        "copy sessions": CopySession.objects.count(),
        "rate notices": RateNotice.objects.count(),
        "reconciliation reports": ReconciliationReport.objects.count(),
        "audit events": AuditEvent.objects.count(),
    }
    for label, model in (("transfers", Transfer), ("certificates", Certificate),
                         ("remittances", Remittance)):
        for status, count in Counter(model.objects.values_list("status", flat=True)).items():
            figures[f"{label} {status}"] = count
    return figures


def difference(before: dict, after: dict) -> dict:
    return {k: after.get(k, 0) - before.get(k, 0) for k in sorted({*before, *after})
            if after.get(k, 0) != before.get(k, 0)}


class Checks:
    """Per task of the beat schedule: `prepare_<name>` leaves it something to do (after the
    "before" figures are read, so that beat's own run of it cannot hide the work) and
    `check_<name>(results, ctx)` answers the expected change of the figures, having checked
    the task's own outcome. Runs twice at once must change what one run changes."""

    def __init__(self, ctx: dict):
        self.ctx = ctx

    def check_health_ping(self, results):
        expect(all(str(r).startswith("pong ") for r in results), f"health_ping: {results}")
        return {}, "both answer pong"

    def check_reconcile_nightly(self, results):
        from accounts.models import ReconciliationReport

        reports = ReconciliationReport.objects.filter(pk__in=results)
        expect(len(set(results)) == 2 and all(r.ok for r in reports),
               f"reconciliation reports {results}: not two balanced reports")
        return {"reconciliation reports": 2}, "two reports, both balanced (read-only on the ledger)"

    def prepare_settlement_sweep_task(self):
        from postbank import policy
        from transfers.models import Transfer

        silent = self.ctx["silent"]
        Transfer.objects.filter(pk=silent.pk).update(
            executed_at=silent.executed_at - policy.TRANSFER_SETTLEMENT_TIMEOUT
            - timedelta(minutes=1))

    def check_settlement_sweep_task(self, results):
        from accounts.models import JournalEntry
        from transfers.models import Transfer

        silent = Transfer.objects.get(pk=self.ctx["silent"].pk)
        expect(silent.status == "failed" and silent.failure_code == "settlement_timeout",
               f"the timed-out transfer is {silent.status} {silent.failure_code}")
        # Each run counts the transfer as "settled" (no longer settling) even when the other
        # run reversed it first; the one reversal is what matters (the figures below).
        expect(all(r["errors"] == 0 for r in results), f"settlement sweep: {results}")
        reversal = JournalEntry.objects.get(pk=silent.reversal_entry_id)
        postings = reversal.postings.count()
        return ({"journal entries": 1, "postings": postings, "sum of balances": silent.total,
                 "transfers settling": -1, "transfers failed": 1},
                f"the timed-out transfer reversed once ({postings} postings), "
                f"{silent.total} won back")

    def prepare_crl_refresh(self):
        from certcenter.models import RevocationList

        self.crls = RevocationList.objects.count()

    def check_crl_refresh(self, results):
        from django.db.models import Count

        from certcenter.models import RevocationList

        expect(results == [1, 1], f"crl_refresh published {results}")
        expect(RevocationList.objects.count() >= self.crls + 2, "two runs, not two new CRLs")
        twice = RevocationList.objects.values("ca", "number").annotate(n=Count("id")).filter(
            n__gt=1)
        expect(not twice.exists(), f"CRL numbers used twice: {list(twice)}")
        return {}, "two CRLs with distinct numbers (each run publishes the next one)"

    def prepare_holds_expire(self):
        from dateutil.relativedelta import relativedelta

        from certcenter.models import Certificate

        serial = self.ctx["serial"]
        status, body = Browser(self.ctx["port"], self.ctx["token"]).json(
            "POST", f"/api/v1/certcenter/certificates/{serial}/hold/")
        expect(status == 200 and body["status"] == "held", f"hold: {status} {body}")
        held = Certificate.objects.get(serial=serial)
        Certificate.objects.filter(pk=held.pk).update(
            held_at=held.held_at - relativedelta(months=7))

    def check_holds_expire(self, results):
        from certcenter.models import Certificate
        from postbank.models import AuditEvent

        certificate = Certificate.objects.get(serial=self.ctx["serial"])
        expect(certificate.status == "revoked", f"the old hold is {certificate.status}")
        expect(sum(results) <= 1, f"the old hold was revoked {sum(results)} times")
        revoked = AuditEvent.objects.filter(event="certificate_revoked",
                                            subject=f"certificate:{certificate.serial}").count()
        expect(revoked == 1, f"{revoked} revocation audit events")
        return ({"certificates valid": -1, "certificates revoked": 1, "audit events": 2},
                "a hold older than 6 months revoked once (one audit event)")

    def prepare_copy_sessions_purge(self):
        from django.utils import timezone

        from certcenter.models import CopySession

        now = timezone.now()
        self.copy = CopySession.objects.create(
            customer=self.ctx["customer"], direction="import", code_hash=secrets.token_hex(32),
            created_at=now - timedelta(minutes=10), expires_at=now - timedelta(minutes=5))

    def check_copy_sessions_purge(self, results):
        from certcenter.models import CopySession

        expect(not CopySession.objects.filter(pk=self.copy.pk).exists(), "expired copy kept")
        expect(sum(results) <= 1, f"one expired session, {sum(results)} deleted")
        return {}, "the expired copy session deleted once"

    def check_network_sweep_task(self, results):
        expect(all(set(r.values()) == {0} for r in results), f"network sweep: {results}")
        return {}, "nothing pending: nothing changed"

    def check_rates_pull_task(self, results):
        from fx.models import RateNotice

        expect(results[0] == results[1],
               f"two runs on one rate sheet published two notices: {results} "
               f"(rounds {list(RateNotice.objects.values_list('round', flat=True))})")
        return {"rate notices": 1, "audit events": 1}, "one notice for one rate sheet"

    def prepare_dormancy_sweep_task(self):
        from dateutil.relativedelta import relativedelta
        from django.utils import timezone

        from bench import transfers_api as bench
        from enrollment.models import Customer

        now = timezone.now()
        self.dormant = {}
        for key, idle in (("suspend", relativedelta(months=13)),
                          ("notice", relativedelta(months=12) - relativedelta(days=10))):
            customer = bench._customer(f"smoke-dormant-{key}", f"휴면{key}")
            Customer.objects.filter(pk=customer.pk).update(last_used_at=now - idle)
            self.dormant[key] = customer.pk

    def check_dormancy_sweep_task(self, results):
        from enrollment.models import Customer, Notification

        suspended = Customer.objects.get(pk=self.dormant["suspend"])
        noticed = Customer.objects.get(pk=self.dormant["notice"])
        expect(suspended.suspension == "dormant" and noticed.dormancy_notice_at is not None
               and noticed.suspension == "", "the dormancy sweep missed a customer")
        kinds = Counter(Notification.objects.filter(customer_id__in=self.dormant.values())
                        .values_list("kind", flat=True))
        expect(kinds == {"dormancy_suspended": 1, "dormancy_notice": 1},
               f"dormancy notifications: {dict(kinds)}")
        for key in ("noticed", "suspended"):
            expect(sum(r[key] for r in results) <= 1, f"{key} twice: {results}")
        return ({"notifications": 2, "undelivered notifications": 2, "suspended customers": 1,
                 "dormancy notices": 1, "audit events": 1},
                "one notice and one suspension, one message each")

    def prepare_applications_expire_task(self):
        from django.utils import timezone

        from enrollment.models import Application, User

        now = timezone.now()
        self.application = Application.objects.create(
            reference=f"S{secrets.token_hex(6).upper()}", customer=self.ctx["payee"],
            customer_type="individual", id_document_type="resident_card",
            id_document_encrypted="-", id_document_masked="850315-1******",
            authentication="seal", medium="security_card",
            teller=User.objects.get(username="smoke-teller"),
            applied_at=now - timedelta(days=6), registration_deadline=now - timedelta(days=1))

    def check_applications_expire_task(self, results):
        self.application.refresh_from_db()
        expect(self.application.status == "expired", "the late application is not expired")
        expect(sum(results) <= 1, f"one late application, {sum(results)} expired")
        return {}, "the late application expired once"

    def prepare_notifications_deliver_task(self):
        from enrollment.models import Notification

        self.pending = Notification.objects.filter(delivered_at=None).count()
        expect(self.pending > 0, "no message waits in the outbox")

    def check_notifications_deliver_task(self, results):
        from enrollment.models import Notification

        expect(not Notification.objects.filter(delivered_at=None).exists(), "outbox not empty")
        expect(sum(results) <= self.pending,
               f"{self.pending} messages waited, {sum(results)} deliveries")
        return ({"undelivered notifications": -self.pending},
                f"{self.pending} waiting messages delivered once each")


def run_on(app, stack: Stack, task: str, workers: tuple[int, ...]) -> list:
    """Sends `task` once to each worker's own queue, at once; their results."""
    sent = [(i, app.send_task(task, queue=f"smoke.worker{i}")) for i in workers]
    results = []
    for i, result in sent:
        try:
            results.append(result.get(timeout=TASK_SECONDS, propagate=True))
        except Exception as exc:
            raise SmokeFailed(f"{task} on worker{i}: {type(exc).__name__}: {exc}") from exc
        expect(result.id in stack.log(f"worker{i}").read_text(errors="replace"),
               f"{task}[{result.id}] not in worker{i}'s log")
    return results


def periodic_tasks(app, stack: Stack, ctx: dict) -> None:
    from postbank.celery import app as celery_app

    checks = Checks(ctx)
    schedule = celery_app.conf.beat_schedule
    failures = []
    for entry in schedule.values():
        task = entry["task"]
        short = task.rsplit(".", 1)[1]
        # A task that fails its check is reported and the others still run: one run of the
        # smoke shows every task that is not safe to run twice.
        try:
            before = state()
            getattr(checks, f"prepare_{short}", lambda: None)()
            results = run_on(app, stack, task, (1, 2))
            check = getattr(checks, f"check_{short}", None)
            if check is None:
                expected, what = {}, "no specific check: row counts and the ledger unchanged"
            else:
                expected, what = check(results)
            changed = difference(before, state())
            expect(changed == expected,
                   f"{task} run twice at once changed {changed}, expected {expected}")
        except SmokeFailed as exc:
            failures.append(str(exc))
            print(f"[{time.monotonic() - STARTED:5.1f} s] FAIL {exc}", flush=True)
            continue
        passed(f"{task} twice at once (worker1 + worker2): {what}")
    ledger_check()

    # Once more, each task alone: a run after the others changes nothing but its report.
    before = state()
    for number, entry in enumerate(schedule.values()):
        run_on(app, stack, entry["task"], (1 + number % 2,))
    changed = difference(before, state())
    expect(changed == {"reconciliation reports": 1},
           f"a second round of the periodic tasks changed {changed}")
    ledger_check()
    passed(f"a second round of all {len(schedule)} periodic tasks changed nothing (ledger, "
           "row counts; one more reconciliation report)")
    expect(not failures, "periodic tasks not safe to run twice at once:\n  "
           + "\n  ".join(failures))


# ---------------------------------------------------------------------------- main


def smoke(stack: Stack) -> None:
    services, adapted = environments(stack)
    print("docker-compose.yml services run here with these adaptations:")
    for key, value in adapted.items():
        print(f"  {key}={masked(value)}")
    print("  web --bind 127.0.0.1:<free port> (x2); worker --hostname smoke<n>@%h (x2); "
          "beat --schedule <temporary folder>; requests carry Host: localhost and "
          "X-Forwarded-Proto: https as from Caddy")
    print(f"  logs in {stack.folder} (kept on failure)", flush=True)

    # What the image build does (Dockerfile): the static files, collected once.
    stack.run("collectstatic", ["python", "manage.py", "collectstatic", "--no-input",
                                "--verbosity", "0"], services["web"][1], 120)
    passed("collectstatic, as at the image build")
    run_init_twice(stack, services)
    started = start_all(stack, services)
    create_staff(stack, services)

    os.environ.update(services["web"][1])
    os.environ["DJANGO_SETTINGS_MODULE"] = "postbank.settings"
    import django

    django.setup()
    from postbank.celery import app

    wait_until_up(stack, started, app)
    ctx = bank_checks(started)
    periodic_tasks(app, stack, ctx)
    stack.alive()


def main() -> int:
    def stop_here(signum, _frame):
        raise SmokeFailed(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop_here)
    signal.signal(signal.SIGALRM, lambda *_: stop_here("ALRM (overall deadline)", None))
    signal.alarm(OVERALL_SECONDS)
    stack = Stack()
    try:
        smoke(stack)
    except (SmokeFailed, KeyboardInterrupt) as exc:
        print(f"\nSMOKE FAILED after {time.monotonic() - STARTED:.1f} s: {exc}", flush=True)
        for name in stack.processes:
            print(f"--- last lines of {name} ({stack.log(name)})\n{stack.tail(name)}")
        return 1
    except Exception:
        traceback.print_exc()
        print(f"\nSMOKE FAILED after {time.monotonic() - STARTED:.1f} s (logs in {stack.folder})")
        return 1
    finally:
        signal.alarm(0)
        stack.stop()
    shutil.rmtree(stack.folder, ignore_errors=True)  # the logs are kept only on failure
    print(f"smoke passed in {time.monotonic() - STARTED:.1f} s; every process stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
