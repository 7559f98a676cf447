import socket

import pytest
from django.core.cache import cache

from tests.factories import CohortFactory, UserFactory
from tests.oidc import oidc_provider, oidc_server  # noqa: F401 (fixtures: a provider on loopback)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Real hashers are slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    # allauth's limits (sign-ups, verification mails) count in the cache: each test starts
    # from none, as the database-backed counts do.
    cache.clear()


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
