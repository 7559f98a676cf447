"""One cohort with every kind of student (regular and lateral entry, no batch, graduated,
a five-year programme, not started yet, inactive), skipped, counted and archived items:
every figure the mentor's dashboard, CSV and stuck items show, pinned by hand.

The due points are chosen so that no figure depends on the semester the tests run in:
year-1 items are due for a second-year student in either semester, year-3 semester-1
items for a lateral entrant in year 3, year-4 items only once a programme is done."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort, Membership
from cohorts.overview import cohort_overview
from roadmap.figures import academic_year_start
from roadmap.models import Kind, ProgressEvent, Status
from roadmap.services import progress_set
from tests.cohorts.test_cohorts import join
from tests.factories import (
    ItemFactory,
    MilestoneFactory,
    RoadmapFactory,
    StageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed(mentor, settings):
    """The cohort and its items by letter: P, D, L (10 problems), S (a project) due in
    year 1; T due in year 3, semester 1; H in year 4, semester 2; K and M (a stage of its
    own) optional; X archived."""
    roadmap = RoadmapFactory(slug="ml")
    early = StageFactory(roadmap=roadmap, title="Foundations")
    late = StageFactory(roadmap=roadmap, title="Research", year_start=3, year_end=4)
    extras = StageFactory(roadmap=roadmap, title="Extras")  # optional items only
    basics, practice = MilestoneFactory(stage=early), MilestoneFactory(stage=early)
    advanced = MilestoneFactory(stage=late)
    items = {
        "P": ItemFactory(milestone=basics, title="Python", due_year=1, due_semester=1),
        "D": ItemFactory(milestone=basics, title="Data structures", due_year=1, due_semester=2),
        "L": ItemFactory(
            milestone=practice,
            title="LeetCode",
            due_year=1,
            due_semester=2,
            target_count=10,
            unit="problems",
        ),
        "S": ItemFactory(
            milestone=practice, title="Sentiment API", kind=Kind.PROJECT, due_semester=2
        ),
        "T": ItemFactory(milestone=advanced, title="Transformers", due_year=3, due_semester=1),
        "H": ItemFactory(milestone=advanced, title="Thesis", due_year=4, due_semester=2),
        "K": ItemFactory(milestone=basics, title="Kaggle", optional=True),
        "M": ItemFactory(milestone=MilestoneFactory(stage=extras), title="Meetup", optional=True),
        "X": ItemFactory(milestone=basics, title="Old course"),
    }
    cohort = Cohort.objects.create(name="Mixed", roadmap=roadmap)
    cohort.mentors.add(mentor)
    start = academic_year_start(timezone.localdate())

    def student(name, batch, **clock):
        return join(cohort, UserFactory(name=name, batch=batch, **clock))

    def done(who, *letters):
        for letter in letters:
            progress_set(student=who, item=items[letter], status=Status.DONE)

    regular = student("Regular", start - 1)
    done(regular, "P", "K", "M", "X")
    progress_set(student=regular, item=items["D"], status=Status.SKIPPED)
    progress_set(student=regular, item=items["L"], count=5)
    progress_set(
        student=regular, item=items["S"], status=Status.DONE, evidence_url="https://x.test/s"
    )
    done(student("Lateral", start - 1, entry_year=2), "T")
    done(student("Unset", None), "P", "D")
    graduate = student("Graduate", start - 5)
    done(graduate, "P", "D", "L", "S", "T")
    progress_set(student=graduate, item=items["H"], status=Status.SKIPPED)
    done(student("Dual", start - 4, programme_years=5), "P", "D", "L", "S", "T", "H")
    student("Early", start + 1)
    quiet = student("Quiet", start - 1)
    done(quiet, "P")
    long_ago = timezone.now() - timedelta(days=settings.WAYPOINT_INACTIVE_DAYS + 30)
    ProgressEvent.objects.filter(student=quiet).update(created_at=long_ago)
    Membership.objects.filter(student=quiet).update(joined_at=long_ago)
    items["X"].archived = True
    items["X"].save()
    return cohort, items, start


# name: (clock, overall %, pace, items behind, each stage's %, evidence waiting); the
# last stage has optional items only, so no percent.
def expected(start):
    return {
        "Quiet": (f"batch {start - 1} · Year 2", 16, "inactive", 3, [25, 0, None], 0),
        "Regular": (f"batch {start - 1} · Year 2", 41, "behind", 2, [62, 0, None], 1),
        "Lateral": (f"batch {start - 1} · Year 3 (lateral)", 16, "on_track", 0, [0, 50, None], 0),
        "Unset": ("no batch", 33, "on_track", 0, [50, 0, None], 0),
        "Graduate": (f"batch {start - 5} · Graduated", 83, "behind", 1, [100, 50, None], 0),
        "Dual": (f"batch {start - 4} · Year 5 · 5-yr", 100, "on_track", 0, [100, 100, None], 0),
        "Early": (f"batch {start + 1} · not started", 0, "on_track", 0, [0, 0, None], 0),
    }


def test_every_figure_of_every_student(mixed):
    cohort, _, start = mixed
    overview = cohort_overview(cohort, today=timezone.localdate(), now=timezone.now())

    figures = {
        row.student.name: (
            row.clock_label,
            row.summary.overall.percent,
            row.pace,
            len(row.owed),
            row.stage_percents,
            row.pending_reviews,
        )
        for row in overview.rows
    }

    assert figures == expected(start)
    # The cohort's order: by joining, the inactive student first.
    assert [row.student.name for row in overview.rows] == list(expected(start))


def test_stuck_items_count_only_the_students_each_is_due_for(mixed):
    cohort, items, _ = mixed
    overview = cohort_overview(cohort, today=timezone.localdate(), now=timezone.now())

    stuck = [
        (
            entry.item.title,
            entry.students.done,
            entry.students.complete,
            entry.students.total,
            entry.students.percent,
            [student.name for student in entry.not_done],
        )
        for entry in overview.stuck_items()
    ]

    # P, D, L and S are due for Quiet, Regular, Graduate and Dual (4 of 7): P is done by
    # all four; T is due for three students only, H for two.
    assert stuck == [
        ("Data structures", 2.0, 2, 4, 50, ["Quiet", "Regular"]),
        ("LeetCode", 2.5, 2, 4, 62, ["Quiet", "Regular"]),
        ("Sentiment API", 3.0, 3, 4, 75, ["Quiet"]),
    ]
    not_done = overview.not_done(items["D"])
    assert [row.student.name for row in not_done] == ["Quiet", "Regular"]


def cells(html):
    """{student: [text of each cell]} of the dashboard's table, tags left out."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    table = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        texts = [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        table[texts[1].split(" batch ")[0].split(" no batch")[0]] = texts
    return table


PILLS = {"on_track": "On track", "behind": "Behind", "inactive": "Inactive"}


def test_the_dashboard_prints_the_same_figures_and_counts(client, mixed, mentor):
    cohort, _, start = mixed
    client.force_login(mentor)

    html = client.get(reverse("cohorts:dashboard", args=[cohort.pk])).text

    table = cells(html)
    assert list(table) == sorted(expected(start))  # by name
    for name, (clock, overall, pace, behind, stages, waiting) in expected(start).items():
        _pick, student, overall_cell, pace_cell, *stage_cells, last, review = table[name]
        assert student == f"{name} {clock}"
        assert overall_cell == f"{overall} %"
        assert pace_cell == PILLS[pace] + (f" {behind} behind" if behind else "")
        assert stage_cells == [f"{p} %" if p is not None else "—" for p in stages]
        assert review == str(waiting)
        assert (last == "never") == (name == "Early")
    assert "7 students ·\n    on track: 4, behind: 2, inactive: 1 ·" in html
    assert ">1 piece of evidence awaiting review</a>" in html
    ranked = cells(
        client.get(reverse("cohorts:dashboard", args=[cohort.pk]), {"sort": "-overall"}).text
    )
    assert list(ranked) == ["Dual", "Graduate", "Regular", "Unset", "Quiet", "Lateral", "Early"]
    behind = cells(
        client.get(reverse("cohorts:dashboard", args=[cohort.pk]), {"pace": "behind"}).text
    )
    assert list(behind) == ["Graduate", "Regular"]


def test_the_csv_carries_the_same_figures(client, mixed, mentor):
    cohort, _, start = mixed
    client.force_login(mentor)

    export = client.get(reverse("cohorts:export", args=[cohort.pk]))

    header, *body = csv.reader(io.StringIO(export.content.decode("utf-8-sig")))
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    for name, (_, overall, _, behind, stages, waiting) in expected(start).items():
        row = rows[name]
        assert row["overall %"] == str(overall)
        assert [row["Foundations %"], row["Research %"], row["Extras %"]] == [
            "" if percent is None else str(percent) for percent in stages
        ]
        assert row["items behind"] == ("" if name == "Unset" else str(behind))
        assert row["evidence awaiting review"] == str(waiting)
    assert [rows[name]["pace"] for name in ("Quiet", "Regular", "Dual")] == [
        "Inactive",
        "Behind",
        "On track",
    ]
    assert [rows[name]["expected %"] for name in ("Regular", "Lateral", "Graduate", "Early")] == [
        "66",
        "16",
        "100",
        "0",
    ]
    assert User.objects.filter(is_mentor=False).count() == len(rows) == 7
