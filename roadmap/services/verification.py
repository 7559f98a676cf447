"""A mentor's review of evidence: verify or send back (``review_evidence``), and undo a
verification for a few minutes (``review_evidence_undo``)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..models import Progress, ProgressEvent
from .changes import ProgressRefused

Field = ProgressEvent.Field


def review_evidence(
    *,
    mentor,
    progress: Progress,
    verified: bool,
    comment: str = "",
    queue: QuerySet[Progress] | None = None,
) -> Progress:
    """A mentor verifies a student's evidence, or sends it back with a comment.

    ``queue`` is the review queue the mentor was shown (their cohort's
    ``awaiting_review()``; by default every student's). The row is locked and looked up
    in it inside the transaction, so a review applies only to what the queue still
    holds: evidence reviewed, withdrawn, archived or gone from the cohort since the
    page was loaded raises ProgressRefused (409) and changes nothing.
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
        _save_review(progress, mentor)
    return progress


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
    cleared, and a ProgressEvent is logged as for the review. Raises ProgressRefused
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
        locked.verified_by = None
        locked.verified_at = None
        locked.review_comment = ""
        _save_review(locked, mentor)
    return locked


def _save_review(progress: Progress, mentor) -> None:
    """Saves a review (or its undo) on ``progress`` under a new version, and logs it as
    the mentor's: the student's status does not change, so from and to are the same."""
    progress.version += 1
    progress.save()
    ProgressEvent.objects.create(
        student=progress.student,
        item=progress.item,
        actor=mentor,
        field=Field.VERIFICATION,
        from_status=progress.status,
        to_status=progress.status,
    )
