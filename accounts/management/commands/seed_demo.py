import random
from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from roadmap.models import Item, Progress, ProgressEvent, Status
from roadmap.progress import due_term, study_point
from roadmap.services import follow_default_roadmap, progress_set

DEMO_PASSWORD = "waypoint-demo-2026"


def academic_year_start(today: date) -> int:
    """The calendar year in which the current academic year began."""
    if today.month >= settings.WAYPOINT_ACADEMIC_YEAR_START_MONTH:
        return today.year
    return today.year - 1


def demo_accounts(today: date) -> list[dict]:
    start = academic_year_start(today)
    return [
        {
            "email": "admin@example.com",
            "name": "Demo Admin",
            "is_staff": True,
            "is_superuser": True,
        },
        {"email": "mentor@example.com", "name": "Dr. Meera Iyer"},
        # A second-year and a third-year student, whatever year the demo runs in.
        {"email": "asha@example.com", "name": "Asha Verma", "batch": start - 1, "diligence": 0.9},
        {"email": "rahul@example.com", "name": "Rahul Nair", "batch": start - 2, "diligence": 0.5},
    ]


class Command(BaseCommand):
    help = "Create the demo accounts (an admin, a mentor, two students). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Create them even with DEBUG off. Never on a real server: the password is public.",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo accounts with a public password while DEBUG is off. "
                "Use --force only on a throwaway instance."
            )
        for fields in demo_accounts(date.today()):
            email = fields.pop("email")
            diligence = fields.pop("diligence", None)
            user, created = User.objects.get_or_create(email=email, defaults=fields)
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            if diligence is not None and not Progress.objects.filter(student=user).exists():
                seed_progress(user, diligence, seed=email)
            role = "admin" if user.is_superuser else ("student" if user.batch else "mentor")
            state = "created" if created else "already there, left as it was"
            self.stdout.write(f"  {role:<8} {email:<22} {state}")
        self.stdout.write(
            self.style.SUCCESS(f"Demo accounts ready. Password for each: {DEMO_PASSWORD}")
        )


def seed_progress(student, diligence: float, *, seed: str) -> None:
    """Give a demo student a believable history: most items due by now done (as many
    as ``diligence`` says), a few under way, spread over the past months."""
    enrollment = follow_default_roadmap(student)
    if enrollment is None:
        return
    rng = random.Random(seed)
    today = timezone.localdate()
    point = study_point(student.batch, today)
    items = Item.objects.active().of_roadmap(enrollment.roadmap).select_related("milestone__stage")
    for item in items:
        due = due_term(item) <= point.term
        if item.target_count:
            share = diligence if due else diligence / 3
            progress_set(student=student, item=item, count=int(item.target_count * share))
        elif due and rng.random() < diligence:
            progress_set(student=student, item=item, status=Status.DONE)
        elif rng.random() < 0.15:
            progress_set(student=student, item=item, status=Status.IN_PROGRESS)
    # Spread the history over the past ten months, so the activity heatmap has a shape.
    now = timezone.now()
    for event in ProgressEvent.objects.filter(student=student):
        event.created_at = now - timedelta(days=rng.randint(0, 300), hours=rng.randint(0, 12))
        event.save(update_fields=["created_at"])
