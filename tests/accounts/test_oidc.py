"""College sign-in through OpenID Connect, end to end against a real provider on loopback
(tests/oidc.py): the button, the provider's sign-in, our callback, the short form a new
person answers, the link to an existing account, the college's domains, and every way it
can go wrong answered in words with nothing created."""

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from accounts.models import Entry, User
from tests.factories import RoadmapFactory, UserFactory
from tests.oidc import (
    PROVIDER_NAME,
    authorize,
    set_person,
    sign_in,
    start_sign_in,
)
from tests.test_settings import start_django

pytestmark = pytest.mark.django_db

SIGN_UP = "/accounts/3rdparty/signup/"


@pytest.fixture
def default_roadmap(settings):
    return RoadmapFactory(slug=settings.WAYPOINT_DEFAULT_ROADMAP)


def clock(**extra):
    return {
        "name": "Asha Verma",
        "batch": "2025",
        "entry_year": "2",
        "programme_years": "4",
        **extra,
    }


def signed_in(client):
    return (
        User.objects.get(pk=client.session[SESSION_KEY]) if SESSION_KEY in client.session else None
    )


def test_sign_in_page_shows_a_button_per_provider_as_a_post_form(client, oidc_provider):
    for page in (reverse("account_login"), reverse("account_signup")):
        html = client.get(page).text
        assert f"Sign in with {PROVIDER_NAME}</button>" in html
        assert 'action="/accounts/oidc/college/login/?process=login"' in html


def test_no_button_without_a_provider(client):
    assert "Sign in with" not in client.get(reverse("account_login")).text


def test_a_new_person_answers_the_short_form_then_is_signed_in_verified(
    client, oidc_provider, default_roadmap
):
    set_person(
        oidc_provider, "asha", email="asha@college.edu", email_verified=True, name="Asha Verma"
    )
    response = sign_in(client, oidc_provider, "asha")
    assert response["Location"] == SIGN_UP
    assert not User.objects.exists()
    form = client.get(SIGN_UP)
    assert "asha@college.edu" in form.text
    assert 'value="Asha Verma"' in form.text
    assert "Which year did you join?" in form.text

    done = client.post(SIGN_UP, clock())
    user = signed_in(client)
    assert user.email == "asha@college.edu"
    assert (user.batch, user.entry_year, user.programme_years) == (2025, Entry.LATERAL, 4)
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified  # no mail round trip
    assert SocialAccount.objects.get(user=user).uid == "asha"
    # Handed over as after an email sign-up: the default roadmap's welcome.
    assert done["Location"] == reverse("roadmap:welcome")


def test_the_address_cannot_be_changed_on_the_short_form(client, oidc_provider, default_roadmap):
    set_person(oidc_provider, "ravi", email="ravi@college.edu", email_verified=True)
    sign_in(client, oidc_provider, "ravi")
    client.post(SIGN_UP, clock(email="someone.else@example.com"))
    assert signed_in(client).email == "ravi@college.edu"


def test_the_short_form_refuses_a_missing_batch_and_creates_nothing(client, oidc_provider):
    set_person(oidc_provider, "neha", email="neha@college.edu", email_verified=True)
    sign_in(client, oidc_provider, "neha")
    response = client.post(SIGN_UP, clock(batch=""))
    assert response.status_code == 200
    assert "This field is required." in response.text
    assert not User.objects.exists()


def test_the_page_asked_for_is_carried_past_the_welcome(client, oidc_provider, default_roadmap):
    set_person(oidc_provider, "kiran", email="kiran@college.edu", email_verified=True)
    join = "/cohorts/join/abc/"
    sign_in(client, oidc_provider, "kiran", page=f"/accounts/login/?next={join}")
    done = client.post(SIGN_UP, clock())
    assert done["Location"] == f"{reverse('roadmap:welcome')}?next=%2Fcohorts%2Fjoin%2Fabc%2F"


def test_a_second_sign_in_signs_straight_in(client, oidc_provider, default_roadmap):
    set_person(oidc_provider, "meera", email="meera@college.edu", email_verified=True)
    sign_in(client, oidc_provider, "meera")
    client.post(SIGN_UP, clock())
    client.logout()
    response = sign_in(client, oidc_provider, "meera")
    assert response["Location"] == reverse("start")
    assert signed_in(client).email == "meera@college.edu"
    assert User.objects.count() == 1


def test_a_verified_address_signs_in_to_the_existing_account_and_connects(client, oidc_provider):
    existing = UserFactory(email="dev@college.edu")
    set_person(oidc_provider, "dev-sub", email="Dev@college.edu", email_verified=True)
    response = sign_in(client, oidc_provider, "dev-sub")
    assert response["Location"] == reverse("start")
    assert signed_in(client) == existing
    assert SocialAccount.objects.get().user == existing
    assert User.objects.count() == 1


def test_an_unverified_provider_address_never_opens_an_existing_account(client, oidc_provider):
    existing = UserFactory(email="lata@college.edu")
    set_person(oidc_provider, "lata-sub", email="lata@college.edu", email_verified=False)
    sign_in(client, oidc_provider, "lata-sub")
    assert signed_in(client) is None
    assert not SocialAccount.objects.filter(user=existing).exists()


def test_an_account_nobody_confirmed_is_not_handed_over(client, oidc_provider):
    # Someone made an account with the owner's address and a password of theirs.
    waiting = User.objects.create_user(email="owner@college.edu", password="their-own-pass-1")
    EmailAddress.objects.create(user=waiting, email=waiting.email, verified=False, primary=True)
    set_person(oidc_provider, "owner", email="owner@college.edu", email_verified=True)
    response = sign_in(client, oidc_provider, "owner")
    assert signed_in(client) is None
    assert not SocialAccount.objects.exists()
    assert response["Location"] == SIGN_UP
    # The short form cannot make a second account with the address either: the answer is
    # any sign-up's ("check your email"), and the address's owner is the one told.
    refused = client.post(SIGN_UP, clock())
    assert refused["Location"] == reverse("account_email_verification_sent")
    assert User.objects.count() == 1
    assert not SocialAccount.objects.exists()
    assert signed_in(client) is None
    assert [sent.to for sent in mail.outbox] == [["owner@college.edu"]]


def test_an_address_outside_the_college_domains_is_refused(client, oidc_provider, settings):
    settings.WAYPOINT_SIGN_IN_DOMAINS = ["college.edu", "students.college.edu"]
    set_person(oidc_provider, "gmail", email="asha@gmail.com", email_verified=True)
    response = sign_in(client, oidc_provider, "gmail")
    assert response.status_code == 403
    assert "asha@gmail.com is not a college address" in response.text
    assert "<strong>@college.edu</strong> or <strong>@students.college.edu</strong>" in (
        response.text
    )
    assert signed_in(client) is None
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def test_a_college_domain_is_refused_unless_the_provider_verified_it(
    client, oidc_provider, settings
):
    settings.WAYPOINT_SIGN_IN_DOMAINS = ["college.edu"]
    set_person(oidc_provider, "unverified", email="asha@college.edu", email_verified=False)
    response = sign_in(client, oidc_provider, "unverified")
    assert response.status_code == 403
    assert "has not confirmed asha@college.edu" in response.text
    assert not User.objects.exists()


def test_an_existing_account_outside_the_domains_is_refused_too(client, oidc_provider, settings):
    UserFactory(email="old@example.com")
    settings.WAYPOINT_SIGN_IN_DOMAINS = ["college.edu"]
    set_person(oidc_provider, "old", email="old@example.com", email_verified=True)
    assert sign_in(client, oidc_provider, "old").status_code == 403
    assert signed_in(client) is None
    assert not SocialAccount.objects.exists()


def test_a_college_domain_signs_in(client, oidc_provider, settings):
    settings.WAYPOINT_SIGN_IN_DOMAINS = ["college.edu"]
    set_person(oidc_provider, "in", email="in@College.edu", email_verified=True)
    assert sign_in(client, oidc_provider, "in")["Location"] == SIGN_UP


def test_a_cancelled_sign_in_says_so_and_creates_nothing(client, oidc_provider):
    callback = authorize(start_sign_in(client), "x", action="deny")
    assert "error=access_denied" in callback
    response = client.get(callback, follow=True)
    assert response.redirect_chain == [("/accounts/3rdparty/login/cancelled/", 302)]
    assert response.status_code == 200
    assert "Sign-in cancelled" in response.text
    assert not User.objects.exists()


def test_a_provider_error_is_answered_in_words(client, oidc_provider):
    start_sign_in(client)
    response = client.get("/accounts/oidc/college/login/callback/?error=server_error")
    assert response.status_code == 401
    assert "Sign-in did not work" in response.text
    assert not User.objects.exists()


def test_a_tampered_state_is_refused(client, oidc_provider):
    set_person(oidc_provider, "eve", email="eve@college.edu", email_verified=True)
    callback = authorize(start_sign_in(client), "eve")
    tampered = callback.replace("state=", "state=x")
    response = client.get(tampered)
    assert response.status_code == 401
    assert "Sign-in did not work" in response.text
    assert not User.objects.exists()
    assert signed_in(client) is None


def test_a_callback_from_nowhere_is_refused(client, oidc_provider):
    response = client.get("/accounts/oidc/college/login/callback/?code=abc&state=def")
    assert response.status_code == 401
    assert "Sign-in did not work" in response.text
    assert not User.objects.exists()


def test_an_unknown_provider_is_not_found(client, oidc_provider):
    assert client.post("/accounts/oidc/nobody/login/").status_code == 404


GOOGLE = (
    '[{"id": "google", "name": "St. Example College", "server_url": '
    '"https://accounts.google.com", "client_id": "id-1", "secret": "s-1"}]'
)
SHOW_SETTINGS = (
    "from django.conf import settings\n"
    "print(settings.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS'])\n"
    "print(settings.SECURE_CSP['form-action'])\n"
    "print(settings.WAYPOINT_SIGN_IN_DOMAINS)"
)


def test_providers_and_domains_come_from_the_environment():
    result = start_django(
        SHOW_SETTINGS,
        DJANGO_DEBUG="1",
        WAYPOINT_OIDC_PROVIDERS=GOOGLE,
        WAYPOINT_SIGN_IN_DOMAINS="College.edu, students.college.edu",
    )
    assert result.returncode == 0, result.stderr
    apps, form_action, domains = result.stdout.splitlines()
    assert "'provider_id': 'google'" in apps
    assert "'settings': {'server_url': 'https://accounts.google.com'}" in apps
    # The button's POST is redirected to the provider: the browser must allow it.
    assert "'https://accounts.google.com'" in form_action
    assert domains == "['college.edu', 'students.college.edu']"


def test_a_provider_may_vouch_for_its_own_domains():
    entra = GOOGLE.replace('"id-1"', '"id-1", "verified_domains": ["college.edu"]')
    result = start_django(SHOW_SETTINGS, DJANGO_DEBUG="1", WAYPOINT_OIDC_PROVIDERS=entra)
    assert result.returncode == 0, result.stderr
    assert "'verified_email': ['college.edu']" in result.stdout


def test_addresses_at_a_vouched_domain_count_as_verified(client, oidc_provider, settings):
    # Microsoft Entra sends no email_verified claim; its single-tenant app vouches instead.
    settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]["settings"]["verified_email"] = [
        "college.edu"
    ]
    settings.WAYPOINT_SIGN_IN_DOMAINS = ["college.edu"]
    existing = UserFactory(email="entra@college.edu")
    set_person(oidc_provider, "entra-oid", email="entra@college.edu")
    sign_in(client, oidc_provider, "entra-oid")
    assert signed_in(client) == existing
    set_person(oidc_provider, "other", email="other@elsewhere.org")
    client.logout()
    assert sign_in(client, oidc_provider, "other").status_code == 403


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "WAYPOINT_OIDC_PROVIDERS is not valid JSON"),
        ('{"id": "google"}', "must be a JSON list of objects"),
        ('[{"id": "google", "name": "X"}]', "a provider lacks client_id, secret, server_url"),
    ],
)
def test_a_wrong_provider_setting_stops_the_start_saying_why(value, message):
    result = start_django(DJANGO_DEBUG="1", WAYPOINT_OIDC_PROVIDERS=value)
    assert result.returncode != 0
    assert message in result.stderr


def test_a_provider_must_be_reached_over_https_in_production():
    plain = GOOGLE.replace("https://", "http://")
    result = start_django(
        DJANGO_DEBUG="0", DJANGO_SECRET_KEY="k" * 50, WAYPOINT_OIDC_PROVIDERS=plain
    )
    assert result.returncode != 0
    assert "google's server_url must be https://" in result.stderr
