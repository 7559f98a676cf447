import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache
from django.core.management import call_command
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from roadmap import outline
from tests.factories import CohortFactory, UserFactory
from tests.oidc import oidc_provider, oidc_server  # noqa: F401 (fixtures: a provider on loopback)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Real hashers are slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    # allauth's limits (sign-ups, verification mails) count in the cache: each test starts
    # from none, as the database-backed counts do. The outlines a process keeps
    # (roadmap/outline.py) go with it.
    cache.clear()
    outline._kept_outlines.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def mentor(db):
    return UserFactory(is_mentor=True, batch=None, name="Dr. Meera Iyer")


@pytest.fixture
def cohort(roadmap, mentor):
    """A cohort on the test module's ``roadmap``, mentored by ``mentor``."""
    return CohortFactory(name="CSE ML club", roadmap=roadmap, mentors=[mentor])


REDIS_ADDRESS = ("127.0.0.1", 6379)


@pytest.fixture(scope="session")
def redis_url():
    """A Redis database for tests that need a real Redis; they are skipped, with the
    reason, when none answers on 127.0.0.1:6379 (`make test` says so too)."""
    try:
        socket.create_connection(REDIS_ADDRESS, timeout=1).close()
    except OSError:
        pytest.skip("Redis is not running on 127.0.0.1:6379 (start redis-server to run this)")
    return "redis://{}:{}/14".format(*REDIS_ADDRESS)


class Inbox:
    """What a real SMTP server on loopback received, parsed. Addresses at
    ``bounce.invalid`` are refused for good at RCPT (550), as a mail server refuses a
    mailbox that does not exist; those at ``busy.invalid`` for now (451)."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@bounce.invalid"):
            return "550 5.1.1 No such user here"
        if address.endswith("@busy.invalid"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback (aiosmtpd), and Waypoint's mail pointed at it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 5},
        }
    }
    yield inbox
    controller.stop()


@pytest.fixture
def run_tasks(db, monkeypatch):
    """Work the background queue with `manage.py db_worker --batch`, in this process and
    the test's transaction, until no task is ready; a task that failed fails the test
    with its traceback. Returns how many tasks ran. (The worker drops old connections
    between tasks; inside the test's transaction it must keep this one, as Django's test
    client does for requests. tests/e2e runs the worker as its own process.)"""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> int:
        before = DBTaskResult.objects.finished().count()
        call_command("db_worker", "--batch", "--interval", "0", "--no-startup-delay")
        failed = DBTaskResult.objects.failed().first()
        if failed:
            pytest.fail(f"Task {failed.task_path} failed:\n{failed.traceback}")
        return DBTaskResult.objects.finished().count() - before

    return run
