"""One way of saying a percent on the mentor's pages.

Counted items part-way to their target ("50 of 200 problems") add to a percent but
not to the count of items done, so "41 % · 1 of 3" must say so, the same words as the
student's pages (templates/roadmap/_percent.html). Where a cell has room only for the
number, the page's legend says it once.
"""

import re

import pytest
from django.urls import reverse

from roadmap.models import Status
from roadmap.services import follow_roadmap, progress_set
from tests.factories import (
    CohortFactory,
    ItemFactory,
    MembershipFactory,
    MilestoneFactory,
    StageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOTE = '<span class="percent-figure__note">, counted items in progress add to the %</span>'


@pytest.fixture
def milestone():
    return MilestoneFactory(stage=StageFactory(title="Foundations"), title="Core")


@pytest.fixture
def items(milestone):
    return {
        "python": ItemFactory(milestone=milestone, title="Python basics"),
        "git": ItemFactory(milestone=milestone, title="Git"),
        "leetcode": ItemFactory(
            milestone=milestone, title="LeetCode", target_count=200, unit="problems"
        ),
    }


@pytest.fixture
def cohort(milestone, mentor):
    return CohortFactory(name="CSE ML club", roadmap=milestone.stage.roadmap, mentors=[mentor])


def join(cohort, name):
    student = UserFactory(name=name, batch=2025)
    MembershipFactory(cohort=cohort, student=student)
    follow_roadmap(student, cohort.roadmap)
    return student


@pytest.fixture
def counting(cohort, items):
    """Python done, LeetCode at 50 of 200: 1.25 of 3 items, 41 %, 1 fully done."""
    student = join(cohort, "Asha Verma")
    progress_set(student=student, item=items["python"], status=Status.DONE)
    progress_set(student=student, item=items["leetcode"], status=Status.IN_PROGRESS, count=50)
    return student


@pytest.fixture
def plain(cohort, items):
    """Python done only: 1 of 3 items, 33 %."""
    student = join(cohort, "Ravi Kumar")
    progress_set(student=student, item=items["python"], status=Status.DONE)
    return student


def section(html, heading_id):
    return html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


def test_read_only_student_page_says_when_counted_items_add_to_a_stage(
    client, cohort, counting, plain, mentor
):
    client.force_login(mentor)
    url = reverse("cohorts:student", args=[cohort.pk, counting.pk])
    stages = section(client.get(url).text, "stages-heading")
    assert f'<span class="percent-figure">41&nbsp;% · 1 of 3 done{NOTE}</span>' in stages
    url = reverse("cohorts:student", args=[cohort.pk, plain.pk])
    stages = section(client.get(url).text, "stages-heading")
    assert '<span class="percent-figure">33&nbsp;% · 1 of 3 done</span>' in stages
    assert "percent-figure__note" not in stages


def test_stuck_items_count_students_and_say_when_counts_add(
    client, cohort, counting, plain, mentor
):
    client.force_login(mentor)
    stuck = section(client.get(reverse("cohorts:grid", args=[cohort.pk])).text, "stuck-heading")
    # LeetCode: 50/200 and 0/200 is 12 % of the way, and neither student has finished it.
    assert (
        "<strong>LeetCode</strong> — due for 2 students: "
        f'<span class="percent-figure">12&nbsp;% · 0 of 2 done{NOTE}</span>'
    ) in stuck
    assert (
        "<strong>Git</strong> — due for 2 students: "
        '<span class="percent-figure">0&nbsp;% · 0 of 2 done</span>'
    ) in stuck
    assert "Python basics" not in stuck  # done by everyone it is due for


def test_a_stuck_item_is_never_shown_at_100_percent(client, cohort, items, mentor):
    student = join(cohort, "Asha Verma")
    progress_set(student=student, item=items["leetcode"], status=Status.IN_PROGRESS, count=199)
    client.force_login(mentor)
    stuck = section(client.get(reverse("cohorts:grid", args=[cohort.pk])).text, "stuck-heading")
    assert (
        "<strong>LeetCode</strong> — due for 1 student: "
        f'<span class="percent-figure">99&nbsp;% · 0 of 1 done{NOTE}</span>'
    ) in stuck


def test_grid_cells_carry_the_same_percent_and_the_legend_says_how_it_counts(
    client, cohort, counting, plain, mentor
):
    client.force_login(mentor)
    text = client.get(reverse("cohorts:grid", args=[cohort.pk])).text
    rows = re.findall(
        r'class="grid__student"><a [^>]+>([^<]+)</a></th><td class="shade-\d"><a [^>]+>(\d+)</a>',
        text,
    )
    assert rows == [("Asha Verma", "41"), ("Ravi Kumar", "33")]
    assert "Counted items in progress add to the %" in text


def test_cohort_table_shows_the_same_overall_percent_and_says_how_it_counts(
    client, cohort, counting, plain, mentor
):
    client.force_login(mentor)
    text = client.get(reverse("cohorts:dashboard", args=[cohort.pk])).text
    overall = dict(
        re.findall(
            r'<th scope="row"><a [^>]+>([^<]+)</a>.*?<td class="num">(\d+) %</td>', text, re.S
        )
    )
    assert overall == {"Asha Verma": "41", "Ravi Kumar": "33"}
    assert "Counted items in progress add to the %" in text
