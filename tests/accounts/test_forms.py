from datetime import date

import pytest

from accounts.forms import (
    DeleteAccountForm,
    ProfileForm,
    SignInForm,
    SignUpForm,
    batch_choices,
)
from tests.factories import TEST_PASSWORD, UserFactory, signup_data

pytestmark = pytest.mark.django_db


def test_batch_choices_are_the_last_five_years_and_the_next_one():
    choices = batch_choices(date(2026, 3, 1))
    assert choices[0] == ("", "Choose your batch")
    assert [year for year, _ in choices[1:]] == [2027, 2026, 2025, 2024, 2023, 2022, 2021]


def test_signup_form_asks_for_name_batch_and_the_academic_clock_in_order():
    form = SignUpForm()
    assert list(form.fields) == [
        "email",
        "name",
        "batch",
        "entry_year",
        "programme_years",
        "password1",
        "password2",
    ]
    assert form.fields["entry_year"].label == "Which year did you join?"
    assert [label for _, label in form.fields["entry_year"].choices] == [
        "Year 1 (regular)",
        "Year 2 (lateral entry)",
    ]
    assert [value for value, _ in form.fields["programme_years"].choices] == [4, 5]
    assert form.fields["email"].widget.attrs["autocomplete"] == "email"
    assert form.fields["name"].widget.attrs["autocomplete"] == "name"
    assert form.fields["password1"].widget.attrs["autocomplete"] == "new-password"


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
        ({"password2": "something else entirely"}, "password2", "same password"),
        ({"batch": "1999"}, "batch", "Choose the year your B.Tech started"),
        ({"batch": "2101"}, "batch", "Choose the year your B.Tech started"),
        ({"batch": "soon"}, "batch", "Choose the year your B.Tech started"),
        ({"batch": ""}, "batch", "This field is required"),
        ({"name": ""}, "name", "This field is required"),
        ({"email": "asha"}, "email", "valid email"),
        (
            {"entry_year": "3"},
            "entry_year",
            "Choose the year you joined: year 1 (regular) or year 2",
        ),
        (
            {"programme_years": "6"},
            "programme_years",
            "Choose how long your programme is: 4 or 5 years.",
        ),
        ({"entry_year": ""}, "entry_year", "Choose the year you joined: year 1 or year 2."),
    ],
)
def test_signup_form_puts_each_problem_next_to_its_field(overrides, field, message):
    form = SignUpForm(signup_data(**overrides))
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_sign_in_form_asks_for_an_email_with_no_second_reset_link():
    form = SignInForm()
    assert form.fields["login"].label == "Email"
    assert form.fields["login"].widget.attrs["autocomplete"] == "email"
    assert form.fields["password"].help_text == ""


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
