"""A mentor creates a cohort, a student joins through the invite link in another
browser, and the mentor sees the numbers and verifies the evidence."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cohorts.models import Cohort
from cohorts.overview import cohort_overview
from roadmap.models import Item
from tests.e2e.conftest import confirm_email_from_outbox, open_item, sign_in
from tests.factories import ItemFactory, UserFactory, build_roadmap

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_cohort_invite_progress_and_verification(new_page, settings):
    roadmap = build_roadmap(items=4, slug=settings.WAYPOINT_DEFAULT_ROADMAP, title="ML Engineer")
    milestone = Item.objects.of_roadmap(roadmap).first().milestone
    project = ItemFactory(milestone=milestone, kind="project", title="Sentiment API")
    mentor = UserFactory(is_mentor=True, name="Dr. Meera Iyer", batch=None)

    mentor_page = new_page()
    sign_in(mentor_page, mentor)
    mentor_page.goto("/cohorts/new/")
    mentor_page.fill("#id_name", "CSE ML club")
    mentor_page.click("form.form button[type=submit]")
    mentor_page.wait_for_url(re.compile(r"/cohorts/\d+/$"))
    invite = mentor_page.input_value("#invite-url")
    cohort_url = mentor_page.url

    student_page = new_page()
    student_page.goto(invite)
    student_page.click("text=Sign up and join")
    student_page.fill("#id_email", "ravi@example.com")
    student_page.fill("#id_name", "Ravi Kumar")
    student_page.select_option(
        "#id_batch", str(student_page.evaluate("new Date().getFullYear()") - 1)
    )
    student_page.fill("#id_password1", "a long enough passphrase")
    student_page.fill("#id_password2", "a long enough passphrase")
    student_page.click("form.form button[type=submit]")
    student_page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    confirm_email_from_outbox(student_page, "ravi@example.com")
    expect(student_page).to_have_url(invite)
    student_page.get_by_role("button", name="Join CSE ML club").click()
    student_page.wait_for_url(re.compile(r"/dashboard/$"))
    assert "You joined CSE ML club" in student_page.inner_text("main")

    student_page.goto(f"/roadmaps/{roadmap.slug}/checklist/")
    first = Item.objects.of_roadmap(roadmap).order_by("pk").first()
    open_item(student_page, first)
    student_page.click(f"#item-{first.pk}-status-done")
    student_page.wait_for_selector(f"#item-{first.pk}.item--done")
    open_item(student_page, project)
    student_page.click(f"#item-{project.pk}-status-done")
    student_page.wait_for_selector(f"#item-{project.pk}.item--done")
    open_item(student_page, project)
    student_page.fill(f"#item-{project.pk}-evidence", "https://github.com/ravi/sentiment")
    student_page.click(f"#item-{project.pk}-notes-save")
    student_page.wait_for_selector(f"#item-{project.pk} .item__state:has-text('evidence attached')")
    student_percent = student_page.inner_text("#overall-percent")

    mentor_page.goto(cohort_url)
    row = mentor_page.locator("tr", has_text="Ravi Kumar")
    assert f"{student_percent} %" in row.inner_text()
    overview = cohort_overview(Cohort.objects.get(), today=timezone.localdate(), now=timezone.now())
    (ravi,) = overview.rows
    assert ravi.pace_label in row.inner_text()
    mentor_page.goto(cohort_url + "grid/")
    assert mentor_page.locator(".grid tbody td a").first.inner_text().isdigit()

    mentor_page.goto(cohort_url + "review/")
    entry = mentor_page.locator(".review-entry", has_text="Sentiment API")
    entry.locator("button", has_text="Verify").click()
    mentor_page.wait_for_selector(".review--done")

    student_page.reload()
    label = student_page.inner_text(f"#item-{project.pk} .item__state")
    assert "verified by a mentor" in label
