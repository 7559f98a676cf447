"""When saving fails in the browser, nothing pretends it worked; without
JavaScript every checklist form still works."""

import pytest

from roadmap.models import Progress, ProgressEvent, Status
from tests.e2e.conftest import open_item, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("failure", ["server error", "network drop"])
def test_a_failed_save_leaves_the_control_as_it_was_and_says_so(page, setup, failure):
    roadmap, student, item, _ = setup
    sign_in(page, student)
    page.goto(f"/roadmaps/{roadmap.slug}/checklist/")
    if failure == "server error":
        page.route("**/progress/", lambda route: route.fulfill(status=500, body="boom"))
    else:
        page.route("**/progress/", lambda route: route.abort("internetdisconnected"))
    open_item(page, item)
    page.click(f"#item-{item.pk}-status-done")
    page.wait_for_selector("#problem:not([hidden])")
    assert "Not saved" in page.inner_text("#problem")
    assert page.get_attribute(f"#item-{item.pk}-status-done", "aria-pressed") == "false"
    assert page.get_attribute(f"#item-{item.pk}-status-not_started", "aria-pressed") == "true"
    assert not Progress.objects.exists()


@pytest.mark.parametrize("debug", [False, True], ids=["production", "make run (DEBUG on)"])
def test_refused_input_is_explained_on_the_item_and_the_page_stays(page, setup, settings, debug):
    settings.DEBUG = debug  # DEBUG adds django-htmx's debug helper to every page
    roadmap, student, item, counted = setup
    sign_in(page, student)
    page.goto(f"/roadmaps/{roadmap.slug}/checklist/")
    open_item(page, item)
    page.fill(f"#item-{item.pk}-evidence", "javascript:alert(1)")
    page.click(f"#item-{item.pk}-notes-save")
    page.wait_for_selector(f"#item-{item.pk} .errorlist, #item-{item.pk} [role=alert]")
    assert "http" in page.inner_text(f"#item-{item.pk}")
    # The rest of the page is still there, styled, and still works.
    assert page.is_visible(f"#item-{counted.pk}")
    assert page.is_visible("header")
    open_item(page, counted)
    page.click(f"#item-{counted.pk}-plus1")
    page.wait_for_selector(f"#item-{counted.pk} .counter__value strong:text-is('1')")
    assert not Progress.objects.filter(item=item).exclude(evidence_url="").exists()


def test_a_double_click_makes_one_change(page, setup):
    roadmap, student, _, counted = setup
    sign_in(page, student)
    page.goto(f"/roadmaps/{roadmap.slug}/checklist/")
    open_item(page, counted)
    page.dblclick(f"#item-{counted.pk}-plus1")
    page.wait_for_selector(f"#item-{counted.pk} .counter__value strong:text-is('1')")
    page.wait_for_load_state("networkidle")  # a second request, had one been sent, is done
    assert Progress.objects.get(item=counted).count == 1
    assert ProgressEvent.objects.filter(item=counted).count() == 1


def test_without_javascript_every_checklist_form_posts_and_comes_back(new_page, setup):
    roadmap, student, item, counted = setup
    page = new_page(javascript=False)
    sign_in(page, student)
    checklist = f"/roadmaps/{roadmap.slug}/checklist/?show=all"
    page.goto(checklist)

    # The row's one-tap Done posts and comes back to the item, saying so beside it.
    page.click(f"#item-{item.pk}-quick")
    page.wait_for_url(f"**/checklist/?show=all#item-{item.pk}")
    assert "Saved" in page.inner_text(f"#item-{item.pk} .item__saved")
    assert page.get_attribute(f"#item-{item.pk}-quick", "aria-pressed") == "true"

    # The title leads to the item's own page, with every form.
    page.click(f"#item-{counted.pk} .item__title")
    page.wait_for_url(f"**/items/{counted.pk}/")
    page.click(f"#item-{counted.pk}-plus5")
    page.wait_for_url(f"**/items/{counted.pk}/#item-{counted.pk}")
    page.fill(f"#item-{counted.pk}-count", "42")
    page.click(f"#item-{counted.pk}-count-save")
    page.wait_for_url(f"**/items/{counted.pk}/#item-{counted.pk}")
    assert page.inner_text(f"#item-{counted.pk} .counter__value strong") == "42"

    page.goto(f"/items/{item.pk}/")
    page.click(f"#item-{item.pk}-status-in_progress")
    page.wait_for_url(f"**/items/{item.pk}/#item-{item.pk}")
    assert page.get_attribute(f"#item-{item.pk}-status-in_progress", "aria-pressed") == "true"
    page.fill(f"#item-{item.pk}-note", "Plain HTML works")
    page.fill(f"#item-{item.pk}-evidence", "https://github.com/me/repo")
    page.click(f"#item-{item.pk}-notes-save")
    page.wait_for_url(f"**#item-{item.pk}")

    progress = Progress.objects.get(item=item)
    assert (progress.status, progress.note, progress.evidence_url) == (
        Status.IN_PROGRESS,
        "Plain HTML works",
        "https://github.com/me/repo",
    )
    assert Progress.objects.get(item=counted).count == 42

    # A bad value without JavaScript: a page that says what is wrong, nothing saved.
    page.goto(f"/items/{item.pk}/")
    page.fill(f"#item-{item.pk}-evidence", "javascript:alert(1)")
    page.click(f"#item-{item.pk}-notes-save")
    assert "Your change was not saved" in page.inner_text("main")
    assert Progress.objects.get(item=item).evidence_url == "https://github.com/me/repo"
