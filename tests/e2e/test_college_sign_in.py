"""College sign-in in a real browser on a phone (360 px), with and without JavaScript:
the button on the sign-in page, the real OpenID Connect provider on loopback
(tests/oidc.py), back to the short form, then signed in."""

from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import User
from tests.e2e.conftest import PHONE, axe_violations
from tests.factories import RoadmapFactory
from tests.oidc import PROVIDER_NAME, set_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAYOUT_CHECK = (Path(__file__).parent / "layout_check.js").read_text()


@pytest.fixture
def college(oidc_provider, settings):
    # What config/settings.py derives from WAYPOINT_OIDC_PROVIDERS: the button's POST is
    # redirected to the provider, which the page's CSP form-action must allow.
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": [*settings.SECURE_CSP["form-action"], oidc_provider],
    }
    # The live server speaks plain HTTP: the redirect URI must say so.
    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
    RoadmapFactory(slug=settings.WAYPOINT_DEFAULT_ROADMAP)
    return oidc_provider


@pytest.fixture
def college_roadmap(settings):
    return settings.WAYPOINT_DEFAULT_ROADMAP


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_student_signs_in_with_the_college_account_on_a_phone(
    new_page, college, college_roadmap, javascript
):
    sub = "asha-js" if javascript else "asha-no-js"
    email = f"{sub}@college.edu"
    set_person(college, sub, email=email, email_verified=True, name="Asha Verma")
    page = new_page(viewport=PHONE, javascript=javascript)
    page.goto("/accounts/login/")
    button = page.get_by_role("button", name=f"Sign in with {PROVIDER_NAME}")
    assert page.evaluate(LAYOUT_CHECK) == []
    # By keyboard: the button takes focus and Enter presses it.
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{college}/oauth2/authorize**")
    page.fill("#subject-input", sub)
    page.click("button:has-text('Authorize')")

    page.wait_for_url("**/accounts/3rdparty/signup/")
    assert page.locator("h1").inner_text() == "Finish creating your account"
    assert page.evaluate(LAYOUT_CHECK) == []
    assert page.input_value("#id_email") == email
    page.select_option("#id_batch", "2025")
    page.check("input[name=entry_year][value='2']")
    page.click("form.form button[type=submit]")
    # Through the welcome, which follows the default roadmap, to its dashboard.
    page.wait_for_url(f"**{reverse('roadmap:dashboard', args=[college_roadmap])}")
    user = User.objects.get(email=email)
    assert (user.name, user.batch, user.entry_year) == ("Asha Verma", 2025, 2)


def test_the_sign_in_page_with_a_button_passes_axe(new_page, college):
    page = new_page(viewport=PHONE, bypass_csp=True)
    page.goto("/accounts/login/")
    assert axe_violations(page) == []
