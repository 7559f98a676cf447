"""Password guesses and reset mails, counted before the work they would cause.

Every place that checks a password someone typed (our sign-in, the admin's sign-in,
password change, account deletion) reserves a guess here *before* the password is
hashed, and gives it back when the password was right. A guess is refused, with no
hashing at all, once either count is over its limit within the window:

- per account and address: ``WAYPOINT_GUESSES_PER_ACCOUNT`` (5) guesses at one account
  from one address. The account is the one the email resolves to, with the same lookup
  the sign-in uses (``User.objects.get_by_natural_key``), so no spelling of an email
  counts apart; an email that matches no account is counted by its lower-cased text.
- per address: ``WAYPOINT_GUESSES_PER_ADDRESS`` (30) guesses from one address at any
  accounts in the window, and at most ``WAYPOINT_GUESS_BURST`` (10) of them in any
  ``WAYPOINT_GUESS_BURST_SECONDS`` (60): one client can neither try many accounts nor
  keep the server's workers hashing (a burst of 30 Argon2 hashes holds two workers for
  2.5 s, long enough for a load balancer's health probe to give up).

An address is the client's IPv4 address, or its IPv6 /64 (``WAYPOINT_IPV6_PREFIX``): one
home or phone gets a whole /64 and can rotate through it. A lock is never global to an
account: the owner on another network is not affected, and a completed password reset
lifts every lock on the account (accounts/views/account.py).

Reset mails are limited the same way: ``WAYPOINT_RESET_MAILS_PER_ADDRESS`` requests per
hour from one address (refused with a 429), ``WAYPOINT_RESET_MAILS_PER_ACCOUNT`` mails per
hour to one account (further requests are answered as usual and send nothing, so the
answer never tells whether an email has an account).

Pages anyone can open by their address (a calendar feed, an unsubscribe link, a public
portfolio) are limited per address with ``public_page``: every request, and among them
the ones that lead nowhere (404), so that nobody finds a token by trying many.

The counts live in the database, in one row per key, changed by a single
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement: atomic on SQLite and
PostgreSQL alike, shared by every worker and app server, with or without Redis.
"""

import hashlib
import ipaddress
import logging
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.db import connection, models
from django.http import Http404, HttpResponse
from django.utils.cache import add_never_cache_headers

from .security import client_ip

logger = logging.getLogger(__name__)


class GuessCount(models.Model):
    """How many guesses (or reset mails, or public pages) one key has used in its current
    window."""

    key = models.CharField(max_length=120, primary_key=True)
    count = models.PositiveIntegerField()
    # Unix time in seconds: a plain number compares the same way on every database.
    expires_at = models.FloatField(db_index=True)

    class Meta:
        app_label = "accounts"
        verbose_name = "password guess count"

    def __str__(self):
        return f"{self.key}: {self.count}"


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused: ``kind`` is "account", "address", "reset" or "public";
    ``retry_after`` is the number of seconds until the count that refused it starts again."""

    kind: str
    retry_after: int


class GuessRefused(PermissionDenied):
    """Raised when a password guess is over a limit; the request is marked for a 429 page.

    A PermissionDenied, so that ``django.contrib.auth.authenticate`` stops at once and
    tries no other backend."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.kind)
        self.refusal = refusal


def address_of(request) -> str:
    """The client's address as the limits count it: "203.0.113.7", "2001:db8:1:2::/64".

    Raises nothing: an address that does not parse counts as "unknown" (all together)."""
    raw = client_ip(request) if request is not None else ""
    try:
        address = ipaddress.ip_address(raw.strip().split("%")[0])
    except ValueError:
        return "unknown"
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.version == 6:
        prefix = settings.WAYPOINT_IPV6_PREFIX
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    return str(address)


def _account_key(account, email: str) -> str:
    if account is not None:
        return f"account:{account.pk}"
    # Unknown emails can be 254 characters: a digest keeps the key short.
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"email:{digest}"


def _window() -> int:
    return settings.WAYPOINT_GUESS_WINDOW_SECONDS


def count(key: str, window: int) -> tuple[int, float]:
    """Add one to key's count and return (count, expires_at), atomically.

    A key whose window has run out starts again at 1 with a new window of ``window``
    seconds. One statement, so concurrent callers each see a different count."""
    now = time.time()
    table = connection.ops.quote_name(GuessCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} ("key", "count", "expires_at") VALUES (%s, 1, %s)
            ON CONFLICT ("key") DO UPDATE SET
                "count" = CASE WHEN {table}."expires_at" <= %s
                    THEN 1 ELSE {table}."count" + 1 END,
                "expires_at" = CASE WHEN {table}."expires_at" <= %s
                    THEN excluded."expires_at" ELSE {table}."expires_at" END
            RETURNING "count", "expires_at"
            """,
            [key, now + window, now, now],
        )
        used, expires_at = cursor.fetchone()
    if used == 1:
        # A new window: a good moment to sweep the counts whose windows are over.
        GuessCount.objects.filter(expires_at__lt=now).delete()
    return used, expires_at


def _give_back(key: str) -> None:
    GuessCount.objects.filter(key=key, count__gt=0).update(count=models.F("count") - 1)


def _mark_refused(request, kind: str, expires_at: float) -> Refusal:
    logger.warning("Refused over the %s limit: %s", kind, address_of(request))
    refusal = Refusal(kind=kind, retry_after=max(1, round(expires_at - time.time())))
    if request is not None:
        request.refusal = refusal
    return refusal


def _refuse(request, kind: str, expires_at: float):
    raise GuessRefused(_mark_refused(request, kind, expires_at))


def _address_limits(address: str) -> list[tuple[str, int, int]]:
    """(key, limit, window in seconds) of each count an address's guesses go into."""
    return [
        (
            f"guess:burst:{address}",
            settings.WAYPOINT_GUESS_BURST,
            settings.WAYPOINT_GUESS_BURST_SECONDS,
        ),
        (f"guess:addr:{address}", settings.WAYPOINT_GUESSES_PER_ADDRESS, _window()),
    ]


class Guess:
    """One reserved password guess; call ``succeeded()`` when the password was right."""

    def __init__(self, account_key: str, address_keys: list[str]):
        self.account_key = account_key
        self.address_keys = address_keys

    def succeeded(self) -> None:
        # The right password clears the account's count from that address (what a
        # person mistyped before does not linger) and gives the address its guess back,
        # so students signing in behind one campus NAT do not use it up.
        GuessCount.objects.filter(key=self.account_key).delete()
        for key in self.address_keys:
            _give_back(key)


def refuse_spent_address(request) -> None:
    """Raise GuessRefused (and set ``request.refusal``) if the request's address has no
    guess left, reading its count without adding to it: a flood is then refused before
    the view parses, looks up or renders anything. Raises nothing otherwise."""
    limits = {key: limit for key, limit, _ in _address_limits(address_of(request))}
    counts = GuessCount.objects.filter(key__in=limits, expires_at__gt=time.time())
    for key, used, expires_at in counts.values_list("key", "count", "expires_at"):
        if used >= limits[key]:
            _refuse(request, "address", expires_at)


def reserve_guess(request, *, account, email: str = "") -> Guess:
    """Count one password guess at ``account`` (a User, or None when ``email`` matches none)
    from the request's address, before the password is checked.

    Returns a Guess; raises GuessRefused (and sets ``request.refusal``) when the address
    or the account-from-this-address is over its limit."""
    address = address_of(request)
    # In this order, so a guess at a locked account is refused as such (and the
    # person told so) without using up the address's burst.
    (burst_key, burst, burst_window), (address_key, limit, window) = _address_limits(address)
    used, expires_at = count(address_key, window)
    if used > limit:
        _refuse(request, "address", expires_at)
    account_key = f"guess:{_account_key(account, email)}:{address}"
    used, expires_at = count(account_key, _window())
    if used > settings.WAYPOINT_GUESSES_PER_ACCOUNT:
        _refuse(request, "account", expires_at)
    used, expires_at = count(burst_key, burst_window)
    if used > burst:
        _refuse(request, "address", expires_at)
    return Guess(account_key, [address_key, burst_key])


def check_password(request, user, password: str) -> bool:
    """``user.check_password(password)``, counted as a guess from the request's address.

    For forms where a signed-in person types their current password (password change,
    account deletion). Over a limit it answers False without hashing and marks
    ``request.refusal``, which turns the page into a 429 (accounts.security)."""
    try:
        guess = reserve_guess(request, account=user)
    except GuessRefused:
        return False
    if user.check_password(password):
        guess.succeeded()
        return True
    return False


def forget_account(user) -> None:
    """Lift every lock on ``user``'s account, from every address (after a password reset)."""
    GuessCount.objects.filter(key__startswith=f"guess:account:{user.pk}:").delete()


def reserve_reset_request(request) -> None:
    """Count one password-reset request from the request's address.

    Raises GuessRefused (kind "reset") when the address has asked too often this hour."""
    used, expires_at = count(f"reset:addr:{address_of(request)}", 3600)
    if used > settings.WAYPOINT_RESET_MAILS_PER_ADDRESS:
        _refuse(request, "reset", expires_at)


def may_mail_reset_link(user) -> bool:
    """Count one reset mail to ``user``; False once the account had its share this hour."""
    used, _ = count(f"reset:account:{user.pk}", 3600)
    return used <= settings.WAYPOINT_RESET_MAILS_PER_ACCOUNT


def _public_limits(address: str) -> tuple[tuple[str, int], tuple[str, int]]:
    """(key, limit) of the two counts a public page's request from ``address`` goes into:
    every request, and the misses (404s) among them."""
    return (
        (f"public:page:{address}", settings.WAYPOINT_PUBLIC_PAGES_PER_ADDRESS),
        (f"public:miss:{address}", settings.WAYPOINT_PUBLIC_MISSES_PER_ADDRESS),
    )


def _public_client(request) -> str:
    """Who a public page's request is counted for: a signed-in person by their account,
    so that one stranger behind a campus's shared address cannot spend the students'
    allowance; anyone else by their address (``address_of``)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"account:{user.pk}"
    return address_of(request)


def _public_refused(request, expires_at: float) -> HttpResponse:
    refusal = _mark_refused(request, "public", expires_at)
    # accounts.security.RefusalMiddleware answers ``request.refusal`` with the 429 page;
    # this bare answer only stands in for it.
    response = HttpResponse("Too many requests.", status=429, content_type="text/plain")
    response["Retry-After"] = str(refusal.retry_after)
    add_never_cache_headers(response)
    return response


def _count_miss(request, key: str, limit: int) -> HttpResponse | None:
    """Count one miss; the refusal when it went over ``limit``, else None."""
    used, expires_at = count(key, settings.WAYPOINT_PUBLIC_WINDOW_SECONDS)
    return _public_refused(request, expires_at) if used > limit else None


def public_page(view):
    """Limit a view that anyone can reach by its address, signed in or not, per client:
    a signed-in person by account, anyone else by address (``address_of``: an IPv4
    address, or an IPv6 /64; clients whose address does not parse all count together as
    "unknown").

    Within each window of ``WAYPOINT_PUBLIC_WINDOW_SECONDS`` (600) from an address's first
    request, two counts:

    - every request, whatever its method and answer: past
      ``WAYPOINT_PUBLIC_PAGES_PER_ADDRESS`` (1,200) it is refused;
    - the misses: answers 404, returned or raised as Http404. Once
      ``WAYPOINT_PUBLIC_MISSES_PER_ADDRESS`` (60) are used up, every further request from
      the address is refused, for addresses that exist too, so a scanner's answers stop
      telling it anything.

    A spent address is refused before the view runs, with one query that reads its counts
    and adds nothing. A refused request never reaches the view; it is answered 429 with
    ``Retry-After``: ``request.refusal`` (kind "public") is set, and
    accounts.security.RefusalMiddleware turns it into the page. An Http404 from the view
    is counted and answered as Django answers any 404 (``handler404``), marked never to
    be stored; a miss over the limit (by requests in flight together) is refused
    instead. Raises nothing of its own."""

    @wraps(view)
    def limited(request, *args, **kwargs):
        (page_key, pages), (miss_key, misses) = _public_limits(_public_client(request))
        limits = {page_key: pages, miss_key: misses}
        counts = GuessCount.objects.filter(key__in=limits, expires_at__gt=time.time())
        for key, used, expires_at in counts.values_list("key", "count", "expires_at"):
            if used >= limits[key]:
                return _public_refused(request, expires_at)
        used, expires_at = count(page_key, settings.WAYPOINT_PUBLIC_WINDOW_SECONDS)
        if used > pages:
            return _public_refused(request, expires_at)
        try:
            response = view(request, *args, **kwargs)
        except Http404 as missing:
            refused = _count_miss(request, miss_key, misses)
            if refused is not None:
                return refused
            # Answered here rather than raised on, so that the 404 too is never stored:
            # a cached 404 would hide a page once it is turned on or restored.
            response = response_for_exception(request, missing)
            add_never_cache_headers(response)
            return response
        if response.status_code == 404:
            return _count_miss(request, miss_key, misses) or response
        return response

    return limited
