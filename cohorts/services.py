"""Cohort writes: creating a cohort, joining it, removing a student, a new invite code,
archiving and restoring.

Each is one function that validates what only the database can tell (an archived
cohort, an unpublished roadmap, a student who already left) and writes in one
transaction, like ``roadmap.services.progress_set``. Views parse the form, check the
permission (``Cohort.objects.visible_to``), call one of these and render.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from roadmap.models import Roadmap
from roadmap.services import follow_roadmap

from .models import Cohort, Membership, new_join_code


class CohortRefused(Exception):
    """A cohort write that cannot be made; ``message`` says why, in the reader's words;
    ``status_code`` is the HTTP status a view answers with (409: the state changed)."""

    status_code = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Joined:
    """What ``cohort_join`` did: ``membership`` is the student's, ``new`` says whether
    this call made it (False: they were already in the cohort)."""

    membership: Membership
    new: bool


@transaction.atomic
def cohort_create(*, mentor, name: str, roadmap: Roadmap) -> Cohort:
    """A new cohort on ``roadmap``, mentored by ``mentor``, with a fresh invite code.

    Raises CohortRefused when the roadmap is not published (students could not follow
    it) or the name is blank.
    """
    name = name.strip()
    if not name:
        raise CohortRefused("Give the cohort a name.")
    if not Roadmap.objects.published().filter(pk=roadmap.pk).exists():
        raise CohortRefused(f"{roadmap.title} is not published, so students could not join.")
    cohort = Cohort.objects.create(name=name, roadmap=roadmap)
    cohort.mentors.add(mentor)
    return cohort


def cohort_join(*, student, cohort: Cohort) -> Joined:
    """``student`` joins ``cohort`` and follows its roadmap, both or neither.

    Joining twice (a double click, two tabs) changes nothing and says so
    (``Joined.new`` False); the roadmap is followed either way. Raises CohortRefused
    when the cohort no longer takes students (archived, or its roadmap unpublished
    since the invite page was opened).
    """
    with transaction.atomic():
        # Locks the cohort row where the database can, so archiving waits for a join.
        joinable = (
            Cohort.objects.joinable().select_for_update(of=("self",)).filter(pk=cohort.pk).first()
        )
        if joinable is None:
            raise CohortRefused(
                f"{cohort.name} is no longer taking students. Ask your mentor for a new link."
            )
        membership = Membership.objects.filter(cohort=cohort, student=student).first()
        new = membership is None
        if new:
            try:
                with transaction.atomic():
                    membership = Membership.objects.create(cohort=cohort, student=student)
            except IntegrityError:  # a second request made it between our read and write
                membership, new = Membership.objects.get(cohort=cohort, student=student), False
        follow_roadmap(student, cohort.roadmap)
    return Joined(membership, new)


@transaction.atomic
def cohort_remove_student(*, cohort: Cohort, student) -> None:
    """Takes ``student`` out of ``cohort``. Their own progress and their following of
    the roadmap stay: it is theirs (PRODUCT.md). Raises CohortRefused when they had
    already left (another mentor removed them, or they were removed in another tab)."""
    removed, _ = Membership.objects.filter(cohort=cohort, student=student).delete()
    if not removed:
        raise CohortRefused(f"{student} is no longer in {cohort.name}.")


@transaction.atomic
def cohort_new_invite_code(*, cohort: Cohort) -> str:
    """Replaces the cohort's invite code (72 random bits), so the old link stops working;
    returns the new code."""
    code = new_join_code()
    Cohort.objects.filter(pk=cohort.pk).update(join_code=code)
    cohort.join_code = code
    return code


@transaction.atomic
def cohort_set_active(*, cohort: Cohort, active: bool) -> Cohort:
    """Archives (``active`` False: the invite link stops working, the cohort leaves the
    lists, its students and figures stay) or restores a cohort. Setting the state it
    already has changes nothing."""
    Cohort.objects.filter(pk=cohort.pk).update(active=active)
    cohort.active = active
    return cohort
