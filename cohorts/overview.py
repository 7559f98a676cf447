"""What a mentor sees of a cohort, computed with the same progress maths the
students' own pages use, in a fixed number of queries however large the cohort."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import NamedTuple

from django.conf import settings
from django.db.models import Count, Max

from accounts.models import Programme, User
from roadmap.figures import AcademicClock, ItemTable, RoadmapProgress, Tally, fraction_done
from roadmap.models import Item, Milestone, Progress, ProgressEvent, Stage, Status
from roadmap.outline import roadmap_outline

from .models import Cohort

ON_TRACK, BEHIND, INACTIVE = "on_track", "behind", "inactive"

# What the mentor's pages, the CSV and the digest read of a student (name, address, clock).
STUDENT_FIELDS = [
    f"student__{name}" for name in ("name", "email", "batch", "entry_year", "programme_years")
]


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
    clock: AcademicClock | None  # AcademicClock.of(student): None without a batch
    stage_tallies: list = field(default_factory=list)  # aligned with the cohort's stages

    @property
    def pace_label(self) -> str:
        return PACE_LABELS[self.pace]

    @cached_property
    def stage_percents(self) -> list[int | None]:
        """The percent done of each of the cohort's stages, as the table prints it: None
        for a stage without required items."""
        return [tally.percent if tally and tally.total else None for tally in self.stage_tallies]

    @cached_property
    def clock_label(self) -> str:
        """The student's academic clock in a few words, for the mentor's table:
        "batch 2025 · Year 2 (lateral) · 5-yr", "batch 2020 · Graduated", "no batch"."""
        clock = self.clock
        if clock is None or self.summary.pace is None:
            return "no batch"
        point = self.summary.pace.point
        where = f"Year {point.year}" if point.started and not point.graduated else point.label
        if not point.started:
            where = "not started"
        parts = [f"batch {clock.batch}", f"{where} (lateral)" if clock.lateral else where]
        if clock.programme_years != Programme.FOUR_YEARS:
            parts.append(f"{clock.programme_years}-yr")
        return " · ".join(parts)

    @cached_property
    def term(self) -> int | None:
        """The student's term of study today (0..8), None without a batch."""
        return self.summary.pace.point.term if self.summary.pace else None

    @cached_property
    def due_terms(self) -> range:
        """The due terms of the items due for the student by now: after their
        prerequisites (due before a lateral entrant's first year), up to their term.
        Empty without a batch. Worked out once: stuck items ask it of every item."""
        if self.term is None:
            return range(0)
        return range(self.clock.prerequisite_term + 1, self.term + 1)

    def is_due(self, item: Item) -> bool:
        """Whether ``item`` is due for the student by now: due by their term and not one
        of their prerequisites (due before a lateral entrant's first year)."""
        return item.due_term in self.due_terms

    @cached_property
    def owed(self) -> frozenset[int]:
        """Ids of the required items due by the student's term and not fully done
        (skipped ones included): their pace's ``behind``, empty without a batch."""
        return (
            frozenset(item.pk for item in self.summary.pace.behind)
            if self.summary.pace
            else frozenset()
        )


@dataclass(frozen=True)
class StuckItem:
    item: Item
    students: Tally  # over the students the item is due for; complete = those who did it
    not_done: list[User]  # those it is due for who have not done it, in the cohort's order


# The grid's shades, lightest to darkest: none done, four equal quarters, all done.
SHADES = ["0 %", "1–24 %", "25–49 %", "50–74 %", "75–99 %", "100 %"]


def shade(percent: int) -> int:
    """The grid's shade (an index of SHADES) for a whole percent 0..100."""
    if percent <= 0:
        return 0
    if percent >= 100:
        return len(SHADES) - 1
    return 1 + percent // 25


@dataclass(frozen=True)
class GridCell:
    """One student's figure for one milestone, as the grid shows it."""

    milestone: Milestone
    tally: Tally | None  # None or empty: the milestone has optional items only
    due: bool  # some required item of it is due by the student's term (True without a batch)
    prerequisite: bool = False  # all its required items come before a lateral entrant's start

    @property
    def shade(self) -> int:
        return shade(self.tally.percent) if self.tally else 0


@dataclass
class CohortOverview:
    cohort: Cohort
    stages: list[Stage]
    milestones: list[Milestone]
    items: list[Item]
    rows: list[StudentRow]
    progress_by_student: dict[int, dict[int, "ProgressState"]]

    def stuck_items(self, limit: int = 8) -> list[StuckItem]:
        """Required items already due for most of the cohort and not done by all of them,
        least completed first (then soonest due); at most ``limit``.

        Each reads its students off their pace (``StudentRow.owed``): its Tally is over
        the students it is due for (``total``), ``complete`` of them finished it, ``done``
        adds the counted share of the others, so its percent is the one the percent
        partial prints, rounded down like every other."""
        stuck = []
        for item in self.items:
            if item.optional:
                continue
            due_for = [row for row in self.rows if row.is_due(item)]
            if len(due_for) * 2 <= len(self.rows):
                continue
            not_done = [row for row in due_for if item.pk in row.owed]
            if not not_done:
                continue
            complete = len(due_for) - len(not_done)
            part_done = sum(
                fraction_done(item, self.progress_by_student[row.student.pk].get(item.pk))
                for row in not_done
            )
            students = Tally(done=complete + part_done, complete=complete, total=len(due_for))
            stuck.append(StuckItem(item, students, [row.student for row in not_done]))
        stuck.sort(key=lambda entry: (entry.students.percent, entry.item.due_term))
        return stuck[:limit]

    def not_done(self, item: Item) -> list[StudentRow]:
        """Rows of the students ``item`` is due for who have not done it."""
        return [row for row in self.rows if item.pk in row.owed]

    def grid(self, rows: list[StudentRow]) -> list[tuple[StudentRow, list[GridCell]]]:
        """Each of ``rows`` with one GridCell per milestone, in the overview's order."""
        first_due: dict[int, int] = {}  # milestone id: the earliest due term of its required items
        last_due: dict[int, int] = {}  # ... and the latest
        for item in self.items:
            if not item.optional:
                earliest = first_due.get(item.milestone_id, item.due_term)
                first_due[item.milestone_id] = min(earliest, item.due_term)
                last_due[item.milestone_id] = max(last_due.get(item.milestone_id, 0), item.due_term)
        grid = []
        for row in rows:
            before = row.clock.prerequisite_term if row.clock else 0
            grid.append(
                (
                    row,
                    [
                        GridCell(
                            milestone=milestone,
                            tally=row.summary.by_milestone.get(milestone.pk),
                            due=row.term is None or first_due.get(milestone.pk, 0) <= row.term,
                            prerequisite=0 < last_due.get(milestone.pk, 0) <= before,
                        )
                        for milestone in self.milestones
                    ],
                )
            )
        return grid


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
    """Every student of ``cohort`` with their figures, pace, last activity and evidence
    waiting, in 5 queries whatever the cohort's size (4 when the roadmap's outline is
    cached, roadmap/outline.py). ``today`` sets the study points
    (pace), ``now`` the inactivity cut-off."""
    roadmap = cohort.roadmap
    # Only what the mentor's pages show of a student: a full user row is twice the read.
    memberships = list(
        cohort.memberships.select_related("student").only("joined_at", *STUDENT_FIELDS)
    )
    table = ItemTable(roadmap_outline(roadmap, skills=False))
    students = cohort.memberships.values("student")
    # The active items' ids stand for "this roadmap, not archived" without three joins.
    of_cohort = Progress.objects.filter(student__in=students, item__in=table.pks)
    progress_by_student = _progress_by_student(of_cohort)
    pending = dict(
        of_cohort.awaiting_review()
        .values("student")
        .annotate(waiting=Count("pk"))
        .values_list("student", "waiting")
        .order_by()
    )
    # Each student's latest change of their own, grouped over the cohort's events. A
    # subquery per student would read the (student, -created_at) index on SQLite, but
    # PostgreSQL's planner, which cannot tell how many of the events are the student's
    # own, sorts all of each student's events instead: five times slower at 5,000.
    last_activity = dict(
        ProgressEvent.objects.filter(
            student__in=students,
            # The roadmap's items, archived ones too: one list, not three joins per event.
            item__in=Item.objects.of_roadmap(roadmap).values("pk"),
        )
        .by_the_student()
        .values("student")
        .annotate(last=Max("created_at"))
        .values_list("student", "last")
        .order_by()
    )
    rows = []
    for membership in memberships:
        student = membership.student
        clock = AcademicClock.of(student)
        summary = table.summarize(progress_by_student[student.pk], clock=clock, today=today)
        last = last_activity.get(student.pk)
        rows.append(
            StudentRow(
                student=student,
                joined_at=membership.joined_at,
                summary=summary,
                last_activity=last,
                pending_reviews=pending.get(student.pk, 0),
                pace=cohort_pace(summary, last, now, joined_at=membership.joined_at),
                clock=clock,
                stage_tallies=[summary.by_stage.get(stage.pk) for stage in table.stages],
            )
        )
    return CohortOverview(
        cohort=cohort,
        stages=table.stages,
        milestones=table.milestones,
        items=table.items,
        rows=rows,
        progress_by_student=progress_by_student,
    )


def _progress_by_student(of_cohort) -> dict[int, dict[int, ProgressState]]:
    """{student id: {item id: ProgressState}} of the rows that count for something.

    Plain tuples, not model instances: a 500-student cohort has tens of thousands of
    rows; those that count for nothing (not started, no count) stay in the database.
    Few (status, count) pairs repeat over them, so each pair is made once and shared."""
    progress_by_student: dict[int, dict[int, ProgressState]] = defaultdict(dict)
    states: dict[tuple[str, int], ProgressState] = {}
    rows = of_cohort.exclude(status=Status.NOT_STARTED, count=0).values_list(
        "student_id", "item_id", "status", "count"
    )
    for student_id, item_id, status, count in rows:
        state = states.get((status, count))
        if state is None:
            state = states[status, count] = ProgressState(status, count)
        progress_by_student[student_id][item_id] = state
    return progress_by_student


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
    if field.startswith("stage-") and field[6:].isascii() and field[6:].isdigit():
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
