"""Mentor pages. Every cohort is fetched through Cohort.objects.visible_to(), and
every student or progress row through that cohort, so a missing check is a 404."""

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from config.http import problem
from roadmap.checklist import checklist_context
from roadmap.exports import csv_response, csv_safe
from roadmap.models import Enrollment, Progress, Roadmap
from roadmap.services import (
    ProgressRefused,
    review_evidence,
    review_evidence_undo,
    review_undo_until,
)

from . import services
from .forms import CohortActiveForm, CohortForm, ReviewForm
from .models import Cohort, Membership
from .overview import PACE_LABELS, SHADES, cohort_overview, filter_rows, sort_rows
from .services import CohortRefused

REVIEW_PAGE = 50
ROW_VERSION_MAX = 2**31 - 1  # the largest PositiveIntegerField on every database
STUDENTS_PAGE = 100  # sorting and filtering cover the whole cohort; the table shows a page
# A grid row is a cell per milestone (19 in the guide): half as many rows keep a page
# light on a phone (about 100 KB of HTML, tests/cohorts/test_grid.py).
GRID_PAGE = 50


@login_required
def start(request):
    """Where "Dashboard" and signing in lead: the dashboard of the first roadmap the
    person follows, else (a mentor who follows none) their cohorts, else the roadmaps
    to choose from. It lives here, above both apps, because it routes between them."""
    enrollment = (
        Enrollment.objects.for_student(request.user)
        .filter(roadmap__in=Roadmap.objects.visible_to(request.user))
        .select_related("roadmap")
        .first()
    )
    if enrollment is not None:
        return redirect("roadmap:dashboard", enrollment.roadmap.slug)
    if Cohort.objects.visible_to(request.user).exists():
        return redirect("cohorts:list")
    roadmaps = Roadmap.objects.published().with_counts()
    return render(request, "roadmap/choose_roadmap.html", {"roadmaps": roadmaps})


def _cohort(request, pk):
    return get_object_or_404(
        Cohort.objects.visible_to(request.user).select_related("roadmap"), pk=pk
    )


def _overview(cohort):
    return cohort_overview(cohort, today=timezone.localdate(), now=timezone.now())


def _can_create_cohorts(user):
    return user.is_mentor or user.is_staff


@login_required
def cohort_list(request):
    cohorts = Cohort.objects.visible_to(request.user).select_related("roadmap")
    if not cohorts and not _can_create_cohorts(request.user):
        raise PermissionDenied("Only mentors have cohorts.")
    return render(
        request,
        "cohorts/list.html",
        {"cohorts": cohorts, "can_create": _can_create_cohorts(request.user)},
    )


@login_required
def cohort_create(request):
    if not _can_create_cohorts(request.user):
        raise PermissionDenied("Only mentors can create cohorts.")
    form = CohortForm(request.POST or None, roadmaps=Roadmap.objects.published())
    if request.method == "POST":
        if form.is_valid():
            try:
                cohort = services.cohort_create(mentor=request.user, **form.cleaned_data)
            except CohortRefused as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(request, f"{cohort.name} is ready. Share its invite link.")
                return redirect(cohort)
        return render(request, "cohorts/form.html", {"form": form}, status=400)
    return render(request, "cohorts/form.html", {"form": form})


@login_required
def cohort_dashboard(request, pk):
    cohort = _cohort(request, pk)
    overview = _overview(cohort)
    pace = request.GET.get("pace", "")
    pace = pace if pace in PACE_LABELS else ""
    query = request.GET.get("q", "")[:100]
    not_done = _item_of(overview, request.GET.get("not_done", ""))
    rows = overview.not_done(not_done) if not_done else overview.rows
    rows = filter_rows(rows, pace=pace, query=query)
    rows, sort = sort_rows(rows, request.GET.get("sort", "name"))
    page = Paginator(rows, STUDENTS_PAGE).get_page(request.GET.get("page"))
    filters = {"pace": pace, "q": query} | ({"not_done": not_done.pk} if not_done else {})
    for stage in overview.stages:
        stage.sort_key = f"stage-{stage.pk}"
    return render(
        request,
        "cohorts/dashboard.html",
        {
            "cohort": cohort,
            "overview": overview,
            "rows": page.object_list,
            "page": page,
            "sort": sort,
            "pace": pace,
            "query": query,
            "not_done": not_done,
            "filters": urlencode(filters),
            "pace_labels": PACE_LABELS,
            "pace_counts": [
                (key, label, sum(row.pace == key for row in overview.rows))
                for key, label in PACE_LABELS.items()
            ],
            "pending_total": sum(row.pending_reviews for row in overview.rows),
            "join_url": request.build_absolute_uri(cohort.get_join_url()),
        },
    )


def _item_of(overview, value):
    """The overview's active item whose id is ``value``, else None (any other text)."""
    items = {str(item.pk): item for item in overview.items}
    return items.get(value.strip())


@login_required
def cohort_grid(request, pk):
    cohort = _cohort(request, pk)
    overview = _overview(cohort)
    rows, _ = sort_rows(overview.rows, "name")
    page = Paginator(rows, GRID_PAGE).get_page(request.GET.get("page"))
    grid = [
        (row, reverse("cohorts:student", args=[cohort.pk, row.student.pk]), cells)
        for row, cells in overview.grid(page.object_list)
    ]
    return render(
        request,
        "cohorts/grid.html",
        {
            "cohort": cohort,
            "overview": overview,
            "grid": grid,
            "page": page,
            "shades": SHADES,
            "stuck": overview.stuck_items(),
        },
    )


@login_required
def cohort_export(request, pk):
    cohort = _cohort(request, pk)
    overview = _overview(cohort)
    rows, _ = sort_rows(overview.rows, "name")
    name = slugify(cohort.name, allow_unicode=True) or f"cohort-{cohort.pk}"
    response = csv_response(f"{name}-{timezone.localdate():%Y-%m-%d}.csv")
    writer = csv.writer(response)
    writer.writerow(
        ["name", "email", "batch", "joined", "overall %"]
        + [f"{stage.title} %" for stage in overview.stages]
        + ["pace", "expected %", "items behind", "last activity", "evidence awaiting review"]
    )
    for row in rows:
        pace = row.summary.pace
        cells = [
            row.student.name,
            row.student.email,
            row.student.batch or "",
            f"{timezone.localtime(row.joined_at):%Y-%m-%d}",
            row.summary.overall.percent,
            *(
                row.summary.by_stage[stage.pk].percent
                if row.summary.by_stage.get(stage.pk) and row.summary.by_stage[stage.pk].total
                else ""
                for stage in overview.stages
            ),
            row.pace_label,
            pace.expected_percent if pace else "",
            len(pace.behind) if pace else "",
            f"{timezone.localtime(row.last_activity):%Y-%m-%d %H:%M}" if row.last_activity else "",
            row.pending_reviews,
        ]
        writer.writerow([csv_safe(str(cell)) for cell in cells])
    return response


@login_required
def cohort_student(request, pk, student_pk):
    """One student's checklist and figures, read-only and without private notes."""
    cohort = _cohort(request, pk)
    student = get_object_or_404(cohort.students, pk=student_pk)
    context = checklist_context(student, cohort.roadmap, readonly=True)
    context.update(cohort=cohort, student=student)
    return render(request, "cohorts/student.html", context)


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
    return _review_page(request, _cohort(request, pk))


@login_required
@require_POST
def review(request, pk, progress_pk):
    cohort = _cohort(request, pk)
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
    cohort = _cohort(request, pk)
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


@login_required
@require_POST
def remove_student(request, pk, student_pk):
    cohort = _cohort(request, pk)
    student = get_object_or_404(cohort.students, pk=student_pk)
    try:
        services.cohort_remove_student(cohort=cohort, student=student)
    except CohortRefused as refused:  # removed meanwhile, in another tab
        messages.info(request, refused.message)
    else:
        messages.success(
            request, f"{student} left {cohort.name}. Their own progress is kept, as always."
        )
    return redirect(cohort)


@login_required
@require_POST
def new_invite_code(request, pk):
    cohort = _cohort(request, pk)
    services.cohort_new_invite_code(cohort=cohort)
    messages.success(request, "New invite link made; the old one no longer works.")
    return redirect(cohort)


@login_required
@require_POST
def set_active(request, pk):
    cohort = _cohort(request, pk)
    form = CohortActiveForm(request.POST)
    if not form.is_valid():
        return problem(request, " ".join(form.errors["active"]), status=400)
    services.cohort_set_active(cohort=cohort, active=form.cleaned_data["active"])
    if cohort.active:
        messages.success(request, f"{cohort.name} is active again.")
    else:
        messages.success(request, f"{cohort.name} is archived: its invite link stops working.")
    return redirect(cohort)


def join(request, code):
    """A student opens a mentor's invite link: see the cohort, then join with one click.
    A visitor's click goes to sign-up, which comes back here."""
    cohort = Cohort.objects.joinable().filter(join_code=code).select_related("roadmap").first()
    if cohort is None:
        return render(request, "cohorts/join_invalid.html", status=404)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:signup')}?next={cohort.get_join_url()}")
        try:
            joined = services.cohort_join(student=request.user, cohort=cohort)
        except CohortRefused as refused:  # archived since the page was opened
            return render(
                request, "cohorts/join_invalid.html", {"reason": refused.message}, status=409
            )
        if joined.new:
            messages.success(
                request, f"You joined {cohort.name}. Your mentor can now see your progress."
            )
        else:
            messages.info(request, f"You are already in {cohort.name}.")
        return redirect("roadmap:dashboard", cohort.roadmap.slug)
    member = (
        request.user.is_authenticated
        and Membership.objects.filter(cohort=cohort, student=request.user).exists()
    )
    return render(request, "cohorts/join.html", {"cohort": cohort, "member": member})
