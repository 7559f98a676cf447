"""The progress maths, case by case. Items are built unsaved: the module is pure."""

from datetime import date

import pytest

from roadmap.figures import (
    AcademicClock,
    ItemTable,
    academic_year_start,
    fraction_done,
    next_up,
    percent,
    skill_coverage,
    study_point,
)
from roadmap.models import Item, Milestone, Progress, Stage, Status
from tests.factories import ItemFactory, SkillCategoryFactory, SkillFactory

TODAY = date(2026, 11, 26)  # Year 2 semester 1 for the 2025 batch


def make_item(pk, *, stage_pk=1, milestone_pk=1, year=1, semester=2, **fields):
    stage = Stage(pk=stage_pk, year_start=1, year_end=4, order=stage_pk)
    milestone = Milestone(pk=milestone_pk, stage=stage, order=milestone_pk)
    return Item(
        pk=pk,
        milestone=milestone,
        title=f"Item {pk}",
        due_year=year,
        due_semester=semester,
        order=pk,
        **fields,
    )


def progress(item, status=Status.DONE, count=0):
    return {item.pk: Progress(item_id=item.pk, status=status, count=count)}


def test_fraction_done_follows_the_rules():
    plain = make_item(1)
    counted = make_item(2, target_count=200, unit="problems")
    assert fraction_done(plain, None) == 0
    assert fraction_done(plain, Progress(status=Status.IN_PROGRESS)) == 0
    assert fraction_done(plain, Progress(status=Status.DONE)) == 1
    assert fraction_done(plain, Progress(status=Status.SKIPPED)) == 0
    assert fraction_done(counted, Progress(status=Status.IN_PROGRESS, count=50)) == 0.25
    assert fraction_done(counted, Progress(status=Status.IN_PROGRESS, count=500)) == 1
    assert fraction_done(counted, Progress(status=Status.SKIPPED, count=150)) == 0
    assert fraction_done(counted, Progress(status=Status.DONE, count=10)) == 1


def test_percent_rounds_down_so_100_means_everything():
    assert percent(0, 0) == 0
    assert percent(199, 200) == 99
    assert percent(1, 3) == 33
    assert percent(2, 3) == 66
    assert percent(3, 3) == 100


def test_no_items_gives_zero_everywhere():
    summary = ItemTable([]).summarize({}, clock=AcademicClock(2025), today=TODAY)
    assert summary.overall.percent == 0
    assert summary.pace.expected_percent == 0
    assert summary.pace.on_track
    assert summary.pace.behind == []


def test_optional_items_are_tallied_apart_and_never_lower_the_percent():
    required = make_item(1)
    optional = make_item(2, optional=True)
    summary = ItemTable([required, optional]).summarize(
        progress(required), clock=AcademicClock(2025), today=TODAY
    )
    assert summary.overall.percent == 100
    assert (summary.optional.complete, summary.optional.total) == (0, 1)


def test_all_optional_roadmap_has_nothing_required():
    items = [make_item(1, optional=True), make_item(2, optional=True)]
    summary = ItemTable(items).summarize(progress(items[0]), clock=AcademicClock(2025), today=TODAY)
    assert (summary.overall.total, summary.overall.percent) == (0, 0)
    assert summary.optional.complete == 1
    assert summary.pace.on_track


def test_counted_items_contribute_a_fraction_capped_at_one():
    counted = make_item(1, target_count=200, unit="problems")
    plain = make_item(2)
    half = ItemTable([counted, plain]).summarize(
        progress(counted, Status.IN_PROGRESS, 100),
        clock=AcademicClock(2025),
        today=TODAY,
    )
    assert half.overall.done == 0.5
    assert half.overall.percent == 25
    over = ItemTable([counted, plain]).summarize(
        progress(counted, Status.IN_PROGRESS, 900),
        clock=AcademicClock(2025),
        today=TODAY,
    )
    assert over.overall.percent == 50
    assert over.overall.complete == 1


def test_skipped_never_counts_as_done_and_is_behind_when_due():
    item = make_item(1, year=1, semester=1)
    summary = ItemTable([item]).summarize(
        progress(item, Status.SKIPPED), clock=AcademicClock(2025), today=TODAY
    )
    assert summary.overall.percent == 0
    assert summary.pace.behind == [item]


@pytest.mark.parametrize(
    ("batch", "today", "label", "term"),
    [
        (2025, date(2025, 7, 1), "Year 1, semester 1", 1),
        (2025, date(2025, 12, 31), "Year 1, semester 1", 1),
        (2025, date(2026, 1, 1), "Year 1, semester 2", 2),
        (2025, date(2026, 6, 30), "Year 1, semester 2", 2),
        (2025, date(2026, 7, 1), "Year 2, semester 1", 3),
        (2025, TODAY, "Year 2, semester 1", 3),
        (2022, date(2026, 3, 1), "Year 4, semester 2", 8),
        (2026, date(2026, 6, 1), "Before your first year", 0),
        (2020, TODAY, "Graduated", 8),
    ],
)
def test_study_point_from_batch_and_date(batch, today, label, term):
    point = study_point(AcademicClock(batch), today)
    assert point.label == label
    assert point.term == term


@pytest.mark.parametrize(
    ("today", "year"),
    [(date(2026, 7, 31), 2025), (date(2026, 8, 1), 2026), (date(2026, 12, 31), 2026)],
)
def test_the_academic_year_starts_in_the_set_month(settings, today, year):
    settings.WAYPOINT_ACADEMIC_YEAR_START_MONTH = 8
    assert academic_year_start(today) == year


def test_academic_year_start_is_a_setting(settings):
    settings.WAYPOINT_ACADEMIC_YEAR_START_MONTH = 8
    assert study_point(AcademicClock(2025), date(2026, 7, 15)).label == "Year 1, semester 2"
    assert study_point(AcademicClock(2025), date(2026, 8, 1)).label == "Year 2, semester 1"


def test_pace_expects_items_due_at_or_before_the_current_point():
    items = [
        make_item(1, year=1, semester=1),
        make_item(2, year=1, semester=2),
        make_item(3, year=2, semester=1),  # due this semester: expected
        make_item(4, year=2, semester=2),
        make_item(5, year=3, semester=1),
    ]
    done = {**progress(items[0]), **progress(items[3])}
    pace = ItemTable(items).summarize(done, clock=AcademicClock(2025), today=TODAY).pace
    assert pace.point.label == "Year 2, semester 1"
    assert pace.expected_percent == 60
    assert pace.actual_percent == 40
    assert pace.behind == [items[1], items[2]]
    assert not pace.on_track


def test_graduated_batch_expects_everything():
    items = [make_item(1, year=4, semester=2), make_item(2, year=1, semester=1)]
    pace = (
        ItemTable(items).summarize(progress(items[0]), clock=AcademicClock(2018), today=TODAY).pace
    )
    assert pace.point.graduated
    assert pace.expected_percent == 100
    assert pace.behind == [items[1]]


def test_before_the_first_year_nothing_is_expected():
    items = [make_item(1, year=1, semester=1)]
    pace = ItemTable(items).summarize({}, clock=AcademicClock(2027), today=TODAY).pace
    assert not pace.point.started
    assert pace.expected_percent == 0
    assert pace.on_track


def test_no_batch_means_no_pace():
    assert ItemTable([make_item(1)]).summarize({}, clock=None, today=TODAY).pace is None


def test_by_stage_milestone_and_kind_use_required_items():
    a = make_item(1, stage_pk=1, milestone_pk=1, kind="course")
    b = make_item(2, stage_pk=2, milestone_pk=2, kind="project")
    c = make_item(3, stage_pk=2, milestone_pk=2, kind="project", optional=True)
    summary = ItemTable([a, b, c]).summarize(
        {**progress(a), **progress(c)}, clock=None, today=TODAY
    )
    assert summary.by_stage[1].percent == 100
    assert summary.by_stage[2].percent == 0
    assert summary.by_stage[2].total == 1
    assert summary.by_milestone[2].total == 1
    assert summary.by_kind["course"].percent == 100
    assert summary.by_kind["project"].total == 1


def test_next_up_is_unfinished_required_items_soonest_first():
    items = [
        make_item(1, year=3, semester=1),
        make_item(2, year=1, semester=1),
        make_item(3, year=1, semester=2, optional=True),
        make_item(4, year=2, semester=1),
        make_item(5, year=1, semester=2),
    ]
    done = {**progress(items[4]), **progress(items[3], Status.SKIPPED)}
    assert next_up(items, done, limit=2) == [items[1], items[0]]


@pytest.mark.django_db
def test_skill_coverage_counts_skills_of_done_items_per_category():
    cloud = SkillCategoryFactory(name="Cloud")
    aws, gcp = SkillFactory(category=cloud), SkillFactory(category=cloud)
    done_item = ItemFactory(skills=[aws])
    ItemFactory(skills=[gcp])
    items = list(Item.objects.outline())
    coverage = skill_coverage(
        items, {done_item.pk: Progress(item_id=done_item.pk, status=Status.DONE)}
    )
    assert [(entry.category, entry.practised, entry.percent) for entry in coverage] == [
        (cloud, 1, 50)
    ]
    assert coverage[0].skills == [(aws, True), (gcp, False)]


def test_a_tally_says_when_counted_items_in_progress_add_to_the_percent():
    from roadmap.figures import Tally

    assert not Tally(done=1.0, complete=1, total=15).partly_counted
    partly = Tally(done=1.7, complete=1, total=15)
    assert partly.partly_counted and partly.percent == 11
