"""The public portfolio in Chromium at phone size, on a live server.

- The whole journey: a mentor verifies a project in the review queue; its student turns
  their page on from the menu; a stranger (no cookies) reads it, "scans" the printed QR
  code beside the item (a screenshot decoded by zxing-cpp, as a phone's camera would)
  and lands on a verification address that names the mentor and the cohort. The QR on
  that address's own page and its downloadable SVG give the very same address.
- Turned off, the page and its verification addresses answer 404 at the next reload.
- axe-core (no serious or critical violations) and the phone layout check on the
  settings page (also showing an error), the public page and a verification address,
  standing and no longer standing (undone, evidence replaced).
- The settings work with JavaScript off: a plain POST, and a bad name is refused next to
  its field with nothing saved.
- On a slow connection the public pages still load and show the work: they have no
  script at all.
- Printed, the QR code beside an item keeps its 22 mm (expected to fail until the print
  stylesheet stops it shrinking beside a long title).
"""

import io
import os
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import zxingcpp
from django.utils.formats import date_format
from django.utils.timezone import localtime
from PIL import Image
from playwright.sync_api import expect

from roadmap.models import Item, Kind, Portfolio, Status, Verification
from roadmap.portfolio import portfolio_of, portfolio_update
from roadmap.services import follow_roadmap, progress_set, review_evidence, review_evidence_undo
from tests.e2e.conftest import PHONE, axe_violations, sign_in
from tests.factories import CohortFactory, ItemFactory, UserFactory, build_roadmap

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("WAYPOINT_SCREENSHOTS")  # a folder to keep them in, if set
LAYOUT_CHECK = (Path(__file__).parent / "layout_check.js").read_text()
MENTOR = "Dr. Meera Iyer"
COHORT = "CSE 2027 — ML club"
EVIDENCE = "https://github.com/asha/sentiment-api"


@pytest.fixture
def world(transactional_db):
    """A student in a mentor's cohort with a done project whose evidence waits for review,
    and a done topic (self-reported, so not suggested for the page)."""
    roadmap = build_roadmap(items=3, slug="ml", title="ML Engineer")
    topic = Item.objects.of_roadmap(roadmap).order_by("pk").first()
    project = ItemFactory(milestone=topic.milestone, kind=Kind.PROJECT, title="Sentiment API")
    mentor = UserFactory(is_mentor=True, name=MENTOR, batch=None)
    student = UserFactory(name="Asha Verma")
    cohort = CohortFactory(name=COHORT, roadmap=roadmap, mentors=[mentor], students=[student])
    follow_roadmap(student, roadmap)
    progress_set(student=student, item=topic, status=Status.DONE)
    evidence = progress_set(
        student=student, item=project, status=Status.DONE, evidence_url=EVIDENCE
    )
    return SimpleNamespace(
        roadmap=roadmap,
        mentor=mentor,
        student=student,
        cohort=cohort,
        topic=topic,
        project=project,
        evidence=evidence,
    )


def publish(world, name="asha-verma"):
    """Verify the project (as the review queue does) and turn the page on showing it;
    the verification address's path."""
    progress = review_evidence(
        mentor=world.mentor, progress=world.evidence, verified=True, verified_in=COHORT
    )
    portfolio_update(
        portfolio_of(world.student),
        name=name,
        items=[world.project.pk],
        is_public=True,
    )
    verification = Verification.objects.get(progress=progress)
    return f"/p/{name}/v/{verification.token}/"


def verified_on(progress) -> str:
    """The day of the verification as the pages write it, in the site's time zone."""
    return date_format(localtime(Verification.objects.get(progress=progress).verified_at), "j F Y")


def scan(locator, *, size=None) -> list[str]:
    """What a phone's camera reads from the QR code ``locator`` shows: the texts of the
    QR codes zxing-cpp finds in a screenshot of it. ``size`` (CSS px) first enlarges it,
    as a camera held close would see a printed one."""
    if size:
        locator.evaluate("(el, size) => { el.style.width = el.style.height = size + 'px'; }", size)
    png = locator.screenshot()
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return [code.text for code in codes if code.format == zxingcpp.BarcodeFormat.QRCode]


def shot(page, folder, name):
    page.screenshot(path=os.path.join(folder, name), full_page=True)


def test_verified_work_reaches_a_stranger_whose_scan_checks_it(
    new_page, world, live_server, tmp_path
):
    folder = SCREENSHOTS or tmp_path
    # The mentor verifies the evidence in the review queue, in their own browser.
    mentor = new_page(viewport=PHONE)
    sign_in(mentor, world.mentor)
    mentor.goto(f"/cohorts/{world.cohort.pk}/review/")
    mentor.click(f"#review-{world.evidence.pk}-verify")
    expect(mentor.locator(f"#review-{world.evidence.pk} .review--done")).to_contain_text(
        "Verified."
    )
    day = verified_on(world.evidence)

    # The student finds their public page in the menu; the verified project is ticked.
    student = new_page(viewport=PHONE)
    sign_in(student, world.student)
    student.click(".site-menu summary")
    student.get_by_role("link", name="Public page").click()
    student.wait_for_url("**/portfolio/")
    expect(student.locator(".notice")).to_have_text("Your page is off: nobody else can open it.")
    expect(student.locator(f"#item-{world.project.pk}")).to_be_checked()
    expect(student.locator(f"#item-{world.project.pk}-trust")).to_contain_text(
        "verified by a mentor"
    )
    expect(student.locator(f"#item-{world.topic.pk}")).not_to_be_checked()
    student.fill("#id_name", "asha-2027")
    expect(student.locator(".address-preview")).to_contain_text("/p/")
    student.get_by_label("Show my public page").check()
    shot(student, folder, "portfolio-settings-360.png")
    student.get_by_role("button", name="Save").click()
    on = student.locator(".notice--good")
    expect(on).to_contain_text("Your page is on at")
    address = on.locator("a").get_attribute("href")
    assert address == f"{live_server.url}/p/asha-2027/"
    expect(on.locator("a")).to_have_text(address)
    shot(student, folder, "portfolio-settings-saved-360.png")

    # A stranger, no cookies, opens it: the student's name, the project, who verified it.
    stranger = new_page(viewport=PHONE)
    response = stranger.goto(address)
    assert response.status == 200
    expect(stranger.locator("h1")).to_have_text("Asha Verma")
    expect(stranger.locator(".proof")).to_have_count(1)  # only what the student chose
    expect(stranger.locator(".proof__title")).to_contain_text("Sentiment API")
    expect(stranger.locator(".proof .trust")).to_have_text(
        f"✓ Verified by {MENTOR}, mentor of {COHORT}, on {day}"
    )
    expect(stranger.locator(".proof__evidence a")).to_have_attribute("href", EVIDENCE)
    check = stranger.locator(".proof__check a")
    shown = check.inner_text()
    assert shown.startswith(f"{live_server.url}/p/asha-2027/v/")
    assert check.get_attribute("href") == shown
    shot(stranger, folder, "portfolio-public-360.png")

    # On paper the QR code sits beside the item; a camera reads the address shown.
    qr = stranger.locator(".proof__qr")
    expect(qr).to_be_hidden()
    stranger.emulate_media(media="print")
    expect(qr).to_be_visible()
    shot(stranger, folder, "portfolio-print-360.png")
    (scanned,) = scan(stranger.locator(".proof__qr svg"), size=320)
    assert scanned == shown

    # Whoever scans it, in a browser of their own, reads who vouched for what.
    scanner = new_page(viewport=PHONE)
    response = scanner.goto(scanned)
    assert response.status == 200
    expect(scanner.locator("h1")).to_have_text("✓ Verified")
    expect(scanner.locator(".lead")).to_have_text(
        f"{MENTOR}, mentor of {COHORT}, checked the evidence for Asha Verma's project "
        f"Sentiment API on {day}."
    )
    expect(scanner.locator(".facts")).to_contain_text(EVIDENCE)
    shot(scanner, folder, "verification-360.png")

    # The verification page's own QR code, at the size it is shown, says the same.
    assert scan(scanner.locator("figure.verification__qr svg")) == [shown]
    expect(scanner.locator("figure.verification__qr figcaption a").first).to_have_text(shown)

    # And so does the SVG file to download, opened as it is.
    download = scanner.get_by_role("link", name="Download the QR code (SVG)")
    response = scanner.goto(download.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert scan(scanner.locator("svg")) == [shown]


def test_turning_the_page_off_stops_it_and_its_verification_addresses_at_once(
    new_page, world, tmp_path
):
    verification = publish(world)
    stranger = new_page(viewport=PHONE)
    assert stranger.goto("/p/asha-verma/").status == 200
    checker = new_page(viewport=PHONE)
    assert checker.goto(verification).status == 200
    expect(checker.locator("h1")).to_have_text("✓ Verified")

    student = new_page(viewport=PHONE)
    sign_in(student, world.student)
    student.goto("/portfolio/")
    student.get_by_label("Show my public page").uncheck()
    student.get_by_role("button", name="Save").click()
    expect(student.locator(".notice").first).to_contain_text("Your page is off")
    assert Portfolio.objects.get(student=world.student).is_public is False

    for page in (stranger, checker):
        response = page.reload()
        assert response.status == 404, page.url
        expect(page.locator("h1")).to_have_text("Not found")
        expect(page.locator("main")).not_to_contain_text("Sentiment API")
        expect(page.locator("main")).not_to_contain_text("Asha Verma")
    shot(checker, SCREENSHOTS or tmp_path, "verification-off-404-360.png")


def test_the_pages_pass_axe_and_fit_a_phone(new_page, world):
    """Every state a student or a stranger meets, including a refused name and both ways
    a verification stops standing."""
    verification = publish(world)
    # A second verified project: one verification is taken back, the other outlived.
    recommender = ItemFactory(
        milestone=world.project.milestone, kind=Kind.PROJECT, title="Movie recommender"
    )
    evidence = progress_set(
        student=world.student,
        item=recommender,
        status=Status.DONE,
        evidence_url="https://github.com/asha/recommender",
    )
    evidence = review_evidence(
        mentor=world.mentor, progress=evidence, verified=True, verified_in=COHORT
    )
    replaced = Verification.objects.get(progress=evidence).token
    portfolio_update(
        portfolio_of(world.student),
        name="asha-verma",
        items=[world.project.pk, recommender.pk],
        is_public=True,
        headline="Building deployed ML projects",
        github_url="https://github.com/asha",
    )
    problems = {}

    def check(page, label):
        found = page.evaluate(LAYOUT_CHECK) + axe_violations(page)
        if found:
            problems[label] = found

    student = new_page(viewport=PHONE, bypass_csp=True)
    sign_in(student, world.student)
    student.goto("/portfolio/")
    check(student, "settings")
    student.fill("#id_name", "admin")
    student.get_by_role("button", name="Save").click()
    expect(student.locator("#name-error")).to_contain_text("kept for Waypoint's own pages")
    check(student, "settings with an error")
    student.goto("/portfolio/preview/")
    check(student, "preview")

    stranger = new_page(viewport=PHONE, bypass_csp=True)
    stranger.goto("/p/asha-verma/")
    expect(stranger.locator(".proof")).to_have_count(2)
    check(stranger, "public page")
    stranger.goto(verification)
    expect(stranger.locator("h1")).to_have_text("✓ Verified")
    check(stranger, "verification")

    world.evidence.refresh_from_db()
    review_evidence_undo(
        mentor=world.mentor, progress=world.evidence, version=world.evidence.version
    )
    progress_set(
        student=world.student, item=recommender, evidence_url="https://github.com/asha/recsys-v2"
    )
    stranger.goto(verification)
    expect(stranger.locator("h1")).to_have_text("No longer verified")
    expect(stranger.locator(".lead")).to_contain_text("was taken back")
    check(stranger, "verification taken back")
    stranger.goto(f"/p/asha-verma/v/{replaced}/")
    expect(stranger.locator("h1")).to_have_text("No longer verified")
    expect(stranger.locator(".lead")).to_contain_text("replaced the evidence")
    check(stranger, "verification outlived")
    assert problems == {}


def test_settings_change_without_javascript_and_a_bad_name_saves_nothing(new_page, world, tmp_path):
    page = new_page(javascript=False, viewport=PHONE)
    sign_in(page, world.student)
    page.goto("/portfolio/")
    page.fill("#id_name", "Admin")
    page.fill("#id_headline", "Building deployed ML projects")
    page.get_by_label("Show my public page").check()
    with page.expect_response("**/portfolio/") as refused:
        page.get_by_role("button", name="Save").click()
    assert refused.value.status == 400
    # The message sits in the name's own field, tied to its input, and the summary says so.
    field = page.locator(".field:has(#id_name)")
    expect(field.locator(".field__error")).to_contain_text(
        "“admin” is kept for Waypoint's own pages. Choose another name."
    )
    expect(page.locator("#id_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_name")).to_have_attribute("aria-describedby", "name-help name-error")
    expect(page.locator(".form-errors")).to_contain_text("Nothing was saved.")
    # What was typed is still there to correct.
    expect(page.locator("#id_headline")).to_have_value("Building deployed ML projects")
    expect(page.get_by_label("Show my public page")).to_be_checked()
    shot(page, SCREENSHOTS or tmp_path, "portfolio-settings-refused-nojs-360.png")
    # Nothing saved: not even an empty row for the settings.
    assert not Portfolio.objects.filter(student=world.student).exists()

    page.fill("#id_name", "asha-verma")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/portfolio/")
    expect(page.locator(".notice--good")).to_contain_text("Your page is on at")
    portfolio = Portfolio.objects.get(student=world.student)
    assert (portfolio.name, portfolio.is_public, portfolio.headline) == (
        "asha-verma",
        True,
        "Building deployed ML projects",
    )
    assert list(portfolio.items.all()) == [world.project]


def test_on_a_slow_connection_the_public_pages_load_with_no_script(new_page, world):
    publish(world)
    page = new_page(viewport=PHONE)
    page.set_default_timeout(20_000)
    sign_in(page, world.student)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        # ms before each answer; bytes per second each way, as on a weak mobile signal
        {
            "offline": False,
            "latency": 400,
            "downloadThroughput": 50_000,
            "uploadThroughput": 20_000,
        },
    )
    kinds = []
    page.on("request", lambda request: kinds.append(request.resource_type))

    started = time.monotonic()
    page.goto("/p/asha-verma/")
    assert time.monotonic() - started >= 0.4  # the throttle is on
    expect(page.locator(".proof__title")).to_contain_text("Sentiment API")
    expect(page.locator(".proof .trust")).to_contain_text(f"Verified by {MENTOR}")
    assert page.evaluate("document.scripts.length") == 0

    page.locator(".proof__check a").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("✓ Verified")
    assert page.evaluate("document.scripts.length") == 0
    assert "script" not in kinds and "fetch" not in kinds and "xhr" not in kinds, kinds


# The printable width of A4 (210 mm) inside the print stylesheet's 14 mm margins, in CSS px.
A4 = {"width": round((210 - 2 * 14) / 25.4 * 96), "height": 1123}
QR_PRINTED = 22 / 25.4 * 96  # the print stylesheet's 22 mm, in CSS px


def test_the_printed_qr_code_keeps_its_size_beside_a_long_title(new_page, world):
    world.project.title = "Experiment tracking and model registry with MLflow"
    world.project.save()
    publish(world)
    page = new_page(viewport=A4)
    page.goto("/p/asha-verma/")
    page.emulate_media(media="print")
    box = page.locator(".proof__qr svg").bounding_box()
    assert box["width"] >= QR_PRINTED - 1 and box["height"] >= QR_PRINTED - 1, box


def test_a_busy_page_prints_on_two_a4_pages_at_most_with_every_address(new_page, world):
    """Print / Save as PDF: a third-year student's page (12 items, 6 verified, headline and
    links) makes a résumé of one or two pages, each verification address printed whole."""
    addresses = [publish(world)]
    chosen = [world.project.pk]
    for n in range(11):
        item = ItemFactory(
            milestone=world.project.milestone,
            kind=Kind.PROJECT if n < 5 else Kind.COURSE,
            title=f"Deployed project number {n} with a realistic, fairly long title",
        )
        row = progress_set(
            student=world.student,
            item=item,
            status=Status.DONE,
            evidence_url=f"https://github.com/asha/a-project-with-a-long-repository-name-{n}",
        )
        if n < 5:
            review_evidence(mentor=world.mentor, progress=row, verified=True, verified_in=COHORT)
            token = Verification.objects.get(progress=row).token
            addresses.append(f"/p/asha-verma/v/{token}/")
        chosen.append(item.pk)
    portfolio_update(
        portfolio_of(world.student),
        name="asha-verma",
        items=chosen,
        is_public=True,
        headline="Third-year B.Tech CSE student building deployed machine learning projects",
        github_url="https://github.com/asha",
        linkedin_url="https://www.linkedin.com/in/asha",
    )
    page = new_page()
    page.goto("/p/asha-verma/")
    pdf = page.pdf(format="A4", print_background=False)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert 1 <= pages <= 2, pages
    page.emulate_media(media="print")
    printed = page.locator("main").inner_text()
    for address in addresses:
        assert page.evaluate("location.origin") + address in printed
    assert page.locator(".proof__qr svg").count() == len(addresses)
