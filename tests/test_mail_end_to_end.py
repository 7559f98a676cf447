"""Mail end to end with real parts: the scheduler's job enqueued, a real worker process
(`manage.py db_worker`) building and sending it, a real SMTP server on loopback
receiving it, and the links in the received mail followed over HTTP."""

import os
import re
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tasks_db.models import DBTaskResult

from accounts.models import Delivery, MailKind
from accounts.outbox import mail_queue
from roadmap.models import Status
from roadmap.services import follow_roadmap, progress_set, review_evidence
from roadmap.tasks import weekly_student_digests
from tests.factories import UserFactory, build_roadmap

LINK = re.compile(r"https?://[^\s<>\"')]+")


def database_url() -> str:
    """The address of the database these tests run on, for another process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker(smtp_server, live_server):
    """Starts `manage.py db_worker` in its own process, on the test database, with mail
    going to the loopback SMTP server and links pointing at the live server; each is
    stopped after the test."""
    port = settings.MAILERS["default"]["OPTIONS"]["port"]
    own = ("DJANGO_", "DATABASE_", "REDIS_", "WAYPOINT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,  # its unsubscribe links are checked here
        DATABASE_URL=database_url(),
        DJANGO_EMAIL_HOST="127.0.0.1",
        DJANGO_EMAIL_PORT=str(port),
        DJANGO_EMAIL_USE_TLS="0",
        WAYPOINT_BASE_URL=live_server.url,
    )
    processes = []

    def start():
        process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.2"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def worker(start_worker):
    return start_worker()


def wait_for(inbox, count: int, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return inbox.messages


def links(message) -> list[str]:
    return LINK.findall(message.get_body(("plain",)).get_content())


@pytest.mark.django_db(transaction=True)
def test_a_weekly_digest_reaches_smtp_through_a_real_worker_and_its_links_work(
    worker, smtp_server, live_server
):
    roadmap = build_roadmap(items=6, project="Deploy a model", published=True)
    student = UserFactory(batch=2024, name="Asha Verma")
    follow_roadmap(student, roadmap)
    item = roadmap.stages.first().milestones.first().items.first()
    progress_set(student=student, item=item, status=Status.IN_PROGRESS)

    weekly_student_digests.enqueue()  # what the scheduler does on Monday morning
    (received,) = wait_for(smtp_server, 1)
    assert received["To"] == student.email
    html = received.get_body(("html",)).get_content()
    assert "<img" not in html and "src=" not in html  # nothing remote, nothing tracking

    # Every link in the mail leads somewhere real on the site.
    found = links(received)
    site = [url for url in found if url.startswith(live_server.url)]
    assert site, found
    reader = Client()
    reader.force_login(student)
    for url in site:
        parts = urlsplit(url)
        if "/mail/unsubscribe/" in parts.path:
            continue
        query = f"?{parts.query}" if parts.query else ""
        response = reader.get(parts.path + query, follow=True)
        assert response.status_code == 200, url
    item_links = [url for url in site if f"/items/{item.pk}/" in url]
    assert item_links, found

    # One click from the mail client: a POST with no cookie, as RFC 8058 describes.
    unsubscribe = received["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(live_server.url)
    request = urllib.request.Request(unsubscribe, data=b"List-Unsubscribe=One-Click", method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    student.refresh_from_db()
    assert student.mail_digest is False

    # The scheduler runs again (a second scheduler, or a restart): nothing more is sent.
    weekly_student_digests.enqueue()
    time.sleep(3)
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_a_review_note_reaches_the_student_with_the_comment_and_a_working_link(
    worker, smtp_server, live_server, settings
):
    settings.WAYPOINT_REVIEW_UNDO_MINUTES = 0  # no undo window to wait out
    roadmap = build_roadmap(items=2, project="Deploy a model", published=True)
    student = UserFactory(batch=2024)
    mentor = UserFactory(is_mentor=True, name="Dr. Meera Iyer")
    follow_roadmap(student, roadmap)
    project = roadmap.stages.first().milestones.first().items.get(title="Deploy a model")
    progress = progress_set(
        student=student,
        item=project,
        status=Status.DONE,
        evidence_url="https://github.com/asha/deploy",
    )
    review_evidence(
        mentor=mentor, progress=progress, verified=False, comment="The README has no demo link."
    )
    (received,) = wait_for(smtp_server, 1)
    assert received["To"] == student.email
    body = received.get_body(("plain",)).get_content()
    assert "The README has no demo link." in body
    assert "Dr. Meera Iyer" in body
    item_link = next(url for url in links(received) if f"/items/{project.pk}/" in url)
    reader = Client()
    reader.force_login(student)
    response = reader.get(urlsplit(item_link).path, follow=True)
    assert response.status_code == 200
    assert b"Deploy a model" in response.content


@pytest.mark.django_db(transaction=True)
def test_two_workers_share_the_queue_and_run_each_task_once(start_worker, smtp_server):
    people = UserFactory.create_batch(40)
    for person in people:
        mail_queue(person, kind=MailKind.NUDGES, key="hello", subject="Hello", text="Hi.")
    start_worker()
    start_worker()
    received = wait_for(smtp_server, len(people), seconds=60)
    time.sleep(1)  # a task run twice would send its mail again now
    assert sorted(m["To"] for m in received) == sorted(p.email for p in people)
    tasks = DBTaskResult.objects.all()
    assert tasks.count() == len(people)
    for task in tasks:
        assert task.status == "SUCCESSFUL"
        assert len(task.worker_ids) == 1  # claimed once, by one worker
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.SENT}
