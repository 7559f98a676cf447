"""Archived items leave the plan: every figure that reads roadmap content reads it
from one loader of a roadmap's active items (``Item.objects.outline()``), so an
archived item, and a skill, milestone or stage only it stood for, is in none of them."""

import csv
import io
import json
import re

import pytest
from django.urls import reverse

from cohorts.models import Cohort, Membership
from cohorts.overview import cohort_overview
from roadmap.figures import ItemTable, outline_skills, outline_stages, skill_coverage
from roadmap.models import Item, Progress, Roadmap, Status
from roadmap.outline import content_changed
from roadmap.services import follow_roadmap, progress_set
from tests.factories import (
    ItemFactory,
    MilestoneFactory,
    SkillCategoryFactory,
    SkillFactory,
    StageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def roadmap():
    """Two stages. The first has a milestone with five items (one a project), each
    teaching the shared skill; the second stage has one milestone whose only item is
    the only one teaching "Kubernetes". That item gets archived."""
    roadmap = Roadmap.objects.create(slug="ml", title="ML", published=True)
    category = SkillCategoryFactory(name="Cloud")
    python, kubernetes = (
        SkillFactory(category=category, name="Python"),
        SkillFactory(category=category, name="Kubernetes"),
    )
    basics = MilestoneFactory(
        stage=StageFactory(roadmap=roadmap, title="Basics"), title="Foundations"
    )
    for n in range(4):
        ItemFactory(milestone=basics, title=f"Basic {n}", skills=[python])
    ItemFactory(milestone=basics, title="Sentiment API", kind="project", skills=[python])
    infra = MilestoneFactory(
        stage=StageFactory(roadmap=roadmap, title="Infrastructure"), title="Cluster work"
    )
    ItemFactory(milestone=infra, title="Deploy on Kubernetes", kind="project", skills=[kubernetes])
    return roadmap


@pytest.fixture
def archived(roadmap):
    return Item.objects.get(title="Deploy on Kubernetes")


@pytest.fixture
def student(roadmap, archived):
    """Did everything while the Kubernetes item was in the plan, including sending
    evidence for it; then the item was archived."""
    student = UserFactory(batch=2025, name="Asha Verma")
    follow_roadmap(student, roadmap)
    for item in Item.objects.of_roadmap(roadmap).exclude(pk=archived.pk):
        progress_set(student=student, item=item, status=Status.DONE)
    progress_set(student=student, item=archived, evidence_url="https://github.com/asha/k8s")
    Item.objects.filter(pk=archived.pk).update(archived=True)
    return student


@pytest.fixture
def cohort(roadmap, student):
    mentor = UserFactory(is_mentor=True, batch=None)
    cohort = Cohort.objects.create(name="ML club", roadmap=roadmap)
    cohort.mentors.add(mentor)
    Membership.objects.create(cohort=cohort, student=student)
    cohort.mentor = mentor
    return cohort


def test_the_loader_gives_active_items_in_roadmap_order(roadmap, student, archived):
    items = list(Item.objects.of_roadmap(roadmap).outline())
    assert archived not in items
    assert [item.title for item in items] == [f"Basic {n}" for n in range(4)] + ["Sentiment API"]


def test_the_outline_holds_only_stages_and_milestones_with_active_items(roadmap, student, archived):
    table = ItemTable(Item.objects.of_roadmap(roadmap).outline())
    (stage,) = outline_stages(table.items)
    assert stage.title == "Basics"
    assert [milestone.title for milestone in stage.outline_milestones] == ["Foundations"]
    assert [stage.title for stage in table.stages] == ["Basics"]
    assert [milestone.title for milestone in table.milestones] == ["Foundations"]
    assert [skill.name for skill in outline_skills(table.items)] == ["Python"]


def test_skill_coverage_leaves_out_a_skill_only_archived_items_teach(roadmap, student):
    items = list(Item.objects.of_roadmap(roadmap).outline())
    progress_by_item = Progress.objects.for_student(student).by_item()
    (cloud,) = skill_coverage(items, progress_by_item)
    assert [(skill.name, practised) for skill, practised in cloud.skills] == [("Python", True)]
    assert cloud.percent == 100


def test_dashboard_figures_leave_out_the_archived_item(client, roadmap, student, archived):
    client.force_login(student)
    text = client.get(reverse("roadmap:dashboard", args=[roadmap.slug])).text
    assert archived.title not in text.split("Recent activity")[0]  # pace, next up, bars
    assert "100&nbsp;%" in text
    assert "100&nbsp;% · 5 of 5 done" in text
    assert "is done. See what&#x27;s next." in text  # "Everything due by Year …"
    assert "Every required item is done. Well done!" in text
    assert "Kubernetes" not in text.split("Required skills")[1]
    assert "1 of 1 practised" in text
    assert "Infrastructure" not in text  # a stage of archived items only has no bar


def test_checklist_figures_leave_out_the_archived_item(client, roadmap, student, archived):
    client.force_login(student)
    text = client.get(reverse("roadmap:checklist", args=[roadmap.slug])).text
    assert archived.title not in text
    assert "100&nbsp;% · 5 of 5 done" in text
    assert "Infrastructure" not in text


def test_roadmap_pages_count_and_show_only_active_items(client, roadmap, student, archived):
    detail = client.get(roadmap.get_absolute_url()).text
    assert "2 stages" not in detail and "1 stage · 5 items" in detail
    assert archived.title not in detail and "Cluster work" not in detail
    assert "5 items" in client.get(reverse("home")).text


def test_mentor_dashboard_and_export_have_no_column_for_archived_content(
    client, roadmap, cohort, archived
):
    client.force_login(cohort.mentor)
    text = client.get(cohort.get_absolute_url()).text
    assert "Infrastructure" not in text
    assert "100 %" in text
    assert "0 pieces of evidence awaiting review" in text
    response = client.get(reverse("cohorts:export", args=[cohort.pk]))
    header, row = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    assert header[header.index("overall %") + 1 : -5] == ["Basics %"]
    assert row[header.index("overall %")] == "100"
    assert row[header.index("evidence awaiting review")] == "0"


def test_grid_has_no_column_for_a_milestone_of_archived_items(client, cohort, archived):
    client.force_login(cohort.mentor)
    text = client.get(reverse("cohorts:grid", args=[cohort.pk])).text
    assert re.findall(r'class="grid__head"><span[^>]*>([^<]+)<', text) == ["Foundations"]
    assert "Cluster work" not in text


def test_stuck_items_leave_out_archived_items(cohort, archived):
    Progress.objects.filter(item=archived).delete()
    Item.objects.filter(pk=archived.pk).update(archived=False)
    from django.utils import timezone

    overview = cohort_overview(cohort, today=timezone.localdate(), now=timezone.now())
    assert [stuck.item.title for stuck in overview.stuck_items()] == [archived.title]
    Item.objects.filter(pk=archived.pk).update(archived=True)
    content_changed()  # as the admin's Archive action does
    cohort.roadmap.refresh_from_db()  # as the next request reads it
    overview = cohort_overview(cohort, today=timezone.localdate(), now=timezone.now())
    assert overview.stuck_items() == []
    assert [m.title for m in overview.milestones] == ["Foundations"]
    assert [s.title for s in overview.stages] == ["Basics"]


def test_review_queue_leaves_out_archived_items(client, cohort, archived):
    client.force_login(cohort.mentor)
    text = client.get(reverse("cohorts:review_queue", args=[cohort.pk])).text
    assert "Nothing waiting for review" in text
    assert archived.title not in text


def test_mentor_view_of_the_student_leaves_out_the_archived_item(client, cohort, student, archived):
    client.force_login(cohort.mentor)
    text = client.get(reverse("cohorts:student", args=[cohort.pk, student.pk])).text
    assert archived.title not in text
    assert "100&nbsp;% · 5 of 5 done" in text
    assert "Infrastructure" not in text


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_the_students_export_keeps_archived_progress_and_says_so(client, student, archived, fmt):
    """The export is all of the student's data, so archived progress stays in it, marked
    archived, so a figure worked out from the file can leave it out as the pages do."""
    client.force_login(student)
    response = client.get(reverse("roadmap:export", args=[fmt]))
    if fmt == "json":
        rows = json.loads(response.content)["progress"]
    else:
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    flags = {row["item"]: row["archived"] for row in rows}
    assert len(flags) == 6
    expected = (True, False) if fmt == "json" else ("True", "False")
    assert flags[archived.title] == expected[0]
    assert {flag for title, flag in flags.items() if title != archived.title} == {expected[1]}
