"""A phone on a patchy connection, a second tab, the Back button: every tap shows it is
pending, lands in order or says why not, and nothing shown is out of date."""

import re

import pytest

from roadmap.models import Item, Progress, ProgressEvent, Status
from roadmap.services import follow_roadmap, progress_set
from tests.e2e.conftest import PHONE, open_item, sign_in
from tests.factories import CohortFactory, ItemFactory, UserFactory, build_roadmap

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLOW = 2000  # ms of latency on every request, as on a weak mobile signal


@pytest.fixture
def items(setup):
    """(roadmap, student, first item, second item, counted item)."""
    roadmap, student, first, counted = setup
    second = (
        Item.objects.of_roadmap(roadmap).exclude(pk__in=[first.pk, counted.pk]).order_by("pk")[0]
    )
    return roadmap, student, first, second, counted


def checklist(roadmap):
    return f"/roadmaps/{roadmap.slug}/checklist/"


def slow_network(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": SLOW,
            "downloadThroughput": 50_000,
            "uploadThroughput": 20_000,
        },
    )


def sign_out_in_another_tab(page):
    """Sign out from a second tab of the same browser; the first tab is left as it was."""
    other_tab = page.context.new_page()
    other_tab.goto("/dashboard/")
    other_tab.click(".site-menu summary")  # Sign out is in the header menu
    other_tab.click("button:has-text('Sign out')")
    other_tab.wait_for_url(lambda url: url.endswith("/"))
    return other_tab


def pressed(page, item, status):
    open_item(page, item)
    return page.get_attribute(f"#item-{item.pk}-status-{status}", "aria-pressed") == "true"


def test_taps_while_saving_show_pending_and_all_land_in_order(new_page, items):
    roadmap, student, first, _, counted = items
    page = new_page(viewport=PHONE)
    page.set_default_timeout(30_000)
    sign_in(page, student)
    page.goto(checklist(roadmap))
    slow_network(page)

    for _ in range(3):
        open_item(page, counted)
        page.click(f"#item-{counted.pk}-plus1")
        page.wait_for_selector(f"#item-{counted.pk}[aria-busy=true]")
    # Pending is visible on the item, in words, and for assistive technology.
    assert page.get_attribute(f"#item-{counted.pk}", "aria-busy") == "true"
    assert "Saving…" in page.inner_text(f"#item-{counted.pk} .pending-note")
    assert "waiting" in page.inner_text(f"#item-{counted.pk} .pending-note")
    page.wait_for_selector(f"#item-{counted.pk} .counter__value strong:text-is('3')")
    page.wait_for_selector(f"#item-{counted.pk}:not([aria-busy])")
    assert Progress.objects.get(item=counted).count == 3

    open_item(page, first)
    page.click(f"#item-{first.pk}-status-done")
    page.wait_for_selector(f"#item-{first.pk}[aria-busy=true]")
    page.click(f"#item-{first.pk}-status-in_progress")
    page.wait_for_selector(f"#item-{first.pk}.item--in_progress:not([aria-busy])")
    assert Progress.objects.get(item=first).status == Status.IN_PROGRESS
    statuses = list(
        ProgressEvent.objects.filter(item=first)
        .order_by("created_at")
        .values_list("to_status", flat=True)
    )
    assert statuses == [Status.DONE, Status.IN_PROGRESS]
    assert page.is_hidden("#problem")


def test_taps_after_a_failed_change_are_reported_not_dropped_silently(page, items):
    roadmap, student, first, _, _ = items
    sign_in(page, student)
    page.goto(checklist(roadmap))
    held = []
    page.route("**/progress/", lambda route: held.append(route))
    open_item(page, first)
    page.click(f"#item-{first.pk}-status-done")
    page.wait_for_selector(f"#item-{first.pk}[aria-busy=true]")
    page.click(f"#item-{first.pk}-status-skipped")
    page.click(f"#item-{first.pk}-status-in_progress")
    assert "2 more changes waiting" in page.inner_text(f"#item-{first.pk} .pending-note")
    while not held:  # the route handler runs while Playwright pumps events
        page.wait_for_timeout(50)
    held[0].fulfill(status=500, body="<h1>Server Error</h1>")
    page.wait_for_selector("#problem:not([hidden])")
    problem = page.inner_text("#problem")
    assert "2 later taps were not sent" in problem
    assert page.get_attribute(f"#item-{first.pk}", "aria-busy") is None
    assert len(held) == 1  # the waiting taps were not sent behind the failure
    assert not Progress.objects.exists()


def test_back_and_forward_show_current_progress_and_the_next_click_lands(page, items):
    roadmap, student, first, second, _ = items
    sign_in(page, student)
    page.goto(checklist(roadmap))
    open_item(page, first)
    page.click(f"#item-{first.pk}-status-done")
    page.wait_for_selector(f"#item-{first.pk}.item--done")
    page.click("text=Your dashboard")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    assert page.inner_text(".big-number").startswith("25")  # 1 of 4

    page.go_back()
    page.wait_for_url(re.compile(r"/checklist/$"))
    assert pressed(page, first, "done")
    open_item(page, second)
    page.click(f"#item-{second.pk}-status-done")
    page.wait_for_selector(f"#item-{second.pk}.item--done")

    page.go_forward()
    page.wait_for_url(re.compile(r"/dashboard/$"))
    assert page.inner_text(".big-number").startswith("50")  # 2 of 4, not the 25 first shown

    page.go_back()
    page.wait_for_url(re.compile(r"/checklist/$"))
    assert pressed(page, first, "done") and pressed(page, second, "done")
    open_item(page, first)
    page.click(f"#item-{first.pk}-status-in_progress")
    page.wait_for_selector(f"#item-{first.pk}.item--in_progress")
    assert "changed elsewhere" not in page.inner_text(f"#item-{first.pk}")
    assert Progress.objects.get(item=first).status == Status.IN_PROGRESS


def test_a_note_typed_in_an_out_of_date_tab_is_kept(new_page, items):
    roadmap, student, first, _, _ = items
    tab_a, tab_b = new_page(), new_page()
    sign_in(tab_a, student)
    tab_a.goto(checklist(roadmap))
    open_item(tab_a, first)
    tab_a.fill(f"#item-{first.pk}-note", "Typed on my phone")
    progress_set(student=student, item=first, note="Saved from my laptop")  # the other tab
    tab_a.click(f"#item-{first.pk}-notes-save")
    tab_a.wait_for_selector(f"#item-{first.pk}-note-saved")
    assert tab_a.input_value(f"#item-{first.pk}-note") == "Typed on my phone"
    assert "Saved from my laptop" in tab_a.inner_text(f"#item-{first.pk}-note-saved")
    # Saving again is a deliberate choice, and it lands.
    tab_a.click(f"#item-{first.pk}-notes-save")
    tab_a.wait_for_selector(f"#item-{first.pk}:not(:has(#item-{first.pk}-note-saved))")
    assert Progress.objects.get(item=first).note == "Typed on my phone"
    tab_b.close()


def test_signed_out_in_another_tab_a_tap_goes_to_sign_in_and_back_with_the_typed_text(
    new_page, items
):
    roadmap, student, first, _, _ = items
    page = new_page()
    sign_in(page, student)
    page.goto(checklist(roadmap) + "?show=all")
    open_item(page, first)
    page.fill(f"#item-{first.pk}-note", "Half-written thought")

    sign_out_in_another_tab(page)

    page.click(f"#item-{first.pk}-status-done")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert page.locator(".site-header").count() == 1  # a page of its own, nothing embedded
    assert "You were signed out, so that change was not saved" in page.inner_text("main")
    page.fill("#id_login", student.email)
    page.fill("#id_password", "correct-horse-battery")
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(rf"/checklist/\?show=all#item-{first.pk}$"))
    open_item(page, first)
    assert page.input_value(f"#item-{first.pk}-note") == "Half-written thought"
    assert "not saved yet" in page.inner_text("#problem")
    assert not Progress.objects.exists()


@pytest.mark.parametrize("debug", [False, True], ids=["production", "make run (DEBUG on)"])
def test_signed_in_again_elsewhere_a_tap_says_to_reload_in_our_words(
    new_page, items, settings, debug
):
    settings.DEBUG = debug
    roadmap, student, first, _, _ = items
    page = new_page()
    sign_in(page, student)
    page.goto(checklist(roadmap))

    other_tab = sign_out_in_another_tab(page)
    sign_in(other_tab, student)  # a new CSRF token: the first tab's is stale now

    page.click(f"#item-{first.pk}-quick")
    page.wait_for_selector("#problem:not([hidden])")
    assert "Reload the page and try again" in page.inner_text("#problem")
    assert "CSRF verification failed" not in page.content()
    assert page.locator(".site-header").count() == 1
    assert page.get_attribute(f"#item-{first.pk}-quick", "aria-pressed") == "false"
    assert not Progress.objects.exists()


@pytest.mark.parametrize("debug", [False, True], ids=["production", "make run (DEBUG on)"])
@pytest.mark.parametrize("status", [403, 404, 500])
def test_error_answers_show_our_message_not_their_body(page, items, settings, debug, status):
    settings.DEBUG = debug
    roadmap, student, first, _, _ = items
    sign_in(page, student)
    page.goto(checklist(roadmap))
    page.route(
        "**/progress/",
        lambda route: route.fulfill(
            status=status, body="<html><body><h1>RAW DEBUG BODY</h1></body></html>"
        ),
    )
    open_item(page, first)
    page.click(f"#item-{first.pk}-status-done")
    page.wait_for_selector("#problem:not([hidden])")
    assert "Not saved" in page.inner_text("#problem")
    assert "RAW DEBUG BODY" not in page.content()
    assert page.is_visible(f"#item-{first.pk}")


def test_a_tap_the_answer_made_pointless_is_reported_and_the_entry_is_not_left_busy(new_page):
    roadmap = build_roadmap(items=2, slug="ml")
    project = ItemFactory(
        milestone=Item.objects.of_roadmap(roadmap).first().milestone, kind="project"
    )
    mentor = UserFactory(is_mentor=True, batch=None)
    student = UserFactory()
    follow_roadmap(student, roadmap)
    cohort = CohortFactory(name="Club", roadmap=roadmap, mentors=[mentor], students=[student])
    evidence = progress_set(
        student=student, item=project, status="done", evidence_url="https://github.com/a/b"
    )
    page = new_page()
    page.set_default_timeout(30_000)
    sign_in(page, mentor)
    page.goto(f"/cohorts/{cohort.pk}/review/")
    slow_network(page)
    page.click(f"#review-{evidence.pk}-verify")
    page.wait_for_selector(f"#review-{evidence.pk}[aria-busy=true]")
    page.fill(f"#review-{evidence.pk}-comment", "Needs a README")
    page.click(f"#review-{evidence.pk}-return")
    page.wait_for_selector(f"#review-{evidence.pk}:has-text('Verified')")
    page.wait_for_selector("#problem:not([hidden])")
    assert "1 later tap was not sent" in page.inner_text("#problem")
    assert page.get_attribute(f"#review-{evidence.pk}", "aria-busy") is None
    evidence.refresh_from_db()
    assert evidence.verified_at is not None and evidence.review_comment == ""


def test_text_typed_while_another_change_is_on_its_way_survives_the_answer(new_page, items):
    roadmap, student, first, _, _ = items
    page = new_page()
    page.set_default_timeout(30_000)
    sign_in(page, student)
    page.goto(checklist(roadmap))
    slow_network(page)
    open_item(page, first)
    page.click(f"#item-{first.pk}-status-done")
    open_item(page, first)
    page.fill(f"#item-{first.pk}-note", "Typed while Done was saving")
    page.wait_for_selector(f"#item-{first.pk}.item--done:not([aria-busy])")
    assert page.input_value(f"#item-{first.pk}-note") == "Typed while Done was saving"
    assert Progress.objects.get(item=first).note == ""


def test_typed_text_is_never_restored_into_another_persons_account(new_page, items):
    roadmap, student, first, _, _ = items
    other = UserFactory(batch=2025)
    follow_roadmap(other, roadmap)
    page = new_page()
    sign_in(page, student)
    page.goto(checklist(roadmap))
    open_item(page, first)
    page.fill(f"#item-{first.pk}-note", "Student A's private thought")
    sign_out_in_another_tab(page)
    page.click(f"#item-{first.pk}-status-done")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    # Student B signs in on the same browser (a college lab machine) and opens the page.
    page.fill("#id_login", other.email)
    page.fill("#id_password", "correct-horse-battery")
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/checklist/"))
    open_item(page, first)
    assert page.input_value(f"#item-{first.pk}-note") == ""
    assert page.is_hidden("#problem")
