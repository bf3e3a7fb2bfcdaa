import os
from urllib.parse import urlsplit, urlunsplit

import pytest

# Playwright's sync API runs an event loop in the test thread; the Django ORM calls made by
# the same test (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _redis_db(url: str) -> int | None:
    """The database number of a redis:// URL (None for anything else: memory://, ...)."""
    parts = urlsplit(url or "")
    return int(parts.path.strip("/") or 0) if parts.scheme in ("redis", "rediss") else None


def _redis_for_this_worker() -> dict[str, object]:
    """Under pytest-xdist, worker gwN moves the cache's and the broker's Redis databases up by
    N times the span they cover (cache /0 and broker /1: gw0 keeps 0 and 1, gw1 uses 2 and 3),
    so the autouse cache.clear() of one worker never empties another's cache or queue, and a
    Celery worker a test starts never takes another test process's tasks. Returns the
    settings to change ({} outside xdist or without Redis); the environment is changed here,
    for the Celery workers the tests start and the fixtures that read REDIS_URL."""
    from django.conf import settings

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ... set by pytest-xdist
    index = int(worker[2:]) if worker.startswith("gw") else 0
    cache_url, broker_url = os.environ.get("REDIS_URL", ""), settings.CELERY_BROKER_URL
    dbs = {db for db in (_redis_db(cache_url), _redis_db(broker_url)) if db is not None}
    if not index or _redis_db(cache_url) is None:
        return {}
    shift = index * (max(dbs) - min(dbs) + 1)
    if max(dbs) + shift > 15:
        raise pytest.UsageError(f"xdist worker {worker} would need Redis db {max(dbs) + shift}")

    def moved(url):
        db = _redis_db(url)
        return url if db is None else urlunsplit(urlsplit(url)._replace(path=f"/{db + shift}"))

    os.environ["REDIS_URL"], os.environ["CELERY_BROKER_URL"] = moved(cache_url), moved(broker_url)
    caches = {**settings.CACHES, "default": {**settings.CACHES["default"],
                                             "LOCATION": moved(cache_url)}}
    return {"REDIS_URL": moved(cache_url), "CACHES": caches,
            "CELERY_BROKER_URL": moved(broker_url),
            "CELERY_RESULT_BACKEND": moved(settings.CELERY_RESULT_BACKEND)}


REDIS_SETTINGS = _redis_for_this_worker()

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = item.get_closest_marker("django_db")
        live = "live_server" in getattr(item, "fixturenames", ())
        if live:
            item.add_marker(pytest.mark.browser)
        if live or (marker and marker.kwargs.get("transaction")):
            # Transactional tests flush the tables; serialized rollback restores the rows
            # that migrations created (groups, permissions, ledger accounts) for the next.
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True),
                            append=False)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS,
            "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ko-KR", "timezone_id": "Asia/Seoul"}


@pytest.fixture
def phone_context(browser, browser_context_args):
    """A second browser context at phone width (the Smart Banking view)."""
    context = browser.new_context(**browser_context_args, viewport={"width": 375, "height": 740},
                                  is_mobile=True, has_touch=True)
    yield context
    context.close()


@pytest.fixture(scope="session", autouse=True)
def _redis_per_worker():
    """This xdist worker's Redis databases (see _redis_for_this_worker), for Django and for
    the Celery app; and a client of the broker's database when it is not the cache's."""
    from django.conf import settings
    from django.test import override_settings

    from postbank.celery import app

    with override_settings(**REDIS_SETTINGS):
        app.conf.update(broker_url=settings.CELERY_BROKER_URL,
                        result_backend=settings.CELERY_RESULT_BACKEND)
        broker = settings.CELERY_BROKER_URL
        if _redis_db(broker) is None or broker == settings.CACHES["default"].get("LOCATION"):
            yield None
        else:
            import redis

            client = redis.Redis.from_url(broker)
            yield client
            client.close()


@pytest.fixture(autouse=True)
def _fresh_cache(_redis_per_worker):
    """Each test starts with an empty cache and an empty task queue (tasks queued by an
    earlier test would otherwise run in the next test that starts a Celery worker)."""
    from django.core.cache import cache

    cache.clear()
    if _redis_per_worker is not None:
        _redis_per_worker.flushdb()
    yield


@pytest.fixture(autouse=True)
def _fast_password_hasher(request):
    """Argon2 costs ~0.15 s a password (more than half the suite's time went there): tests
    that use the database, where users and their passwords live, hash with MD5 first.
    Production's hashers stay listed after it, and tests without the database see the
    settings untouched (tests/postbank/test_settings.py checks that Argon2 comes first)."""
    node = request.node
    if not (node.get_closest_marker("django_db")
            or {"db", "transactional_db", "live_server"} & set(request.fixturenames)):
        yield
        return
    from django.conf import settings
    from django.test import override_settings

    fast = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=fast):
        yield


@pytest.fixture(scope="session", autouse=True)
def _rsa_key_pool():
    """certcenter's new keys come from tests/keys.py's pool (certcenter/keys.py's seam)."""
    from django.test import override_settings

    with override_settings(CERTCENTER_KEY_SOURCE="tests.keys.pool_key"):
        yield


@pytest.fixture(autouse=True)
def _rsa_key_pool_rewind(_rsa_key_pool):
    from tests import keys

    keys.pool_rewind()


@pytest.fixture(scope="session", autouse=True)
def _serialized_rows_in_every_context(django_db_setup, django_db_blocker):
    """Playwright's page fixture runs the test in an event loop, where Django hands out a
    new connection object that lacks the serialized rows of the sync one; putting them on
    the class lets serialized rollback restore them there too."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        contents = getattr(conn, "_test_serialized_contents", None)
        if contents is not None:
            type(conn)._test_serialized_contents = contents
