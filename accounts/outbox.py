"""Mail that leaves Waypoint in the background: written to the outbox (``Delivery``),
then sent by a worker (``accounts.tasks``), once, with retries and bounces handled.

- ``mail_queue`` / ``mail_queue_many`` write deliveries and enqueue their sending. A
  delivery is unique per (recipient, kind, key), so queueing the same mail twice (two
  schedulers, a task run again) writes it once.
- ``deliver`` sends one: it claims the row with a single UPDATE (waiting -> sending), so
  of two workers holding the same id only one sends. A refusal for good of the address
  (SMTP 5xx to RCPT, RFC 5321 section 4.2.1) marks the person's address as bounced; a
  relay that is down or answers 4xx is tried again after ``WAYPOINT_MAIL_RETRY_MINUTES``.
- Every mail carries ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 8058): a
  signed address that turns that kind of mail off in one POST, without signing in.
"""

import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import Delivery, MailKind, User

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "accounts.unsubscribe"


def absolute_url(path: str) -> str:
    """``path`` ("/checklist/") on the address people open Waypoint at
    (``WAYPOINT_BASE_URL``), for mail and the calendar feed."""
    return f"{settings.WAYPOINT_BASE_URL}{path}"


def unsubscribe_token(user, kind: str) -> str:
    """A signed, URL-safe token naming ``user`` (by id) and a ``MailKind``. It never
    expires (a months-old digest's link must still work); the signature, not secrecy,
    is what makes it safe: nobody can make one for another person or kind."""
    return signing.dumps([user.pk, MailKind(kind).value], salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_target(token: str) -> tuple[User, MailKind] | None:
    """The active person and kind a token names; None for a token that was not signed
    here, is malformed, or names nobody (any of which the view answers with a 404)."""
    try:
        pk, kind = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        kind = MailKind(kind)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first() if isinstance(pk, int) else None
    return (user, kind) if user else None


def unsubscribe_url(user, kind: str) -> str:
    return absolute_url(reverse("accounts:unsubscribe", args=[unsubscribe_token(user, kind)]))


def week_key(day) -> str:
    """The ISO week of a date, "2026-W49": the key of a weekly mail, so that each
    person gets one per week however often the scheduler runs."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def render_mail(template: str, context: dict, *, recipient, kind: str) -> tuple[str, str, str]:
    """(subject, text, html) of a mail from ``{template}_subject.txt``, ``{template}.txt``
    and ``{template}.html``; the two bodies extend ``email/base.txt`` and
    ``email/base.html``, whose footer carries the unsubscribe link for ``kind`` and a
    link to the mail preferences. Links in ``context`` must be absolute
    (``absolute_url``): a mail is read away from Waypoint."""
    context = {
        **context,
        "recipient": recipient,
        "kind_label": MailKind(kind).label,
        "unsubscribe_url": unsubscribe_url(recipient, kind),
        "preferences_url": absolute_url(reverse("accounts:profile") + "#mail"),
        "base_url": settings.WAYPOINT_BASE_URL,
    }
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    context["subject"] = subject
    text = render_to_string(f"{template}.txt", context).strip() + "\n"
    return subject, text, render_to_string(f"{template}.html", context)


def mail_queue(
    recipient, *, kind: str, key: str, subject: str, text: str, html: str = "", reply_to=""
) -> Delivery | None:
    """Queue one mail to ``recipient`` and enqueue its sending. Returns the delivery, or
    None when the person does not want this kind of mail (or their address bounced),
    when mail is off (``MAIL_DELIVERS``), or when the same (recipient, kind, key) was
    queued before."""
    if not settings.MAIL_DELIVERS or not recipient.mail_wanted(kind):
        return None
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                recipient=recipient,
                kind=kind,
                key=key,
                subject=subject[:200],
                text=text,
                html=html,
                reply_to=reply_to,
            )
    except IntegrityError:  # queued before: once is enough
        return None
    _enqueue([delivery.pk])
    return delivery


def mail_queue_many(deliveries: Iterable[Delivery]) -> int:
    """Queue unsaved ``Delivery`` rows of one kind and key in a fixed number of queries
    (the weekly digests); returns how many were new. Rows for people who turned that
    kind off, or whose address bounced, are left out; rows queued before are kept."""
    if not settings.MAIL_DELIVERS:
        return 0
    wanted = [d for d in deliveries if d.recipient.mail_wanted(d.kind)]
    if not wanted:
        return 0
    kind, key = wanted[0].kind, wanted[0].key
    assert all(d.kind == kind and d.key == key for d in wanted), "one kind and key per call"
    recipients = [d.recipient_id for d in wanted]
    before = set(
        Delivery.objects.filter(kind=kind, key=key, recipient__in=recipients).values_list(
            "recipient_id", flat=True
        )
    )
    new = [d for d in wanted if d.recipient_id not in before]
    with transaction.atomic():  # the rows and the task that sends them, or neither
        Delivery.objects.bulk_create(new, ignore_conflicts=True)
        _enqueue_waiting(kind, key, [d.recipient_id for d in new])
    return len(new)


def _enqueue_waiting(kind: str, key: str, recipients: list[int]) -> None:
    ids = list(
        Delivery.objects.filter(
            kind=kind,
            key=key,
            recipient__in=recipients,
            state=Delivery.State.WAITING,
            attempts=0,
        ).values_list("pk", flat=True)
    )
    if ids:
        _enqueue(ids)


def _enqueue(ids: list[int]) -> None:
    from .tasks import deliver_many  # tasks import this module

    # The queue is a table in the same database: the task row commits or rolls back with
    # the deliveries, so a worker never sees one without the other.
    deliver_many.enqueue(ids)


def message(delivery: Delivery) -> EmailMultiAlternatives:
    """The mail of a delivery: plain text, and HTML when it has some, with one-click
    unsubscribe headers (RFC 8058 section 3) for its kind."""
    link = unsubscribe_url(delivery.recipient, delivery.kind)
    mail = EmailMultiAlternatives(
        delivery.subject,
        delivery.text,
        to=[delivery.recipient.email],
        reply_to=[delivery.reply_to] if delivery.reply_to else [],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # Not an auto-reply target, and no "out of office" loops (RFC 3834).
            "Auto-Submitted": "auto-generated",
        },
    )
    if delivery.html:
        mail.attach_alternative(delivery.html, "text/html")
    return mail


def deliver(delivery_id: int, connection=None) -> str:
    """Send one delivery if it is still waiting; returns its state afterwards.

    Exactly one caller wins the claim. A refusal of the address for good (every
    recipient refused with a 5xx) marks ``mail_bounced_at``; any other failure to hand
    the mail to the relay is retried after the next of ``WAYPOINT_MAIL_RETRY_MINUTES``,
    then given up as failed."""
    claimed = Delivery.objects.filter(pk=delivery_id, state=Delivery.State.WAITING).update(
        state=Delivery.State.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return ""
    delivery = Delivery.objects.select_related("recipient").get(pk=delivery_id)
    if not delivery.recipient.mail_wanted(delivery.kind):
        return _finish(delivery, Delivery.State.SKIPPED)
    try:
        if connection is None:
            message(delivery).send()
        else:
            connection.send_messages([message(delivery)])
    except smtplib.SMTPRecipientsRefused as refused:
        codes = [code for code, _ in refused.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            reason = _reason(*next(iter(refused.recipients.values())))
            User.objects.filter(pk=delivery.recipient_id).update(
                mail_bounced_at=timezone.now(), mail_bounce=reason
            )
            return _finish(delivery, Delivery.State.BOUNCED, reason)
        return _retry(delivery, _reason(*next(iter(refused.recipients.values()))))
    except (smtplib.SMTPException, OSError) as error:
        return _retry(delivery, _reason(getattr(error, "smtp_code", ""), error))
    return _finish(delivery, Delivery.State.SENT)


def _reason(code, text) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return f"{code} {text}".strip()[:300]


def _finish(delivery: Delivery, state: str, error: str = "") -> str:
    delivery.state = state
    delivery.error = error
    if state == Delivery.State.SENT:
        delivery.sent_at = timezone.now()
    delivery.save(update_fields=["state", "error", "sent_at"])
    return state


def _retry(delivery: Delivery, error: str) -> str:
    waits = settings.WAYPOINT_MAIL_RETRY_MINUTES
    if delivery.attempts > len(waits):
        logger.warning("Mail %s given up after %d tries: %s", delivery.pk, delivery.attempts, error)
        return _finish(delivery, Delivery.State.FAILED, error)
    from .tasks import deliver_later

    wait = timedelta(minutes=waits[delivery.attempts - 1])
    logger.info("Mail %s not sent (%s); trying again in %s", delivery.pk, error, wait)
    with transaction.atomic():
        _finish(delivery, Delivery.State.WAITING, error)
        deliver_later.using(run_after=timezone.now() + wait).enqueue(delivery.pk)
    return Delivery.State.WAITING


def deliver_all(ids: list[int]) -> dict[str, int]:
    """Send each waiting delivery of ``ids`` over one SMTP connection; returns how many
    ended in each state. A connection that does not open sends each one on its own."""
    states: dict[str, int] = {}
    try:
        with mailers.default as connection:
            for pk in ids:
                state = deliver(pk, connection)
                states[state] = states.get(state, 0) + 1
    except (smtplib.SMTPException, OSError):
        logger.warning("Could not open a connection to the mail relay", exc_info=True)
        for pk in ids:
            state = deliver(pk)
            states[state] = states.get(state, 0) + 1
    return states


# A delivery left "sending" this long was being sent when its worker stopped (killed
# mid-batch): it may or may not have left, so it is marked failed, never sent again.
SENDING_GIVE_UP = timedelta(hours=1)
# A delivery still waiting for its first try this long lost its task (a worker stopped
# mid-batch): it is enqueued again (a claim still lets only one worker send it).
WAITING_REQUEUE = timedelta(minutes=15)


def recover() -> dict[str, int]:
    """Mend what a stopped worker left: deliveries stuck "sending" for
    ``SENDING_GIVE_UP`` become failed (say so, rather than send twice), and deliveries
    waiting untried for ``WAITING_REQUEUE`` are enqueued again. Returns the counts,
    {"failed": n, "requeued": m}."""
    now = timezone.now()
    failed = Delivery.objects.filter(
        state=Delivery.State.SENDING, created_at__lt=now - SENDING_GIVE_UP
    ).update(
        state=Delivery.State.FAILED,
        error="The worker stopped while sending it: it may not have been sent.",
    )
    ids = list(
        Delivery.objects.filter(
            state=Delivery.State.WAITING, attempts=0, created_at__lt=now - WAITING_REQUEUE
        ).values_list("pk", flat=True)
    )
    for start in range(0, len(ids), 500):
        _enqueue(ids[start : start + 500])
    return {"failed": failed, "requeued": len(ids)}
