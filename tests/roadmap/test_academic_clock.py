"""Each student's academic clock: year and semester of study, pace and prerequisites
follow their batch, entry year and programme length. Pure: items are built unsaved."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from roadmap.figures import AcademicClock, ItemTable, academic_year_start, next_up, study_point
from roadmap.models import Item, Status
from roadmap.services import follow_roadmap, progress_set
from tests.factories import ItemFactory, MilestoneFactory, StageFactory, UserFactory
from tests.roadmap.test_progress import make_item, progress

NOV_2026 = date(2026, 11, 26)


def one_item_per_term(terms=8):
    """Required items due in each semester 1..terms, pk = term."""
    return [make_item(t, year=(t + 1) // 2, semester=2 - t % 2) for t in range(1, terms + 1)]


@pytest.mark.parametrize(
    ("clock", "today", "label", "term"),
    [
        # Regular entry: year 1 from the batch's July.
        (AcademicClock(2025), date(2025, 7, 1), "Year 1, semester 1", 1),
        (AcademicClock(2025), NOV_2026, "Year 2, semester 1", 3),
        # Lateral entry in July 2025: straight into year 2.
        (AcademicClock(2025, entry_year=2), date(2025, 7, 1), "Year 2, semester 1", 3),
        (AcademicClock(2025, entry_year=2), date(2026, 1, 5), "Year 2, semester 2", 4),
        (AcademicClock(2025, entry_year=2), NOV_2026, "Year 3, semester 1", 5),
        # Year 5 of a five-year programme: not graduated, its terms run to 10.
        (AcademicClock(2022, programme_years=5), NOV_2026, "Year 5, semester 1", 9),
        (AcademicClock(2022, programme_years=5), date(2027, 3, 1), "Year 5, semester 2", 10),
        # Before the first day.
        (AcademicClock(2026), date(2026, 6, 30), "Before your first year", 0),
        (AcademicClock(2026, entry_year=2), date(2026, 6, 30), "Before you join in year 2", 0),
        # Graduated, after the programme's last year.
        (AcademicClock(2022), NOV_2026, "Graduated", 8),
        (AcademicClock(2021, programme_years=5), NOV_2026, "Graduated", 10),
        (AcademicClock(2024, entry_year=2), date(2027, 7, 1), "Graduated", 8),
    ],
)
def test_study_point_follows_the_clock(clock, today, label, term):
    point = study_point(clock, today)
    assert (point.label, point.term) == (label, term)


def test_a_lateral_entrant_has_started_on_their_first_day_and_not_before():
    lateral = AcademicClock(2025, entry_year=2)
    assert study_point(lateral, date(2025, 7, 1)).started
    assert not study_point(lateral, date(2025, 6, 30)).started


def test_year_five_of_a_five_year_programme_is_not_graduated():
    five, four = AcademicClock(2022, programme_years=5), AcademicClock(2022)
    assert not study_point(five, NOV_2026).graduated
    assert study_point(four, NOV_2026).graduated
    pace = ItemTable(one_item_per_term()).summarize({}, clock=five, today=NOV_2026).pace
    assert pace.point.label == "Year 5, semester 1"
    assert pace.expected_percent == 100  # every item of a four-year guide is due by now
    assert "Year 5, semester 1" in pace.next_step


def test_a_graduate_of_a_five_year_programme_is_told_of_their_degree():
    items = one_item_per_term()
    pace = ItemTable(items).summarize({}, clock=AcademicClock(2021, 1, 5), today=NOV_2026).pace
    assert pace.point.graduated
    assert "due by the end of your dual degree" in pace.next_step
    four = ItemTable(items).summarize({}, clock=AcademicClock(2020), today=NOV_2026).pace
    assert "due by the end of your B.Tech" in four.next_step


def test_a_repeated_second_year_moves_the_batch_and_pace_follows_it():
    items = one_item_per_term()
    done_year_1 = {**progress(items[0]), **progress(items[1])}
    on_time = ItemTable(items).summarize(done_year_1, clock=AcademicClock(2025), today=NOV_2026)
    # Repeating year 2 (2025-26) moved the student from batch 2024 to 2025: in
    # November 2026 they are in year 2 again, not year 3, so not behind.
    repeated = AcademicClock(2024 + 1)
    summary = ItemTable(items).summarize(done_year_1, clock=repeated, today=NOV_2026)
    assert summary.pace.point.label == "Year 2, semester 1"
    assert summary.pace.behind == [items[2]] == on_time.pace.behind
    # Left on the old batch, the same student would be two semesters further behind.
    stale = ItemTable(items).summarize(done_year_1, clock=AcademicClock(2024), today=NOV_2026)
    assert stale.pace.point.label == "Year 3, semester 1"
    assert stale.pace.behind == items[2:5]


def test_a_lateral_entrants_year_one_items_are_prerequisites_never_behind():
    items = one_item_per_term()
    lateral = AcademicClock(2025, entry_year=2)
    pace = ItemTable(items).summarize({}, clock=lateral, today=date(2025, 7, 1)).pace
    assert pace.point.label == "Year 2, semester 1"
    assert pace.prerequisites == items[:2]
    assert pace.prerequisites_done == 0
    assert pace.behind == [items[2]]  # this semester's item only
    assert pace.expected_percent == 12  # 1 of 8: the prerequisites are not expected
    assert "1 item was due by Year 2, semester 1" in pace.next_step


def test_a_done_prerequisite_counts_in_percent_done_and_a_skipped_one_is_not_behind():
    items = one_item_per_term()
    lateral = AcademicClock(2025, entry_year=2)
    answers = {**progress(items[0]), **progress(items[1], Status.SKIPPED), **progress(items[2])}
    summary = ItemTable(items).summarize(answers, clock=lateral, today=date(2025, 7, 1))
    assert summary.overall.percent == 25  # 2 of 8 done, one of them a prerequisite
    assert summary.pace.prerequisites_done == 1
    assert summary.pace.behind == []
    assert summary.pace.skipped == []
    assert summary.pace.on_track


def test_regular_entrants_have_no_prerequisites():
    summary = ItemTable(one_item_per_term()).summarize(
        {}, clock=AcademicClock(2025), today=NOV_2026
    )
    assert summary.pace.prerequisites == []
    assert len(summary.pace.behind) == 3


def test_next_up_puts_a_lateral_entrants_prerequisites_last():
    items = one_item_per_term()
    before = AcademicClock(2025, entry_year=2).prerequisite_term
    assert before == 2
    assert next_up(items, {}, limit=3, before=before) == items[2:5]
    assert next_up(items[:3], {}, before=before) == [items[2], items[0], items[1]]
    assert next_up(items, {}, limit=3) == items[:3]


def test_the_clock_of_a_user_without_a_batch_is_none():
    class Student:
        batch, entry_year, programme_years = None, 2, 5

    assert AcademicClock.of(Student()) is None
    Student.batch = 2025
    assert AcademicClock.of(Student()) == AcademicClock(2025, 2, 5)


# -- pages: a lateral entrant's checklist and dashboard -----------------------------


@pytest.fixture
def guide(db):
    """A roadmap with `per_term` required items due in each semester 1..8."""

    def build(per_term=1):
        milestone = MilestoneFactory(stage=StageFactory(year_start=1, year_end=4))
        for term in range(1, 9):
            for n in range(per_term):
                ItemFactory(
                    milestone=milestone,
                    title=f"Term {term} item {n}",
                    due_year=(term + 1) // 2,
                    due_semester=2 - term % 2,
                )
        return milestone.stage.roadmap

    return build


def lateral_in_year_2(**fields):
    """A lateral entrant in year 2 today (their first year at college)."""
    today = timezone.localdate()
    return UserFactory(batch=academic_year_start(today), entry_year=2, **fields)


def page(client, student, roadmap, name, **query):
    client.force_login(student)
    return client.get(reverse(name, args=[roadmap.slug]), query)


def test_the_checklist_marks_a_lateral_entrants_prerequisites_and_never_lists_them_now(
    client, guide
):
    roadmap = guide()
    student = lateral_in_year_2()
    follow_roadmap(student, roadmap)
    text = page(client, student, roadmap, "roadmap:checklist").text
    assert text.count("prerequisite (before lateral entry)") == 2
    assert "Prerequisites (before lateral entry):" in text
    assert "the 2 items due before it are never counted as due or behind" in text
    now = page(client, student, roadmap, "roadmap:checklist", show="now").text
    assert "Term 1 item 0" not in now and "Term 2 item 0" not in now
    assert "Term 3 item 0" in now


def test_a_regular_entrants_checklist_has_no_prerequisites(client, guide):
    roadmap = guide()
    student = UserFactory(batch=academic_year_start(timezone.localdate()) - 1)
    follow_roadmap(student, roadmap)
    text = page(client, student, roadmap, "roadmap:checklist").text
    assert "prerequisite" not in text.lower()
    assert "Term 1 item 0" in page(client, student, roadmap, "roadmap:checklist", show="now").text


def test_the_dashboard_names_prerequisites_apart_and_not_as_due(client, guide):
    roadmap = guide()
    student = lateral_in_year_2()
    follow_roadmap(student, roadmap)
    first = Item.objects.of_roadmap(roadmap).get(title="Term 1 item 0")
    progress_set(student=student, item=first, status=Status.DONE)
    response = page(client, student, roadmap, "roadmap:dashboard")
    pace = response.context["summary"].pace
    assert pace.point.year == 2
    assert [item.title for item in pace.prerequisites] == ["Term 1 item 0", "Term 2 item 0"]
    assert all(item.due_year >= 2 for item in pace.behind)
    assert "1 of 2 done (each one done adds to the percent)" in response.text
    assert "Term 1 item 0" not in response.text.split("Items due by now")[-1].split("</details>")[0]
    # What's next starts with the student's own year, not a prerequisite.
    assert response.context["next_up"][0].due_year >= 2


@pytest.mark.parametrize("per_term", [1, 25])
@pytest.mark.parametrize(("name", "queries"), [("roadmap:checklist", 6), ("roadmap:dashboard", 10)])
def test_a_lateral_entrants_pages_cost_no_more_queries(
    client, guide, django_assert_num_queries, per_term, name, queries
):
    roadmap = guide(per_term)
    student = lateral_in_year_2(programme_years=5)
    follow_roadmap(student, roadmap)
    for item in Item.objects.of_roadmap(roadmap)[:3]:
        progress_set(student=student, item=item, status=Status.DONE)
    client.force_login(student)
    with django_assert_num_queries(queries):
        response = client.get(reverse(name, args=[roadmap.slug]))
    assert response.status_code == 200


def test_one_table_summarizes_students_on_different_clocks_and_days_each_on_their_own():
    """A cohort's table works out what pace expects once per clock and day: a student
    read after another on a different clock, or on another day, gets their own."""
    table = ItemTable(one_item_per_term())
    nothing_done = {}
    cases = [
        # (clock, today, term, items behind by pk, expected percent)
        (AcademicClock(2025), NOV_2026, 3, [1, 2, 3], 37),
        (AcademicClock(2025, entry_year=2), NOV_2026, 5, [3, 4, 5], 37),
        (AcademicClock(2025), date(2027, 3, 1), 4, [1, 2, 3, 4], 50),
        (AcademicClock(2025), NOV_2026, 3, [1, 2, 3], 37),
        (AcademicClock(2020, programme_years=5), NOV_2026, 10, [1, 2, 3, 4, 5, 6, 7, 8], 100),
    ]
    for clock, today, term, behind, expected in cases:
        pace = table.summarize(nothing_done, clock=clock, today=today).pace
        assert pace.point.term == term
        assert [item.pk for item in pace.behind] == behind
        assert pace.expected_percent == expected
        assert [item.pk for item in pace.prerequisites] == ([1, 2] if clock.lateral else [])
    # Two students on one clock, one of them with items done: each their own behind.
    lateral = AcademicClock(2025, entry_year=2)
    first, third = table.items[0], table.items[2]
    done = table.summarize(
        {**progress(first), **progress(third)}, clock=lateral, today=NOV_2026
    ).pace
    assert [item.pk for item in done.behind] == [4, 5]
    assert done.prerequisites_done == 1
    again = table.summarize(nothing_done, clock=lateral, today=NOV_2026).pace
    assert [item.pk for item in again.behind] == [3, 4, 5]
    assert again.prerequisites_done == 0
