"""Waypoint's choices inside django-allauth's sign-up, sign-in and verification flows."""

from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.shortcuts import render, resolve_url

from config.http import next_page, safe_page


def after_sign_up_url(request, then: str | None = None) -> str:
    """``WAYPOINT_AFTER_SIGN_UP_URL`` (the roadmap app follows the default roadmap there),
    carrying a safe ``next`` on to it: "/welcome/?next=%2Fcohorts%2Fjoin%2F...%2F". The
    page to go on to is ``then`` when given (a provider sign-in keeps it in its state),
    else the request's ``next``."""
    url = resolve_url(settings.WAYPOINT_AFTER_SIGN_UP_URL)
    page = safe_page(request, then) if then is not None else next_page(request)
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


def email_domain(email: str) -> str:
    """ "Asha@Students.College.edu" -> "students.college.edu"."""
    return email.rpartition("@")[2].lower()


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """College sign-in through an OpenID Connect provider (config/settings.py)."""

    def pre_social_login(self, request, sociallogin):
        """Refuses, with a page saying which domains are allowed (403), a provider sign-in
        whose address is not a verified one in ``WAYPOINT_SIGN_IN_DOMAINS`` (when set),
        before anything is created or connected."""
        domains = settings.WAYPOINT_SIGN_IN_DOMAINS
        if not domains:
            return
        verified = [a.email for a in sociallogin.email_addresses if a.verified]
        if not any(email_domain(email) in domains for email in verified):
            addresses = [a.email for a in sociallogin.email_addresses]
            context = {
                "domains": domains,
                "email": addresses[0] if addresses else "",
                "verified": bool(verified),
                "provider": sociallogin.provider.name,
            }
            raise ImmediateHttpResponse(
                render(request, "socialaccount/domain_refused.html", context, status=403)
            )

    def authenticate_by_email(self, sociallogin):
        """allauth's match of the provider's verified address to an account, kept only when
        that account's own address is verified too: an account someone made with another
        person's address, never confirmed, is not handed to them with its password."""
        found = super().authenticate_by_email(sociallogin)
        if found is None:
            return None
        user, email = found
        if not EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists():
            return None
        return found

    def get_signup_form_initial_data(self, sociallogin) -> dict:
        provider = sociallogin.provider
        name = provider.extract_common_fields(sociallogin.account.extra_data).get("name")
        return {**super().get_signup_form_initial_data(sociallogin), "name": name or ""}

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        # A new person always answers the short form: Waypoint needs their batch and clock.
        return False

    def save_user(self, request, sociallogin, form=None):
        """The new User, then on to ``WAYPOINT_AFTER_SIGN_UP_URL`` as after an email
        sign-up, with the page they were going to carried on."""
        user = super().save_user(request, sociallogin, form)
        sociallogin.state["next"] = after_sign_up_url(request, sociallogin.state.get("next", ""))
        return user
