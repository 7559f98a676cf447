"""Password guesses and reset mails: counted before the work, per account and per address."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from io import StringIO

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.throttle import GuessCount, address_of, count
from tests.factories import TEST_PASSWORD, UserFactory, credentials

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
NEW_PASSWORD = "a long new passphrase 42"


class CountingHasher(MD5PasswordHasher):
    """The suite's fast hasher, counting how often a password is hashed (``verify`` hashes
    through ``encode`` too)."""

    lock = threading.Lock()
    calls = 0

    def encode(self, password, salt):
        with self.lock:
            type(self).calls += 1
        return super().encode(password, salt)


@pytest.fixture
def hashes(settings):
    """How many passwords were hashed since the fixture started."""
    settings.PASSWORD_HASHERS = ["tests.accounts.test_throttle.CountingHasher"]
    CountingHasher.calls = 0
    return lambda: CountingHasher.calls


def guess(email, password, ip="10.0.0.1", client=None, url=LOGIN):
    return (client or Client()).post(url, credentials(url, email, password), REMOTE_ADDR=ip)


# -- one counter per account, whatever the spelling -----------------------------------


def test_every_spelling_that_signs_in_counts_against_the_same_account(settings):
    user = UserFactory(email="multi@example.com")
    spellings = [
        "multi@example.com",
        "MULTI@EXAMPLE.COM",
        " Multi@Example.com",
        "multı@example.com",  # dotless i (U+0131): PostgreSQL's UPPER() makes it I
        "MULTİ@example.com",  # dotted capital I (U+0130)
    ]
    # Exactly the spellings the sign-in's own lookup resolves to this account.
    resolving = [s for s in spellings if User.objects.filter(email__iexact=s.strip()).exists()]
    if connection.vendor == "postgresql":
        assert "multı@example.com" in resolving
    for n in range(settings.WAYPOINT_GUESSES_PER_ACCOUNT):
        assert guess(resolving[n % len(resolving)], "wrong").status_code == 400
    for spelling in resolving:
        assert guess(spelling, TEST_PASSWORD).status_code == 429
    assert GuessCount.objects.get(key=f"guess:account:{user.pk}:10.0.0.1").count > 5


@pytest.mark.parametrize(
    ("raw", "counted"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("fe80::1%eth0", "fe80::/64"),
        ("not an address", "unknown"),
        ("", "unknown"),
    ],
)
def test_an_address_is_an_ipv4_host_or_an_ipv6_64(rf, raw, counted):
    assert address_of(rf.get("/", REMOTE_ADDR=raw)) == counted


def test_guesses_rotating_through_one_ipv6_64_are_counted_together(settings):
    user = UserFactory()
    for n in range(settings.WAYPOINT_GUESSES_PER_ACCOUNT):
        assert guess(user.email, "wrong", ip=f"2001:db8:1:2::{n + 1:x}").status_code == 400
    assert guess(user.email, TEST_PASSWORD, ip="2001:db8:1:2:ffff::9").status_code == 429
    # The next /64 is another household.
    assert guess(user.email, TEST_PASSWORD, ip="2001:db8:1:3::1").status_code == 302


# -- one address trying many accounts --------------------------------------------------


def test_one_address_trying_many_accounts_is_stopped_before_any_hashing(settings, hashes):
    settings.WAYPOINT_GUESSES_PER_ADDRESS = 30
    settings.WAYPOINT_GUESS_BURST = 30  # the burst limit has its own test
    victim = UserFactory()
    made = hashes()
    for n in range(30):
        assert guess(f"student{n}@example.com", "wrong").status_code == 400
    assert hashes() - made == 30
    refused = [guess(f"other{n}@example.com", "wrong") for n in range(50)]
    assert {r.status_code for r in refused} == {429}
    assert "Many wrong passwords came from your network" in refused[0].text
    # Even a real account with its right password: refused, and nothing hashed.
    assert guess(victim.email, TEST_PASSWORD).status_code == 429
    assert hashes() - made == 30
    # Another address is not affected.
    assert guess(victim.email, TEST_PASSWORD, ip="10.0.0.2").status_code == 302


@pytest.mark.parametrize("url", [LOGIN, "/admin/login/"])
def test_a_spent_address_is_refused_before_the_view_with_one_query(
    settings, django_assert_num_queries, url
):
    settings.WAYPOINT_GUESSES_PER_ADDRESS = 3
    for n in range(3):
        guess(f"s{n}@example.com", "wrong")
    client = Client()
    with django_assert_num_queries(1):  # the address's count, read
        refused = guess("another@example.com", "wrong", client=client, url=url)
    assert refused.status_code == 429
    assert "Many wrong passwords came from your network" in refused.text
    # Pages that check no password are not affected.
    assert client.get(reverse("account_login"), REMOTE_ADDR="10.0.0.1").status_code == 200


def test_one_address_may_make_only_a_few_guesses_in_a_burst(settings, hashes):
    assert (settings.WAYPOINT_GUESS_BURST, settings.WAYPOINT_GUESS_BURST_SECONDS) == (10, 60)
    made = hashes()
    answers = [guess(f"s{n}@example.com", "wrong").status_code for n in range(20)]
    assert answers == [400] * 10 + [429] * 10
    assert hashes() - made == 10
    refused = guess("t@example.com", "wrong")
    assert 0 < int(refused["Retry-After"]) <= 60
    # A minute later, ten more.
    GuessCount.objects.filter(key__startswith="guess:burst:").update(expires_at=0)
    assert guess("t@example.com", "wrong").status_code == 400


def test_right_passwords_do_not_use_up_the_address(settings):
    # A campus NAT: many students signing in from one address.
    settings.WAYPOINT_GUESSES_PER_ADDRESS = 5
    for _ in range(12):
        assert guess(UserFactory().email, TEST_PASSWORD).status_code == 302


# -- a burst behind a campus NAT does not keep the owner out ---------------------------


def test_a_locked_owner_gets_in_by_reset_link_which_lifts_the_lock(client, settings):
    owner = UserFactory()
    nat = "198.51.100.1"
    for _ in range(settings.WAYPOINT_GUESSES_PER_ACCOUNT + 3):
        guess(owner.email, "wrong", ip=nat)
    locked = guess(owner.email, TEST_PASSWORD, ip=nat)
    assert locked.status_code == 429
    assert reverse("account_reset_password") in locked.text
    # From any other address the owner signs in as usual.
    assert guess(owner.email, TEST_PASSWORD, ip="192.0.2.55").status_code == 302

    client.post(reverse("account_reset_password"), {"email": owner.email}, REMOTE_ADDR=nat)
    link = re.search(r"https?://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    form_url = client.get(link[1], follow=True, REMOTE_ADDR=nat).redirect_chain[-1][0]
    done = client.post(
        form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, REMOTE_ADDR=nat
    )
    assert done["Location"] == reverse("start")
    assert int(client.session[SESSION_KEY]) == owner.pk  # signed in by the link
    # Reading the mail took more than the burst's minute.
    GuessCount.objects.filter(key__startswith="guess:burst:").update(expires_at=0)
    # The lock is lifted: the new password works from the NAT too.
    assert guess(owner.email, NEW_PASSWORD, ip=nat).status_code == 302


def test_behind_a_spent_address_the_owner_gets_in_by_reset_link(client, settings):
    settings.WAYPOINT_GUESSES_PER_ADDRESS = 3
    owner = UserFactory()
    nat = "198.51.100.1"
    for n in range(3):
        guess(f"s{n}@example.com", "wrong", ip=nat)
    assert guess(owner.email, TEST_PASSWORD, ip=nat).status_code == 429
    client.post(reverse("account_reset_password"), {"email": owner.email}, REMOTE_ADDR=nat)
    link = re.search(r"https?://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    form_url = client.get(link[1], follow=True, REMOTE_ADDR=nat).redirect_chain[-1][0]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, REMOTE_ADDR=nat)
    assert int(client.session[SESSION_KEY]) == owner.pk
    page = client.get(reverse("start"), REMOTE_ADDR=nat, follow=True)
    assert page.status_code == 200


# -- current password on password change and deletion ----------------------------------


def test_wrong_current_passwords_on_password_change_are_limited(client, user, settings, hashes):
    client.force_login(user)
    url = reverse("account_change_password")

    def change(old):
        data = {"oldpassword": old, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        return client.post(url, data, REMOTE_ADDR="10.0.0.1")

    for _ in range(settings.WAYPOINT_GUESSES_PER_ACCOUNT):
        response = change("not it")
        assert response.status_code == 400
        assert "That is not your current password." in response.text
    before = hashes()
    refused = change(TEST_PASSWORD)
    assert refused.status_code == 429
    assert "password checks for it from your network are paused" in refused.text
    assert hashes() == before
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_wrong_current_passwords_on_deletion_are_limited(client, user, settings, hashes):
    client.force_login(user)
    url = reverse("accounts:delete")
    for _ in range(settings.WAYPOINT_GUESSES_PER_ACCOUNT):
        response = client.post(url, {"password": "not it"}, REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 400
    before = hashes()
    refused = client.post(url, {"password": TEST_PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert refused.status_code == 429
    assert hashes() == before
    assert User.objects.filter(pk=user.pk).exists()


def test_sign_in_and_password_change_share_the_accounts_count(client, user, settings):
    for _ in range(settings.WAYPOINT_GUESSES_PER_ACCOUNT):
        guess(user.email, "wrong")
    client.force_login(user)
    response = client.post(
        reverse("accounts:delete"), {"password": TEST_PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429
    assert User.objects.filter(pk=user.pk).exists()


# -- reset mail ------------------------------------------------------------------------


def ask_reset(email, ip="10.0.0.1"):
    return Client().post(reverse("account_reset_password"), {"email": email}, REMOTE_ADDR=ip)


def test_reset_mail_is_limited_per_account_without_telling(settings):
    user = UserFactory()
    for n in range(settings.WAYPOINT_RESET_MAILS_PER_ACCOUNT + 2):
        response = ask_reset(user.email, ip=f"10.0.1.{n}")
        assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == settings.WAYPOINT_RESET_MAILS_PER_ACCOUNT


def test_reset_requests_are_limited_per_address(settings):
    users = UserFactory.create_batch(settings.WAYPOINT_RESET_MAILS_PER_ADDRESS + 1)
    for user in users[:-1]:
        assert ask_reset(user.email).status_code == 302
    refused = ask_reset(users[-1].email)
    assert refused.status_code == 429
    assert "Too many reset requests" in refused.text
    assert len(mail.outbox) == settings.WAYPOINT_RESET_MAILS_PER_ADDRESS
    assert ask_reset(users[-1].email, ip="10.0.0.2").status_code == 302


def test_reset_with_a_bad_email_says_so_and_sends_nothing(client):
    response = client.post(reverse("account_reset_password"), {"email": "not an email"})
    assert response.status_code == 400
    assert "Enter a valid email address" in response.text
    assert mail.outbox == []


# -- concurrency: the count is atomic and comes before the password check --------------


def run_at_once(n, work):
    """Run work(i) in n real threads released together; each closes its own connection."""
    start = threading.Barrier(n)

    def one(i):
        try:
            start.wait()
            return work(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


@pytest.mark.django_db(transaction=True)
def test_concurrent_counts_never_share_a_number():
    assert sorted(run_at_once(50, lambda _: count("test:concurrent", 60)[0])) == list(range(1, 51))


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_guesses_at_one_account_check_exactly_the_limit(settings, hashes):
    user = UserFactory()
    made = hashes()
    statuses = run_at_once(50, lambda _: guess(user.email, "wrong").status_code)
    assert statuses.count(400) == settings.WAYPOINT_GUESSES_PER_ACCOUNT
    assert statuses.count(429) == 50 - settings.WAYPOINT_GUESSES_PER_ACCOUNT
    assert hashes() - made == settings.WAYPOINT_GUESSES_PER_ACCOUNT


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_guesses_at_many_accounts_check_exactly_the_burst_limit(settings, hashes):
    statuses = run_at_once(50, lambda i: guess(f"s{i}@example.com", "wrong").status_code)
    assert statuses.count(400) == settings.WAYPOINT_GUESS_BURST
    assert statuses.count(429) == 50 - settings.WAYPOINT_GUESS_BURST
    assert hashes() == settings.WAYPOINT_GUESS_BURST


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_guesses_at_many_accounts_check_exactly_the_address_limit(
    settings, hashes
):
    settings.WAYPOINT_GUESSES_PER_ADDRESS = 10
    settings.WAYPOINT_GUESS_BURST = 50
    statuses = run_at_once(50, lambda i: guess(f"s{i}@example.com", "wrong").status_code)
    assert statuses.count(400) == 10
    assert statuses.count(429) == 40
    assert hashes() == 10


def test_an_admin_can_lift_the_locks_on_one_account(settings):
    user, other = UserFactory(), UserFactory()
    for account in (user, other):
        for _ in range(settings.WAYPOINT_GUESSES_PER_ACCOUNT + 1):
            guess(account.email, "wrong")
    call_command("unlock_sign_in", user.email.upper(), stdout=StringIO())
    GuessCount.objects.filter(key__startswith="guess:burst:").update(expires_at=0)
    assert guess(user.email, TEST_PASSWORD).status_code == 302
    assert guess(other.email, TEST_PASSWORD).status_code == 429
    with pytest.raises(CommandError, match="No account uses"):
        call_command("unlock_sign_in", "nobody@example.com")
