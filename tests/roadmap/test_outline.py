"""A roadmap's outline is read from the cache until its content changes, by any path."""

import json
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from roadmap import outline
from roadmap.management.commands.load_guide import default_guide_path
from roadmap.models import Item, Milestone, Roadmap, Skill, SkillCategory, Stage
from roadmap.outline import content_changed, roadmap_outline
from roadmap.services import follow_roadmap
from tests.factories import ItemFactory, SkillFactory, UserFactory, build_roadmap

pytestmark = pytest.mark.django_db


def shown(items) -> list[tuple]:
    """What pages read of an outline: each item's fields, place and skills."""
    return [
        (
            item.pk,
            item.title,
            item.archived,
            item.due_term,
            item.milestone.title,
            item.milestone.stage.title,
            [(skill.name, skill.category.name) for skill in item.skills.all()],
        )
        for item in items
    ]


def from_database(roadmap) -> list[tuple]:
    return shown(Item.objects.of_roadmap(roadmap).outline())


def cached(roadmap) -> list[tuple]:
    """The outline as the next request reads it: the roadmap row read again."""
    return shown(roadmap_outline(Roadmap.objects.get(pk=roadmap.pk)))


@pytest.fixture
def roadmap():
    return build_roadmap(items=6)


def test_a_second_read_costs_no_query_and_gives_the_same_outline(
    roadmap, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the items, then their skills
        first = roadmap_outline(roadmap)
    with django_assert_num_queries(0):
        second = roadmap_outline(roadmap)
    assert shown(second) == shown(first) == from_database(roadmap)
    assert len(first) == 6


def test_without_skills_is_kept_apart(roadmap, django_assert_num_queries):
    roadmap_outline(roadmap)
    with django_assert_num_queries(1):
        items = roadmap_outline(roadmap, skills=False)
    assert [item.pk for item in items] == [item.pk for item in roadmap_outline(roadmap)]


def test_each_read_gives_instances_of_its_own(roadmap):
    first = roadmap_outline(roadmap)
    first[0].status = "done"
    first[0].title = "Changed on this page only"
    first[0].milestone.outline_items = []
    first[0].milestone.stage.tally = None
    first[0]._state.adding = True
    second = roadmap_outline(roadmap)
    assert second[0] is not first[0]
    assert not hasattr(second[0], "status")
    assert second[0].title != first[0].title
    assert not hasattr(second[0].milestone, "outline_items")
    assert not hasattr(second[0].milestone.stage, "tally")
    assert second[0]._state.adding is False
    assert shown(second) == from_database(roadmap)


def test_items_of_one_milestone_share_their_milestone_and_stage_within_a_read(roadmap):
    items = roadmap_outline(roadmap)
    by_milestone = {}
    for item in items:
        assert by_milestone.setdefault(item.milestone_id, item.milestone) is item.milestone
    stages = {m.stage_id: m.stage for m in by_milestone.values()}
    assert all(m.stage is stages[m.stage_id] for m in by_milestone.values())


def test_the_process_keeps_what_it_read_without_unpickling_it_again(
    roadmap, django_assert_num_queries
):
    first = roadmap_outline(roadmap)
    cache.clear()  # what this process read is kept apart from the shared cache
    with django_assert_num_queries(0):
        second = roadmap_outline(roadmap)
    assert shown(second) == shown(first)


def _a_minute_later():
    """Age what this process keeps past READ_SECONDS, as the clock would."""
    for key, (kept_until, items) in list(outline._kept_outlines.items()):
        outline._kept_outlines[key] = (kept_until - outline.READ_SECONDS - 1, items)


def test_what_the_process_kept_is_read_again_after_a_minute(roadmap):
    """An edit made behind the models' back (no new stamp) shows once both the process's
    minute and the shared cache's timeout have run out, as README says."""
    roadmap_outline(roadmap)
    Item.objects.of_roadmap(roadmap).update(title="Renamed in SQL")
    cache.clear()  # the shared cache's 15 minutes are over
    assert "Renamed in SQL" not in {item.title for item in roadmap_outline(roadmap)}
    _a_minute_later()
    assert {item.title for item in roadmap_outline(roadmap)} == {"Renamed in SQL"}


def test_after_its_minute_the_process_reads_the_shared_cache_without_a_query(
    roadmap, django_assert_num_queries
):
    first = roadmap_outline(roadmap)
    _a_minute_later()
    with django_assert_num_queries(0):
        second = roadmap_outline(roadmap)
    assert shown(second) == shown(first)
    second[0]._prefetched_objects_cache.clear()  # each copy has its own
    with django_assert_num_queries(0):  # so the next read still has its skills
        assert shown(roadmap_outline(roadmap)) == shown(first)


def test_the_process_keeps_only_the_last_few_outlines(roadmap):
    for _ in range(outline.READ_KEPT + 3):
        content_changed()
        roadmap_outline(Roadmap.objects.get(pk=roadmap.pk))
    assert len(outline._kept_outlines) == outline.READ_KEPT


def _rename(model):
    def change(roadmap):
        row = model.objects.filter(**{FILTERS[model]: roadmap}).first()
        setattr(row, "name" if model in (Skill, SkillCategory) else "title", "Renamed")
        row.save()

    return change


FILTERS = {
    Stage: "roadmap",
    Milestone: "stage__roadmap",
    Item: "milestone__stage__roadmap",
    Skill: "items__milestone__stage__roadmap",
    SkillCategory: "skills__items__milestone__stage__roadmap",
}


def _add_item(roadmap):
    ItemFactory(milestone=Milestone.objects.filter(stage__roadmap=roadmap).first())


def _delete_item(roadmap):
    Item.objects.of_roadmap(roadmap).last().delete()


def _add_skill(roadmap):
    Item.objects.of_roadmap(roadmap).first().skills.add(SkillFactory(name="MLOps"))


def _remove_skills(roadmap):
    Item.objects.of_roadmap(roadmap).first().skills.clear()


def _move_the_first_stage_last(roadmap):
    stage = Stage.objects.filter(roadmap=roadmap).first()
    stage.order = 30_000  # past every order the factories hand out
    stage.save()


def _bulk_update_then_say_so(roadmap):
    Item.objects.of_roadmap(roadmap).update(archived=True)
    content_changed()


@pytest.mark.parametrize(
    "change",
    [
        *(_rename(model) for model in FILTERS),
        _add_item,
        _delete_item,
        _add_skill,
        _remove_skills,
        _move_the_first_stage_last,
        _bulk_update_then_say_so,
    ],
    ids=[
        *(f"rename-{model.__name__}" for model in FILTERS),
        "add-item",
        "delete-item",
        "add-skill",
        "remove-skills",
        "reorder-stages",
        "bulk-update",
    ],
)
def test_every_content_change_is_read_at_once(roadmap, change):
    before = cached(roadmap)
    change(roadmap)
    after = from_database(roadmap)
    assert after != before
    assert cached(roadmap) == after


def test_the_admins_archive_and_restore_actions_are_read_at_once(client, roadmap):
    item = Item.objects.of_roadmap(roadmap).first()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:roadmap_item_changelist")
    assert item.pk in [row[0] for row in cached(roadmap)]

    client.post(url, {"action": "archive", "_selected_action": [item.pk]})
    assert item.pk not in [row[0] for row in cached(roadmap)]

    client.post(url, {"action": "restore", "_selected_action": [item.pk]})
    assert item.pk in [row[0] for row in cached(roadmap)]


def test_a_guide_reload_that_archives_an_item_is_read_at_once(tmp_path):
    call_command("load_guide", stdout=StringIO())
    roadmap = Roadmap.objects.get()
    before = cached(roadmap)
    data = json.loads(default_guide_path().read_text())
    gone = data["items"].pop()["key"]
    path = tmp_path / "guide.json"
    path.write_text(json.dumps(data))

    call_command("load_guide", "--reload", "--file", str(path), stdout=StringIO())

    after = cached(roadmap)
    assert len(after) == len(before) - 1
    assert Item.objects.get(key=gone).pk not in [row[0] for row in after]
    assert after == from_database(roadmap)


def test_an_item_renamed_in_the_admin_shows_on_the_students_next_page(client, roadmap):
    student = UserFactory()
    follow_roadmap(student, roadmap)
    item = Item.objects.of_roadmap(roadmap).first()
    checklist = reverse("roadmap:checklist", args=[roadmap.slug])
    client.force_login(student)
    assert item.title in client.get(checklist).text

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = reverse("admin:roadmap_item_change", args=[item.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name in form.fields if (value := form[name].value()) is not None}
    data["title"] = "Linear algebra, renamed"
    assert client.post(url, data).status_code == 302

    client.force_login(student)
    page = client.get(checklist).text
    assert "Linear algebra, renamed" in page and f">{item.title}<" not in page


def test_content_changed_renews_every_roadmaps_stamp():
    first, second = build_roadmap(items=1), build_roadmap(items=1)
    stamps = dict(Roadmap.objects.values_list("pk", "content_stamp"))
    content_changed()
    renewed = dict(Roadmap.objects.values_list("pk", "content_stamp"))
    assert renewed[first.pk] != stamps[first.pk]
    assert renewed[second.pk] != stamps[second.pk]
