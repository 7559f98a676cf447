from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.debug import sensitive_post_parameters

from config.http import next_page

from . import throttle
from .clock import ClockRefused, clock_set
from .forms import (
    DUPLICATE_EMAIL,
    DeleteAccountForm,
    GuardedPasswordChangeForm,
    LimitedPasswordResetForm,
    ProfileForm,
    SignUpForm,
)
from .models import ClockChange

# The one backend (config/settings.py): a session names the backend that signed it in.
BACKEND = "accounts.backends.ThrottledModelBackend"


class BadInputIs400:
    """For Django's own form views: a form that does not validate is answered 400, as
    bad input is everywhere else, with the form and its messages."""

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SignInView(BadInputIs400, auth_views.LoginView):
    pass


class ResetConfirmView(BadInputIs400, auth_views.PasswordResetConfirmView):
    pass


def _after_sign_up(request) -> str:
    """``WAYPOINT_AFTER_SIGN_UP_URL`` (the roadmap app follows the default roadmap there),
    carrying ``next`` on to it."""
    url = resolve_url(settings.WAYPOINT_AFTER_SIGN_UP_URL)
    page = next_page(request)
    return f"{url}?{urlencode({'next': page})}" if page else url


@sensitive_post_parameters("password1", "password2")
def signup(request):
    if request.user.is_authenticated:
        return redirect("start")
    # Bound on every POST, even an empty one, so missing fields are named, not ignored.
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    user = form.save()
            except IntegrityError:
                # A double-click (or two tabs) sends the form twice: the second request
                # passed the duplicate check before the first one created the account.
                form.add_error("email", DUPLICATE_EMAIL)
            else:
                login(request, user, backend=BACKEND)
                messages.success(request, f"Welcome to Waypoint, {user.get_short_name()}!")
                return redirect(_after_sign_up(request))
        return render(
            request, "accounts/signup.html", {"form": form, "next": next_page(request)}, status=400
        )
    return render(request, "accounts/signup.html", {"form": form, "next": next_page(request)})


@login_required
def profile(request):
    """The name and the academic clock; a changed clock is recorded as corrected by the
    student (accounts.clock), in the same transaction as the rest."""
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    clock_set(
                        request.user,
                        **form.clock(),
                        kind=ClockChange.Kind.CORRECTED,
                        changed_by=request.user,
                    )
                    form.save()
            except ClockRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, "Your profile is saved.")
                return redirect("accounts:profile")
        return render(request, "accounts/profile.html", {"form": form}, status=400)
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@sensitive_post_parameters("password")
def delete_account(request):
    form = DeleteAccountForm(
        request.POST if request.method == "POST" else None, user=request.user, request=request
    )
    if request.method == "POST":
        if form.is_valid():
            # Progress, notes and the activity log go with the account (cascade).
            request.user.delete()
            logout(request)
            messages.success(request, "Your account and all your progress have been deleted.")
            return redirect("home")
        return render(request, "accounts/delete.html", {"form": form}, status=400)
    return render(request, "accounts/delete.html", {"form": form})


@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def password_change(request):
    """Change the password, the old one counted as a guess (accounts/throttle.py)."""
    form = GuardedPasswordChangeForm(
        request.user, request.POST if request.method == "POST" else None, request=request
    )
    if request.method == "POST":
        if form.is_valid():
            form.save()
            # Stay signed in here; other sessions of the account end with the old password.
            update_session_auth_hash(request, form.user)
            return redirect("accounts:password_change_done")
        return render(request, "accounts/password_change.html", {"form": form}, status=400)
    return render(request, "accounts/password_change.html", {"form": form})


def password_reset(request):
    """Ask for a reset link by email, limited per address and per account.

    Without mail (production with no SMTP, settings.MAIL_DELIVERS off) the page says so
    and a POST is answered 503, sending nothing."""
    if not settings.MAIL_DELIVERS:
        status = 503 if request.method == "POST" else 200
        return render(request, "accounts/password_reset_unavailable.html", status=status)
    form = LimitedPasswordResetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                throttle.reserve_reset_request(request)
            except throttle.GuessRefused:
                return render(request, "accounts/password_reset.html", {"form": form})
            form.save(
                request=request,
                use_https=request.is_secure(),
                subject_template_name="accounts/email/password_reset_subject.txt",
                email_template_name="accounts/email/password_reset.txt",
            )
            return redirect("accounts:password_reset_done")
        return render(request, "accounts/password_reset.html", {"form": form}, status=400)
    return render(request, "accounts/password_reset.html", {"form": form})
