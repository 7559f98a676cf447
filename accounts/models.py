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


class MailKind(models.TextChoices):
    """What a mail is about; each kind can be turned off on its own (``User.mail_wanted``)."""

    DIGEST = "digest", "Weekly digest"
    REVIEWS = "reviews", "Evidence reviews"
    NUDGES = "nudges", "Messages from mentors"

    @property
    def field(self) -> str:
        """The ``User`` field that says whether the person wants this kind of mail."""
        return f"mail_{self.value}"


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
    # Mail the person asked for (``MailKind``); one-click unsubscribe turns one off.
    mail_digest = models.BooleanField(
        "weekly digest", default=True, help_text="Monday morning: what is due, what is behind."
    )
    mail_reviews = models.BooleanField(
        "evidence reviews",
        default=True,
        help_text="When a mentor verifies or sends back your evidence; for mentors, new "
        "evidence to review (at most one mail every few hours).",
    )
    mail_nudges = models.BooleanField(
        "messages from mentors", default=True, help_text="A note from a mentor of your cohort."
    )
    # Set when the address's mail server refused it for good (SMTP 5xx): nothing more is
    # sent until the person says the address works again.
    mail_bounced_at = models.DateTimeField("mail bounced", null=True, blank=True)
    mail_bounce = models.CharField("bounce reason", max_length=300, blank=True)
    # The secret in the private calendar address; replacing it retires the old address.
    calendar_token = models.CharField(max_length=64, unique=True, null=True, blank=True)

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

    def mail_wanted(self, kind: str) -> bool:
        """Whether mail of ``kind`` (a ``MailKind``) may be sent: asked for, to an address
        that has not bounced, of an account still active."""
        wanted = getattr(self, MailKind(kind).field)
        return self.is_active and self.mail_bounced_at is None and wanted

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


class Delivery(models.Model):
    """One mail to one person, written down before it is sent: the outbox.

    ``(recipient, kind, key)`` is unique, so a mail is queued once however often the
    work that writes it runs (a digest's key is its ISO week, "2026-W49"). A worker
    claims a row by moving it from waiting to sending in one UPDATE, so two workers
    never send it twice (``accounts.outbox``)."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent (turned off or bounced)"
        BOUNCED = "bounced", "Bounced"
        FAILED = "failed", "Failed"

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=10, choices=MailKind.choices)
    key = models.CharField(max_length=100)
    subject = models.CharField(max_length=200)
    text = models.TextField()
    html = models.TextField(blank=True)
    reply_to = models.EmailField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "key"], name="accounts_delivery_once"
            ),
        ]
        indexes = [models.Index(fields=["kind", "key"], name="accounts_delivery_kind_key")]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient}: {self.get_state_display()}"
