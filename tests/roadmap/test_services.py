import threading

import pytest
from django.db import connection

from roadmap.models import Enrollment, Progress, ProgressEvent, Status
from roadmap.services import (
    ProgressRefused,
    StaleProgress,
    follow_default_roadmap,
    follow_roadmap,
    progress_set,
)
from tests.factories import ItemFactory, RoadmapFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def item():
    return ItemFactory()


@pytest.fixture
def counted():
    return ItemFactory(target_count=200, unit="problems")


def test_setting_a_status_writes_one_row_and_logs_the_change(user, item):
    progress = progress_set(student=user, item=item, status=Status.DONE)
    assert (progress.status, progress.version) == (Status.DONE, 1)
    event = ProgressEvent.objects.get()
    assert (event.student, event.actor, event.item) == (user, user, item)
    assert (event.field, event.from_status, event.to_status) == (
        "status",
        Status.NOT_STARTED,
        Status.DONE,
    )


def test_setting_the_same_state_twice_leaves_one_row_and_one_event(user, item):
    progress_set(student=user, item=item, status=Status.DONE)
    again = progress_set(student=user, item=item, status=Status.DONE, version=0)
    assert Progress.objects.count() == 1
    assert again.status == Status.DONE and again.version == 1
    assert ProgressEvent.objects.count() == 1


def test_a_stale_form_is_refused_and_changes_nothing(user, item):
    progress_set(student=user, item=item, status=Status.DONE)
    with pytest.raises(StaleProgress, match="changed elsewhere"):
        progress_set(student=user, item=item, status=Status.SKIPPED, version=0)
    progress = Progress.objects.get()
    assert progress.status == Status.DONE
    assert ProgressEvent.objects.count() == 1


def test_archived_items_cannot_change(user):
    item = ItemFactory(archived=True)
    with pytest.raises(ProgressRefused, match="archived"):
        progress_set(student=user, item=item, status=Status.DONE)
    assert not Progress.objects.exists()
    assert not ProgressEvent.objects.exists()


def test_counting_starts_the_item_and_reaching_the_target_marks_it_done(user, counted):
    progress = progress_set(student=user, item=counted, count=137)
    assert (progress.status, progress.count) == (Status.IN_PROGRESS, 137)
    progress = progress_set(student=user, item=counted, count=200)
    assert progress.status == Status.DONE
    progress = progress_set(student=user, item=counted, count=199)
    assert progress.status == Status.IN_PROGRESS
    fields = list(ProgressEvent.objects.order_by("pk").values_list("field", "to_status", "count"))
    assert fields == [
        ("status", Status.IN_PROGRESS, 137),
        ("status", Status.DONE, 200),
        ("status", Status.IN_PROGRESS, 199),
    ]


def test_counting_within_a_status_logs_a_count_event(user, counted):
    progress_set(student=user, item=counted, count=10)
    progress_set(student=user, item=counted, count=15)
    event = ProgressEvent.objects.first()
    assert (event.field, event.count, event.to_status) == ("count", 15, Status.IN_PROGRESS)


def test_notes_and_evidence_are_logged_without_their_content(user, item):
    progress_set(
        student=user, item=item, note="my secret plan", evidence_url="https://github.com/a/b"
    )
    assert sorted(ProgressEvent.objects.values_list("field", flat=True)) == ["evidence", "note"]
    progress = Progress.objects.get()
    assert progress.note == "my secret plan"
    assert progress.evidence_added_at is not None


def test_new_evidence_clears_an_earlier_verification(user, item):
    progress = progress_set(student=user, item=item, evidence_url="https://github.com/a/b")
    mentor = UserFactory()
    Progress.objects.filter(pk=progress.pk).update(
        verified_by=mentor, verified_at=progress.updated_at, review_comment="ok"
    )
    progress = progress_set(student=user, item=item, evidence_url="https://github.com/a/c")
    assert progress.verified_at is None and progress.verified_by is None
    assert progress.trust == "evidence"


def test_each_student_has_their_own_row(item):
    first, second = UserFactory(), UserFactory()
    progress_set(student=first, item=item, status=Status.DONE)
    progress_set(student=second, item=item, status=Status.IN_PROGRESS)
    assert dict(Progress.objects.values_list("student", "status")) == {
        first.pk: Status.DONE,
        second.pk: Status.IN_PROGRESS,
    }


def test_follow_is_idempotent_and_default_follows_the_configured_roadmap(user, settings):
    roadmap = RoadmapFactory(slug="machine-learning-engineer")
    settings.WAYPOINT_DEFAULT_ROADMAP = "machine-learning-engineer"
    assert follow_default_roadmap(user).roadmap == roadmap
    follow_roadmap(user, roadmap)
    assert Enrollment.objects.count() == 1


def test_follow_default_without_the_roadmap_loaded_does_nothing(user):
    assert follow_default_roadmap(user) is None
    assert not Enrollment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_end_in_one_consistent_row():
    student = UserFactory()
    item = ItemFactory(target_count=50, unit="problems")
    errors = []
    barrier = threading.Barrier(8)

    def submit(n):
        try:
            barrier.wait(timeout=10)
            progress_set(student=student, item=item, count=n)
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(10, 18)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    progress = Progress.objects.get()
    # Every write won once, in some order: one row, version = number of changes,
    # one event per change, and the row shows the last logged count.
    events = list(ProgressEvent.objects.order_by("pk"))
    assert progress.version == len(events) == 8
    assert progress.count == events[-1].count
