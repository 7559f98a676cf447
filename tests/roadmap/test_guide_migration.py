"""A database loaded before content had keys migrates cleanly: rows from the guide file
get the file's key (also after an admin renamed their slug), admin-added rows get none,
progress stays, and the next reload adds no copies and restores nothing archived."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from roadmap.management.commands.load_guide import default_guide_path
from roadmap.models import Item, Milestone, Progress, ProgressEvent, Roadmap, Skill, Stage
from tests.factories import UserFactory

BEFORE_KEYS = [("roadmap", "0002_enrollment_progress_progressevent")]
GUIDE = "machine-learning-engineer"
MODEL_NAMES = ["Roadmap", "SkillCategory", "Skill", "Stage", "Milestone", "Item"]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def load_as_before(apps):
    """The guide's rows as the slug-keyed fixture loaded them: same slugs, no keys."""
    data = json.loads(default_guide_path().read_text())
    model = {name: apps.get_model("roadmap", name) for name in MODEL_NAMES}
    rows = {}

    def create(section, name, **links):
        for row in data[section] if section != "roadmap" else [data[section]]:
            fields = {k: v for k, v in row.items() if k not in {"key", "skills", *links}}
            fields.update({field: rows[target][row[field]] for field, target in links.items()})
            if name == "Stage":
                fields["roadmap"] = rows["roadmap"][data["roadmap"]["key"]]
            rows.setdefault(section, {})[row["key"]] = model[name].objects.create(**fields)

    create("roadmap", "Roadmap")
    create("skill_categories", "SkillCategory")
    create("skills", "Skill", category="skill_categories")
    create("stages", "Stage")
    create("milestones", "Milestone", stage="stages")
    create("items", "Item", milestone="milestones")
    for row in data["items"]:
        rows["items"][row["key"]].skills.set([rows["skills"][key] for key in row["skills"]])
    return rows


@pytest.mark.django_db(transaction=True)
def test_rows_loaded_before_keys_get_them_and_a_reload_then_adds_no_copies():
    student = UserFactory()
    try:
        apps = migrate(BEFORE_KEYS)
        rows = load_as_before(apps)
        items = rows["items"]
        # What admins did on the old version: rename, archive, add; a student's progress.
        renamed = items[f"{GUIDE}/year-1-2/programming/master-python"]
        renamed.slug = "python-in-depth"
        renamed.save()
        archived = items[f"{GUIDE}/year-1-2/programming/learn-cpp-or-java"]
        archived.archived = True
        archived.title = "C++ (or Java)"
        archived.description = "Edited before keys."
        archived.save()
        stage = rows["stages"][f"{GUIDE}/year-1-2"]
        stage.slug = "foundations"
        stage.save()
        skill = rows["skills"]["python"]
        skill.slug = "python-3"
        skill.save()
        added = apps.get_model("roadmap", "Item").objects.create(
            milestone=renamed.milestone, slug="college-lab", title="College ML lab", order=9
        )
        apps.get_model("roadmap", "Progress").objects.create(
            student_id=student.pk, item=renamed, status="done"
        )
        apps.get_model("roadmap", "ProgressEvent").objects.create(
            student_id=student.pk, item=renamed, field="status", to_status="done"
        )

        migrate(latest())

        assert Roadmap.objects.get(key=GUIDE).slug == GUIDE
        assert Stage.objects.get(pk=stage.pk).key == f"{GUIDE}/year-1-2"
        assert Milestone.objects.filter(key=f"{GUIDE}/year-1-2/programming").exists()
        assert Item.objects.get(pk=renamed.pk).key == f"{GUIDE}/year-1-2/programming/master-python"
        assert Item.objects.get(pk=archived.pk).key.endswith("/learn-cpp-or-java")
        assert Skill.objects.get(pk=skill.pk).key == "python"
        assert Item.objects.get(pk=added.pk).key is None
        assert Item.objects.filter(key__isnull=False).count() == 88
        assert Skill.objects.filter(key__isnull=False).count() == 35

        out = StringIO()
        call_command("load_guide", "--reload", stdout=out)

        assert Item.objects.count() == 89
        assert Item.objects.get(pk=renamed.pk).slug == "python-in-depth"
        assert Item.objects.get(pk=archived.pk).archived
        # The migration knows the file's slugs and titles, so those edits stay; other
        # fields have no record of what the file said, and take the file's.
        assert Item.objects.get(pk=archived.pk).title == "C++ (or Java)"
        assert Item.objects.get(pk=archived.pk).description.startswith("Pick one compiled")
        assert not Item.objects.get(pk=added.pk).archived
        assert Stage.objects.get(pk=stage.pk).slug == "foundations"
        assert Progress.objects.get().item_id == renamed.pk
        assert ProgressEvent.objects.get().item_id == renamed.pk
        assert "items: 1 updated, 87 unchanged, admin edits kept on 2, 1 left" in out.getvalue()
    finally:
        migrate(latest())


@pytest.mark.django_db(transaction=True)
def test_a_renamed_item_is_known_by_its_title_and_an_ambiguous_one_is_not():
    try:
        apps = migrate(BEFORE_KEYS)
        items = load_as_before(apps)["items"]
        OldItem = apps.get_model("roadmap", "Item")
        renamed = items[f"{GUIDE}/year-1-2/programming/master-python"]
        renamed.slug = "python-in-depth"
        renamed.save()
        # Two unkeyed rows with the title of an item whose slug is gone: neither is taken.
        leetcode = items[f"{GUIDE}/year-1-2/programming/leetcode-200"]
        leetcode.slug = "leetcode"
        leetcode.save()
        twin = OldItem.objects.create(
            milestone=leetcode.milestone, slug="leetcode-again", title=leetcode.title, order=9
        )

        migrate(latest())

        assert Item.objects.get(pk=renamed.pk).key.endswith("/master-python")
        assert Item.objects.get(pk=leetcode.pk).key is None
        assert Item.objects.get(pk=twin.pk).key is None
    finally:
        migrate(latest())


@pytest.mark.django_db(transaction=True)
def test_a_copy_made_by_the_old_reload_stays_one_copy():
    try:
        apps = migrate(BEFORE_KEYS)
        items = load_as_before(apps)["items"]
        # The old reload re-added a renamed item under the file's slug: two rows, one title.
        renamed = items[f"{GUIDE}/year-1-2/programming/master-python"]
        renamed.slug = "python-in-depth"
        renamed.save()
        copy = apps.get_model("roadmap", "Item").objects.create(
            milestone=renamed.milestone,
            slug="master-python",
            title=renamed.title,
            order=renamed.order,
        )

        migrate(latest())
        call_command("load_guide", "--reload", stdout=StringIO())

        assert Item.objects.get(pk=copy.pk).key.endswith("/master-python")
        assert Item.objects.get(pk=renamed.pk).key is None
        assert Item.objects.filter(title=renamed.title).count() == 2
    finally:
        migrate(latest())
