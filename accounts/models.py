from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .throttle import GuessCount  # noqa: F401  (a model: its table comes with this app)

# Waypoint follows four-year B.Tech batches; years outside this window are typos.
EARLIEST_BATCH = 2000
LATEST_BATCH = 2100


class Entry(models.IntegerChoices):
    """The year of study a student started in: regular entry in year 1, or lateral
    entry in year 2 (diploma holders joining B.Tech directly, PRODUCT.md)."""

    REGULAR = 1, "Year 1 (regular)"
    LATERAL = 2, "Year 2 (lateral entry)"


class Programme(models.IntegerChoices):
    """How many years the student's programme lasts."""

    FOUR_YEARS = 4, "4 years (B.Tech)"
    FIVE_YEARS = 5, "5 years (dual degree)"

    @property
    def degree(self) -> str:
        """The degree in a sentence: "the end of your B.Tech"."""
        return "B.Tech" if self == Programme.FOUR_YEARS else "dual degree"


class UserManager(DjangoUserManager):
    """Users sign in with their email address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        # Sign-in is case-insensitive: "Asha@X.in" and "asha@x.in" are one person.
        return self.get(email__iexact=username)


class User(AbstractUser):
    username = None
    first_name = None
    last_name = None

    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, help_text="How mentors and the app address you.")
    is_mentor = models.BooleanField(
        "mentor",
        default=False,
        help_text="Mentors (faculty, placement cell, club leads) can create cohorts.",
    )
    batch = models.PositiveSmallIntegerField(
        "batch (admission year)",
        null=True,
        blank=True,
        help_text="The year your B.Tech started, e.g. 2025.",
    )
    entry_year = models.PositiveSmallIntegerField(
        "entry",
        choices=Entry.choices,
        default=Entry.REGULAR,
        help_text="Which year of study you joined in: year 1, or year 2 by lateral entry.",
    )
    programme_years = models.PositiveSmallIntegerField(
        "programme length",
        choices=Programme.choices,
        default=Programme.FOUR_YEARS,
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    objects = UserManager()

    class Meta:
        ordering = ["name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(batch__isnull=True)
                | models.Q(batch__gte=EARLIEST_BATCH, batch__lte=LATEST_BATCH),
                name="accounts_user_batch_range",
            ),
            models.CheckConstraint(
                condition=models.Q(entry_year__in=Entry.values), name="accounts_user_entry_year"
            ),
            models.CheckConstraint(
                condition=models.Q(programme_years__in=Programme.values),
                name="accounts_user_programme_years",
            ),
        ]

    def __str__(self):
        return self.name or self.email

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        """How Waypoint addresses the person (greetings, mail, mentor pages, the admin):
        the name as they wrote it, or the email without one. Never its first word: in
        "श्रीमती प्रियंका" that is "Mrs.", and many names start with a family name."""
        return self.name or self.email


class ClockChange(models.Model):
    """One change of a student's academic clock (batch, entry year, programme length),
    kept for good: rows are only ever added (``accounts.clock``), never edited, so the
    history says how the student got to their year of study."""

    class Kind(models.TextChoices):
        REPEATED = "repeated", "Repeated a year"
        CORRECTED = "corrected", "Corrected by the student"
        SET = "set", "Set by a mentor or admin"

    student = models.ForeignKey(User, on_delete=models.CASCADE, related_name="clock_changes")
    created_at = models.DateTimeField("date", default=timezone.now, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    changed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    batch_before = models.PositiveSmallIntegerField(null=True, blank=True)
    batch_after = models.PositiveSmallIntegerField(null=True, blank=True)
    entry_before = models.PositiveSmallIntegerField(choices=Entry.choices)
    entry_after = models.PositiveSmallIntegerField(choices=Entry.choices)
    programme_before = models.PositiveSmallIntegerField(choices=Programme.choices)
    programme_after = models.PositiveSmallIntegerField(choices=Programme.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["repeated", "corrected", "set"]),
                name="accounts_clockchange_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.summary}"

    @property
    def summary(self) -> str:
        """What changed, e.g. "batch 2024 → 2025; entry Year 1 (regular) → ..."."""
        parts = []
        if self.batch_before != self.batch_after:
            parts.append(
                f"batch {self.batch_before or 'not set'} → {self.batch_after or 'not set'}"
            )
        if self.entry_before != self.entry_after:
            parts.append(
                f"entry {Entry(self.entry_before).label} → {Entry(self.entry_after).label}"
            )
        if self.programme_before != self.programme_after:
            before, after = Programme(self.programme_before), Programme(self.programme_after)
            parts.append(f"programme {before.label} → {after.label}")
        return "; ".join(parts) or "no change"
