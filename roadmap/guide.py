"""A guide file: one roadmap's content as data, loaded and reloaded by identity.

The file is a JSON object with one roadmap and the rows under it::

    {"roadmap": {"key", "slug", "title", "summary", "audience", "published"},
     "skill_categories": [{"key", "slug", "name", "order"}],
     "skills": [{"key", "category": <category key>, "slug", "name", "detail", "order"}],
     "stages": [{"key", "slug", "title", "summary", "year_start", "year_end", "order"}],
     "milestones": [{"key", "stage": <stage key>, "slug", "title", "summary", "order"}],
     "items": [{"key", "milestone": <milestone key>, "slug", "title", "kind", "description",
                "link", "target_count", "unit", "optional", "due_year", "due_semester",
                "order", "skills": [<skill key>, ...]}]}

Every row has a ``key``, stored on the row it creates: the row's identity, which
no admin edit changes (a slug is not one; admins rename slugs). Rows point at
their parents by key. Never change a key in the file: a row with a new key is a
new row, and the one with the old key is treated as removed from the file.

What a load does to each row, by its key:

- in the file, not in the database: added, with every field from the file;
- in both: each field the file gives (slug, titles and names, summaries,
  descriptions, links, kinds, years and due points, targets, optional, order,
  published, the parent, the item's links to the file's skills) takes the
  file's value, unless an admin changed that field since the last load: the
  row's ``guide_values`` record what the file said then, and a field that no
  longer holds it is the admin's and stays (so a file change reaches every
  field the admin left alone, and never one they edited). An item stays
  archived, and links to skills that come from no file stay. Rows loaded before
  that record existed know only the file's slug and title (migration 0004):
  their other fields take the file's value, except ``published``;
- in the database with a key, not in the file: items are archived (their
  progress is kept), once, when they leave the file: an item an admin restores
  afterwards stays restored, and one that comes back to the file stays archived
  until an admin restores it. Stages, milestones, skills and categories are left
  as they are, since removing them could take admin-added items or links along;
- without a key (added in the admin): left alone.

Everything happens in one transaction: a file that is unreadable, malformed, or
that conflicts with the database (say, a new item's slug already taken in its
milestone) raises a ``GuideError`` naming the file, the row and the problem, and
changes nothing. Loading the same file twice changes nothing the second time.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import UniqueConstraint

from .models import Item, Milestone, Roadmap, Skill, SkillCategory, Stage
from .outline import content_changed, one_change


class GuideError(Exception):
    """The guide file cannot be loaded; the message names the file, row and problem."""


# Fields that stay the admin's on rows with no record of what the file said before.
ADMIN_OWNED = {"slug", "published"}
KEY_MAX_LENGTH = Item._meta.get_field("key").max_length


@dataclass(frozen=True)
class Section:
    name: str  # the list's name in the file; also how the summary names the rows
    model: type
    fields: tuple[str, ...]  # plain fields the file may give
    parent: tuple[str, str] | None = None  # (foreign key, section of its target)


ROADMAP = Section("roadmap", Roadmap, ("slug", "title", "summary", "audience", "published"))
SECTIONS = [
    ROADMAP,
    Section("skill_categories", SkillCategory, ("slug", "name", "order")),
    Section(
        "skills",
        Skill,
        ("slug", "name", "detail", "order"),
        parent=("category", "skill_categories"),
    ),
    Section("stages", Stage, ("slug", "title", "summary", "year_start", "year_end", "order")),
    Section(
        "milestones",
        Milestone,
        ("slug", "title", "summary", "order"),
        parent=("stage", "stages"),
    ),
    Section(
        "items",
        Item,
        (
            "slug",
            "title",
            "kind",
            "description",
            "link",
            "target_count",
            "unit",
            "optional",
            "due_year",
            "due_semester",
            "order",
        ),
        parent=("milestone", "milestones"),
    ),
]


@dataclass
class Summary:
    """What a load did, per section name: Counters of added, updated, archived,
    unchanged, kept (rows in the file on which an admin's edit or archiving stayed)
    and left (in the database, not in the file)."""

    roadmap: Roadmap | None = None
    active_items: int = 0
    # One line per row changed or kept against the file, e.g. "items 'k': updated title".
    details: list[str] = field(default_factory=list)
    counts: dict[str, Counter] = field(
        default_factory=lambda: {section.name: Counter() for section in SECTIONS}
    )

    @property
    def changed(self) -> bool:
        return any(
            counts["added"] or counts["updated"] or counts["archived"]
            for counts in self.counts.values()
        )

    def lines(self) -> list[str]:
        """One line per kind of row that has something to say, e.g.
        ``items: 1 added, 2 updated, 1 archived, 84 unchanged; admin edits kept on 2;
        3 left (not in the file)``."""
        lines = []
        for name, counts in self.counts.items():
            done = [
                f"{counts[what]} {what}"
                for what in ("added", "updated", "archived", "unchanged")
                if counts[what]
            ]
            if counts["kept"]:
                done.append(f"admin edits kept on {counts['kept']}")
            if counts["left"]:
                done.append(f"{counts['left']} left (not in the file)")
            if done:
                lines.append(f"{name.replace('_', ' ')}: {', '.join(done)}")
        return lines


def read_guide(path: Path) -> dict:
    """Parse and check the file on its own: shape, keys, references.

    Returns the parsed object. Raises GuideError naming the file and the row."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GuideError(f"{path}: {error}") from error
    if not isinstance(data, dict):
        raise GuideError(f"{path}: expected a JSON object with a roadmap and its rows")
    expected = {section.name for section in SECTIONS}
    if set(data) != expected:
        raise GuideError(
            f"{path}: the file must have exactly these parts: {', '.join(sorted(expected))}"
            f" (missing: {', '.join(sorted(expected - set(data))) or 'none'};"
            f" unknown: {', '.join(sorted(set(data) - expected)) or 'none'})"
        )
    keys = {}
    for section in SECTIONS:
        rows = [data[section.name]] if section is ROADMAP else data[section.name]
        if not isinstance(rows, list):
            raise GuideError(f"{path}: {section.name} must be a list")
        allowed = {"key", *section.fields}
        if section.parent:
            allowed.add(section.parent[0])
        if section.model is Item:
            allowed.add("skills")
        keys[section.name] = set()
        for row in rows:
            if not isinstance(row, dict):
                raise GuideError(f"{path}: {section.name}: every row must be an object")
            key = row.get("key")
            where = f"{path}: {section.name} '{key}'"
            if not isinstance(key, str) or not key.strip():
                raise GuideError(
                    f"{path}: {section.name}: a row without a key (slug {row.get('slug')!r})"
                )
            if len(key) > KEY_MAX_LENGTH:
                raise GuideError(f"{where}: a key has at most {KEY_MAX_LENGTH} characters")
            if key in keys[section.name]:
                raise GuideError(f"{where}: the key is used twice")
            keys[section.name].add(key)
            if unknown := set(row) - allowed:
                raise GuideError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
            if "slug" not in row:
                raise GuideError(f"{where}: no slug")
            if section.parent:
                parent, parent_section = section.parent
                if row.get(parent) not in keys[parent_section]:
                    raise GuideError(
                        f"{where}: {parent} '{row.get(parent)}' is not a key in "
                        f"{parent_section} of this file"
                    )
            if section.model is Item:
                skills = row.get("skills", [])
                if not isinstance(skills, list) or not all(isinstance(s, str) for s in skills):
                    raise GuideError(f"{where}: skills must be a list of skill keys")
                if unknown := set(skills) - keys["skills"]:
                    raise GuideError(
                        f"{where}: skill(s) {', '.join(sorted(unknown))} not in the file's skills"
                    )
    return data


def load_guide(path: Path, *, dry_run: bool = False) -> Summary:
    """Load or reload the guide file at ``path`` (rules in this module's docstring).

    Returns the Summary. Raises GuideError, with nothing changed, when the file is
    bad or conflicts with the database. With ``dry_run`` nothing is saved."""
    data = read_guide(path)
    summary = Summary()
    with transaction.atomic():
        with one_change():
            by_key = {}  # section name -> {key: saved row}
            for section in SECTIONS:
                rows = [data[section.name]] if section is ROADMAP else data[section.name]
                existing = section.model.objects.all()
                if section.model in (Milestone, Skill):
                    existing = existing.select_related(section.parent[0])
                if section.model is Item:
                    existing = existing.select_related("milestone__stage").prefetch_related(
                        "skills"
                    )
                existing = existing.in_bulk([row["key"] for row in rows], field_name="key")
                by_key[section.name] = {}
                for row in rows:
                    obj = _write_row(path, section, row, existing.get(row["key"]), by_key, summary)
                    by_key[section.name][row["key"]] = obj
                    if section is ROADMAP:
                        summary.roadmap = obj
            _archive_and_count_the_rest(summary.roadmap, data, summary)
        if dry_run:
            transaction.set_rollback(True)
    return summary


def _write_row(path, section, row, obj, by_key, summary):
    """Add or update one row from the file; returns the saved row."""
    where = f"{path}: {section.name} '{row['key']}'"
    values = {name: row[name] for name in section.fields if name in row}
    # What the file says, as stored in guide_values: parents and skills by key.
    file_values = dict(values)
    if section.parent:
        parent, parent_section = section.parent
        values[parent] = by_key[parent_section][row[parent]]
        file_values[parent] = row[parent]
    if section.model is Item:
        file_values["skills"] = sorted(row.get("skills", []))
    if section.model is Stage:
        values["roadmap"] = summary.roadmap
    created = obj is None
    if created:
        obj = section.model(key=row["key"])
    elif (owner := _roadmap_id(obj)) is not None and owner != summary.roadmap.pk:
        # Keys are unique per kind of row; another guide's row is not this file's to move.
        raise GuideError(f"{where}: the key belongs to a row of another roadmap")
    last = obj.guide_values or {}
    written, kept = [], []
    for name, value in values.items():
        if not created and not _differs(obj, name, value, where):
            continue
        if not created and _edited_here(obj, name, last, where):
            kept.append(name)
            continue
        setattr(obj, name, value)
        written.append(name)
    new_baseline = obj.guide_values != file_values
    obj.guide_values = file_values
    if written:
        _check_and_save(obj, where)
    elif new_baseline:
        # Bookkeeping only: the row's content and updated_at stay as they are.
        type(obj).objects.filter(pk=obj.pk).update(guide_values=file_values)
    if section.model is Item:
        skills = _set_skills(obj, row, by_key["skills"], created, last)
        if skills:
            (written if skills == "written" else kept).append("skills")
        if not created and obj.archived:
            kept.append("archived")
    counts = summary.counts[section.name]
    counts["added" if created else "updated" if written else "unchanged"] += 1
    counts["kept"] += bool(kept)
    name = f"{section.name} '{row['key']}'"
    if written and not created:
        summary.details.append(f"{name}: updated {', '.join(written)}")
    if kept:
        summary.details.append(f"{name}: kept the database's {', '.join(kept)}")
    return obj


def _edited_here(obj, name, last, where) -> bool:
    """Whether an admin changed the field since the last load: it no longer holds what
    the file said then. Rows loaded before that was recorded know only their slug and
    title; for other fields the file's value wins, except a roadmap's published flag."""
    if name not in last:
        return name in ADMIN_OWNED
    if obj._meta.get_field(name).is_relation:
        return getattr(obj, name).key != last[name]
    return _differs(obj, name, last[name], where)


def _roadmap_id(obj) -> int | None:
    """The roadmap a stage, milestone or item belongs to; None for the other rows."""
    if isinstance(obj, Stage):
        return obj.roadmap_id
    if isinstance(obj, Milestone):
        return obj.stage.roadmap_id
    if isinstance(obj, Item):
        return obj.milestone.stage.roadmap_id
    return None


def _check_and_save(obj, where):
    """Validate the row as the admin would, then save it. Uniqueness is checked here
    for a readable message (a slug taken in its milestone); check constraints are
    left to the database, whose error names the constraint, as each costs a query."""
    try:
        # The key is unique already: rows were found by it and the file has each once.
        obj.full_clean(exclude=["key"], validate_constraints=False)
        for constraint in obj._meta.constraints:
            if isinstance(constraint, UniqueConstraint):
                constraint.validate(type(obj), obj)
    except ValidationError as error:
        raise GuideError(f"{where}: {_messages(error)}") from error
    try:
        obj.save()
    except IntegrityError as error:
        # Leaving the transaction on this error rolls everything back.
        raise GuideError(f"{where}: {error}") from error


def _differs(obj, name, value, where) -> bool:
    """Whether the row's field holds something else than the file's value."""
    model_field = obj._meta.get_field(name)
    if model_field.is_relation:
        return getattr(obj, model_field.attname) != value.pk
    try:
        return getattr(obj, name) != model_field.to_python(value)
    except ValidationError as error:
        raise GuideError(f"{where}: {name}: {_messages(error)}") from error


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            " ".join(messages) if name == "__all__" else f"{name}: {' '.join(messages)}"
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def _set_skills(item, row, skills, created, last) -> str | None:
    """Link the item to the file's skills, by the same rule as the other fields: not
    where an admin changed the item's links to the file's skills since the last load.
    Links to skills that come from no file are the admin's and stay.

    Returns "written", "kept" (the admin's links stay) or None (nothing to do)."""
    current = {} if created else {skill.pk: skill.key for skill in item.skills.all()}
    from_files = {key for key in current.values() if key is not None}
    wanted = set(row.get("skills", []))
    if from_files == wanted:
        return None
    if "skills" in last and from_files != set(last["skills"]):
        return "kept"
    pks = {skills[key].pk for key in wanted} | {pk for pk, key in current.items() if key is None}
    if created:
        item.skills.add(*pks)
    else:
        item.skills.set(pks)
    return "written"


def _archive_and_count_the_rest(roadmap, data, summary):
    """Archive the items that left the file since the last load, once: their
    guide_values note it ("gone"), so an item an admin restores stays restored. Count
    the rows left alone: added in the admin, or gone from the file before."""
    in_file = {section.name: {row["key"] for row in data[section.name]} for section in SECTIONS[1:]}
    items = Item.objects.of_roadmap(roadmap).exclude(key__in=in_file["items"])
    leaving = [
        item
        for item in items.filter(key__isnull=False).only("key", "archived", "guide_values")
        if not (item.guide_values or {}).get("gone")
    ]
    archived = 0
    for item in leaving:
        changes = {"guide_values": {**(item.guide_values or {}), "gone": True}}
        if not item.archived:
            changes["archived"] = True
            archived += 1
            summary.details.append(f"items '{item.key}': archived (not in the file)")
        Item.objects.filter(pk=item.pk).update(**changes)
        content_changed()
    summary.counts["items"]["archived"] += archived
    summary.counts["items"]["left"] += items.count() - archived
    summary.active_items = Item.objects.of_roadmap(roadmap).active().count()
    for name, rows in [
        ("stages", Stage.objects.filter(roadmap=roadmap)),
        ("milestones", Milestone.objects.filter(stage__roadmap=roadmap)),
        ("skill_categories", SkillCategory.objects.all()),
        ("skills", Skill.objects.all()),
    ]:
        summary.counts[name]["left"] += rows.exclude(key__in=in_file[name]).count()
