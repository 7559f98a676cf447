"""Background work: the processes `make run` starts, and /health/ saying whether the
queue is being worked."""

import os
import queue
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import get_commands
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.tasks import deliver_later

pytestmark = pytest.mark.django_db


def test_the_procfile_starts_web_worker_and_scheduler_with_real_commands():
    lines = (Path(settings.BASE_DIR) / "Procfile").read_text().splitlines()
    processes = dict(line.split(":", 1) for line in lines if line and not line.startswith("#"))
    assert set(processes) == {"web", "worker", "scheduler"}
    commands = get_commands()
    for command in processes.values():
        name = command.split("manage.py", 1)[1].split()[0]
        assert name in commands, command
    assert "honcho start" in (Path(settings.BASE_DIR) / "Makefile").read_text()


def test_health_reports_an_empty_queue_as_worked(client):
    answer = client.get("/health/").json()
    assert answer["queue"] == {"waiting": 0, "oldest_waiting_seconds": 0, "worked": True}


def test_health_reports_the_oldest_waiting_task_and_a_stalled_queue(client, settings):
    settings.WAYPOINT_QUEUE_STALE_SECONDS = 600
    deliver_later.enqueue(1)
    old = deliver_later.enqueue(2)
    DBTaskResult.objects.filter(pk=old.id).update(
        enqueued_at=timezone.now() - timedelta(minutes=15)
    )
    # A retry waiting for its time has not waited yet.
    deliver_later.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(3)
    response = client.get("/health/")
    assert response.status_code == 200  # the web server itself still serves
    queue = response.json()["queue"]
    assert queue["waiting"] == 2
    assert 15 * 60 <= queue["oldest_waiting_seconds"] < 15 * 60 + 30
    assert queue["worked"] is False
    DBTaskResult.objects.filter(pk=old.id).delete()
    assert client.get("/health/").json()["queue"]["worked"] is True


class Scheduler:
    """`manage.py crontask` in its own process, its output read line by line in a thread
    (a pipe read with select() would miss lines already buffered)."""

    def __init__(self, redis_url):
        own = ("DJANGO_", "DATABASE_", "REDIS_", "WAYPOINT_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
        env.update(DJANGO_DEBUG="1", REDIS_URL=redis_url, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "crontask", "--no-heartbeat"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)

    def says(self, text, seconds=30) -> bool:
        """Whether a line containing ``text`` comes within ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                if text in self.lines.get(timeout=left):
                    return True
            except queue.Empty:
                return False
        return False

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def test_a_second_scheduler_waits_for_the_lock_and_takes_over(redis_url):
    redis.Redis.from_url(redis_url).delete("crontask-lock")
    first = Scheduler(redis_url)
    second = None
    try:
        assert first.says("Starting scheduler")
        second = Scheduler(redis_url)
        assert second.says("Acquiring lock")
        # Only one schedules: the second waits, as a standby, while the first runs.
        assert not second.says("Starting scheduler", seconds=3)
        first.process.terminate()
        first.process.wait(timeout=20)
        assert second.says("Starting scheduler")
    finally:
        for scheduler in (first, second):
            if scheduler:
                scheduler.stop()


def test_health_still_answers_when_the_queue_cannot_be_read(client, monkeypatch):
    def broken():
        raise RuntimeError("no such table")

    monkeypatch.setattr("config.health.queue", broken)
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["queue"] == "unreadable"
