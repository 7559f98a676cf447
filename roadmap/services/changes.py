"""Following a roadmap and changing one item's progress (``progress_set``)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ..models import Enrollment, Item, Progress, ProgressEvent, Roadmap, Status

Field = ProgressEvent.Field


class ProgressRefused(Exception):
    """A change that cannot be made; ``message`` says why, for the student."""

    status_code = 409

    @property
    def message(self) -> str:
        return self.args[0]


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


@sensitive_variables("wanted")
def _change_events(student, item: Item, progress: Progress, wanted: dict, now) -> list:
    """The log entries for setting ``wanted`` (field name → new value) on ``progress``,
    read before the change: one for the status (with the count, for a counted item),
    else one for the count; one for the note; one for the evidence."""
    by = {"student": student, "actor": student, "item": item, "created_at": now}
    events = []
    if "status" in wanted:
        count = wanted.get("count", progress.count) if item.target_count else None
        events.append(
            ProgressEvent(
                **by,
                field=Field.STATUS,
                from_status=progress.status,
                to_status=wanted["status"],
                count=count,
            )
        )
    elif "count" in wanted:
        events.append(
            ProgressEvent(
                **by,
                field=Field.COUNT,
                from_status=progress.status,
                to_status=progress.status,
                count=wanted["count"],
            )
        )
    if "note" in wanted:
        events.append(ProgressEvent(**by, field=Field.NOTE))
    if "evidence_url" in wanted:
        events.append(ProgressEvent(**by, field=Field.EVIDENCE))
    return events


# ``wanted`` may hold the private note.
@sensitive_variables("note", "wanted")
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
                "was loaded. It now shows the latest state; make your change again."
            )

        now = timezone.now()
        events = _change_events(student, item, progress, wanted, now)
        if "evidence_url" in wanted:
            # A verification vouches for one piece of evidence, not its replacement.
            progress.evidence_added_at = now if wanted["evidence_url"] else None
            progress.verified_by = None
            progress.verified_at = None
            progress.review_comment = ""
        for name in wanted:
            setattr(progress, name, wanted[name])
        progress.version += 1
        progress.save()
        ProgressEvent.objects.bulk_create(events)
    return progress
