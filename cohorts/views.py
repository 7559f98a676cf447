"""Mentor pages: the cohort list and creation, dashboard, grid, CSV, one student's
view, nudges, invite link, archive, joining, and the start-page router. Every cohort is
fetched through ``cohort_or_404`` (Cohort.objects.visible_to), and every student
through that cohort, so a missing check is a 404. The review queue is in
``cohorts.review_views``."""

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from accounts.models import Entry
from config.http import problem
from roadmap.checklist import checklist_context
from roadmap.exports import csv_response, csv_safe
from roadmap.models import Enrollment, Roadmap

from . import nudges, services
from .forms import CohortActiveForm, CohortForm, NudgeForm, NudgePickForm
from .models import Cohort, Membership, Nudge
from .overview import PACE_LABELS, SHADES, cohort_overview, filter_rows, sort_rows
from .services import CohortRefused

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


def cohort_or_404(request, pk) -> Cohort:
    """The cohort ``pk`` if the signed-in person may see it (``Cohort.objects.visible_to``),
    with its roadmap; Http404 otherwise. Every mentor page starts here."""
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
    cohort = cohort_or_404(request, pk)
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
    # "Nudged on 3 Dec": nudges from this cohort's mentors only, not other cohorts'.
    nudged = (
        Nudge.objects.filter(cohort=cohort)
        .since(timezone.now() - nudges.NUDGE_SHOWN)
        .latest_by_student()
    )
    for stage in overview.stages:
        stage.sort_key = f"stage-{stage.pk}"
    return render(
        request,
        "cohorts/dashboard.html",
        {
            "cohort": cohort,
            "overview": overview,
            # Each row's link made here: a {% url %} per row is a good part of the render.
            "rows": [
                (
                    row,
                    reverse("cohorts:student", args=[cohort.pk, row.student.pk]),
                    nudged.get(row.student.pk),
                )
                for row in page.object_list
            ],
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
    cohort = cohort_or_404(request, pk)
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
    cohort = cohort_or_404(request, pk)
    overview = _overview(cohort)
    rows, _ = sort_rows(overview.rows, "name")
    name = slugify(cohort.name, allow_unicode=True) or f"cohort-{cohort.pk}"
    response = csv_response(f"{name}-{timezone.localdate():%Y-%m-%d}.csv")
    writer = csv.writer(response)
    header = (
        ["name", "email", "batch", "entry", "programme years", "year of study"]
        + ["joined", "overall %"]
        + [f"{stage.title} %" for stage in overview.stages]
        + ["pace", "expected %", "items behind", "last activity", "evidence awaiting review"]
    )
    writer.writerow([csv_safe(cell) for cell in header])  # stage titles are typed in the admin
    for row in rows:
        pace = row.summary.pace
        cells = [
            row.student.name,
            row.student.email,
            row.student.batch or "",
            Entry(row.student.entry_year).label,
            row.student.programme_years,
            pace.point.label if pace else "",
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
    cohort = cohort_or_404(request, pk)
    student = get_object_or_404(cohort.students, pk=student_pk)
    context = checklist_context(student, cohort.roadmap, readonly=True)
    context.update(cohort=cohort, student=student)
    return render(request, "cohorts/student.html", context)


def _students_or_404(cohort, ids: list[int]) -> list:
    """The students of ``cohort`` with these ids, by name; Http404 when any id is not
    a student of it (another cohort's, even the same mentor's, or nobody's)."""
    students = list(cohort.students.filter(pk__in=ids).order_by("name", "email"))
    if len(students) != len(ids):
        raise Http404("No such student in this cohort.")
    return students


@login_required
def nudge(request, pk):
    """A friendly message by mail to chosen students of the cohort. GET: the page
    with the students ticked on the dashboard (``?student=3&student=8``) or all of a
    pace (``?pace=inactive``, ``?pace=behind``) and an editable message; POST: send
    (``nudges.nudge_send``), then back to the dashboard saying what happened."""
    cohort = cohort_or_404(request, pk)
    pace = ""
    if request.method == "POST":
        form = NudgeForm(request.POST)
        form.is_valid()
        students = _students_or_404(cohort, form.cleaned_data.get("student", []))
        choice_errors, status = form.errors.get("student", []), 400
        if form.is_valid():
            try:
                result = nudges.nudge_send(
                    mentor=request.user,
                    cohort=cohort,
                    students=students,
                    message=form.cleaned_data["message"],
                )
            except CohortRefused as refused:
                form.add_error(None, refused.message)
                status = refused.status_code
            else:
                notice = messages.success if result.nudged else messages.info
                notice(request, result.summary)
                return redirect(cohort)
    else:
        pick = NudgePickForm(request.GET)
        students, status = [], 200
        if pick.is_valid():
            pace = pick.cleaned_data["pace"]
            if pace:
                rows, _ = sort_rows(filter_rows(_overview(cohort).rows, pace=pace), "name")
                students = [row.student for row in rows]
            else:
                students = _students_or_404(cohort, pick.cleaned_data["student"])
        else:
            status = 400
        choice_errors = [error for errors in pick.errors.values() for error in errors]
        form = NudgeForm(initial={"message": nudges.default_message(cohort, pace)})
    recent = (
        Nudge.objects.filter(student__in=students)
        .since(timezone.now() - nudges.NUDGE_GAP)
        .latest_by_student()
    )
    context = {
        "cohort": cohort,
        "form": form,
        "pace": pace,
        "choice_errors": choice_errors,
        "students": [(student, recent.get(student.pk)) for student in students],
        "limit": settings.WAYPOINT_NUDGES_PER_DAY,
    }
    return render(request, "cohorts/nudge.html", context, status=status)


@login_required
@require_POST
def remove_student(request, pk, student_pk):
    cohort = cohort_or_404(request, pk)
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
    cohort = cohort_or_404(request, pk)
    services.cohort_new_invite_code(cohort=cohort)
    messages.success(request, "New invite link made; the old one no longer works.")
    return redirect(cohort)


@login_required
@require_POST
def set_active(request, pk):
    cohort = cohort_or_404(request, pk)
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
            return redirect(f"{reverse('account_signup')}?next={cohort.get_join_url()}")
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
    # Said before the click: a student whose address the cohort does not take.
    admitted = not request.user.is_authenticated or cohort.admits(request.user.email)
    context = {"cohort": cohort, "member": member, "admitted": admitted}
    return render(request, "cohorts/join.html", context)
