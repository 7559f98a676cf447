"""A skipped required item keeps the percent below 100 and is never hidden: no
congratulation, its own filter on the checklist, and pace says it is behind."""

from datetime import date

import pytest
from django.urls import reverse

from cohorts.models import Cohort, Membership
from cohorts.overview import BEHIND, ON_TRACK, cohort_pace
from roadmap.figures import AcademicClock, ItemTable
from roadmap.models import Item, Status
from roadmap.services import follow_roadmap, progress_set
from tests.factories import ItemFactory, UserFactory, build_roadmap

pytestmark = pytest.mark.django_db

CONGRATULATION = "Every required item is done. Well done!"
TODAY = date(2026, 11, 30)  # batch 2025: year 2, semester 1


@pytest.fixture
def roadmap():
    """Six required items due by year 1 and four due in year 4: a student who has done
    everything but one early item is ahead of the expected percent."""
    roadmap = build_roadmap(items=6, slug="ml")
    milestone = Item.objects.of_roadmap(roadmap).first().milestone
    for n in range(4):
        ItemFactory(milestone=milestone, title=f"Late item {n}", due_year=4, due_semester=2)
    return roadmap


@pytest.fixture
def student(roadmap):
    student = UserFactory(batch=2025, name="Asha Verma")
    follow_roadmap(student, roadmap)
    return student


@pytest.fixture
def skipped(roadmap, student):
    """Everything done except one item due by now, which is skipped."""
    items = list(Item.objects.of_roadmap(roadmap).order_by("pk"))
    for item in items[1:]:
        progress_set(student=student, item=item, status=Status.DONE)
    progress_set(student=student, item=items[0], status=Status.SKIPPED)
    return items[0]


def items_of(roadmap):
    return list(Item.objects.of_roadmap(roadmap).outline())


def progress_of(student):
    return {p.item_id: p for p in student.progress.all()}


def test_a_skipped_item_due_by_now_puts_pace_behind(roadmap, student, skipped):
    summary = ItemTable(items_of(roadmap)).summarize(
        progress_of(student), clock=AcademicClock(2025), today=TODAY
    )
    assert summary.overall.percent == 90
    assert len(summary.skipped) == 1
    assert summary.pace.expected_percent == 60
    assert summary.pace.skipped == [skipped]
    assert not summary.pace.on_track
    assert summary.pace.verdict == "Behind pace: 1 skipped item is due by now"


def test_a_skipped_item_not_yet_due_leaves_pace_on_track(roadmap, student):
    items = list(Item.objects.of_roadmap(roadmap).order_by("pk"))
    for item in items[:6]:
        progress_set(student=student, item=item, status=Status.DONE)
    progress_set(student=student, item=items[6], status=Status.SKIPPED)  # due in year 4
    summary = ItemTable(items_of(roadmap)).summarize(
        progress_of(student), clock=AcademicClock(2025), today=TODAY
    )
    assert len(summary.skipped) == 1
    assert summary.pace.skipped == []
    assert summary.pace.on_track
    assert summary.pace.verdict == "On track"


def test_the_mentor_and_the_student_read_the_same_pace(roadmap, student, skipped):
    summary = ItemTable(items_of(roadmap)).summarize(
        progress_of(student), clock=AcademicClock(2025), today=TODAY
    )
    from django.utils import timezone

    now = timezone.now()
    assert cohort_pace(summary, now, now, joined_at=now) == BEHIND
    for item in Item.objects.filter(pk=skipped.pk):
        progress_set(student=student, item=item, status=Status.DONE)
    summary = ItemTable(items_of(roadmap)).summarize(
        progress_of(student), clock=AcademicClock(2025), today=TODAY
    )
    assert cohort_pace(summary, now, now, joined_at=now) == ON_TRACK


def test_dashboard_does_not_congratulate_while_an_item_is_skipped(
    client, roadmap, student, skipped
):
    client.force_login(student)
    text = client.get(reverse("roadmap:dashboard", args=[roadmap.slug])).text
    assert CONGRATULATION not in text
    assert "is done. See what&#x27;s next" not in text
    assert "(skipped). Tick it if you have done it, then see what&#x27;s next." in text
    assert "1 required item is skipped: it keeps your percent below 100." in text
    checklist = reverse("roadmap:checklist", args=[roadmap.slug])
    assert f'href="{checklist}?show=skipped"' in text
    assert f'href="{checklist}#item-{skipped.pk}"' in text


def test_dashboard_congratulates_once_everything_is_done(client, roadmap, student, skipped):
    progress_set(student=student, item=skipped, status=Status.DONE)
    client.force_login(student)
    text = client.get(reverse("roadmap:dashboard", args=[roadmap.slug])).text
    assert CONGRATULATION in text
    assert "skipped" not in text


def test_checklist_lists_skipped_items_under_their_own_filter(client, roadmap, student, skipped):
    client.force_login(student)
    url = reverse("roadmap:checklist", args=[roadmap.slug])
    text = client.get(url).text
    assert "1 required item is skipped: it keeps your percent below 100." in text
    assert 'href="?show=skipped"' in text
    # The student reads the pace as a next step that counts the skipped item.
    assert "1 item was due by" in text and "(skipped). Tick it if you have done it" in text
    assert "On track" not in text
    shown = client.get(url, {"show": "skipped"}).text
    assert shown.count('class="item item--') == 1
    assert f'id="item-{skipped.pk}"' in shown


def test_the_checklist_summary_fragment_keeps_the_skipped_line(client, roadmap, student, skipped):
    """Every figure on the page is swapped after a change, the skipped line too."""
    client.force_login(student)
    item = Item.objects.of_roadmap(roadmap).order_by("pk")[1]
    response = client.post(
        reverse("roadmap:item_progress", args=[item.pk]),
        {"status": "skipped", "version": 1},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "2 required items are skipped: they keep your percent below 100." in response.text


def test_mentor_views_show_the_skip_and_the_same_pace(client, roadmap, student, skipped):
    mentor = UserFactory(is_mentor=True, batch=None)
    cohort = Cohort.objects.create(name="ML club", roadmap=roadmap)
    cohort.mentors.add(mentor)
    Membership.objects.create(cohort=cohort, student=student)
    client.force_login(mentor)
    own = client.get(reverse("cohorts:student", args=[cohort.pk, student.pk])).text
    assert "1 required item is skipped: it keeps the percent below 100." in own
    assert "Behind pace: 1 skipped item is due by now" in own
    assert "On track" not in own
    dashboard = client.get(cohort.get_absolute_url()).text
    assert 'class="pill pill--behind"' in dashboard
    export = client.get(reverse("cohorts:export", args=[cohort.pk]))
    assert ",Behind," in export.content.decode("utf-8-sig")
