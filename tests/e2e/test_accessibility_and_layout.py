"""Every main page passes axe-core (no serious or critical violations) and fits a
360 px phone: no sideways scrolling but the grid's own, tap targets of 24 px."""

from pathlib import Path

import pytest

from roadmap.models import Item, Status, Verification
from roadmap.portfolio import portfolio_of, portfolio_update
from roadmap.services import follow_roadmap, progress_set, review_evidence
from tests.e2e.conftest import PHONE, axe_violations, sign_in
from tests.factories import CohortFactory, ItemFactory, UserFactory, build_roadmap

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PUBLIC = ["/", "/accounts/signup/", "/accounts/login/"]
LAYOUT_CHECK = (Path(__file__).parent / "layout_check.js").read_text()


@pytest.fixture
def world(transactional_db, settings):
    roadmap = build_roadmap(items=6, slug=settings.WAYPOINT_DEFAULT_ROADMAP, title="ML Engineer")
    milestone = Item.objects.of_roadmap(roadmap).first().milestone
    project = ItemFactory(milestone=milestone, kind="project", title="Sentiment API")
    ItemFactory(milestone=milestone, title="LeetCode", target_count=200, unit="problems")
    mentor = UserFactory(is_mentor=True, batch=None)
    student = UserFactory(batch=2025, name="Asha Verma")
    cohort = CohortFactory(
        name="CSE ML club", roadmap=roadmap, mentors=[mentor], students=[student]
    )
    follow_roadmap(student, roadmap)
    first = Item.objects.of_roadmap(roadmap).order_by("pk").first()
    progress_set(student=student, item=first, status=Status.DONE)
    evidence = progress_set(
        student=student, item=project, status=Status.DONE, evidence_url="https://github.com/a/b"
    )
    review_evidence(mentor=mentor, progress=evidence, verified=True, verified_in=cohort.name)
    portfolio_update(
        portfolio_of(student),
        name="asha-verma",
        items=[first.pk, project.pk],
        is_public=True,
        headline="Building deployed ML projects",
        github_url="https://github.com/asha",
    )
    verification = Verification.objects.get(progress=evidence)
    return {
        "public_pages": [
            "/p/asha-verma/",
            f"/p/asha-verma/v/{verification.token}/",
        ],
        "student": student,
        "mentor": mentor,
        "student_pages": [
            f"/roadmaps/{roadmap.slug}/",
            f"/roadmaps/{roadmap.slug}/dashboard/",
            f"/roadmaps/{roadmap.slug}/checklist/",
            "/accounts/profile/",
            "/portfolio/",
            "/portfolio/preview/",
        ],
        "mentor_pages": [
            f"/cohorts/{cohort.pk}/",
            f"/cohorts/{cohort.pk}/grid/",
            f"/cohorts/{cohort.pk}/review/",
            f"/cohorts/{cohort.pk}/students/{student.pk}/",
        ],
    }


def pages_as_everyone(new_page, world, viewport=None, bypass_csp=False):
    """Yield (page, url) for every main page, signed in as whoever may see it."""
    anonymous = new_page(viewport=viewport, bypass_csp=bypass_csp)
    for url in PUBLIC + world["public_pages"]:
        anonymous.goto(url)
        yield anonymous, url
    for user, urls in [(world["student"], "student_pages"), (world["mentor"], "mentor_pages")]:
        page = new_page(viewport=viewport, bypass_csp=bypass_csp)
        sign_in(page, user)
        for url in world[urls]:
            page.goto(url)
            yield page, url


def test_no_serious_accessibility_violations(new_page, world):
    problems = {}
    for page, url in pages_as_everyone(new_page, world, bypass_csp=True):
        violations = axe_violations(page)
        if violations:
            problems[url] = violations
    assert problems == {}


def test_phone_layout_has_no_sideways_scroll_and_big_enough_targets(new_page, world):
    problems = {}
    for page, url in pages_as_everyone(new_page, world, viewport=PHONE):
        found = page.evaluate(LAYOUT_CHECK)
        if found:
            problems[url] = found
    assert problems == {}


def test_pages_and_admin_work_under_the_content_security_policy(new_page, world):
    """Nothing on our pages or in the admin is blocked by the CSP (script-src 'self')."""
    blocked = []
    admin = UserFactory(is_staff=True, is_superuser=True)
    pages = list(pages_as_everyone(new_page, world))
    page = new_page()
    sign_in(page, admin)
    for url in [
        "/admin/",
        "/admin/roadmap/item/",
        "/admin/roadmap/item/add/",
        "/admin/cohorts/cohort/1/change/",
        "/admin/roadmap/milestone/add/",
    ]:
        page.goto(url)
        pages.append((page, url))
    seen = set()
    for page, _ in pages:
        if id(page) not in seen:
            seen.add(id(page))
            page.on(
                "console",
                lambda msg: (
                    blocked.append(msg.text) if "Content Security Policy" in msg.text else None
                ),
            )
    for page, url in pages:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if url in world["public_pages"] or url == "/portfolio/preview/":
            # A stranger's page needs no script at all: nothing to load on a slow phone.
            assert page.evaluate("document.scripts.length") == 0, url
        elif not url.startswith("/admin/"):
            assert page.evaluate("typeof htmx") == "object", url  # loaded under the policy
    assert blocked == []


HEADER_LINE = """() => {
  // Everything in the header bar sits on one line: the same vertical centre, inside the screen.
  const parts = [document.querySelector(".brand"),
                 ...document.querySelectorAll(".site-nav__bar > li")];
  const boxes = parts.map((el) => el.getBoundingClientRect());
  const centres = boxes.map((b) => Math.round(b.top + b.height / 2));
  return {
    labels: parts.map((el) => el.textContent.trim().split(/\\s+/)[0]),
    centres_apart: Math.max(...centres) - Math.min(...centres),
    right: Math.round(Math.max(...boxes.map((b) => b.right))),
    header_height: Math.round(
      document.querySelector(".site-header").getBoundingClientRect().height),
  };
}"""


@pytest.mark.parametrize(
    "who, labels",
    [
        (None, ["Waypoint", "Sign", "Sign"]),
        ("student", ["Waypoint", "Dashboard", "Menu"]),
        ("mentor", ["Waypoint", "Dashboard", "Menu"]),
        ("staff", ["Waypoint", "Dashboard", "Menu"]),
    ],
)
def test_the_phone_header_fits_on_one_line(new_page, world, who, labels):
    page = new_page(viewport=PHONE)
    if who == "staff":
        sign_in(page, UserFactory(is_staff=True, is_superuser=True, is_mentor=True))
    elif who:
        sign_in(page, world[who])
    page.goto("/")
    line = page.evaluate(HEADER_LINE)
    assert line["labels"] == labels
    assert line["centres_apart"] <= 2, line
    assert line["right"] <= PHONE["width"] - 16, line  # inside the page's own 1rem margin
    assert line["header_height"] <= 64, line  # one row of 40 px targets and its padding


def test_the_header_menu_works_by_keyboard_and_without_javascript(new_page, world):
    page = new_page(viewport=PHONE, javascript=False)
    sign_in(page, world["mentor"])
    page.goto("/")
    menu = page.locator(".site-menu")
    assert not page.locator(".site-menu__list").is_visible()
    # Keyboard: Tab reaches the menu after the Dashboard link, with a visible focus ring.
    page.focus(".site-nav__bar a")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Menu"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert menu.get_attribute("open") is not None
    assert page.locator(".site-menu__list").is_visible()
    assert page.get_by_role("link", name="Cohorts").is_visible()
    # Open, it still fits the phone and every target is big enough.
    assert page.evaluate(LAYOUT_CHECK) == []
    box = page.locator(".site-menu__list").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # Sign out is a form post: it works with JavaScript off.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Sign in", exact=True).first.is_visible()


def test_the_overall_card_ends_with_its_content_beside_a_long_pace_list(new_page, world):
    page = new_page(viewport={"width": 1100, "height": 900})
    sign_in(page, world["student"])
    page.goto(world["student_pages"][1])
    overall = page.locator("section[aria-labelledby='overall-heading']")
    pace = page.locator("section[aria-labelledby='pace-heading']")
    assert pace.locator("li").count() >= 5  # the long list this is about
    card, beside = overall.bounding_box(), pace.bounding_box()
    assert card["y"] == beside["y"] and card["x"] < beside["x"]  # side by side
    content_bottom = overall.evaluate(
        "el => Math.max(...[...el.children].map((c) => c.getBoundingClientRect().bottom))"
    )
    padding = 40  # the card's padding and the last paragraph's margin
    assert card["y"] + card["height"] - content_bottom <= padding
    assert card["height"] < beside["height"]
