from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from cohorts.management.commands.seed_demo import DEMO_PASSWORD
from cohorts.models import Cohort
from roadmap.models import Progress, ProgressEvent, Verification
from tests.factories import build_roadmap

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_admin_mentor_and_two_students(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    users = {u.email: u for u in User.objects.all()}
    assert {
        "admin@example.com",
        "mentor@example.com",
        "asha@example.com",
        "rahul@example.com",
    } <= set(users)
    assert len(users) == 14
    assert users["mentor@example.com"].is_mentor
    assert users["admin@example.com"].is_superuser
    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
    assert users["asha@example.com"].batch == users["rahul@example.com"].batch + 1


def test_seed_demo_again_changes_nothing(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    asha = User.objects.get(email="asha@example.com")
    asha.set_password("changed-by-asha-herself")
    asha.name = "Asha V."
    asha.save()
    call_command("seed_demo", stdout=StringIO())
    asha.refresh_from_db()
    assert User.objects.count() == 14
    assert asha.name == "Asha V."
    assert asha.check_password("changed-by-asha-herself")


def test_seed_demo_refuses_in_production_mode(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_seed_demo_gives_demo_students_a_history_once(settings):
    settings.DEBUG = True
    build_roadmap(items=12, slug=settings.WAYPOINT_DEFAULT_ROADMAP)
    call_command("seed_demo", stdout=StringIO())
    asha = User.objects.get(email="asha@example.com")
    assert asha.enrollments.count() == 1
    assert Progress.objects.filter(student=asha, status="done").exists()
    events = ProgressEvent.objects.count()
    assert events > 0
    call_command("seed_demo", stdout=StringIO())
    assert ProgressEvent.objects.count() == events
    assert not Progress.objects.filter(student__email="mentor@example.com").exists()
    cohort = Cohort.objects.get()
    assert cohort.mentors.get().email == "mentor@example.com"
    assert cohort.memberships.count() == 12


def test_seed_demo_gives_asha_a_public_page_with_a_verified_project_once(client, settings):
    settings.DEBUG = True
    build_roadmap(items=12, slug=settings.WAYPOINT_DEFAULT_ROADMAP, project="Sentiment API")
    call_command("seed_demo", stdout=StringIO())
    page = client.get("/p/asha-verma/")
    assert page.status_code == 200
    assert "Sentiment API" in page.text
    assert "Verified by Dr. Meera Iyer, mentor of CSE ML club (demo)," in page.text
    call_command("seed_demo", stdout=StringIO())
    assert Verification.objects.count() == 1
