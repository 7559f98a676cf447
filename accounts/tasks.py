"""Background work of the accounts app: sending the outbox (``accounts.outbox``)."""

from crontask import cron
from django.tasks import task

from . import outbox


@task
def deliver_many(ids: list[int]) -> dict[str, int]:
    """Send queued deliveries (ids of ``Delivery``) over one connection; returns the
    count per final state, e.g. {"sent": 498, "bounced": 2}."""
    return outbox.deliver_all(ids)


@task
def deliver_later(delivery_id: int) -> str:
    """Try one delivery again after a failure (enqueued with ``run_after``)."""
    return outbox.deliver(delivery_id)


@cron("*/15 * * * *")
@task
def outbox_recover() -> dict[str, int]:
    """Every 15 minutes: mend deliveries a stopped worker left behind
    (``outbox.recover``)."""
    return outbox.recover()
