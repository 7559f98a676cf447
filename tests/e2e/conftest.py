"""Browser tests: the real app on a live server, driven in Debian's Chromium.

Playwright's own browser download does not work on our machines, so the tests
use the system Chromium (WAYPOINT_CHROMIUM, default /usr/bin/chromium) and are
skipped, with that reason, when it is not installed.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.factories import TEST_PASSWORD, UserFactory

CHROMIUM = os.environ.get("WAYPOINT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE = {"width": 360, "height": 740}

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make there (factories, assertions) are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}: browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server, settings):
    """Open pages in fresh browser contexts (separate cookies); closed after the test.
    Absolute addresses the app makes (QR codes, shared links) point at the live server."""
    settings.WAYPOINT_BASE_URL = live_server.url
    contexts = []

    def open_page(*, javascript=True, viewport=None, bypass_csp=False):
        context = browser.new_context(
            base_url=live_server.url,
            java_script_enabled=javascript,
            viewport=viewport or {"width": 1280, "height": 900},
            # Only to inject axe-core, which our own CSP rightly refuses.
            bypass_csp=bypass_csp,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def sign_in(page, user, password=TEST_PASSWORD):
    page.goto("/accounts/login/")
    page.fill("#id_login", user.email)
    page.fill("#id_password", password)
    page.click("form.form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def confirm_email_from_outbox(page, email):
    """Open the verification link mailed to ``email`` (the live server's locmem outbox,
    shared with the test) and confirm it, as the person would from their inbox."""
    from django.core import mail

    (sent,) = [message for message in mail.outbox if message.to == [email]]
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", sent.body)[1]
    page.goto(link)
    page.click("form.form button[type=submit]")


def open_item(page, item):
    """Open an item's details on the checklist (loaded on demand) and wait for them,
    unfolding its stage first when it is folded."""
    stage = page.locator(f"details.stage:has(#item-{item.pk})")
    if stage.count() and stage.get_attribute("open") is None:
        stage.locator("> summary").click()
    if not page.is_visible(f"#item-{item.pk}-detail"):
        page.click(f"#item-{item.pk} .item__more > summary")
    page.wait_for_selector(f"#item-{item.pk}-detail")


def axe_violations(page, impacts=("serious", "critical")):
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in impacts
    ]


@pytest.fixture
def student_factory(transactional_db):
    def make(**fields):
        return UserFactory(**fields)

    return make


@pytest.fixture
def setup(transactional_db):
    """A student following a three-item roadmap plus a counted item ("Problems", 200):
    (roadmap, student, the first item, the counted item)."""
    from roadmap.models import Item
    from roadmap.services import follow_roadmap
    from tests.factories import ItemFactory, build_roadmap

    roadmap = build_roadmap(items=3, slug="ml")
    milestone = Item.objects.of_roadmap(roadmap).first().milestone
    counted = ItemFactory(milestone=milestone, title="Problems", target_count=200, unit="problems")
    student = UserFactory(batch=2025)
    follow_roadmap(student, roadmap)
    item = Item.objects.of_roadmap(roadmap).order_by("pk").first()
    return roadmap, student, item, counted
