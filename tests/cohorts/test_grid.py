"""The cohort grid, the items where the cohort is stuck and the cohort CSV's name:
mentor pages that lead to the students concerned."""

import re
from itertools import pairwise
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts.models import Membership
from cohorts.overview import SHADES, StuckItem, cohort_overview, shade
from roadmap.models import Item, Progress, Roadmap, Status
from roadmap.services import progress_set
from tests.cohorts.test_cohorts import join, make_cohort
from tests.factories import (
    CohortFactory,
    ItemFactory,
    MilestoneFactory,
    StageFactory,
    UserFactory,
    build_roadmap,
)

pytestmark = pytest.mark.django_db

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"


@pytest.fixture
def roadmap():
    """Two stages: "Foundations" due in year 1, "Research" not due before year 4."""
    roadmap = build_roadmap(items=0, stages=0, slug="ml")
    early = StageFactory(roadmap=roadmap, title="Year 1–2: A strong software engineering base")
    late = StageFactory(
        roadmap=roadmap, title="Year 3–4: Advanced ML engineering", year_start=3, year_end=4
    )
    basics = MilestoneFactory(stage=early, title="Core CS fundamentals")
    research = MilestoneFactory(stage=late, title="Market trends and the wider toolkit")
    extras = MilestoneFactory(stage=late, title="Communities")
    for n in range(4):
        ItemFactory(milestone=basics, title=f"Basic {n}", due_year=1, due_semester=1)
    ItemFactory(milestone=research, title="Paper", due_year=4, due_semester=2)
    ItemFactory(milestone=extras, title="Meetup", optional=True)
    return roadmap


def this_years_batch():
    """A batch in its first or second year today: year-1 items are due, year-4 ones not."""
    return timezone.localdate().year - 1


def cells(html):
    """[(student, class, href, text)] of every grid cell, in page order; href "" for a
    cell that is no link."""
    found = []
    for row in re.findall(r"<tr><th scope=\"row\".*?</tr>", html):
        student = re.search(r'class="grid__student"><a [^>]+>([^<]+)</a>', row).group(1)
        for css, href, text in re.findall(
            r'<td class="([^"]+)">(?:<a href="([^"]+)">)?([^<]+)', row
        ):
            found.append((student, css, href, text))
    return found


def grid(client, cohort, **params):
    return client.get(reverse("cohorts:grid", args=[cohort.pk]), params)


# -- the scale --------------------------------------------------------------------


@pytest.mark.parametrize(
    "percent, step",
    [(0, 0), (1, 1), (24, 1), (25, 2), (49, 2), (50, 3), (74, 3), (75, 4), (99, 4), (100, 5)],
)
def test_shades_run_from_none_through_four_equal_quarters_to_all(percent, step):
    assert shade(percent) == step
    assert SHADES == ["0 %", "1–24 %", "25–49 %", "50–74 %", "75–99 %", "100 %"]


def _luminance(hex_colour):
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_scale_is_one_hue_getting_darker_in_even_steps_with_readable_text():
    css = CSS.read_text()
    ink = re.search(r"--ink: (#[0-9a-f]{6})", css).group(1)
    steps = []
    for step in range(len(SHADES)):
        rule = re.search(rf"\.shade-{step} \{{ background: (#[0-9a-f]{{6}}); color: ([^;]+);", css)
        background, text = rule.groups()
        text = ink if text == "var(--ink)" else text.replace("#fff", "#ffffff")
        lighter, darker = sorted([_luminance(background), _luminance(text)], reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 4.5, (step, background, text)
        steps.append(_luminance(background))
    assert steps == sorted(steps, reverse=True)  # lightest = none done, darkest = all done
    # Even steps of lightness (CIE L*), within a rounding of the hex values.
    lightness = [116 * y ** (1 / 3) - 16 for y in steps]
    gaps = [a - b for a, b in pairwise(lightness)]
    assert max(gaps) - min(gaps) < 1.5, gaps


def test_every_due_cell_prints_its_percent_in_the_shade_of_that_percent_and_the_legend_is_in_order(
    client, cohort, mentor
):
    items = list(Item.objects.of_roadmap(cohort.roadmap).filter(title__startswith="Basic"))
    for done in range(5):  # 0 %, 25 %, 50 %, 75 %, 100 % of "Core CS fundamentals"
        student = join(cohort, UserFactory(name=f"Student {done}", batch=this_years_batch()))
        for item in items[:done]:
            progress_set(student=student, item=item, status=Status.DONE)
    client.force_login(mentor)
    html = grid(client, cohort).text

    due = [(name, css, text) for name, css, _, text in cells(html) if css != "not-due"]
    shaded = [(name, css, text) for name, css, text in due if css != "optional"]
    assert [(css, text) for _, css, text in shaded] == [
        ("shade-0", "0"),
        ("shade-2", "25"),
        ("shade-3", "50"),
        ("shade-4", "75"),
        ("shade-5", "100"),
    ]
    legend = html.split('class="grid-legend"')[1].split("</ul>")[0]
    assert re.findall(r"swatch shade-(\d)\">([^<]+)<", legend) == [
        (str(step), label) for step, label in enumerate(SHADES)
    ]
    assert "not due" in legend and "optional items only" in legend


def test_a_milestone_not_yet_due_is_neutral_and_says_so(client, cohort, mentor):
    student = join(cohort, UserFactory(name="Asha Verma", batch=this_years_batch()))
    ahead = join(cohort, UserFactory(name="Ravi Kumar", batch=this_years_batch()))
    progress_set(student=ahead, item=Item.objects.get(title="Paper"), status=Status.DONE)
    no_batch = join(cohort, UserFactory(name="Zara No-batch", batch=None))
    client.force_login(mentor)
    by_student = {}
    for name, css, _, text in cells(grid(client, cohort).text):
        by_student.setdefault(name, []).append((css, text))

    # Core CS fundamentals (due), Market trends (due in year 4), Communities (optional only).
    assert by_student[student.name] == [
        ("shade-0", "0"),
        ("not-due", "not due"),
        ("optional", "—"),
    ]
    assert by_student[ahead.name][1] == ("not-due", "100 · not due")
    # Without a batch nothing is known to be due or not: the cells read as before.
    assert by_student[no_batch.name] == [
        ("shade-0", "0"),
        ("shade-0", "0"),
        ("optional", "—"),
    ]
    later_rule = re.search(
        r":is\(\.grid, \.grid-legend\) :is\(\.not-due, \.prerequisite\) \{([^}]+)\}",
        CSS.read_text(),
    ).group(1)
    assert "background: var(--paper)" in later_rule  # no colour of the scale, no alarm


def test_a_lateral_entrants_prerequisite_milestone_is_neutral_and_says_so(client, cohort, mentor):
    """Core CS fundamentals is all due in year 1: for a student who joined in year 2 it is
    the guide's prerequisites, never behind (README), so the grid does not shade it."""
    year = timezone.localdate().year
    lateral = join(cohort, UserFactory(name="Ravi Kumar", batch=year - 1, entry_year=2))
    regular = join(cohort, UserFactory(name="Asha Verma", batch=year - 2))
    basics = Item.objects.filter(title__startswith="Basic")
    progress_set(student=lateral, item=basics[0], status=Status.DONE)
    client.force_login(mentor)
    by_student = {}
    for name, css, _, text in cells(grid(client, cohort).text):
        by_student.setdefault(name, []).append((css, text))
    assert by_student[lateral.name][0] == ("prerequisite", "25 · prerequisite")
    assert by_student[regular.name][0] == ("shade-0", "0")
    legend = grid(client, cohort).text.split('class="grid-legend"')[1].split("</ul>")[0]
    assert "prerequisite" in legend


def test_each_cell_leads_to_that_milestone_on_the_students_page(client, cohort, mentor):
    student = join(cohort, UserFactory(name="Asha Verma", batch=this_years_batch()))
    client.force_login(mentor)
    milestones = cohort_overview(cohort, today=timezone.localdate(), now=timezone.now()).milestones
    student_url = reverse("cohorts:student", args=[cohort.pk, student.pk])
    grid_url = reverse("cohorts:grid", args=[cohort.pk])
    row = cells(grid(client, cohort).text)
    hrefs = [urljoin(grid_url, href) for _, _, href, _ in row[:2]]
    assert hrefs == [f"{student_url}#milestone-{m.pk}-meter" for m in milestones[:2]]
    # Communities has optional items only: no figure, nothing to lead to.
    assert row[2] == (student.name, "optional", "", "—")
    page = client.get(student_url).text
    for href in hrefs:
        assert f'id="{href.split("#")[1]}"' in page  # the anchor is there to land on


# -- headers and paging -------------------------------------------------------------


def test_stage_and_milestone_titles_are_shown_whole_without_a_tooltip(client, cohort, mentor):
    join(cohort, UserFactory(name="Asha Verma", batch=this_years_batch()))
    client.force_login(mentor)
    html = grid(client, cohort).text
    head = html.split("<thead>")[1].split("</thead>")[0]
    assert re.findall(r'scope="colgroup" colspan="(\d)" class="grid__stage">([^<]+)<', head) == [
        ("1", "Year 1–2: A strong software engineering base"),
        ("2", "Year 3–4: Advanced ML engineering"),
    ]
    assert re.findall(r'class="grid__head"><span>([^<]+)<', head) == [
        "Core CS fundamentals",
        "Market trends and the wider toolkit",
        "Communities",
    ]
    assert "title=" not in head

    dashboard = client.get(reverse("cohorts:dashboard", args=[cohort.pk])).text
    head = dashboard.split("<thead>")[1].split("</thead>")[0]
    assert ">Year 1–2: A strong software engineering base</a>" in head
    assert ">Year 3–4: Advanced ML engineering</a>" in head
    assert "title=" not in head and "…" not in head


def test_the_grid_pages_like_the_dashboard(client, roadmap, mentor, monkeypatch):
    from cohorts import views

    monkeypatch.setattr(views, "GRID_PAGE", 2)
    cohort = make_cohort(5, roadmap, mentor)  # Student 0 .. Student 4
    client.force_login(mentor)

    def names(response):
        return re.findall(r'class="grid__student"><a [^>]+>(Student \d)</a>', response.text)

    second = grid(client, cohort, page=2)
    assert names(second) == ["Student 2", "Student 3"]
    assert "Students 3–4 of 5" in second.text
    assert 'href="?page=3"' in second.text
    assert names(grid(client, cohort, page=3)) == ["Student 4"]
    for bad in ("0", "999", "two", "", "-1"):
        response = grid(client, cohort, page=bad)
        assert response.status_code == 200
        assert len(names(response)) in (1, 2)


def test_a_page_of_the_grid_for_500_students_on_the_guide_stays_under_150_kb(
    client, mentor, settings
):
    """Five-digit ids as in a database in use, and pages of students with everything due,
    nothing due yet and part due (the longest cells)."""
    call_command("load_guide", verbosity=0)
    guide = Roadmap.objects.get(slug=settings.WAYPOINT_DEFAULT_ROADMAP)
    cohort = CohortFactory(
        pk=4321, name="CSE batch 2027 — ML club", roadmap=guide, mentors=[mentor]
    )
    year = timezone.localdate().year
    batches = [year - 5, year + 1, year - 1, year - 2, year - 3]  # two pages each
    students = User.objects.bulk_create(
        User(
            pk=10_000 + n,
            email=f"grid-{n}@example.com",
            name=f"Student {n:03} Kumaraswamy",
            batch=batches[n // 100],
        )
        for n in range(500)
    )
    Membership.objects.bulk_create(Membership(cohort=cohort, student=s) for s in students)
    items = Item.objects.of_roadmap(guide)[::4]
    Progress.objects.bulk_create(
        Progress(student=s, item=item, status=Status.DONE) for s in students for item in items
    )
    client.force_login(mentor)
    for page in range(1, 11):
        response = grid(client, cohort, page=page)
        assert len(cells(response.text)) == 50 * 19  # 50 students by the guide's 19 milestones
        assert len(response.content) <= 150_000, (page, len(response.content))


# -- stuck items ----------------------------------------------------------------------


@pytest.fixture
def stuck_cohort(cohort):
    """Three students the basics are due for, one of whom did them all; one without a batch."""
    batch = this_years_batch()
    done, started, idle = (
        join(cohort, UserFactory(name=name, batch=batch)) for name in ("Asha", "Ravi", "Meena")
    )
    join(cohort, UserFactory(name="Zara", batch=None))
    basics = list(Item.objects.of_roadmap(cohort.roadmap).filter(title__startswith="Basic"))
    for item in basics:
        progress_set(student=done, item=item, status=Status.DONE)
    progress_set(student=started, item=basics[0], status=Status.DONE)
    return cohort, basics, (done, started, idle)


def test_stuck_items_say_who_has_not_done_them(stuck_cohort):
    cohort, basics, (_, started, idle) = stuck_cohort
    overview = cohort_overview(cohort, today=timezone.localdate(), now=timezone.now())
    stuck = overview.stuck_items()
    assert all(isinstance(entry, StuckItem) for entry in stuck)
    # Due for 3 of 4 students (Zara has no batch); Paper is due for nobody yet.
    assert [(entry.item, entry.students.complete, entry.students.total) for entry in stuck] == [
        (basics[1], 1, 3),
        (basics[2], 1, 3),
        (basics[3], 1, 3),
        (basics[0], 2, 3),
    ]
    assert [entry.not_done for entry in stuck] == [[started, idle]] * 3 + [[idle]]
    assert overview.stuck_items(limit=2) == stuck[:2]


def test_each_stuck_item_leads_to_the_students_who_have_not_done_it(client, stuck_cohort, mentor):
    cohort, basics, _ = stuck_cohort
    client.force_login(mentor)
    stuck = grid(client, cohort).text.split('id="stuck-heading"')[1]
    dashboard = reverse("cohorts:dashboard", args=[cohort.pk])
    assert (
        f'<a href="{dashboard}?not_done={basics[0].pk}">The 1 student who has not done it</a>'
        in stuck
    )
    assert (
        f'<a href="{dashboard}?not_done={basics[1].pk}">The 2 students who have not done it</a>'
        in stuck
    )

    def names(params):
        response = client.get(dashboard, params)
        assert response.status_code == 200
        return re.findall(r'<th scope="row"><a [^>]+>([^<]+)</a>', response.text), response.text

    listed, html = names({"not_done": basics[1].pk})
    assert listed == ["Meena", "Ravi"]
    assert f"<strong>{basics[1].title}</strong>" in html and "Show every student" in html
    # The filter keeps to the sort links and the search form.
    assert f"&amp;not_done={basics[1].pk}" in html.split("<thead>")[1]
    assert f'name="not_done" value="{basics[1].pk}"' in html
    assert names({"not_done": basics[1].pk, "sort": "-name"})[0] == ["Ravi", "Meena"]
    assert names({"not_done": basics[1].pk, "q": "ravi"})[0] == ["Ravi"]


@pytest.mark.parametrize("value", ["abc", "0", "-3", "999999", " ", "1.5", "foreign"])
def test_a_bad_or_foreign_not_done_value_is_ignored(client, stuck_cohort, mentor, value):
    cohort, _, _ = stuck_cohort
    if value == "foreign":
        value = str(Item.objects.exclude(milestone__stage__roadmap=cohort.roadmap).first().pk)
    client.force_login(mentor)
    response = client.get(reverse("cohorts:dashboard", args=[cohort.pk]), {"not_done": value})
    assert response.status_code == 200
    assert re.findall(r'<th scope="row"><a [^>]+>([^<]+)</a>', response.text) == [
        "Asha",
        "Meena",
        "Ravi",
        "Zara",
    ]
    assert "Show every student" not in response.text


@pytest.fixture(autouse=True)
def another_roadmap(db):
    """Items of another roadmap, for foreign ids."""
    return build_roadmap(items=2, slug="web")


def test_not_done_of_an_archived_item_is_ignored(client, stuck_cohort, mentor):
    cohort, basics, _ = stuck_cohort
    Item.objects.filter(pk=basics[1].pk).update(archived=True)
    client.force_login(mentor)
    response = client.get(
        reverse("cohorts:dashboard", args=[cohort.pk]), {"not_done": basics[1].pk}
    )
    assert len(re.findall(r'<th scope="row">', response.text)) == 4


# -- the CSV's name ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, filename",
    [
        ("CSE ML club", 'attachment; filename="cse-ml-club-{date}.csv"'),
        (
            "  CSE batch 2027 — ML club!  ",
            'attachment; filename="cse-batch-2027-ml-club-{date}.csv"',
        ),
        ("?!— …", 'attachment; filename="cohort-{pk}-{date}.csv"'),
        ("Café ML", "attachment; filename*=utf-8''caf%C3%A9-ml-{date}.csv"),
        ("एमएल", "attachment; filename*=utf-8''%E0%A4%8F%E0%A4%AE%E0%A4%8F%E0%A4%B2-{date}.csv"),
    ],
)
def test_the_cohort_csv_is_named_after_the_cohort(client, roadmap, mentor, name, filename):
    cohort = CohortFactory(name=name, roadmap=roadmap, mentors=[mentor])
    client.force_login(mentor)
    response = client.get(reverse("cohorts:export", args=[cohort.pk]))
    date = f"{timezone.localdate():%Y-%m-%d}"
    assert response["Content-Disposition"] == filename.format(pk=cohort.pk, date=date)
