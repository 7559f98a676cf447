"""Who is asking, as the limits count it, and the answer when a limit refuses."""

from django.conf import settings
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers

# The views where a person types a password that is checked (accounts/throttle.py).
PASSWORD_CHECKING_VIEWS = {
    "account_login",
    "admin:login",
    "account_change_password",
    "account_reauthenticate",
    "accounts:delete",
}


def client_ip(request) -> str:
    """The client's address.

    With no proxy in front, the connection's own address. With WAYPOINT_PROXY_COUNT
    proxies, the address the outermost of them saw: counted from the right of
    X-Forwarded-For, where each proxy appends what it received. The left part of the
    header is whatever the client sent, so it is never trusted.
    """
    proxies = settings.WAYPOINT_PROXY_COUNT
    if proxies:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


class RefusalMiddleware:
    """Answers a request that a limit refused (accounts/throttle.py) with the 429 page.

    The refusal is raised deep inside a form (sign-in, password change, deletion, reset),
    or by ``public_page`` before a public page's view runs; whatever the view answered,
    the person sees why nothing happened and when to try again. A POST to a
    password-checking view from an address with no guess left is refused before the view
    runs at all, so a flood costs as little as can be.
    Placed last in MIDDLEWARE, so it sees the view's request directly."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and self._checks_a_password(request):
            from .throttle import GuessRefused, refuse_spent_address  # it imports this module

            try:
                refuse_spent_address(request)
            except GuessRefused:
                return self.refused(request)
        response = self.get_response(request)
        if getattr(request, "refusal", None) is None:
            return response
        return self.refused(request)

    @staticmethod
    def _checks_a_password(request) -> bool:
        try:
            return resolve(request.path_info).view_name in PASSWORD_CHECKING_VIEWS
        except Resolver404:
            return False

    @staticmethod
    def refused(request):
        refusal = request.refusal
        minutes = max(1, -(-refusal.retry_after // 60))
        refused = render(
            request,
            "accounts/locked_out.html",
            {"refusal": refusal, "minutes": minutes, "mail_delivers": settings.MAIL_DELIVERS},
            status=429,
        )
        refused["Retry-After"] = str(refusal.retry_after)
        add_never_cache_headers(refused)
        return refused
