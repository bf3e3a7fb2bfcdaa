import os

import pytest
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; the Django ORM calls made by
# the same test (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

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


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("pg") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): row locks and triggers")


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


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


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
