"""The catch-up step: many items marked done at once (``progress_catch_up``), and its
undo (``catch_up_undo``)."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from config.text import and_more

from ..models import Item, Progress, ProgressEvent, Roadmap, Status
from .changes import ProgressRefused, StaleProgress

Field = ProgressEvent.Field


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
    return and_more([f"“{item.title}”" for item in items], limit)


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
