"""Writes that touch several rows: following a roadmap and changing progress.

Each validates what only the database state can tell (archived item, stale
form), writes and logs in one transaction. Field-level validation (status
names, count bounds, URL schemes) happens in the forms before these are called.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from .models import Enrollment, Item, Progress, ProgressEvent, Roadmap, Status

Field = ProgressEvent.Field


class ProgressRefused(Exception):
    """A change that cannot be made; ``message`` says why, for the student."""

    status_code = 409

    def __init__(self, message: str, progress: Progress | None = None):
        super().__init__(message)
        self.message = message
        self.progress = progress


class StaleProgress(ProgressRefused):
    """The form was rendered before another change to the same item."""


def follow_roadmap(student, roadmap: Roadmap) -> Enrollment:
    enrollment, _ = Enrollment.objects.get_or_create(student=student, roadmap=roadmap)
    return enrollment


def follow_default_roadmap(student) -> Enrollment | None:
    roadmap = Roadmap.objects.published().filter(slug=settings.WAYPOINT_DEFAULT_ROADMAP).first()
    return follow_roadmap(student, roadmap) if roadmap else None


def _status_for_count(item: Item, progress: Progress, count: int, status: str | None) -> str:
    """Counting moves an item along: reaching the target marks it done, starting to
    count starts it, and dropping below the target reopens a done item."""
    if status is not None:
        return status
    current = progress.status
    if item.target_count and count >= item.target_count:
        return Status.DONE
    if current == Status.DONE and item.target_count and count < item.target_count:
        return Status.IN_PROGRESS
    if current == Status.NOT_STARTED and count > 0:
        return Status.IN_PROGRESS
    return current


@sensitive_variables("note")
def progress_set(
    *,
    student,
    item: Item,
    version: int | None = None,
    status: str | None = None,
    count: int | None = None,
    note: str | None = None,
    evidence_url: str | None = None,
) -> Progress:
    """Set the student's progress on an item to the given state.

    Arguments left as None are left as they are. Setting the state the row is
    already in changes nothing and logs nothing, so a repeated submission is
    harmless. A form rendered before another change (``version`` behind the row)
    is refused rather than silently overwriting that change.
    """
    if item.archived:
        raise ProgressRefused("This item has been archived, so it can no longer be changed.")
    with transaction.atomic():
        progress, _ = Progress.objects.select_for_update().get_or_create(student=student, item=item)
        if count is not None:
            status = _status_for_count(item, progress, count, status)
        wanted = {
            name: value
            for name, value in [
                ("status", status),
                ("count", count),
                ("note", note),
                ("evidence_url", evidence_url),
            ]
            if value is not None and getattr(progress, name) != value
        }
        if not wanted:
            return progress
        if version is not None and version != progress.version:
            raise StaleProgress(
                "This item was changed elsewhere (another tab or device) since this page "
                "was loaded. It now shows the latest state; make your change again.",
                progress,
            )

        now = timezone.now()
        events = []
        if "status" in wanted:
            events.append(
                ProgressEvent(
                    field=Field.STATUS,
                    from_status=progress.status,
                    to_status=wanted["status"],
                    count=wanted.get("count", progress.count) if item.target_count else None,
                )
            )
        elif "count" in wanted:
            events.append(
                ProgressEvent(
                    field=Field.COUNT,
                    from_status=progress.status,
                    to_status=progress.status,
                    count=wanted["count"],
                )
            )
        if "note" in wanted:
            events.append(ProgressEvent(field=Field.NOTE))
        if "evidence_url" in wanted:
            events.append(ProgressEvent(field=Field.EVIDENCE))
            # A verification vouches for one piece of evidence, not its replacement.
            progress.evidence_added_at = now if wanted["evidence_url"] else None
            progress.verified_by = None
            progress.verified_at = None
            progress.review_comment = ""

        for name, value in wanted.items():
            setattr(progress, name, value)
        progress.version += 1
        progress.save()
        for event in events:
            event.student = student
            event.actor = student
            event.item = item
            event.created_at = now
        ProgressEvent.objects.bulk_create(events)
    return progress


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
        locked = queue.select_for_update(of=("self",)).filter(pk=progress.pk).first()
        if locked is None:
            raise ProgressRefused(
                "This evidence was already reviewed or withdrawn; the queue shows what is left.",
                progress,
            )
        progress = locked
        if verified:
            progress.verified_by = mentor
            progress.verified_at = timezone.now()
            progress.review_comment = comment
        else:
            progress.review_comment = comment
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
    return progress
