"""A student who joins mid-degree catches up from the dashboard on a phone, with and
without JavaScript, then undoes it: in Chromium at 360 px."""

from pathlib import Path

import pytest

from roadmap.models import Item, Progress, ProgressEvent, Status
from roadmap.services import follow_roadmap, progress_set
from tests.e2e.conftest import PHONE, axe_violations, sign_in
from tests.factories import ItemFactory, UserFactory, build_roadmap
from tests.roadmap.test_catch_up import batch_in_year

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAYOUT_CHECK = (Path(__file__).parent / "layout_check.js").read_text()


@pytest.fixture
def world(transactional_db):
    roadmap = build_roadmap(items=8, slug="ml", title="ML Engineer")
    milestone = Item.objects.of_roadmap(roadmap).first().milestone
    ItemFactory(milestone=milestone, title="LeetCode problems", target_count=200, unit="problems")
    student = UserFactory(batch=batch_in_year(3), name="Asha Verma")
    follow_roadmap(student, roadmap)
    items = list(Item.objects.of_roadmap(roadmap).order_by("pk"))
    progress_set(student=student, item=items[0], status=Status.DONE)
    return roadmap, student, items


@pytest.mark.parametrize("javascript", [True, False])
def test_catch_up_from_the_dashboard_and_undo_on_a_phone(new_page, world, javascript):
    roadmap, student, items = world
    page = new_page(viewport=PHONE, javascript=javascript, bypass_csp=True)
    sign_in(page, student)
    page.goto(f"/roadmaps/{roadmap.slug}/dashboard/")
    assert "8 items were due by Year 3" in page.inner_text(".pace__next-step")
    page.click("text=Tick what you have done")
    page.wait_for_url("**/catch-up/")

    assert page.evaluate(LAYOUT_CHECK) == []
    if javascript:  # axe-core runs in the page
        assert axe_violations(page) == []
    assert page.is_checked(f"#catch-up-{items[0].pk}") and page.is_disabled(
        f"#catch-up-{items[0].pk}"
    )
    # Ticked by their labels, as a thumb would.
    page.click(f"label[for=catch-up-{items[1].pk}]")
    page.click(f"label[for=catch-up-{items[-1].pk}]")  # the counted item
    page.click("text=Save ticked items")
    page.wait_for_url("**/catch-up/?saved=*")
    assert "Saved: 2 items marked done" in page.inner_text(".catch-up__saved")
    assert page.evaluate(LAYOUT_CHECK) == []
    done = Progress.objects.filter(student=student, status=Status.DONE)
    assert set(done.values_list("item_id", flat=True)) == {items[0].pk, items[1].pk, items[-1].pk}
    assert ProgressEvent.objects.filter(student=student, batch__isnull=False).count() == 2

    page.click("text=Undo this catch-up")
    page.wait_for_selector("text=Undone: 2 items are back as before.")
    assert list(done.values_list("item_id", flat=True)) == [items[0].pk]

    page.click(f"label[for=catch-up-{items[2].pk}]")
    page.click("text=Save ticked items")
    page.wait_for_url("**/catch-up/?saved=*")
    page.get_by_role("link", name="See what's next").click()
    page.wait_for_url("**/dashboard/")
    assert "7 items were due by Year 3" in page.inner_text(".pace__next-step")
