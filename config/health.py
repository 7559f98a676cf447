import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _cache() -> str:
    cache.set("health-check", "ok", 10)
    return "ok" if cache.get("health-check") == "ok" else "unreachable"


@never_cache
@require_safe
def health(request):
    """For the load balancer: 200 when this server can reach what it needs, else 503.

    That is the database, and Redis when it is configured (sessions go through it then)."""
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
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **results}, status=200 if healthy else 503
    )
