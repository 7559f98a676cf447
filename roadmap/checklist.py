"""The checklist as pages show it: a roadmap outline of compact item rows with each
item's progress and every progress figure, for the student's own page, their item
page, the htmx answers and a mentor's read-only view.

Rows are light (title, kind, due point, status and trust, one tap to mark done); an
item's description, skills, count stepper, note and evidence are its *detail*, loaded
when opened (``roadmap:item``), so a first visit stays small on a phone.
"""

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse
from django.utils import timezone

from .figures import AcademicClock, ItemTable, RoadmapProgress, attach_tallies, outline_stages
from .models import Item, Kind, Progress, Status
from .outline import roadmap_outline

# The filters, in the order the page offers them. "now": due by the student's current
# semester and not done (overdue first, then this semester's); "attention": evidence a
# mentor sent back.
SHOW_CHOICES = {
    "all": "All",
    "now": "Now",
    "remaining": "Remaining",
    "done": "Done",
    "skipped": "Skipped",
    "attention": "Sent back",
}


def needs_attention(progress: Progress | None) -> bool:
    """Evidence a mentor sent back with a comment, not yet replaced."""
    return bool(progress and progress.review_comment and not progress.verified_at)


def shows(
    item: Item, progress: Progress | None, *, show: str, kind: str, term: int, before: int = 0
) -> bool:
    """Whether a checklist filtered by ``show`` (a SHOW_CHOICES key) and ``kind`` (a
    Kind value, or "" for every kind) lists the item; ``term`` is the student's
    semester 1..10 (0 before their first), which "now" compares due points with;
    items due at or before ``before`` are prerequisites (lateral entry), never "now"."""
    status = progress.status if progress else Status.NOT_STARTED
    if kind and item.kind != kind:
        return False
    match show:
        case "now":
            return status != Status.DONE and before < item.due_term <= term
        case "remaining":
            return status not in (Status.DONE, Status.SKIPPED)
        case "done":
            return status == Status.DONE
        case "skipped":
            return status == Status.SKIPPED
        case "attention":
            return needs_attention(progress)
    return True


# The tick a done row shows beside its trust's words (Progress.trust).
TICKS = {"verified": "✓✓", "evidence": "✓", "self": "✓"}


def prepare_rows(items, progress_by_item, *, before: int = 0) -> None:
    """Attach to each item what its checklist row shows, worked out once here rather
    than looked up (and missed) in the template for each of ~90 rows: ``my_progress``
    (the Progress row or None), ``status``, ``status_label``, ``trust`` (for done
    items), ``sent_back``, ``version``, ``saved_message`` (None), ``prerequisite``
    (due at or before the term ``before``: before a lateral entrant's first year), its
    two addresses, ``page_url`` and ``progress_url`` (reversed once, not once per row),
    and the row's words: ``state_label`` ("Done · verified by a mentor", "In progress"),
    ``tick`` ("✓✓" verified, "✓" done, else "") and ``done`` (the quick button is
    pressed)."""
    page_url = reverse("roadmap:item", args=[0]).replace("/0/", "/{}/")
    progress_url = reverse("roadmap:item_progress", args=[0]).replace("/0/", "/{}/")
    labels = dict(Status.choices)
    for item in items:
        progress = progress_by_item.get(item.pk)
        item.my_progress = progress
        item.status = progress.status if progress else Status.NOT_STARTED
        item.status_label = labels[item.status]
        item.trust = progress.trust if progress and item.status == Status.DONE else ""
        item.done = item.status == Status.DONE
        item.tick = TICKS.get(item.trust, "")
        item.state_label = f"Done · {progress.trust_label}" if item.trust else item.status_label
        item.sent_back = needs_attention(progress)
        item.version = progress.version if progress else 0
        item.saved_message = None
        item.prerequisite = item.due_term <= before
        item.page_url = page_url.format(item.pk)
        item.progress_url = progress_url.format(item.pk)


def filter_from_url(url: str | None) -> tuple[str, str]:
    """(show, kind) from a checklist URL's query, unknown values as "all" and ""."""
    query = parse_qs(urlsplit(url or "").query)
    show = (query.get("show") or ["all"])[0]
    kind = (query.get("kind") or [""])[0]
    return (show if show in SHOW_CHOICES else "all", kind if kind in Kind.values else "")


@dataclass
class Checklist:
    """One student's checklist of one roadmap, as loaded: the active ``items`` in
    roadmap order, the student's ``progress_by_item``, every figure (``summary``), their
    semester ``term`` (1..10, 0 before the first), the last term of their
    prerequisites (``before``: 2 for lateral entry, else 0) and how many items need
    ``attention``."""

    roadmap: object
    items: list[Item]
    progress_by_item: dict
    summary: RoadmapProgress
    term: int
    before: int
    attention: int

    def shows(self, item: Item, *, show: str, kind: str) -> bool:
        progress = self.progress_by_item.get(item.pk)
        return shows(item, progress, show=show, kind=kind, term=self.term, before=self.before)

    def count_shown(self, *, show: str, kind: str) -> int:
        return sum(self.shows(item, show=show, kind=kind) for item in self.items)


def load_checklist(student, roadmap, *, readonly=False) -> Checklist:
    """The roadmap's active items, the student's progress and every figure: one query
    (progress) when the roadmap's outline is cached (roadmap/outline.py), else two
    (items with stage and milestone), three for a mentor's read-only view, which shows
    every item's skills at once. ``readonly`` leaves the private notes out: the column
    is not even selected."""
    items = roadmap_outline(roadmap, skills=readonly)
    progress = Progress.objects.for_student(student).of_roadmap(roadmap)
    progress_by_item = (progress.defer("note") if readonly else progress).by_item()
    clock = AcademicClock.of(student)
    summary = ItemTable(items).summarize(progress_by_item, clock=clock, today=timezone.localdate())
    return Checklist(
        roadmap=roadmap,
        items=items,
        progress_by_item=progress_by_item,
        summary=summary,
        term=summary.pace.point.term if summary.pace else 0,
        before=clock.prerequisite_term if clock else 0,
        attention=sum(needs_attention(p) for p in progress_by_item.values()),
    )


def current_stage(stages: list, summary: RoadmapProgress):
    """The stage of the student's year of study (the last one once past them all), or
    None when their batch is not set or their first year has not started."""
    if not (summary.pace and summary.pace.point.started and stages):
        return None
    year = summary.pace.point.year
    return next((s for s in stages if s.year_start <= year <= s.year_end), stages[-1])


def checklist_context(student, roadmap, *, show="all", kind="", readonly=False) -> dict:
    """Everything the checklist page shows: the outline by stage and milestone, each
    milestone's ``shown_items`` filtered by ``show`` and ``kind``, each stage ``open``
    when it is the student's current one (every stage with items shown, when filtered;
    every stage for a mentor's read-only view)."""
    checklist = load_checklist(student, roadmap, readonly=readonly)
    prepare_rows(checklist.items, checklist.progress_by_item, before=checklist.before)
    stages = outline_stages(checklist.items, checklist.summary)
    current = current_stage(stages, checklist.summary)
    filtered = show != "all" or bool(kind)
    for stage in stages:
        for milestone in stage.outline_milestones:
            milestone.shown_items = [
                item
                for item in milestone.outline_items
                if checklist.shows(item, show=show, kind=kind)
            ]
        stage.shown = sum(len(m.shown_items) for m in stage.outline_milestones)
        stage.open = readonly or (stage.shown and (filtered or stage == current))
    shown_stages = [stage for stage in stages if stage.shown]
    return {
        "readonly": readonly,
        "roadmap": roadmap,
        "summary": checklist.summary,
        "stages": stages,
        "items": checklist.items,
        "shown": sum(stage.shown for stage in stages),
        "attention": checklist.attention,
        # Where "Skip to your current stage" leads: the current stage if it shows
        # anything, else the first that does.
        "current_stage": current if current in shown_stages else next(iter(shown_stages), None),
        "show": show,
        "kind": kind,
        "show_choices": SHOW_CHOICES,
        "kinds": Kind.choices,
        "statuses": Status.choices,
    }


def item_update_context(student, item: Item, *, show="all", kind="") -> dict:
    """What an answer to a progress change shows: the item, the summary, that item's
    stage and milestone figures and the filter's count, from the same figures the page
    used; nothing else of the checklist is rendered again."""
    checklist = load_checklist(student, item.milestone.stage.roadmap)
    shown_item = next((i for i in checklist.items if i.pk == item.pk), item)
    prepare_rows([shown_item], checklist.progress_by_item, before=checklist.before)
    stage, milestone = shown_item.milestone.stage, shown_item.milestone
    attach_tallies(checklist.summary, stages=[stage], milestones=[milestone])
    return {
        "roadmap": checklist.roadmap,
        "summary": checklist.summary,
        "item": shown_item,
        "stage": stage,
        "milestone": milestone,
        "shown": checklist.count_shown(show=show, kind=kind),
        "attention": checklist.attention,
        "show": show,
        "kind": kind,
        "statuses": Status.choices,
    }
