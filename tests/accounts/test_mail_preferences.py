"""The account page's mail section (which mail a person wants, and what to do after a
bounce) and its calendar section (make or replace the private calendar address)."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import MailKind, User
from accounts.outbox import unsubscribe_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALL_ON = {"mail_digest": True, "mail_reviews": True, "mail_nudges": True}


def mail_choices(user) -> dict:
    user.refresh_from_db()
    return {name: getattr(user, name) for name in ALL_ON}


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def bounced(db):
    return UserFactory(
        email="asha@bounce.invalid",
        mail_bounced_at=datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Kolkata")),
        mail_bounce="550 5.1.1 No such user here",
    )


# -- the page ---------------------------------------------------------------------------


def test_the_account_page_offers_each_kind_of_mail_with_its_label_and_help(signed_in):
    text = signed_in.get(reverse("accounts:profile")).text
    section = text[text.index('id="mail"') : text.index('id="calendar"')]
    assert f'action="{reverse("accounts:mail")}"' in section
    for name, label, help_text in [
        ("mail_digest", "Weekly digest", "Monday morning: what is due, what is behind."),
        ("mail_reviews", "Evidence reviews", "When a mentor verifies or sends back"),
        ("mail_nudges", "Messages from mentors", "A note from a mentor of your cohort."),
    ]:
        box = re.search(rf'<input type="checkbox" name="{name}"[^>]*>', section).group(0)
        assert "checked" in box  # on by default
        assert f'aria-describedby="id_{name}_helptext"' in box
        assert f'<label for="id_{name}">{label}</label>' in section
        assert help_text in section
    assert "bounced" not in section


def test_the_unsubscribe_page_links_to_the_mail_section(client, user):
    token = unsubscribe_token(user, MailKind.DIGEST)
    response = client.post(reverse("accounts:unsubscribe", args=[token]))
    assert f'href="{reverse("accounts:profile")}#mail"' in response.text
    client.force_login(user)
    assert 'id="mail"' in client.get(reverse("accounts:profile")).text


# -- saving the choices -----------------------------------------------------------------


def test_saving_mail_choices_needs_sign_in(client, user):
    response = client.post(reverse("accounts:mail"), {"mail_digest": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert mail_choices(user) == ALL_ON


def test_mail_choices_are_saved_for_the_signed_in_person(signed_in, user):
    response = signed_in.post(reverse("accounts:mail"), {"mail_reviews": "on"}, follow=True)
    assert response.redirect_chain == [(reverse("accounts:profile") + "#mail", 302)]
    assert "Your mail choices are saved." in response.text
    # Announced to screen readers, still read as a list (role="status" on the list itself
    # would hide its items' list semantics).
    assert re.search(r'<div role="status">\s*<ul class="messages">', response.text)
    assert mail_choices(user) == {"mail_digest": False, "mail_reviews": True, "mail_nudges": False}
    box = re.search(r'<input type="checkbox" name="mail_digest"[^>]*>', response.text).group(0)
    assert "checked" not in box
    # Ticked again: on again.
    signed_in.post(reverse("accounts:mail"), {"mail_digest": "on", "mail_reviews": "on"})
    assert mail_choices(user) == {"mail_digest": True, "mail_reviews": True, "mail_nudges": False}


def test_mail_choices_change_only_the_signed_in_persons_account(signed_in, user):
    other = UserFactory()
    signed_in.post(
        reverse("accounts:mail"),
        {"pk": other.pk, "id": other.pk, "email": other.email, "user": other.pk},
    )
    assert mail_choices(user) == dict.fromkeys(ALL_ON, False)
    assert mail_choices(other) == ALL_ON
    user.refresh_from_db()
    assert user.email != other.email


@pytest.mark.parametrize("value", ["maybe", "false", "0", "yes please"])
def test_a_value_no_checkbox_sends_is_refused_and_nothing_changes(signed_in, user, value):
    response = signed_in.post(
        reverse("accounts:mail"), {"mail_digest": value, "mail_reviews": "on"}
    )
    assert response.status_code == 400
    assert "Tick the box or leave it empty." in response.text
    assert 'aria-invalid="true"' in response.text
    assert mail_choices(user) == ALL_ON


def test_saving_mail_choices_needs_post_and_csrf(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(reverse("accounts:mail")).status_code == 405
    assert client.post(reverse("accounts:mail"), {}).status_code == 403
    assert mail_choices(user) == ALL_ON


# -- a bounced address ------------------------------------------------------------------


def test_the_account_page_says_when_the_address_bounced(client, bounced):
    client.force_login(bounced)
    text = client.get(reverse("accounts:profile")).text
    assert (
        "Mail to asha@bounce.invalid bounced on 23 November 2026 "
        "(550 5.1.1 No such user here); nothing is sent until you fix it." in text
    )
    assert f'action="{reverse("accounts:mail_works_again")}"' in text
    assert "My address works again" in text


def test_my_address_works_again_needs_sign_in(client, bounced):
    response = client.post(reverse("accounts:mail_works_again"))
    assert response["Location"].startswith(reverse("account_login"))
    bounced.refresh_from_db()
    assert bounced.mail_bounced_at is not None


def test_my_address_works_again_clears_the_bounce_of_the_signed_in_person_only(client, bounced):
    other = UserFactory(
        email="ravi@bounce.invalid",
        mail_bounced_at=bounced.mail_bounced_at,
        mail_bounce="550 gone",
    )
    client.force_login(bounced)
    response = client.post(reverse("accounts:mail_works_again"), {"pk": other.pk}, follow=True)
    assert response.redirect_chain == [(reverse("accounts:profile") + "#mail", 302)]
    assert "Waypoint sends mail to asha@bounce.invalid again." in response.text
    assert "bounced on" not in response.text
    bounced.refresh_from_db()
    assert (bounced.mail_bounced_at, bounced.mail_bounce) == (None, "")
    assert bounced.mail_wanted("digest")
    other.refresh_from_db()
    assert other.mail_bounced_at is not None
    # Pressed again (a second tab): nothing more happens, no error.
    assert client.post(reverse("accounts:mail_works_again")).status_code == 302


def test_my_address_works_again_needs_post(signed_in):
    assert signed_in.get(reverse("accounts:mail_works_again")).status_code == 405


# -- the calendar address ---------------------------------------------------------------


def test_the_calendar_section_offers_to_make_an_address(signed_in, user):
    text = signed_in.get(reverse("accounts:profile")).text
    section = text[text.index('id="calendar"') :]
    assert "Make my calendar address" in section
    assert "Set your batch" not in section
    user.refresh_from_db()
    assert user.calendar_token is None


def test_making_a_calendar_address_needs_sign_in_and_post(client, user):
    response = client.post(reverse("accounts:calendar"))
    assert response["Location"].startswith(reverse("account_login"))
    client.force_login(user)
    assert client.get(reverse("accounts:calendar")).status_code == 405
    user.refresh_from_db()
    assert user.calendar_token is None


def test_the_calendar_address_is_made_then_shown_ready_to_copy(signed_in, user):
    response = signed_in.post(reverse("accounts:calendar"), {"pk": "1"}, follow=True)
    assert response.redirect_chain == [(reverse("accounts:profile") + "#calendar", 302)]
    user.refresh_from_db()
    assert len(user.calendar_token) == 43  # secrets.token_urlsafe(32)
    url = f"http://testserver/calendar/{user.calendar_token}.ics"
    assert '<label for="calendar-url">' in response.text
    assert re.search(rf'<input id="calendar-url" type="text" readonly value="{url}"', response.text)
    assert f'href="webcal://testserver/calendar/{user.calendar_token}.ics"' in response.text
    assert "Replace address" in response.text
    assert "Make my calendar address" not in response.text


def test_replacing_the_calendar_address_changes_only_the_signed_in_persons(signed_in, user):
    other = UserFactory(calendar_token="someone-elses-secret")
    signed_in.post(reverse("accounts:calendar"))
    user.refresh_from_db()
    first = user.calendar_token
    response = signed_in.post(reverse("accounts:calendar"), follow=True)
    assert "The old one no longer works" in response.text
    user.refresh_from_db()
    assert user.calendar_token not in (first, None)
    assert first not in response.text
    other.refresh_from_db()
    assert other.calendar_token == "someone-elses-secret"


def test_without_a_batch_the_calendar_section_says_to_set_it(client):
    student = UserFactory(batch=None)
    client.force_login(student)
    text = client.get(reverse("accounts:profile")).text
    section = text[text.index('id="calendar"') :]
    assert "Set your batch above first" in section


def test_a_refused_profile_keeps_the_mail_and_calendar_sections(signed_in, user):
    User.objects.filter(pk=user.pk).update(calendar_token="a-secret")
    response = signed_in.post(reverse("accounts:profile"), {"name": "", "batch": "2025"})
    assert response.status_code == 400
    assert 'id="mail"' in response.text
    assert "a-secret" in response.text
