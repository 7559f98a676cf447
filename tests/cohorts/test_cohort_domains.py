"""A cohort that takes only students at the college's email domains: set on the cohort
form and in the admin, said on the join page before the click, refused by cohort_join
with the domains named, and refused per row in the roster import's preview."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cohorts import services
from cohorts.models import Cohort, Invitation, Membership
from cohorts.services import CohortRefused
from tests.cohorts.test_roster import confirm, preview, section
from tests.factories import UserFactory, build_roadmap
from tests.oidc import set_person, sign_in

pytestmark = pytest.mark.django_db

DOMAINS = "college.edu, students.college.edu"


@pytest.fixture
def roadmap():
    return build_roadmap(items=2, slug="ml")


@pytest.fixture
def college_cohort(cohort):
    cohort.email_domains = DOMAINS
    cohort.save()
    return cohort


def test_the_domains_are_read_without_case_or_at_signs():
    cohort = Cohort(email_domains=" College.EDU,@students.college.edu ,")
    assert cohort.domain_list == ["college.edu", "students.college.edu"]
    assert cohort.admits("asha@Students.College.edu")
    assert not cohort.admits("asha@gmail.com")
    assert not cohort.admits("asha@college.edu.evil.com")
    assert cohort.domains_in_words() == "@college.edu or @students.college.edu"
    assert Cohort(email_domains="").admits("anyone@anywhere.org")


def test_something_that_is_not_a_domain_is_refused_by_name(roadmap):
    cohort = Cohort(name="X", roadmap=roadmap, email_domains="college.edu, not a domain, x")
    with pytest.raises(ValidationError, match=r"Not a domain: not a domain, x\."):
        cohort.full_clean()


def test_a_mentor_sets_the_domains_on_the_new_cohort_form(client, mentor, roadmap):
    client.force_login(mentor)
    assert "Email domains" in client.get(reverse("cohorts:create")).text
    data = {"name": "CSE 2027", "roadmap": roadmap.pk, "email_domains": "@College.edu,  x.ac.in"}
    client.post(reverse("cohorts:create"), data)
    assert Cohort.objects.get().email_domains == "college.edu, x.ac.in"


def test_the_form_refuses_a_wrong_domain_and_creates_nothing(client, mentor, roadmap):
    client.force_login(mentor)
    data = {"name": "CSE 2027", "roadmap": roadmap.pk, "email_domains": "college"}
    response = client.post(reverse("cohorts:create"), data)
    assert "Not a domain: college." in response.text
    assert not Cohort.objects.exists()


def test_the_admin_edits_the_domains(client, staff_user, college_cohort):
    client.force_login(staff_user)
    page = client.get(reverse("admin:cohorts_cohort_change", args=[college_cohort.pk]))
    assert 'name="email_domains"' in page.text
    listing = client.get(reverse("admin:cohorts_cohort_changelist"))
    assert DOMAINS in listing.text


def test_cohort_join_refuses_an_address_outside_the_domains(college_cohort):
    student = UserFactory(email="asha@gmail.com")
    with pytest.raises(CohortRefused) as refused:
        services.cohort_join(student=student, cohort=college_cohort)
    assert refused.value.message == (
        "CSE ML club takes students with an address at @college.edu or "
        "@students.college.edu only, and you signed in as asha@gmail.com. "
        "Sign in with your college account, or ask your mentor."
    )
    assert not Membership.objects.exists()


def test_cohort_join_takes_an_address_at_a_domain(college_cohort):
    student = UserFactory(email="asha@Students.College.edu")
    assert services.cohort_join(student=student, cohort=college_cohort).new


def test_a_member_stays_when_the_domains_are_set_later(cohort):
    student = UserFactory(email="asha@gmail.com")
    services.cohort_join(student=student, cohort=cohort)
    cohort.email_domains = DOMAINS
    cohort.save()
    assert not services.cohort_join(student=student, cohort=cohort).new


def test_the_join_page_says_it_before_the_click(client, college_cohort):
    url = college_cohort.get_join_url()
    visitor = client.get(url).text
    assert "takes students with an address at @college.edu or @students.college.edu" in visitor
    client.force_login(UserFactory(email="asha@gmail.com"))
    page = client.get(url).text
    assert "you are signed in as asha@gmail.com" in page
    assert f"Join {college_cohort.name}</button>" not in page
    refused = client.post(url)
    assert refused.status_code == 409
    assert "takes students with an address at @college.edu" in refused.text
    assert not Membership.objects.exists()


def test_the_join_page_offers_the_button_at_a_domain(client, college_cohort):
    client.force_login(UserFactory(email="asha@college.edu"))
    assert f"Join {college_cohort.name}</button>" in client.get(college_cohort.get_join_url()).text


def test_college_sign_in_with_another_address_cannot_join(
    client, oidc_provider, college_cohort, settings
):
    # End to end: signed in through the provider with a personal address, then the link.
    settings.WAYPOINT_SIGN_IN_DOMAINS = []
    existing = UserFactory(email="asha@gmail.com")
    set_person(oidc_provider, "personal", email="asha@gmail.com", email_verified=True)
    sign_in(client, oidc_provider, "personal")
    assert client.get(reverse("accounts:profile")).context["user"] == existing
    response = client.post(college_cohort.get_join_url())
    assert response.status_code == 409
    assert "you signed in as asha@gmail.com" in response.text
    assert not Membership.objects.exists()


ROSTER = (
    "Name,Email\r\n"
    "Asha Verma,asha@college.edu\r\n"
    "Ravi Kumar,ravi@gmail.com\r\n"
    "Kavya Rao,kavya@STUDENTS.college.edu\r\n"
)


def test_the_roster_preview_refuses_rows_outside_the_domains(client, mentor, college_cohort):
    UserFactory(email="ravi@gmail.com")
    client.force_login(mentor)
    response = preview(client, college_cohort, ROSTER)
    assert section(response, "new").startswith("2 new people")
    refused = section(response, "refused")
    assert refused.startswith("1 row refused")
    assert (
        "Row 3 (Ravi Kumar · ravi@gmail.com): Not an address at @college.edu or "
        "@students.college.edu, which this cohort requires." in refused
    )
    confirm(client, college_cohort, response)
    # Ravi's account is left out; the two college addresses are invited.
    assert not Membership.objects.exists()
    assert sorted(Invitation.objects.values_list("email", flat=True)) == [
        "asha@college.edu",
        "kavya@STUDENTS.college.edu",
    ]


def test_a_cohort_without_domains_takes_every_row(client, mentor, cohort):
    client.force_login(mentor)
    response = preview(client, cohort, ROSTER)
    assert section(response, "new").startswith("3 new people")
    assert section(response, "refused").startswith("0 rows refused")
