"""The outbox: mail queued once, sent once by the worker over real SMTP, retried with
back-off, stopped by a bounce, and unsubscribed in one click (RFC 8058)."""

import re
import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts import outbox
from accounts.models import Delivery, MailKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def queue(user, key="2026-W49", kind=MailKind.DIGEST):
    return outbox.mail_queue(
        user,
        kind=kind,
        key=key,
        subject="Your week on Waypoint",
        text="Plain words.",
        html="<p>Plain words.</p>",
    )


def test_a_mail_queued_twice_is_written_once_and_sent_once(run_tasks):
    user = UserFactory()
    assert queue(user) is not None
    assert queue(user) is None
    assert Delivery.objects.count() == 1
    run_tasks()
    run_tasks()
    assert len(mail.outbox) == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (Delivery.State.SENT, 1)
    assert delivery.sent_at is not None


def test_two_workers_holding_one_delivery_send_it_once():
    delivery = queue(UserFactory())
    assert outbox.deliver(delivery.pk) == Delivery.State.SENT
    assert outbox.deliver(delivery.pk) == ""
    assert len(mail.outbox) == 1


def test_queue_many_writes_each_person_once_however_often_it_runs(run_tasks):
    people = UserFactory.create_batch(3)

    def rows():
        return [
            Delivery(recipient=p, kind=MailKind.DIGEST, key="2026-W49", subject="s", text="t")
            for p in people
        ]

    assert outbox.mail_queue_many(rows()) == 3
    assert outbox.mail_queue_many(rows()) == 0
    run_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


def test_people_who_turned_a_kind_off_or_bounced_are_not_queued():
    off = UserFactory(mail_digest=False)
    bounced = UserFactory(mail_bounced_at=timezone.now())
    inactive = UserFactory(is_active=False)
    assert [queue(user) for user in (off, bounced, inactive)] == [None, None, None]
    assert queue(off, kind=MailKind.REVIEWS) is not None  # only the digest is off


def test_mail_off_in_production_queues_nothing(settings):
    settings.MAIL_DELIVERS = False
    assert queue(UserFactory()) is None
    assert not Delivery.objects.exists()


def test_the_mail_has_one_click_unsubscribe_headers_and_both_parts(smtp_server, run_tasks):
    user = UserFactory()
    queue(user)
    run_tasks()
    (received,) = smtp_server.messages
    assert received["To"] == user.email
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = received["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://") or link.startswith("http://")
    assert received.get_body(("plain",)).get_content().strip() == "Plain words."
    assert "<p>Plain words.</p>" in received.get_body(("html",)).get_content()
    # The one-click POST a mail client makes: no cookie, no CSRF token, no sign-in.
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = Client(enforce_csrf_checks=True).post(f"/{path}", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.mail_digest is False
    assert user.mail_reviews is True and user.mail_nudges is True


def test_unsubscribe_asks_first_on_get(client):
    user = UserFactory()
    url = reverse("accounts:unsubscribe", args=[outbox.unsubscribe_token(user, "nudges")])
    response = client.get(url)
    assert response.status_code == 200
    assert b"Unsubscribe" in response.content
    user.refresh_from_db()
    assert user.mail_nudges is True
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize(
    "token",
    ["nonsense", "W1tbMSwiZGlnZXN0Il0", "x" * 300, "a:b:c", "..%2f"],
)
def test_bad_unsubscribe_links_are_404(client, token):
    assert client.post(f"/accounts/mail/unsubscribe/{token}/").status_code == 404


def test_a_link_for_someone_who_is_gone_is_the_same_404(client):
    user = UserFactory()
    url = reverse("accounts:unsubscribe", args=[outbox.unsubscribe_token(user, "digest")])
    user.delete()
    gone = client.post(url)
    unknown = client.post(reverse("accounts:unsubscribe", args=["nonsense"]))
    assert gone.status_code == unknown.status_code == 404
    per_response = re.compile(rb'nonce="[^"]*"|"X-CSRFToken": "[^"]*"')  # differ every time
    assert per_response.sub(b"", gone.content) == per_response.sub(b"", unknown.content)


def test_a_permanent_refusal_marks_the_address_bounced_and_stops_mail(smtp_server, run_tasks):
    user = UserFactory(email="nobody@bounce.invalid")
    queue(user)
    run_tasks()
    user.refresh_from_db()
    assert user.mail_bounced_at is not None
    assert user.mail_bounce.startswith("550")
    assert Delivery.objects.get().state == Delivery.State.BOUNCED
    assert not smtp_server.messages
    assert queue(user, key="2026-W50") is None


def test_a_temporary_refusal_is_retried_later(smtp_server, run_tasks, settings):
    settings.WAYPOINT_MAIL_RETRY_MINUTES = [1, 5]
    user = UserFactory(email="asha@busy.invalid")
    delivery = queue(user)
    run_tasks()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (Delivery.State.WAITING, 1)
    assert delivery.error.startswith("451")
    retry = DBTaskResult.objects.filter(task_path="accounts.tasks.deliver_later").get()
    wait = retry.run_after - timezone.now()
    assert timedelta(seconds=50) < wait <= timedelta(minutes=1)
    user.refresh_from_db()
    assert user.mail_bounced_at is None


def test_a_relay_that_is_down_is_retried_with_back_off_then_given_up(settings, run_tasks):
    settings.WAYPOINT_MAIL_RETRY_MINUTES = [1, 5]
    delivery = queue(UserFactory())
    down = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    retries = DBTaskResult.objects.filter(task_path="accounts.tasks.deliver_later", status="READY")
    waits = []
    locmem = "django.core.mail.backends.locmem.EmailBackend"
    with mock.patch(f"{locmem}.send_messages", side_effect=down):
        run_tasks()
        while pending := retries.first():
            waits.append(pending.run_after - timezone.now())
            retries.update(run_after=timezone.now())  # the wait is over
            run_tasks()
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.FAILED
    assert delivery.attempts == 3
    assert timedelta(seconds=50) < waits[0] <= timedelta(minutes=1)
    assert timedelta(minutes=4) < waits[1] <= timedelta(minutes=5)
    assert not mail.outbox


def test_what_a_stopped_worker_left_is_mended_never_sent_twice(run_tasks):
    stuck, lost, fresh, retrying = (queue(UserFactory()) for _ in range(4))
    hour_ago = timezone.now() - timedelta(hours=1, minutes=1)
    # Killed while sending the first; the second's task was lost with the worker.
    Delivery.objects.filter(pk=stuck.pk).update(state=Delivery.State.SENDING, created_at=hour_ago)
    Delivery.objects.filter(pk__in=[lost.pk, retrying.pk]).update(created_at=hour_ago)
    Delivery.objects.filter(pk=retrying.pk).update(attempts=1)  # waits for its retry
    DBTaskResult.objects.all().delete()
    assert outbox.recover() == {"failed": 1, "requeued": 1}
    run_tasks()
    assert [m.to[0] for m in mail.outbox] == [lost.recipient.email]
    stuck.refresh_from_db()
    assert stuck.state == Delivery.State.FAILED
    assert "may not have been sent" in stuck.error
    fresh.refresh_from_db()
    assert fresh.state == Delivery.State.WAITING  # its own task is still to come


def test_queue_many_writes_nothing_when_its_task_cannot_be_enqueued():
    people = UserFactory.create_batch(2)
    rows = [
        Delivery(recipient=p, kind=MailKind.DIGEST, key="2026-W49", subject="s", text="t")
        for p in people
    ]
    broken = RuntimeError("queue unavailable")
    with mock.patch("accounts.outbox._enqueue", side_effect=broken), pytest.raises(RuntimeError):
        outbox.mail_queue_many(rows)
    assert not Delivery.objects.exists()  # a later run queues them again
