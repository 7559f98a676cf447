"""The checklist as pages show it: a roadmap outline of compact item rows with each
item's progress and every progress figure, for the student's own page, their item
page, the htmx answers and a mentor's read-only view.

Rows are light (title, kind, due point, status and trust, one tap to mark done); an
item's description, skills, count stepper, note and evidence are its *detail*, loaded
when opened (``roadmap:item``), so a first visit stays small on a phone.
"""

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse
from django.utils import timezone

from .figures import ItemTable, RoadmapProgress, outline_groups, study_point
from .models import Item, Kind, Progress, Status

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


def shows(item: Item, progress: Progress | None, *, show: str, kind: str, term: int) -> bool:
    """Whether a checklist filtered by ``show`` (a SHOW_CHOICES key) and ``kind`` (a
    Kind value, or "" for every kind) lists the item; ``term`` is the student's
    semester 1..8 (0 before their first), which "now" compares due points with."""
    status = progress.status if progress else Status.NOT_STARTED
    if kind and item.kind != kind:
        return False
    match show:
        case "now":
            return status != Status.DONE and item.due_term <= term
        case "remaining":
            return status not in (Status.DONE, Status.SKIPPED)
        case "done":
            return status == Status.DONE
        case "skipped":
            return status == Status.SKIPPED
        case "attention":
            return needs_attention(progress)
    return True


def prepare_rows(items, progress_by_item) -> None:
    """Attach to each item what its checklist row shows, worked out once here rather
    than looked up (and missed) in the template for each of ~90 rows: ``my_progress``
    (the Progress row or None), ``status``, ``status_label``, ``trust`` (for done
    items), ``sent_back``, ``version``, ``saved_message`` (None), and its two addresses,
    ``page_url`` and ``progress_url`` (reversed once, not once per row)."""
    page_url = reverse("roadmap:item", args=[0]).replace("/0/", "/{}/")
    progress_url = reverse("roadmap:item_progress", args=[0]).replace("/0/", "/{}/")
    labels = dict(Status.choices)
    for item in items:
        progress = progress_by_item.get(item.pk)
        item.my_progress = progress
        item.status = progress.status if progress else Status.NOT_STARTED
        item.status_label = labels[item.status]
        item.trust = progress.trust if progress and item.status == Status.DONE else ""
        item.sent_back = needs_attention(progress)
        item.version = progress.version if progress else 0
        item.saved_message = None
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
    """One student's checklist of one roadmap: ``stages`` (each with ``tally``,
    ``outline_milestones``, ``shown`` and ``open``; each milestone with ``tally`` and
    ``shown_items``; each item with ``my_progress``)."""

    roadmap: object
    items: list[Item]
    summary: RoadmapProgress
    progress_by_item: dict
    stages: list = field(default_factory=list)
    term: int = 0
    shown: int = 0
    attention: int = 0
    current_stage: object = None

    def count_shown(self, *, show: str, kind: str) -> int:
        get = self.progress_by_item.get
        return sum(
            shows(item, get(item.pk), show=show, kind=kind, term=self.term) for item in self.items
        )


def load_checklist(student, roadmap, *, readonly=False) -> Checklist:
    """The roadmap's active items, the student's progress and every figure, in three
    queries (items with stage and milestone, progress; skills too for a mentor's
    read-only view, which shows every detail at once). ``readonly`` leaves the
    private notes out: not even loaded."""
    items = list(Item.objects.of_roadmap(roadmap).outline(skills=readonly))
    progress = Progress.objects.for_student(student).of_roadmap(roadmap)
    progress_by_item = (progress.defer("note") if readonly else progress).by_item()
    today = timezone.localdate()
    summary = ItemTable(items).summarize(progress_by_item, batch=student.batch, today=today)
    term = study_point(student.batch, today).term if student.batch else 0
    checklist = Checklist(roadmap, items, summary, progress_by_item, term=term)
    checklist.attention = sum(needs_attention(p) for p in progress_by_item.values())
    return checklist


def checklist_context(student, roadmap, *, show="all", kind="", readonly=False) -> dict:
    """Everything the checklist page shows: the outline grouped by stage and
    milestone, filtered by ``show`` and ``kind``, with the student's current stage
    open (every stage with items shown, when filtered)."""
    checklist = load_checklist(student, roadmap, readonly=readonly)
    stages, milestones = outline_groups(checklist.items)
    by_milestone = {milestone.pk: [] for milestone in milestones}
    prepare_rows(checklist.items, checklist.progress_by_item)
    for item in checklist.items:
        if shows(item, item.my_progress, show=show, kind=kind, term=checklist.term):
            by_milestone[item.milestone_id].append(item)
    summary = checklist.summary
    year = summary.pace.point.year if summary.pace else 0
    current = next(
        (s for s in stages if s.year_start <= year <= s.year_end), stages[-1] if year else None
    )
    filtered = show != "all" or bool(kind)
    for stage in stages:
        stage.tally = summary.by_stage[stage.pk]
        stage.outline_milestones = [m for m in milestones if m.stage_id == stage.pk]
        for milestone in stage.outline_milestones:
            milestone.tally = summary.by_milestone[milestone.pk]
            milestone.shown_items = by_milestone[milestone.pk]
        stage.shown = sum(len(m.shown_items) for m in stage.outline_milestones)
        stage.open = readonly or (stage.shown and (filtered or stage == current))
    checklist.stages = stages
    shown_stages = [stage for stage in stages if stage.shown]
    checklist.current_stage = (
        current if current in shown_stages else (shown_stages[0] if shown_stages else None)
    )
    checklist.shown = sum(stage.shown for stage in stages)
    return {
        "readonly": readonly,
        "roadmap": roadmap,
        "checklist": checklist,
        "summary": summary,
        "stages": stages,
        "items": checklist.items,
        "shown": checklist.shown,
        "attention": checklist.attention,
        "current_stage": checklist.current_stage,
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
    prepare_rows([shown_item], checklist.progress_by_item)
    stage, milestone = shown_item.milestone.stage, shown_item.milestone
    stage.tally = checklist.summary.by_stage[stage.pk]
    milestone.tally = checklist.summary.by_milestone[milestone.pk]
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
