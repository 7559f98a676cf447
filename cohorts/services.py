"""Cohort writes: creating a cohort, joining it, removing a student, a new invite code,
archiving and restoring, and importing a roster.

Each is one function that validates what only the database can tell (an archived
cohort, an unpublished roadmap, a student who already left) and writes in one
transaction, like ``roadmap.services.progress_set``. The roster import is the exception,
on purpose: one transaction per person joined and per invitation recorded, so a bad row
or a failed mail never undoes the good ones (``roster_import``). Views parse the form,
check the permission (``Cohort.objects.visible_to``), call one of these and render.
"""

import logging
import smtplib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from roadmap.models import Roadmap
from roadmap.services import follow_roadmap

from .models import Cohort, Invitation, Membership, new_join_code
from .roster import RefusedRow, Roster, RosterRow

logger = logging.getLogger(__name__)
# Invitations are mailed during the confirm request: stop well before the web server's
# worker timeout (WAYPOINT_WORKER_TIMEOUT, 30 s), which would kill the request half-way.
INVITATIONS_SECONDS = 15


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
def cohort_create(*, mentor, name: str, roadmap: Roadmap, email_domains: str = "") -> Cohort:
    """A new cohort on ``roadmap``, mentored by ``mentor``, with a fresh invite code,
    taking students at ``email_domains`` only ("college.edu, students.college.edu";
    "" takes anyone with the link).

    Raises CohortRefused when the roadmap is not published (students could not follow
    it) or the name is blank.
    """
    name = name.strip()
    if not name:
        raise CohortRefused("Give the cohort a name.")
    if not Roadmap.objects.published().filter(pk=roadmap.pk).exists():
        raise CohortRefused(f"{roadmap.title} is not published, so students could not join.")
    cohort = Cohort.objects.create(name=name, roadmap=roadmap, email_domains=email_domains)
    cohort.mentors.add(mentor)
    return cohort


def cohort_join(*, student, cohort: Cohort) -> Joined:
    """``student`` joins ``cohort`` and follows its roadmap, both or neither.

    Joining twice (a double click, two tabs) changes nothing and says so
    (``Joined.new`` False); the roadmap is followed either way. Raises CohortRefused
    when the cohort no longer takes students (archived, or its roadmap unpublished
    since the invite page was opened), or when it takes only addresses at its
    ``email_domains`` and ``student``'s is not one (a member already in stays in).
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
        if new and not joinable.admits(student.email):
            raise CohortRefused(
                f"{cohort.name} takes students with an address at "
                f"{joinable.domains_in_words()} only, and you signed in as {student.email}. "
                "Sign in with your college account, or ask your mentor."
            )
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


# Roster import: cohorts/roster.py reads the file; these sort its rows against the
# database and act on them.


@dataclass
class RosterPreview:
    """A roster sorted against the database, each list in file order: ``new`` rows (no
    account: an invitation by email), ``existing`` (row, user) pairs who join directly,
    ``members`` (row, user) already in the cohort, ``invited`` (row, Invitation)
    invited before, and ``refused`` rows of the file."""

    new: list[RosterRow]
    existing: list[tuple[RosterRow, User]]
    members: list[tuple[RosterRow, User]]
    invited: list[tuple[RosterRow, Invitation]]
    refused: list[RefusedRow]


@dataclass
class RosterResult:
    """What ``roster_import`` did: ``joined`` users, ``invited`` Invitations mailed now,
    ``unsent`` rows whose mail could not go out (not recorded: importing again retries
    them), and the ``preview`` it acted on (members, earlier invitations, refusals)."""

    joined: list[User]
    invited: list[Invitation]
    unsent: list[RosterRow]
    preview: RosterPreview


def roster_preview(*, cohort: Cohort, roster: Roster) -> RosterPreview:
    """Sorts ``roster``'s accepted rows into new people, existing accounts, members and
    earlier invitations of ``cohort``, comparing email addresses without case; a row
    whose address is not at the cohort's ``email_domains`` is refused with the reason.
    At most 3 queries, whatever the roster's length."""
    keys = [row.key for row in roster.rows]
    users = {
        user.key: user for user in User.objects.annotate(key=Lower("email")).filter(key__in=keys)
    }
    members = set(
        Membership.objects.filter(cohort=cohort, student__in=users.values()).values_list(
            "student_id", flat=True
        )
    )
    invitations = {
        invitation.key: invitation
        for invitation in Invitation.objects.annotate(key=Lower("email")).filter(
            cohort=cohort, key__in=keys
        )
    }
    preview = RosterPreview([], [], [], [], list(roster.refused))
    for row in roster.rows:
        user = users.get(row.key)
        if not cohort.admits(row.email):
            reason = f"Not an address at {cohort.domains_in_words()}, which this cohort requires."
            preview.refused.append(RefusedRow(row.line, row.name, row.email, (reason,)))
            continue
        if user is not None and user.pk in members:
            preview.members.append((row, user))
        elif user is not None:
            preview.existing.append((row, user))
        elif row.key in invitations:
            preview.invited.append((row, invitations[row.key]))
        else:
            preview.new.append(row)
    preview.refused.sort(key=lambda refused: refused.line)
    return preview


def roster_import(*, cohort: Cohort, roster: Roster, invited_by, join_url: str) -> RosterResult:
    """Acts on ``roster`` for ``cohort``: existing accounts join it (``cohort_join``, one
    transaction each), new people get an invitation mail with ``join_url`` (absolute)
    from ``invited_by``, recorded as an Invitation. Members and people invited before
    are left alone, so importing the same roster again changes nothing.

    The rows are sorted again here (``roster_preview``), not taken from the preview
    the mentor saw: accounts may have been made since. A mail that cannot be sent is
    not recorded and is listed in ``unsent``, as are those left when sending takes
    longer than INVITATIONS_SECONDS; the others go on. With mail off
    (settings.MAIL_DELIVERS False) every new person is in ``unsent``.

    Raises CohortRefused when the cohort no longer takes students, or when another
    import of the same cohort recorded the same invitations at the same moment.
    Queries: 6 for any number of new people (the cohort's state, the sorting's 2, then
    one transaction that locks the cohort, reads invitations made meanwhile and inserts
    all the new ones at once), plus ``cohort_join``'s 7 (and 4 savepoints) per existing
    account joining.
    """
    if not Cohort.objects.joinable().filter(pk=cohort.pk).exists():
        raise CohortRefused(f"{cohort.name} is no longer taking students, so nobody was added.")
    preview = roster_preview(cohort=cohort, roster=roster)
    joined = []
    for _, user in preview.existing:
        if cohort_join(student=user, cohort=cohort).new:
            joined.append(user)
    if not settings.MAIL_DELIVERS:
        return RosterResult(joined, [], list(preview.new), preview)
    invitations = _record_invitations(cohort, preview.new, invited_by)
    sent = _send_invitations(cohort, invitations, invited_by, join_url)
    unsent = [invitation for invitation in invitations if invitation not in sent]
    if unsent:
        Invitation.objects.filter(pk__in=[invitation.pk for invitation in unsent]).delete()
    unsent_keys = {invitation.email.lower() for invitation in unsent}
    return RosterResult(
        joined, sent, [row for row in preview.new if row.key in unsent_keys], preview
    )


def _record_invitations(cohort, rows, invited_by) -> list[Invitation]:
    """Invitations for ``rows`` that no other import recorded meanwhile, made before
    any mail goes out: a second confirm of the same file (a double click) waits for
    the cohort's row, then finds them and sends nothing."""
    if not rows:
        return []
    now = timezone.now()
    try:
        with transaction.atomic():
            Cohort.objects.select_for_update(of=("self",)).filter(pk=cohort.pk).first()
            taken = set(
                Invitation.objects.annotate(key=Lower("email"))
                .filter(cohort=cohort, key__in=[row.key for row in rows])
                .values_list("key", flat=True)
            )
            return Invitation.objects.bulk_create(
                Invitation(
                    cohort=cohort,
                    email=row.email,
                    name=row.name,
                    entry_year=row.entry_year,
                    batch=row.batch,
                    invited_by=invited_by,
                    sent_at=now,
                )
                for row in rows
                if row.key not in taken
            )
    except IntegrityError:  # where the database cannot lock a row (SQLite)
        raise CohortRefused(
            f"Another import for {cohort.name} ran at the same moment, so this one stopped "
            "before sending anything. Upload the file again to see where things stand."
        ) from None


def _send_invitations(cohort, invitations, invited_by, join_url) -> list[Invitation]:
    """Mails each invitation over one connection; returns those that went out. A
    refused address or a lost connection stops that mail, not the others; after
    INVITATIONS_SECONDS the rest wait for the next import of the file."""
    sent = []
    if not invitations:
        return sent
    deadline = time.monotonic() + INVITATIONS_SECONDS
    try:
        with mailers.default as connection:
            for invitation in invitations:
                if time.monotonic() >= deadline:
                    break
                message = invitation_mail(
                    invitation, cohort=cohort, invited_by=invited_by, join_url=join_url
                )
                try:
                    if connection.send_messages([message]):
                        sent.append(invitation)
                except (smtplib.SMTPException, OSError):
                    logger.warning("Invitation to %s not sent", invitation.email, exc_info=True)
    except (smtplib.SMTPException, OSError):  # the connection did not open
        logger.warning("No invitation mail sent for cohort %s", cohort.pk, exc_info=True)
    return sent


def invitation_mail(invitation, *, cohort, invited_by, join_url) -> EmailMultiAlternatives:
    """The invitation to ``cohort`` for ``invitation.email``: plain text and HTML (no
    images, nothing remote), with ``join_url``; replies go to the mentor."""
    context = {
        "name": invitation.name,
        "cohort": cohort,
        "mentor": invited_by,
        "join_url": join_url,
    }
    subject = " ".join(render_to_string("cohorts/email/invitation_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject,
        render_to_string("cohorts/email/invitation.txt", context),
        to=[invitation.email],
        reply_to=[invited_by.email] if invited_by and invited_by.email else [],
    )
    message.attach_alternative(
        render_to_string("cohorts/email/invitation.html", context), "text/html"
    )
    return message
