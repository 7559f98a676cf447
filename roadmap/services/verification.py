"""A mentor's review of evidence: verify or send back (``review_evidence``), undo a
verification for a few minutes (``review_evidence_undo``), and the mail that tells the
student once the review stands (``review_mail``)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Delivery, MailKind
from accounts.outbox import absolute_url, mail_queue, render_mail

from ..models import Progress, ProgressEvent, Verification
from .changes import ProgressRefused

Field = ProgressEvent.Field


def review_evidence(
    *,
    mentor,
    progress: Progress,
    verified: bool,
    comment: str = "",
    queue: QuerySet[Progress] | None = None,
    verified_in: str = "",
) -> Progress:
    """A mentor verifies a student's evidence, or sends it back with a comment.

    ``queue`` is the review queue the mentor was shown (their cohort's
    ``awaiting_review()``; by default every student's). The row is locked and looked up
    in it inside the transaction, so a review applies only to what the queue still
    holds: evidence reviewed, withdrawn, archived or gone from the cohort since the
    page was loaded raises ProgressRefused (409) and changes nothing.

    A verification is also recorded as a ``Verification`` (with the mentor's name and
    ``verified_in``, the name of the cohort the review was made in): what the public
    verification address of the item shows, now and after an undo or a new piece of
    evidence.

    The student hears of it by mail (``review_mail``, run by the task
    ``roadmap.tasks.notify_review``): a send-back at once, a verification when its
    WAYPOINT_REVIEW_UNDO_MINUTES are up, so an undone one sends nothing.
    """
    comment = comment.strip()
    if not verified and not comment:
        raise ProgressRefused("Say what is missing, so the student knows what to fix.")
    queue = Progress.objects.awaiting_review() if queue is None else queue
    with transaction.atomic():
        locked = (
            queue.select_for_update(of=("self",))
            .select_related("student", "item")
            .filter(pk=progress.pk)
            .first()
        )
        if locked is None:
            raise ProgressRefused(
                "This evidence was already reviewed or withdrawn; the queue shows what is left."
            )
        progress = locked
        if verified:
            progress.verified_by = mentor
            progress.verified_at = timezone.now()
            progress.review_comment = comment
        else:
            progress.review_comment = comment
        event = _save_review(progress, mentor)
        if verified:
            Verification.objects.create(
                progress=progress,
                mentor=mentor,
                mentor_name=mentor.name,
                cohort_name=verified_in,
                evidence_url=progress.evidence_url,
                verified_at=progress.verified_at,
            )
        _notify_later(progress, event)
    return progress


def _notify_later(progress: Progress, event: ProgressEvent) -> None:
    from ..tasks import notify_review  # the tasks import this module

    # The queue is a table of this database: the task commits or rolls back with the
    # review. Until the undo window closes (None for a send-back: it has none), the
    # review may still be taken back, so the mail waits for it.
    notify_review.using(run_after=review_undo_until(progress)).enqueue(event.pk)


def review_undo_until(progress: Progress) -> datetime | None:
    """Until when (an aware datetime) the verification of ``progress`` can be undone:
    WAYPOINT_REVIEW_UNDO_MINUTES after it was made. None when it is not verified or
    that time has passed."""
    if progress.verified_at is None:
        return None
    until = progress.verified_at + timedelta(minutes=settings.WAYPOINT_REVIEW_UNDO_MINUTES)
    return until if timezone.now() <= until else None


def review_evidence_undo(
    *,
    mentor,
    progress: Progress,
    version: int,
    scope: QuerySet[Progress] | None = None,
) -> Progress:
    """Take back a verification made in the last WAYPOINT_REVIEW_UNDO_MINUTES: the
    evidence waits for review again, exactly as before ``review_evidence`` verified it.

    ``version`` is the ``Progress.version`` the Undo button was shown with (the
    verification's own). ``scope`` is the progress the mentor may review (their
    cohort's ``reviewable()``; by default every student's). The row is locked and
    looked up in it inside the transaction; verification, time and comment are
    cleared, its ``Verification`` marked undone (its address says so), and a
    ProgressEvent is logged as for the review. Raises ProgressRefused
    (409) and changes nothing when the row is no longer verified (already undone,
    sent back, the evidence replaced or withdrawn), changed since (``version`` behind
    it), the window has passed, or the row has left ``scope``.
    """
    scope = Progress.objects.reviewable() if scope is None else scope
    minutes = settings.WAYPOINT_REVIEW_UNDO_MINUTES
    with transaction.atomic():
        locked = (
            scope.select_for_update(of=("self",))
            .select_related("student", "item")
            .filter(pk=progress.pk)
            .first()
        )
        if locked is None or locked.verified_at is None:
            raise ProgressRefused(
                "This evidence is no longer verified (the verification was already undone, "
                "or the student changed the evidence), so there is nothing to undo."
            )
        if locked.version != version:
            raise ProgressRefused(
                "The student changed this item since it was verified, so the verification "
                "stays. Nothing was changed."
            )
        if review_undo_until(locked) is None:
            raise ProgressRefused(
                f"A verification can be undone for {minutes} minutes after it is made; this "
                "one stays. Nothing was changed."
            )
        Verification.objects.filter(
            progress=locked, verified_at=locked.verified_at, undone_at=None
        ).update(undone_at=timezone.now())
        locked.verified_by = None
        locked.verified_at = None
        locked.review_comment = ""
        _save_review(locked, mentor)
    return locked


def _save_review(progress: Progress, mentor) -> ProgressEvent:
    """Saves a review (or its undo) on ``progress`` under a new version, and logs it as
    the mentor's: the student's status does not change, so from and to are the same.
    Returns the log entry."""
    progress.version += 1
    progress.save()
    return ProgressEvent.objects.create(
        student=progress.student,
        item=progress.item,
        actor=mentor,
        field=Field.VERIFICATION,
        from_status=progress.status,
        to_status=progress.status,
    )


def review_mail(event_id: int) -> Delivery | None:
    """Queue the mail that tells a student about a mentor's review: verified or sent back,
    by whom, the comment, and an absolute link to the item. ``event_id`` is the review's
    ProgressEvent (field VERIFICATION, by someone other than the student).

    Sent only while the review stands: nothing when the event is gone or not a review,
    when a later review or undo, or a change of the evidence, was logged for the same
    item since (each clears or replaces the review), or the item was archived. Once per
    review: the outbox key is ``review-<event id>``. Returns the delivery, or None
    (also when the student turned review mail off or their address bounced).
    """
    event = (
        ProgressEvent.objects.select_related("student", "actor", "item__milestone__stage__roadmap")
        .filter(pk=event_id, field=Field.VERIFICATION)
        .exclude(actor_id=None)
        .first()
    )
    if event is None or event.actor_id == event.student_id:
        return None
    if not event.student.mail_wanted(MailKind.REVIEWS):
        return None
    with transaction.atomic():
        # Locked: an undo in the window's last moment has landed before this reads, or
        # comes after it and is refused as too late.
        progress = (
            Progress.objects.select_for_update()
            .filter(student_id=event.student_id, item_id=event.item_id)
            .first()
        )
        # Events are numbered in the order they were logged, so a larger pk is later.
        since = ProgressEvent.objects.filter(
            student_id=event.student_id,
            item_id=event.item_id,
            field__in=[Field.VERIFICATION, Field.EVIDENCE],
            pk__gt=event.pk,
        )
        if progress is None or event.item.archived or since.exists():
            return None
        if not (progress.verified_at or progress.review_comment):
            return None
        mentor = event.actor
        subject, text, html = render_mail(
            "roadmap/email/review",
            {
                "mentor": mentor.get_short_name(),
                "verified": progress.verified_at is not None,
                "comment": progress.review_comment,
                "item": event.item,
                "roadmap": event.item.milestone.stage.roadmap,
                "evidence_url": progress.evidence_url,
                "item_url": absolute_url(reverse("roadmap:item", args=[event.item_id])),
            },
            recipient=event.student,
            kind=MailKind.REVIEWS,
        )
        return mail_queue(
            event.student,
            kind=MailKind.REVIEWS,
            key=f"review-{event.pk}",
            subject=subject,
            text=text,
            html=html,
            reply_to=mentor.email,
        )
