"""Who is trying to sign in, as the lockout (django-axes) counts it."""

from django.conf import settings


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


def sign_in_name(request, credentials) -> str:
    """The email tried, spelled one way: sign-in matches emails whatever their case,
    so "Asha@X.in" and "asha@x.in" must count against the same lock."""
    data = credentials or getattr(request, "data", request.POST)
    return (data.get(settings.AXES_USERNAME_FORM_FIELD) or "").strip().lower()
