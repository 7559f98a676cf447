from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters

from roadmap.services import follow_default_roadmap

from ..forms import DUPLICATE_EMAIL, DeleteAccountForm, ProfileForm, SignUpForm


def _safe_next(request):
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


@sensitive_post_parameters("password1", "password2")
def signup(request):
    if request.user.is_authenticated:
        return redirect("roadmap:my_dashboard")
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
                follow_default_roadmap(user)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome to Waypoint, {user.get_short_name()}!")
                return redirect(_safe_next(request) or "roadmap:my_dashboard")
        return render(
            request, "accounts/signup.html", {"form": form, "next": _safe_next(request)}, status=400
        )
    return render(request, "accounts/signup.html", {"form": form, "next": _safe_next(request)})


@login_required
def profile(request):
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile")
        return render(request, "accounts/profile.html", {"form": form}, status=400)
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@sensitive_post_parameters("password")
def delete_account(request):
    form = DeleteAccountForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            # Progress, notes and the activity log go with the account (cascade).
            request.user.delete()
            logout(request)
            messages.success(request, "Your account and all your progress have been deleted.")
            return redirect("home")
        return render(request, "accounts/delete.html", {"form": form}, status=400)
    return render(request, "accounts/delete.html", {"form": form})
