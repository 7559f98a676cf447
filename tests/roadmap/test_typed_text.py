"""What a student typed is never thrown away: a refused change (another tab saved
first, or the input was wrong) comes back with the typed text still in its field."""

import re

import pytest
from django.urls import reverse

from roadmap.models import Item, Progress
from roadmap.services import follow_roadmap, progress_set
from tests.factories import ItemFactory, UserFactory, build_roadmap

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def item():
    roadmap = build_roadmap(items=2, slug="ml")
    return Item.objects.of_roadmap(roadmap).order_by("pk").first()


@pytest.fixture
def student(item):
    student = UserFactory()
    follow_roadmap(student, item.milestone.stage.roadmap)
    return student


def field_value(html, field_id):
    textarea = re.search(rf'<textarea[^>]*id="{field_id}"[^>]*>(.*?)</textarea>', html, re.S)
    if textarea:
        return textarea.group(1)
    return re.search(rf'<input[^>]*id="{field_id}"[^>]*value="([^"]*)"', html).group(1)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no JavaScript"])
def test_a_note_typed_in_an_out_of_date_tab_stays_beside_the_saved_one(client, item, student, htmx):
    client.force_login(student)
    # Tab A loaded the item at version 0; tab B then saved a note.
    progress_set(student=student, item=item, note="From tab B")
    response = client.post(
        reverse("roadmap:item_progress", args=[item.pk]),
        {"note": "Typed in tab A", "evidence_url": "https://github.com/me/a", "version": "0"},
        headers=HTMX if htmx else {},
    )
    assert response.status_code == 409
    html = response.text
    assert field_value(html, f"item-{item.pk}-note") == "Typed in tab A"
    assert field_value(html, f"item-{item.pk}-evidence") == "https://github.com/me/a"
    saved = re.search(rf'id="item-{item.pk}-note-saved">(.*?)</p>', html, re.S).group(1)
    assert "From tab B" in saved
    # The form now carries the new version: saving again replaces tab B's note on purpose.
    progress = Progress.objects.get()
    assert progress.note == "From tab B"
    assert f'name="version" value="{progress.version}"' in html


def test_a_count_typed_in_an_out_of_date_tab_stays_in_its_field(client, item, student):
    counted = ItemFactory(milestone=item.milestone, target_count=200, unit="problems")
    client.force_login(student)
    progress_set(student=student, item=counted, count=40)
    response = client.post(
        reverse("roadmap:item_progress", args=[counted.pk]),
        {"count": "57", "version": "0"},
        headers=HTMX,
    )
    assert response.status_code == 409
    assert field_value(response.text, f"item-{counted.pk}-count") == "57"
    assert "<strong>40</strong>" in response.text


def test_refused_input_keeps_every_typed_field(client, item, student):
    client.force_login(student)
    response = client.post(
        reverse("roadmap:item_progress", args=[item.pk]),
        {"note": "Keep me", "evidence_url": "ftp://nope", "version": "0"},
        headers=HTMX,
    )
    assert response.status_code == 400
    assert field_value(response.text, f"item-{item.pk}-note") == "Keep me"
    assert field_value(response.text, f"item-{item.pk}-evidence") == "ftp://nope"
    assert not Progress.objects.exists()
