"""The Machine Learning Engineer guide as data: it loads, reloads in place, refuses a
bad file whole, and is complete."""

import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from roadmap.management.commands.load_guide import default_guide_path
from roadmap.models import Item, Milestone, Roadmap, Skill, SkillCategory, Stage
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

FIXTURE = "machine-learning-engineer"
MODELS = [Roadmap, Stage, Milestone, Item, Skill, SkillCategory]


def load(path=None):
    args = ["--reload"] + (["--file", str(path)] if path else [])
    call_command("load_guide", *args, stdout=StringIO())


def row_counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def guide_data():
    return json.loads(default_guide_path().read_text())


@pytest.fixture
def guide():
    load()
    return Roadmap.objects.get(key=FIXTURE)


def write_guide(tmp_path, data):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    return path


def test_guide_loads_published(guide):
    assert guide.published
    assert guide.title == "Machine Learning Engineer"
    assert guide.slug == FIXTURE


def test_every_row_of_the_guide_gets_its_key_from_the_file(guide):
    data = guide_data()
    assert set(Item.objects.values_list("key", flat=True)) == {i["key"] for i in data["items"]}
    assert set(Stage.objects.values_list("key", flat=True)) == {s["key"] for s in data["stages"]}
    assert set(Skill.objects.values_list("key", flat=True)) == {s["key"] for s in data["skills"]}


def test_loading_twice_updates_in_place(guide):
    before = row_counts()
    pks = set(Item.objects.values_list("pk", flat=True))
    load()
    assert row_counts() == before
    assert set(Item.objects.values_list("pk", flat=True)) == pks


def test_reload_keeps_admin_edits_and_additions(guide):
    item = Item.objects.of_roadmap(guide).order_by("pk").first()
    item.title = "Edited by an admin"
    item.save()
    extra = ItemFactory(milestone=item.milestone, slug="admin-added")
    load()
    item.refresh_from_db()
    assert item.title == "Edited by an admin"
    assert Item.objects.filter(pk=extra.pk).exists()


def bad_item(**fields):
    return {
        "key": "broken",
        "milestone": f"{FIXTURE}/year-1-2/programming",
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
        "skills": [],
        **fields,
    }


def with_item(**fields):
    data = guide_data()
    data["items"].append(bad_item(**fields))
    return data


def without(part):
    data = guide_data()
    del data[part]
    return data


def with_duplicate_key():
    data = guide_data()
    data["items"].append(dict(data["items"][0], slug="another"))
    return data


def another_roadmap_with_this_stage():
    data = guide_data()
    data["roadmap"].update(key="data-engineer", slug="data-engineer")
    return data


def with_long_key():
    data = guide_data()
    data["items"][0]["key"] = "k" * 201
    return data


def with_taken_slug():
    data = guide_data()
    data["items"].append(dict(data["items"][0], key="new-item"))
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (with_item(due_year=7), r"broken\.json: items 'broken'.*roadmap_item_due_year_range"),
        (with_item(kind="video"), r"items 'broken'.*kind: Value 'video' is not a valid choice"),
        (with_item(due_year="soon"), r"items 'broken': due_year: .*must be an integer"),
        (with_item(target_count=0), r"items 'broken'.*roadmap_item_target_count_positive"),
        (
            with_item(milestone=f"{FIXTURE}/year-1-2/no-such-milestone"),
            r"items 'broken': milestone '.*no-such-milestone' is not a key in milestones",
        ),
        (with_item(skills=["no-such-skill"]), r"skill\(s\) no-such-skill not in the file"),
        (with_item(colour="red"), r"items 'broken': unknown field\(s\) colour"),
        (with_item(key=""), r"items: a row without a key"),
        (with_duplicate_key(), r"items '.*master-python': the key is used twice"),
        (with_taken_slug(), r"items 'new-item':.*Milestone and Slug already exists"),
        (without("items"), r"must have exactly these parts.*missing: items"),
        (another_roadmap_with_this_stage(), r"stages '.*year-1-2': the key belongs to a row of an"),
        (with_long_key(), r"items 'k+': a key has at most 200 characters"),
        ([], r"expected a JSON object"),
    ],
    ids=[
        "impossible due year",
        "unknown kind",
        "due year not a number",
        "zero target",
        "unknown milestone",
        "unknown skill",
        "unknown field",
        "no key",
        "key used twice",
        "slug taken in its milestone",
        "a part missing",
        "a stage key of another roadmap",
        "key too long",
        "not an object",
    ],
)
def test_malformed_guide_file_is_refused_whole(guide, tmp_path, data, message):
    # A valid change first in the same file: it must be rolled back with the rest.
    if isinstance(data, dict):
        data["roadmap"]["title"] = "Renamed"
        data["stages"][0]["title"] = "Renamed stage"
    path = write_guide(tmp_path, data)
    before = row_counts()
    with pytest.raises(CommandError, match=r"Nothing loaded: .*" + message):
        load(path)
    assert row_counts() == before
    assert Roadmap.objects.get(key=FIXTURE).title == "Machine Learning Engineer"
    assert not Stage.objects.filter(title="Renamed stage").exists()


def test_unreadable_json_is_refused_with_its_file_name(db, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"roadmap": {')
    with pytest.raises(CommandError, match=r"broken\.json: Expecting property name"):
        load(path)
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_missing_file_is_refused_with_its_name(db, tmp_path):
    with pytest.raises(CommandError, match=r"nowhere\.json.*No such file"):
        load(tmp_path / "nowhere.json")


def test_djangos_loaddata_refuses_the_guide_file(guide):
    # The guide is not a Django fixture: loading it by slug would bypass the keys.
    before = row_counts()
    with pytest.raises(Exception, match="Problem installing fixture"):
        call_command("loaddata", FIXTURE, verbosity=0)
    assert row_counts() == before


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


def test_load_guide_loads_once_and_keeps_admin_edits_after_that(db):
    out = StringIO()
    call_command("load_guide", stdout=out)
    assert "Loaded 'Machine Learning Engineer'" in out.getvalue()
    assert "items: 88 added" in out.getvalue()
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
    assert item.title == "Edited by an admin"
    assert row_counts() == counts


def test_first_load_is_quick(db, django_assert_max_num_queries):
    # make run and make serve load the guide on a fresh database; so do many tests. 618:
    # adding an item's skills reads which are there first (73 queries), as Django does
    # when anyone listens to m2m_changed (roadmap/outline.py does).
    with django_assert_max_num_queries(620):
        call_command("load_guide", stdout=StringIO())
    assert Item.objects.count() == 88
