from datetime import date

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)

from . import throttle
from .models import Entry, Programme, User

CLOCK_FIELDS = ["batch", "entry_year", "programme_years"]

DUPLICATE_EMAIL = "An account with this email already exists. Sign in or reset your password."


def batch_choices(today: date | None = None):
    """Admission years a current student can have: the last five and the next one."""
    year = (today or date.today()).year
    return [("", "Choose your batch")] + [(y, str(y)) for y in range(year + 1, year - 6, -1)]


class BatchField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=batch_choices,
            coerce=int,
            empty_value=None,
            label="Batch (admission year)",
            help_text="The year your B.Tech started. It tells Waypoint your year and semester.",
            error_messages={"invalid_choice": "Choose the year your B.Tech started from the list."},
            **kwargs,
        )


def entry_year_field(**kwargs) -> forms.TypedChoiceField:
    """The entry year in plain words, as radio buttons: for every form that asks it
    (sign-up and the account page), so both ask it the same way."""
    return forms.TypedChoiceField(
        choices=Entry.choices,
        coerce=int,
        initial=Entry.REGULAR,
        widget=forms.RadioSelect,
        label="Which year did you join?",
        help_text="Diploma holders who joined B.Tech directly in year 2 choose lateral entry.",
        error_messages={
            "required": "Choose the year you joined: year 1 or year 2.",
            "invalid_choice": "Choose the year you joined: year 1 (regular) or year 2 "
            "(lateral entry).",
        },
        **kwargs,
    )


def programme_years_field(**kwargs) -> forms.TypedChoiceField:
    """The programme's length, as radio buttons: for every form that asks it."""
    return forms.TypedChoiceField(
        choices=Programme.choices,
        coerce=int,
        initial=Programme.FOUR_YEARS,
        widget=forms.RadioSelect,
        label="How long is your programme?",
        error_messages={
            "required": "Choose how long your programme is: 4 or 5 years.",
            "invalid_choice": "Choose how long your programme is: 4 or 5 years.",
        },
        **kwargs,
    )


class SignInForm(AuthenticationForm):
    """Django's sign-in form, labelled for email addresses."""

    error_messages = {
        **AuthenticationForm.error_messages,
        # Django's own text says both fields may be case-sensitive; emails are not here.
        "invalid_login": "That email and password do not match an account. "
        "Check the password: it is case-sensitive (the email is not).",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget.attrs.update(autocomplete="email", inputmode="email")


class SignUpForm(forms.ModelForm):
    batch = BatchField()
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters; a short sentence works well.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = ["email", "name", "batch"]
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
        }
        labels = {"name": "Your name"}

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(DUPLICATE_EMAIL)
        return email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords do not match.")
        elif password1:
            user = User(email=cleaned.get("email", ""), name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


class ProfileForm(forms.ModelForm):
    """The account page: the name and the academic clock. The clock fields are saved
    through accounts.clock (recorded as corrected by the student), not by ``save``."""

    batch = BatchField(required=False)
    # Not required: a post without them (an older page) leaves them as they are.
    entry_year = entry_year_field(required=False, empty_value=None)
    programme_years = programme_years_field(required=False, empty_value=None)

    class Meta:
        model = User
        fields = ["name", "batch", "entry_year", "programme_years"]
        labels = {"name": "Your name"}

    def clean_entry_year(self):
        return self.cleaned_data["entry_year"] or self.instance.entry_year

    def clean_programme_years(self):
        return self.cleaned_data["programme_years"] or self.instance.programme_years

    def clock(self) -> dict:
        """The clock as entered: {"batch", "entry_year", "programme_years"}."""
        return {name: self.cleaned_data[name] for name in CLOCK_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Keep an older batch (a graduate's) selectable, so saving a name never fails on it.
        choices = batch_choices()
        if self.instance.batch and (self.instance.batch, str(self.instance.batch)) not in choices:
            choices.append((self.instance.batch, str(self.instance.batch)))
        self.fields["batch"].choices = choices


class DeleteAccountForm(forms.Form):
    """Asks for the current password, counted as a guess like a sign-in
    (accounts/throttle.py): a refused guess raises GuessRefused before any hashing."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not throttle.check_password(self.request, self.user, password):
            raise forms.ValidationError("That is not your password. Nothing was deleted.")
        return password


class GuardedPasswordChangeForm(PasswordChangeForm):
    """Django's password change, with the old password counted as a guess like a sign-in."""

    def __init__(self, user, *args, request, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        if not throttle.check_password(self.request, self.user, old_password):
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


class LimitedPasswordResetForm(PasswordResetForm):
    """Django's reset form, mailing each account at most WAYPOINT_RESET_MAILS_PER_ACCOUNT
    links an hour. Past that, nothing is sent and the answer is the same as ever, so it
    never tells whether an email has an account."""

    def get_users(self, email):
        return (user for user in super().get_users(email) if throttle.may_mail_reset_link(user))


class ResetSetPasswordForm(SetPasswordForm):
    """Setting a password from a reset link lifts every sign-in lock on the account:
    whoever holds the mailbox is the owner, even behind an address someone else locked."""

    def save(self, commit=True):
        user = super().save(commit)
        throttle.forget_account(user)
        return user
