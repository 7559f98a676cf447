"""How every answer leaves Waypoint: private pages never cached, a signed-out htmx
request sent to sign-in instead of having a sign-in page swapped into an item, input
the database cannot store refused up front, and error pages in our own words.

UnstorableInputMiddleware comes before the session is read (config/settings.py);
the others after AuthenticationMiddleware, so ``request.user`` is known when they decide.
"""

import re
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render, resolve_url
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

# An element id htmx reports in HX-Target that may become the page's #fragment.
TARGET_ID = re.compile(r"^[A-Za-z][\w-]{0,80}$")
SIGNED_OUT = "You were signed out, so that change was not saved. Sign in to carry on."
UNSTORABLE = (
    "That request carried a character that cannot be stored (a NUL byte). Nothing was changed."
)


def is_htmx(request) -> bool:
    """Sent by htmx (its HX-Request header); readable before django-htmx's middleware."""
    return request.headers.get("HX-Request") == "true"


def problem(request, message: str, *, status: int) -> HttpResponse:
    """A refusal in words: a page of its own, or for htmx a short plain-text answer.

    htmx is told not to swap it in (``HX-Reswap: none``); static/js/app.js shows the
    text in the page's problem box instead, so a form and what was typed in it stay.
    """
    if is_htmx(request):
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
        response["HX-Reswap"] = "none"
        return response
    # The page to reload: never a POST-only URL, which would answer 405.
    back = request.get_full_path() if request.method in ("GET", "HEAD") else None
    context = {"message": message, "status": status, "back": back or page_to_return_to(request)}
    return render(request, "problem.html", context, status=status)


def safe_page(request, candidate: str | None) -> str | None:
    """``candidate`` as a path on this site (query and fragment kept), or None when it
    points elsewhere or is empty; the test is Django's url_has_allowed_host_and_scheme."""
    if not candidate or not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(candidate)
    if parts.path and not parts.path.startswith("/"):
        return None  # relative ("dashboard"): redirect() would read it as a view's name
    if parts.path.startswith(("//", "/\\")):
        return None  # "https://us//evil.example": as a path alone, a browser goes to evil
    page = parts.path or "/"
    if parts.query:
        page += f"?{parts.query}"
    if parts.fragment:
        page += f"#{parts.fragment}"
    return page


class PermanentRedirect(HttpResponsePermanentRedirect):
    """308 Permanent Redirect: the browser repeats the request, method and body, at the
    new address, where 301 turns a POST into a GET (RFC 9110 §15.4.9)."""

    status_code = 308


def moved(new_prefix: str):
    """A view for URLs that moved under ``new_prefix``: a PermanentRedirect to
    ``new_prefix + rest``, the query kept, so an old link or a form left open in a tab
    still works."""

    def view(request, rest=""):
        query = request.META.get("QUERY_STRING", "")
        return PermanentRedirect(new_prefix + rest + (f"?{query}" if query else ""))

    return view


def next_page(request, default: str = "", *, or_referer: bool = False) -> str:
    """The page a request asks to go on to: its ``next`` (form field, else query),
    else, with ``or_referer``, the page that sent it; each only when it is on this
    site (``safe_page``). ``default`` when none is."""
    return (
        safe_page(request, request.POST.get("next") or request.GET.get("next"))
        or (or_referer and safe_page(request, request.headers.get("Referer")))
        or default
    )


def page_to_return_to(request) -> str:
    """Where a person should land after signing in again, when the request that found
    them signed out was not a page they can open: htmx's current page (at the element
    it targeted), else the form's ``next``, else the page that sent the form, else the
    dashboard. Never the URL of the POST-only request itself."""
    if is_htmx(request):
        page = safe_page(request, request.headers.get("HX-Current-URL"))
        target = request.headers.get("HX-Target", "")
        if page and TARGET_ID.match(target):
            page = f"{page.split('#')[0]}#{target}"
        if page:
            return page
    return next_page(request, resolve_url(settings.LOGIN_REDIRECT_URL), or_referer=True)


class PrivatePagesMiddleware:
    """Every answer to a signed-in person is private and never stored: not by a proxy,
    not by the browser's back/forward cache. Pages and downloads alike (PRODUCT.md,
    Privacy). Visitors' pages that carry a secret (sign-in, password reset) are marked
    so by Django's own views (never_cache)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response


class SignInAgainMiddleware:
    """A request that needs a signed-in person and found none is redirected to
    sign-in by ``login_required``. That is right for a page someone opens, wrong for
    the rest:

    - htmx would follow the redirect and swap the whole sign-in page into the item;
      it gets ``HX-Redirect`` instead, so the browser goes to sign-in, and back to the
      page and item afterwards;
    - a plain form POST would come back to its POST-only URL after sign-in (405);
      ``next`` becomes the page the form was on.
    The view never ran, so nothing was saved; the sign-in page says so.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not self._is_sign_in_redirect(response):
            return response
        if not (is_htmx(request) or request.method not in ("GET", "HEAD")):
            return response
        messages.info(request, SIGNED_OUT)
        url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': page_to_return_to(request)})}"
        if is_htmx(request):
            return HttpResponseClientRedirect(url)
        response["Location"] = url
        return response

    @staticmethod
    def _is_sign_in_redirect(response) -> bool:
        return response.status_code == 302 and urlsplit(response["Location"]).path == resolve_url(
            settings.LOGIN_URL
        )


def _has_nul(value: str) -> bool:
    return "\x00" in value


class UnstorableInputMiddleware:
    """Refuse, with a 400 in words, any request whose path, query or form fields
    carry a NUL byte: PostgreSQL cannot store one in text ("A string literal cannot
    contain NUL (0x00) characters") and would answer a 500 wherever such a value
    reaches a query. One check here covers every URL, parameter and field.

    A cookie with one (the session's, say) is dropped rather than refused: the
    browser would send it again with every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, value in list(request.COOKIES.items()):
            if _has_nul(name) or _has_nul(value):
                del request.COOKIES[name]
        if _has_nul(request.path) or any(
            _has_nul(key) or any(_has_nul(value) for value in values)
            for data in self._form_data(request)
            for key, values in data.lists()
        ):
            return problem(request, UNSTORABLE, status=400)
        return self.get_response(request)

    @staticmethod
    def _form_data(request):
        yield request.GET
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            yield request.POST


# Error views (config/urls.py, CSRF_FAILURE_VIEW): the same words for a page and htmx.

CSRF_FAILED = (
    "This page was out of date (you signed out, or in again, perhaps in another tab), so "
    "nothing was saved. Reload the page and try again."
)
NOT_FOUND = "There is nothing here, or it is not yours to see."
FORBIDDEN = "This is not yours to open or change."
BAD_REQUEST = "The request could not be understood, so nothing was changed."
SERVER_ERROR = "Something went wrong on our side, so nothing was changed. Please try again."


def csrf_failure(request, reason=""):
    return problem(request, CSRF_FAILED, status=403)


def bad_request(request, exception):
    return problem(request, BAD_REQUEST, status=400)


def permission_denied(request, exception):
    return problem(request, str(exception) or FORBIDDEN, status=403)


def page_not_found(request, exception):
    return problem(request, NOT_FOUND, status=404)


def server_error(request):
    """Rendered without the request's context: the database may be what failed."""
    if is_htmx(request):
        return problem(request, SERVER_ERROR, status=500)
    return HttpResponse(render_to_string("500.html", {"message": SERVER_ERROR}), status=500)
