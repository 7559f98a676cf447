"""A person is addressed by their name as they wrote it, never by its first word.

"श्रीमती प्रियंका" greeted as "श्रीमती" is greeted as "Mrs."; many names do not start
with a given name (honorifics, family names first, single names), so Waypoint never
cuts a name into parts.
"""

import re

import pytest
from django.core import mail
from django.urls import reverse

from roadmap.services import follow_roadmap
from tests.factories import CohortFactory, RoadmapFactory, UserFactory, build_roadmap, signup_data

pytestmark = pytest.mark.django_db

NAME = "श्रीमती प्रियंका"
NAMES = [NAME, "Dr. A. P. J. Abdul Kalam", "Sundar Pichai", "Prabhu"]


@pytest.mark.parametrize("name", NAMES)
def test_the_short_name_is_the_whole_name(name):
    assert UserFactory(name=name).get_short_name() == name


def test_without_a_name_the_email_stands_in():
    user = UserFactory(name="", email="asha@example.com")
    assert user.get_short_name() == "asha@example.com"


def test_the_welcome_after_sign_up_uses_the_whole_name(client, settings):
    RoadmapFactory(slug=settings.WAYPOINT_DEFAULT_ROADMAP)
    client.post(reverse("account_signup"), signup_data(name=NAME))
    (sent,) = mail.outbox
    assert sent.body.startswith(f"Hello {NAME},")
    link = re.search(r"https?://testserver(/accounts/confirm-email/\S+/)", sent.body)
    response = client.post(link[1], follow=True)
    assert f"Welcome to Waypoint, {NAME}!" in response.text


def test_the_password_reset_mail_greets_by_the_whole_name(client):
    user = UserFactory(name=NAME)
    client.post(reverse("account_reset_password"), {"email": user.email})
    (sent,) = mail.outbox
    assert sent.body.startswith(f"Hello {NAME},")


def test_the_mentor_reads_the_whole_name_of_a_student(client, mentor):
    roadmap = build_roadmap(items=3, slug="ml")
    student = UserFactory(name=NAME, batch=2025)
    cohort = CohortFactory(name="CSE 2027", roadmap=roadmap, mentors=[mentor], students=[student])
    follow_roadmap(student, roadmap)
    client.force_login(mentor)
    text = client.get(reverse("cohorts:student", args=[cohort.pk, student.pk])).text
    assert f"{NAME} is at" in text
    assert f"<h1>{NAME}</h1>" in text


def test_the_admin_welcomes_staff_by_the_whole_name(client):
    staff = UserFactory(name=NAME, is_staff=True, is_superuser=True)
    client.force_login(staff)
    text = client.get(reverse("admin:index")).text
    assert f"<strong>{NAME}</strong>" in text
