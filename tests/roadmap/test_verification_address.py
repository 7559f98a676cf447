"""Verification addresses: each mentor verification gets one, under the student's public
page; it says who verified which evidence and when, and says so when that no longer
holds; it lives and dies with the page and the item's place on it."""

import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from roadmap.models import Kind, Portfolio, Progress, Verification
from roadmap.portfolio import portfolio_of, portfolio_update
from roadmap.services import follow_roadmap, progress_set, review_evidence, review_evidence_undo
from tests.factories import CohortFactory, ItemFactory, UserFactory, build_roadmap

EVIDENCE = "https://github.com/asha/sentiment"


@pytest.fixture
def roadmap(db):
    roadmap = build_roadmap(items=2, slug="ml", published=True)
    milestone = roadmap.stages.first().milestones.first()
    ItemFactory(milestone=milestone, kind=Kind.PROJECT, title="Sentiment API")
    ItemFactory(milestone=milestone, kind=Kind.PROJECT, title="Recommender")
    return roadmap


@pytest.fixture
def project(roadmap):
    return roadmap.stages.first().milestones.first().items.get(title="Sentiment API")


@pytest.fixture
def mentor(db):
    return UserFactory(name="Dr. Meera Rao", is_mentor=True)


@pytest.fixture
def cohort(roadmap, mentor):
    return CohortFactory(name="CSE 2027 — ML club", roadmap=roadmap, mentors=[mentor])


@pytest.fixture
def student(roadmap, cohort):
    student = UserFactory(name="Asha Verma")
    follow_roadmap(student, roadmap)
    cohort.memberships.create(student=student)
    return student


@pytest.fixture
def evidence(student, project):
    return progress_set(student=student, item=project, status="done", evidence_url=EVIDENCE)


def show(student, *items, name="asha-verma", is_public=True):
    portfolio_update(
        portfolio_of(student), name=name, items=[i.pk for i in items], is_public=is_public
    )


def verify(mentor, evidence, cohort):
    review_evidence(mentor=mentor, progress=evidence, verified=True, verified_in=cohort.name)
    return Verification.objects.filter(progress=evidence).latest("verified_at")


def address_of(verification, name="asha-verma"):
    return reverse("roadmap:verification", args=[name, verification.token])


def test_a_mentors_review_records_who_verified_what_in_which_cohort(
    client, mentor, cohort, evidence
):
    client.force_login(mentor)
    response = client.post(
        reverse("cohorts:review", args=[cohort.pk, evidence.pk]), {"decision": "verify"}
    )
    assert response.status_code == 302
    verification = Verification.objects.get()
    assert (verification.mentor, verification.mentor_name) == (mentor, "Dr. Meera Rao")
    assert verification.cohort_name == "CSE 2027 — ML club"
    assert verification.evidence_url == EVIDENCE
    evidence.refresh_from_db()
    assert verification.verified_at == evidence.verified_at
    assert re.fullmatch(r"[a-z2-9]{16}", verification.token)


def test_a_send_back_records_no_verification(mentor, cohort, evidence):
    review_evidence(mentor=mentor, progress=evidence, verified=False, comment="Add a README")
    assert not Verification.objects.exists()


def test_the_address_vouches_for_the_evidence_it_was_made_for(
    client, student, mentor, cohort, evidence, project
):
    verification = verify(mentor, evidence, cohort)
    show(student, project)
    response = client.get(address_of(verification))
    assert response.status_code == 200
    text = response.text
    assert "✓</span> Verified" in text
    assert "Dr. Meera Rao, mentor of CSE 2027 — ML club," in text
    assert "Asha Verma" in text and "Sentiment API" in text
    assert f'href="{EVIDENCE}" rel="nofollow ugc noopener"' in text
    assert timezone.localtime(verification.verified_at).strftime("%-d %B %Y") in text
    # Its QR code is on the page, and the page links to the student's portfolio.
    assert re.search(r'<svg [^>]*class="qr"', text)
    assert 'href="http://testserver/p/asha-verma/"' in text
    # The portfolio links to this very address.
    portfolio = client.get("/p/asha-verma/").text
    assert f"http://testserver{address_of(verification)}" in portfolio


def test_the_qr_code_is_an_svg_of_the_address(client, student, mentor, cohort, evidence, project):
    verification = verify(mentor, evidence, cohort)
    show(student, project)
    response = client.get(address_of(verification) + "qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    svg = ElementTree.fromstring(response.content)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.find("{http://www.w3.org/2000/svg}path") is not None


def test_an_undone_verification_says_so_instead_of_vouching(
    client, student, mentor, cohort, evidence, project
):
    verification = verify(mentor, evidence, cohort)
    show(student, project)
    evidence.refresh_from_db()
    review_evidence_undo(mentor=mentor, progress=evidence, version=evidence.version)
    response = client.get(address_of(verification))
    assert response.status_code == 200
    assert "No longer verified" in response.text
    assert "was taken back" in response.text
    assert "✓</span> Verified" not in response.text
    assert f'href="{EVIDENCE}"' not in response.text
    # The portfolio no longer calls it verified either.
    portfolio = client.get("/p/asha-verma/").text
    assert "Evidence attached, not verified by a mentor" in portfolio
    assert verification.token not in portfolio


def test_replaced_evidence_is_not_vouched_for(client, student, mentor, cohort, evidence, project):
    verification = verify(mentor, evidence, cohort)
    show(student, project)
    progress_set(student=student, item=project, evidence_url="https://github.com/asha/other")
    text = client.get(address_of(verification)).text
    assert "No longer verified" in text
    assert "replaced the evidence" in text and "does not vouch for the new evidence" in text
    assert "github.com/asha/other" not in text


def test_removed_evidence_is_not_vouched_for(client, student, mentor, cohort, evidence, project):
    verification = verify(mentor, evidence, cohort)
    show(student, project)
    progress_set(student=student, item=project, evidence_url="")
    text = client.get(address_of(verification)).text
    assert "No longer verified" in text and "removed the evidence" in text


def test_a_later_verification_replaces_the_earlier_address(
    client, student, mentor, cohort, evidence, project
):
    first = verify(mentor, evidence, cohort)
    show(student, project)
    # Same link submitted again (a new commit behind it), verified again.
    evidence = progress_set(student=student, item=project, evidence_url=EVIDENCE + "/v2")
    evidence = progress_set(student=student, item=project, evidence_url=EVIDENCE)
    second = verify(mentor, evidence, cohort)
    assert "No longer verified" in client.get(address_of(first)).text
    assert "✓</span> Verified" in client.get(address_of(second)).text


@pytest.mark.parametrize("suffix", ["", "qr.svg"])
def test_the_address_is_gone_at_once_when_the_page_is_off_renamed_or_taken_down(
    client, student, mentor, cohort, evidence, project, suffix
):
    verification = verify(mentor, evidence, cohort)
    show(student, project)
    assert client.get(address_of(verification) + suffix).status_code == 200

    show(student, project, is_public=False)
    assert client.get(address_of(verification) + suffix).status_code == 404

    show(student, project, name="asha-2027")
    assert client.get(address_of(verification) + suffix).status_code == 404
    assert client.get(address_of(verification, "asha-2027") + suffix).status_code == 200

    Portfolio.objects.get(student=student).take_down()
    assert client.get(address_of(verification, "asha-2027") + suffix).status_code == 404


def test_the_address_of_an_item_not_chosen_is_not_found(
    client, student, mentor, cohort, evidence, project, roadmap
):
    verification = verify(mentor, evidence, cohort)
    recommender = roadmap.stages.first().milestones.first().items.get(title="Recommender")
    show(student, recommender)
    assert client.get(address_of(verification)).status_code == 404


def test_unknown_tokens_and_other_students_tokens_are_not_found(
    client, student, mentor, cohort, evidence, project
):
    verification = verify(mentor, evidence, cohort)
    show(student, project)
    ravi = UserFactory(name="Ravi")
    cohort.memberships.create(student=ravi)
    ravis = progress_set(student=ravi, item=project, status="done", evidence_url=EVIDENCE)
    ravis_verification = verify(mentor, ravis, cohort)
    show(ravi, project, name="ravi")
    # Ravi's token under Asha's name, and made-up tokens: the same 404 as any.
    for token in [ravis_verification.token, "a" * 16, "x", "A" * 300, verification.token.upper()]:
        response = client.get(f"/p/asha-verma/v/{token}/")
        assert response.status_code == 404, token
        assert "Not found" in response.text


@pytest.mark.parametrize("searchable", [False, True])
def test_the_address_follows_the_pages_indexing_choice(
    client, student, mentor, cohort, evidence, project, searchable
):
    verification = verify(mentor, evidence, cohort)
    portfolio_update(
        portfolio_of(student),
        name="asha-verma",
        items=[project.pk],
        is_public=True,
        searchable=searchable,
    )
    response = client.get(address_of(verification))
    assert ("X-Robots-Tag" in response) is not searchable
    assert ('content="noindex, nofollow"' in response.text) is not searchable


def test_verifications_made_before_they_were_recorded_get_an_address(
    student, mentor, cohort, evidence
):
    """The migration's backfill, run on rows as an older Waypoint left them."""
    from importlib import import_module

    from django.apps import apps

    Progress.objects.filter(pk=evidence.pk).update(
        evidence_added_at=timezone.now() - timedelta(days=31),
        verified_by=mentor,
        verified_at=timezone.now() - timedelta(days=30),
    )
    roadmap_step = import_module("roadmap.migrations.0006_portfolio")
    cohorts_step = import_module("cohorts.migrations.0006_verification_cohort_names")
    roadmap_step.record_standing_verifications(apps, None)
    cohorts_step.name_cohorts(apps, None)
    verification = Verification.objects.get()
    evidence.refresh_from_db()
    assert verification.standing(evidence) == "stands"
    assert (verification.mentor_name, verification.cohort_name) == (
        "Dr. Meera Rao",
        "CSE 2027 — ML club",
    )


def test_the_address_goes_with_the_item_from_the_page(
    client, student, mentor, cohort, evidence, project, roadmap
):
    """Set back to in progress, or its roadmap unpublished, the item leaves the page and
    its verification address with it."""
    verification = verify(mentor, evidence, cohort)
    show(student, project)
    progress_set(student=student, item=project, status="in_progress")
    assert client.get(address_of(verification)).status_code == 404
    progress_set(student=student, item=project, status="done")
    assert client.get(address_of(verification)).status_code == 200
    roadmap.published = False
    roadmap.save()
    assert client.get(address_of(verification)).status_code == 404
    assert client.get(address_of(verification) + "qr.svg").status_code == 404
