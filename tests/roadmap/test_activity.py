"""The activity heatmap's shades and words (roadmap/activity.py)."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from roadmap.activity import LEVELS, WEEKS, heatmap, level
from roadmap.models import ProgressEvent
from tests.factories import ItemFactory, UserFactory


@pytest.mark.parametrize(
    "count, shade", [(0, 0), (1, 1), (2, 1), (3, 2), (5, 2), (6, 3), (9, 3), (10, 4), (500, 4)]
)
def test_a_days_shade_rises_at_each_threshold(count, shade):
    assert LEVELS == [1, 3, 6, 10]
    assert level(count) == shade


@pytest.mark.django_db
def test_each_day_carries_its_count_shade_and_words():
    student = UserFactory()
    item = ItemFactory()
    today = date(2026, 12, 2)  # a Wednesday
    when = timezone.make_aware(datetime(2026, 11, 30, 10, 0))  # the Monday before
    ProgressEvent.objects.bulk_create(
        ProgressEvent(student=student, actor=student, item=item, field="status", created_at=when)
        for _ in range(3)
    )
    weeks = heatmap(student, today).weeks
    assert len(weeks) == WEEKS and all(len(week) == 7 for week in weeks)
    monday, tuesday, _, thursday = weeks[-1][:4]
    assert (monday.count, monday.level, monday.future) == (3, 2, False)
    assert monday.label == "3 changes on Mon 30 Nov 2026"
    assert (tuesday.count, tuesday.level, tuesday.label) == (0, 0, "no changes on Tue 1 Dec 2026")
    assert thursday.future and thursday.day == today + timedelta(days=1)
