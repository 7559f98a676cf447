"""A password must be a password wherever it is set: sign-up, change, reset, the admin."""

import re

import pytest
from django.contrib.auth import password_validation
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from accounts.validators import DistinctCharactersValidator
from tests.factories import TEST_PASSWORD, UserFactory, signup_data

pytestmark = pytest.mark.django_db

MESSAGE = "This password is too repetitive"
WEAK = [" " * 12, "\t" * 6 + " " * 6, "a" * 12, "ab" * 8, "a a a a a a a ", "\u3000" * 12]


@pytest.mark.parametrize("password", WEAK)
def test_twelve_spaces_or_one_repeated_character_are_refused(password):
    with pytest.raises(ValidationError) as raised:
        password_validation.validate_password(password)
    assert any(MESSAGE in message for message in raised.value.messages)


@pytest.mark.parametrize("password", ["a long new passphrase 42", "abcde fghij k", "Zq9!x Zq9!x"])
def test_passwords_with_five_different_characters_pass(password):
    DistinctCharactersValidator().validate(password)


def test_the_rule_is_in_the_help_text_of_every_password_form():
    assert "5 different characters" in " ".join(
        password_validation.password_validators_help_texts()
    )


def test_sign_up_with_twelve_spaces_creates_nobody(client):
    response = client.post(
        reverse("account_signup"), signup_data(password1=" " * 12, password2=" " * 12)
    )
    assert response.status_code == 400
    assert MESSAGE in response.text
    assert not User.objects.exists()


def test_password_change_to_twelve_spaces_changes_nothing(client, user):
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": TEST_PASSWORD, "password1": " " * 12, "password2": " " * 12},
    )
    assert response.status_code == 400
    assert MESSAGE in response.text
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_reset_to_twelve_spaces_changes_nothing(client, user):
    client.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"https?://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    form_url = client.get(link[1], follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"password1": " " * 12, "password2": " " * 12})
    assert response.status_code == 400
    assert MESSAGE in response.text
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_admin_cannot_create_a_user_with_twelve_spaces(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.student@example.com",
            "name": "New Student",
            "batch": 2026,
            "usable_password": "true",
            "password1": " " * 12,
            "password2": " " * 12,
        },
    )
    assert response.status_code == 200
    assert MESSAGE in response.text
    assert not User.objects.filter(email="new.student@example.com").exists()


def test_admin_cannot_set_twelve_spaces_on_a_user(client, staff_user):
    student = UserFactory()
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[student.pk]),
        {"usable_password": "true", "password1": " " * 12, "password2": " " * 12},
    )
    assert response.status_code == 200
    assert MESSAGE in response.text
    student.refresh_from_db()
    assert student.check_password(TEST_PASSWORD)
