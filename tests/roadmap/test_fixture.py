"""The Machine Learning Engineer guide as data: it loads, reloads in place, and is complete."""

import json
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from roadmap.models import Item, Milestone, Roadmap, Skill, SkillCategory, Stage
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

FIXTURE = "machine-learning-engineer"
MODELS = [Roadmap, Stage, Milestone, Item, Skill, SkillCategory]


def load(name=FIXTURE):
    call_command("loaddata", name, verbosity=0)


def row_counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def guide():
    load()
    return Roadmap.objects.get(slug=FIXTURE)


def write_fixture(tmp_path, objects):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(objects))
    return str(path)


def test_guide_loads_published(guide):
    assert guide.published
    assert guide.title == "Machine Learning Engineer"


def test_loading_twice_updates_in_place(guide):
    before = row_counts()
    pks = set(Item.objects.values_list("pk", flat=True))
    load()
    assert row_counts() == before
    assert set(Item.objects.values_list("pk", flat=True)) == pks


def test_reload_restores_edited_content_and_keeps_additions(guide):
    item = Item.objects.of_roadmap(guide).order_by("pk").first()
    original_title = item.title
    item.title = "Edited by an admin"
    item.save()
    extra = ItemFactory(milestone=item.milestone, slug="admin-added")
    load()
    item.refresh_from_db()
    assert item.title == original_title
    assert Item.objects.filter(pk=extra.pk).exists()


def guide_entry(model):
    path = settings.FIXTURE_DIRS[0] / f"{FIXTURE}.json"
    return next(entry for entry in json.loads(path.read_text()) if entry["model"] == model)


def bad_item(**fields):
    return {
        "model": "roadmap.item",
        "fields": {
            "milestone": [FIXTURE, "year-1-2", "programming"],
            "slug": "broken",
            "title": "Broken item",
            "kind": "topic",
            "description": "",
            "link": "",
            "target_count": None,
            "unit": "",
            "optional": False,
            "due_year": 1,
            "due_semester": 1,
            "order": 99,
            "archived": False,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "skills": [],
            **fields,
        },
    }


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        ([bad_item(due_year=7)], r"broken\.json.*roadmap_item_due_year_range"),
        ([bad_item(kind="video")], r"broken\.json.*roadmap_item_kind_valid"),
        (
            [bad_item(milestone=[FIXTURE, "year-1-2", "no-such-milestone"])],
            r"broken\.json.*Item has no milestone",
        ),
        ([bad_item(skills=[["no-such-skill"]])], r"Skill .*does not exist.*no-such-skill"),
    ],
    ids=["impossible due year", "unknown kind", "unknown milestone", "unknown skill"],
)
def test_malformed_roadmap_file_is_refused_whole(guide, tmp_path, objects, message):
    # A valid change first in the same file: it must be rolled back with the rest.
    renamed = guide_entry("roadmap.roadmap")
    renamed["fields"]["title"] = "Renamed"
    path = write_fixture(tmp_path, [renamed, *objects])
    before = row_counts()
    with pytest.raises(CommandError, match=message):
        load(path)
    assert row_counts() == before
    assert Roadmap.objects.get(slug=FIXTURE).title == "Machine Learning Engineer"


def test_unreadable_json_is_refused_with_its_file_name(db, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"model": "roadmap.roadmap", "fields": {')
    with pytest.raises(CommandError, match=r"broken\.json': Expecting property name"):
        load(str(path))
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_counts_per_stage_and_kind_are_pinned(guide):
    items = Item.objects.of_roadmap(guide)
    per_stage = Counter(items.values_list("milestone__stage__slug", flat=True))
    assert per_stage == {
        "year-1-2": 15,
        "year-2-3": 17,
        "year-3-4": 30,
        "career": 15,
        "resources": 11,
    }
    assert Counter(items.values_list("kind", flat=True)) == {
        "topic": 33,
        "activity": 16,
        "practice": 14,
        "project": 10,
        "course": 7,
        "book": 4,
        "certification": 4,
    }
    assert items.filter(optional=True).count() == 26
    assert Milestone.objects.filter(stage__roadmap=guide).count() == 19
    assert SkillCategory.objects.count() == 6
    assert Skill.objects.count() == 35


def test_stages_follow_the_guide_years(guide):
    stages = list(guide.stages.values_list("slug", "year_start", "year_end"))
    assert stages == [
        ("year-1-2", 1, 2),
        ("year-2-3", 2, 3),
        ("year-3-4", 3, 4),
        ("career", 2, 4),
        ("resources", 1, 4),
    ]


def test_every_item_has_a_stage_a_due_point_and_a_description(guide):
    for item in Item.objects.of_roadmap(guide).select_related("milestone__stage"):
        assert item.milestone.stage.roadmap_id == guide.pk
        assert item.due_year is not None and item.due_semester is not None, item
        assert item.milestone.stage.year_start <= item.due_year <= item.milestone.stage.year_end
        assert len(item.description) > 40, item


def test_counted_items_match_the_guide_numbers(guide):
    counted = dict(
        Item.objects.of_roadmap(guide)
        .filter(target_count__isnull=False)
        .values_list("title", "target_count")
    )
    assert counted == {
        "Solve 200 LeetCode problems": 200,
        "GitHub profile with production-quality ML projects": 5,
    }


def test_certifications_are_optional_as_the_guide_says(guide):
    certifications = Item.objects.of_roadmap(guide).filter(kind="certification")
    assert certifications.count() == 4
    assert not certifications.filter(optional=False).exists()


def test_every_required_skill_is_taught_by_an_item(guide):
    assert not Skill.objects.filter(items__isnull=True).exists()
    categories = SkillCategory.objects.values_list("name", flat=True)
    assert "Cloud & Infrastructure" in categories


def test_every_link_is_https(guide):
    links = Item.objects.of_roadmap(guide).exclude(link="").values_list("link", flat=True)
    assert links and all(link.startswith("https://") for link in links)


def test_load_guide_loads_once_and_keeps_admin_edits_after_that():
    out = StringIO()
    call_command("load_guide", stdout=out)
    assert "Loaded" in out.getvalue()
    item = Item.objects.order_by("pk").first()
    item.title = "Edited by an admin"
    item.save()
    counts = row_counts()

    call_command("load_guide", stdout=(out := StringIO()))
    assert "left as it is" in out.getvalue()
    item.refresh_from_db()
    assert item.title == "Edited by an admin"
    assert row_counts() == counts

    call_command("load_guide", "--reload", stdout=StringIO())
    item.refresh_from_db()
    assert item.title != "Edited by an admin"
    assert row_counts() == counts
