"""Students' progress: which roadmaps they follow, where they stand on each item,
and the append-only log of every change."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .content import Item, Kind, Roadmap

NOTE_MAX_LENGTH = 2000
EVIDENCE_URL_MAX_LENGTH = 500
# No roadmap asks for more than this of anything; larger numbers are typos.
COUNT_MAX = 100_000


# Kinds whose evidence mentors review: the things an employer would ask to see.
REVIEWED_KINDS = (Kind.PROJECT, Kind.CERTIFICATION)

# Evidence no mentor has looked at yet (``ProgressQuerySet.awaiting_review``). A few
# rows in a hundred match; the partial index on it (``roadmap_progress_waiting_idx``)
# lets a cohort's review queue and pending counts read those alone, not all of its
# students' progress. The index serves only queries written with this very condition.
# A done item's trust (Progress.trust) in words, wherever done items are listed.
TRUST_LABELS = {
    "verified": "verified by a mentor",
    "evidence": "evidence attached",
    "self": "self-reported",
}

WAITING_FOR_REVIEW = Q(verified_at__isnull=True, review_comment="") & ~Q(evidence_url="")


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


class EnrollmentQuerySet(models.QuerySet):
    def for_student(self, student):
        return self.filter(student=student)

    def follows(self, student, roadmap) -> bool:
        return self.filter(student=student, roadmap=roadmap).exists()


class Enrollment(models.Model):
    """A student following a roadmap."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="enrollments")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "roadmap"], name="roadmap_enrollment_unique"
            ),
        ]

    def __str__(self):
        return f"{self.student} follows {self.roadmap}"


class ProgressQuerySet(models.QuerySet):
    def for_student(self, student):
        return self.filter(student=student)

    def of_roadmap(self, roadmap):
        return self.filter(item__milestone__stage__roadmap=roadmap)

    def by_item(self) -> dict:
        return {progress.item_id: progress for progress in self}

    def of_cohort(self, cohort):
        """Progress of the cohort's students on the cohort's roadmap."""
        return self.filter(student__memberships__cohort=cohort).of_roadmap(cohort.roadmap)

    def on_roadmaps_visible_to(self, user):
        """Progress on items ``user`` may see (``Item.objects.visible_to``)."""
        return self.filter(item__in=Item.objects.visible_to(user))

    def reviewable(self):
        """Progress a mentor's review can apply to: on active projects and certifications."""
        return self.filter(item__kind__in=REVIEWED_KINDS, item__archived=False)

    def awaiting_review(self):
        """Evidence on active projects and certifications that no mentor has looked at yet:
        what the review queue shows and the only thing a review may change."""
        return self.reviewable().filter(WAITING_FOR_REVIEW)

    def sent_back(self):
        """Evidence a mentor sent back with a comment and the student has not replaced yet
        (replacing it clears the comment): what the student's dashboard asks them to fix."""
        return (
            self.reviewable()
            .filter(verified_at__isnull=True)
            .exclude(review_comment="")
            .exclude(evidence_url="")
        )


class Progress(models.Model):
    """Where one student stands on one item. One row per (student, item)."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress"
    )
    # PROTECT: content edits must never destroy progress; archive the item instead.
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="progress")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    count = models.PositiveIntegerField(default=0)
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    evidence_url = models.URLField(blank=True, max_length=EVIDENCE_URL_MAX_LENGTH)
    evidence_added_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    # Bumped on every change; forms carry it so a stale form is told, not obeyed.
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProgressQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "progress"
        constraints = [
            models.UniqueConstraint(fields=["student", "item"], name="roadmap_progress_unique"),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="roadmap_progress_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(count__lte=COUNT_MAX), name="roadmap_progress_count_max"
            ),
        ]
        indexes = [
            models.Index(
                fields=["student"],
                condition=WAITING_FOR_REVIEW,
                name="roadmap_progress_waiting_idx",
            ),
        ]

    def __str__(self):
        return f"{self.student} · {self.item}: {self.get_status_display()}"

    @property
    def trust(self) -> str:
        """How far a "done" can be trusted: self-reported, evidence attached, verified."""
        if self.verified_at:
            return "verified"
        if self.evidence_url:
            return "evidence"
        return "self"

    @property
    def trust_label(self) -> str:
        """The trust in words: "verified by a mentor", "evidence attached", "self-reported"."""
        return TRUST_LABELS[self.trust]


class ProgressEventQuerySet(models.QuerySet):
    def for_student(self, student):
        return self.filter(student=student)

    def of_roadmap(self, roadmap):
        return self.filter(item__milestone__stage__roadmap=roadmap)

    def by_the_student(self):
        """The student's own changes: a mentor's review is not the student's activity."""
        return self.filter(actor_id=F("student_id"))


class ProgressEvent(models.Model):
    """Append-only record of one change to a student's progress."""

    class Field(models.TextChoices):
        STATUS = "status", "Status"
        COUNT = "count", "Count"
        NOTE = "note", "Note"
        EVIDENCE = "evidence", "Evidence"
        VERIFICATION = "verification", "Verification"

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress_events"
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who made the change: the student, or a mentor verifying.",
    )
    field = models.CharField(max_length=20, choices=Field.choices)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A catch-up marks many items done at once; its events share this id, and so do
    # the events of its undo (roadmap.services.progress_catch_up / catch_up_undo).
    batch = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    objects = ProgressEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["student", "-created_at"], name="roadmap_event_student_idx")
        ]

    def __str__(self):
        return f"{self.student} · {self.item} · {self.field} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def description(self) -> str:
        match self.field:
            case self.Field.STATUS:
                return f"{self.get_from_status_display()} → {self.get_to_status_display()}"
            case self.Field.COUNT:
                return f"Count set to {self.count}"
            case self.Field.NOTE:
                return "Private note edited"
            case self.Field.EVIDENCE:
                return "Evidence link changed"
            case _:
                return "Evidence reviewed by a mentor"
