"""Cohorts moved out of the accounts app: a database from before the move keeps every
cohort, membership, mentor and join code, and its admin history and permissions follow
the models; invite links and bookmarks of the old addresses still lead there."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.models import User
from cohorts.models import Cohort, Membership
from tests.factories import RoadmapFactory, UserFactory

BEFORE_THE_MOVE = [
    ("accounts", "0003_guess_count"),
    ("roadmap", "0005_progressevent_batch"),
    ("contenttypes", "0002_remove_content_type_name"),
    ("admin", "0003_logentry_add_action_flag_choices"),
    ("auth", "0012_alter_user_first_name_max_length"),
]


@pytest.fixture
def roadmap(db):
    return RoadmapFactory()


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_keeps_cohorts_history_and_permissions():
    try:
        old = migrate(BEFORE_THE_MOVE)
        OldUser = old.get_model("accounts", "User")
        OldCohort = old.get_model("accounts", "Cohort")
        OldMembership = old.get_model("accounts", "Membership")
        OldContentType = old.get_model("contenttypes", "ContentType")
        OldPermission = old.get_model("auth", "Permission")
        OldLogEntry = old.get_model("admin", "LogEntry")
        roadmap = old.get_model("roadmap", "Roadmap").objects.create(slug="ml", title="ML")
        mentor = OldUser.objects.create(email="meera@example.com", name="Meera", is_mentor=True)
        asha = OldUser.objects.create(email="asha@example.com", name="Asha", batch=2025)
        ravi = OldUser.objects.create(email="ravi@example.com", name="Ravi", batch=2024)
        cohort = OldCohort.objects.create(name="CSE ML club", roadmap=roadmap, join_code="code-1")
        cohort.mentors.add(mentor)
        archived = OldCohort.objects.create(
            name="Old batch", roadmap=roadmap, join_code="code-2", active=False
        )
        for student in (asha, ravi):
            OldMembership.objects.create(cohort=cohort, student=student)
        joined = {m.student_id: m.joined_at for m in OldMembership.objects.all()}
        # What Django's post_migrate had made on the old version, and an admin's edit.
        cohort_type, _ = OldContentType.objects.get_or_create(app_label="accounts", model="cohort")
        OldContentType.objects.get_or_create(app_label="accounts", model="membership")
        change, _ = OldPermission.objects.get_or_create(
            content_type=cohort_type, codename="change_cohort", name="Can change cohort"
        )
        mentor.user_permissions.add(change)
        OldLogEntry.objects.create(
            user=mentor,
            content_type=cohort_type,
            object_id=str(cohort.pk),
            object_repr="CSE ML club",
            action_flag=CHANGE,
            change_message="Renamed.",
        )

        migrate(latest())

        moved = Cohort.objects.get(pk=cohort.pk)
        assert (moved.name, moved.join_code, moved.active) == ("CSE ML club", "code-1", True)
        assert list(moved.mentors.values_list("email", flat=True)) == ["meera@example.com"]
        assert Cohort.objects.get(pk=archived.pk).active is False
        assert {m.student_id: m.joined_at for m in Membership.objects.all()} == joined
        assert set(moved.students.values_list("name", flat=True)) == {"Asha", "Ravi"}
        assert list(User.objects.get(pk=asha.pk).cohorts.all()) == [moved]
        # Admin history and permissions point at the models where they are now.
        entry = LogEntry.objects.get()
        assert entry.content_type == ContentType.objects.get_for_model(Cohort)
        assert entry.get_edited_object() == moved
        assert entry.get_admin_url() == reverse("admin:cohorts_cohort_change", args=[moved.pk])
        assert User.objects.get(pk=mentor.pk).has_perm("cohorts.change_cohort")
        assert not ContentType.objects.filter(app_label="accounts", model="cohort").exists()
        assert Permission.objects.filter(codename="change_cohort").count() == 1
        # The database still refuses a student twice in one cohort.
        with pytest.raises(IntegrityError):
            Membership.objects.create(cohort=moved, student_id=asha.pk)
    finally:
        migrate(latest())


@pytest.mark.django_db(transaction=True)
def test_the_move_can_be_undone_without_losing_rows():
    mentor = UserFactory(is_mentor=True)
    cohort = Cohort.objects.create(name="Club", roadmap=RoadmapFactory(), join_code="abc")
    cohort.mentors.add(mentor)
    Membership.objects.create(cohort=cohort, student=UserFactory())
    try:
        old = migrate(BEFORE_THE_MOVE)
        back = old.get_model("accounts", "Cohort").objects.get(pk=cohort.pk)
        assert (back.join_code, back.mentors.count(), back.memberships.count()) == ("abc", 1, 1)
    finally:
        migrate(latest())
    assert Cohort.objects.get(pk=cohort.pk).memberships.count() == 1


@pytest.mark.django_db
def test_an_invite_link_shared_before_the_move_still_joins(client, cohort, user):
    old_link = f"/accounts/join/{cohort.join_code}/"
    response = client.get(old_link)
    assert response.status_code == 308
    assert response["Location"] == cohort.get_join_url() == f"/cohorts/join/{cohort.join_code}/"
    client.force_login(user)
    page = client.get(old_link, follow=True)
    assert page.status_code == 200 and cohort.name in page.text
    # A join form posted to the old address (a tab left open) is posted again, not lost.
    client.post(old_link, follow=True)
    assert list(cohort.students.all()) == [user]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/accounts/cohorts/", "/cohorts/"),
        ("/accounts/cohorts/{pk}/", "/cohorts/{pk}/"),
        ("/accounts/cohorts/{pk}/grid/?x=1", "/cohorts/{pk}/grid/?x=1"),
        ("/accounts/cohorts/{pk}/review/", "/cohorts/{pk}/review/"),
    ],
)
def test_mentor_bookmarks_of_the_old_addresses_lead_to_the_new_ones(client, cohort, old, new):
    response = client.get(old.format(pk=cohort.pk))
    assert response.status_code == 308
    assert response["Location"] == new.format(pk=cohort.pk)
    client.force_login(cohort.mentors.get())
    assert client.get(old.format(pk=cohort.pk), follow=True).status_code == 200
