"""Reloading the guide after admin edits: rows are found by key, never duplicated; what
the admin archived, renamed, unpublished or added stays; items gone from the file are
archived with their progress; the command says what it changed."""

import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from roadmap.management.commands.load_guide import default_guide_path
from roadmap.models import (
    Item,
    Milestone,
    Progress,
    ProgressEvent,
    Roadmap,
    Skill,
    SkillCategory,
    Stage,
)
from roadmap.services import follow_roadmap, progress_set
from tests.factories import ItemFactory, MilestoneFactory, SkillFactory, StageFactory, UserFactory

pytestmark = pytest.mark.django_db

GUIDE = "machine-learning-engineer"
PYTHON = f"{GUIDE}/year-1-2/programming/master-python"
CPP = f"{GUIDE}/year-1-2/programming/learn-cpp-or-java"
LEETCODE = f"{GUIDE}/year-1-2/programming/leetcode-200"
MODELS = [Roadmap, Stage, Milestone, Item, SkillCategory, Skill]


def reload(path=None, *options) -> str:
    out = StringIO()
    args = ["--reload", *options] + (["--file", str(path)] if path else [])
    call_command("load_guide", *args, stdout=out)
    return out.getvalue()


def guide_data():
    return json.loads(default_guide_path().read_text())


def write(tmp_path, data):
    path = tmp_path / "guide.json"
    path.write_text(json.dumps(data))
    return path


def row_counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def guide():
    call_command("load_guide", stdout=StringIO())
    return Roadmap.objects.get(key=GUIDE)


@pytest.fixture
def student(guide):
    """A student with progress (and so logged events) on three of the guide's items."""
    student = UserFactory()
    follow_roadmap(student, guide)
    for key in (PYTHON, CPP, LEETCODE):
        progress_set(student=student, item=Item.objects.get(key=key), status="done")
    return student


def titles_per_checklist(roadmap):
    return Counter(Item.objects.of_roadmap(roadmap).active().values_list("title", flat=True))


def test_the_issue_scenario_renamed_and_archived_items_survive_a_reload(guide, student):
    renamed = Item.objects.get(key=PYTHON)
    renamed.slug = "python-in-depth"
    renamed.save()
    Item.objects.filter(key=CPP).update(archived=True)
    active = Item.objects.of_roadmap(guide).active().count()
    progress = list(Progress.objects.order_by("pk").values_list("pk", "item_id", "status"))
    events = ProgressEvent.objects.count()

    out = reload()

    assert max(titles_per_checklist(guide).values()) == 1
    assert Item.objects.of_roadmap(guide).active().count() == active == 87
    assert Item.objects.get(key=PYTHON).slug == "python-in-depth"
    assert Item.objects.get(key=CPP).archived
    assert list(Progress.objects.order_by("pk").values_list("pk", "item_id", "status")) == progress
    assert ProgressEvent.objects.count() == events
    assert "Nothing changed" in out
    assert "items: 88 unchanged, admin edits kept on 2" in out


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_no_row_of_any_kind_is_duplicated_after_an_admin_renames_its_slug(guide, model):
    row = model.objects.exclude(key=None).order_by("pk").first()
    row.slug = "renamed-in-the-admin"
    row.save()
    counts = row_counts()

    reload()
    reload()

    assert row_counts() == counts
    row.refresh_from_db()
    assert row.slug == "renamed-in-the-admin"


def test_a_renamed_roadmap_is_not_loaded_a_second_time(guide):
    guide.slug = "ml-engineer"
    guide.save()
    counts = row_counts()
    out = StringIO()
    call_command("load_guide", stdout=out)
    assert "left as it is" in out.getvalue()
    assert row_counts() == counts


def test_an_unpublished_roadmap_stays_unpublished(guide):
    Roadmap.objects.filter(pk=guide.pk).update(published=False)
    out = reload()
    guide.refresh_from_db()
    assert not guide.published
    assert "roadmap: 1 unchanged, admin edits kept on 1" in out


def test_items_gone_from_the_file_are_archived_with_their_progress(guide, student, tmp_path):
    data = guide_data()
    data["items"] = [item for item in data["items"] if item["key"] != LEETCODE]
    progress = Progress.objects.get(item__key=LEETCODE)
    events = ProgressEvent.objects.filter(item__key=LEETCODE).count()

    out = reload(write(tmp_path, data))

    item = Item.objects.get(key=LEETCODE)
    assert item.archived
    assert Progress.objects.get(pk=progress.pk).item_id == item.pk
    assert ProgressEvent.objects.filter(item=item).count() == events > 0
    assert "items: 1 archived, 87 unchanged" in out
    assert "Updated 'Machine Learning Engineer'" in out and "(87 active items)" in out


def test_a_stage_gone_from_the_file_keeps_its_rows_and_archives_the_files_items(guide, tmp_path):
    stage = Stage.objects.get(key=f"{GUIDE}/resources")
    added_in_admin = ItemFactory(milestone=stage.milestones.first(), title="Our college's list")
    data = guide_data()
    data["stages"] = [s for s in data["stages"] if s["key"] != stage.key]
    gone = {m["key"] for m in data["milestones"] if m["stage"] == stage.key}
    data["milestones"] = [m for m in data["milestones"] if m["key"] not in gone]
    data["items"] = [i for i in data["items"] if i["milestone"] not in gone]

    out = reload(write(tmp_path, data))

    assert Stage.objects.filter(pk=stage.pk).exists()
    assert stage.milestones.count() == len(gone)
    assert not Item.objects.filter(milestone__stage=stage, key__isnull=False, archived=False)
    added_in_admin.refresh_from_db()
    assert not added_in_admin.archived
    assert "stages: 4 unchanged, 1 left (not in the file)" in out
    assert f"milestones: {19 - len(gone)} unchanged, {len(gone)} left (not in the file)" in out
    assert "items: 11 archived, 77 unchanged, 1 left (not in the file)" in out


def test_rows_added_in_the_admin_are_left_alone(guide):
    own_skill = SkillFactory(category=SkillCategory.objects.get(key="programming"))
    own_stage = StageFactory(roadmap=guide, title="Electives")
    own_milestone = MilestoneFactory(stage=own_stage)
    own_item = ItemFactory(milestone=own_milestone, skills=[own_skill])
    item_in_file = Item.objects.get(key=PYTHON)
    item_in_file.skills.add(own_skill)
    own = {
        obj: type(obj).objects.filter(pk=obj.pk).values().get()
        for obj in (own_skill, own_stage, own_milestone, own_item)
    }

    out = reload()

    for obj, values in own.items():
        assert type(obj).objects.filter(pk=obj.pk).values().get() == values
    assert own_skill in item_in_file.skills.all()
    assert list(own_item.skills.all()) == [own_skill]
    assert "items: 88 unchanged, 1 left (not in the file)" in out
    assert "skills: 35 unchanged, 1 left (not in the file)" in out
    assert "stages: 5 unchanged, 1 left (not in the file)" in out


def test_the_files_changes_are_applied_and_reported(guide, student, tmp_path):
    data = guide_data()
    by_key = {item["key"]: item for item in data["items"]}
    by_key[PYTHON]["title"] = "Master Python, properly"
    by_key[CPP]["milestone"] = f"{GUIDE}/year-1-2/core-cs"
    by_key[LEETCODE]["skills"] = ["python"]
    data["items"].append(dict(by_key[PYTHON], key="new-item", slug="new-item", title="New"))
    data["skills"][0]["name"] = "Python 3"
    progress = Progress.objects.count()

    out = reload(write(tmp_path, data))

    assert Item.objects.get(key=PYTHON).title == "Master Python, properly"
    assert Item.objects.get(key=CPP).milestone.key == f"{GUIDE}/year-1-2/core-cs"
    assert [s.key for s in Item.objects.get(key=LEETCODE).skills.all()] == ["python"]
    assert Item.objects.get(key="new-item").title == "New"
    assert Skill.objects.get(key="python").name == "Python 3"
    assert Progress.objects.count() == progress
    assert "items: 1 added, 3 updated, 85 unchanged" in out
    assert "skills: 1 updated, 34 unchanged" in out


def test_fields_an_admin_edited_are_kept_on_every_kind_of_row(guide):
    item = Item.objects.get(key=PYTHON)
    item.title, item.slug, item.order, item.description = "Admin's", "admins-slug", 40, "Ours."
    item.milestone = Milestone.objects.get(key=f"{GUIDE}/year-1-2/core-cs")
    item.save()
    item.skills.clear()
    Stage.objects.filter(key=f"{GUIDE}/year-1-2").update(title="Foundations", year_end=3)
    SkillCategory.objects.filter(key="cloud").update(name="Cloud", order=9)
    Skill.objects.filter(key="python").update(detail="Ours.")
    Roadmap.objects.filter(key=GUIDE).update(summary="Ours.", published=False)
    before = {model: list(model.objects.order_by("pk").values()) for model in MODELS}

    out = reload()

    assert {model: list(model.objects.order_by("pk").values()) for model in MODELS} == before
    assert not item.skills.exists()
    assert "Nothing changed" in out
    lines = {line.strip().split(":")[0]: line for line in out.splitlines()[1:]}
    for kind in ("roadmap", "stages", "skill categories", "skills", "items"):
        assert lines[kind].endswith("admin edits kept on 1"), lines[kind]
    assert lines["milestones"].endswith("19 unchanged")


def test_the_files_changes_reach_fields_the_admin_left_as_loaded(guide, tmp_path):
    item = Item.objects.get(key=PYTHON)
    item.title = "Admin's title"
    item.save()
    data = guide_data()
    row = next(row for row in data["items"] if row["key"] == PYTHON)
    row.update(title="The file's new title", description="The file's new text.", slug="python")
    out = StringIO()

    call_command("load_guide", "--reload", "--file", write(tmp_path, data), verbosity=2, stdout=out)

    item.refresh_from_db()
    assert item.title == "Admin's title"
    assert (item.description, item.slug) == ("The file's new text.", "python")
    assert f"items '{PYTHON}': updated slug, description" in out.getvalue()
    assert f"items '{PYTHON}': kept the database's title" in out.getvalue()
    # The next reload of the same file keeps the admin's title and changes nothing.
    assert "Nothing changed" in reload(write(tmp_path, data))
    item.refresh_from_db()
    assert item.title == "Admin's title"


def test_rows_with_no_record_of_the_file_take_its_text_but_keep_their_slug(guide):
    # Rows loaded before reloads kept a record have none for most fields (see 0004).
    item = Item.objects.get(key=PYTHON)
    original = item.title
    Item.objects.filter(pk=item.pk).update(title="Edited", slug="admins-slug", guide_values=None)
    Roadmap.objects.filter(key=GUIDE).update(published=False, guide_values=None)

    reload()

    item.refresh_from_db()
    assert (item.title, item.slug) == (original, "admins-slug")
    assert not Roadmap.objects.get(key=GUIDE).published


def test_an_item_archived_for_leaving_the_file_stays_archived_when_it_returns(guide, tmp_path):
    data = guide_data()
    data["items"] = [item for item in data["items"] if item["key"] != LEETCODE]
    reload(write(tmp_path, data))
    out = reload()
    assert Item.objects.get(key=LEETCODE).archived
    assert "admin edits kept on 1" in out


def test_an_item_that_left_the_file_is_archived_once_so_a_restore_sticks(guide, tmp_path):
    data = guide_data()
    data["items"] = [item for item in data["items"] if item["key"] != LEETCODE]
    path = write(tmp_path, data)
    assert "items: 1 archived" in reload(path)
    Item.objects.filter(key=LEETCODE).update(archived=False)  # the admin's Restore

    out = reload(path)

    assert not Item.objects.get(key=LEETCODE).archived
    assert "Nothing changed" in out
    assert "items: 87 unchanged, 1 left (not in the file)" in out


def test_a_second_reload_changes_nothing_and_says_so(guide, tmp_path):
    data = guide_data()
    data["items"][0]["title"] = "Changed in the file"
    path = write(tmp_path, data)
    assert "items: 1 updated" in reload(path)
    stamps = list(Item.objects.order_by("pk").values_list("updated_at", flat=True))
    counts = row_counts()

    out = reload(path)

    assert out.startswith("Nothing changed: 'Machine Learning Engineer' is up to date with")
    assert "items: 88 unchanged" in out
    assert list(Item.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps
    assert row_counts() == counts


def test_a_new_item_whose_slug_an_admin_took_is_refused_whole(guide, tmp_path):
    Item.objects.filter(key=PYTHON).update(slug="python-projects")
    data = guide_data()
    new = dict(data["items"][0], key="python-projects", slug="python-projects")
    data["items"].append(new)
    data["roadmap"]["title"] = "Renamed"
    counts = row_counts()

    with pytest.raises(CommandError, match=r"items 'python-projects'.*already exists"):
        reload(write(tmp_path, data))

    assert row_counts() == counts
    assert Roadmap.objects.get(key=GUIDE).title == "Machine Learning Engineer"


def test_a_dry_run_reports_and_saves_nothing(guide, tmp_path):
    data = guide_data()
    data["items"] = data["items"][1:]
    data["items"][0]["title"] = "Changed in the file"

    out = reload(write(tmp_path, data), "--dry-run")

    assert "items: 1 updated, 1 archived, 86 unchanged" in out
    assert "Would update" in out and "(87 active items)" in out
    assert "Dry run: nothing was saved." in out
    assert not Item.objects.filter(archived=True).exists()
    assert not Item.objects.filter(title="Changed in the file").exists()


def test_verbose_output_names_each_row_changed_or_kept(guide, tmp_path):
    Item.objects.filter(key=PYTHON).update(slug="python-in-depth")
    Item.objects.filter(key=CPP).update(archived=True)
    data = guide_data()
    data["items"] = [item for item in data["items"] if item["key"] != LEETCODE]
    data["skills"][0]["name"] = "Python 3"
    out = StringIO()

    call_command("load_guide", "--reload", "--file", write(tmp_path, data), verbosity=2, stdout=out)

    assert f"items '{PYTHON}': kept the database's slug" in out.getvalue()
    assert f"items '{CPP}': kept the database's archived" in out.getvalue()
    assert f"items '{LEETCODE}': archived (not in the file)" in out.getvalue()
    assert "skills 'python': updated name" in out.getvalue()
