"""A background task whose effect can be counted: each run adds one to a counter in the
shared cache (Redis), so a task run twice shows as 2."""

from django.core.cache import cache
from django.tasks import task

MARK_SECONDS = 3600  # long enough for the run to read the marks back


def mark_key(marker: str) -> str:
    """The cache key counting the runs of ``mark(marker)``."""
    return f"scale-out-mark:{marker}"


@task
def mark(marker: str) -> int:
    """Count one run for ``marker``; returns the count after this run (1 on the first)."""
    key = mark_key(marker)
    cache.add(key, 0, MARK_SECONDS)
    return cache.incr(key)
