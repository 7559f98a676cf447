"""A student is inactive when both their last activity and their joining are older
than the inactivity window (PRODUCT.md): a new joiner is not inactive on day one,
on any surface that shows pace status."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Membership
from cohorts.overview import INACTIVE, ON_TRACK, cohort_pace
from roadmap.figures import RoadmapProgress
from roadmap.models import Item, ProgressEvent, Status
from roadmap.services import follow_roadmap, progress_set
from tests.factories import CohortFactory, MembershipFactory, UserFactory, build_roadmap

pytestmark = pytest.mark.django_db


@pytest.fixture
def window(settings):
    return timedelta(days=settings.WAYPOINT_INACTIVE_DAYS)


@pytest.fixture
def cohort():
    roadmap = build_roadmap(items=4, slug="ml")
    mentor = UserFactory(is_mentor=True, batch=None, name="Mentor")
    cohort = CohortFactory(name="ML club", roadmap=roadmap, mentors=[mentor])
    cohort.mentor = mentor
    return cohort


def join(cohort, name, *, joined_days_ago=0, active_days_ago=None):
    """A student with no batch (so pace never says behind) who joined and last acted
    the given number of days ago."""
    student = UserFactory(name=name, batch=None)
    membership = MembershipFactory(cohort=cohort, student=student)
    follow_roadmap(student, cohort.roadmap)
    joined = timezone.now() - timedelta(days=joined_days_ago)
    Membership.objects.filter(pk=membership.pk).update(joined_at=joined)
    if active_days_ago is not None:
        item = Item.objects.of_roadmap(cohort.roadmap).first()
        progress_set(student=student, item=item, status=Status.IN_PROGRESS)
        ProgressEvent.objects.filter(student=student).update(
            created_at=timezone.now() - timedelta(days=active_days_ago)
        )
    return student


@pytest.fixture
def students(cohort, window):
    days = window.days
    return {
        "New": join(cohort, "New"),  # joined today, nothing done yet
        "Gone": join(cohort, "Gone", joined_days_ago=days + 30),
        "Quiet": join(cohort, "Quiet", joined_days_ago=days + 30, active_days_ago=days + 1),
        "Returned": join(cohort, "Returned", joined_days_ago=2, active_days_ago=days + 40),
        "Busy": join(cohort, "Busy", joined_days_ago=days + 30, active_days_ago=1),
    }


EXPECTED = {
    "New": "on_track",
    "Gone": "inactive",
    "Quiet": "inactive",
    "Returned": "on_track",
    "Busy": "on_track",
}


def test_cohort_pace_counts_inactivity_from_the_later_of_activity_and_joining(window):
    now = timezone.now()
    summary = RoadmapProgress()
    long_ago = now - window - timedelta(days=1)
    assert cohort_pace(summary, None, now, joined_at=now) == ON_TRACK
    assert cohort_pace(summary, None, now, joined_at=long_ago) == INACTIVE
    assert cohort_pace(summary, long_ago, now, joined_at=now) == ON_TRACK
    assert cohort_pace(summary, now, now, joined_at=long_ago) == ON_TRACK
    assert cohort_pace(summary, long_ago, now, joined_at=long_ago) == INACTIVE
    # The edge: exactly the window is still active.
    assert cohort_pace(summary, None, now, joined_at=now - window) == ON_TRACK


def statuses(html):
    return dict(re.findall(r">(\w+)</a><br>.*?class=\"pill pill--(\w+)\"", html, re.S))


def test_dashboard_table_and_counts(client, cohort, students):
    client.force_login(cohort.mentor)
    text = client.get(cohort.get_absolute_url()).text
    assert statuses(text) == EXPECTED
    assert "on track: 3, behind: 0, inactive: 2" in text


def test_dashboard_filter_and_sort(client, cohort, students):
    client.force_login(cohort.mentor)
    inactive = client.get(cohort.get_absolute_url(), {"pace": "inactive"}).text
    assert set(statuses(inactive)) == {"Gone", "Quiet"}
    ranked = client.get(cohort.get_absolute_url(), {"sort": "-pace"}).text
    order = list(statuses(ranked))
    assert set(order[:2]) == {"Gone", "Quiet"}
    assert "New" in order[2:]


def test_csv_export(client, cohort, students):
    client.force_login(cohort.mentor)
    response = client.get(reverse("cohorts:export", args=[cohort.pk]))
    header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    pace = header.index("pace")
    assert {row[0]: row[pace] for row in rows} == {
        "New": "On track",
        "Gone": "Inactive",
        "Quiet": "Inactive",
        "Returned": "On track",
        "Busy": "On track",
    }


def test_permissions_are_unchanged_for_the_figures(client, cohort, students):
    url = cohort.get_absolute_url()
    assert client.get(url).status_code == 302
    client.force_login(students["New"])
    assert client.get(url).status_code == 404
    client.force_login(cohort.mentor)
    assert client.get(url).status_code == 200
