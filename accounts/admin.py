from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .clock import ClockRefused, clock_repeat_year, clock_set
from .forms import CLOCK_FIELDS
from .models import ClockChange, Delivery, User


class ClockChangeInline(admin.TabularInline):
    """The student's clock history, read-only: rows are only added by accounts.clock."""

    model = ClockChange
    fk_name = "student"
    extra = 0
    fields = ["created_at", "kind", "summary", "changed_by", "note"]
    readonly_fields = fields
    verbose_name = "academic clock change"
    verbose_name_plural = "academic clock history"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name", "batch"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "name", "batch", "entry_year", "programme_years", "is_mentor"]
    list_display += ["is_staff", "is_active", "last_login"]
    list_filter = ["is_mentor", "is_staff", "is_superuser", "is_active", "batch", "entry_year"]
    list_filter += ["programme_years"]
    search_fields = ["email", "name"]
    actions = ["record_a_repeated_year"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name", "is_mentor"]}),
        ("Academic clock", {"fields": CLOCK_FIELDS}),
        (
            "Mail",
            {
                "fields": [
                    "mail_digest",
                    "mail_reviews",
                    "mail_nudges",
                    "mail_bounced_at",
                    "mail_bounce",
                ]
            },
        ),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "name", "batch", "usable_password", "password1", "password2"],
            },
        ),
    ]

    def get_inlines(self, request, obj):
        # A new user has no history yet (and the add form posts no inline to read).
        return [ClockChangeInline] if obj else []

    def save_model(self, request, obj, form, change):
        # A changed clock is recorded ("set by a mentor or admin") before the rest is
        # saved, in the admin's transaction, so the history never misses an edit.
        if change and any(name in form.changed_data for name in CLOCK_FIELDS):
            clock_set(
                obj,
                batch=obj.batch,
                entry_year=obj.entry_year,
                programme_years=obj.programme_years,
                kind=ClockChange.Kind.SET,
                changed_by=request.user,
            )
        super().save_model(request, obj, form, change)

    @admin.action(description="Record a repeated year (moves them to the next batch)")
    def record_a_repeated_year(self, request, queryset):
        """Each chosen student repeats a year (accounts.clock.clock_repeat_year): their
        batch moves on by one and the history says so, so pace stops counting the year
        against them. A student it cannot be done for (no batch) is named, and the
        others still move."""
        moved, refused = [], []
        for student in queryset:
            try:
                clock_repeat_year(student, changed_by=request.user)
            except ClockRefused as refusal:
                refused.append(f"{student}: {refusal}")
            else:
                moved.append(str(student))
        if moved:
            self.message_user(
                request, f"Recorded a repeated year for {len(moved)}: {', '.join(moved)}."
            )
        for line in refused:
            self.message_user(request, f"Not changed, {line}", level=messages.WARNING)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The outbox, to answer "did my digest go out?": read-only, since a mail is written
    by the code that queues it and changed only by the worker that sends it."""

    list_display = ["created_at", "recipient", "kind", "key", "state", "attempts", "sent_at"]
    list_filter = ["kind", "state"]
    search_fields = ["recipient__email", "key", "subject"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    fields = ["recipient", "kind", "key", "subject", "text", "state", "attempts", "error"]
    fields += ["created_at", "sent_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
