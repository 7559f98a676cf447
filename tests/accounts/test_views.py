import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from roadmap.models import Progress, ProgressEvent, Status
from roadmap.services import follow_roadmap, progress_set
from tests.factories import TEST_PASSWORD, ItemFactory, RoadmapFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long enough passphrase"


def signup_data(**overrides):
    return {
        "email": "Asha.Verma@Example.com",
        "name": "Asha Verma",
        "batch": "2025",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }


@pytest.fixture
def default_roadmap(settings):
    return RoadmapFactory(slug=settings.WAYPOINT_DEFAULT_ROADMAP)


# -- sign-up ------------------------------------------------------------------


def test_signup_page_opens_for_anonymous(client):
    response = client.get(reverse("accounts:signup"))
    assert response.status_code == 200
    assert 'autocomplete="new-password"' in response.text
    assert "The year your B.Tech started" in response.text


def test_signup_redirects_signed_in_users(client, user):
    client.force_login(user)
    response = client.get(reverse("accounts:signup"))
    assert response["Location"] == reverse("roadmap:my_dashboard")


def test_signup_creates_the_student_follows_the_default_roadmap_and_signs_in(
    client, default_roadmap
):
    response = client.post(reverse("accounts:signup"), signup_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("roadmap:my_dashboard")
    user = User.objects.get()
    assert (user.email, user.name, user.batch) == ("Asha.Verma@example.com", "Asha Verma", 2025)
    assert user.check_password(NEW_PASSWORD)
    assert list(user.enrollments.values_list("roadmap", flat=True)) == [default_roadmap.pk]
    assert int(client.session[SESSION_KEY]) == user.pk
    # ... and the dashboard it lands on is theirs.
    dashboard = client.get(response["Location"], follow=True)
    assert dashboard.status_code == 200
    assert default_roadmap.title in dashboard.text


def test_signup_honours_a_safe_next_only(client, default_roadmap):
    response = client.post(
        reverse("accounts:signup"), signup_data(next=default_roadmap.get_absolute_url())
    )
    assert response["Location"] == default_roadmap.get_absolute_url()
    client.logout()
    response = client.post(
        reverse("accounts:signup"),
        signup_data(email="other@example.com", next="https://evil.example.com/"),
    )
    assert response["Location"] == reverse("roadmap:my_dashboard")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "ASHA@example.com"}, "An account with this email already exists"),
        ({"password1": "short", "password2": "short"}, "too short"),
        ({"password2": "something else entirely"}, "do not match"),
        ({"batch": "1999"}, "Choose the year your B.Tech started"),
        ({"batch": "soon"}, "Choose the year your B.Tech started"),
        ({"name": ""}, "This field is required"),
        ({"email": "not-an-email"}, "valid email"),
    ],
    ids=[
        "duplicate email",
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
    response = client.post(reverse("accounts:signup"), signup_data(**overrides))
    assert response.status_code == 400
    assert message in response.text
    assert User.objects.count() == 1
    assert SESSION_KEY not in client.session


def test_signup_needs_csrf(db):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("accounts:signup"), signup_data()).status_code == 403
    assert not User.objects.exists()


# -- sign-in and sign-out ----------------------------------------------------------


def test_login_labels_email_and_links_to_reset_and_signup(client):
    text = client.get(reverse("accounts:login")).text
    assert ">Email:</label>" in text
    assert reverse("accounts:password_reset") in text
    assert reverse("accounts:signup") in text


def test_login_redirects_back_to_the_page_that_asked(client, user, default_roadmap):
    follow_roadmap(user, default_roadmap)
    checklist = reverse("roadmap:checklist", args=[default_roadmap.slug])
    asked = client.get(checklist)
    assert asked["Location"] == f"{reverse('accounts:login')}?next={checklist}"
    response = client.post(
        asked["Location"],
        {"username": user.email.upper(), "password": TEST_PASSWORD, "next": checklist},
    )
    assert response["Location"] == checklist


def test_login_with_a_wrong_password_says_so(client, user):
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.text
    assert SESSION_KEY not in client.session


def test_logout_needs_post(client, user):
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert SESSION_KEY in client.session
    client.post(reverse("accounts:logout"))
    assert SESSION_KEY not in client.session


# -- profile ------------------------------------------------------------------


def test_profile_needs_sign_in(client):
    assert client.get(reverse("accounts:profile")).status_code == 302


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


def test_profile_escapes_the_name(client):
    user = UserFactory(name="<script>alert(1)</script>")
    client.force_login(user)
    text = client.get(reverse("accounts:profile")).text
    assert "<script>alert(1)</script>" not in text


# -- password change and reset --------------------------------------------------


def test_password_change(client, user):
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response["Location"] == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_by_email(client, user):
    response = client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    response = client.get(link.group(1), follow=True)
    assert "Choose a new password" in response.text
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("accounts:password_reset_complete")
    assert client.login(email=user.email, password=NEW_PASSWORD)


def test_password_reset_does_not_reveal_unknown_emails(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


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


def test_delete_needs_csrf(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse("accounts:delete"), {"password": TEST_PASSWORD}).status_code == 403
    assert User.objects.filter(pk=user.pk).exists()
