from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as site_urlpatterns
from roadmap.models import Progress


def ok(request):
    """The least a Django view can do, behind the site's whole middleware stack."""
    return HttpResponse("ok")


@login_required
def read_floor(request):
    """The least a signed-in page can do: read the session and the user, render a tiny
    template. The floor for the student dashboard, the checklist and the cohort pages."""
    return render(request, "bench/read_floor.html")


@login_required
@require_POST
def write_floor(request, item_pk):
    """The least an htmx change can do: the session and the user, one UPDATE of one row the
    student owns (their progress on item ``item_pk``), a tiny fragment. The floor for a
    status change; it sends the same POST (CSRF token, htmx headers) as the checklist does."""
    changed = Progress.objects.filter(student=request.user, item_id=item_pk).update(
        updated_at=timezone.now()
    )
    return render(request, "bench/write_floor.html", {"changed": changed})


urlpatterns = [
    path("bench/ok/", ok),
    path("bench/floor/read/", read_floor),
    path("bench/floor/write/<int:item_pk>/", write_floor),
    *site_urlpatterns,
]
