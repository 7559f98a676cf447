"""Pages anyone can open by address (students' public pages): limited per
client address, and an address that keeps asking for addresses that lead nowhere is
stopped, so nobody finds a token by trying many."""

import secrets
import time

import pytest
from django.http import Http404, HttpResponse, HttpResponseNotFound
from django.test import Client
from django.urls import reverse

from accounts import outbox
from accounts.throttle import GuessCount, count, public_page
from roadmap.portfolio import portfolio_of, portfolio_update
from tests.accounts.test_throttle import run_at_once
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LEAD = "Many pages were asked for from your network"


@pytest.fixture
def small_limits(settings):
    settings.WAYPOINT_PUBLIC_PAGES_PER_ADDRESS = 6
    settings.WAYPOINT_PUBLIC_MISSES_PER_ADDRESS = 3
    settings.WAYPOINT_PUBLIC_WINDOW_SECONDS = 600
    return settings


@pytest.fixture
def link():
    """A student's public page, turned on."""
    portfolio_update(portfolio_of(UserFactory()), name="asha-verma", items=[], is_public=True)
    return "/p/asha-verma/"


def unknown_link(n: int = 0) -> str:
    return f"/p/no-such-student-{n}/"


def get(url, ip="10.0.0.1"):
    return Client().get(url, REMOTE_ADDR=ip)


def assert_refused(response):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    assert "<h1>Too many requests</h1>" in response.text
    assert LEAD in response.text
    assert "Nothing was changed" in response.text
    assert "password" not in response.text.lower()


# -- guessing addresses ------------------------------------------------------------------


def test_a_flood_of_unknown_links_is_refused_even_for_a_real_one(small_limits, link):
    for n in range(3):
        assert get(unknown_link(n)).status_code == 404
    assert_refused(get(unknown_link(3)))
    # The flooding address learns nothing more, not even from an address that exists...
    assert_refused(get(link))
    # ... while everyone else is served as usual.
    assert get(link, ip="10.0.0.2").status_code == 200
    assert get(unknown_link(), ip="10.0.0.2").status_code == 404


def test_a_spent_address_is_refused_with_one_query_and_no_lookup(
    small_limits, link, django_assert_num_queries
):
    for n in range(3):
        get(unknown_link(n))
    client = Client()
    with django_assert_num_queries(1):  # the address's counts, read
        assert_refused(client.get(link, REMOTE_ADDR="10.0.0.1"))


def test_real_pages_do_not_use_up_the_misses(small_limits, link):
    for _ in range(5):
        assert get(link).status_code == 200
    assert get(unknown_link()).status_code == 404


def test_an_ipv6_64_is_counted_as_one_address(small_limits, link):
    for n in range(3):
        assert get(unknown_link(n), ip=f"2001:db8:1:2::{n + 1}").status_code == 404
    assert_refused(get(link, ip="2001:db8:1:2:ffff:ffff:ffff:ffff"))
    assert get(link, ip="2001:db8:1:3::1").status_code == 200


def test_the_verification_addresses_and_qr_codes_are_counted_too(small_limits, link):
    for n in range(3):
        assert get(f"/p/asha-verma/v/not-a-token-{n}/").status_code == 404
    assert_refused(get("/p/asha-verma/v/not-a-token-9/qr.svg"))
    assert_refused(get(link))


def test_the_page_limit_refuses_the_next_request_without_running_the_view(
    small_limits, link, django_assert_num_queries
):
    for _ in range(6):
        assert get(link).status_code == 200
    with django_assert_num_queries(1):  # the address's counts, read; no page looked up
        refused = Client().get(link, REMOTE_ADDR="10.0.0.1")
    assert_refused(refused)
    assert "no-store" in refused["Cache-Control"]
    assert get(link, ip="10.0.0.2").status_code == 200


def test_a_signed_in_person_is_counted_by_account_not_by_the_shared_address(small_limits, link):
    for n in range(3):
        get(unknown_link(n))
    assert_refused(get(link))
    # A student on the same campus address, signed in, is not held up by the stranger.
    student = Client()
    student.force_login(UserFactory())
    assert student.get(link, REMOTE_ADDR="10.0.0.1").status_code == 200


def test_unsubscribe_links_are_not_limited(small_limits):
    """Their tokens are signed, and one-click unsubscribes come from mail providers'
    few shared addresses."""
    user = UserFactory()
    for n in range(10):
        assert get(f"/accounts/mail/unsubscribe/forged{n}/").status_code == 404
    url = reverse("accounts:unsubscribe", args=[outbox.unsubscribe_token(user, "digest")])
    assert Client().post(url, REMOTE_ADDR="10.0.0.1").status_code == 200
    user.refresh_from_db()
    assert user.mail_digest is False


def test_the_calendar_feed_is_not_limited(small_limits):
    """Calendar services fetch every subscriber's feed from a few shared addresses."""
    student = UserFactory(calendar_token=secrets.token_urlsafe(32))
    feed = reverse("roadmap:calendar", args=[student.calendar_token])
    for n in range(10):
        assert get(reverse("roadmap:calendar", args=[f"replaced-{n}"])).status_code == 404
    for _ in range(10):
        assert get(feed).status_code == 200


def test_the_window_running_out_lets_the_address_in_again(small_limits, link):
    for n in range(3):
        get(unknown_link(n))
    assert get(link).status_code == 429
    GuessCount.objects.filter(key__startswith="public:").update(expires_at=time.time() - 1)
    assert get(link).status_code == 200
    # Its misses start again from none.
    for n in range(3):
        assert get(unknown_link(n)).status_code == 404
    assert get(unknown_link(3)).status_code == 429


# -- the decorator itself ------------------------------------------------------------------


def test_a_404_returned_or_raised_is_a_miss(small_limits, rf):
    runs = []

    @public_page
    def returns_404(request):
        runs.append("returned")
        return HttpResponseNotFound()

    @public_page
    def raises_404(request):
        runs.append("raised")
        raise Http404("No such page.")

    assert returns_404(rf.get("/", REMOTE_ADDR="10.0.0.1")).status_code == 404
    # Answered as Django answers any 404, and never to be stored.
    answered = raises_404(rf.get("/", REMOTE_ADDR="10.0.0.1"))
    assert answered.status_code == 404
    assert "no-store" in answered["Cache-Control"]
    assert returns_404(rf.get("/", REMOTE_ADDR="10.0.0.1")).status_code == 404
    request = rf.get("/", REMOTE_ADDR="10.0.0.1")
    refused = raises_404(request)
    assert refused.status_code == 429
    assert request.refusal.kind == "public"
    assert 590 <= request.refusal.retry_after <= 600
    assert runs == ["returned", "raised", "returned"]
    assert GuessCount.objects.get(key="public:miss:10.0.0.1").count == 3


def test_other_answers_are_not_misses(small_limits, rf):
    @public_page
    def gone(request):
        return HttpResponse(status=410)

    for _ in range(5):
        assert gone(rf.get("/", REMOTE_ADDR="10.0.0.1")).status_code == 410
    assert not GuessCount.objects.filter(key="public:miss:10.0.0.1").exists()
    assert GuessCount.objects.get(key="public:page:10.0.0.1").count == 5


def test_a_miss_that_goes_over_the_limit_in_flight_is_refused(small_limits, rf):
    @public_page
    def missing(request):
        # Another request from the address misses while this one runs.
        count("public:miss:10.0.0.1", 600)
        raise Http404("No such page.")

    count("public:miss:10.0.0.1", 600)
    count("public:miss:10.0.0.1", 600)
    request = rf.get("/", REMOTE_ADDR="10.0.0.1")
    assert missing(request).status_code == 429
    assert request.refusal.kind == "public"


@pytest.mark.django_db(transaction=True)
def test_concurrent_misses_get_exactly_the_limit_of_404s(small_limits):
    small_limits.WAYPOINT_PUBLIC_PAGES_PER_ADDRESS = 100
    statuses = run_at_once(30, lambda n: get(unknown_link(n)).status_code)
    assert statuses.count(404) == 3
    assert statuses.count(429) == 27


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_get_exactly_the_page_limit(small_limits, link):
    statuses = run_at_once(30, lambda _: get(link).status_code)
    assert statuses.count(200) == 6
    assert statuses.count(429) == 24
