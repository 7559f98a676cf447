"""Waypoint's choices inside django-allauth's sign-up, sign-in and verification flows."""

from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.shortcuts import resolve_url

from config.http import next_page


def after_sign_up_url(request) -> str:
    """``WAYPOINT_AFTER_SIGN_UP_URL`` (the roadmap app follows the default roadmap there),
    carrying a safe ``next`` on to it: "/welcome/?next=%2Fcohorts%2Fjoin%2F...%2F"."""
    url = resolve_url(settings.WAYPOINT_AFTER_SIGN_UP_URL)
    page = next_page(request)
    return f"{url}?{urlencode({'next': page})}" if page else url


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": "That email and password do not match an account. "
        "Check the password: it is case-sensitive (the email is not).",
    }

    def get_signup_redirect_url(self, request) -> str:
        return after_sign_up_url(request)

    def get_password_change_redirect_url(self, request) -> str:
        return resolve_url("accounts:profile")

    def save_user(self, request, user, form, commit=True):
        """The new User from accounts.forms.SignUpForm: allauth's email and password, and
        Waypoint's name, batch and academic clock."""
        user = super().save_user(request, user, form, commit=False)
        for field in ("name", "batch", "entry_year", "programme_years"):
            setattr(user, field, form.cleaned_data[field])
        if commit:
            user.save()
        return user


def set_email_verified(user) -> None:
    """Record ``user.email`` as their verified, primary address (allauth's EmailAddress),
    so they sign in without a verification mail: demo and test accounts, whose address
    nobody needs to confirm."""
    EmailAddress.objects.update_or_create(
        user=user, email=user.email.lower(), defaults={"verified": True, "primary": True}
    )
