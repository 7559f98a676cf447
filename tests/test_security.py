"""Production hardening: password hashing, sign-in limits, headers, cookies, sessions."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.urls import reverse

import config.settings as configured
from accounts.security import client_ip
from accounts.throttle import GuessCount
from tests.factories import TEST_PASSWORD, UserFactory, credentials

pytestmark = pytest.mark.django_db


def test_argon2_hashes_new_passwords(settings):
    assert configured.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS  # undo the fast test hasher
    user = UserFactory()
    assert user.password.startswith("argon2")


def test_passwords_need_twelve_characters():
    validators = {v["NAME"].rsplit(".", 1)[1]: v for v in configured.AUTH_PASSWORD_VALIDATORS}
    assert validators["MinimumLengthValidator"]["OPTIONS"]["min_length"] == 12


def attempt(client, url, email, password, ip="10.0.0.1"):
    return client.post(url, credentials(url, email, password), REMOTE_ADDR=ip)


# Our sign-in answers a wrong password 400, like all bad input; the admin's (Django's) 200.
@pytest.mark.parametrize(("url", "wrong"), [("/accounts/login/", 400), ("/admin/login/", 200)])
def test_repeated_failures_lock_that_account_from_that_address_with_429(
    client, url, wrong, settings
):
    user = UserFactory(is_staff=True)
    for _ in range(settings.WAYPOINT_GUESSES_PER_ACCOUNT):
        assert attempt(client, url, user.email, "wrong").status_code == wrong
    locked = attempt(client, url, user.email, "wrong")
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.text
    assert "paused for 15 minutes" in locked.text
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    # Even the right password is refused while locked ...
    assert attempt(client, url, user.email, TEST_PASSWORD).status_code == 429
    assert SESSION_KEY not in client.session
    # ... but only for that account from that address.
    assert attempt(Client(), url, user.email, TEST_PASSWORD, ip="10.0.0.2").status_code == 302
    other = UserFactory(is_staff=True)
    assert attempt(Client(), url, other.email, TEST_PASSWORD).status_code == 302


def test_the_right_password_clears_the_count_of_earlier_typos(client, settings):
    user = UserFactory()
    for _ in range(settings.WAYPOINT_GUESSES_PER_ACCOUNT - 1):
        attempt(client, "/accounts/login/", user.email, "wrong")
    assert attempt(client, "/accounts/login/", user.email, TEST_PASSWORD).status_code == 302
    client.post(reverse("account_logout"))
    for _ in range(settings.WAYPOINT_GUESSES_PER_ACCOUNT - 1):
        assert attempt(client, "/accounts/login/", user.email, "wrong").status_code == 400
    assert attempt(client, "/accounts/login/", user.email, TEST_PASSWORD).status_code == 302


def test_behind_a_proxy_the_lock_follows_the_client_not_the_proxy_or_a_forged_header(settings):
    settings.WAYPOINT_PROXY_COUNT = 1
    user = UserFactory()
    url = "/accounts/login/"

    def through_proxy(client_address, forged, password):
        # The client forges the start of the header; the proxy appends what it saw.
        return Client().post(
            url,
            {"login": user.email, "password": password},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"{forged}, {client_address}",
        )

    for n in range(settings.WAYPOINT_GUESSES_PER_ACCOUNT):
        through_proxy("203.0.113.7", f"10.9.9.{n}", "wrong")
    assert through_proxy("203.0.113.7", "10.9.9.99", TEST_PASSWORD).status_code == 429
    # Another student behind the same proxy is not locked out.
    assert through_proxy("203.0.113.8", "10.9.9.0", TEST_PASSWORD).status_code == 302


def test_without_a_proxy_count_the_forwarded_header_is_ignored(rf, settings):
    settings.WAYPOINT_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert client_ip(request) == "198.51.100.4"
    settings.WAYPOINT_PROXY_COUNT = 2
    request = rf.get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4, 10.0.0.3"
    )
    assert client_ip(request) == "198.51.100.4"
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="")
    assert client_ip(request) == "10.0.0.2"


def test_the_lock_lifts_after_the_cool_off(client, settings):
    user = UserFactory()
    for _ in range(settings.WAYPOINT_GUESSES_PER_ACCOUNT + 1):
        attempt(client, "/accounts/login/", user.email, "wrong")
    assert attempt(client, "/accounts/login/", user.email, TEST_PASSWORD).status_code == 429
    assert settings.WAYPOINT_GUESS_WINDOW_SECONDS == 15 * 60
    GuessCount.objects.update(expires_at=time.time() - 1)
    assert attempt(client, "/accounts/login/", user.email, TEST_PASSWORD).status_code == 302


def test_security_headers_on_every_page(client):
    response = client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_lax_and_secure_in_production(client):
    user = UserFactory()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"] is True  # tests run with DEBUG off, as production does


def test_sign_in_gets_a_new_session_key_and_sign_out_flushes_it(client):
    user = UserFactory()
    client.get(reverse("account_login"))
    session = client.session
    session["probe"] = "before"
    session.save()
    before = session.session_key
    client.post(reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD})
    assert client.session.session_key != before
    assert client.session.get("probe") == "before"  # data carried over, key rotated
    signed_in_key = client.session.session_key
    client.post(reverse("account_logout"))
    assert SESSION_KEY not in client.session
    assert client.session.session_key != signed_in_key
    assert not Session.objects.filter(session_key=signed_in_key).exists()


EMPTY_QUEUE = {"waiting": 0, "oldest_waiting_seconds": 0, "worked": True}


def test_health_check_answers_with_the_database_state(client, monkeypatch):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": EMPTY_QUEUE}
    assert response["Cache-Control"].startswith("max-age=0")
    assert client.head("/health/").status_code == 200  # probes that only ask HEAD
    assert client.post("/health/").status_code == 405

    def broken(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


REDIS = "django.core.cache.backends.redis.RedisCache"


def test_health_check_includes_redis_when_it_is_configured(client, settings, redis_url):
    settings.CACHES = {"default": {"BACKEND": REDIS, "LOCATION": redis_url}}
    assert client.get("/health/").json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "queue": EMPTY_QUEUE,
    }

    settings.CACHES = {"default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:1/0"}}
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "cache": "unreachable",
        "queue": EMPTY_QUEUE,
    }


def test_https_redirect_spares_the_health_probe(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    home = client.get(reverse("home"))
    assert home.status_code == 301 and home["Location"].startswith("https://")
    assert client.get(reverse("health")).status_code == 200
