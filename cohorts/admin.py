from django.contrib import admin
from django.db.models import Count

from .models import Cohort, Invitation, Membership, Nudge


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["student", "joined_at"]
    readonly_fields = ["joined_at"]
    autocomplete_fields = ["student"]
    extra = 0


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "roadmap", "active", "email_domains", "student_count", "created_at"]
    list_filter = ["active", "roadmap"]
    list_select_related = ["roadmap"]
    search_fields = ["name", "mentors__email", "mentors__name"]
    filter_horizontal = ["mentors"]
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(student_count=Count("memberships"))

    @admin.display(description="students", ordering="student_count")
    def student_count(self, obj):
        return obj.student_count


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Who a roster invited by email; deleting one lets the next import invite again."""

    list_display = ["email", "name", "cohort", "invited_by", "sent_at"]
    list_filter = ["cohort"]
    list_select_related = ["cohort", "invited_by"]
    search_fields = ["email", "name", "cohort__name"]
    readonly_fields = ["sent_at"]
    autocomplete_fields = ["invited_by"]

    def has_add_permission(self, request):
        return False  # invitations are made by sending one (a roster import)


@admin.register(Nudge)
class NudgeAdmin(admin.ModelAdmin):
    """Who nudged whom, when, with what words: a record, read only (a nudge is made by
    sending it from the cohort dashboard, and the mail has gone)."""

    list_display = ["student", "cohort", "mentor", "created_at"]
    list_filter = ["cohort"]
    list_select_related = ["student", "cohort", "mentor"]
    search_fields = ["student__email", "student__name", "mentor__email", "cohort__name"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
