from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User

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
        {"email": "asha@example.com", "name": "Asha Verma", "batch": start - 1},
        {"email": "rahul@example.com", "name": "Rahul Nair", "batch": start - 2},
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
            user, created = User.objects.get_or_create(email=email, defaults=fields)
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            role = "admin" if user.is_superuser else ("student" if user.batch else "mentor")
            state = "created" if created else "already there, left as it was"
            self.stdout.write(f"  {role:<8} {email:<22} {state}")
        self.stdout.write(
            self.style.SUCCESS(f"Demo accounts ready. Password for each: {DEMO_PASSWORD}")
        )
