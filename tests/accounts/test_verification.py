"""Email verification, enumeration protection and the upgrade to django-allauth: a new
address is confirmed by a mailed link before anyone signs in with it; a taken or unknown
address gets the answer any other gets, and only its owner hears more; accounts, sessions
and demo accounts from before the upgrade keep working."""

import io
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.models import User
from tests.factories import TEST_PASSWORD, RoadmapFactory, UserFactory, signup_data
from tests.test_settings import start_django

pytestmark = pytest.mark.django_db

CONFIRM_LINK = re.compile(r"https?://testserver(/accounts/confirm-email/\S+/)")


@pytest.fixture
def default_roadmap(settings):
    return RoadmapFactory(slug=settings.WAYPOINT_DEFAULT_ROADMAP)


def test_verification_is_mandatory_by_default_where_mail_is_delivered(settings):
    # The suite runs as production with an SMTP relay (pyproject.toml).
    assert settings.MAIL_DELIVERS
    assert settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"


def test_sign_up_mails_a_link_that_verifies_the_address_and_signs_in(client, default_roadmap):
    join = "/cohorts/join/abc/"
    response = client.post(reverse("account_signup"), signup_data(next=join))
    assert response["Location"] == reverse("account_email_verification_sent")
    assert SESSION_KEY not in client.session
    user = User.objects.get()
    assert not EmailAddress.objects.get(user=user).verified
    (sent,) = mail.outbox
    assert sent.to == ["asha.verma@example.com"]
    assert sent.subject == "Confirm your email for Waypoint"
    link = CONFIRM_LINK.search(sent.body)[1]

    page = client.get(link)
    assert page.status_code == 200
    assert "asha.verma@example.com" in page.text
    # The page's form posts to a key signed as it renders (allauth's HMAC keys carry
    # the time, to the second), which may differ from the mail's: post where it says.
    action = re.search(r'<form method="post" action="(/accounts/confirm-email/[^"]+/)"', page.text)
    confirmed = client.post(action[1])
    assert EmailAddress.objects.get(user=user).verified
    assert int(client.session[SESSION_KEY]) == user.pk
    # On to the default roadmap's welcome, `next` kept through the mail.
    assert confirmed["Location"] == f"{reverse('roadmap:welcome')}?next=%2Fcohorts%2Fjoin%2Fabc%2F"


def test_the_page_after_sign_up_says_to_check_the_mail_and_how_to_get_a_new_link(client):
    page = client.post(reverse("account_signup"), signup_data(), follow=True)
    assert "<h1>Check your email</h1>" in page.text
    assert "Send the link again" in page.text
    assert reverse("account_login") in page.text


def test_an_unverified_address_cannot_sign_in_and_is_sent_a_new_link(client):
    user = UserFactory()
    EmailAddress.objects.filter(user=user).update(verified=False)
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}, follow=True
    )
    assert SESSION_KEY not in client.session
    assert "<h1>Check your email</h1>" in response.text
    (sent,) = mail.outbox
    assert sent.to == [user.email]
    assert CONFIRM_LINK.search(sent.body)


def test_a_made_up_or_used_confirmation_link_says_so_and_changes_nothing(client):
    response = client.get("/accounts/confirm-email/made-up-key/")
    assert response.status_code == 200
    assert "This link no longer works" in response.text
    posted = client.post("/accounts/confirm-email/made-up-key/")
    assert posted.status_code < 500
    assert SESSION_KEY not in client.session


# -- enumeration -----------------------------------------------------------------------


def test_sign_up_with_a_taken_address_answers_the_same_and_mails_only_the_owner(client):
    owner = UserFactory(email="asha.verma@example.com")
    fresh = client.post(reverse("account_signup"), signup_data(email="new@example.com"))
    client.logout()
    mail.outbox.clear()
    taken = client.post(
        reverse("account_signup"), signup_data(email="ASHA.Verma@example.com", name="Stranger")
    )
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
    assert User.objects.filter(email__iexact=owner.email).count() == 1
    owner.refresh_from_db()
    assert owner.check_password(TEST_PASSWORD)
    assert owner.name != "Stranger"
    (sent,) = mail.outbox
    assert sent.to == ["asha.verma@example.com"]
    assert sent.subject == "You already have a Waypoint account"
    assert "/accounts/password/reset/" in sent.body


def test_reset_for_an_unknown_address_answers_as_for_a_known_one_and_mails_nobody(client):
    known = UserFactory()
    for_known = client.post(reverse("account_reset_password"), {"email": known.email})
    for_unknown = client.post(reverse("account_reset_password"), {"email": "no@example.com"})
    assert for_known["Location"] == for_unknown["Location"]
    assert [sent.to for sent in mail.outbox] == [[known.email]]


# -- allauth's limits ------------------------------------------------------------------


def test_too_many_sign_ups_from_one_address_are_refused_with_a_429_in_words(client):
    for n in range(20):
        client.post(reverse("account_signup"), signup_data(email=f"s{n}@example.com"))
        client.logout()
    refused = client.post(reverse("account_signup"), signup_data(email="one-more@example.com"))
    assert refused.status_code == 429
    assert "Too many requests from your network" in refused.text
    assert not User.objects.filter(email="one-more@example.com").exists()


# -- from before the upgrade -----------------------------------------------------------


def test_a_session_signed_in_before_the_upgrade_stays_signed_in(client):
    user = UserFactory()
    # What Django's login() stored with the hand-written sign-in view.
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "accounts.backends.ThrottledModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    client.cookies["sessionid"] = session.session_key
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 200
    assert user.email in response.text


@pytest.mark.parametrize("email", ["mentor@example.com", "asha@example.com"])
def test_demo_accounts_sign_in(client, email):
    call_command("seed_demo", "--force", stdout=io.StringIO())
    response = client.post(
        reverse("account_login"), {"login": email, "password": "waypoint-demo-2026"}
    )
    assert response.status_code == 302
    assert client.session[SESSION_KEY]


def test_old_account_addresses_redirect_to_the_new_ones(client, user):
    client.force_login(user)
    assert client.get("/accounts/password/")["Location"] == reverse("account_change_password")
    client.logout()
    assert client.get("/accounts/password/reset/sent/")["Location"] == reverse(
        "account_reset_password_done"
    )
    assert client.get("/accounts/password/reset/MQ/abc-def/")["Location"] == reverse(
        "account_reset_password"
    )


# Our last migration before allauth's, with allauth's tables there and still empty.
BEFORE_ALLAUTH = [
    ("accounts", "0006_clock_change"),
    ("account", "0009_emailaddress_unique_primary_email"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_users_from_before_allauth_are_migrated_with_their_address_verified():
    try:
        old = migrate(BEFORE_ALLAUTH)
        OldUser = old.get_model("accounts", "User")
        asha = OldUser.objects.create(email="Asha@Example.com", name="Asha", password="x")
        ravi = OldUser.objects.create(email="ravi@example.com", name="Ravi", password="y")
        new = migrate([("accounts", "0007_existing_addresses_verified")])
        addresses = new.get_model("account", "EmailAddress").objects.order_by("user_id")
        assert list(addresses.values_list("user_id", "email", "verified", "primary")) == [
            (asha.pk, "asha@example.com", True, True),
            (ravi.pk, "ravi@example.com", True, True),
        ]
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


# -- the setting -----------------------------------------------------------------------

VERIFICATION = "from django.conf import settings; print(settings.ACCOUNT_EMAIL_VERIFICATION)"
PRODUCTION = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "p4$-" + "x7Qm2Lz9" * 8}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({**PRODUCTION, "DJANGO_EMAIL_HOST": "smtp.example.org"}, "mandatory"),
        ({"DJANGO_DEBUG": "1"}, "mandatory"),  # make run: the console shows the link
        (PRODUCTION, "none"),  # mail off: nothing could be verified
        (
            {
                **PRODUCTION,
                "DJANGO_EMAIL_HOST": "smtp.example.org",
                "WAYPOINT_EMAIL_VERIFICATION": "optional",
            },
            "optional",
        ),
    ],
)
def test_verification_follows_the_environment(env, expected):
    result = start_django(VERIFICATION, **env)
    assert result.stdout.strip() == expected, result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({**PRODUCTION, "WAYPOINT_EMAIL_VERIFICATION": "mandatory"}, "needs mail"),
        ({"DJANGO_DEBUG": "1", "WAYPOINT_EMAIL_VERIFICATION": "always"}, "must be mandatory"),
    ],
)
def test_a_verification_setting_that_cannot_work_stops_the_start_in_words(env, message):
    result = start_django(VERIFICATION, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
