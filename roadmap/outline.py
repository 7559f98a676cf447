"""A roadmap's outline, kept in Django's cache between requests.

Every student page, the toggle's answer and the cohort pages start from the roadmap's
active items with their milestone and stage (``Item.objects.outline()``): 88 items of the
guide, built from the same rows on every request though they change only when staff edit
the roadmap. Building them is most of what a status change costs (docs/performance.md,
"Where time goes"); reading them back from the cache costs a fifth as much.

The key carries ``Roadmap.content_stamp``, which ``content_changed`` renews whenever a
stage, milestone, item or skill is saved or deleted (the receivers below, connected in
``RoadmapConfig.ready``), an item's skills change, or rows are changed in bulk (the
admin's archive actions and the guide loader call it). A stale outline is therefore
never read: the next request reads the roadmap's new stamp and misses. The roadmap row
itself is read by every caller anyway, so the check costs no query.

Each process also keeps the last few outlines it read, for a minute, under the same keys:
unpickling the 88 items costs about 9 ms a request with their skills and 2.5 ms
without, while shallow copies of the instances (``_fresh``) cost about 0.7 ms. Callers
set attributes on what they get (figures, links), so each request gets its own items,
milestones and stages; only the skills, which no caller changes, are shared.
"""

import hashlib
import threading
import time
import uuid
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar

import django
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import Item, Milestone, Roadmap, Skill, SkillCategory, Stage

# Content edits renew the stamp, so entries are never stale; the timeout frees the
# memory of roadmaps no one opens, and bounds how long an edit made behind the
# models' back (a QuerySet.update without content_changed) can go unseen.
TIMEOUT = 15 * 60

CONTENT_MODELS = (Stage, Milestone, Item, Skill, SkillCategory)

# Pickled instances belong to one Django and one set of columns: a deploy that changes
# either reads fresh rows instead of unpickling old ones.
_SHAPE = hashlib.sha256(
    repr(
        (django.VERSION, [[f.attname for f in m._meta.concrete_fields] for m in CONTENT_MODELS])
    ).encode()
).hexdigest()[:12]


def outline_key(roadmap: Roadmap, *, skills: bool) -> str:
    return f"roadmap-outline:{_SHAPE}:{roadmap.pk}:{roadmap.content_stamp}:{int(skills)}"


def roadmap_outline(roadmap: Roadmap, *, skills: bool = True) -> list[Item]:
    """``Item.objects.of_roadmap(roadmap).outline(skills=skills)`` as a list of fresh
    instances (the caller may set attributes on them), from the cache when the
    roadmap's content has not changed since it was stored (from what this process
    read in the last READ_SECONDS, else from Django's cache); no query then, two (one
    without skills) otherwise. ``roadmap`` must be read in this request: its
    ``content_stamp`` is the key."""
    key = outline_key(roadmap, skills=skills)
    now = time.monotonic()
    kept_until, items = _kept_outlines.get(key, (0.0, None))
    if kept_until < now:
        items = cache.get(key)
        if items is None:
            items = list(Item.objects.of_roadmap(roadmap).outline(skills=skills))
            cache.set(key, items, TIMEOUT)
        with _keeping:  # threads of one process share what it keeps
            _kept_outlines.pop(key, None)
            _kept_outlines[key] = (now + READ_SECONDS, items)
            while len(_kept_outlines) > READ_KEPT:
                _kept_outlines.popitem(last=False)
    return _fresh(items)


# The outlines this process read last, oldest first: key → (time.monotonic() after which
# to read it again, the items). Never changed, only copied (``_fresh``). A content change
# renews the stamp, so an old key is never asked for again; a change made behind the
# models' back shows once both this and the shared cache's TIMEOUT have run out.
READ_KEPT = 8
READ_SECONDS = 60
_kept_outlines: OrderedDict[str, tuple[float, list[Item]]] = OrderedDict()
_keeping = threading.Lock()


def _fresh(items: list[Item]) -> list[Item]:
    """Copies of ``items``, each linked to a copy of its milestone and stage: one copy of
    each milestone and stage for all its items, as ``select_related`` would not give
    (pickled rows carry one each). The skills prefetched on them are shared (read only)."""
    milestones: dict[int, Milestone] = {}
    stages: dict[int, Stage] = {}
    copies = []
    for item in items:
        milestone = milestones.get(item.milestone_id)
        if milestone is None:
            original = item.milestone
            stage = stages.get(original.stage_id)
            if stage is None:
                stage = stages[original.stage_id] = _copy(original.stage)
            milestone = milestones[item.milestone_id] = _copy(original, stage=stage)
        copies.append(_copy(item, milestone=milestone))
    return copies


def _copy(instance, **related):
    """A shallow copy of a model instance with its own attributes, state and caches of
    related objects (``related`` replaces some of them)."""
    duplicate = object.__new__(type(instance))
    duplicate.__dict__.update(instance.__dict__)
    state = duplicate._state = object.__new__(type(instance._state))
    state.__dict__.update(instance._state.__dict__)
    state.fields_cache = {**instance._state.fields_cache, **related}
    prefetched = instance.__dict__.get("_prefetched_objects_cache")
    if prefetched is not None:
        duplicate._prefetched_objects_cache = dict(prefetched)
    return duplicate


def content_changed() -> None:
    """Renew every roadmap's ``content_stamp``: one UPDATE (inside ``one_change``, once
    on leaving it). Skills are shared by roadmaps and content edits are rare, so any
    change renews them all. Call it after changing content rows without
    ``save()``/``delete()`` (``QuerySet.update``)."""
    changes = _changes.get()
    if changes is not None:
        changes.append(True)
        return
    Roadmap.objects.update(content_stamp=uuid.uuid4())


# What changed inside ``one_change``, or None outside it.
_changes: ContextVar[list | None] = ContextVar("changes", default=None)


@contextmanager
def one_change():
    """Renew the stamps once, on leaving, for all the content changes made inside, and
    not at all when nothing changed (the guide loader saves hundreds of rows, or none
    on a reload of the same file). Use it inside the transaction that makes them."""
    changes = []
    token = _changes.set(changes)
    try:
        yield
    finally:
        _changes.reset(token)
    if changes:
        content_changed()


def _content_saved_or_deleted(sender, **kwargs):
    content_changed()


def _item_skills_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        content_changed()


def connect_receivers() -> None:
    """Renew the stamps on every content change made through models (RoadmapConfig.ready)."""
    for model in CONTENT_MODELS:
        uid = f"roadmap-outline-{model._meta.model_name}"
        post_save.connect(_content_saved_or_deleted, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_content_saved_or_deleted, sender=model, dispatch_uid=f"{uid}-delete")
    m2m_changed.connect(
        _item_skills_changed, sender=Item.skills.through, dispatch_uid="roadmap-outline-skills"
    )
