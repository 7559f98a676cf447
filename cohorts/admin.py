from django.contrib import admin
from django.db.models import Count

from .models import Cohort, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["student", "joined_at"]
    readonly_fields = ["joined_at"]
    autocomplete_fields = ["student"]
    extra = 0


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "roadmap", "active", "student_count", "created_at"]
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
