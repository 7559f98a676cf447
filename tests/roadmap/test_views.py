import pytest
from django.urls import reverse

from tests.factories import ItemFactory, RoadmapFactory, build_roadmap

pytestmark = pytest.mark.django_db


def test_home_lists_published_roadmaps_with_counts(client):
    roadmap = build_roadmap(items=3, title="Machine Learning Engineer")
    RoadmapFactory(title="Secret draft", published=False)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Machine Learning Engineer" in response.text
    assert "2 stages · 3 items" in response.text
    assert "Secret draft" not in response.text
    assert roadmap.get_absolute_url() in response.text


def test_home_shows_drafts_to_staff(client, staff_user):
    RoadmapFactory(title="Secret draft", published=False)
    client.force_login(staff_user)
    assert "Secret draft" in client.get(reverse("home")).text


def test_roadmap_page_shows_every_active_item_with_its_facts(client):
    item = ItemFactory(
        title="Solve DSA problems",
        kind="practice",
        link="https://leetcode.com/",
        target_count=200,
        unit="problems",
        due_year=2,
        due_semester=2,
        optional=True,
    )
    ItemFactory(milestone=item.milestone, title="Retired item", archived=True)
    response = client.get(item.milestone.stage.roadmap.get_absolute_url())
    assert response.status_code == 200
    text = response.text
    assert "Solve DSA problems" in text
    assert 'href="https://leetcode.com/"' in text
    assert "Practice" in text
    assert "200 problems" in text
    assert "Year 2, semester 2" in text
    assert "Practice · due year 2, sem 2 · optional" in text  # the checklist's line
    assert item.milestone.title in text and item.milestone.stage.title in text
    assert "Retired item" not in text


def test_roadmap_page_escapes_content(client):
    item = ItemFactory(title="<script>alert(1)</script>")
    text = client.get(item.milestone.stage.roadmap.get_absolute_url()).text
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_draft_roadmap_is_hidden_from_anonymous_and_students(client, user):
    draft = RoadmapFactory(published=False)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(user)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_draft_roadmap_is_previewed_by_staff(client, staff_user):
    draft = RoadmapFactory(published=False)
    client.force_login(staff_user)
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "Draft, visible to staff only" in response.text


def test_unknown_roadmap_is_404(client):
    assert client.get(reverse("roadmap:detail", args=["nope"])).status_code == 404


def test_pages_load_htmx_locally_and_send_csrf_in_hx_headers(client):
    roadmap = build_roadmap(items=1)
    for url in [reverse("home"), roadmap.get_absolute_url()]:
        text = client.get(url).text
        assert 'hx-headers=\'{"X-CSRFToken": "' in text
        assert '<script src="/static/django_htmx/htmx' in text
        assert "https://" not in text.split("</head>")[0]


@pytest.mark.parametrize("items", [10, 200])
def test_roadmap_page_query_count_does_not_grow_with_the_roadmap(
    client, django_assert_num_queries, items
):
    roadmap = build_roadmap(items=items, stages=3)
    # roadmap + counts, items (with milestones and stages), skills
    with django_assert_num_queries(3):
        response = client.get(roadmap.get_absolute_url())
    assert response.text.count('class="item"') == items


@pytest.mark.parametrize("roadmaps", [1, 20])
def test_home_query_count_does_not_grow_with_roadmaps(client, django_assert_num_queries, roadmaps):
    for _ in range(roadmaps):
        build_roadmap(items=2)
    with django_assert_num_queries(1):
        response = client.get(reverse("home"))
    assert response.text.count('class="card"') == roadmaps
