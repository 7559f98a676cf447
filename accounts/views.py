import secrets
from functools import wraps

from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter
from allauth.account.internal import flows
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from config.http import next_page, problem

from .adapter import after_sign_up_url
from .clock import ClockRefused, clock_set
from .forms import DeleteAccountForm, MailPreferencesForm, ProfileForm
from .models import ClockChange
from .outbox import absolute_url, unsubscribe_target


def bad_input_is_400(view):
    """Wrap one of allauth's form views so that a form that does not validate is answered
    400, as bad input is everywhere else in Waypoint, with the form and its messages
    (allauth answers 200). Other answers pass unchanged."""

    @wraps(view)
    def answered(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        form = (getattr(response, "context_data", None) or {}).get("form")
        refused = form is not None and form.is_bound and form.errors
        if request.method == "POST" and response.status_code == 200 and refused:
            response.status_code = 400
        return response

    return answered


class SafeNext:
    """Gives the page ``next``: the request's ``next`` only when it is on this site
    (allauth's own ``redirect_field_value`` is whatever the query said)."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "next": next_page(self.request)}


class SignInView(SafeNext, allauth_views.LoginView):
    pass


class SignUpView(SafeNext, allauth_views.SignupView):
    """allauth's sign-up, handing the new student over to ``WAYPOINT_AFTER_SIGN_UP_URL``
    with ``next`` carried on (accounts.adapter.after_sign_up_url), where allauth would go
    to ``next`` directly and skip the roadmap's welcome."""

    def form_valid(self, form):
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except IntegrityError:
            # Two submissions at once (a double click, two tabs): the second passed the
            # check for a taken address just before the first created the account.
            if settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory":
                # The answer a taken address gets: "check your email", the owner mailed.
                email = form.cleaned_data["email"]
                return flows.signup.prevent_enumeration(self.request, email=email)
            form.add_error("email", get_adapter().error_messages["email_taken"])
            return self.form_invalid(form)

    def get_success_url(self):
        return after_sign_up_url(self.request)

    def get_authenticated_redirect_url(self):
        # Someone signed in already has an account: on to their dashboard.
        return resolve_url(settings.LOGIN_REDIRECT_URL)


signup = bad_input_is_400(SignUpView.as_view())
login = bad_input_is_400(SignInView.as_view())
password_change = bad_input_is_400(allauth_views.password_change)
password_reset_from_key = bad_input_is_400(allauth_views.password_reset_from_key)


def _profile_page(request, *, form=None, mail_form=None, status=200):
    """The account page: the profile form, the mail preferences (with the bounce, if
    the address bounced) and the private calendar address. A form refused elsewhere on
    the page comes back bound, with its messages, beside the others as saved."""
    user = request.user
    context = {
        "form": form or ProfileForm(instance=user),
        "mail_form": mail_form or MailPreferencesForm(instance=user),
        "calendar_url": _calendar_url(user),
    }
    if context["calendar_url"]:
        # The same address for calendar apps that subscribe on a webcal:// link.
        context["webcal_url"] = "webcal://" + context["calendar_url"].split("://", 1)[1]
    return render(request, "accounts/profile.html", context, status=status)


def _calendar_url(user) -> str:
    """The absolute address of ``user``'s private calendar feed (``roadmap:calendar``),
    or "" before they made one."""
    if not user.calendar_token:
        return ""
    return absolute_url(reverse("roadmap:calendar", args=[user.calendar_token]))


@login_required
def profile(request):
    """The name and the academic clock; a changed clock is recorded as corrected by the
    student (accounts.clock), in the same transaction as the rest."""
    if request.method != "POST":
        return _profile_page(request)
    form = ProfileForm(request.POST, instance=request.user)
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
    return _profile_page(request, form=form, status=400)


@login_required
@require_POST
def mail_preferences(request):
    """Save which kinds of mail the signed-in person wants (``MailPreferencesForm``),
    then back to the account page's mail section. A value no checkbox sends is refused
    (400, the page with the message beside the box) and nothing is saved."""
    form = MailPreferencesForm(request.POST, instance=request.user)
    if not form.is_valid():
        return _profile_page(request, mail_form=form, status=400)
    # Only these fields: a bounce recorded meanwhile by a worker must stay.
    form.save(commit=False).save(update_fields=form.Meta.fields)
    messages.success(request, "Your mail choices are saved.")
    return redirect(reverse("accounts:profile") + "#mail")


@login_required
@require_POST
def mail_works_again(request):
    """The person says their address works again after a bounce: mail may be sent to
    it again (``User.mail_wanted``). Pressing it twice changes nothing more."""
    user = request.user
    if user.mail_bounced_at is not None:
        user.mail_bounced_at, user.mail_bounce = None, ""
        user.save(update_fields=["mail_bounced_at", "mail_bounce"])
        messages.success(request, f"Thank you. Waypoint sends mail to {user.email} again.")
    return redirect(reverse("accounts:profile") + "#mail")


@login_required
@require_POST
def calendar_address(request):
    """Make the signed-in person's private calendar address, or replace it: a new
    secret (``secrets.token_urlsafe(32)``, 256 bits), after which the old address
    answers 404 at once (``roadmap.views.calendar_feed`` looks the secret up)."""
    user = request.user
    replaced = user.calendar_token is not None
    user.calendar_token = secrets.token_urlsafe(32)
    user.save(update_fields=["calendar_token"])
    if replaced:
        messages.success(
            request,
            "Your calendar has a new address. The old one no longer works: subscribe "
            "again with the new one.",
        )
    else:
        messages.success(request, "Your calendar address is ready. Subscribe to it below.")
    return redirect(reverse("accounts:profile") + "#calendar")


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


def password_reset(request):
    """allauth's reset request; without mail (production with no SMTP, settings.MAIL_DELIVERS
    off) the page says so and a POST is answered 503, sending nothing."""
    if not settings.MAIL_DELIVERS:
        status = 503 if request.method == "POST" else 200
        return render(request, "accounts/password_reset_unavailable.html", status=status)
    return _password_reset(request)


_password_reset = bad_input_is_400(allauth_views.password_reset)


def too_many_requests(request):
    """allauth's limits (sign-ups, verification mails, reset-link pages; config/settings.py)
    answer here: a 429 that says what happened and what to do."""
    return problem(
        request,
        "Too many requests from your network in the last minutes. Nothing was changed: "
        "wait a few minutes, then try again.",
        status=429,
    )


# A mail client's one-click POST (RFC 8058) carries no cookie and no CSRF token: the
# signed address is the only credential, and all it can do is turn one kind of mail off.
# Not under the public-page limit: the token is signed, so trying many finds nothing,
# and one-click unsubscribes arrive from mail providers' few shared addresses.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """GET asks (link scanners follow links, RFC 8058 section 3.1); POST turns the kind
    of mail off, from the page's button or a mail client's
    ``List-Unsubscribe=One-Click``. An unknown token is a 404, like a person who does
    not exist."""
    target = unsubscribe_target(token)
    if target is None:
        raise Http404("No such address.")
    user, kind = target
    field = kind.field
    done = request.method == "POST"
    if done and getattr(user, field):
        setattr(user, field, False)
        user.save(update_fields=[field])
    context = {"kind": kind, "done": done or not getattr(user, field)}
    return render(request, "accounts/unsubscribe.html", context)
