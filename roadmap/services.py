"""Writes that touch several rows: following a roadmap and changing progress.

Each validates what only the database state can tell (archived item, stale
form), writes and logs in one transaction. Field-level validation (status
names, count bounds, URL schemes) happens in the forms before these are called.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
        locked.version += 1
        locked.save()
        ProgressEvent.objects.create(
            student=locked.student,
            item=locked.item,
            actor=mentor,
            field=Field.VERIFICATION,
            from_status=locked.status,
            to_status=locked.status,
        )
    return locked


# More than any roadmap has items: a longer list is not a form a person filled in.
CATCH_UP_MAX_ITEMS = 500


class CatchUpInvalid(ProgressRefused):
    """The list names items that are not the roadmap's to change (bad input, not a race)."""

    status_code = 400


class NothingToUndo(ProgressRefused):
    """No catch-up of this student on this roadmap has that id."""

    status_code = 404


@dataclass
class CatchUp:
    """What one catch-up (or its undo) did: ``batch`` is the id its log entries share
    (None when nothing changed), ``changed`` the items it moved, in roadmap order."""

    batch: uuid.UUID | None
    changed: list[Item] = field(default_factory=list)


def _titles(items: list[Item], limit: int = 5) -> str:
    names = [f"“{item.title}”" for item in items[:limit]]
    more = len(items) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def _status_event(student, item: Item, progress: Progress, to_status: str, batch, now):
    return ProgressEvent(
        student=student,
        actor=student,
        item=item,
        field=Field.STATUS,
        from_status=progress.status,
        to_status=to_status,
        count=progress.count if item.target_count else None,
        created_at=now,
        batch=batch,
    )


def progress_catch_up(*, student, roadmap: Roadmap, versions: Mapping[int, int]) -> CatchUp:
    """Mark done, in one step, every item the student ticked on the catch-up page.

    ``versions`` maps item id → the ``Progress.version`` the page showed (0 for an
    item with no row yet). The rules are ``progress_set``'s, applied to the whole list
    at once and all or nothing (one transaction, the rows locked with
    select_for_update):

    - an id that is not an item of ``roadmap`` raises CatchUpInvalid (400), more than
      CATCH_UP_MAX_ITEMS ids too;
    - an archived item raises ProgressRefused (409);
    - an item that would change and whose version moved since the page was loaded
      (another tab or device) raises StaleProgress (409), naming the items;
    - an item already done is left alone and needs no version check, so sending the
      same list twice changes nothing the second time.

    Counted items become done with their count left as it is (done counts in full,
    PRODUCT.md "Percent done"). Items not in ``versions`` are left as they are. Each
    item changed gets one ProgressEvent (status → done), all with one ``batch`` id,
    which ``catch_up_undo`` takes.
    """
    if len(versions) > CATCH_UP_MAX_ITEMS:
        raise CatchUpInvalid(
            f"That list has {len(versions):,} items; a catch-up takes at most "
            f"{CATCH_UP_MAX_ITEMS}. Nothing was changed."
        )
    items = {
        item.pk: item
        for item in Item.objects.of_roadmap(roadmap)
        .filter(pk__in=list(versions))
        .select_related("milestone__stage")
    }
    if len(items) != len(versions):
        raise CatchUpInvalid(
            f"Some of the ticked items are not part of {roadmap.title}, so nothing was "
            "changed. Reload the page and tick them again."
        )
    archived = sorted((item for item in items.values() if item.archived), key=_item_order)
    if archived:
        raise ProgressRefused(
            f"{_titles(archived)} {'has' if len(archived) == 1 else 'have'} been archived "
            "since this page was loaded, so nothing was changed. The list now shows the "
            "current items."
        )
    with transaction.atomic():
        # Rows for items never touched, so that every row can be locked and versioned.
        Progress.objects.bulk_create(
            [Progress(student=student, item_id=pk) for pk in versions], ignore_conflicts=True
        )
        rows = list(
            Progress.objects.select_for_update()
            .filter(student=student, item_id__in=list(versions))
            .order_by("pk")
        )
        to_change = sorted(
            (row for row in rows if row.status != Status.DONE),
            key=lambda row: _item_order(items[row.item_id]),
        )
        stale = [row for row in to_change if row.version != versions[row.item_id]]
        if stale:
            raise StaleProgress(
                f"{_titles([items[row.item_id] for row in stale])} changed elsewhere (another "
                "tab or device) since this page was loaded, so nothing was changed. The list "
                "now shows the latest state; check your ticks and save again."
            )
        if not to_change:
            return CatchUp(batch=None)
        batch, now = uuid.uuid4(), timezone.now()
        events = []
        for row in to_change:
            events.append(_status_event(student, items[row.item_id], row, Status.DONE, batch, now))
            row.status = Status.DONE
            row.version += 1
            # The undo reads this stamp: any later write to the row moves it.
            row.updated_at = now
        Progress.objects.bulk_update(to_change, ["status", "version", "updated_at"])
        ProgressEvent.objects.bulk_create(events)
    return CatchUp(batch=batch, changed=[items[row.item_id] for row in to_change])


def catch_up_undo(*, student, roadmap: Roadmap, batch: uuid.UUID) -> CatchUp:
    """Put the items of one catch-up back to the status each had before it.

    All or nothing, in one transaction with the rows locked: if any of those items
    changed since (checklist, another catch-up, a mentor's review: anything that wrote
    the row moves its ``updated_at`` past the catch-up's stamp) or was archived, it
    raises ProgressRefused (409) naming them and changes nothing. Undoing twice
    changes nothing the second time (the undo's events carry the same ``batch``).
    A ``batch`` that is not this student's catch-up on ``roadmap`` raises
    NothingToUndo (404). Returns the items put back, with one ProgressEvent each.
    """
    logged = ProgressEvent.objects.for_student(student).of_roadmap(roadmap).filter(batch=batch)
    with transaction.atomic():
        # Lock first, then read the log: a second undo waits here and then sees the first.
        rows = {
            row.item_id: row
            for row in Progress.objects.select_for_update()
            .filter(student=student, item_id__in=logged.values("item_id"))
            .order_by("pk")
        }
        events = list(logged.filter(field=Field.STATUS).select_related("item__milestone__stage"))
        if not events:
            raise NothingToUndo("There is no catch-up to undo here.")
        if any(event.to_status != Status.DONE for event in events):
            return CatchUp(batch=batch)  # already undone
        events.sort(key=lambda event: _item_order(event.item))
        moved = [
            event.item
            for event in events
            if event.item.archived
            or rows[event.item_id].status != Status.DONE
            or rows[event.item_id].updated_at != event.created_at
        ]
        if moved:
            raise ProgressRefused(
                f"{_titles(moved)} changed since the catch-up, so it cannot be undone as a "
                "whole. Nothing was changed; set those items on your checklist."
            )
        now = timezone.now()
        undo_events, changed = [], []
        for event in events:
            row = rows[event.item_id]
            undo_events.append(
                _status_event(student, event.item, row, event.from_status, batch, now)
            )
            row.status = event.from_status
            row.version += 1
            row.updated_at = now
            changed.append(row)
        Progress.objects.bulk_update(changed, ["status", "version", "updated_at"])
        ProgressEvent.objects.bulk_create(undo_events)
    return CatchUp(batch=batch, changed=[event.item for event in events])


def _item_order(item: Item):
    """Roadmap order, as ``Item.objects.outline()`` sorts."""
    stage = item.milestone.stage
    return (stage.order, stage.pk, item.milestone.order, item.milestone_id, item.order, item.pk)
