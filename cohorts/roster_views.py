"""Importing a class roster into a cohort: upload a CSV, see what it would do, confirm.

The upload is read (``cohorts.roster``) and sorted (``services.roster_preview``) but
nothing is written. The preview page carries the file's rows back in a field signed
for this cohort and this mentor, so the confirm step acts on what was previewed, checks
it again, and cannot be handed rows that were never uploaded.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.http import problem
from config.text import and_more

from . import services
from .roster import RosterUnreadable, check_cells, read_roster, size_in_words
from .services import CohortRefused
from .views import cohort_or_404

PREVIEW_MAX_AGE = 60 * 60  # seconds; an older preview is uploaded again
EXPIRED = "This preview is more than an hour old, so nothing was imported. Upload the file again."
TAMPERED = "This preview could not be read, so nothing was imported. Upload the file again."


def _salt(cohort, user) -> str:
    return f"cohorts.roster:{cohort.pk}:{user.pk}"


def _limits() -> dict:
    return {
        "max_size": size_in_words(settings.WAYPOINT_ROSTER_MAX_BYTES),
        "max_rows": settings.WAYPOINT_ROSTER_MAX_ROWS,
    }


@login_required
def roster_upload(request, pk):
    """The upload form (GET), or the preview of an uploaded file (POST): nothing is
    written either way. A file that cannot be read is refused with a 400 and why."""
    cohort = cohort_or_404(request, pk)
    context = {"cohort": cohort, **_limits()}
    if request.method != "POST":
        return render(request, "cohorts/roster.html", context)
    if not cohort.active:
        return problem(request, f"{cohort.name} is archived: restore it to import.", status=409)
    upload = request.FILES.get("roster")
    try:
        if upload is None:
            raise RosterUnreadable("Choose a CSV file to upload.")
        # No more than the limit is read: a larger file is refused by its size.
        data = upload.read(settings.WAYPOINT_ROSTER_MAX_BYTES + 1)
        roster = read_roster(
            data,
            max_bytes=settings.WAYPOINT_ROSTER_MAX_BYTES,
            max_rows=settings.WAYPOINT_ROSTER_MAX_ROWS,
        )
    except RosterUnreadable as unreadable:
        context["error"] = unreadable.message
        return render(request, "cohorts/roster.html", context, status=400)
    preview = services.roster_preview(cohort=cohort, roster=roster)
    context.update(
        preview=preview,
        file_name=upload.name,
        signed=signing.dumps(roster.cells, salt=_salt(cohort, request.user), compress=True),
        mail_delivers=settings.MAIL_DELIVERS,
        done_count=len(preview.members) + len(preview.invited),
        to_do=len(preview.existing) + (len(preview.new) if settings.MAIL_DELIVERS else 0),
    )
    return render(request, "cohorts/roster_preview.html", context)


@login_required
@require_POST
def roster_confirm(request, pk):
    """Imports the previewed roster (``services.roster_import``), then back to the
    cohort with what was done. A stale or altered preview imports nothing (400)."""
    cohort = cohort_or_404(request, pk)
    try:
        cells = signing.loads(
            request.POST.get("roster", ""),
            salt=_salt(cohort, request.user),
            max_age=PREVIEW_MAX_AGE,
        )
        roster = check_cells(cells)
    except signing.SignatureExpired:
        return problem(request, EXPIRED, status=400)
    except (signing.BadSignature, ValueError, TypeError):
        return problem(request, TAMPERED, status=400)
    try:
        result = services.roster_import(
            cohort=cohort,
            roster=roster,
            invited_by=request.user,
            join_url=request.build_absolute_uri(cohort.get_join_url()),
        )
    except CohortRefused as refused:
        return problem(request, refused.message, status=refused.status_code)
    messages.success(request, _summary(result))
    if result.unsent:
        names = and_more([row.email for row in result.unsent], 10)
        if settings.MAIL_DELIVERS:
            why = (
                "were not sent (the mail server refused them, or there were more than "
                "can go out at once). Upload the same file again to send them; nobody "
                "gets a second mail"
            )
        else:
            why = "were not sent: this site does not send email. Share the invite link instead"
        messages.warning(request, f"Invitations to {names} {why}.")
    return redirect(cohort)


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _summary(result) -> str:
    preview = result.preview
    done = [
        f"{_count(len(result.joined), 'person', 'people')} joined",
        f"{_count(len(result.invited), 'invitation', 'invitations')} sent",
    ]
    left = [
        (len(preview.members), "already in the cohort"),
        (len(preview.invited), "invited before"),
        (len(preview.refused), "row refused" if len(preview.refused) == 1 else "rows refused"),
    ]
    rest = "; ".join(f"{count} {what}" for count, what in left if count)
    return f"Roster imported: {', '.join(done)}." + (f" Left alone: {rest}." if rest else "")
