"""Changes to a student's academic clock (batch, entry year, programme length), each
written with its ClockChange in one transaction, so the history is never behind."""

from django.db import transaction

from .models import EARLIEST_BATCH, LATEST_BATCH, ClockChange, Entry, Programme, User


class ClockRefused(ValueError):
    """The change is not possible; the message says why, in words for the person."""


@transaction.atomic
def clock_set(
    student: User,
    *,
    batch: int | None,
    entry_year: int,
    programme_years: int,
    kind: str,
    changed_by: User | None = None,
    note: str = "",
) -> ClockChange | None:
    """Set ``student``'s clock and record the change as a ClockChange of ``kind`` (a
    ClockChange.Kind). Returns the ClockChange, or None when nothing changed (nothing
    is written then). ``student`` is updated in place too.

    Raises ClockRefused for a batch outside EARLIEST_BATCH..LATEST_BATCH, an entry year
    not in Entry, a length not in Programme or an unknown kind; nothing is written then.
    """
    if batch is not None and not EARLIEST_BATCH <= batch <= LATEST_BATCH:
        raise ClockRefused(f"The batch must be a year from {EARLIEST_BATCH} to {LATEST_BATCH}.")
    if entry_year not in Entry.values:
        raise ClockRefused("The entry year must be year 1 (regular) or year 2 (lateral entry).")
    if programme_years not in Programme.values:
        raise ClockRefused("The programme must last 4 or 5 years.")
    if kind not in ClockChange.Kind.values:
        raise ClockRefused("Unknown kind of change.")
    # Locked and read again: "before" is what the database holds, not a stale copy.
    current = (
        User.objects.select_for_update()
        .only("batch", "entry_year", "programme_years")
        .get(pk=student.pk)
    )
    before = (current.batch, current.entry_year, current.programme_years)
    after = (batch, entry_year, programme_years)
    if before == after:
        return None
    User.objects.filter(pk=student.pk).update(
        batch=batch, entry_year=entry_year, programme_years=programme_years
    )
    student.batch, student.entry_year, student.programme_years = after
    return ClockChange.objects.create(
        student=student,
        kind=kind,
        changed_by=changed_by,
        batch_before=before[0],
        batch_after=batch,
        entry_before=before[1],
        entry_after=entry_year,
        programme_before=before[2],
        programme_after=programme_years,
        note=note,
    )


@transaction.atomic
def clock_repeat_year(
    student: User, *, changed_by: User | None = None, note: str = ""
) -> ClockChange:
    """Record that ``student`` repeats a year: they move to the next batch (batch + 1),
    so their year of study, and the pace that follows it, stays where it was for one
    more year. Returns the ClockChange (kind "repeated").

    Raises ClockRefused when the student has no batch, or the next one is past
    LATEST_BATCH; nothing is written then.
    """
    current = (
        User.objects.select_for_update()
        .only("batch", "entry_year", "programme_years")
        .get(pk=student.pk)
    )
    if current.batch is None:
        raise ClockRefused("Set the batch first: a repeated year moves it to the next one.")
    return clock_set(
        student,
        batch=current.batch + 1,
        entry_year=current.entry_year,
        programme_years=current.programme_years,
        kind=ClockChange.Kind.REPEATED,
        changed_by=changed_by,
        note=note,
    )
