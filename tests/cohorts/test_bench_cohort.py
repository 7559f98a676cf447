import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from cohorts.models import Cohort
from roadmap.models import Item, Progress
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


def test_seed_bench_fills_every_student_and_item_and_hands_out_working_sessions(
    client, settings, tmp_path
):
    roadmap = build_roadmap(items=6, slug=settings.WAYPOINT_DEFAULT_ROADMAP, project="API")
    plan_path = tmp_path / "plan.json"
    call_command("seed_bench", plan_path, students=5, cohort_size=3, signed_in=2, stdout=StringIO())
    plan = json.loads(plan_path.read_text())

    assert User.objects.filter(is_mentor=False).count() == 5
    assert Cohort.objects.count() == 2  # 3 + 2 students
    items = Item.objects.active().of_roadmap(roadmap).count()
    assert Progress.objects.count() == plan["progress_rows"] == 5 * items
    assert plan["cohort_size"] == 3
    assert len(plan["student_sessions"]) == 2

    client.cookies[settings.SESSION_COOKIE_NAME] = plan["student_sessions"][0]
    assert client.get(plan["checklist"]).status_code == 200
    assert client.get(plan["dashboard"]).status_code == 200
    client.cookies[settings.SESSION_COOKIE_NAME] = plan["mentor_session"]
    assert client.get(plan["cohort_dashboard"]).status_code == 200
    # The public pages Lighthouse opens, as a stranger.
    stranger = Client()
    assert stranger.get(plan["portfolio"]).status_code == 200
    assert "✓</span> Verified" in stranger.get(plan["verification"]).text


def test_seed_bench_refuses_a_database_with_users(settings, tmp_path):
    build_roadmap(items=2, slug=settings.WAYPOINT_DEFAULT_ROADMAP)
    User.objects.create_user("someone@example.com", "a-long-password-1")
    with pytest.raises(CommandError, match="has users already"):
        call_command("seed_bench", tmp_path / "plan.json", students=2, stdout=StringIO())
    assert User.objects.count() == 1
