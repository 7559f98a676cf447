"""The weekly digest for students (issue 14): what is due this semester, what is still
open from earlier semesters, what mentors verified or sent back, and the week's
activity; built for a batch of students in a fixed number of queries, however many
students the batch holds.

The figures are the dashboard's own (``roadmap.figures``: percent done, pace), so a
number in the mail is the number on the page. ``roadmap.tasks.weekly_student_digests``
walks the students in batches, renders each digest and queues it in the outbox.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Delivery, MailKind, User
from accounts.outbox import absolute_url, render_mail

from .figures import AcademicClock, ItemTable, RoadmapProgress
from .models import Enrollment, Item, Progress, ProgressEvent, Roadmap, Status

# "This week": the days before the digest is built that its reviews and activity cover.
DIGEST_DAYS = 7
# Items named in each list; the rest are counted, and the checklist has them all. Five
# keeps the mail one phone screen or two.
LIST_LIMIT = 5

Field = ProgressEvent.Field


class DigestProgress(NamedTuple):
    """What the digest reads of a Progress row: status and count for the figures (as
    ``figures.ItemTable.summarize`` reads them), and where a mentor's review left it."""

    status: str
    count: int
    verified: bool
    review_comment: str


class ItemLink(NamedTuple):
    item: Item
    url: str  # absolute: the item's own page (``roadmap:item``)


@dataclass(frozen=True)
class Review:
    """A mentor's review of the student's evidence that still stands: verified, or sent
    back with ``comment`` (what to fix)."""

    item: Item
    url: str  # absolute
    mentor: str  # the mentor's name, or "A mentor" when their account is gone
    verified: bool
    comment: str
    at: datetime


@dataclass
class RoadmapDigest:
    """One followed roadmap in a student's digest."""

    roadmap: Roadmap
    summary: RoadmapProgress  # the dashboard's figures; ``summary.pace`` None without a batch
    due: list[ItemLink]  # open required items due this semester, in roadmap order, at most five
    due_count: int  # all of them
    earlier: list[ItemLink]  # open required items due before it, soonest first, at most five
    earlier_count: int  # all of them
    dashboard_url: str  # absolute
    checklist_url: str  # absolute: the checklist showing what is due by now ("now")

    @property
    def pace(self):
        return self.summary.pace

    @property
    def due_more(self) -> int:
        """Items due this semester not named in ``due``."""
        return self.due_count - len(self.due)

    @property
    def earlier_more(self) -> int:
        """Items from earlier semesters not named in ``earlier``."""
        return self.earlier_count - len(self.earlier)

    @property
    def behind_count(self) -> int:
        """Items due by now and not done: ``due_count + earlier_count``, the dashboard's
        "N items were due by ..." (0 without a batch)."""
        return len(self.pace.behind) if self.pace else 0


@dataclass
class StudentDigest:
    student: User
    roadmaps: list[RoadmapDigest]
    reviews: list[Review] = field(default_factory=list)  # oldest first
    changes: int = 0  # the student's own changes in the last DIGEST_DAYS days
    active_days: int = 0  # local days with at least one of them

    @property
    def has_batch(self) -> bool:
        return AcademicClock.of(self.student) is not None

    @property
    def sent_back(self) -> list[Review]:
        return [review for review in self.reviews if not review.verified]


def digest_recipients() -> QuerySet[User]:
    """The students who get the weekly digest, by pk: active accounts that follow at
    least one published roadmap, with the digest on and an address that has not
    bounced."""
    follows = Enrollment.objects.filter(student=OuterRef("pk"), roadmap__published=True)
    return (
        User.objects.filter(is_active=True, mail_digest=True, mail_bounced_at__isnull=True)
        .filter(Exists(follows))
        .order_by("pk")
    )


def not_queued(students: Sequence[User], *, key: str) -> list[User]:
    """Those of ``students`` with no digest queued under ``key`` (``outbox.week_key``)
    yet, in one query: a second run in the same week (a second scheduler) skips the
    building and rendering of those the first one queued.

    One indexed look-up per batch rather than a NOT EXISTS in ``digest_recipients``:
    while a run adds its thousands of rows, PostgreSQL's statistics still say the week
    has none, and it plans that anti-join as a loop over all of them for every student.
    """
    queued = set(
        Delivery.objects.filter(
            recipient__in=[student.pk for student in students], kind=MailKind.DIGEST, key=key
        ).values_list("recipient_id", flat=True)
    )
    return [student for student in students if student.pk not in queued]


class Outlines:
    """Each roadmap's active items (``Item.objects.outline()``) as an ``ItemTable``, and
    each item's absolute address: loaded once per roadmap for a whole run of digests,
    whatever the number of batches and students."""

    def __init__(self):
        self.tables: dict[int, ItemTable] = {}
        self.items: dict[int, Item] = {}
        self.urls: dict[int, str] = {}

    def load(self, roadmap_ids: Iterable[int]) -> None:
        """Load the roadmaps of ``roadmap_ids`` not loaded yet, in one query (none when
        all are)."""
        missing = set(roadmap_ids) - set(self.tables)
        if not missing:
            return
        by_roadmap = defaultdict(list)
        items = Item.objects.filter(milestone__stage__roadmap__in=missing).outline(skills=False)
        for item in items:
            by_roadmap[item.milestone.stage.roadmap_id].append(item)
            self.items[item.pk] = item
            self.urls[item.pk] = absolute_url(reverse("roadmap:item", args=[item.pk]))
        for roadmap_id in missing:
            self.tables[roadmap_id] = ItemTable(by_roadmap[roadmap_id])

    def links(self, items: Iterable[Item]) -> list[ItemLink]:
        return [ItemLink(item, self.urls[item.pk]) for item in items]


def student_digests(
    students: Sequence[User], *, today: date, now: datetime, outlines: Outlines | None = None
) -> list[StudentDigest]:
    """The digest of each of ``students`` (users, in the order given).

    ``today`` (a local date) sets each student's study point, so what is due this
    semester and what is behind (``figures.study_point``, PRODUCT.md "Pace"); ``now``
    ends the week of reviews and activity (the last DIGEST_DAYS days). ``outlines``
    keeps the roadmaps loaded across batches; a new one loads them.

    Four queries, whatever the number of students: their enrollments (published
    roadmaps only), the outlines of roadmaps not loaded yet (none when ``outlines``
    holds them all), their progress, and their events of the week. A student without a
    batch gets percent done but no pace, so nothing "due" or "behind".
    """
    outlines = outlines if outlines is not None else Outlines()
    ids = [student.pk for student in students]
    enrollments = list(
        Enrollment.objects.filter(student__in=ids, roadmap__published=True)
        .select_related("roadmap")
        .defer("roadmap__guide_values")
        .order_by("student_id", "created_at", "pk")
    )
    outlines.load(enrollment.roadmap_id for enrollment in enrollments)
    followed = defaultdict(list)
    for enrollment in enrollments:
        followed[enrollment.student_id].append(enrollment.roadmap)
    progress = _progress_by_student(ids)
    reviews, changes, days = _week(ids, since=now - timedelta(days=DIGEST_DAYS), outlines=outlines)
    digests = []
    for student in students:
        own = progress[student.pk]
        clock = AcademicClock.of(student)
        roadmaps = [
            roadmap_digest(roadmap, outlines, own, clock=clock, today=today)
            for roadmap in followed[student.pk]
        ]
        digests.append(
            StudentDigest(
                student=student,
                roadmaps=roadmaps,
                reviews=_standing(reviews[student.pk], own, outlines, followed[student.pk]),
                changes=changes[student.pk],
                active_days=len(days[student.pk]),
            )
        )
    return digests


def roadmap_digest(
    roadmap: Roadmap,
    outlines: Outlines,
    progress_by_item: dict[int, DigestProgress],
    *,
    clock: AcademicClock | None,
    today: date,
) -> RoadmapDigest:
    """One roadmap's part of a digest. What is due splits the pace's ``behind`` (required
    items due by the student's semester and not done, skipped ones included) into this
    semester's and earlier semesters'; between them they are the dashboard's count."""
    table = outlines.tables[roadmap.pk]
    summary = table.summarize(progress_by_item, clock=clock, today=today)
    due, earlier = [], []
    if summary.pace and summary.pace.point.started:
        point = summary.pace.point
        # Graduated: no semester is on, so everything open is from earlier semesters.
        term = None if point.graduated else point.term
        for item in summary.pace.behind:
            (due if item.due_term == term else earlier).append(item)
    checklist = reverse("roadmap:checklist", args=[roadmap.slug])
    return RoadmapDigest(
        roadmap=roadmap,
        summary=summary,
        due=outlines.links(due[:LIST_LIMIT]),
        due_count=len(due),
        earlier=outlines.links(earlier[:LIST_LIMIT]),
        earlier_count=len(earlier),
        dashboard_url=absolute_url(reverse("roadmap:dashboard", args=[roadmap.slug])),
        checklist_url=absolute_url(f"{checklist}?show=now"),
    )


def _progress_by_student(ids: list[int]) -> dict[int, dict[int, DigestProgress]]:
    """{student id: {item id: DigestProgress}} in one query, as plain tuples: 10,000
    students have a million rows. Rows that count for nothing (not started, no count, no
    review) stay in the database."""
    rows = (
        Progress.objects.filter(student__in=ids)
        .exclude(status=Status.NOT_STARTED, count=0, verified_at=None, review_comment="")
        .values_list("student_id", "item_id", "status", "count", "verified_at", "review_comment")
    )
    by_student: dict[int, dict[int, DigestProgress]] = defaultdict(dict)
    for student_id, item_id, status, count, verified_at, comment in rows:
        by_student[student_id][item_id] = DigestProgress(
            status, count, verified_at is not None, comment
        )
    return by_student


class _ReviewEvent(NamedTuple):
    item_id: int
    mentor: str
    at: datetime


def _week(ids: list[int], *, since: datetime, outlines: Outlines):
    """The students' events since ``since``, in one query, as three dicts by student id:
    {item id: the latest review of it by someone else}, the number of the student's own
    changes, and the local days they fall on. The student's own changes are their
    activity, as on the dashboard's heatmap (``ProgressEvent.by_the_student``); a
    mentor's review is not."""
    rows = (
        ProgressEvent.objects.filter(student__in=ids, created_at__gte=since)
        .filter(Q(actor_id=F("student_id")) | Q(field=Field.VERIFICATION))
        .values_list(
            "student_id",
            "item_id",
            "actor_id",
            "field",
            "created_at",
            "actor__name",
            "actor__email",
        )
        .order_by("created_at", "pk")
    )
    reviews: dict[int, dict[int, _ReviewEvent]] = defaultdict(dict)
    changes: dict[int, int] = defaultdict(int)
    days: dict[int, set[date]] = defaultdict(set)
    for student_id, item_id, actor_id, kind, at, name, email in rows:
        if actor_id == student_id:
            changes[student_id] += 1
            days[student_id].add(timezone.localtime(at).date())
        elif kind == Field.VERIFICATION and item_id in outlines.items:
            # Later rows replace earlier ones: an undo, or a review after a resubmission.
            reviews[student_id][item_id] = _ReviewEvent(item_id, name or email or "", at)
    return reviews, changes, days


def _standing(
    events: dict[int, _ReviewEvent],
    progress: dict[int, DigestProgress],
    outlines: Outlines,
    roadmaps: list[Roadmap],
) -> list[Review]:
    """The reviews of the week that still stand, from the progress as it is now: verified,
    or sent back with a comment, on an item of one of ``roadmaps`` (those the student
    follows, where its link opens). One undone, or whose evidence the student has
    replaced since (which clears the review), is left out."""
    followed = {roadmap.pk for roadmap in roadmaps}
    standing = []
    for event in sorted(events.values(), key=lambda event: event.at):
        item = outlines.items[event.item_id]
        now = progress.get(event.item_id)
        if item.milestone.stage.roadmap_id not in followed:
            continue
        if now is None or not (now.verified or now.review_comment):
            continue
        standing.append(
            Review(
                item=item,
                url=outlines.urls[item.pk],
                mentor=event.mentor or "A mentor",
                verified=now.verified,
                comment=now.review_comment,
                at=event.at,
            )
        )
    return standing


def digest_mail(digest: StudentDigest, *, key: str) -> Delivery:
    """The unsaved outbox row of one digest (``outbox.mail_queue_many`` saves a batch of
    them): subject, plain text and HTML from ``templates/roadmap/email/digest*``, of
    kind DIGEST under ``key``, the week (``outbox.week_key``)."""
    subject, text, html = render_mail(
        "roadmap/email/digest",
        {"digest": digest, "profile_url": absolute_url(reverse("accounts:profile"))},
        recipient=digest.student,
        kind=MailKind.DIGEST,
    )
    return Delivery(
        recipient=digest.student,
        kind=MailKind.DIGEST,
        key=key,
        subject=subject[:200],
        text=text,
        html=html,
    )
