"""A mentor imports a roster on a phone (360 px), with and without JavaScript: upload
the file from the cohort dashboard, read the preview, confirm."""

from pathlib import Path

import pytest
from django.core import mail

from cohorts.models import Cohort, Invitation
from tests.e2e.conftest import PHONE, axe_violations, sign_in
from tests.factories import UserFactory, build_roadmap

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAYOUT_CHECK = (Path(__file__).parent / "layout_check.js").read_text()
LONG_EMAIL = "venkataramanasubrahmanyam.iyengar.lateral-entry-2024@students.example.ac.in"
ROSTER = (
    "\ufeffFull name;E-mail;Entry;Batch\r\n"
    "Asha Verma;asha@example.com;lateral;2024\r\n"
    f"Venkataramanasubrahmanyam Iyengar;{LONG_EMAIL};regular;2025\r\n"
    "Kavya Rao;KAVYA@example.com;;\r\n"
    '=HYPERLINK("http://evil.example");formula@example.com;;\r\n'
    "No Email;;;\r\n"
    "Asha again;asha@example.com;;\r\n"
).encode()


@pytest.fixture
def world(transactional_db):
    mentor = UserFactory(is_mentor=True, batch=None)
    cohort = Cohort.objects.create(name="CSE batch 2027 — ML club", roadmap=build_roadmap(items=3))
    cohort.mentors.add(mentor)
    kavya = UserFactory(name="Kavya Rao", email="kavya@example.com")
    return {"mentor": mentor, "cohort": cohort, "kavya": kavya}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_mentor_uploads_previews_and_confirms_a_roster_on_a_phone(new_page, world, javascript):
    page = new_page(viewport=PHONE, javascript=javascript)
    sign_in(page, world["mentor"])
    cohort = world["cohort"]
    page.goto(cohort.get_absolute_url())
    page.click("text=Import a class from a CSV roster")
    page.wait_for_url("**/roster/")
    assert page.evaluate(LAYOUT_CHECK) == []
    page.set_input_files(
        "input[type=file]", {"name": "class.csv", "mimeType": "text/csv", "buffer": ROSTER}
    )
    page.click("button:has-text('Preview')")
    page.wait_for_selector("h1:has-text('Check before importing')")

    new = page.locator("section[aria-labelledby=new-heading]")
    assert new.locator("h2").inner_text() == "3 new people"
    assert "lateral entry · batch 2024" in new.inner_text()
    assert '=HYPERLINK("http://evil.example")' in new.inner_text()  # text, not a link
    assert new.locator("a").count() == 0
    existing = page.locator("section[aria-labelledby=existing-heading]")
    assert "Kavya Rao · KAVYA@example.com" in existing.inner_text()
    refused = page.locator("section[aria-labelledby=refused-heading]").inner_text()
    assert "Row 6 (No Email · no email): No email address." in refused
    assert "Row 7 (Asha again · asha@example.com): The same email address as row 2." in refused
    # A long address wraps: nothing scrolls sideways at 360 px.
    assert page.evaluate(LAYOUT_CHECK) == []
    page.screenshot(path=f"/tmp/wtroster-preview-360-{javascript}.png", full_page=True)
    assert mail.outbox == []

    page.click("button:has-text('Import: 1 join, 3 invited')")
    page.wait_for_url(f"**{cohort.get_absolute_url()}")
    assert "Roster imported: 1 person joined, 3 invitations sent." in page.inner_text(".messages")
    assert list(cohort.students.all()) == [world["kavya"]]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        ["asha@example.com", LONG_EMAIL, "formula@example.com"]
    )
    assert Invitation.objects.count() == 3


def test_the_import_pages_pass_axe(new_page, world):
    page = new_page(bypass_csp=True)
    sign_in(page, world["mentor"])
    page.goto(f"{world['cohort'].get_absolute_url()}roster/")
    problems = {"upload": axe_violations(page)}
    page.set_input_files(
        "input[type=file]", {"name": "class.csv", "mimeType": "text/csv", "buffer": ROSTER}
    )
    page.click("button:has-text('Preview')")
    page.wait_for_selector("h1:has-text('Check before importing')")
    problems["preview"] = axe_violations(page)
    assert problems == {"upload": [], "preview": []}
