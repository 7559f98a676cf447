import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe

from config.http import next_page, problem

from . import activity, exports, ical
from .checklist import (
    SHOW_CHOICES,
    checklist_context,
    filter_from_url,
    item_update_context,
    prepare_rows,
)
from .figures import (
    AcademicClock,
    ItemTable,
    attach_tallies,
    fraction_done,
    next_up,
    outline_stages,
    skill_coverage,
)
from .forms import CatchUpForm, ProgressForm
from .models import Enrollment, Item, Kind, Progress, ProgressEvent, Roadmap, Status
from .outline import roadmap_outline
from .services import (
    NothingToUndo,
    ProgressRefused,
    catch_up_undo,
    follow_default_roadmap,
    follow_roadmap,
    progress_catch_up,
    progress_set,
)


def home(request):
    roadmaps = Roadmap.objects.visible_to(request.user).with_counts()
    return render(request, "roadmap/home.html", {"roadmaps": roadmaps})


def roadmap_detail(request, slug):
    roadmap = get_object_or_404(Roadmap.objects.visible_to(request.user).with_counts(), slug=slug)
    following = request.user.is_authenticated and Enrollment.objects.follows(request.user, roadmap)
    stages = outline_stages(roadmap_outline(roadmap))
    context = {"roadmap": roadmap, "stages": stages, "following": following}
    return render(request, "roadmap/roadmap_detail.html", context)


@login_required
@require_POST
def follow(request, slug):
    roadmap = get_object_or_404(Roadmap.objects.visible_to(request.user), slug=slug)
    follow_roadmap(request.user, roadmap)
    messages.success(request, f"You now follow {roadmap.title}. Here is your checklist.")
    return redirect("roadmap:checklist", roadmap.slug)


@login_required
def welcome(request):
    """Where sign-up leads (``WAYPOINT_AFTER_SIGN_UP_URL``): the new student follows the
    default roadmap (PRODUCT.md), then goes on to ``next`` or their start page. Following
    twice changes nothing, so opening this again is harmless."""
    follow_default_roadmap(request.user)
    return redirect(next_page(request) or "start")


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
    prepare_rows([item], Progress.objects.filter(student=request.user, item=item).by_item())
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
    roadmap = item.milestone.stage.roadmap
    checklist_url = reverse("roadmap:checklist", args=[roadmap.slug])
    # The page the form was on, without its #fragment: the answer adds the item's.
    page = next_page(request, checklist_url, or_referer=True).split("#")[0]
    form = ProgressForm(request.POST, item=item, host=request.get_host())
    if not form.is_valid():
        return _progress_answer(request, item, page, form=form, status=400)
    try:
        saved = progress_set(
            student=request.user,
            item=item,
            version=form.cleaned_data["version"],
            **form.changes(),
        )
    except ProgressRefused as refused:
        return _progress_answer(
            request, item, page, error=refused.message, status=refused.status_code
        )
    if not request.htmx:
        status = saved.get_status_display().lower()
        messages.success(request, f"Saved: {item.title}, {status}.", extra_tags=f"item-{item.pk}")
        return redirect(f"{page}#item-{item.pk}")
    return _progress_answer(request, item, page)


def _progress_answer(request, item, page, *, form=None, error=None, status=200):
    """The item as it now stands, after a change (200) or a refusal (400 with the
    ``form`` and its errors, 409 with the ``error``): for htmx the item's row and the
    figures out of band, else the item's own page. A refusal keeps what was typed and
    the item's detail open."""
    refused = status != 200
    show, kind = filter_from_url(request.headers.get("HX-Current-URL") or page)
    context = item_update_context(request.user, item, show=show, kind=kind)
    context.update(
        next=page,
        error=error,
        form=form,
        typed={name: request.POST[name] for name in TYPED_FIELDS if name in request.POST}
        if refused
        else {},
        # A change made in the item's detail keeps the detail open: to show what was
        # wrong, or to keep the focus on the control that was used.
        open="open" in request.POST or refused,
    )
    template = "roadmap/checklist.html#item_update" if request.htmx else "roadmap/item.html"
    return render(request, template, context, status=status)


@login_required
def dashboard(request, slug):
    roadmap, redirect_response = _followed_roadmap_or_redirect(request, slug)
    if redirect_response:
        return redirect_response
    student = request.user
    today = timezone.localdate()
    table = ItemTable(roadmap_outline(roadmap))
    progress_by_item = Progress.objects.for_student(student).of_roadmap(roadmap).by_item()
    clock = AcademicClock.of(student)
    summary = table.summarize(progress_by_item, clock=clock, today=today)
    attach_tallies(summary, stages=table.stages)
    kinds = [
        (label, summary.by_kind[value]) for value, label in Kind.choices if value in summary.by_kind
    ]
    context = {
        "roadmap": roadmap,
        "summary": summary,
        "stages": table.stages,
        "kinds": kinds,
        "next_up": next_up(
            table.items, progress_by_item, before=clock.prerequisite_term if clock else 0
        ),
        "recent": ProgressEvent.objects.for_student(student)
        .of_roadmap(roadmap)
        .select_related("item")[:8],
        "heatmap": activity.heatmap(student, today),
        "coverage": skill_coverage(table.items, progress_by_item),
        "sent_back": Progress.objects.for_student(student)
        .of_roadmap(roadmap)
        .sent_back()
        .select_related("item")
        .order_by("-updated_at", "pk"),
        # Items due and open, or no batch and no progress at all: ticking what is
        # already done is the step that makes every other figure right.
        "offer_catch_up": bool(summary.pace.behind)
        if summary.pace
        else not any(p.status != Status.NOT_STARTED for p in progress_by_item.values()),
    }
    return render(request, "roadmap/dashboard.html", context)


# Subscribed from a phone's calendar app, which sends no cookie: the secret in the
# address is the only credential, and it only reads. Not under the public-page limit:
# calendar services fetch every subscriber's feed from a few shared addresses, keep
# polling replaced ones, and no one guesses a 43-character random token anyway.
@require_safe
@never_cache
def calendar_feed(request, token):
    """The private calendar (text/calendar, RFC 5545) of the person whose address
    carries ``token`` (``roadmap.ical``). Unknown, replaced and malformed tokens and
    inactive accounts all get the same 404, which says nothing of who exists. Never
    stored by a cache (``never_cache`` marks it private and no-store)."""
    student = ical.feed_owner(token)
    if student is None:
        raise Http404("No such calendar.")
    response = HttpResponse(
        ical.student_calendar(student).to_ical(),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="waypoint.ics"'
    return response


@login_required
def export_my_data(request, fmt):
    """Everything Waypoint holds about the signed-in student, as JSON or CSV."""
    if fmt == "json":
        return exports.student_json(request.user)
    if fmt == "csv":
        return exports.student_csv(request.user)
    raise Http404("Exports come as .json or .csv.")


# -- catch-up: tick everything already done, save once ------------------------------


def _saved_catch_up(student, roadmap, batch: str | None):
    """What the catch-up ``batch`` (from ``?saved=``) did, for the page's Undo panel:
    {"batch", "count", "undone"}, or None when it is not this student's catch-up."""
    try:
        batch = uuid.UUID(batch or "")
    except ValueError:
        return None
    to_statuses = list(
        ProgressEvent.objects.for_student(student)
        .of_roadmap(roadmap)
        .filter(batch=batch, field=ProgressEvent.Field.STATUS)
        .values_list("to_status", flat=True)
    )
    if not to_statuses:
        return None
    count = to_statuses.count(Status.DONE)
    return {"batch": batch, "count": count, "undone": len(to_statuses) > count}


def _render_catch_up(request, roadmap, *, error=None, ticked=(), status=200):
    """The catch-up page: the roadmap's active items due by the student's study point
    (every item when their batch is not set), grouped by stage and milestone."""
    student = request.user
    table = ItemTable(roadmap_outline(roadmap, skills=False))
    progress_by_item = Progress.objects.for_student(student).of_roadmap(roadmap).by_item()
    clock = AcademicClock.of(student)
    summary = table.summarize(progress_by_item, clock=clock, today=timezone.localdate())
    pace = summary.pace
    items = [item for item in table.items if pace is None or item.due_term <= pace.point.term]
    prepare_rows(items, progress_by_item)
    context = {
        "roadmap": roadmap,
        "pace": pace,
        "stages": outline_stages(items),
        "item_count": len(items),
        "done_count": len([i for i in items if fraction_done(i, progress_by_item.get(i.pk)) >= 1]),
        "error": error,
        "ticked": set(ticked),
        "saved": _saved_catch_up(student, roadmap, request.GET.get("saved")),
    }
    return render(request, "roadmap/catch_up.html", context, status=status)


@login_required
def catch_up(request, slug):
    """GET: the catch-up page of a roadmap the student follows. POST: mark done every
    item ticked on it (``item`` = "<id>:<version>", repeated), through
    ``services.progress_catch_up``: one transaction, one log entry per item changed.

    Saved: redirect to the page with ``?saved=<batch>``, which offers Undo. Refused:
    the page again, with the message, the latest state and the ticks kept; 400 for a
    list that cannot be read (nothing ticked, duplicates, too long, items of another
    roadmap), 409 for archived items or items changed elsewhere since the page was
    loaded. Nothing is changed when refused. A student who does not follow the roadmap
    is sent to its public page; a roadmap they may not see is a 404.
    """
    roadmap, redirect_response = _followed_roadmap_or_redirect(request, slug)
    if redirect_response:
        return redirect_response
    if request.method != "POST":
        return _render_catch_up(request, roadmap)
    form = CatchUpForm(request.POST)
    if not form.is_valid():
        return _render_catch_up(
            request, roadmap, error=form.non_field_errors()[0], ticked=form.ticked, status=400
        )
    try:
        done = progress_catch_up(student=request.user, roadmap=roadmap, versions=form.ticked)
    except ProgressRefused as refused:
        return _render_catch_up(
            request,
            roadmap,
            error=refused.message,
            ticked=form.ticked,
            status=refused.status_code,
        )
    url = reverse("roadmap:catch_up", args=[roadmap.slug])
    if done.batch is None:
        messages.info(request, "Nothing to change: the items you ticked were already done.")
        return redirect(url)
    return redirect(f"{url}?saved={done.batch}")


@login_required
@require_POST
def undo_catch_up(request, slug):
    """Undo one catch-up (POST ``batch``) through ``services.catch_up_undo``, then
    back to the catch-up page. Undoing twice changes nothing; 400 for an unreadable
    ``batch``, 404 for one that is not this student's on this roadmap, 409 (the page
    with the message) when an item changed since the catch-up."""
    roadmap, redirect_response = _followed_roadmap_or_redirect(request, slug)
    if redirect_response:
        return redirect_response
    try:
        batch = uuid.UUID(request.POST.get("batch", ""))
    except ValueError:
        return problem(request, "That undo could not be read, so nothing was changed.", status=400)
    try:
        undone = catch_up_undo(student=request.user, roadmap=roadmap, batch=batch)
    except NothingToUndo as refused:
        return problem(request, refused.message, status=refused.status_code)
    except ProgressRefused as refused:
        return _render_catch_up(request, roadmap, error=refused.message, status=409)
    if undone.changed:
        count = len(undone.changed)
        messages.success(
            request,
            f"Undone: {count} item{pluralize(count)} {'is' if count == 1 else 'are'} "
            "back as before.",
        )
    else:
        messages.info(request, "That catch-up was already undone; nothing changed.")
    return redirect("roadmap:catch_up", roadmap.slug)
