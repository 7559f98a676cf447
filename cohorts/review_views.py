"""The review queue: evidence of a cohort's students waiting for a mentor
(``review_queue``), verify or send back (``review``), and undo a verification
(``review_undo``). Every row is fetched through ``_review_scope``, so a missing check
is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from roadmap.models import Progress, Roadmap
from roadmap.services import (
    ProgressRefused,
    review_evidence,
    review_evidence_undo,
    review_undo_until,
)

from .forms import ReviewForm
from .views import cohort_or_404

REVIEW_PAGE = 50
ROW_VERSION_MAX = 2**31 - 1  # the largest PositiveIntegerField on every database


def _review_scope(cohort, mentor):
    """Progress a review by ``mentor`` may touch: the cohort's students, on active
    projects and certifications of a roadmap the mentor may see. The queue page
    (``review_queue``), the review action (``review``) and its undo (``review_undo``)
    all start here, so they accept exactly what the queue shows."""
    return Progress.objects.of_cohort(cohort).on_roadmaps_visible_to(mentor).reviewable()


def _review_queue(cohort, mentor):
    """Evidence of the cohort's students waiting for a mentor, oldest first."""
    return (
        _review_scope(cohort, mentor)
        .awaiting_review()
        .select_related("student", "item")
        .order_by("evidence_added_at", "pk")
    )


def _review_number(value: str) -> int | None:
    """A row's id or version, as posted or in the query string: None when ``value`` is
    not a whole number a database column can hold."""
    return int(value) if value.isdecimal() and int(value) <= ROW_VERSION_MAX else None


def _review_page(request, cohort, *, status=200, **refused):
    queue = _review_queue(cohort, request.user)
    # Verified without JavaScript: the queue shows that entry, with its Undo, on top.
    just_verified = None
    verified_pk = _review_number(request.GET.get("verified", ""))
    if verified_pk is not None:
        just_verified = (
            _review_scope(cohort, request.user)
            .filter(pk=verified_pk, verified_at__isnull=False)
            .select_related("student", "item")
            .first()
        )
    # The oldest first, a page at a time: reviewing clears the way for the next ones.
    context = {
        "cohort": cohort,
        "queue": queue[:REVIEW_PAGE],
        "waiting": queue.count(),
        "just_verified": just_verified,
        "undo_until": review_undo_until(just_verified) if just_verified else None,
        "roadmap_hidden": not Roadmap.objects.visible_to(request.user)
        .filter(pk=cohort.roadmap_id)
        .exists(),
        **refused,
    }
    return render(request, "cohorts/review.html", context, status=status)


def _review_entry(request, cohort, progress, *, error, status, **state):
    """The htmx answer of ``review`` and ``review_undo``: the entry as it is now, and
    the queue's count."""
    context = {
        "cohort": cohort,
        "entry": progress,
        "error": error,
        "refused_pk": progress.pk,
        "waiting": _review_queue(cohort, request.user).count(),
        **state,
    }
    return render(request, "cohorts/review.html#entry_update", context, status=status)


@login_required
def review_queue(request, pk):
    return _review_page(request, cohort_or_404(request, pk))


@login_required
@require_POST
def review(request, pk, progress_pk):
    cohort = cohort_or_404(request, pk)
    # Not reviewable at all (a topic, an archived item, another cohort): 404. Reviewable
    # but no longer waiting (reviewed, withdrawn): the service says so with a 409.
    progress = get_object_or_404(
        _review_scope(cohort, request.user).select_related("student", "item"), pk=progress_pk
    )
    form = ReviewForm(request.POST)
    error, status_code = None, 200
    if form.is_valid():
        try:
            progress = review_evidence(
                mentor=request.user,
                progress=progress,
                verified=form.cleaned_data["decision"] == "verify",
                comment=form.cleaned_data["comment"],
                queue=_review_scope(cohort, request.user).awaiting_review(),
                verified_in=cohort.name,
            )
        except ProgressRefused as refused:
            error, status_code = refused.message, refused.status_code
    else:
        error, status_code = form.first_error(), 400
    # A refused review keeps the comment the mentor typed, in its field.
    typed_comment = request.POST.get("comment", "") if error else ""
    if not request.htmx:
        if not error and progress.verified_at:
            queue_url = reverse("cohorts:review_queue", args=[cohort.pk])
            return redirect(f"{queue_url}?verified={progress.pk}")
        if not error:
            messages.success(request, f"Reviewed {progress.item.title} by {progress.student}.")
            return redirect("cohorts:review_queue", cohort.pk)
        if status_code == 409 and typed_comment:  # the entry has left the queue
            error = f"{error} Your comment was not sent: “{typed_comment}”"
        messages.error(request, error)
        refused = {"refused_pk": progress.pk, "typed_comment": typed_comment}
        return _review_page(request, cohort, status=status_code, **refused)
    return _review_entry(
        request,
        cohort,
        progress,
        error=error,
        status=status_code,
        typed_comment=typed_comment,
        reviewed=not error,
        undo_until=None if error else review_undo_until(progress),
    )


@login_required
@require_POST
def review_undo(request, pk, progress_pk):
    """Undo a verification: the evidence waits for review again (htmx: the entry with
    its controls; plain: back to the queue). Refused with 409 and the reason when it
    is too late, the student changed the item, or it was already undone."""
    cohort = cohort_or_404(request, pk)
    progress = get_object_or_404(
        _review_scope(cohort, request.user).select_related("student", "item"), pk=progress_pk
    )
    version = _review_number(request.POST.get("version", ""))
    error, status_code = None, 200
    if version is None:
        error, status_code = "This page is out of date. Reload it and try again.", 400
    else:
        try:
            progress = review_evidence_undo(
                mentor=request.user,
                progress=progress,
                version=version,
                scope=_review_scope(cohort, request.user),
            )
        except ProgressRefused as refused:
            error, status_code = refused.message, refused.status_code
    if not request.htmx:
        if error:
            messages.error(request, error)
            return _review_page(request, cohort, status=status_code)
        messages.success(
            request,
            f"Verification undone: {progress.item.title} by {progress.student} waits for "
            "review again.",
        )
        return redirect("cohorts:review_queue", cohort.pk)
    return _review_entry(
        request,
        cohort,
        progress,
        error=error,
        status=status_code,
        undone=not error,
        # Refused: the entry as it stands, still verified or sent back, without controls.
        reviewed=bool(error and (progress.verified_at or progress.review_comment)),
    )
