"""The review action accepts exactly what the review queue shows: evidence on an
active project or certification of a cohort student, on a roadmap the mentor may
see. Anything else is a 404 (not in the queue) or a 409 (reviewed or withdrawn
meanwhile), and nothing changes."""

import re

import pytest
from django.urls import reverse

from cohorts.models import Membership
from roadmap.models import Item, Progress, ProgressEvent, Status
from roadmap.services import ProgressRefused, progress_set, review_evidence
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def evidence_on(student, item):
    return progress_set(
        student=student, item=item, status=Status.DONE, evidence_url="https://github.com/a/b"
    )


@pytest.fixture
def project_evidence(student, roadmap):
    return evidence_on(student, Item.objects.of_roadmap(roadmap).get(kind="project"))


@pytest.fixture
def topic_evidence(student, roadmap):
    return evidence_on(student, Item.objects.of_roadmap(roadmap).filter(kind="topic").first())


def review_url(cohort, progress):
    return reverse("cohorts:review", args=[cohort.pk, progress.pk])


def untouched(progress):
    progress.refresh_from_db()
    return (
        progress.verified_at is None
        and progress.review_comment == ""
        and not ProgressEvent.objects.filter(field="verification").exists()
    )


def queue_text(client, cohort):
    return client.get(reverse("cohorts:review_queue", args=[cohort.pk])).text


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize("decision", ["verify", "return"])
def test_evidence_on_a_topic_is_not_in_the_queue_and_cannot_be_reviewed(
    client, cohort, mentor, topic_evidence, headers, decision
):
    client.force_login(mentor)
    assert "github.com/a/b" not in queue_text(client, cohort)
    response = client.post(
        review_url(cohort, topic_evidence), {"decision": decision, "comment": "x"}, headers=headers
    )
    assert response.status_code == 404
    assert untouched(topic_evidence)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_evidence_on_an_archived_item_cannot_be_reviewed(
    client, cohort, mentor, project_evidence, headers
):
    Item.objects.filter(pk=project_evidence.item_id).update(archived=True)
    client.force_login(mentor)
    assert "Nothing waiting for review" in queue_text(client, cohort)
    response = client.post(
        review_url(cohort, project_evidence), {"decision": "verify"}, headers=headers
    )
    assert response.status_code == 404
    assert untouched(project_evidence)


def test_withdrawn_evidence_is_refused_with_409(client, cohort, mentor, student, project_evidence):
    progress_set(student=student, item=project_evidence.item, evidence_url="")
    client.force_login(mentor)
    response = client.post(
        review_url(cohort, project_evidence), {"decision": "verify"}, headers=HTMX
    )
    assert response.status_code == 409
    assert "already reviewed or withdrawn" in response.text
    assert untouched(project_evidence)


def test_the_service_rechecks_the_queue_inside_its_transaction(mentor, project_evidence):
    """The item is archived between the page's check and the write: refused."""
    Item.objects.filter(pk=project_evidence.item_id).update(archived=True)
    with pytest.raises(ProgressRefused) as refused:
        review_evidence(mentor=mentor, progress=project_evidence, verified=True)
    assert refused.value.status_code == 409
    assert untouched(project_evidence)


def test_the_service_rechecks_the_queue_it_is_given(cohort, mentor, student, project_evidence):
    """The student leaves the cohort between the page's check and the write: refused."""
    queue = Progress.objects.of_cohort(cohort).awaiting_review()
    Membership.objects.filter(student=student).delete()
    with pytest.raises(ProgressRefused):
        review_evidence(mentor=mentor, progress=project_evidence, verified=True, queue=queue)
    assert untouched(project_evidence)


def test_the_queue_and_the_action_agree(client, cohort, mentor, student, project_evidence):
    client.force_login(mentor)
    assert "github.com/a/b" in queue_text(client, cohort)
    response = client.post(review_url(cohort, project_evidence), {"decision": "verify"})
    assert response.status_code == 302
    project_evidence.refresh_from_db()
    assert project_evidence.verified_by == mentor


def test_review_permissions(client, cohort, mentor, project_evidence):
    url = review_url(cohort, project_evidence)
    assert client.post(url, {"decision": "verify"}).status_code == 302  # to sign in
    client.force_login(UserFactory(is_mentor=True))
    assert client.post(url, {"decision": "verify"}).status_code == 404
    assert untouched(project_evidence)
    client.force_login(mentor)
    assert client.post(url, {"decision": "verify"}).status_code == 302
    project_evidence.refresh_from_db()
    assert project_evidence.verified_at is not None


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_refused_review_keeps_the_comment_the_mentor_typed(
    client, cohort, mentor, project_evidence, headers
):
    client.force_login(mentor)
    comment = "x" * 1001  # over the limit: refused
    response = client.post(
        review_url(cohort, project_evidence),
        {"decision": "return", "comment": comment},
        headers=headers,
    )
    assert response.status_code == 400
    assert "Keep the comment under 1000 characters" in response.text
    assert f">{comment}</textarea>" in response.text
    assert untouched(project_evidence)


def test_a_review_another_mentor_made_first_keeps_the_typed_comment(
    client, cohort, mentor, project_evidence
):
    other = UserFactory(is_mentor=True)
    cohort.mentors.add(other)
    review_evidence(mentor=other, progress=project_evidence, verified=True)
    client.force_login(mentor)
    response = client.post(
        review_url(cohort, project_evidence),
        {"decision": "return", "comment": "Needs tests"},
        headers=HTMX,
    )
    assert response.status_code == 409
    assert ">Needs tests</textarea>" in response.text


def test_evidence_opens_in_a_new_tab_and_says_so(client, cohort, mentor, project_evidence):
    client.force_login(mentor)
    text = queue_text(client, cohort)
    link = re.search(
        r'<a href="https://github.com/a/b"[^>]*>[^<]*</a>([^<]*<span[^>]*>[^<]*)', text
    )
    assert link
    assert 'target="_blank"' in link.group(0)
    assert 'rel="noopener noreferrer' in link.group(0)
    assert "(opens in a new tab)" in link.group(1)


def waiting_evidence(cohort, roadmap, size):
    """``size`` more cohort students with evidence waiting on the project."""
    project = Item.objects.of_roadmap(roadmap).get(kind="project")
    students = [UserFactory(name=f"Student {n}") for n in range(size)]
    Membership.objects.bulk_create(Membership(cohort=cohort, student=s) for s in students)
    return [evidence_on(student, project) for student in students]


@pytest.mark.parametrize("size", [2, 60])
def test_the_queue_page_runs_the_same_queries_for_2_and_60_entries(
    client, cohort, roadmap, mentor, django_assert_num_queries, size
):
    waiting_evidence(cohort, roadmap, size)
    client.force_login(mentor)
    # session, user, cohort, the page of entries (with students and items), their count,
    # whether the roadmap is visible
    with django_assert_num_queries(6):
        response = client.get(reverse("cohorts:review_queue", args=[cohort.pk]))
    assert response.text.count('class="review-entry"') == min(size, 50)


@pytest.mark.parametrize("size", [2, 60])
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_review_runs_the_same_queries_for_2_and_60_entries(
    client, cohort, roadmap, mentor, django_assert_num_queries, size, headers
):
    first, *_ = waiting_evidence(cohort, roadmap, size)
    client.force_login(mentor)
    # session, user, cohort, the entry; in one transaction (savepoint, release): the entry
    # locked with its student and item, its update, the log, the verification's record,
    # the student's notice (a task row); then the count (htmx) or nothing (plain: a
    # redirect)
    with django_assert_num_queries(12 if headers else 11):
        response = client.post(review_url(cohort, first), {"decision": "verify"}, headers=headers)
    assert response.status_code == (200 if headers else 302)
    first.refresh_from_db()
    assert first.verified_by == mentor
