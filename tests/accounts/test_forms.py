from datetime import date

import pytest

from accounts.forms import (
    DeleteAccountForm,
    ProfileForm,
    SignInForm,
    SignUpForm,
    batch_choices,
)
from tests.factories import NEW_PASSWORD, TEST_PASSWORD, UserFactory, signup_data

pytestmark = pytest.mark.django_db


def test_batch_choices_are_the_last_five_years_and_the_next_one():
    choices = batch_choices(date(2026, 3, 1))
    assert choices[0] == ("", "Choose your batch")
    assert [year for year, _ in choices[1:]] == [2027, 2026, 2025, 2024, 2023, 2022, 2021]


def test_signup_form_makes_a_user_with_a_hashed_password():
    form = SignUpForm(signup_data())
    assert form.is_valid(), form.errors
    user = form.save()
    assert (user.email, user.name, user.batch) == ("Asha.Verma@example.com", "Asha Verma", 2025)
    assert user.password != NEW_PASSWORD
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("existing", ["asha.verma@example.com", "ASHA.VERMA@EXAMPLE.COM"])
def test_signup_form_refuses_a_taken_email_in_any_case(existing):
    UserFactory(email=existing)
    form = SignUpForm(signup_data())
    assert not form.is_valid()
    assert form.errors["email"] == [
        "An account with this email already exists. Sign in or reset your password."
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password1": "short", "password2": "short"}, "password1", "too short"),
        ({"password1": "123456789012", "password2": "123456789012"}, "password1", "numeric"),
        ({"password1": "password1234", "password2": "password1234"}, "password1", "too common"),
        # The validators see the new account's email and name, not an empty user.
        (
            {"password1": "asha.verma@example.com", "password2": "asha.verma@example.com"},
            "password1",
            "too similar to the email address",
        ),
        ({"password2": "something else entirely"}, "password2", "do not match"),
        ({"batch": "1999"}, "batch", "Choose the year your B.Tech started"),
        ({"batch": "2101"}, "batch", "Choose the year your B.Tech started"),
        ({"batch": "soon"}, "batch", "Choose the year your B.Tech started"),
        ({"batch": ""}, "batch", "This field is required"),
        ({"name": ""}, "name", "This field is required"),
        ({"email": "asha"}, "email", "valid email"),
    ],
)
def test_signup_form_puts_each_problem_next_to_its_field(overrides, field, message):
    form = SignUpForm(signup_data(**overrides))
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_signup_form_has_no_say_over_staff_or_mentor_flags():
    form = SignUpForm(signup_data(is_staff="on", is_superuser="on", is_mentor="on"))
    assert form.is_valid(), form.errors
    user = form.save()
    assert not (user.is_staff or user.is_superuser or user.is_mentor)


def test_sign_in_form_asks_for_an_email():
    form = SignInForm()
    assert form.fields["username"].label == "Email"
    assert form.fields["username"].widget.attrs["autocomplete"] == "email"


def test_profile_form_edits_name_and_academic_clock_only(user):
    assert list(ProfileForm(instance=user).fields) == [
        "name",
        "batch",
        "entry_year",
        "programme_years",
    ]


def test_profile_form_keeps_the_users_own_older_batch_but_no_other():
    graduate = UserFactory(batch=2015)
    assert ProfileForm({"name": "Me", "batch": "2015"}, instance=graduate).is_valid()
    form = ProfileForm({"name": "Me", "batch": "2014"}, instance=graduate)
    assert not form.is_valid()
    assert "batch" in form.errors


def test_delete_form_checks_the_password_of_the_user_it_was_given(user, rf):
    request = rf.post("/")
    assert DeleteAccountForm({"password": TEST_PASSWORD}, user=user, request=request).is_valid()
    form = DeleteAccountForm({"password": "wrong"}, user=user, request=request)
    assert not form.is_valid()
    assert form.errors["password"] == ["That is not your password. Nothing was deleted."]
