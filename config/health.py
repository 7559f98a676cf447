import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Count, F, Min, When
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult, get_date_max

logger = logging.getLogger(__name__)


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _cache() -> str:
    cache.set("health-check", "ok", 10)
    return "ok" if cache.get("health-check") == "ok" else "unreachable"


def queue() -> dict:
    """The background queue as the worker sees it: how many tasks are ready to run and
    how long the oldest has waited, in whole seconds (from when it was enqueued, or from
    its ``run_after`` for a retry). "worked" is false once that passes
    ``WAYPOINT_QUEUE_STALE_SECONDS``: no worker is taking tasks."""
    waiting = (
        DBTaskResult.objects.ready()
        .annotate(
            since=Case(When(run_after=get_date_max(), then=F("enqueued_at")), default="run_after")
        )
        .aggregate(count=Count("pk"), oldest=Min("since"))
    )
    age = 0
    if waiting["oldest"] is not None:
        age = max(0, int((timezone.now() - waiting["oldest"]).total_seconds()))
    return {
        "waiting": waiting["count"],
        "oldest_waiting_seconds": age,
        "worked": age <= settings.WAYPOINT_QUEUE_STALE_SECONDS,
    }


@never_cache
@require_safe
def health(request):
    """For the load balancer: 200 when this server can reach what it needs, else 503.

    That is the database, and Redis when it is configured (sessions go through it then).
    The background queue is reported beside them ("queue") but never makes the answer a
    503: a web server whose worker stopped still serves pages, and taking it out of the
    balancer would not start the worker."""
    checks = {"database": _database}
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        checks["cache"] = _cache
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception:  # any failure to reach it means "take me out"
            logger.exception("Health check: the %s is unreachable", name)
            results[name] = "unreachable"
    healthy = all(result == "ok" for result in results.values())
    answer = {"status": "ok" if healthy else "unavailable", **results}
    if results["database"] == "ok":
        try:
            answer["queue"] = queue()
        except Exception:  # e.g. before migrations: report it, never fail the probe
            logger.exception("Health check: the task queue could not be read")
            answer["queue"] = "unreadable"
    return JsonResponse(answer, status=200 if healthy else 503)
