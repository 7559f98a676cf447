from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Cohort, User
from roadmap.models import Progress
from tests.factories import build_roadmap

pytestmark = pytest.mark.django_db


def test_bench_cohort_times_every_mentor_page_and_leaves_nothing_behind(settings):
    build_roadmap(items=8, slug=settings.WAYPOINT_DEFAULT_ROADMAP)
    out = StringIO()
    call_command("bench_cohort", students=4, runs=1, stdout=out)
    text = out.getvalue()
    for page in ["cohort dashboard", "cohort grid", "cohort CSV export", "review queue"]:
        assert page in text
    assert "Rolled back" in text
    assert not Cohort.objects.exists()
    assert not User.objects.exists()
    assert not Progress.objects.exists()


def test_bench_cohort_needs_the_guide(db):
    with pytest.raises(CommandError, match="Load the guide first"):
        call_command("bench_cohort", students=2, stdout=StringIO())
