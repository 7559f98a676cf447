"""Mail to mentors, built in the background (``cohorts.tasks``): new evidence to review,
batched (``evidence_mails``), and the weekly digest of their cohorts (``mentor_digests``).

Both return unsaved ``Delivery`` rows of one kind and key, for
``accounts.outbox.mail_queue_many``: one mail per mentor, however many cohorts, students
or pieces of evidence it covers (issue 14: "never one mail per event"), and the same
mail is queued once however often the work runs.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import F, Max, Prefetch
from django.urls import reverse

from accounts.models import Delivery, MailKind, User
from accounts.outbox import absolute_url, render_mail, week_key
from roadmap.figures import ItemTable
from roadmap.models import Progress

from .models import Cohort
from .overview import BEHIND, INACTIVE, ON_TRACK, StuckItem, StudentRow, cohort_overview

EVIDENCE_KEY = "evidence-"  # the start of every batched evidence mail's key
EVIDENCE_NAMED = 5  # pieces of evidence named per cohort in that mail; the rest are counted
DIGEST_NAMED = 10  # students named per list in the weekly digest; the rest are counted
DIGEST_STUCK = 3  # stuck items per cohort in the weekly digest
WEEK = timedelta(days=7)


def _cohort_url(name: str, cohort_pk: int, **query) -> str:
    path = reverse(f"cohorts:{name}", args=[cohort_pk])
    return absolute_url(f"{path}?{urlencode(query)}" if query else path)


# -- New evidence to review, batched -------------------------------------------------


def evidence_key(now: datetime) -> str:
    """The key of the evidence mail for the window of ``WAYPOINT_REVIEW_MAIL_HOURS``
    that holds ``now``, e.g. "evidence-2026-12-03T06:00" for 3 hours. Windows are
    counted from the Unix epoch in UTC, so every scheduler agrees on them, and two
    runs in one window (two schedulers) queue one mail."""
    span = settings.WAYPOINT_REVIEW_MAIL_HOURS * 3600
    start = int(now.timestamp()) // span * span
    return f"{EVIDENCE_KEY}{datetime.fromtimestamp(start, UTC):%Y-%m-%dT%H:%M}"


@dataclass
class CohortEvidence:
    """One cohort's part of an evidence mail: ``waiting`` counts all its evidence
    awaiting review, ``new`` is (student, item title) of what came since the mentor's
    last such mail, newest first."""

    cohort_name: str
    waiting: int
    new: list[tuple[str, str]]
    review_url: str

    @property
    def named(self) -> list[tuple[str, str]]:
        return self.new[:EVIDENCE_NAMED]

    @property
    def unnamed(self) -> int:
        return max(len(self.new) - EVIDENCE_NAMED, 0)


def evidence_mails(*, now: datetime) -> list[Delivery]:
    """One REVIEWS mail per mentor with new evidence to review, keyed ``evidence_key(now)``.

    A mentor gets one when evidence awaiting review (``Progress.objects.awaiting_review``)
    of a student in one of their active cohorts, on its roadmap (published: the only
    evidence a mentor can review), was added since their last such mail, and that
    mail is older than ``WAYPOINT_REVIEW_MAIL_HOURS`` (issue 14: at most one every few
    hours). A mentor never mailed before hears of everything waiting. Mentors who
    turned these mails off, or whose address bounced, are left out.

    Queries: 4 whatever the number of mentors, cohorts and pieces of evidence.
    """
    wanting = User.objects.filter(is_active=True, mail_reviews=True, mail_bounced_at=None)
    mentorships = list(
        Cohort.mentors.through.objects.filter(
            cohort__active=True, cohort__roadmap__published=True, user__in=wanting
        ).values_list("user_id", "cohort_id", "cohort__name")
    )
    last_mail = dict(
        Delivery.objects.filter(
            kind=MailKind.REVIEWS,
            key__startswith=EVIDENCE_KEY,
            recipient__in={mentor for mentor, _, _ in mentorships},
        )
        .values("recipient")
        .annotate(last=Max("created_at"))
        .values_list("recipient", "last")
        .order_by()
    )
    window = now - timedelta(hours=settings.WAYPOINT_REVIEW_MAIL_HOURS)
    # Mailed within the window: nothing now; what came since waits for the next mail.
    mentorships = [row for row in mentorships if last_mail.get(row[0], window) <= window]
    if not mentorships:
        return []
    waiting = defaultdict(list)  # cohort id: [(student, item title, added at)], newest first
    rows = (
        Progress.objects.awaiting_review()
        # One join to the membership: the student's cohort, and that cohort's roadmap.
        .filter(
            student__memberships__cohort__in={cohort for _, cohort, _ in mentorships},
            item__milestone__stage__roadmap=F("student__memberships__cohort__roadmap"),
        )
        .values_list(
            "student__memberships__cohort",
            "student__name",
            "student__email",
            "item__title",
            "evidence_added_at",
        )
        .order_by(F("evidence_added_at").desc(nulls_last=True), "-pk")
    )
    for cohort, name, email, title, added in rows:
        waiting[cohort].append((name or email, title, added))
    sections = defaultdict(list)  # mentor id: [CohortEvidence]
    for mentor, cohort, cohort_name in sorted(mentorships, key=lambda row: (row[2], row[1])):
        last = last_mail.get(mentor)
        new = [
            (student, title)
            for student, title, added in waiting[cohort]
            if last is None or (added is not None and added > last)
        ]
        if new:
            review_url = _cohort_url("review_queue", cohort)
            sections[mentor].append(
                CohortEvidence(cohort_name, len(waiting[cohort]), new, review_url)
            )
    mentors = User.objects.in_bulk(sections)
    key = evidence_key(now)
    deliveries = []
    for mentor_pk, cohorts in sections.items():
        mentor = mentors[mentor_pk]
        context = {
            "cohorts": cohorts,
            "new": sum(len(cohort.new) for cohort in cohorts),
            "hours": settings.WAYPOINT_REVIEW_MAIL_HOURS,
        }
        subject, text, html = render_mail(
            "cohorts/email/evidence_waiting", context, recipient=mentor, kind=MailKind.REVIEWS
        )
        deliveries.append(
            Delivery(
                recipient=mentor,
                kind=MailKind.REVIEWS,
                key=key,
                subject=subject,
                text=text,
                html=html,
                # When the evidence was read: what is added after it is new next time.
                created_at=now,
            )
        )
    return deliveries


# -- The weekly digest of each cohort -------------------------------------------------


@dataclass
class CohortWeek:
    """One cohort's section of a mentor's weekly digest."""

    cohort: Cohort
    students: int
    on_track: int
    behind: int
    newly_behind: list[StudentRow]  # behind pace now, on track a week ago
    inactive: list[StudentRow]  # WAYPOINT_INACTIVE_DAYS without activity (cohort_pace)
    waiting: int  # pieces of evidence awaiting review
    stuck: list[StuckItem]
    urls: dict[str, str] = field(default_factory=dict)  # absolute: dashboard, review, ...

    @property
    def newly_behind_named(self) -> list[StudentRow]:
        return self.newly_behind[:DIGEST_NAMED]

    @property
    def newly_behind_unnamed(self) -> int:
        return max(len(self.newly_behind) - DIGEST_NAMED, 0)

    @property
    def inactive_named(self) -> list[StudentRow]:
        return self.inactive[:DIGEST_NAMED]

    @property
    def inactive_unnamed(self) -> int:
        return max(len(self.inactive) - DIGEST_NAMED, 0)


def _on_track_a_week_ago(row: StudentRow, then: ItemTable, progress, today: date) -> bool:
    """Whether ``row``'s student, behind pace today, was on track a week before
    ``today``: their progress as it is now, against what was due then among the items
    the roadmap had then (``then``). What puts a student who kept going behind is what
    is due moving on: a new semester, or required items added this week. (A student
    who un-ticked an item this week was behind already by that measure and is not
    counted as newly behind; the dashboard shows them as behind.)"""
    return then.summarize(progress, clock=row.clock, today=today - WEEK).pace.on_track


def cohort_week(cohort: Cohort, *, today: date, now: datetime) -> CohortWeek:
    """The digest section of ``cohort`` on ``today`` (study points) at ``now``
    (inactivity), from ``cohort_overview``: its 5 queries, whatever the cohort's size."""
    overview = cohort_overview(cohort, today=today, now=now)
    # The roadmap as it was a week ago: items added since were not due then.
    then = ItemTable(item for item in overview.items if item.created_at <= now - WEEK)
    rows = sorted(overview.rows, key=lambda row: (row.student.name.lower(), row.student.email))
    newly_behind = [
        row
        for row in rows
        if row.pace == BEHIND
        and _on_track_a_week_ago(row, then, overview.progress_by_student[row.student.pk], today)
    ]
    return CohortWeek(
        cohort=cohort,
        students=len(rows),
        on_track=sum(row.pace == ON_TRACK for row in rows),
        behind=sum(row.pace == BEHIND for row in rows),
        newly_behind=newly_behind,
        inactive=[row for row in rows if row.pace == INACTIVE],
        waiting=sum(row.pending_reviews for row in rows),
        stuck=overview.stuck_items(limit=DIGEST_STUCK),
        urls={
            "dashboard": _cohort_url("dashboard", cohort.pk),
            "behind": _cohort_url("dashboard", cohort.pk, pace=BEHIND),
            "inactive": _cohort_url("dashboard", cohort.pk, pace=INACTIVE),
            "review": _cohort_url("review_queue", cohort.pk),
            "grid": _cohort_url("grid", cohort.pk),
            "nudge_inactive": _cohort_url("nudge", cohort.pk, pace=INACTIVE),
            "nudge_behind": _cohort_url("nudge", cohort.pk, pace=BEHIND),
        },
    )


def digest_key(today: date) -> str:
    """ "mentor-2026-W49": the week's key, apart from the students' weekly digest
    (``week_key`` alone), so a mentor who also follows a roadmap gets both."""
    return f"mentor-{week_key(today)}"


def mentor_digests(*, today: date, now: datetime) -> list[Delivery]:
    """One DIGEST mail per mentor, keyed ``digest_key(today)``, with a section per active
    cohort of theirs that has students (``cohort_week``): who is newly behind pace,
    who is inactive, evidence waiting for review, and the items where the cohort is
    stuck. Mentors who turned the digest off, whose address bounced, or who already
    have this week's are left out before anything is worked out.

    Queries: 2, plus ``cohort_week``'s 5 per cohort with such a mentor; none per
    student, mentor or mail.
    """
    key = digest_key(today)
    sent = Delivery.objects.filter(kind=MailKind.DIGEST, key=key).values("recipient")
    wanting = (
        User.objects.filter(is_active=True, mail_digest=True, mail_bounced_at=None)
        .exclude(pk__in=sent)
        .order_by("pk")
    )
    cohorts = (
        Cohort.objects.filter(active=True)
        .select_related("roadmap")
        .prefetch_related(Prefetch("mentors", queryset=wanting, to_attr="digest_mentors"))
        .order_by("name", "pk")
    )
    weeks = defaultdict(list)  # mentor id: [CohortWeek]
    mentors = {}
    for cohort in cohorts:
        if not cohort.digest_mentors:
            continue
        week = cohort_week(cohort, today=today, now=now)
        if not week.students:
            continue
        for mentor in cohort.digest_mentors:
            mentors[mentor.pk] = mentor
            weeks[mentor.pk].append(week)
    deliveries = []
    for mentor_pk, mentor_weeks in weeks.items():
        context = {
            "weeks": mentor_weeks,
            "headline": digest_headline(mentor_weeks),
            "inactive_days": settings.WAYPOINT_INACTIVE_DAYS,
        }
        subject, text, html = render_mail(
            "cohorts/email/mentor_digest",
            context,
            recipient=mentors[mentor_pk],
            kind=MailKind.DIGEST,
        )
        deliveries.append(
            Delivery(
                recipient=mentors[mentor_pk],
                kind=MailKind.DIGEST,
                key=key,
                subject=subject,
                text=text,
                html=html,
            )
        )
    return deliveries


def digest_headline(weeks: list[CohortWeek]) -> str:
    """The week in a few words, for the subject: "2 newly behind, 3 inactive, 4 to
    review", or "nothing needs you" when none of those has anyone."""
    figures = [
        (sum(len(week.newly_behind) for week in weeks), "newly behind"),
        (sum(len(week.inactive) for week in weeks), "inactive"),
        (sum(week.waiting for week in weeks), "to review"),
    ]
    said = [f"{count} {words}" for count, words in figures if count]
    return ", ".join(said) if said else "nothing needs you"
