"""A real Celery worker on Redis picks up the health task."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs Redis (set REDIS_URL)")
    return url


def test_worker_runs_health_ping(redis_url):
    from postbank.tasks import health_ping

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "postbank", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env={**os.environ, "REDIS_URL": redis_url, "DEBUG": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        started = time.monotonic()
        result = health_ping.apply_async()
        assert result.get(timeout=60).startswith("pong ")
        assert time.monotonic() - started < 60
    finally:
        worker.terminate()
        worker.wait(timeout=30)
