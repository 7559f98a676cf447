"""The checklist rebuilt for a phone: compact rows, details on demand, stages that
fold with the current one open, a Now view, done rows that look done, sent-back
evidence counted, and answers that carry only what changed."""

import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse

from roadmap.checklist import current_stage
from roadmap.figures import Pace, RoadmapProgress, StudyPoint
from roadmap.models import Item, Progress, ProgressEvent, Roadmap, Stage, Status
from roadmap.services import follow_roadmap, progress_set, review_evidence
from tests.factories import ItemFactory, MilestoneFactory, StageFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


class ElementCounter(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = 0

    def handle_starttag(self, tag, attrs):
        self.elements += 1

    def handle_startendtag(self, tag, attrs):
        self.elements += 1


def elements(html: str) -> int:
    counter = ElementCounter()
    counter.feed(html)
    return counter.elements


@pytest.fixture
def guide_student(settings):
    """A third-year student on the whole shipped guide, a fifth of it done."""
    call_command("load_guide", verbosity=0)
    roadmap = Roadmap.objects.get(slug=settings.WAYPOINT_DEFAULT_ROADMAP)
    student = UserFactory(batch=2024)
    follow_roadmap(student, roadmap)
    for item in Item.objects.of_roadmap(roadmap).active().order_by("pk")[::5]:
        progress_set(student=student, item=item, status=Status.DONE)
    return student, roadmap


def test_the_whole_guide_opens_light_on_a_phone(client, guide_student):
    student, roadmap = guide_student
    client.force_login(student)
    response = client.get(reverse("roadmap:checklist", args=[roadmap.slug]))
    html = response.content
    assert Item.objects.of_roadmap(roadmap).active().count() > 80
    assert (
        response.text.count('class="item item--')
        == Item.objects.of_roadmap(roadmap).active().count()
    )
    assert len(html) <= 120_000, len(html)
    assert elements(response.text) <= 1_500, elements(response.text)
    # Details are not on the page until asked for.
    assert "<textarea" not in response.text and 'name="count"' not in response.text


def test_an_answer_carries_only_what_changed(client, guide_student):
    student, roadmap = guide_student
    client.force_login(student)
    item = Item.objects.of_roadmap(roadmap).active().order_by("pk")[1]
    response = client.post(
        reverse("roadmap:item_progress", args=[item.pk]), {"status": "done"}, headers=HTMX
    )
    assert response.status_code == 200
    ids = set(re.findall(r'id="(item-\d+)"', response.text))
    assert ids == {f"item-{item.pk}"}
    assert f'id="stage-{item.milestone.stage.pk}-meter" hx-swap-oob="true"' in response.text
    assert f'id="milestone-{item.milestone.pk}-meter" hx-swap-oob="true"' in response.text
    assert 'id="shown-count" aria-live="polite" hx-swap-oob="true"' in response.text
    assert response.text.count("-meter") == 2
    assert len(response.content) < 8_000


@pytest.fixture
def roadmap():
    roadmap = Roadmap.objects.create(slug="ml", title="ML", published=True)
    early = MilestoneFactory(stage=StageFactory(roadmap=roadmap, year_start=1, year_end=2))
    late = MilestoneFactory(stage=StageFactory(roadmap=roadmap, year_start=3, year_end=4))
    ItemFactory(milestone=early, title="Python", due_year=1, due_semester=1)
    ItemFactory(milestone=early, title="Algorithms", due_year=2, due_semester=1)
    ItemFactory(milestone=early, title="Projects", due_year=2, due_semester=2, kind="project")
    ItemFactory(milestone=late, title="MLOps", due_year=4, due_semester=1)
    return roadmap


@pytest.fixture
def student(roadmap, settings):
    settings.WAYPOINT_ACADEMIC_YEAR_START_MONTH = 7
    student = UserFactory(batch=2025)  # year 2, semester 1 on 30 Nov 2026
    follow_roadmap(student, roadmap)
    return student


def item(roadmap, title):
    return Item.objects.of_roadmap(roadmap).get(title=title)


def page(client, roadmap, **query):
    return client.get(reverse("roadmap:checklist", args=[roadmap.slug]), query).text


def test_the_current_stage_is_open_and_every_stage_is_one_jump_away(client, roadmap, student):
    client.force_login(student)
    html = page(client, roadmap)
    early, late = Stage.objects.filter(roadmap=roadmap).order_by("order")
    assert re.search(rf'<details class="stage" id="stage-{early.slug}" open>', html)
    assert re.search(rf'<details class="stage" id="stage-{late.slug}">', html)
    for stage in (early, late):
        assert f'href="#stage-{stage.slug}"' in html
    assert f'href="#stage-{early.slug}-items">Skip to your current stage' in html
    # Folded, a stage still shows its figures.
    assert re.search(
        rf'id="stage-{late.pk}-meter">Years 3–4 · <span class="percent-figure">0', html
    )


def test_now_lists_what_is_due_by_this_semester_and_not_done(client, roadmap, student):
    progress_set(student=student, item=item(roadmap, "Python"), status=Status.DONE)
    client.force_login(student)
    html = page(client, roadmap, show="now")
    assert "Algorithms" in html  # due this semester
    assert "Python" not in html  # done
    assert "Projects" not in html and "MLOps" not in html  # due later
    assert "Showing 1 item: due by now and not done" in html


def test_the_filter_count_is_right_after_each_change(client, roadmap, student):
    client.force_login(student)
    algorithms = item(roadmap, "Algorithms")
    response = client.post(
        reverse("roadmap:item_progress", args=[algorithms.pk]),
        {"status": "done"},
        headers={**HTMX, "HX-Current-URL": "http://testserver/roadmaps/ml/checklist/?show=now"},
    )
    assert "Showing 1 item: due by now" in response.text  # Python is still due


def test_done_rows_are_marked_in_words_and_trust_levels_differ(client, roadmap, student):
    mentor = UserFactory(is_mentor=True)
    python, algorithms, projects = (item(roadmap, t) for t in ("Python", "Algorithms", "Projects"))
    progress_set(student=student, item=python, status=Status.DONE)
    progress_set(
        student=student, item=algorithms, status=Status.DONE, evidence_url="https://github.com/a/b"
    )
    proof = progress_set(
        student=student, item=projects, status=Status.DONE, evidence_url="https://github.com/a/c"
    )
    review_evidence(mentor=mentor, progress=proof, verified=True)
    client.force_login(student)
    html = page(client, roadmap)
    assert "✓</span> Done · self-reported" in html
    assert "✓</span> Done · evidence attached" in html
    assert "✓✓</span> Done · verified by a mentor" in html
    assert html.count('class="item item--done"') == 3


def test_sent_back_evidence_is_counted_and_listed_with_the_comment(client, roadmap, student):
    mentor = UserFactory(is_mentor=True)
    projects = item(roadmap, "Projects")
    proof = progress_set(
        student=student, item=projects, status=Status.DONE, evidence_url="https://github.com/a/c"
    )
    review_evidence(mentor=mentor, progress=proof, verified=False, comment="Add a README")
    client.force_login(student)
    html = page(client, roadmap)
    assert "1 item needs attention: evidence sent back by your mentor." in html
    assert "sent back</strong>" in html and "Add a README" in html
    listed = page(client, roadmap, show="attention")
    assert "Projects" in listed and "Python" not in listed


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx detail", "item page"])
def test_an_items_detail_opens_on_demand_for_its_student_only(client, roadmap, student, htmx):
    python = item(roadmap, "Python")
    url = reverse("roadmap:item", args=[python.pk])
    headers = HTMX if htmx else {}
    response = client.get(url, headers=headers)  # anonymous
    assert response.status_code in (200, 302)
    assert "Private note" not in response.text
    client.force_login(UserFactory())  # follows nothing
    assert client.get(url, headers=headers).status_code == 404
    client.force_login(student)
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert f'id="item-{python.pk}-status-done"' in response.text
    assert "Private note" in response.text
    assert ("<html" in response.text) is not htmx


def test_an_item_page_for_an_archived_or_foreign_item_is_404(client, roadmap, student):
    other = ItemFactory(title="Elsewhere")
    archived = ItemFactory(milestone=item(roadmap, "Python").milestone, archived=True)
    client.force_login(student)
    assert client.get(reverse("roadmap:item", args=[other.pk])).status_code == 404
    # An archived item keeps its page (its progress stands), said to be archived.
    response = client.get(reverse("roadmap:item", args=[archived.pk]))
    assert response.status_code == 200 and "archived" in response.text


def test_a_change_made_in_the_details_keeps_them_open(client, roadmap, student):
    client.force_login(student)
    python = item(roadmap, "Python")
    url = reverse("roadmap:item_progress", args=[python.pk])
    quick = client.post(url, {"status": "done"}, headers=HTMX).text
    assert f'id="item-{python.pk}-detail"' not in quick
    detailed = client.post(url, {"status": "in_progress", "open": "1"}, headers=HTMX).text
    assert f'id="item-{python.pk}-detail"' in detailed
    assert ProgressEvent.objects.filter(item=python).count() == 2


def test_without_javascript_saved_is_said_on_the_item(client, roadmap, student):
    client.force_login(student)
    python = item(roadmap, "Python")
    checklist = reverse("roadmap:checklist", args=[roadmap.slug])
    response = client.post(
        reverse("roadmap:item_progress", args=[python.pk]),
        {"status": "done"},
        headers={"Referer": f"http://testserver{checklist}?show=all"},
        follow=True,
    )
    row = re.search(rf'<li [^>]*id="item-{python.pk}".*?</li>', response.text, re.S).group(0)
    assert "Saved: Python, done." in row
    assert Progress.objects.get().status == Status.DONE


def test_a_link_to_another_site_says_so(client, roadmap, student):
    python = item(roadmap, "Python")
    python.link = "https://www.coursera.org/learn/python"
    python.save()
    client.force_login(student)
    detail = client.get(reverse("roadmap:item", args=[python.pk]), headers=HTMX).text
    assert 'Open on coursera.org</a> <span class="meta">(opens another site)</span>' in detail


def test_the_public_roadmap_says_visibly_which_titles_lead_elsewhere(client, roadmap):
    python = item(roadmap, "Python")
    python.link = "https://docs.python.org/3/tutorial/"
    python.save()
    html = client.get(reverse("roadmap:detail", args=[roadmap.slug])).text
    assert 'Open on docs.python.org</a> <span class="meta">(opens another site)</span>' in html
    assert 'visually-hidden"> (external link)' not in html


@pytest.mark.parametrize(
    ("year", "current"),
    [(-1, None), (0, None), (1, "Years 1–2"), (3, "Years 3–4"), (5, "Years 3–4")],
)
def test_the_current_stage_is_the_one_of_the_students_year(year, current):
    """Before the first year no stage is current (not even for a batch that starts
    in two years); after the last, the last stage stays current."""
    stages = [Stage(pk=1, year_start=1, year_end=2), Stage(pk=2, year_start=3, year_end=4)]
    point = StudyPoint(year=year, semester=1)
    summary = RoadmapProgress(pace=Pace(point, expected_percent=0, actual_percent=0, behind=[]))
    found = current_stage(stages, summary)
    assert (found.years_label if found else None) == current
    assert current_stage(stages, RoadmapProgress()) is None  # no batch, no pace
