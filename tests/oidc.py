"""A real OpenID Connect provider on loopback (oidc-provider-mock, built on Authlib) and
the steps of a college sign-in through it, driven by Django's test client on our side and
by HTTP requests on the provider's side."""

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
import requests
from oidc_provider_mock import run_server_in_thread

PROVIDER_ID = "college"
PROVIDER_NAME = "Example College"
BUTTON_FORM = re.compile(
    r'<form method="post" action="([^"]+)" class="sign-in-providers__form">(.*?)</form>', re.S
)
HIDDEN_FIELD = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


@pytest.fixture(scope="module")
def oidc_server():
    """The provider's base URL, "http://localhost:PORT", one per test module."""
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def oidc_provider(oidc_server, settings):
    """Waypoint configured with the loopback provider, as WAYPOINT_OIDC_PROVIDERS does."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": PROVIDER_ID,
                    "name": PROVIDER_NAME,
                    "client_id": "waypoint",
                    "secret": "not-a-secret",
                    "settings": {"server_url": oidc_server},
                }
            ],
        }
    }
    return oidc_server


def set_person(server: str, sub: str, **claims) -> None:
    """The provider's account ``sub`` with these claims (email, email_verified, name)."""
    requests.put(f"{server}/users/{sub}", json=claims, timeout=5).raise_for_status()


def start_sign_in(client, page: str = "/accounts/login/") -> str:
    """Presses "Sign in with Example College" on ``page``: the provider's authorize URL."""
    html = client.get(page).text
    ((action, fields),) = BUTTON_FORM.findall(html)
    # The form's own hidden fields (csrfmiddlewaretoken, next), as a browser sends them.
    data = {name: unescape(value) for name, value in HIDDEN_FIELD.findall(fields)}
    response = client.post(unescape(action), data)
    assert response.status_code == 302, response.status_code
    return response["Location"]


def authorize(authorize_url: str, sub: str, *, action: str = "allow") -> str:
    """Signs in at the provider as ``sub`` (or denies): our callback's path and query."""
    data = {"sub": sub} if action == "allow" else {"action": "deny"}
    response = requests.post(authorize_url, data=data, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    callback = urlsplit(response.headers["Location"])
    assert callback.netloc == "testserver"
    return f"{callback.path}?{callback.query}"


def sign_in(client, server: str, sub: str, page: str = "/accounts/login/"):
    """The whole round trip: our button, the provider, our callback's answer."""
    return client.get(authorize(start_sign_in(client, page), sub))
