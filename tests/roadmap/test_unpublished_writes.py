"""Writes follow the same visibility rules as reads (Roadmap.objects.visible_to):
once a roadmap is unpublished its pages answer 404 to everyone but staff, and so
does every write that depends on it: progress, follow, join, mentor review, cohort
creation. Nothing is changed."""

import pytest
from django.urls import reverse

from cohorts.models import Cohort, Membership
from roadmap.models import Enrollment, Item, Progress, ProgressEvent, Roadmap, Status
from roadmap.services import follow_roadmap, progress_set
from tests.factories import UserFactory, build_roadmap

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def roadmap():
    roadmap = build_roadmap(items=2, slug="ml", project="Sentiment API")
    return roadmap


@pytest.fixture
def student(cohort, roadmap):
    student = UserFactory(name="Asha Verma")
    Membership.objects.create(cohort=cohort, student=student)
    follow_roadmap(student, roadmap)
    return student


@pytest.fixture
def project(roadmap):
    return Item.objects.of_roadmap(roadmap).get(kind="project")


@pytest.fixture
def evidence(student, project):
    return progress_set(
        student=student, item=project, status=Status.DONE, evidence_url="https://github.com/a/b"
    )


def unpublish(roadmap):
    Roadmap.objects.filter(pk=roadmap.pk).update(published=False)


def state():
    return (
        list(Progress.objects.values_list("pk", "status", "version", "verified_at")),
        ProgressEvent.objects.count(),
        Enrollment.objects.count(),
        Membership.objects.count(),
        Cohort.objects.count(),
    )


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_progress_on_an_unpublished_roadmap_is_404(client, roadmap, student, project, headers):
    unpublish(roadmap)
    client.force_login(student)
    assert client.get(reverse("roadmap:checklist", args=[roadmap.slug])).status_code == 404
    before = state()
    response = client.post(
        reverse("roadmap:item_progress", args=[project.pk]), {"status": "done"}, headers=headers
    )
    assert response.status_code == 404
    assert state() == before


def test_progress_on_an_unpublished_roadmap_permissions(client, roadmap, student, project):
    unpublish(roadmap)
    url = reverse("roadmap:item_progress", args=[project.pk])
    before = state()
    assert client.post(url, {"status": "done"}).status_code == 302  # to sign in
    client.force_login(UserFactory())
    assert client.post(url, {"status": "done"}).status_code == 404
    assert state() == before
    staff = UserFactory(is_staff=True)  # staff preview unpublished roadmaps: reads and writes
    follow_roadmap(staff, roadmap)
    client.force_login(staff)
    assert client.post(url, {"status": "done"}).status_code == 302
    assert Progress.objects.get(student=staff).status == Status.DONE


def test_following_an_unpublished_roadmap_is_404(client, roadmap):
    unpublish(roadmap)
    newcomer = UserFactory()
    client.force_login(newcomer)
    before = state()
    assert client.post(reverse("roadmap:follow", args=[roadmap.slug])).status_code == 404
    assert state() == before


def test_joining_a_cohort_of_an_unpublished_roadmap_is_404(client, cohort, roadmap):
    unpublish(roadmap)
    client.force_login(UserFactory())
    before = state()
    assert client.post(cohort.get_join_url()).status_code == 404
    assert state() == before


def test_my_dashboard_skips_a_followed_roadmap_that_was_unpublished(client, roadmap, student):
    other = build_roadmap(items=1, slug="web")
    follow_roadmap(student, other)
    unpublish(roadmap)
    client.force_login(student)
    response = client.get(reverse("start"))
    assert response["Location"] == reverse("roadmap:dashboard", args=[other.slug])


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_reviewing_evidence_on_an_unpublished_roadmap_is_404(
    client, cohort, roadmap, mentor, evidence, headers
):
    unpublish(roadmap)
    client.force_login(mentor)
    queue = client.get(reverse("cohorts:review_queue", args=[cohort.pk])).text
    assert "is unpublished, so its evidence cannot be reviewed" in queue
    assert "github.com/a/b" not in queue
    before = state()
    response = client.post(
        reverse("cohorts:review", args=[cohort.pk, evidence.pk]),
        {"decision": "verify"},
        headers=headers,
    )
    assert response.status_code == 404
    assert state() == before


def test_creating_a_cohort_on_an_unpublished_roadmap_is_refused(client, roadmap, mentor):
    unpublish(roadmap)
    client.force_login(mentor)
    before = state()
    response = client.post(reverse("cohorts:create"), {"name": "New", "roadmap": roadmap.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert state() == before
