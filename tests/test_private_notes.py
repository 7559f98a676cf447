"""A note is the student's alone, as the checklist says ("only you see it"): not in
the admin, not on a mentor's page or download, not in an error report."""

import logging

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.views.debug import ExceptionReporter

from roadmap.models import Item, Progress
from roadmap.services import follow_roadmap, progress_set
from tests.factories import CohortFactory, UserFactory, build_roadmap

pytestmark = pytest.mark.django_db

NOTE = "my secret plan for the internship"


@pytest.fixture
def progress():
    roadmap = build_roadmap(items=2, slug="ml")
    student = UserFactory()
    follow_roadmap(student, roadmap)
    item = Item.objects.of_roadmap(roadmap).order_by("pk").first()
    return progress_set(student=student, item=item, status="done", note=NOTE)


def test_the_checklist_tells_the_student_who_sees_a_note(client, progress):
    client.force_login(progress.student)
    item_page = client.get(reverse("roadmap:item", args=[progress.item.pk]))
    assert "only you see it" in item_page.text
    assert NOTE in item_page.text
    detail = client.get(
        reverse("roadmap:item", args=[progress.item.pk]), headers={"HX-Request": "true"}
    )
    assert "only you see it" in detail.text and NOTE in detail.text


def test_admins_never_see_or_search_notes(client, staff_user, progress, rf):
    progress_admin = admin.site._registry[Progress]
    request = rf.get("/")
    request.user = staff_user
    assert "note" not in progress_admin.get_fields(request, progress)
    assert not any("note" in field for field in progress_admin.get_search_fields(request))
    assert "note" not in progress_admin.get_list_display(request)
    client.force_login(staff_user)
    change = client.get(reverse("admin:roadmap_progress_change", args=[progress.pk]))
    assert change.status_code == 200
    assert NOTE not in change.text


def test_mentors_never_see_notes_on_any_page_or_download(client, progress):
    mentor, cohort = _mentor_of(progress.student, progress.item.milestone.stage.roadmap)
    client.force_login(mentor)
    for name, args in [
        ("cohorts:dashboard", [cohort.pk]),
        ("cohorts:grid", [cohort.pk]),
        ("cohorts:export", [cohort.pk]),
        ("cohorts:review_queue", [cohort.pk]),
        ("cohorts:student", [cohort.pk, progress.student.pk]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        assert NOTE not in response.content.decode(), name
    # Not even loaded for the mentor's view of the student's checklist.
    loaded = [item.my_progress for item in response.context["items"] if item.my_progress]
    assert loaded
    assert all("note" in progress.get_deferred_fields() for progress in loaded)


def test_an_error_report_hides_the_note(client, progress, monkeypatch, caplog, settings):
    settings.DEBUG = False

    def fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("roadmap.views.progress_set", fail)  # inject a fault
    record = _failed_note_save(client, progress, caplog)
    report = ExceptionReporter(record.request, *record.exc_info).get_traceback_text()
    assert "typed secret words" not in report
    assert "note" in report  # the field is named, its value starred out
    assert "typed secret words" not in caplog.text
    assert Progress.objects.get().note == NOTE


def test_an_error_while_saving_a_note_leaves_it_out_of_the_report(
    client, progress, monkeypatch, caplog
):
    """A fault deep in the write, once the change is worked out: no frame of the
    traceback shows the note (progress_set and its log entries hold it in ``wanted``)."""

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Progress, "save", fail)  # inject a fault
    record = _failed_note_save(client, progress, caplog)
    # The HTML report, which lists every frame's local variables.
    report = ExceptionReporter(record.request, *record.exc_info).get_traceback_html()
    assert "progress_set" in report
    assert "typed secret words" not in report


def _failed_note_save(client, progress, caplog):
    """The student saves a note and the server fails: the log record Django's error
    report is made from."""
    client.force_login(progress.student)
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post(
            reverse("roadmap:item_progress", args=[progress.item.pk]),
            {"note": "typed secret words", "version": str(progress.version)},
        )
    assert response.status_code == 500
    return next(r for r in caplog.records if r.name == "django.request")


def _mentor_of(student, roadmap):
    """(mentor, cohort): a new cohort on ``roadmap`` that ``student`` is in."""
    mentor = UserFactory(is_mentor=True)
    return mentor, CohortFactory(roadmap=roadmap, mentors=[mentor], students=[student])


def test_a_mentors_view_of_a_student_never_selects_the_note_column(client, progress):
    """The privacy is in what is loaded, not in what the template leaves out: no query
    behind the page reads the note (a deferred note read by the template would be a
    query of its own, and fail here too)."""
    mentor, cohort = _mentor_of(progress.student, progress.item.milestone.stage.roadmap)
    client.force_login(mentor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("cohorts:student", args=[cohort.pk, progress.student.pk]))
    assert response.status_code == 200
    progress_queries = [q["sql"] for q in queries if 'FROM "roadmap_progress"' in q["sql"]]
    assert progress_queries
    assert not any('"roadmap_progress"."note"' in sql for sql in progress_queries)


@pytest.mark.parametrize("items", [10, 200])
def test_a_mentors_view_of_a_student_runs_the_same_queries_however_large_the_roadmap(
    client, django_assert_num_queries, items
):
    roadmap = build_roadmap(items=items, stages=3)
    student = UserFactory()
    follow_roadmap(student, roadmap)
    for item in Item.objects.of_roadmap(roadmap)[:5]:
        progress_set(student=student, item=item, status="done", note=NOTE)
    mentor, cohort = _mentor_of(student, roadmap)
    client.force_login(mentor)
    # session, user, cohort (with roadmap), student, items (with stage and milestone),
    # their skills, progress
    with django_assert_num_queries(7):
        response = client.get(reverse("cohorts:student", args=[cohort.pk, student.pk]))
    assert response.text.count('class="item item--') == items
