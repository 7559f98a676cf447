"""Cohorts: a group of students on one roadmap, watched by one or more mentors."""

import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from accounts.adapter import email_domain
from accounts.models import Entry

# A nudge is a short friendly note, not a letter (the form says so).
NUDGE_MESSAGE_MAX_LENGTH = 1000


def new_join_code() -> str:
    return secrets.token_urlsafe(9)


DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def split_domains(value: str) -> list[str]:
    """ "College.edu, @students.college.edu" -> ["college.edu", "students.college.edu"]."""
    return [part.strip().lstrip("@").lower() for part in value.split(",") if part.strip()]


def validate_email_domains(value: str) -> None:
    """Raises ValidationError naming each part of ``value`` that is not a domain."""
    wrong = [part for part in split_domains(value) if not DOMAIN.match(part)]
    if wrong:
        raise ValidationError(
            f"Not a domain: {', '.join(wrong)}. Write domains like college.edu, "
            "separated by commas."
        )


class CohortQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The one rule for mentor pages: staff see every cohort, mentors their own,
        everyone else none (so a forgotten check is a 404, not a leak)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(mentors=user)

    def joinable(self):
        return self.filter(active=True, roadmap__published=True)


class Cohort(models.Model):
    """A group of students on one roadmap, watched by one or more mentors."""

    name = models.CharField(max_length=150, help_text="e.g. CSE batch 2027 — ML club")
    roadmap = models.ForeignKey("roadmap.Roadmap", on_delete=models.PROTECT, related_name="cohorts")
    mentors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="mentored_cohorts")
    students = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="cohorts", blank=True
    )
    join_code = models.CharField(max_length=32, unique=True, default=new_join_code)
    active = models.BooleanField(
        default=True, help_text="Archived cohorts accept no new students and leave the lists."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    email_domains = models.CharField(
        "Email domains",
        max_length=500,
        blank=True,
        validators=[validate_email_domains],
        help_text="Only students with an address at these domains can join, e.g. "
        "college.edu, students.college.edu. Leave empty to let anyone with the link join.",
    )

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["-active", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cohorts:dashboard", args=[self.pk])

    def get_join_url(self):
        return reverse("cohorts:join", args=[self.join_code])

    @property
    def domain_list(self) -> list[str]:
        """The domains its members' addresses must be at; [] when anyone may join."""
        return split_domains(self.email_domains)

    def admits(self, email: str) -> bool:
        """Whether an address may be a member: at one of ``domain_list`` (case aside),
        or any address when the list is empty."""
        domains = self.domain_list
        return not domains or email_domain(email) in domains

    def domains_in_words(self) -> str:
        """ "@college.edu or @students.college.edu" (for refusals and the join page)."""
        names = [f"@{domain}" for domain in self.domain_list]
        return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)


class Membership(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "student"], name="cohorts_membership_unique")
        ]

    def __str__(self):
        return f"{self.student} in {self.cohort}"


class Invitation(models.Model):
    """A roster's invitation mail to someone without an account: one per address per
    cohort (case does not matter), so importing the same file again sends nothing.
    ``entry_year`` and ``batch`` are what the roster said, if anything."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    name = models.CharField(max_length=150)
    entry_year = models.PositiveSmallIntegerField(choices=Entry.choices, null=True, blank=True)
    batch = models.PositiveSmallIntegerField("batch (admission year)", null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["cohort", "email"]
        constraints = [
            models.UniqueConstraint(
                "cohort", Lower("email"), name="cohorts_invitation_email_ci_unique"
            )
        ]

    def __str__(self):
        return f"{self.email} to {self.cohort}"


class NudgeQuerySet(models.QuerySet):
    def since(self, moment):
        return self.filter(created_at__gte=moment)

    def latest_by_student(self) -> dict:
        """{student id: when they were last nudged} over these nudges, in one query."""
        return dict(
            self.values("student")
            .annotate(last=models.Max("created_at"))
            .values_list("student", "last")
            .order_by()
        )


class Nudge(models.Model):
    """A mentor's friendly message to one student of a cohort, sent by mail
    (``cohorts.nudges.nudge_send``). Kept so the dashboard can say "nudged on 3 Dec",
    a student is not nudged twice in a day, and a mentor's daily limit can be counted."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="nudges")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nudges_received"
    )
    # The sender; the record (and the student's "nudged on") outlives their account.
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="nudges_sent",
    )
    message = models.TextField(max_length=NUDGE_MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    objects = NudgeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # "Nudged in the last day?" per student, and the dashboard's "nudged on".
            models.Index(fields=["student", "created_at"], name="cohorts_nudge_student_idx"),
            # A mentor's nudges of the last day, against WAYPOINT_NUDGES_PER_DAY.
            models.Index(fields=["mentor", "created_at"], name="cohorts_nudge_mentor_idx"),
        ]

    def __str__(self):
        return f"{self.mentor} nudged {self.student} ({self.cohort})"
