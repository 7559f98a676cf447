"""The mentor's review queue in Chromium: after Verify or Send back the keyboard moves on
to the next entry (or to the count of what is left), the outcome is said in the live
region, and a Verify can be undone, with JavaScript and without."""

import os

import pytest
from playwright.sync_api import expect

from cohorts.models import Membership
from roadmap.models import Item, Progress, Status
from roadmap.services import follow_roadmap, progress_set
from tests.e2e.conftest import PHONE, sign_in
from tests.factories import CohortFactory, ItemFactory, UserFactory, build_roadmap

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("WAYPOINT_SCREENSHOTS")  # a folder to keep them in, if set


@pytest.fixture
def queue():
    """(mentor, cohort, [three waiting entries, oldest first])."""
    roadmap = build_roadmap(items=2, slug="ml")
    milestone = Item.objects.of_roadmap(roadmap).first().milestone
    project = ItemFactory(milestone=milestone, kind="project", title="Sentiment API")
    mentor = UserFactory(is_mentor=True, name="Dr. Meera Iyer", batch=None)
    cohort = CohortFactory(name="CSE ML club", roadmap=roadmap, mentors=[mentor])
    entries = []
    for name in ["Asha Verma", "Ravi Kumar", "Priyadarshini Venkatasubramanian"]:
        student = UserFactory(name=name)
        Membership.objects.create(cohort=cohort, student=student)
        follow_roadmap(student, roadmap)
        slug = name.split()[0].lower()
        entries.append(
            progress_set(
                student=student,
                item=project,
                status=Status.DONE,
                evidence_url=f"https://github.com/{slug}/sentiment-analysis-service-with-fastapi",
            )
        )
    return mentor, cohort, entries


def focus_is_in(page, selector):
    page.wait_for_function(
        "selector => document.activeElement && document.activeElement.closest(selector)",
        arg=selector,
    )


def test_focus_moves_on_after_each_review_and_undo_brings_an_entry_back(new_page, queue):
    mentor, cohort, (first, second, third) = queue
    page = new_page()
    sign_in(page, mentor)
    page.goto(f"/cohorts/{cohort.pk}/review/")
    expect(page.locator("#review-waiting")).to_have_text("3 waiting.")

    page.locator(f"#review-{first.pk}-verify").focus()
    page.keyboard.press("Enter")
    focus_is_in(page, f"#review-{second.pk}")
    assert page.evaluate("document.activeElement.tagName") == "H2"
    expect(page.locator("#live-status")).to_have_text("Verified: Sentiment API by Asha Verma.")
    expect(page.locator("#review-waiting")).to_have_text("2 waiting.")
    expect(page.locator(f"#review-{first.pk} .review--done")).to_contain_text("Verified.")
    # From the focused heading, the next Tab reaches that entry's own controls.
    page.keyboard.press("Tab")
    focus_is_in(page, f"#review-{second.pk}")

    page.fill(f"#review-{second.pk}-comment", "Add a README")
    page.click(f"#review-{second.pk}-return")
    focus_is_in(page, f"#review-{third.pk}")
    expect(page.locator("#live-status")).to_have_text("Sent back: Sentiment API by Ravi Kumar.")
    # Send back has no undo: the student sees the comment.
    expect(page.locator(f"#review-{second.pk}-undo")).to_have_count(0)

    page.click(f"#review-{third.pk}-verify")
    expect(page.locator("#review-waiting")).to_have_text("0 waiting.")
    focus_is_in(page, "#review-waiting")

    page.click(f"#review-{first.pk}-undo")
    expect(page.locator(f"#review-{first.pk}-verify")).to_be_visible()
    focus_is_in(page, f"#review-{first.pk}")
    expect(page.locator("#review-waiting")).to_have_text("1 waiting.")
    expect(page.locator("#live-status")).to_contain_text("Verification undone")
    first.refresh_from_db()
    assert first.verified_at is None and first.review_comment == ""
    assert Progress.objects.awaiting_review().get() == first


def test_the_queue_after_a_verify_at_360px(new_page, queue, tmp_path):
    mentor, cohort, (first, second, _) = queue
    page = new_page(viewport=PHONE)
    sign_in(page, mentor)
    page.goto(f"/cohorts/{cohort.pk}/review/")
    evidence = page.locator(f"#review-{first.pk} .evidence a")
    expect(evidence).to_have_attribute("target", "_blank")
    expect(page.locator(f"#review-{first.pk} .evidence")).to_contain_text("(opens in a new tab)")

    page.click(f"#review-{first.pk}-verify")
    focus_is_in(page, f"#review-{second.pk}")
    expect(page.locator(f"#review-{first.pk}-undo")).to_be_visible()
    # Nothing wider than the phone: no sideways scroll.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator(f"#review-{first.pk}").scroll_into_view_if_needed()
    folder = SCREENSHOTS or tmp_path
    page.screenshot(path=os.path.join(folder, "review-after-verify-360.png"), full_page=True)

    page.click(f"#review-{first.pk}-undo")
    expect(page.locator(f"#review-{first.pk} .review--undone")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=os.path.join(folder, "review-after-undo-360.png"), full_page=True)


def test_verify_and_undo_without_javascript(new_page, queue):
    mentor, cohort, (first, *_) = queue
    page = new_page(javascript=False)
    sign_in(page, mentor)
    page.goto(f"/cohorts/{cohort.pk}/review/")
    page.click(f"#review-{first.pk}-verify")
    page.wait_for_url(f"**/cohorts/{cohort.pk}/review/?verified={first.pk}")
    expect(page.locator(f"#review-{first.pk} .review--done")).to_contain_text("Verified.")
    expect(page.locator("#review-waiting")).to_have_text("2 waiting.")

    page.click(f"#review-{first.pk}-undo")
    page.wait_for_url(f"**/cohorts/{cohort.pk}/review/")
    expect(page.locator("main")).to_contain_text("Verification undone: Sentiment API by Asha")
    expect(page.locator(f"#review-{first.pk}-verify")).to_be_visible()
    expect(page.locator("#review-waiting")).to_have_text("3 waiting.")
