from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import unquote
from django.db import models
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from .forms import PublicURLValidator
from .models import (
    Enrollment,
    Item,
    Milestone,
    Portfolio,
    Progress,
    ProgressEvent,
    Roadmap,
    Skill,
    SkillCategory,
    Stage,
    Verification,
)
from .outline import content_changed


def _with_history(items):
    """The items that some student has progress (or a logged change) on."""
    return items.filter(Q(progress__isnull=False) | Q(events__isnull=False)).distinct()


class StageInline(admin.TabularInline):
    model = Stage
    fields = ["order", "title", "slug", "year_start", "year_end"]
    prepopulated_fields = {"slug": ["title"]}
    extra = 0
    show_change_link = True


class MilestoneInline(admin.TabularInline):
    model = Milestone
    fields = ["order", "title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    extra = 0
    show_change_link = True


class ItemInline(admin.TabularInline):
    model = Item
    fields = [
        "order",
        "title",
        "slug",
        "kind",
        "optional",
        "target_count",
        "unit",
        "due_year",
        "due_semester",
        "archived",
    ]
    prepopulated_fields = {"slug": ["title"]}
    extra = 0
    show_change_link = True


class SkillInline(admin.TabularInline):
    model = Skill
    fields = ["order", "name", "slug", "detail"]
    prepopulated_fields = {"slug": ["name"]}
    extra = 0


@admin.register(Roadmap)
class RoadmapAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "published", "stage_count", "item_count", "updated_at"]
    list_filter = ["published"]
    search_fields = ["title", "summary", "key"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["key"]
    inlines = [StageInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()

    @admin.display(description="stages", ordering="stage_count")
    def stage_count(self, obj):
        return obj.stage_count

    @admin.display(description="active items", ordering="item_count")
    def item_count(self, obj):
        return obj.item_count


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["title", "roadmap", "years_label", "order", "milestone_count"]
    list_filter = ["roadmap"]
    list_select_related = ["roadmap"]
    search_fields = ["title", "summary", "key"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["key"]
    inlines = [MilestoneInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(milestone_count=Count("milestones"))

    @admin.display(description="years")
    def years_label(self, obj):
        return obj.years_label

    @admin.display(description="milestones", ordering="milestone_count")
    def milestone_count(self, obj):
        return obj.milestone_count


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["title", "stage", "roadmap", "order", "item_count"]
    list_filter = ["stage__roadmap", "stage"]
    list_select_related = ["stage__roadmap"]
    search_fields = ["title", "summary", "stage__title", "key"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["key"]
    autocomplete_fields = ["stage"]
    inlines = [ItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description="roadmap", ordering="stage__roadmap__title")
    def roadmap(self, obj):
        return obj.stage.roadmap

    @admin.display(description="items", ordering="item_count")
    def item_count(self, obj):
        return obj.item_count


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "kind",
        "milestone",
        "stage",
        "due_label",
        "target_label",
        "optional",
        "archived",
    ]
    list_filter = [
        ("milestone__stage__roadmap", admin.RelatedOnlyFieldListFilter),
        ("milestone__stage", admin.RelatedOnlyFieldListFilter),
        "kind",
        "optional",
        "archived",
        ("key", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["milestone__stage__roadmap"]
    search_fields = ["title", "description", "slug", "key"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["milestone"]
    filter_horizontal = ["skills"]
    # Students open the link: the same rule as their own evidence links.
    formfield_overrides = {models.URLField: {"validators": [PublicURLValidator()]}}
    readonly_fields = ["key", "created_at", "updated_at"]
    actions = ["archive", "restore", "delete_selected"]
    fieldsets = [
        (None, {"fields": ["milestone", "title", "slug", "key", "kind", "description", "link"]}),
        ("Plan", {"fields": ["order", "due_year", "due_semester", "optional", "archived"]}),
        ("Counted items", {"fields": ["target_count", "unit"]}),
        ("Skills", {"fields": ["skills"]}),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description="stage", ordering="milestone__stage__title")
    def stage(self, obj):
        return obj.milestone.stage

    # Items students have progress on cannot be deleted (the database protects them);
    # archiving takes them out of the plan and keeps every student's history. The
    # admin says so plainly instead of Django's generic "cannot delete" page.
    def delete_view(self, request, object_id, extra_context=None):
        item = self.get_object(request, unquote(object_id))
        if item is not None and _with_history(Item.objects.filter(pk=item.pk)).exists():
            self.message_user(
                request,
                f"Students have progress on “{item}”, so it cannot be deleted. "
                "Archive it instead: it leaves the roadmap and their progress is kept.",
                messages.ERROR,
            )
            return redirect(reverse("admin:roadmap_item_change", args=[item.pk]))
        return super().delete_view(request, object_id, extra_context)

    @admin.action(permissions=["delete"], description="Delete selected items")
    def delete_selected(self, request, queryset):
        used = list(_with_history(queryset)[:6])
        if used:
            names = ", ".join(f"“{item}”" for item in used[:5]) + ("…" if len(used) > 5 else "")
            self.message_user(
                request,
                f"Nothing deleted: students have progress on {names}. Archive those instead.",
                messages.ERROR,
            )
            return None
        return django_delete_selected(self, request, queryset)

    @admin.action(description="Archive selected items (keeps students' progress)")
    def archive(self, request, queryset):
        count = queryset.update(archived=True)
        content_changed()
        self.message_user(request, f"Archived {count} item(s); their progress is kept.")

    @admin.action(description="Restore selected archived items")
    def restore(self, request, queryset):
        count = queryset.update(archived=False)
        content_changed()
        self.message_user(request, f"Restored {count} item(s).")

    @admin.display(description="due")
    def due_label(self, obj):
        return obj.due_label

    @admin.display(description="target")
    def target_label(self, obj):
        return obj.target_label or "—"


@admin.register(SkillCategory)
class SkillCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "skill_count"]
    search_fields = ["name", "key"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["key"]
    inlines = [SkillInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(skill_count=Count("skills"))

    @admin.display(description="skills", ordering="skill_count")
    def skill_count(self, obj):
        return obj.skill_count


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "detail", "item_count"]
    list_filter = ["category"]
    list_select_related = ["category"]
    search_fields = ["name", "detail", "slug", "key"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["key"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description="taught by items", ordering="item_count")
    def item_count(self, obj):
        return obj.item_count


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["student", "roadmap", "created_at"]
    list_filter = ["roadmap"]
    list_select_related = ["student", "roadmap"]
    search_fields = ["student__email", "student__name"]
    autocomplete_fields = ["student"]


@admin.register(Progress)
class ProgressAdmin(admin.ModelAdmin):
    """Progress is written by students through the site; the admin looks, and may
    correct a verification, but never rewrites history (events stay as logged).

    The private note is the student's alone (PRODUCT.md, Privacy): it is not shown,
    searched or exported here."""

    exclude = ["note"]
    list_display = ["student", "item", "status", "count", "trust", "updated_at"]
    list_filter = ["status", ("item__milestone__stage__roadmap", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["student", "item"]
    search_fields = ["student__email", "student__name", "item__title"]
    readonly_fields = [
        "student",
        "item",
        "status",
        "count",
        "evidence_url",
        "evidence_added_at",
        "version",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(ProgressEvent)
class ProgressEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "student", "item", "field", "from_status", "to_status", "count"]
    list_filter = ["field"]
    list_select_related = ["student", "item"]
    search_fields = ["student__email", "item__title"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    """Students' public pages. Staff do not edit what a student shows; they take a page
    down (it answers 404 at once and the student cannot turn it back on) and restore
    it, from the list's actions. The reason, shown to the student, is editable."""

    list_display = ["__str__", "student", "is_public", "searchable", "taken_down_at", "updated_at"]
    list_filter = ["is_public", ("taken_down_at", admin.EmptyFieldListFilter)]
    list_select_related = ["student"]
    search_fields = ["name", "student__email", "student__name", "names__name"]
    fields = [
        "student",
        "name",
        "is_public",
        "headline",
        "github_url",
        "kaggle_url",
        "linkedin_url",
        "blog_url",
        "searchable",
        "taken_down_at",
        "takedown_reason",
    ]
    readonly_fields = [field for field in fields if field != "takedown_reason"]
    actions = ["take_down", "restore"]

    def has_add_permission(self, request):
        return False

    def view_on_site(self, obj):
        return obj.get_absolute_url() if obj.name else None

    @admin.action(
        description="Take down the selected pages (they answer 404 at once)",
        permissions=["change"],
    )
    def take_down(self, request, queryset):
        pages = list(queryset.filter(taken_down_at=None))
        for portfolio in pages:
            portfolio.take_down(reason="Taken down by Waypoint's staff.")
        self.message_user(
            request,
            f"Took down {len(pages)} page(s). Edit a page to give the student the reason.",
            messages.SUCCESS,
        )

    @admin.action(description="Restore the selected pages", permissions=["change"])
    def restore(self, request, queryset):
        restored = queryset.exclude(taken_down_at=None).update(
            taken_down_at=None, takedown_reason="", updated_at=timezone.now()
        )
        self.message_user(request, f"Restored {restored} page(s).", messages.SUCCESS)


@admin.register(Verification)
class VerificationAdmin(admin.ModelAdmin):
    """The record of each verification, as its public address shows it. Read-only: it
    is history; undoing is the mentor's, within their window."""

    list_display = ["progress", "mentor_name", "cohort_name", "verified_at", "undone_at"]
    list_select_related = ["progress__student", "progress__item"]
    search_fields = ["token", "progress__student__email", "progress__item__title", "mentor_name"]
    readonly_fields = [
        "token",
        "progress",
        "mentor",
        "mentor_name",
        "cohort_name",
        "evidence_url",
        "verified_at",
        "undone_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
