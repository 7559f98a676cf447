from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import Cohort
from config.http import safe_page

from . import activity, exports
from .checklist import SHOW_CHOICES, checklist_context, filter_from_url, item_update_context
from .forms import ProgressForm
from .models import Enrollment, Item, Kind, Progress, ProgressEvent, Roadmap, Status
from .progress import ItemTable, next_up, skill_coverage
from .services import ProgressRefused, follow_roadmap, progress_set


def home(request):
    roadmaps = Roadmap.objects.visible_to(request.user).with_counts()
    return render(request, "roadmap/home.html", {"roadmaps": roadmaps})


def roadmap_detail(request, slug):
    roadmap = get_object_or_404(
        Roadmap.objects.visible_to(request.user).with_counts().with_outline(), slug=slug
    )
    following = request.user.is_authenticated and Enrollment.objects.follows(request.user, roadmap)
    return render(
        request, "roadmap/roadmap_detail.html", {"roadmap": roadmap, "following": following}
    )


@login_required
@require_POST
def follow(request, slug):
    roadmap = get_object_or_404(Roadmap.objects.visible_to(request.user), slug=slug)
    follow_roadmap(request.user, roadmap)
    messages.success(request, f"You now follow {roadmap.title}. Here is your checklist.")
    url = reverse("roadmap:checklist", args=[roadmap.slug])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@login_required
def my_dashboard(request):
    """The signed-in user's home: the dashboard of the first roadmap they follow, or
    for a mentor who follows none, their cohorts."""
    enrollment = (
        Enrollment.objects.for_student(request.user)
        .filter(roadmap__in=Roadmap.objects.visible_to(request.user))
        .select_related("roadmap")
        .first()
    )
    if enrollment is None and Cohort.objects.visible_to(request.user).exists():
        return redirect("accounts:cohorts")
    if enrollment is None:
        roadmaps = Roadmap.objects.published().with_counts()
        return render(request, "roadmap/choose_roadmap.html", {"roadmaps": roadmaps})
    return redirect("roadmap:dashboard", enrollment.roadmap.slug)


def _followed_roadmap_or_redirect(request, slug, queryset=None):
    """The roadmap, if the student follows it; else a redirect to its public page."""
    queryset = queryset if queryset is not None else Roadmap.objects.all()
    roadmap = get_object_or_404(queryset.visible_to(request.user), slug=slug)
    if not Enrollment.objects.follows(request.user, roadmap):
        messages.info(request, f"Follow {roadmap.title} to get your own checklist and dashboard.")
        return None, redirect(roadmap)
    return roadmap, None


@login_required
def checklist(request, slug):
    roadmap, redirect_response = _followed_roadmap_or_redirect(request, slug)
    if redirect_response:
        return redirect_response
    show = request.GET.get("show", "all")
    kind = request.GET.get("kind", "")
    # Unknown filter values fall back to "everything" rather than an error page.
    show = show if show in SHOW_CHOICES else "all"
    kind = kind if kind in Kind.values else ""
    context = checklist_context(request.user, roadmap, show=show, kind=kind)
    context.update(next=request.get_full_path(), messages=_saved_beside_items(request, context))
    return render(request, "roadmap/checklist.html", context)


def _saved_beside_items(request, context) -> list:
    """Messages about one item ("Saved: …", tagged item-<pk>) are shown on that item's
    row, where the page jumps to without JavaScript; the rest stay at the top."""
    rows = {
        f"item-{item.pk}": item
        for stage in context["stages"]
        for milestone in stage.outline_milestones
        for item in milestone.shown_items
    }
    rest = []
    for message in messages.get_messages(request):
        row = rows.get(message.extra_tags.split(" ")[0]) if message.extra_tags else None
        if row is None:
            rest.append(message)
        else:
            row.saved_message = message
    return rest


def _safe_next(request, default):
    """The page the form was on (its ``next`` field, else the page that sent it,
    without any #fragment), or ``default`` when that is missing or points off the site."""
    page = safe_page(request, request.POST.get("next")) or safe_page(
        request, request.headers.get("Referer")
    )
    return page.split("#")[0] if page else default


def _followed_item(request, pk):
    return get_object_or_404(
        Item.objects.followed_by(request.user).select_related("milestone__stage__roadmap"), pk=pk
    )


@login_required
def item(request, pk):
    """One item of a roadmap the student follows: for htmx its detail (description,
    skills, every status, count, note and evidence), opened from its checklist row;
    without JavaScript a page of its own with the same forms."""
    item = _followed_item(request, pk)
    item.my_progress = Progress.objects.filter(student=request.user, item=item).first()
    context = {"item": item, "roadmap": item.milestone.stage.roadmap, "statuses": Status.choices}
    if request.htmx:
        return render(request, "roadmap/checklist.html#item_detail", context)
    context.update(open=True, next=request.get_full_path())
    return render(request, "roadmap/item.html", context)


# What a person typed; kept on the item when their change is refused.
TYPED_FIELDS = ["count", "note", "evidence_url"]


@sensitive_post_parameters("note")
@login_required
@require_POST
def item_progress(request, pk):
    """Set one item's status, count, note or evidence for the signed-in student.

    htmx gets back only what changed: the item's row (with its detail open when the
    change came from it), the summary, the item's stage and milestone figures and the
    filter's count, out of band. Without JavaScript the browser is sent back to the
    item, with "Saved" on its row. A refused change (400 bad input, 409 changed
    elsewhere) comes back with what the student typed still in its field, beside the
    saved version.
    """
    item = _followed_item(request, pk)
    form = ProgressForm(request.POST, item=item, host=request.get_host())
    error, saved = None, None
    status_code = 200
    if form.is_valid():
        try:
            saved = progress_set(
                student=request.user,
                item=item,
                version=form.cleaned_data["version"],
                **form.changes(),
            )
        except ProgressRefused as refused:
            error, status_code = refused.message, refused.status_code
    else:
        status_code = 400

    roadmap = item.milestone.stage.roadmap
    page = _safe_next(request, reverse("roadmap:checklist", args=[roadmap.slug]))
    if status_code == 200 and not request.htmx:
        status = saved.get_status_display().lower()
        messages.success(request, f"Saved: {item.title}, {status}.", extra_tags=f"item-{item.pk}")
        return redirect(f"{page}#item-{item.pk}")

    show, kind = filter_from_url(request.headers.get("HX-Current-URL") or page)
    context = item_update_context(request.user, item, show=show, kind=kind)
    context.update(
        next=page,
        error=error,
        form=form if form.errors else None,
        typed={name: request.POST[name] for name in TYPED_FIELDS if name in request.POST}
        if status_code != 200
        else {},
        # A change made in the item's detail keeps the detail open: to show what was
        # wrong, or to keep the focus on the control that was used.
        open="open" in request.POST or status_code != 200,
    )
    if request.htmx:
        return render(request, "roadmap/checklist.html#item_update", context, status=status_code)
    return render(request, "roadmap/item.html", context, status=status_code)


@login_required
def dashboard(request, slug):
    roadmap, redirect_response = _followed_roadmap_or_redirect(request, slug)
    if redirect_response:
        return redirect_response
    student = request.user
    today = timezone.localdate()
    table = ItemTable(Item.objects.of_roadmap(roadmap).outline())
    progress_by_item = Progress.objects.for_student(student).of_roadmap(roadmap).by_item()
    summary = table.summarize(progress_by_item, batch=student.batch, today=today)
    for stage in table.stages:
        stage.tally = summary.by_stage[stage.pk]
    kinds = [
        (label, summary.by_kind[value]) for value, label in Kind.choices if value in summary.by_kind
    ]
    context = {
        "roadmap": roadmap,
        "summary": summary,
        "stages": table.stages,
        "kinds": kinds,
        "next_up": next_up(table.items, progress_by_item),
        "recent": ProgressEvent.objects.for_student(student)
        .of_roadmap(roadmap)
        .select_related("item")[:8],
        "heatmap": activity.heatmap(student, today),
        "coverage": skill_coverage(table.items, progress_by_item),
    }
    return render(request, "roadmap/dashboard.html", context)


@login_required
def export_my_data(request, fmt):
    """Everything Waypoint holds about the signed-in student, as JSON or CSV."""
    if fmt == "json":
        return exports.student_json(request.user)
    if fmt == "csv":
        return exports.student_csv(request.user)
    raise Http404("Exports come as .json or .csv.")
