"""Progress maths: percent done, pace and skill coverage.

One module, used by every page that shows a progress figure, so that a number
means the same wherever it appears. The functions are pure: they take items
(with ``milestone.stage`` loaded), the student's ``Progress`` rows by item id and
a date, and touch no database.

Rules (PRODUCT.md):
- Percent done = done required items / required items; archived items are not
  passed in at all. A counted item contributes min(count / target, 1); skipped
  never counts; optional items are tallied apart.
- Pace: the academic year starts in a configurable month (July). Each student has
  an academic clock (``AcademicClock``): their batch (admission year), the year of
  study they entered in (1, or 2 by lateral entry) and their programme's length (4
  or 5 years). Year of study = academic_year_start(today) - batch + entry year; a
  repeated year moves the student to the next batch, so pace follows it. Items due
  at or before the current semester are expected, and an expected item not done is
  behind. A student is on track when their percent reaches the expected percent
  and no expected item is skipped (a skipped expected item is behind, not excused).
  Graduated only after the programme's last year.
- Prerequisites: items due before the year a student entered in (for a lateral
  entrant, those due in year 1) are the guide's prerequisites for them. They are
  never expected, so never behind and never in the expected percent; they stay in
  percent done like any required item, so one done counts and one not done takes
  nothing away from the pace.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings

from accounts.models import Entry, Programme

from .models import SEMESTERS_PER_YEAR, Item, Progress, Status, term_index


def fraction_done(item: Item, progress: Progress | None) -> float:
    """How much of one item is done, from 0 to 1."""
    return _fraction(item.target_count, progress)


def _fraction(target_count: int | None, progress: Progress | None) -> float:
    if progress is None or progress.status == Status.SKIPPED:
        return 0.0
    if progress.status == Status.DONE:
        return 1.0
    if target_count:
        return min(progress.count / target_count, 1.0)
    return 0.0


def percent(done: float, total: int) -> int:
    """Whole percent, rounded down: 100 % only when everything is done."""
    if total == 0:
        return 0
    return int(100 * done / total + 1e-9)


@dataclass
class Tally:
    done: float = 0.0  # items done, counted items as fractions
    complete: int = 0  # items fully done
    total: int = 0

    @property
    def percent(self) -> int:
        return percent(self.done, self.total)

    @property
    def partly_counted(self) -> bool:
        """Counted items part-way to their target add to the percent beyond ``complete``,
        so "11 % · 1 of 15" is right; the words must say so (templates/roadmap/_percent.html)."""
        return self.done - self.complete > 1e-9


@dataclass(frozen=True)
class AcademicClock:
    """A student's academic clock: ``batch`` (the calendar year they were admitted in),
    ``entry_year`` (the year of study they joined in: 1, or 2 by lateral entry) and
    ``programme_years`` (4 or 5)."""

    batch: int
    entry_year: int = Entry.REGULAR
    programme_years: int = Programme.FOUR_YEARS

    @classmethod
    def of(cls, student) -> "AcademicClock | None":
        """The clock of a user, None when their batch is not set (no pace then)."""
        if not student.batch:
            return None
        return cls(student.batch, student.entry_year, student.programme_years)

    @property
    def lateral(self) -> bool:
        return self.entry_year > Entry.REGULAR

    @property
    def prerequisite_term(self) -> int:
        """Items due at or before this term (0 for regular entry; 2 for lateral entry
        in year 2) come before the student's first year: the guide's prerequisites."""
        return term_index(self.entry_year, 1) - 1

    @property
    def last_term(self) -> int:
        """The programme's last semester: 8 for a B.Tech, 10 for a dual degree."""
        return term_index(self.programme_years, SEMESTERS_PER_YEAR)


@dataclass(frozen=True)
class StudyPoint:
    """Where a student is in their programme on a date."""

    year: int  # below entry_year before the first day; above programme_years once graduated
    semester: int
    entry_year: int = Entry.REGULAR
    programme_years: int = Programme.FOUR_YEARS

    @property
    def term(self) -> int:
        """0 before the student's first day, 1..last term during the programme (from 3
        for a lateral entrant), the last term after it."""
        if not self.started:
            return 0
        last = term_index(self.programme_years, SEMESTERS_PER_YEAR)
        return min(term_index(self.year, self.semester), last)

    @property
    def started(self) -> bool:
        return self.year >= self.entry_year

    @property
    def graduated(self) -> bool:
        return self.year > self.programme_years

    @property
    def label(self) -> str:
        if not self.started:
            if self.entry_year > Entry.REGULAR:
                return f"Before you join in year {self.entry_year}"
            return "Before your first year"
        if self.graduated:
            return "Graduated"
        return f"Year {self.year}, semester {self.semester}"


def academic_year_start(today: date) -> int:
    """The calendar year in which the academic year holding ``today`` began: this
    year from ``WAYPOINT_ACADEMIC_YEAR_START_MONTH`` on, last year before it."""
    if today.month >= settings.WAYPOINT_ACADEMIC_YEAR_START_MONTH:
        return today.year
    return today.year - 1


def study_point(clock: AcademicClock, today: date) -> StudyPoint:
    """Where a student on ``clock`` is on ``today``: year of study =
    academic_year_start(today) - batch + entry_year, semester 1 in the first half of
    the academic year, 2 in the second."""
    months_into_year = (today.month - settings.WAYPOINT_ACADEMIC_YEAR_START_MONTH) % 12
    semester = 1 if months_into_year < 12 // SEMESTERS_PER_YEAR else 2
    return StudyPoint(
        year=academic_year_start(today) - clock.batch + clock.entry_year,
        semester=semester,
        entry_year=clock.entry_year,
        programme_years=clock.programme_years,
    )


@dataclass
class Pace:
    point: StudyPoint
    expected_percent: int
    actual_percent: int
    behind: list[Item]  # expected and not done, skipped ones included
    skipped: list[Item] = field(default_factory=list)  # expected and skipped
    # Required items due before the student's first year (lateral entry): never expected.
    prerequisites: list[Item] = field(default_factory=list)
    prerequisites_done: int = 0  # of them, fully done

    @property
    def on_track(self) -> bool:
        """The one verdict the student's pages and the mentor's pace status read."""
        return self.actual_percent >= self.expected_percent and not self.skipped

    @property
    def next_step(self) -> str:
        """The pace in words a student can act on, without a verdict: how many items
        due by now are not done yet, and what to do about them. The one sentence the
        student's dashboard and checklist show; ``verdict`` stays the mentors' word.

        e.g. "35 items were due by Year 3, semester 1. Tick the ones you have done,
        then see what's next." A skipped item due by now is open, so it is counted.
        """
        if not self.point.started:
            return "Your first year has not started yet, so nothing is due. See what comes first."
        due_by = self.point.label
        if self.point.graduated:
            due_by = f"the end of your {Programme(self.point.programme_years).degree}"
        count = len(self.behind)
        if count == 0:
            return f"Everything due by {due_by} is done. See what's next."
        were = "item was" if count == 1 else "items were"
        skipped = ""
        if self.skipped:
            skipped = " (skipped)" if count == 1 else f" ({len(self.skipped)} of them skipped)"
        tick = "Tick it if you have done it" if count == 1 else "Tick the ones you have done"
        return f"{count} {were} due by {due_by}{skipped}. {tick}, then see what's next."

    @property
    def verdict(self) -> str:
        """The mentors' word for the pace: "On track" or "Behind pace" (with skips)."""
        if self.on_track:
            return "On track"
        if not self.skipped:
            return "Behind pace"
        count = len(self.skipped)
        if count == 1:
            return "Behind pace: 1 skipped item is due by now"
        return f"Behind pace: {count} skipped items are due by now"


@dataclass
class RoadmapProgress:
    overall: Tally = field(default_factory=Tally)
    optional: Tally = field(default_factory=Tally)
    by_stage: dict[int, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_milestone: dict[int, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_kind: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    pace: Pace | None = None
    skipped: list[Item] = field(default_factory=list)  # required items marked skipped

    @property
    def all_done(self) -> bool:
        """Every required item fully done: the only time a page may congratulate."""
        return self.overall.total > 0 and self.overall.complete == self.overall.total


def outline_groups(items: Iterable[Item]) -> tuple[list, list]:
    """(stages, milestones) the given items belong to, in roadmap order: the one source
    of the rows and columns figures show, so a stage or milestone whose items are all
    archived is in none of them. ``items`` as ``Item.objects.outline()`` loads them."""
    stages, milestones = {}, {}
    for item in items:
        milestones.setdefault(item.milestone_id, item.milestone)
        stages.setdefault(item.milestone.stage_id, item.milestone.stage)
    return list(stages.values()), list(milestones.values())


def outline_stages(items: Iterable[Item], summary: RoadmapProgress | None = None) -> list:
    """The stages of ``items`` in roadmap order, as pages lay them out: each stage with
    ``outline_milestones`` and ``item_count``, each milestone with ``outline_items``
    (in the order given). With ``summary``, each stage and milestone also gets its
    ``tally`` (``attach_tallies``). ``items`` as ``Item.objects.outline()`` loads them,
    or a selection of them in that order."""
    items = list(items)
    stages, milestones = outline_groups(items)
    # By id: an item may carry its own copy of its milestone (a pickled or unshared row).
    by_milestone = {milestone.pk: milestone for milestone in milestones}
    for milestone in milestones:
        milestone.outline_items = []
    for item in items:
        by_milestone[item.milestone_id].outline_items.append(item)
    for stage in stages:
        stage.outline_milestones = [m for m in milestones if m.stage_id == stage.pk]
        stage.item_count = sum(len(m.outline_items) for m in stage.outline_milestones)
    if summary is not None:
        attach_tallies(summary, stages=stages, milestones=milestones)
    return stages


def attach_tallies(summary: RoadmapProgress, *, stages=(), milestones=()) -> None:
    """Set ``tally`` (a Tally of required items) on each of ``stages`` and
    ``milestones`` from ``summary``: the one place the figures pages show per stage and
    milestone come from. One that holds only optional items gets an empty Tally."""
    for stage in stages:
        stage.tally = summary.by_stage[stage.pk]
    for milestone in milestones:
        milestone.tally = summary.by_milestone[milestone.pk]


def outline_skills(items: Iterable[Item]) -> list:
    """The skills the given items teach, in catalogue order (category, then skill).
    ``items`` with ``skills__category`` loaded, as ``Item.objects.outline()`` does."""
    skills = {skill.pk: skill for item in items for skill in item.skills.all()}
    return sorted(skills.values(), key=lambda s: (s.category.order, s.category_id, s.order, s.pk))


class ItemTable:
    """A roadmap's active items, prepared once to summarize one student or a whole cohort.

    ``items`` as ``Item.objects.outline()`` loads them. The groups (stage, milestone,
    kind) are lists of positions, so each student costs a few list passes, not a loop
    of attribute look-ups per item; what pace expects of a clock on a day is worked out
    once per clock, as a cohort's students share a few clocks.
    """

    def __init__(self, items: Iterable[Item]):
        self.items = list(items)
        self.pks = [item.pk for item in self.items]
        self.targets = [item.target_count for item in self.items]
        self.due_terms = [item.due_term for item in self.items]
        self.required = [i for i, item in enumerate(self.items) if not item.optional]
        self.optional = [i for i, item in enumerate(self.items) if item.optional]
        self.stages, self.milestones = outline_groups(self.items)
        self.by_stage = defaultdict(list)
        self.by_milestone = defaultdict(list)
        self.by_kind = defaultdict(list)
        for i in self.required:
            item = self.items[i]
            self.by_stage[item.milestone.stage_id].append(i)
            self.by_milestone[item.milestone_id].append(i)
            self.by_kind[item.kind].append(i)
        self._expectations: dict[tuple[AcademicClock, date], _Expectation] = {}

    def fractions(self, progress_by_item: Mapping[int, Progress]) -> list[float]:
        get = progress_by_item.get
        return [
            _fraction(target, progress)
            for target, progress in zip(self.targets, map(get, self.pks), strict=True)
        ]

    def skipped(self, progress_by_item: Mapping[int, Progress]) -> list[bool]:
        get = progress_by_item.get
        return [
            progress is not None and progress.status == Status.SKIPPED
            for progress in map(get, self.pks)
        ]

    def summarize(
        self, progress_by_item: Mapping[int, Progress], *, clock: AcademicClock | None, today: date
    ) -> RoadmapProgress:
        """Every progress figure of one student; pace needs the student's ``clock``
        (``AcademicClock.of(student)``; None without a batch: no pace)."""
        fractions = self.fractions(progress_by_item)
        complete = [fraction >= 1.0 for fraction in fractions]
        skipped = self.skipped(progress_by_item)
        summary = RoadmapProgress(
            overall=_tally(fractions, complete, self.required),
            optional=_tally(fractions, complete, self.optional),
            skipped=[self.items[i] for i in self.required if skipped[i]],
        )
        for groups, tallies in (
            (self.by_stage, summary.by_stage),
            (self.by_milestone, summary.by_milestone),
            (self.by_kind, summary.by_kind),
        ):
            for key, positions in groups.items():
                tallies[key] = _tally(fractions, complete, positions)
        if clock:
            expectation = self._expectation(clock, today)
            behind = [i for i in expectation.expected if not complete[i]]
            summary.pace = Pace(
                point=expectation.point,
                expected_percent=expectation.expected_percent,
                actual_percent=summary.overall.percent,
                behind=[self.items[i] for i in behind],
                skipped=[self.items[i] for i in behind if skipped[i]],
                prerequisites=[self.items[i] for i in expectation.prerequisites],
                prerequisites_done=len([i for i in expectation.prerequisites if complete[i]]),
            )
        return summary

    def _expectation(self, clock: AcademicClock, today: date) -> "_Expectation":
        """What pace expects of a student on ``clock`` on ``today``, kept per clock and day."""
        expectation = self._expectations.get((clock, today))
        if expectation is None:
            point = study_point(clock, today)
            before, term = clock.prerequisite_term, point.term
            expected = [i for i in self.required if before < self.due_terms[i] <= term]
            expectation = self._expectations[clock, today] = _Expectation(
                point=point,
                # Soonest due first: the order a student's pace lists what is behind.
                expected=sorted(expected, key=self._due_order),
                expected_percent=percent(len(expected), len(self.required)),
                prerequisites=[i for i in self.required if self.due_terms[i] <= before],
            )
        return expectation

    def _due_order(self, i: int):
        item = self.items[i]
        return (self.due_terms[i], item.milestone.stage.order, item.order)


@dataclass(frozen=True)
class _Expectation:
    """What pace expects of one clock on one day (``ItemTable._expectation``); the lists
    hold positions in ``ItemTable.items``."""

    point: StudyPoint  # study_point(clock, today)
    # Required items due after the clock's prerequisite term, up to the point's term,
    # soonest due first (due term, then stage and item order).
    expected: list[int]
    expected_percent: int  # len(expected) as a whole percent of the required items
    prerequisites: list[int]  # required items due at or before clock.prerequisite_term


def _tally(fractions: list[float], complete: list[bool], positions: list[int]) -> Tally:
    return Tally(
        done=sum([fractions[i] for i in positions]),
        complete=sum([complete[i] for i in positions]),
        total=len(positions),
    )


def next_up(
    items: Iterable[Item], progress_by_item: Mapping[int, Progress], limit=5, *, before: int = 0
):
    """The first unfinished required items, soonest due first (skipped ones left out);
    prerequisites (due at or before the term ``before``) come after every other item."""
    open_items = []
    for item in items:
        progress = progress_by_item.get(item.pk)
        if item.optional or (progress and progress.status == Status.SKIPPED):
            continue
        if fraction_done(item, progress) < 1.0:
            open_items.append(item)
    open_items.sort(
        key=lambda item: (
            item.due_term <= before,
            item.due_term,
            item.milestone.stage.order,
            item.order,
        )
    )
    return open_items[:limit]


@dataclass
class CategoryCoverage:
    category: object
    skills: list = field(default_factory=list)  # (skill, practised) pairs

    @property
    def practised(self) -> int:
        return sum(practised for _, practised in self.skills)

    @property
    def percent(self) -> int:
        return percent(self.practised, len(self.skills))


def skill_coverage(items: Iterable[Item], progress_by_item) -> list[CategoryCoverage]:
    """Per category of the Required Skills: which skills the student has practised.

    The skills are those the roadmap's active ``items`` teach (a skill only archived
    items taught is no longer asked for); one counts as practised once an item that
    teaches it is fully done. ``items`` as ``Item.objects.outline()`` loads them.
    """
    items = list(items)
    skills = outline_skills(items)
    practised = {
        skill.pk
        for item in items
        if fraction_done(item, progress_by_item.get(item.pk)) >= 1.0
        for skill in item.skills.all()
    }
    coverage: dict[int, CategoryCoverage] = {}
    for skill in skills:
        entry = coverage.setdefault(skill.category_id, CategoryCoverage(skill.category))
        entry.skills.append((skill, skill.pk in practised))
    return list(coverage.values())
