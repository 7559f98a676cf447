"""The mentor's grid and cohort table in Chromium at 360 px: long names wrap, whole stage
titles show, a cell leads to the student at that milestone, a stuck item to who has not
done it."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from cohorts.models import Cohort, Membership
from roadmap.models import Item, Progress, Roadmap, Status
from roadmap.services import follow_roadmap, progress_set
from tests.e2e.conftest import PHONE, axe_violations, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAYOUT_CHECK = (Path(__file__).parent / "layout_check.js").read_text()
# Headers (block elements) narrower than their longest word (hyphens may break), which
# must then be cut.
CUT_WORDS = """spans => spans.filter(span => {
  const words = span.textContent.split(/[\\s-]+/);
  const longest = words.reduce((a, b) => (b.length > a.length ? b : a), "");
  const probe = document.createElement("span");
  probe.style.whiteSpace = "nowrap";
  probe.textContent = longest;
  span.appendChild(probe);
  const width = probe.getBoundingClientRect().width;
  probe.remove();
  return width > span.clientWidth + 0.5;
}).map(span => span.textContent)"""
LONG_NAME = "Venkataramanasubrahmanyam" * 3 + "Iyengar" * 2  # 89 letters, no space


@pytest.fixture
def world(transactional_db, settings):
    """The shipped guide; a cohort with a long-named student, one ahead and one idle."""
    call_command("load_guide", verbosity=0)
    roadmap = Roadmap.objects.get(slug=settings.WAYPOINT_DEFAULT_ROADMAP)
    mentor = UserFactory(is_mentor=True, batch=None)
    cohort = Cohort.objects.create(name="CSE batch 2027 — ML club", roadmap=roadmap)
    cohort.mentors.add(mentor)
    batch = timezone.localdate().year - 1  # in the first or second year: some of it due
    students = [
        UserFactory(name=name, batch=batch) for name in (LONG_NAME, "Asha Verma", "Ravi Kumar")
    ]
    for student in students:
        Membership.objects.create(cohort=cohort, student=student)
        follow_roadmap(student, roadmap)
    items = list(Item.objects.of_roadmap(roadmap).order_by("milestone__stage__order", "order"))
    first, others = items[0], items[1:]
    # Everyone did everything but the first item, which only Asha did: it is stuck.
    Progress.objects.bulk_create(
        Progress(student=student, item=item, status=Status.DONE)
        for student in students
        for item in others
    )
    progress_set(student=students[1], item=first, status=Status.DONE)
    return {"mentor": mentor, "cohort": cohort, "students": students, "first": first}


@pytest.fixture
def phone(new_page, world):
    page = new_page(viewport=PHONE)
    sign_in(page, world["mentor"])
    return page


def widest_name(page, selector):
    return page.eval_on_selector_all(
        selector, "cells => Math.max(...cells.map(c => c.getBoundingClientRect().width))"
    )


@pytest.mark.parametrize(
    "path, name_cells", [("grid/", "th.grid__student"), ("", ".cohort-table tbody th")]
)
def test_a_long_unbroken_name_wraps_and_the_page_never_scrolls_sideways(
    phone, world, path, name_cells
):
    phone.goto(f"{world['cohort'].get_absolute_url()}{path}")
    assert phone.evaluate(LAYOUT_CHECK) == []
    # The name column stays narrow (at most 14rem): the name wraps onto several lines.
    assert widest_name(phone, name_cells) <= 14 * 16
    cell = phone.locator(name_cells, has_text=LONG_NAME[:20])
    assert cell.bounding_box()["height"] > 3 * 16
    phone.screenshot(path=f"/tmp/wtgrid-{path.strip('/') or 'dashboard'}-360.png", full_page=True)


def test_stage_and_milestone_titles_show_whole(phone, world):
    phone.goto(f"{world['cohort'].get_absolute_url()}grid/")
    clipped = phone.eval_on_selector_all(
        ".grid thead th",
        "ths => ths.filter(th => th.scrollWidth > th.clientWidth + 1).map(th => th.innerText)",
    )
    assert clipped == []
    # Words wrap whole: each milestone header is as wide as its longest word.
    assert phone.eval_on_selector_all(".grid__head span", CUT_WORDS) == []
    headers = phone.locator(".grid__stage").all_inner_texts()
    assert [" ".join(text.split()) for text in headers] == [
        stage.title for stage in world["cohort"].roadmap.stages.order_by("order")
    ]
    phone.goto(world["cohort"].get_absolute_url())
    for stage in world["cohort"].roadmap.stages.all():
        header = phone.locator(".cohort-table thead th", has_text=stage.title)
        assert header.count() == 1
        box = header.bounding_box()
        assert box["width"] < 200  # wrapped onto lines, not one wide column
    phone.locator(".cohort-table thead th").last.scroll_into_view_if_needed()
    phone.screenshot(path="/tmp/wtgrid-dashboard-stages-360.png")


def test_a_cell_opens_the_student_at_that_milestone(phone, world):
    asha = world["students"][1]
    milestone = world["first"].milestone
    phone.goto(f"{world['cohort'].get_absolute_url()}grid/")
    row = phone.locator("tr", has=phone.locator("th", has_text="Asha Verma"))
    cell = row.locator("td").first
    assert cell.inner_text() == "100"  # all of "Programming"
    assert cell.get_attribute("class") == "shade-5"
    other = phone.locator("tr", has=phone.locator("th", has_text="Ravi Kumar")).locator("td").first
    assert (other.inner_text(), other.get_attribute("class")) == ("80", "shade-4")
    cell.locator("a").click()
    phone.wait_for_url(f"**/students/{asha.pk}/#milestone-{milestone.pk}-meter")
    meter = phone.locator(f"#milestone-{milestone.pk}-meter")
    assert meter.is_visible()
    assert meter.evaluate("el => el.getBoundingClientRect().top") < PHONE["height"]


def test_a_stuck_item_lists_who_has_not_done_it(phone, world):
    phone.goto(f"{world['cohort'].get_absolute_url()}grid/")
    entry = phone.locator("#stuck-heading ~ ol li", has_text=world["first"].title)
    entry.locator("a", has_text="The 2 students who have not done it").click()
    phone.wait_for_url(f"**/?not_done={world['first'].pk}")
    names = phone.locator(".cohort-table tbody th a").all_inner_texts()
    assert sorted(names) == sorted([LONG_NAME, "Ravi Kumar"])
    assert phone.evaluate(LAYOUT_CHECK) == []
    phone.locator("a", has_text="Show every student").click()
    phone.wait_for_url(lambda url: "not_done" not in url)
    assert phone.locator(".cohort-table tbody th a").count() == 3


def test_the_grid_and_the_filtered_table_pass_axe(new_page, world):
    page = new_page(bypass_csp=True)
    sign_in(page, world["mentor"])
    problems = {}
    for path in ("grid/", f"?not_done={world['first'].pk}"):
        page.goto(f"{world['cohort'].get_absolute_url()}{path}")
        if violations := axe_violations(page):
            problems[path] = violations
    assert problems == {}
