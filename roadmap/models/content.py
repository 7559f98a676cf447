"""Roadmap content: roadmaps, their stages, milestones and items, and the skills
that the items teach.

Every content row that comes from a guide file (``fixtures/``) carries that
file's ``key``: an identity that no admin edit changes (slugs, titles and
places may all be edited), so reloading the file finds the same rows again
instead of adding copies (``roadmap.guide``). Rows added in the admin have no
key and a reload leaves them alone. The slug-based natural keys are for
Django's serializers (``dumpdata``); the guide loader does not use them.
"""

import uuid
from urllib.parse import urlsplit

from django.db import models
from django.db.models import Count, F, Prefetch, Q
from django.urls import reverse
from django.utils.functional import cached_property

FIRST_YEAR = 1
LAST_YEAR = 4
SEMESTERS_PER_YEAR = 2


def term_index(year: int, semester: int) -> int:
    """Number the eight semesters of a B.Tech 1..8 so due points compare as ints."""
    return (year - 1) * SEMESTERS_PER_YEAR + semester


class Kind(models.TextChoices):
    TOPIC = "topic", "Topic"
    COURSE = "course", "Course"
    BOOK = "book", "Book"
    PROJECT = "project", "Project"
    CERTIFICATION = "certification", "Certification"
    PRACTICE = "practice", "Practice"
    ACTIVITY = "activity", "Activity"


class GuideRow(models.Model):
    """A content row the guide file can carry: its identity there, and what the file
    said for it at the last load (roadmap/guide.py reads both)."""

    key = models.CharField(
        "guide key",
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Identity in the guide file; never changes. Empty for rows added here.",
    )
    guide_values = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="What the guide file said for this row when last loaded: a reload "
        "changes only the fields that still hold it (the others were edited here).",
    )

    class Meta:
        abstract = True


class RoadmapQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def visible_to(self, user):
        """Published roadmaps for everyone; staff also preview unpublished ones."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        return self.published()

    def with_counts(self):
        """Annotate ``stage_count``, ``item_count`` and ``optional_count``, all of active
        content: a stage whose items are all archived is not counted."""
        return self.annotate(
            stage_count=Count(
                "stages", filter=Q(stages__milestones__items__archived=False), distinct=True
            ),
            item_count=Count(
                "stages__milestones__items",
                filter=Q(stages__milestones__items__archived=False),
                distinct=True,
            ),
            optional_count=Count(
                "stages__milestones__items",
                filter=Q(
                    stages__milestones__items__archived=False,
                    stages__milestones__items__optional=True,
                ),
                distinct=True,
            ),
        )

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Roadmap(GuideRow):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    audience = models.CharField(
        max_length=200, blank=True, help_text="Who the roadmap is written for."
    )
    published = models.BooleanField(
        default=False, help_text="Only published roadmaps are shown on the site."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    content_stamp = models.UUIDField(
        default=uuid.uuid4,
        editable=False,
        help_text="Renewed whenever stages, milestones, items or skills change: the key "
        "of the roadmap's cached outline (roadmap/outline.py).",
    )

    objects = RoadmapQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("roadmap:detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)


class StageQuerySet(models.QuerySet):
    def get_by_natural_key(self, roadmap_slug, slug):
        return self.get(roadmap__slug=roadmap_slug, slug=slug)


class Stage(GuideRow):
    """An ordered part of a roadmap, covering some years of study (Year 1–2 → 1..2)."""

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="stages")
    slug = models.SlugField()
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    year_start = models.PositiveSmallIntegerField("from year")
    year_end = models.PositiveSmallIntegerField("to year")
    order = models.PositiveSmallIntegerField(default=0)

    objects = StageQuerySet.as_manager()

    class Meta:
        ordering = ["roadmap", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["roadmap", "slug"], name="roadmap_stage_slug_unique"),
            models.CheckConstraint(
                condition=Q(year_start__gte=FIRST_YEAR, year_start__lte=LAST_YEAR),
                name="roadmap_stage_year_start_range",
            ),
            models.CheckConstraint(
                condition=Q(year_end__gte=F("year_start"), year_end__lte=LAST_YEAR),
                name="roadmap_stage_year_end_range",
            ),
        ]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.roadmap.slug, self.slug)

    natural_key.dependencies = ["roadmap.roadmap"]

    @property
    def years_label(self):
        if self.year_start == self.year_end:
            return f"Year {self.year_start}"
        return f"Years {self.year_start}–{self.year_end}"


class MilestoneQuerySet(models.QuerySet):
    def get_by_natural_key(self, roadmap_slug, stage_slug, slug):
        return self.get(stage__roadmap__slug=roadmap_slug, stage__slug=stage_slug, slug=slug)


class Milestone(GuideRow):
    """An ordered group of items inside a stage, e.g. "Core CS fundamentals"."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="milestones")
    slug = models.SlugField()
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["stage", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "slug"], name="roadmap_milestone_slug_unique"),
        ]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (*self.stage.natural_key(), self.slug)

    natural_key.dependencies = ["roadmap.stage"]


class SkillCategoryQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class SkillCategory(GuideRow):
    """A heading of the guide's Required Skills, e.g. "Cloud & Infrastructure"."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)

    objects = SkillCategoryQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name_plural = "skill categories"

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class SkillQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Skill(GuideRow):
    category = models.ForeignKey(SkillCategory, on_delete=models.PROTECT, related_name="skills")
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    detail = models.CharField(
        max_length=300, blank=True, help_text="What the guide expects, in a few words."
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = SkillQuerySet.as_manager()

    class Meta:
        ordering = ["category__order", "order", "pk"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    natural_key.dependencies = ["roadmap.skillcategory"]


class ItemQuerySet(models.QuerySet):
    def get_by_natural_key(self, roadmap_slug, stage_slug, milestone_slug, slug):
        return self.get(
            milestone__stage__roadmap__slug=roadmap_slug,
            milestone__stage__slug=stage_slug,
            milestone__slug=milestone_slug,
            slug=slug,
        )

    def active(self):
        """Items students work on: archived items keep their progress but leave the plan."""
        return self.filter(archived=False)

    def of_roadmap(self, roadmap):
        return self.filter(milestone__stage__roadmap=roadmap)

    def visible_to(self, user):
        """Items of the roadmaps ``user`` may see (``Roadmap.objects.visible_to``): the
        one rule for reading and writing alike, so unpublishing a roadmap closes both."""
        return self.filter(milestone__stage__roadmap__in=Roadmap.objects.visible_to(user))

    def followed_by(self, student):
        """Items of the visible roadmaps the student follows: the only ones they may change."""
        return self.visible_to(student).filter(
            milestone__stage__roadmap__enrollments__student=student
        )

    def outline(self, *, skills=True):
        """Active items in roadmap order, with what every figure reads: the milestone
        and stage (due point, groups) and, unless ``skills=False``, the skills with
        their category.

        The one loader of a roadmap's active items (``Item.objects.of_roadmap(r)
        .outline()``), so the roadmap page, percent, pace, next up, coverage, the
        cohort grid, stuck items and exports all read the same items; a stage or
        milestone whose items are all archived is in none of them
        (``figures.outline_stages`` groups them). Two queries: the items, then their
        skills.
        """
        # What the guide file last said is for the loader only: not read, not decoded.
        items = (
            self.active()
            .select_related("milestone__stage")
            .defer("guide_values", "milestone__guide_values", "milestone__stage__guide_values")
        )
        if skills:
            items = items.prefetch_related(
                Prefetch("skills", queryset=Skill.objects.select_related("category"))
            )
        return items.order_by(
            "milestone__stage__order",
            "milestone__stage_id",
            "milestone__order",
            "milestone_id",
            "order",
            "pk",
        )


class Item(GuideRow):
    """One thing a student does: learn a topic, take a course, build a project, ..."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="items")
    slug = models.SlugField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TOPIC)
    description = models.TextField(blank=True)
    link = models.URLField(blank=True, max_length=500)
    target_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="For counted items, e.g. 200 (problems)."
    )
    unit = models.CharField(max_length=40, blank=True, help_text="What is counted, e.g. problems.")
    optional = models.BooleanField(
        default=False, help_text="Optional items are shown apart and never lower the percent done."
    )
    due_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Year of study (1–4). Empty: the end of the stage."
    )
    due_semester = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Semester (1–2) of the due year. Empty: semester 2."
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="items")
    order = models.PositiveSmallIntegerField(default=0)
    archived = models.BooleanField(
        default=False, help_text="Archived items leave the plan but keep students' progress."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["milestone", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["milestone", "slug"], name="roadmap_item_slug_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="roadmap_item_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(target_count__isnull=True) | Q(target_count__gt=0),
                name="roadmap_item_target_count_positive",
            ),
            models.CheckConstraint(
                condition=Q(target_count__isnull=False) | Q(unit=""),
                name="roadmap_item_unit_needs_target",
            ),
            models.CheckConstraint(
                condition=Q(due_year__isnull=True)
                | Q(due_year__gte=FIRST_YEAR, due_year__lte=LAST_YEAR),
                name="roadmap_item_due_year_range",
            ),
            models.CheckConstraint(
                condition=Q(due_semester__isnull=True)
                | Q(
                    due_semester__gte=1,
                    due_semester__lte=SEMESTERS_PER_YEAR,
                    due_year__isnull=False,
                ),
                name="roadmap_item_due_semester_range",
            ),
        ]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (*self.milestone.natural_key(), self.slug)

    natural_key.dependencies = ["roadmap.milestone", "roadmap.skill"]

    @cached_property
    def due_term(self) -> int:
        """The due point as a semester number 1..8 (cohort pages compare it often)."""
        return term_index(*self.due_point)

    @property
    def due_point(self) -> tuple[int, int]:
        """(year, semester) the item is due by; the end of its stage when not set."""
        if self.due_year is None:
            return (self.milestone.stage.year_end, SEMESTERS_PER_YEAR)
        return (self.due_year, self.due_semester or SEMESTERS_PER_YEAR)

    @property
    def due_label(self) -> str:
        year, semester = self.due_point
        return f"Year {year}, semester {semester}"

    @property
    def due_short_label(self) -> str:
        """The due point in few words, for a compact checklist row: "year 2, sem 1"."""
        year, semester = self.due_point
        return f"year {year}, sem {semester}"

    @property
    def meta_label(self) -> str:
        """The item's line wherever items are listed (checklist, roadmap, dashboard,
        catch-up): its kind, due point, and whether it is optional or archived, as
        "Course · due year 2, sem 1 · optional"."""
        parts = [self.get_kind_display(), f"due {self.due_short_label}"]
        if self.optional:
            parts.append("optional")
        if self.archived:
            parts.append("archived")
        return " · ".join(parts)

    @property
    def link_label(self) -> str:
        """Where the item's link leads, said before anyone follows it: "Open on
        coursera.org" (or the address itself when it has no host)."""
        host = urlsplit(self.link).hostname or ""
        return f"Open on {host.removeprefix('www.')}" if host else self.link

    @property
    def target_label(self) -> str:
        if self.target_count is None:
            return ""
        return f"{self.target_count} {self.unit}".strip()
