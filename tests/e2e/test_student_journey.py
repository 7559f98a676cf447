"""A student signs up, ticks items off and sees every figure follow, in Chromium."""

import re

import pytest
from django.conf import settings

from accounts.models import User
from roadmap.models import Item, Progress, ProgressEvent, Status
from roadmap.services import follow_roadmap
from tests.e2e.conftest import PHONE, confirm_email_from_outbox, open_item, sign_in
from tests.factories import ItemFactory, build_roadmap

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long enough passphrase"


@pytest.fixture
def roadmap(transactional_db):
    roadmap = build_roadmap(items=5, slug=settings.WAYPOINT_DEFAULT_ROADMAP, title="ML Engineer")
    milestone = Item.objects.of_roadmap(roadmap).first().milestone
    ItemFactory(milestone=milestone, title="Solve problems", target_count=3, unit="problems")
    return roadmap


def test_sign_up_on_a_phone_verify_from_the_mail_and_land_signed_in(new_page, roadmap):
    page = new_page(viewport=PHONE)
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("ravi@example.com")
    page.get_by_label("Your name").fill("Ravi Kumar")
    page.get_by_label("Batch (admission year)").select_option(
        str(page.evaluate("new Date().getFullYear()") - 1)
    )
    page.get_by_label("Year 2 (lateral entry)").check()
    page.get_by_label("5 years (dual degree)").check()
    page.fill("#id_password1", PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    # Nothing scrolls sideways at 360 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    assert page.inner_text("h1") == "Check your email"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    confirm_email_from_outbox(page, "ravi@example.com")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    assert "Welcome to Waypoint, Ravi Kumar!" in page.inner_text("main")
    user = User.objects.get(email="ravi@example.com")
    assert (user.entry_year, user.programme_years) == (2, 5)
    assert user.emailaddress_set.get().verified


def overall(page):
    return int(page.inner_text("#overall-percent"))


def test_sign_up_tick_off_and_every_figure_follows_without_a_reload(page, roadmap):
    page.goto("/accounts/signup/")
    page.fill("#id_email", "asha@example.com")
    page.fill("#id_name", "Asha Verma")
    page.select_option("#id_batch", str(page.evaluate("new Date().getFullYear()") - 1))
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    confirm_email_from_outbox(page, "asha@example.com")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    assert page.inner_text(".big-number").startswith("0")

    page.click("text=Open your checklist")
    page.wait_for_url(re.compile(r"/checklist/$"))
    page.evaluate("window.__sameDocument = true")
    items = list(Item.objects.of_roadmap(roadmap).order_by("pk"))
    first, second, third, counted = items[0], items[1], items[2], items[-1]
    assert overall(page) == 0

    open_item(page, first)
    page.click(f"#item-{first.pk}-status-done")
    page.wait_for_selector(f"#item-{first.pk}.item--done")
    assert overall(page) == 16  # 1 of 6
    open_item(page, second)
    page.click(f"#item-{second.pk}-status-in_progress")
    page.wait_for_selector(f"#item-{second.pk}.item--in_progress")
    open_item(page, third)
    page.click(f"#item-{third.pk}-status-skipped")
    page.wait_for_selector(f"#item-{third.pk}.item--skipped")
    assert overall(page) == 16  # skipped never counts

    # Step the count to its target: the item becomes done.
    for expected in (1, 2, 3):
        open_item(page, counted)
        page.click(f"#item-{counted.pk}-plus1")
        page.wait_for_selector(f"#item-{counted.pk} .counter__value strong:text-is('{expected}')")
    page.wait_for_selector(f"#item-{counted.pk}.item--done")
    assert overall(page) == 33
    milestone_meter = page.inner_text(f"#milestone-{counted.milestone_id}-meter")
    assert "done" in milestone_meter

    open_item(page, first)
    page.fill(f"#item-{first.pk}-note", "Finished the course")
    page.fill(f"#item-{first.pk}-evidence", "https://github.com/asha/python")
    page.click(f"#item-{first.pk}-notes-save")
    page.wait_for_selector(f"#item-{first.pk} .item__state:has-text('evidence attached')")

    assert page.evaluate("window.__sameDocument") is True  # no navigation happened
    assert "Saved:" in page.inner_text("#live-status")

    page.reload()
    assert overall(page) == 33
    open_item(page, second)
    assert page.get_attribute(f"#item-{second.pk}-status-in_progress", "aria-pressed") == "true"
    open_item(page, first)
    assert page.input_value(f"#item-{first.pk}-note") == "Finished the course"

    page.goto(f"/roadmaps/{roadmap.slug}/dashboard/")
    assert "33" in page.inner_text(".big-number")
    assert "Required items: 33\xa0% · 2 of 6 done" in page.inner_text("main")
    student = Progress.objects.get(item=first).student
    assert Progress.objects.filter(student=student).count() == 4


@pytest.fixture
def item_on_checklist(page, roadmap, student_factory):
    """A student signed in on their checklist; the roadmap's first item."""
    student = student_factory(batch=2025)
    follow_roadmap(student, roadmap)
    sign_in(page, student)
    page.goto(f"/roadmaps/{roadmap.slug}/checklist/")
    return Item.objects.of_roadmap(roadmap).order_by("pk").first()


def test_focus_stays_on_the_control_after_a_swap(page, item_on_checklist):
    item = item_on_checklist
    open_item(page, item)
    page.focus(f"#item-{item.pk}-status-in_progress")
    page.keyboard.press("Tab")  # keyboard reaches the next option
    assert page.evaluate("document.activeElement.id") == f"item-{item.pk}-status-done"
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#item-{item.pk}.item--done")
    assert page.evaluate("document.activeElement.id") == f"item-{item.pk}-status-done"
    page.keyboard.press("Space")  # a second press on the same state changes nothing
    page.wait_for_load_state("networkidle")
    assert ProgressEvent.objects.filter(item=item).count() == 1
    assert Progress.objects.get(item=item).status == Status.DONE


def test_saving_a_note_keeps_its_panel_open_and_the_focus_on_save(page, item_on_checklist):
    item = item_on_checklist
    open_item(page, item)
    page.fill(f"#item-{item.pk}-note", "Chapter 3 done")
    page.focus(f"#item-{item.pk}-notes-save")
    page.keyboard.press("Enter")
    page.wait_for_selector("#live-status:has-text('Saved')", state="attached")
    assert page.evaluate(f"document.querySelector('#item-{item.pk} details').open")
    assert page.evaluate("document.activeElement.id") == f"item-{item.pk}-notes-save"
    assert Progress.objects.get(item=item).note == "Chapter 3 done"
