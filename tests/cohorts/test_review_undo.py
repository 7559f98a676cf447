"""A verification can be undone for WAYPOINT_REVIEW_UNDO_MINUTES: the evidence waits for
review again exactly as before, and the undo is logged like the review. Too late,
changed by the student meanwhile, or already undone: a 409 that says why, and nothing
changes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Cohort, Membership
from roadmap.models import Item, Progress, ProgressEvent, Status
from roadmap.services import (
    ProgressRefused,
    progress_set,
    review_evidence,
    review_evidence_undo,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def evidence(student, roadmap):
    return progress_set(
        student=student,
        item=Item.objects.of_roadmap(roadmap).get(kind="project"),
        status=Status.DONE,
        evidence_url="https://github.com/asha/sentiment",
    )


@pytest.fixture
def verified(evidence, mentor):
    return review_evidence(mentor=mentor, progress=evidence, verified=True)


def later(monkeypatch, minutes):
    """Move the clock on by ``minutes`` from now."""
    moved = timezone.now() + timedelta(minutes=minutes)
    monkeypatch.setattr(timezone, "now", lambda: moved)


def state(progress):
    """What a review and its undo may change, and the log they write."""
    progress.refresh_from_db()
    return (
        progress.verified_by_id,
        progress.verified_at,
        progress.review_comment,
        progress.version,
        ProgressEvent.objects.filter(field="verification").count(),
    )


def undo_url(cohort, progress):
    return reverse("cohorts:review_undo", args=[cohort.pk, progress.pk])


def waiting(cohort):
    return Progress.objects.of_cohort(cohort).awaiting_review()


# -- the service ----------------------------------------------------------------------


def test_undo_puts_the_evidence_back_in_the_queue_as_it_was(cohort, evidence, mentor):
    before = Progress.objects.get(pk=evidence.pk)
    verified = review_evidence(mentor=mentor, progress=evidence, verified=True)

    undone = review_evidence_undo(mentor=mentor, progress=verified, version=verified.version)

    assert (undone.verified_by, undone.verified_at, undone.review_comment) == (None, None, "")
    undone.refresh_from_db()
    assert (undone.verified_by, undone.verified_at, undone.review_comment) == (None, None, "")
    assert (undone.status, undone.evidence_url, undone.evidence_added_at) == (
        before.status,
        before.evidence_url,
        before.evidence_added_at,
    )
    assert list(waiting(cohort)) == [undone]
    # Logged like the review: by the mentor, not the student's own activity.
    review, undo = ProgressEvent.objects.filter(field="verification").order_by("pk")
    assert review.created_at <= undo.created_at
    assert (undo.actor, undo.student, undo.item) == (mentor, evidence.student, evidence.item)
    assert (undo.from_status, undo.to_status) == (Status.DONE, Status.DONE)
    assert not ProgressEvent.objects.filter(field="verification").by_the_student().exists()


def test_undo_works_until_the_window_ends(settings, monkeypatch, verified, mentor):
    settings.WAYPOINT_REVIEW_UNDO_MINUTES = 5
    later(monkeypatch, 4.9)
    undone = review_evidence_undo(mentor=mentor, progress=verified, version=verified.version)
    assert undone.verified_at is None


def test_undo_after_the_window_is_refused(settings, monkeypatch, verified, mentor):
    settings.WAYPOINT_REVIEW_UNDO_MINUTES = 5
    before = state(verified)
    later(monkeypatch, 5.1)
    with pytest.raises(ProgressRefused) as refused:
        review_evidence_undo(mentor=mentor, progress=verified, version=verified.version)
    assert refused.value.status_code == 409
    assert "can be undone for 5 minutes" in refused.value.message
    assert state(verified) == before


def test_undo_twice_is_refused_the_second_time(verified, mentor):
    review_evidence_undo(mentor=mentor, progress=verified, version=verified.version)
    before = state(verified)
    with pytest.raises(ProgressRefused) as refused:
        review_evidence_undo(mentor=mentor, progress=verified, version=verified.version - 1)
    assert "no longer verified" in refused.value.message
    assert state(verified) == before


def test_undo_is_refused_when_the_student_replaced_the_evidence(student, verified, mentor):
    progress_set(student=student, item=verified.item, evidence_url="https://github.com/a/new")
    before = state(verified)
    with pytest.raises(ProgressRefused) as refused:
        review_evidence_undo(mentor=mentor, progress=verified, version=verified.version)
    assert "no longer verified" in refused.value.message
    assert state(verified) == before


def test_undo_is_refused_when_the_student_changed_the_item_since(student, verified, mentor):
    shown = verified.version  # what the Undo button was rendered with
    progress_set(student=student, item=verified.item, status=Status.IN_PROGRESS)
    before = state(verified)
    with pytest.raises(ProgressRefused) as refused:
        review_evidence_undo(mentor=mentor, progress=verified, version=shown)
    assert "changed this item since" in refused.value.message
    assert state(verified) == before
    assert before[1] is not None  # still verified


def test_a_send_back_has_nothing_to_undo(evidence, mentor):
    sent_back = review_evidence(mentor=mentor, progress=evidence, verified=False, comment="Why?")
    before = state(sent_back)
    with pytest.raises(ProgressRefused):
        review_evidence_undo(mentor=mentor, progress=sent_back, version=sent_back.version)
    assert state(sent_back) == before
    assert sent_back.review_comment == "Why?"


def test_the_service_rechecks_the_scope_it_is_given(cohort, student, verified, mentor):
    """The student leaves the cohort between the page's check and the write: refused."""
    scope = Progress.objects.of_cohort(cohort).reviewable()
    Membership.objects.filter(student=student).delete()
    before = state(verified)
    with pytest.raises(ProgressRefused):
        review_evidence_undo(
            mentor=mentor, progress=verified, version=verified.version, scope=scope
        )
    assert state(verified) == before


# -- the view -------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_undo_permissions(client, cohort, student, verified, mentor, headers):
    url, data = undo_url(cohort, verified), {"version": verified.version}
    before = state(verified)

    response = client.post(url, data, headers=headers)
    sign_in = response["HX-Redirect"] if headers else response["Location"]
    assert reverse("account_login") in sign_in

    other = UserFactory(is_mentor=True)
    Cohort.objects.create(name="Other", roadmap=cohort.roadmap).mentors.add(other)
    for outsider in (other, student):
        client.force_login(outsider)
        assert client.post(url, data, headers=headers).status_code == 404
    assert state(verified) == before

    client.force_login(mentor)
    response = client.post(url, data, headers=headers)
    assert response.status_code == (200 if headers else 302)
    verified.refresh_from_db()
    assert verified.verified_at is None


def test_undo_answers_get_with_405(client, cohort, verified, mentor):
    client.force_login(mentor)
    assert client.get(undo_url(cohort, verified)).status_code == 405


def test_verify_inline_offers_undo(client, cohort, evidence, mentor):
    client.force_login(mentor)
    response = client.post(
        reverse("cohorts:review", args=[cohort.pk, evidence.pk]),
        {"decision": "verify"},
        headers=HTMX,
    )
    evidence.refresh_from_db()
    assert "Verified." in response.text
    assert f'hx-post="{undo_url(cohort, evidence)}"' in response.text
    assert f'action="{undo_url(cohort, evidence)}"' in response.text
    assert f'name="version" value="{evidence.version}"' in response.text
    assert f'id="review-{evidence.pk}-undo"' in response.text


def test_send_back_offers_no_undo(client, cohort, evidence, mentor):
    client.force_login(mentor)
    response = client.post(
        reverse("cohorts:review", args=[cohort.pk, evidence.pk]),
        {"decision": "return", "comment": "Add a README"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "/undo/" not in response.text


def test_undo_inline_puts_the_entry_back_with_its_controls(client, cohort, verified, mentor):
    client.force_login(mentor)
    response = client.post(undo_url(cohort, verified), {"version": verified.version}, headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<li class="review-entry" id="review-{verified.pk}"')
    assert "Verification undone" in response.text
    assert f'id="review-{verified.pk}-verify"' in response.text
    assert '<p id="review-waiting" role="status" hx-swap-oob="true">1 waiting.</p>' in response.text
    assert list(waiting(cohort)) == [verified]


def test_plain_verify_shows_the_entry_with_undo_on_the_queue(client, cohort, evidence, mentor):
    client.force_login(mentor)
    response = client.post(
        reverse("cohorts:review", args=[cohort.pk, evidence.pk]), {"decision": "verify"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).text
    evidence.refresh_from_db()
    assert "Verified." in page
    assert f'action="{undo_url(cohort, evidence)}"' in page
    assert "Nothing waiting for review" in page


def test_plain_queue_offers_no_undo_after_the_window(
    client, settings, monkeypatch, cohort, verified, mentor
):
    settings.WAYPOINT_REVIEW_UNDO_MINUTES = 5
    client.force_login(mentor)
    url = reverse("cohorts:review_queue", args=[cohort.pk])
    later(monkeypatch, 6)
    page = client.get(url, {"verified": verified.pk}).text
    assert undo_url(cohort, verified) not in page
    for bad in ("abc", "", "-1", "99999999999999999999"):
        assert client.get(url, {"verified": bad}).status_code == 200


def test_plain_undo_goes_back_to_the_queue_with_the_entry_waiting(client, cohort, verified, mentor):
    client.force_login(mentor)
    response = client.post(undo_url(cohort, verified), {"version": verified.version})
    assert response.status_code == 302
    page = client.get(response["Location"]).text
    assert "Verification undone" in page
    assert f'id="review-{verified.pk}-verify"' in page
    assert "1 waiting." in page


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_undo_after_the_window_is_refused_with_409(
    client, settings, monkeypatch, cohort, verified, mentor, headers
):
    settings.WAYPOINT_REVIEW_UNDO_MINUTES = 5
    before = state(verified)
    client.force_login(mentor)
    later(monkeypatch, 6)
    response = client.post(
        undo_url(cohort, verified), {"version": verified.version}, headers=headers
    )
    assert response.status_code == 409
    assert "can be undone for 5 minutes" in response.text
    assert '-undo"' not in response.text
    assert state(verified) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_undo_twice_is_refused_with_409(client, cohort, verified, mentor, headers):
    client.force_login(mentor)
    url, data = undo_url(cohort, verified), {"version": verified.version}
    assert client.post(url, data, headers=headers).status_code in (200, 302)
    before = state(verified)
    response = client.post(url, data, headers=headers)
    assert response.status_code == 409
    assert "no longer verified" in response.text
    assert state(verified) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize("version", ["", "abc", "-1", "99999999999999999999"])
def test_undo_with_a_bad_version_is_refused_with_400(
    client, cohort, verified, mentor, headers, version
):
    client.force_login(mentor)
    before = state(verified)
    response = client.post(undo_url(cohort, verified), {"version": version}, headers=headers)
    assert response.status_code == 400
    assert "reload" in response.text.lower()
    assert state(verified) == before


@pytest.mark.parametrize("size", [1, 40])
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_an_undo_runs_the_same_queries_for_1_and_40_entries(
    client, cohort, evidence, mentor, django_assert_num_queries, size, headers
):
    others = [UserFactory() for _ in range(size - 1)]
    Membership.objects.bulk_create(Membership(cohort=cohort, student=s) for s in others)
    for other in others:
        progress_set(student=other, item=evidence.item, evidence_url="https://github.com/o/x")
    verified = review_evidence(mentor=mentor, progress=evidence, verified=True)
    client.force_login(mentor)
    # session, user, cohort, the entry; in one transaction (savepoint, release): the entry
    # locked with its student and item, the verification's record marked undone, its
    # update, the log; then the count (htmx) or nothing (plain: a redirect)
    with django_assert_num_queries(11 if headers else 10):
        response = client.post(
            undo_url(cohort, verified), {"version": verified.version}, headers=headers
        )
    assert response.status_code == (200 if headers else 302)
    assert waiting(cohort).count() == size
