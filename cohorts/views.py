"""Mentor pages. Every cohort is fetched through Cohort.objects.visible_to(), and
every student or progress row through that cohort, so a missing check is a 404."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.http import problem
from roadmap.checklist import checklist_context
from roadmap.exports import csv_response, csv_safe
from roadmap.models import Enrollment, Progress, Roadmap
from roadmap.services import ProgressRefused, follow_roadmap, review_evidence

from .forms import CohortActiveForm, CohortForm, ReviewForm
from .models import Cohort, Membership, new_join_code
from .overview import PACE_LABELS, cohort_overview, filter_rows, sort_rows

REVIEW_PAGE = 50
STUDENTS_PAGE = 100  # sorting and filtering cover the whole cohort; the table shows a page


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
            cohort = form.save()
            cohort.mentors.add(request.user)
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
    rows = filter_rows(overview.rows, pace=pace, query=query)
    rows, sort = sort_rows(rows, request.GET.get("sort", "name"))
    page = Paginator(rows, STUDENTS_PAGE).get_page(request.GET.get("page"))
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
            "pace_labels": PACE_LABELS,
            "pace_counts": [
                (key, label, sum(row.pace == key for row in overview.rows))
                for key, label in PACE_LABELS.items()
            ],
            "pending_total": sum(row.pending_reviews for row in overview.rows),
            "join_url": request.build_absolute_uri(cohort.get_join_url()),
        },
    )


@login_required
def cohort_grid(request, pk):
    cohort = _cohort(request, pk)
    overview = _overview(cohort)
    rows, _ = sort_rows(overview.rows, "name")
    grid = [
        (row, [row.summary.by_milestone.get(m.pk) for m in overview.milestones]) for row in rows
    ]
    return render(
        request,
        "cohorts/grid.html",
        {
            "cohort": cohort,
            "overview": overview,
            "grid": grid,
            "stuck": overview.stuck_items(timezone.localdate()),
        },
    )


@login_required
def cohort_export(request, pk):
    cohort = _cohort(request, pk)
    overview = _overview(cohort)
    rows, _ = sort_rows(overview.rows, "name")
    response = csv_response(f"cohort-{cohort.pk}-{timezone.localdate():%Y-%m-%d}.csv")
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
    projects and certifications of a roadmap the mentor may see. The queue page and
    the review action both start here, so the action accepts exactly what the queue
    shows."""
    return Progress.objects.of_cohort(cohort).on_roadmaps_visible_to(mentor).reviewable()


def _review_queue(cohort, mentor):
    """Evidence of the cohort's students waiting for a mentor, oldest first."""
    return (
        _review_scope(cohort, mentor)
        .awaiting_review()
        .select_related("student", "item")
        .order_by("evidence_added_at", "pk")
    )


def _review_page(request, cohort, *, status=200, **refused):
    queue = _review_queue(cohort, request.user)
    # The oldest first, a page at a time: reviewing clears the way for the next ones.
    context = {
        "cohort": cohort,
        "queue": queue[:REVIEW_PAGE],
        "waiting": queue.count(),
        "roadmap_hidden": not Roadmap.objects.visible_to(request.user)
        .filter(pk=cohort.roadmap_id)
        .exists(),
        **refused,
    }
    return render(request, "cohorts/review.html", context, status=status)


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
        if not error:
            messages.success(request, f"Reviewed {progress.item.title} by {progress.student}.")
            return redirect("cohorts:review_queue", cohort.pk)
        if status_code == 409 and typed_comment:  # the entry has left the queue
            error = f"{error} Your comment was not sent: “{typed_comment}”"
        messages.error(request, error)
        refused = {"refused_pk": progress.pk, "typed_comment": typed_comment}
        return _review_page(request, cohort, status=status_code, **refused)
    context = {
        "cohort": cohort,
        "entry": progress,
        "error": error,
        "refused_pk": progress.pk,
        "typed_comment": typed_comment,
        "reviewed": not error,
        "waiting": _review_queue(cohort, request.user).count(),
    }
    return render(request, "cohorts/review.html#entry_update", context, status=status_code)


@login_required
@require_POST
def remove_student(request, pk, student_pk):
    cohort = _cohort(request, pk)
    student = get_object_or_404(cohort.students, pk=student_pk)
    Membership.objects.filter(cohort=cohort, student=student).delete()
    messages.success(
        request, f"{student} left {cohort.name}. Their own progress is kept, as always."
    )
    return redirect(cohort)


@login_required
@require_POST
def new_invite_code(request, pk):
    cohort = _cohort(request, pk)
    cohort.join_code = new_join_code()
    cohort.save(update_fields=["join_code"])
    messages.success(request, "New invite link made; the old one no longer works.")
    return redirect(cohort)


@login_required
@require_POST
def set_active(request, pk):
    cohort = _cohort(request, pk)
    form = CohortActiveForm(request.POST)
    if not form.is_valid():
        return problem(request, " ".join(form.errors["active"]), status=400)
    cohort.active = form.cleaned_data["active"]
    cohort.save(update_fields=["active"])
    if cohort.active:
        messages.success(request, f"{cohort.name} is active again.")
    else:
        messages.success(request, f"{cohort.name} is archived: its invite link stops working.")
    return redirect(cohort)


def join(request, code):
    """A student opens a mentor's invite link: see the cohort, then join with one click."""
    cohort = Cohort.objects.joinable().filter(join_code=code).select_related("roadmap").first()
    if cohort is None:
        return render(request, "cohorts/join_invalid.html", status=404)
    member = (
        request.user.is_authenticated
        and Membership.objects.filter(cohort=cohort, student=request.user).exists()
    )
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:signup')}?next={cohort.get_join_url()}")
        if member:
            messages.info(request, f"You are already in {cohort.name}.")
        else:
            try:
                with transaction.atomic():
                    Membership.objects.create(cohort=cohort, student=request.user)
            except IntegrityError:  # a double click that raced the first
                pass
            messages.success(
                request, f"You joined {cohort.name}. Your mentor can now see your progress."
            )
        follow_roadmap(request.user, cohort.roadmap)
        return redirect("roadmap:dashboard", cohort.roadmap.slug)
    return render(request, "cohorts/join.html", {"cohort": cohort, "member": member})
