from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as site_urlpatterns

from .scale_tasks import mark


@login_required
@require_POST
def enqueue_mark(request):
    """Enqueue ``bench.scale_tasks.mark`` for the posted ``marker`` on this server; answers
    {"id": <the task result's id>}."""
    result = mark.enqueue(request.POST["marker"])
    return JsonResponse({"id": str(result.id)})


urlpatterns = [path("bench/scale/mark/", enqueue_mark), *site_urlpatterns]
