"""Nudges: a mentor's friendly message to students of a cohort, by mail.

``nudge_send`` is the one write: it records a ``Nudge`` per student and queues their
mail in one transaction. Two rules keep it friendly (issue 14): a student hears at most
one nudge a day, from whoever sends it, and a mentor sends at most
``WAYPOINT_NUDGES_PER_DAY`` a day. A "day" is the last 24 hours, so neither rule resets
at midnight.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import MailKind, User
from accounts.outbox import absolute_url, mail_queue, render_mail
from config.text import and_more

from .models import Cohort, Nudge
from .overview import BEHIND, INACTIVE
from .services import CohortRefused

NUDGE_GAP = timedelta(hours=24)  # a student is nudged at most once in this long
NUDGE_SHOWN = timedelta(days=7)  # the dashboard says "nudged on 3 Dec" for this long
NAMES_SHOWN = 10  # people named in a message about a nudge; the rest are counted

DEFAULT_MESSAGES = {
    INACTIVE: (
        "It has been a while since you last updated your {roadmap} checklist. How are "
        "things going? Tick off what you have done since, and tell me if something is in "
        "the way: I am happy to help."
    ),
    BEHIND: (
        "I was looking at our cohort's progress on the {roadmap} roadmap, and you are a "
        "few items behind where your year of study is. That happens. Pick one item that "
        "is due now and make a start this week; reply if you would like to talk it through."
    ),
    "": (
        "Just checking in on your progress with the {roadmap} roadmap. Have a look at what "
        "is due for your year, tick off what you have done, and reply if you would like a "
        "hand with anything."
    ),
}


class NudgeLimitReached(CohortRefused):
    """The mentor would pass ``WAYPOINT_NUDGES_PER_DAY``: nobody was nudged."""

    status_code = 429


class MailOff(CohortRefused):
    """This server sends no mail (``MAIL_DELIVERS``): nobody was nudged."""

    status_code = 503


def default_message(cohort: Cohort, pace: str = "") -> str:
    """The friendly text the nudge page starts from, for students of ``pace``
    (INACTIVE, BEHIND, or "" for a selection); the mentor edits it before sending."""
    return DEFAULT_MESSAGES.get(pace, DEFAULT_MESSAGES[""]).format(roadmap=cohort.roadmap.title)


def names(people: list) -> str:
    """ "Asha Verma, Ravi Kumar and 3 more": the first NAMES_SHOWN, then a count."""
    return and_more([str(person) for person in people], NAMES_SHOWN)


@dataclass(frozen=True)
class NudgeResult:
    """What ``nudge_send`` did, each list in the order the students were given:
    ``nudged`` got a Nudge and a mail; ``already`` were nudged (by anyone) in the last
    NUDGE_GAP and were left alone; ``unreachable`` take no mail from mentors (turned
    off, or their address bounced) and were not nudged."""

    nudged: list[User]
    already: list[User]
    unreachable: list[User]

    @property
    def summary(self) -> str:
        """The sentence the dashboard shows after sending, e.g. "Nudged 3 students.
        Already nudged in the last 24 hours, so not again: Asha Verma." """
        count = len(self.nudged)
        parts = [f"Nudged {count} student{'s' if count != 1 else ''}."]
        if not count:
            parts = ["Nobody was nudged."]
        if self.already:
            parts.append(
                f"Already nudged in the last 24 hours, so not again: {names(self.already)}."
            )
        if self.unreachable:
            parts.append(
                f"Not sent to {names(self.unreachable)}: they take no mail from mentors "
                "(turned off, or the address does not work)."
            )
        return " ".join(parts)


def nudge_send(*, mentor, cohort: Cohort, students: list[User], message: str) -> NudgeResult:
    """Nudges ``students`` of ``cohort`` from ``mentor``: a ``Nudge`` each and a mail
    each (kind NUDGES, key "nudge-<id>", replies to the mentor) with ``message``, a
    greeting and a link to the student's dashboard. The caller has checked that the
    mentor may see the cohort and that every student is in it.

    Students nudged by anyone in the last NUDGE_GAP are skipped, as are those who take
    no mail from mentors; the result names both. Raises CohortRefused for a blank
    message, MailOff when this server sends no mail (``MAIL_DELIVERS``), and NudgeLimitReached
    (nothing sent) when the others would take the
    mentor past ``WAYPOINT_NUDGES_PER_DAY`` in the last 24 hours.

    Queries: 5 (3 when nobody is left to nudge), plus 4 per student nudged (their
    mail and its sending task).
    """
    if not settings.MAIL_DELIVERS:
        raise MailOff(
            "This server sends no mail (no SMTP relay is set up), so a nudge cannot reach "
            "anyone. Nobody was nudged; ask the college's Waypoint admin to set up mail."
        )
    message = message.strip()
    if not message:
        raise CohortRefused("Write a message to send.")
    now = timezone.now()
    since = now - NUDGE_GAP
    with transaction.atomic():
        # Locks the sender and the students, in id order so two requests cannot
        # deadlock: a double click, or two mentors nudging one student at once, waits
        # here and then finds the first one's nudges (SQLite: the write transaction).
        list(
            User.objects.select_for_update()
            .filter(pk__in=[mentor.pk, *(student.pk for student in students)])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        recent = set(
            Nudge.objects.since(since)
            .filter(student__in=students)
            .values_list("student", flat=True)
        )
        already = [student for student in students if student.pk in recent]
        fresh = [student for student in students if student.pk not in recent]
        reachable = [student for student in fresh if student.mail_wanted(MailKind.NUDGES)]
        unreachable = [student for student in fresh if student not in reachable]
        if reachable:
            _check_limit(mentor, len(reachable), since)
            nudges = Nudge.objects.bulk_create(
                Nudge(
                    cohort=cohort, student=student, mentor=mentor, message=message, created_at=now
                )
                for student in reachable
            )
            for nudge in nudges:
                _queue_mail(nudge)
    return NudgeResult(reachable, already, unreachable)


def _check_limit(mentor, wanted: int, since) -> None:
    limit = settings.WAYPOINT_NUDGES_PER_DAY
    left = max(limit - Nudge.objects.filter(mentor=mentor).since(since).count(), 0)
    if wanted <= left:
        return
    if not left:
        raise NudgeLimitReached(
            f"You have sent {limit} nudges in the last 24 hours, the most a mentor can send "
            "in a day. Nobody was nudged; try again tomorrow."
        )
    raise NudgeLimitReached(
        f"You can send {left} more nudge{'s' if left != 1 else ''} today (at most {limit} a "
        f"day), and {wanted} students were chosen. Nobody was nudged; choose fewer students."
    )


def _queue_mail(nudge: Nudge) -> None:
    student, cohort = nudge.student, nudge.cohort
    context = {
        "nudge": nudge,
        "mentor": nudge.mentor,
        "cohort": cohort,
        "dashboard_url": absolute_url(reverse("roadmap:dashboard", args=[cohort.roadmap.slug])),
    }
    subject, text, html = render_mail(
        "cohorts/email/nudge", context, recipient=student, kind=MailKind.NUDGES
    )
    mail_queue(
        student,
        kind=MailKind.NUDGES,
        key=f"nudge-{nudge.pk}",
        subject=subject,
        text=text,
        html=html,
        reply_to=nudge.mentor.email,
    )
