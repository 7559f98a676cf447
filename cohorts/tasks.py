"""Background work of the cohorts app: mail to mentors (``cohorts.mentor_mail``), on
the schedule ``manage.py crontask`` keeps."""

from crontask import cron
from django.conf import settings
from django.tasks import task
from django.utils import timezone

from accounts.outbox import mail_queue_many

from . import mentor_mail


@cron("*/15 * * * *")
@task
def evidence_waiting_mail() -> int:
    """Tell mentors of new evidence to review, at most once per mentor every
    ``WAYPOINT_REVIEW_MAIL_HOURS`` (``mentor_mail.evidence_mails``): every quarter of an
    hour, so a mentor hears within 15 minutes once the window allows. Returns how
    many mails were queued (none, and nothing built, when this server sends no mail)."""
    if not settings.MAIL_DELIVERS:
        return 0
    return mail_queue_many(mentor_mail.evidence_mails(now=timezone.now()))


@cron(settings.WAYPOINT_DIGEST_SCHEDULE)
@task
def weekly_mentor_digests() -> int:
    """Each mentor's weekly digest of their active cohorts (``mentor_mail.mentor_digests``),
    once per mentor per ISO week however often it runs. Returns how many were queued."""
    if not settings.MAIL_DELIVERS:
        return 0
    now = timezone.now()
    return mail_queue_many(mentor_mail.mentor_digests(today=timezone.localdate(now), now=now))
