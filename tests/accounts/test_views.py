import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.forms import SignUpForm
from accounts.models import User
from roadmap.models import Progress, ProgressEvent, Status
from roadmap.services import follow_roadmap, progress_set, review_evidence
from tests.factories import (
    NEW_PASSWORD,
    TEST_PASSWORD,
    ItemFactory,
    RoadmapFactory,
    UserFactory,
    signup_data,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def default_roadmap(settings):
    return RoadmapFactory(slug=settings.WAYPOINT_DEFAULT_ROADMAP)


# -- sign-up ------------------------------------------------------------------


def test_signup_page_opens_for_anonymous(client):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    assert 'autocomplete="new-password"' in response.text
    assert "The year your B.Tech started" in response.text


def test_signup_redirects_signed_in_users(client, user):
    client.force_login(user)
    response = client.get(reverse("account_signup"))
    assert response["Location"] == reverse("start")


@pytest.fixture
def verification_off(settings):
    """WAYPOINT_EMAIL_VERIFICATION=none: sign-up signs in at once (test_verification.py
    covers the mandatory default)."""
    settings.ACCOUNT_EMAIL_VERIFICATION = "none"


def test_signup_creates_the_student_follows_the_default_roadmap_and_signs_in(
    client, default_roadmap, verification_off
):
    response = client.post(reverse("account_signup"), signup_data(entry_year="2"))
    assert response.status_code == 302
    assert response["Location"] == reverse("roadmap:welcome")
    user = User.objects.get()
    assert (user.email, user.name, user.batch) == ("asha.verma@example.com", "Asha Verma", 2025)
    assert (user.entry_year, user.programme_years) == (2, 4)
    assert user.check_password(NEW_PASSWORD)
    assert int(client.session[SESSION_KEY]) == user.pk
    assert not user.enrollments.exists()
    # Welcome follows the default roadmap, and the dashboard it lands on is theirs.
    dashboard = client.get(response["Location"], follow=True)
    assert list(user.enrollments.values_list("roadmap", flat=True)) == [default_roadmap.pk]
    assert dashboard.redirect_chain[0][0] == reverse("start")
    assert dashboard.status_code == 200
    assert default_roadmap.title in dashboard.text


def test_signup_honours_a_safe_next_only(client, default_roadmap, verification_off):
    response = client.post(
        reverse("account_signup"),
        signup_data(next=default_roadmap.get_absolute_url()),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == default_roadmap.get_absolute_url()
    client.logout()
    response = client.post(
        reverse("account_signup"),
        signup_data(email="other@example.com", next="https://evil.example.com/"),
    )
    assert response["Location"] == reverse("roadmap:welcome")
    # Welcome itself refuses a next off the site too.
    evil = client.get(reverse("roadmap:welcome"), {"next": "https://evil.example.com/"})
    assert evil["Location"] == reverse("start")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password1": "short", "password2": "short"}, "too short"),
        ({"password2": "something else entirely"}, "same password"),
        ({"batch": "1999"}, "Choose the year your B.Tech started"),
        ({"batch": "soon"}, "Choose the year your B.Tech started"),
        ({"name": ""}, "This field is required"),
        ({"email": "not-an-email"}, "valid email"),
    ],
    ids=[
        "short password",
        "mismatch",
        "old batch",
        "text batch",
        "no name",
        "bad email",
    ],
)
def test_signup_bad_input_gets_a_message_and_creates_nobody(client, overrides, message):
    UserFactory(email="asha@example.com")
    response = client.post(reverse("account_signup"), signup_data(**overrides))
    assert response.status_code == 400
    assert message in response.text
    assert User.objects.count() == 1
    assert SESSION_KEY not in client.session


def test_signup_empty_post_names_every_missing_field(client):
    response = client.post(reverse("account_signup"), {})
    assert response.status_code == 400
    # email, name, batch, the password twice; entry year and programme length in words
    assert response.text.count("This field is required") == 5
    assert "Choose the year you joined: year 1 or year 2." in response.text
    assert "Choose how long your programme is: 4 or 5 years." in response.text
    assert not User.objects.exists()


def test_signup_sent_twice_at_once_makes_one_account_and_no_500(client, monkeypatch):
    # The second of two simultaneous submissions passes validation just before the
    # first creates the account; the database's unique index catches it.
    validate = SignUpForm.is_valid

    def valid_then_the_other_request_wins(form):
        valid = validate(form)
        UserFactory(email="ASHA.VERMA@example.com")
        return valid

    monkeypatch.setattr(SignUpForm, "is_valid", valid_then_the_other_request_wins)
    response = client.post(reverse("account_signup"), signup_data())
    # The answer a taken address gets: check your email; the owner is told by mail.
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.count() == 1
    assert SESSION_KEY not in client.session
    assert [message.to for message in mail.outbox] == [["asha.verma@example.com"]]


def test_signup_get_carries_a_safe_next_and_drops_an_unsafe_one(client):
    checklist = "/roadmaps/machine-learning-engineer/checklist/"
    text = client.get(reverse("account_signup"), {"next": checklist}).text
    assert f'name="next" value="{checklist}"' in text
    assert f"{reverse('account_login')}?next=" in text
    text = client.get(reverse("account_signup"), {"next": "https://evil.example.com/"}).text
    assert "evil.example.com" not in text
    assert not User.objects.exists()


def test_signup_goes_on_to_next_only_when_asked_not_to_the_page_that_linked_to_it(
    client, verification_off
):
    """Only ``next`` says where to go after signing up: the page that held the sign-up
    link (Referer) is not a request to return there."""
    response = client.post(
        reverse("account_signup"),
        signup_data(),
        headers={"Referer": "http://testserver/roadmaps/"},
    )
    assert response["Location"] == reverse("roadmap:welcome")


def test_signup_escapes_the_name_on_the_form_and_in_the_welcome(
    client, default_roadmap, verification_off
):
    name = "<script>alert(1)</script>"
    response = client.post(reverse("account_signup"), signup_data(name=name, password2="x"))
    assert response.status_code == 400
    assert name not in response.text
    assert "&lt;script&gt;" in response.text
    response = client.post(reverse("account_signup"), signup_data(name=name), follow=True)
    assert User.objects.get().name == name
    assert response.status_code == 200
    assert name not in response.text


def test_signup_needs_csrf(db):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("account_signup"), signup_data()).status_code == 403
    assert not User.objects.exists()


# -- sign-in and sign-out ----------------------------------------------------------


def test_login_labels_email_and_links_to_reset_and_signup(client):
    text = client.get(reverse("account_login")).text
    assert ">Email:</label>" in text
    assert reverse("account_reset_password") in text
    assert reverse("account_signup") in text


def test_login_redirects_back_to_the_page_that_asked(client, user, default_roadmap):
    follow_roadmap(user, default_roadmap)
    checklist = reverse("roadmap:checklist", args=[default_roadmap.slug])
    asked = client.get(checklist)
    assert asked["Location"] == f"{reverse('account_login')}?next={checklist}"
    response = client.post(
        asked["Location"],
        {"login": user.email.upper(), "password": TEST_PASSWORD, "next": checklist},
    )
    assert response["Location"] == checklist


def test_login_goes_to_the_dashboard_by_default_and_ignores_an_unsafe_next(client, user):
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": TEST_PASSWORD, "next": "https://evil.example.com/"},
    )
    assert response["Location"] == reverse("start")


def test_login_sends_signed_in_users_on(client, user):
    client.force_login(user)
    response = client.get(reverse("account_login"))
    assert response["Location"] == reverse("start")


def test_login_with_a_wrong_password_says_so(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": "nope"})
    assert response.status_code == 400
    assert "That email and password do not match an account" in response.text
    assert "the email is not" in response.text  # not "both fields may be case-sensitive"
    assert SESSION_KEY not in client.session


def test_logout_needs_post(client, user):
    client.force_login(user)
    # A GET only asks (a link or a prefetch signs nobody out).
    asked = client.get(reverse("account_logout"))
    assert asked.status_code == 200
    assert f'method="post" action="{reverse("account_logout")}"' in asked.text
    assert SESSION_KEY in client.session
    client.post(reverse("account_logout"))
    assert SESSION_KEY not in client.session


# -- profile ------------------------------------------------------------------


def test_profile_needs_sign_in(client):
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_profile_post_by_anonymous_changes_nothing(client, user):
    response = client.post(reverse("accounts:profile"), {"name": "Hacked", "batch": "2026"})
    assert response["Location"].startswith(reverse("account_login"))
    user.refresh_from_db()
    assert (user.name, user.batch) != ("Hacked", 2026)


def test_profile_shows_the_signed_in_users_details(client, user):
    client.force_login(user)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 200
    assert user.email in response.text
    assert 'value="2025" selected' in response.text
    assert 'name="email"' not in response.text


def test_profile_changes_only_the_signed_in_user(client, user):
    other = UserFactory(name="Other", batch=2024)
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"name": "Asha V.", "batch": "2026", "email": other.email, "pk": other.pk, "id": other.pk},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    other.refresh_from_db()
    assert (user.name, user.batch) == ("Asha V.", 2026)
    assert (other.name, other.batch) == ("Other", 2024)
    assert user.email != other.email


def test_profile_keeps_an_older_batch_selectable(client):
    graduate = UserFactory(batch=2015)
    client.force_login(graduate)
    response = client.post(reverse("accounts:profile"), {"name": "Still me", "batch": "2015"})
    assert response.status_code == 302


def test_profile_bad_batch_is_refused(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {"name": "X", "batch": "1999"})
    assert response.status_code == 400
    assert "Choose the year your B.Tech started" in response.text
    user.refresh_from_db()
    assert user.batch == 2025


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "X", "batch": "soon"}, "Choose the year your B.Tech started"),
        ({"name": "", "batch": "2026"}, "This field is required"),
        ({"name": "   ", "batch": "2026"}, "This field is required"),
        ({"name": "x" * 151, "batch": "2026"}, "at most 150 characters"),
        ({}, "This field is required"),
    ],
    ids=["text batch", "no name", "blank name", "long name", "empty post"],
)
def test_profile_bad_input_saves_nothing(client, user, data, message):
    before = (user.name, user.batch)
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), data)
    assert response.status_code == 400
    assert message in response.text
    user.refresh_from_db()
    assert (user.name, user.batch) == before


def test_profile_needs_csrf(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {"name": "Changed", "batch": "2026"})
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.name != "Changed"


def test_profile_escapes_the_name(client):
    user = UserFactory(name="<script>alert(1)</script>")
    client.force_login(user)
    text = client.get(reverse("accounts:profile")).text
    assert "<script>alert(1)</script>" not in text


# -- password change and reset --------------------------------------------------


def test_password_change(client, user):
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": TEST_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("accounts:profile")
    # Still signed in here, with the new password.
    assert int(client.session[SESSION_KEY]) == user.pk
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_change_needs_sign_in(client):
    response = client.get(reverse("account_change_password"))
    assert response["Location"].startswith(reverse("account_login"))


def test_password_change_with_a_wrong_old_password_changes_nothing(client, user):
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "not it", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert "That is not your current password." in response.text
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_password_reset_by_email(client, user):
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    response = client.get(link.group(1), follow=True)
    assert "Choose a new password" in response.text
    response = client.post(
        response.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    # The mailbox's owner is signed in at once.
    assert int(client.session[SESSION_KEY]) == user.pk
    client.post(reverse("account_logout"))
    signed_in = client.post(
        reverse("account_login"), {"login": user.email, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert int(client.session[SESSION_KEY]) == user.pk


def test_password_reset_does_not_reveal_unknown_emails(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("account_reset_password_done")
    assert mail.outbox == []


def test_password_reset_finds_the_account_whatever_the_case(client, user):
    client.post(reverse("account_reset_password"), {"email": user.email.upper()})
    assert mail.outbox[0].to == [user.email]
    assert mail.outbox[0].subject == "Choose a new Waypoint password"


def test_password_reset_link_works_once(client, user):
    client.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"https?://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    form_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.post(reverse("account_logout"))
    again = client.get(link.group(1), follow=True)
    assert "This link no longer works" in again.text
    response = client.post(
        link.group(1), {"password1": "another long passphrase", "password2": "x"}
    )
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert response.status_code == 400
    assert "This link no longer works" in response.text


def test_password_reset_with_a_made_up_link_says_it_no_longer_works(client):
    response = client.get(
        reverse("account_reset_password_from_key", kwargs={"uidb36": "3x", "key": "made-up"})
    )
    assert response.status_code == 200
    assert "This link no longer works" in response.text


# -- delete account -------------------------------------------------------------


def test_delete_needs_sign_in(client, user):
    response = client.post(reverse("accounts:delete"), {"password": TEST_PASSWORD})
    assert response.status_code == 302
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_asks_first(client, user):
    client.force_login(user)
    response = client.get(reverse("accounts:delete"))
    assert response.status_code == 200
    assert "cannot be undone" in response.text
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_page_suggests_exporting_first(client, user):
    client.force_login(user)
    text = client.get(reverse("accounts:delete")).text
    assert reverse("roadmap:export", args=["json"]) in text
    assert "progress" in text
    assert 'autocomplete="current-password"' in text


def test_delete_with_no_password_names_the_field(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:delete"), {})
    assert response.status_code == 400
    assert "This field is required" in response.text
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_with_another_users_password_deletes_nothing(client, user):
    other = UserFactory(password="the other persons password")
    client.force_login(user)
    response = client.post(
        reverse("accounts:delete"), {"password": "the other persons password", "pk": other.pk}
    )
    assert response.status_code == 400
    assert User.objects.filter(pk__in=[user.pk, other.pk]).count() == 2


def test_delete_with_a_wrong_password_deletes_nothing(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:delete"), {"password": "wrong"})
    assert response.status_code == 400
    assert "That is not your password" in response.text
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_removes_the_account_with_its_progress_and_only_it(client, user):
    item = ItemFactory()
    other = UserFactory()
    for student in (user, other):
        follow_roadmap(student, item.milestone.stage.roadmap)
        progress_set(student=student, item=item, status=Status.DONE)
    client.force_login(user)
    response = client.post(
        reverse("accounts:delete"), {"password": TEST_PASSWORD, "user": other.pk, "pk": other.pk}
    )
    assert response["Location"] == reverse("home")
    assert not User.objects.filter(pk=user.pk).exists()
    assert list(Progress.objects.values_list("student", flat=True)) == [other.pk]
    assert list(ProgressEvent.objects.values_list("student", flat=True)) == [other.pk]
    assert SESSION_KEY not in client.session


def test_deleting_a_mentor_keeps_the_students_verified_progress(client, user):
    item = ItemFactory(kind="project")  # mentors review projects and certifications
    student = UserFactory()
    follow_roadmap(student, item.milestone.stage.roadmap)
    progress = progress_set(
        student=student, item=item, status=Status.DONE, evidence_url="https://github.com/a/b"
    )
    review_evidence(mentor=user, progress=progress, verified=True)
    client.force_login(user)
    client.post(reverse("accounts:delete"), {"password": TEST_PASSWORD})
    assert not User.objects.filter(pk=user.pk).exists()
    progress.refresh_from_db()
    assert (progress.status, progress.verified_by) == (Status.DONE, None)
    assert ProgressEvent.objects.filter(student=student).count() == 3


def test_delete_needs_csrf(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse("accounts:delete"), {"password": TEST_PASSWORD}).status_code == 403
    assert User.objects.filter(pk=user.pk).exists()
