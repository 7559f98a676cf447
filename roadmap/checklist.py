"""The checklist as pages show it: a roadmap outline with each item's progress
and every progress figure, for the student's own page and a mentor's read-only view."""

from django.utils import timezone

from .models import Kind, Progress, Status
from .progress import summarize

SHOW_CHOICES = {"all": "All", "remaining": "Remaining", "done": "Done", "skipped": "Skipped"}


def checklist_context(student, roadmap, *, show="all", kind="", readonly=False):
    """Everything the checklist page and its fragments show, from the outline
    prefetch and one query for the student's progress.

    ``readonly`` is a mentor's view: the private notes are not even loaded."""
    items = roadmap.outline_items()
    progress = Progress.objects.for_student(student).of_roadmap(roadmap)
    progress_by_item = (progress.defer("note") if readonly else progress).by_item()
    summary = summarize(items, progress_by_item, batch=student.batch, today=timezone.localdate())
    shown = 0
    for stage in roadmap.stages.all():
        stage.tally = summary.by_stage[stage.pk]
        stage.shown = 0
        for milestone in stage.milestones.all():
            milestone.tally = summary.by_milestone[milestone.pk]
            milestone.shown_items = []
            for item in milestone.items.all():
                item.my_progress = progress_by_item.get(item.pk)
                status = item.my_progress.status if item.my_progress else Status.NOT_STARTED
                if (
                    (show == "done" and status != Status.DONE)
                    or (show == "remaining" and status in (Status.DONE, Status.SKIPPED))
                    or (show == "skipped" and status != Status.SKIPPED)
                ):
                    continue
                if kind and item.kind != kind:
                    continue
                milestone.shown_items.append(item)
            stage.shown += len(milestone.shown_items)
        shown += stage.shown
    return {
        "readonly": readonly,
        "roadmap": roadmap,
        "summary": summary,
        "items": items,
        "shown": shown,
        "show": show,
        "kind": kind,
        "show_choices": SHOW_CHOICES,
        "kinds": Kind.choices,
        "statuses": Status.choices,
    }
