"""What a mentor sees of a cohort, computed with the same progress maths the
students' own pages use, in a fixed number of queries however large the cohort."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db.models import Count, Max

from accounts.models import User
from roadmap.figures import (
    ItemTable,
    RoadmapProgress,
    Tally,
    fraction_done,
    study_point,
)
from roadmap.models import Item, Milestone, Progress, ProgressEvent, Stage, Status

from .models import Cohort

ON_TRACK, BEHIND, INACTIVE = "on_track", "behind", "inactive"


class ProgressState(NamedTuple):
    """What the progress maths reads of a Progress row."""

    status: str
    count: int


PACE_LABELS = {ON_TRACK: "On track", BEHIND: "Behind", INACTIVE: "Inactive"}


@dataclass
class StudentRow:
    student: User
    joined_at: datetime
    summary: RoadmapProgress
    last_activity: datetime | None
    pending_reviews: int
    pace: str  # ON_TRACK, BEHIND or INACTIVE
    stage_tallies: list = field(default_factory=list)  # aligned with the cohort's stages

    @property
    def pace_label(self) -> str:
        return PACE_LABELS[self.pace]


@dataclass
class CohortOverview:
    cohort: Cohort
    stages: list[Stage]
    milestones: list[Milestone]
    items: list[Item]
    rows: list[StudentRow]
    progress_by_student: dict[int, dict[int, "ProgressState"]]

    def stuck_items(self, today: date, limit: int = 8) -> list["StuckItem"]:
        """Required items already due for most of the cohort, least completed first.

        Each comes with a Tally over the students it is due for (``total``): ``complete``
        students finished it, ``done`` adds the counted share of the others, so its
        percent is the one the percent partial prints, rounded down like every other."""
        terms = {
            row.student.pk: study_point(row.student.batch, today).term
            for row in self.rows
            if row.student.batch
        }
        if not terms:
            return []
        stuck = []
        for item in self.items:
            if item.optional:
                continue
            due_for = [pk for pk, term in terms.items() if item.due_term <= term]
            if len(due_for) * 2 <= len(self.rows):
                continue
            fractions = [
                fraction_done(item, self.progress_by_student[pk].get(item.pk)) for pk in due_for
            ]
            students = Tally(
                done=sum(fractions),
                complete=len([f for f in fractions if f >= 1.0]),
                total=len(due_for),
            )
            if students.complete < students.total:
                stuck.append(StuckItem(item, students))
        stuck.sort(key=lambda entry: (entry.students.percent, entry.item.due_term))
        return stuck[:limit]


class StuckItem(NamedTuple):
    item: Item
    students: Tally  # over the students the item is due for


def cohort_pace(
    summary: RoadmapProgress, last_activity: datetime | None, now: datetime, *, joined_at: datetime
) -> str:
    """ON_TRACK, BEHIND or INACTIVE, as the mentor's pages show a student's pace.

    Inactive: both the last activity and the joining are older than
    ``WAYPOINT_INACTIVE_DAYS`` (PRODUCT.md), so a new joiner is not inactive on day one.
    Behind: the same verdict the student's own pages show (``Pace.on_track``).
    """
    inactive_since = now - timedelta(days=settings.WAYPOINT_INACTIVE_DAYS)
    latest = max(last_activity, joined_at) if last_activity else joined_at
    if latest < inactive_since:
        return INACTIVE
    if summary.pace is not None and not summary.pace.on_track:
        return BEHIND
    return ON_TRACK


def cohort_overview(cohort: Cohort, *, today: date, now: datetime) -> CohortOverview:
    roadmap = cohort.roadmap
    memberships = list(cohort.memberships.select_related("student"))
    table = ItemTable(Item.objects.of_roadmap(roadmap).outline(skills=False))
    items = table.items
    # Plain tuples, not model instances: a 500-student cohort has tens of thousands.
    # The active items' ids stand for "this roadmap, not archived" without three joins;
    # rows that count for nothing (not started, no count) are left in the database.
    of_cohort = Progress.objects.filter(
        student__memberships__cohort=cohort, item__in=[item.pk for item in items]
    )
    progress_by_student: dict[int, dict[int, ProgressState]] = defaultdict(dict)
    progress_rows = of_cohort.exclude(status=Status.NOT_STARTED, count=0).values_list(
        "student_id", "item_id", "status", "count"
    )
    for student_id, item_id, status, count in progress_rows:
        progress_by_student[student_id][item_id] = ProgressState(status, count)
    pending = dict(
        of_cohort.awaiting_review()
        .values("student")
        .annotate(waiting=Count("pk"))
        .values_list("student", "waiting")
        .order_by()
    )
    last_activity = dict(
        ProgressEvent.objects.filter(student__memberships__cohort=cohort)
        .of_roadmap(roadmap)
        .by_the_student()
        .values("student")
        .annotate(last=Max("created_at"))
        .values_list("student", "last")
        .order_by()
    )
    stages = table.stages
    rows = []
    for membership in memberships:
        student = membership.student
        summary = table.summarize(progress_by_student[student.pk], batch=student.batch, today=today)
        last = last_activity.get(student.pk)
        rows.append(
            StudentRow(
                student=student,
                joined_at=membership.joined_at,
                summary=summary,
                last_activity=last,
                pending_reviews=pending.get(student.pk, 0),
                pace=cohort_pace(summary, last, now, joined_at=membership.joined_at),
                stage_tallies=[summary.by_stage.get(stage.pk) for stage in stages],
            )
        )
    return CohortOverview(
        cohort=cohort,
        stages=stages,
        milestones=table.milestones,
        items=items,
        rows=rows,
        progress_by_student=progress_by_student,
    )


SORT_KEYS = {
    "name": lambda row: (row.student.name.lower(), row.student.email),
    "overall": lambda row: row.summary.overall.done / (row.summary.overall.total or 1),
    "pace": lambda row: list(PACE_LABELS).index(row.pace),
    "last_activity": lambda row: row.last_activity.timestamp() if row.last_activity else 0,
    "pending": lambda row: row.pending_reviews,
}


def sort_rows(rows: list[StudentRow], sort: str) -> tuple[list[StudentRow], str]:
    """Sort by a column: "overall", "-overall", "stage-<pk>", ...; unknown keys sort by name."""
    field = sort.removeprefix("-")
    if field.startswith("stage-") and field[6:].isdigit():
        stage_pk = int(field[6:])

        def key(row):
            tally = row.summary.by_stage.get(stage_pk)
            return tally.done / tally.total if tally and tally.total else 0

    elif field in SORT_KEYS:
        key = SORT_KEYS[field]
    else:
        return sorted(rows, key=SORT_KEYS["name"]), "name"
    return sorted(rows, key=key, reverse=sort.startswith("-")), sort


def filter_rows(rows: list[StudentRow], *, pace: str = "", query: str = "") -> list[StudentRow]:
    query = query.strip().lower()
    return [
        row
        for row in rows
        if (not pace or row.pace == pace)
        and (not query or query in row.student.name.lower() or query in row.student.email.lower())
    ]
