"""Background work of the roadmap app: the students' weekly digest (``roadmap.digest``)
and the mail that tells a student about a mentor's review of their evidence."""

from crontask import cron
from django.conf import settings
from django.tasks import task
from django.utils import timezone

from accounts.outbox import mail_queue_many, week_key

from .digest import Outlines, digest_mail, digest_recipients, not_queued, student_digests
from .services.verification import review_mail

# Students per batch: a fixed number of queries builds each batch's digests (the batch,
# those queued already, four to build, the outbox's four), and 500 keeps a batch's
# progress rows (up to ~100 each) well in memory.
DIGEST_BATCH = 500


@cron(settings.WAYPOINT_DIGEST_SCHEDULE)
@task
def weekly_student_digests() -> int:
    """Queue this week's digest for every student who gets one (``digest_recipients``)
    and has none queued yet (``not_queued``), ``DIGEST_BATCH`` at a time by pk; returns
    how many were queued. The outbox's key is the local week ("2026-W49"), so however
    often this runs in a week, and however many schedulers start it at once, each
    student is queued, and sent, one digest."""
    if not settings.MAIL_DELIVERS:
        return 0
    today, now = timezone.localdate(), timezone.now()
    key = week_key(today)
    outlines = Outlines()
    queued = 0
    for batch in _batches(digest_recipients(), DIGEST_BATCH):
        students = not_queued(batch, key=key)
        if not students:
            continue
        deliveries = [
            digest_mail(digest, key=key)
            for digest in student_digests(students, today=today, now=now, outlines=outlines)
        ]
        queued += mail_queue_many(deliveries)
    return queued


def _batches(students, size: int):
    """Lists of at most ``size`` of ``students`` (a queryset ordered by pk), read one list
    at a time after the pk of the last, so each read is one short indexed query."""
    last = 0
    while batch := list(students.filter(pk__gt=last)[:size]):
        yield batch
        last = batch[-1].pk


@task
def notify_review(event_id: int) -> bool:
    """Tell the student about the review logged as ``event_id`` (a VERIFICATION
    ProgressEvent) if it still stands; enqueued by ``review_evidence`` to run when the
    review can no longer be undone. True when a mail was queued."""
    return review_mail(event_id) is not None
