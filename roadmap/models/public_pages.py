"""A student's public portfolio, and the record of each mentor verification that its
verification addresses show.

The portfolio is off until its student turns it on, shows only the items they chose,
and answers 404 the moment it is off, taken down by staff, or renamed
(roadmap/portfolio.py builds the page, roadmap/portfolio_views.py serves it).
"""

import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .content import Item
from .progress import EVIDENCE_URL_MAX_LENGTH, Progress

NAME_MIN_LENGTH = 3
NAME_MAX_LENGTH = 40
# Lower-case letters, digits and single hyphens between them: safe in a URL as it is,
# easy to read aloud and to type from a printed page.
NAME_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Words that are, or could pass for, Waypoint's own pages, or that would mislead.
RESERVED_NAMES = frozenset(
    {
        "about",
        "account",
        "accounts",
        "admin",
        "administrator",
        "api",
        "app",
        "assets",
        "calendar",
        "cohort",
        "cohorts",
        "contact",
        "dashboard",
        "docs",
        "faq",
        "health",
        "help",
        "home",
        "info",
        "items",
        "login",
        "logout",
        "mail",
        "me",
        "media",
        "mentor",
        "mentors",
        "new",
        "null",
        "official",
        "p",
        "portfolio",
        "portfolios",
        "privacy",
        "robots",
        "roadmap",
        "roadmaps",
        "root",
        "security",
        "settings",
        "signin",
        "signup",
        "sitemap",
        "staff",
        "static",
        "support",
        "system",
        "terms",
        "test",
        "undefined",
        "verify",
        "verification",
        "waypoint",
        "welcome",
        "www",
    }
)
LINK_MAX_LENGTH = 200
HEADLINE_MAX_LENGTH = 140


def validate_portfolio_name(name: str) -> None:
    """Raise ValidationError (with a message for the field) unless ``name`` is a usable
    address name: NAME_MIN_LENGTH to NAME_MAX_LENGTH characters of NAME_PATTERN and not
    one of RESERVED_NAMES. Whether it is taken is the form's question."""
    if len(name) < NAME_MIN_LENGTH:
        raise ValidationError(f"Use at least {NAME_MIN_LENGTH} characters.", code="short")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            f"Use at most {NAME_MAX_LENGTH} characters (this has {len(name)}).", code="long"
        )
    if not NAME_PATTERN.match(name):
        raise ValidationError(
            "Use only letters a–z, digits and single hyphens between them, "
            "like asha-verma or asha2027.",
            code="unsafe",
        )
    if name in RESERVED_NAMES:
        raise ValidationError(
            f"“{name}” is kept for Waypoint's own pages. Choose another name.", code="reserved"
        )


class PortfolioQuerySet(models.QuerySet):
    def public(self):
        """Pages anyone may open: turned on by their student, not taken down by staff,
        of an account that is still active."""
        return self.filter(
            is_public=True, taken_down_at__isnull=True, student__is_active=True
        ).exclude(name=None)


class Portfolio(models.Model):
    """One student's public page: its address name, what it shows and whether it is on.

    ``items`` are the ones the student chose; the page shows those of them that are
    done (roadmap.portfolio.portfolio_entries), never anything else of the student."""

    student = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portfolio"
    )
    # Lower case, unique; null until the student chooses one.
    name = models.CharField(max_length=NAME_MAX_LENGTH, unique=True, null=True, blank=True)
    is_public = models.BooleanField("page is on", default=False)
    headline = models.CharField(max_length=HEADLINE_MAX_LENGTH, blank=True)
    github_url = models.URLField("GitHub", max_length=LINK_MAX_LENGTH, blank=True)
    kaggle_url = models.URLField("Kaggle", max_length=LINK_MAX_LENGTH, blank=True)
    linkedin_url = models.URLField("LinkedIn", max_length=LINK_MAX_LENGTH, blank=True)
    blog_url = models.URLField("Blog", max_length=LINK_MAX_LENGTH, blank=True)
    searchable = models.BooleanField(
        "search engines may list it",
        default=False,
        help_text="Off: the page and its verification addresses carry noindex.",
    )
    items = models.ManyToManyField(Item, blank=True, related_name="+")
    taken_down_at = models.DateTimeField(null=True, blank=True)
    takedown_reason = models.TextField(
        blank=True, help_text="Shown to the student on their portfolio settings."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PortfolioQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(name=models.functions.Lower("name")),
                name="roadmap_portfolio_name_lower",
            ),
        ]

    def __str__(self):
        return f"/p/{self.name}/" if self.name else f"{self.student} (no address yet)"

    def get_absolute_url(self):
        return reverse("roadmap:portfolio_page", args=[self.name])

    @property
    def links(self) -> list[tuple[str, str]]:
        """(label, url) of each link the student gave, in a fixed order."""
        fields = ("github_url", "kaggle_url", "linkedin_url", "blog_url")
        return [
            (self._meta.get_field(field).verbose_name, getattr(self, field))
            for field in fields
            if getattr(self, field)
        ]

    @property
    def student_name(self) -> str:
        """How the page names its student: their name, never their email."""
        return self.student.name or "A Waypoint student"

    @property
    def is_taken_down(self) -> bool:
        return self.taken_down_at is not None

    def take_down(self, reason: str = "") -> None:
        """Staff take the page down: it answers 404 until staff restore it."""
        self.taken_down_at = timezone.now()
        self.takedown_reason = reason
        self.save(update_fields=["taken_down_at", "takedown_reason", "updated_at"])


# How many addresses a page may have shown the world: each stays its student's, so a
# handful is enough for a change of mind without letting anyone hoard names.
MAX_SHOWN_NAMES = 5


class PortfolioName(models.Model):
    """Every address name a portfolio holds or held: its current one, and the earlier
    ones its page was on under (``was_public``). Unique, so a name can be claimed only
    once and only by inserting it here: an earlier address answers 404, but the links
    and QR codes already handed out can never lead to someone else, not even after the
    account is deleted (the name stays, with no portfolio). A name the page was never
    on under is let go when the student moves on from it."""

    name = models.CharField(max_length=NAME_MAX_LENGTH, unique=True)
    portfolio = models.ForeignKey(
        Portfolio, null=True, blank=True, on_delete=models.SET_NULL, related_name="names"
    )
    was_public = models.BooleanField(default=False)
    claimed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.name


TOKEN_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read off paper
TOKEN_LENGTH = 16  # 80 bits


def new_verification_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


class Standing(models.TextChoices):
    """Whether a verification still vouches for the evidence it was made for."""

    STANDS = "stands", "Verified"
    UNDONE = "undone", "Verification taken back"
    REPLACED = "replaced", "Evidence replaced since"
    REMOVED = "removed", "Evidence removed since"
    SUPERSEDED = "superseded", "Verified again since"


class Verification(models.Model):
    """One mentor's verification of one piece of evidence, as it was made: who, in which
    cohort, when, and the evidence link it vouched for. Kept when undone (``undone_at``)
    or outlived by a change of the evidence, so its public address can say so instead
    of vouching (``standing``)."""

    token = models.CharField(
        max_length=TOKEN_LENGTH, unique=True, default=new_verification_token, editable=False
    )
    progress = models.ForeignKey(Progress, on_delete=models.CASCADE, related_name="verifications")
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # As they were when the verification was made: the address keeps saying who
    # vouched, even after a rename or a deleted account.
    mentor_name = models.CharField(max_length=150)
    cohort_name = models.CharField(max_length=200, blank=True)
    evidence_url = models.URLField(max_length=EVIDENCE_URL_MAX_LENGTH)
    verified_at = models.DateTimeField()
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-verified_at", "-pk"]
        indexes = [models.Index(fields=["progress", "verified_at"], name="roadmap_verif_prog_idx")]

    def __str__(self):
        return f"{self.progress} verified by {self.mentor_name} at {self.verified_at:%Y-%m-%d}"

    def standing(self, progress: Progress) -> Standing:
        """Whether this verification still vouches, given ``progress`` as it is now (the
        row it was made on): taken back, the evidence replaced or removed after it, or
        a later verification of the same row made since."""
        if self.undone_at is not None:
            return Standing.UNDONE
        if not progress.evidence_url:
            return Standing.REMOVED
        changed_after = progress.evidence_added_at and progress.evidence_added_at > self.verified_at
        if progress.evidence_url != self.evidence_url or changed_after:
            return Standing.REPLACED
        if progress.verified_at is None:
            return Standing.UNDONE
        if progress.verified_at != self.verified_at:
            return Standing.SUPERSEDED
        return Standing.STANDS
