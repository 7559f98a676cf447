from datetime import date

from allauth.account.forms import (
    ChangePasswordForm,
    LoginForm,
    ResetPasswordForm,
    ResetPasswordKeyForm,
    SignupForm,
)
from allauth.core import context
from allauth.socialaccount.forms import SignupForm as ProviderSignupForm
from django import forms

from . import throttle
from .models import Entry, MailKind, Programme, User

CLOCK_FIELDS = ["batch", "entry_year", "programme_years"]


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


class SignInForm(LoginForm):
    """allauth's sign-in by email. The page links "Forgot your password?" below the form,
    large enough to tap; allauth's second, small one inside the password's help goes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = ""
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)


class StudentFields(forms.Form):
    """What Waypoint asks every new student, however they sign up: their name, batch
    and academic clock. ``AccountAdapter.save_user`` stores them."""

    name = forms.CharField(
        label="Your name",
        max_length=150,
        help_text="How mentors and the app address you.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    batch = BatchField()
    entry_year = entry_year_field()
    programme_years = programme_years_field()


class SignUpForm(StudentFields, SignupForm):
    """allauth's sign-up (email, password twice) with ``StudentFields``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(
            ["email", "name", "batch", "entry_year", "programme_years", "password1", "password2"]
        )
        self.fields["password1"].help_text = "At least 12 characters; a short sentence works well."
        self.fields["password2"].label = "Password again"
        for field in self.fields.values():
            # Labels name every field; a placeholder repeating them only adds noise.
            field.widget.attrs.pop("placeholder", None)


class SocialSignUpForm(StudentFields, ProviderSignupForm):
    """The short form after a first college sign-in: the provider vouched for the address
    (shown, not editable); Waypoint still needs ``StudentFields``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].disabled = True
        self.fields["email"].help_text = "From your college account."
        self.fields["email"].widget.attrs.pop("placeholder", None)
        self.order_fields(["email", "name", "batch", "entry_year", "programme_years"])


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


class GuardedChangePasswordForm(ChangePasswordForm):
    """allauth's password change, with the current password counted as a guess like a
    sign-in (accounts/throttle.py)."""

    def clean_oldpassword(self):
        old_password = self.cleaned_data.get("oldpassword", "")
        if not throttle.check_password(context.request, self.user, old_password):
            raise forms.ValidationError("That is not your current password.")
        return old_password


class LimitedResetPasswordForm(ResetPasswordForm):
    """allauth's reset request, limited per address (WAYPOINT_RESET_MAILS_PER_ADDRESS an
    hour, then a 429) and per account (WAYPOINT_RESET_MAILS_PER_ACCOUNT mails an hour; past
    that nothing is sent and the answer is the same as ever, so it never tells whether an
    email has an account)."""

    def save(self, request, **kwargs):
        try:
            throttle.reserve_reset_request(request)
        except throttle.GuessRefused:
            # request.refusal is set: accounts.security.RefusalMiddleware answers 429.
            return self.cleaned_data["email"]
        self.users = [user for user in self.users if throttle.may_mail_reset_link(user)]
        return super().save(request, **kwargs)


class ResetSetPasswordForm(ResetPasswordKeyForm):
    """Setting a password from a reset link lifts every sign-in lock on the account:
    whoever holds the mailbox is the owner, even behind an address someone else locked."""

    def save(self):
        super().save()
        throttle.forget_account(self.user)


class Checkbox(forms.CheckboxInput):
    """A checkbox whose posted value reaches the field as sent (None when unticked), so
    the field can refuse what no browser sends; rendered without a ``value``, so a
    ticked box posts "on"."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: value in (True, "on"))

    def format_value(self, value):
        return None

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class CheckboxField(forms.BooleanField):
    """Ticked ("on") or not (absent). Django's BooleanField reads any other text as
    ticked; a crafted "maybe" is refused here, beside the field, and nothing is saved."""

    widget = Checkbox
    default_error_messages = {"invalid": "Tick the box or leave it empty."}

    def __init__(self, **kwargs):
        super().__init__(**{**kwargs, "required": False})

    def to_python(self, value):
        if value in (None, "", False):
            return False
        if value in (True, "on"):
            return True
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class MailPreferencesForm(forms.ModelForm):
    """Which kinds of mail (``MailKind``) the person wants: one box each, labels and help
    from the model. Unticked boxes are not posted, so a missing field means "no"."""

    class Meta:
        model = User
        fields = [kind.field for kind in MailKind]
        field_classes = dict.fromkeys(fields, CheckboxField)
