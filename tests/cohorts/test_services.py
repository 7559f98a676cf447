"""Cohort writes as services: each validates and writes in one transaction, and the
views that call them (create, join, remove, new invite link, archive) change nothing
when a write is refused."""

import pytest
from django.urls import reverse

from cohorts import services
from cohorts.models import Cohort, Membership
from cohorts.services import CohortRefused
from roadmap.models import Enrollment
from tests.factories import CohortFactory, RoadmapFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def roadmap():
    return RoadmapFactory()


def test_cohort_create_makes_the_cohort_with_its_mentor(roadmap, mentor):
    cohort = services.cohort_create(mentor=mentor, name="  CSE ML club ", roadmap=roadmap)
    assert (cohort.name, cohort.roadmap, list(cohort.mentors.all())) == (
        "CSE ML club",
        roadmap,
        [mentor],
    )
    assert cohort.active and len(cohort.join_code) == 12


@pytest.mark.parametrize(
    ("name", "published", "message"),
    [
        ("   ", True, "Give the cohort a name."),
        ("Club", False, "is not published, so students could not join."),
    ],
)
def test_cohort_create_refuses_a_blank_name_or_an_unpublished_roadmap(
    mentor, name, published, message
):
    roadmap = RoadmapFactory(published=published)
    with pytest.raises(CohortRefused, match=message):
        services.cohort_create(mentor=mentor, name=name, roadmap=roadmap)
    assert not Cohort.objects.exists()


def test_cohort_join_adds_the_membership_and_follows_the_roadmap(cohort, user):
    joined = services.cohort_join(student=user, cohort=cohort)
    assert joined.new and joined.membership.student == user
    assert list(cohort.students.all()) == [user]
    assert Enrollment.objects.follows(user, cohort.roadmap)
    again = services.cohort_join(student=user, cohort=cohort)
    assert (again.new, again.membership) == (False, joined.membership)
    assert Membership.objects.count() == 1


def test_cohort_join_is_both_writes_or_neither(cohort, user, monkeypatch):
    def fail(student, roadmap):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "follow_roadmap", fail)
    with pytest.raises(RuntimeError):
        services.cohort_join(student=user, cohort=cohort)
    assert not Membership.objects.exists()


@pytest.mark.parametrize("change", ["archived", "unpublished"])
def test_cohort_join_refuses_a_cohort_that_stopped_taking_students(cohort, user, change):
    if change == "archived":
        Cohort.objects.filter(pk=cohort.pk).update(active=False)
    else:
        type(cohort.roadmap).objects.filter(pk=cohort.roadmap_id).update(published=False)
    with pytest.raises(CohortRefused, match="no longer taking students"):
        services.cohort_join(student=user, cohort=cohort)
    assert not Membership.objects.exists()
    assert not Enrollment.objects.filter(student=user).exists()


def test_a_join_posted_after_the_cohort_was_archived_says_so_and_changes_nothing(
    client, cohort, user
):
    client.force_login(user)
    page = client.get(cohort.get_join_url())
    assert page.status_code == 200
    # The mentor archives it while the invite page is open: the link itself stops working.
    Cohort.objects.filter(pk=cohort.pk).update(active=False)
    response = client.post(cohort.get_join_url())
    assert response.status_code == 404
    assert "This invite link does not work" in response.text
    assert not Membership.objects.exists()


def test_cohort_remove_student_keeps_their_own_progress_and_says_when_already_gone(cohort):
    student = UserFactory()
    services.cohort_join(student=student, cohort=cohort)
    services.cohort_remove_student(cohort=cohort, student=student)
    assert not cohort.students.exists()
    assert Enrollment.objects.follows(student, cohort.roadmap)
    with pytest.raises(CohortRefused, match="is no longer in CSE ML club"):
        services.cohort_remove_student(cohort=cohort, student=student)


def test_removing_a_student_another_tab_removed_says_so(client, cohort, mentor, monkeypatch):
    student = UserFactory(name="Ravi Kumar")
    services.cohort_join(student=student, cohort=cohort)
    client.force_login(mentor)
    real = services.cohort_remove_student

    def removed_meanwhile(*, cohort, student):
        Membership.objects.filter(cohort=cohort, student=student).delete()
        real(cohort=cohort, student=student)

    monkeypatch.setattr(services, "cohort_remove_student", removed_meanwhile)
    url = reverse("cohorts:remove_student", args=[cohort.pk, student.pk])
    page = client.post(url, follow=True)
    assert page.status_code == 200
    assert "Ravi Kumar is no longer in CSE ML club." in page.text


def test_cohort_new_invite_code_replaces_the_link(client, cohort, user):
    old_url = cohort.get_join_url()
    code = services.cohort_new_invite_code(cohort=cohort)
    assert code != old_url.split("/")[-2]
    assert Cohort.objects.get(pk=cohort.pk).join_code == code == cohort.join_code
    assert client.get(old_url).status_code == 404
    assert client.get(cohort.get_join_url()).status_code == 200


def test_cohort_set_active_archives_and_restores(cohort):
    services.cohort_set_active(cohort=cohort, active=False)
    assert not Cohort.objects.get(pk=cohort.pk).active
    assert not Cohort.objects.joinable().exists()
    services.cohort_set_active(cohort=cohort, active=True)
    assert Cohort.objects.joinable().get() == cohort


def test_cohort_factory_adds_mentors_and_students():
    mentor, student = UserFactory(is_mentor=True), UserFactory()
    cohort = CohortFactory(mentors=[mentor], students=[student])
    assert list(cohort.mentors.all()) == [mentor]
    assert list(cohort.students.all()) == [student]
    assert Cohort.objects.visible_to(mentor).get() == cohort
