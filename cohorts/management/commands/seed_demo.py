import random
from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.text import slugify

from accounts.adapter import set_email_verified
from accounts.models import User
from cohorts.models import Cohort, Membership
from roadmap.figures import AcademicClock, academic_year_start, study_point
from roadmap.models import REVIEWED_KINDS, Item, Kind, Portfolio, Progress, ProgressEvent, Status
from roadmap.portfolio import done_progress, is_suggested, portfolio_of, portfolio_update
from roadmap.services import follow_default_roadmap, progress_set, review_evidence

DEMO_PASSWORD = "waypoint-demo-2026"
DEMO_COHORT = "CSE ML club (demo)"

# Cohort students beyond Asha and Rahul: (name, years since admission, diligence,
# days since their last change). Diligence is the share of due items done.
CLASSMATES = [
    ("Priya Sharma", 1, 0.95, 1),
    ("Arjun Reddy", 1, 0.6, 3),
    ("Kavya Menon", 1, 0.3, 25),
    ("Rohan Gupta", 1, 0.8, 2),
    ("Sneha Patil", 2, 0.85, 5),
    ("Vikram Singh", 2, 0.4, 40),
    ("Ananya Iyer", 2, 0.7, 1),
    ("Karthik Rao", 0, 0.9, 0),
    ("Meghna Das", 0, 0.5, 9),
    ("Farhan Sheikh", 2, 0.2, 60),
]


def demo_accounts(today: date) -> list[dict]:
    start = academic_year_start(today)
    students = [
        # A second-year and a third-year student, whatever year the demo runs in.
        ("asha@example.com", "Asha Verma", 1, 0.9, 2),
        ("rahul@example.com", "Rahul Nair", 2, 0.5, 4),
    ] + [
        (f"{name.split()[0].lower()}@example.com", name, years, diligence, quiet)
        for name, years, diligence, quiet in CLASSMATES
    ]
    return [
        {
            "email": "admin@example.com",
            "name": "Demo Admin",
            "is_staff": True,
            "is_superuser": True,
        },
        {"email": "mentor@example.com", "name": "Dr. Meera Iyer", "is_mentor": True},
    ] + [
        {
            "email": email,
            "name": name,
            "batch": start - years,
            "demo": {"diligence": diligence, "quiet_days": quiet},
        }
        for email, name, years, diligence, quiet in students
    ]


class Command(BaseCommand):
    help = (
        "Create the demo accounts (an admin, a mentor, students with progress) and the "
        "mentor's demo cohort. Safe to run again: what exists is left as it is."
    )

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
        students = []
        mentor = None
        for fields in demo_accounts(date.today()):
            email = fields.pop("email")
            demo = fields.pop("demo", None)
            user, created = User.objects.get_or_create(email=email, defaults=fields)
            set_email_verified(user)
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            if demo is None:
                mentor = mentor or (user if user.is_mentor else None)
                role = "admin" if user.is_superuser else "mentor"
                state = "created" if created else "already there, left as it was"
                self.stdout.write(f"  {role:<8} {email:<22} {state}")
                continue
            students.append(user)
            if not Progress.objects.filter(student=user).exists():
                seed_progress(user, seed=email, **demo)
            if email in ("asha@example.com", "rahul@example.com"):
                state = "created" if created else "already there, left as it was"
                self.stdout.write(f"  student  {email:<22} {state}")
        cohort = seed_cohort(mentor, students)
        if cohort:
            self.stdout.write(
                f"  cohort   {cohort.name!r} of {cohort.memberships.count()} students, "
                f"mentored by {mentor.email}"
            )
            portfolio = seed_portfolio(students[0], mentor, cohort)
            if portfolio:
                self.stdout.write(
                    f"  page     {portfolio.get_absolute_url()} ({students[0].email})"
                )
        self.stdout.write(
            self.style.SUCCESS(f"Demo accounts ready. Password for each: {DEMO_PASSWORD}")
        )


def seed_cohort(mentor, students):
    enrollment = students[0].enrollments.select_related("roadmap").first() if students else None
    if mentor is None or enrollment is None:
        return None
    cohort, created = Cohort.objects.get_or_create(
        name=DEMO_COHORT, defaults={"roadmap": enrollment.roadmap}
    )
    if created:
        cohort.mentors.add(mentor)
        Membership.objects.bulk_create([Membership(cohort=cohort, student=s) for s in students])
    return cohort


def seed_portfolio(student, mentor, cohort):
    """Asha's public page, once: her first project done, with evidence her mentor
    verified, shown beside the other done work she has evidence for. None when she
    already has one, or the roadmap has no project."""
    if Portfolio.objects.filter(student=student).exists():
        return None
    project = (
        Item.objects.of_roadmap(cohort.roadmap).filter(kind=Kind.PROJECT, optional=False).first()
    )
    if project is None:
        return None
    handle = student.email.split("@")[0]
    evidence = progress_set(
        student=student,
        item=project,
        status=Status.DONE,
        evidence_url=f"https://github.com/{handle}/{project.slug}",
    )
    if evidence.verified_at is None:
        review_evidence(mentor=mentor, progress=evidence, verified=True, verified_in=cohort.name)
    portfolio = portfolio_of(student)
    chosen = [row.item_id for row in done_progress(student) if is_suggested(row)]
    return portfolio_update(
        portfolio,
        name=slugify(student.name),
        items=chosen,
        is_public=True,
        headline="B.Tech CSE student building machine learning projects that are deployed",
        github_url=f"https://github.com/{handle}",
    )


def seed_progress(student, *, diligence: float, quiet_days: int, seed: str) -> None:
    """Give a demo student a believable history: as many due items done as
    ``diligence`` says, a few under way, some project evidence, spread over the
    months before their last change ``quiet_days`` ago."""
    enrollment = follow_default_roadmap(student)
    if enrollment is None:
        return
    rng = random.Random(seed)
    point = study_point(AcademicClock.of(student), timezone.localdate())
    items = Item.objects.active().of_roadmap(enrollment.roadmap).select_related("milestone__stage")
    for item in items:
        due = item.due_term <= point.term
        if item.target_count:
            share = diligence if due else diligence / 3
            if share and point.started:
                progress_set(student=student, item=item, count=int(item.target_count * share))
        elif due and rng.random() < diligence:
            progress_set(student=student, item=item, status=Status.DONE)
            if item.kind in REVIEWED_KINDS and rng.random() < 0.7:
                handle = student.email.split("@")[0]
                progress_set(
                    student=student,
                    item=item,
                    evidence_url=f"https://github.com/{handle}/{item.slug}",
                )
        elif rng.random() < 0.15 * diligence:
            progress_set(student=student, item=item, status=Status.IN_PROGRESS)
    now = timezone.now()
    for event in ProgressEvent.objects.filter(student=student):
        event.created_at = now - timedelta(
            days=rng.randint(quiet_days, quiet_days + 280), hours=rng.randint(0, 12)
        )
        event.save(update_fields=["created_at"])
    for progress in Progress.objects.filter(student=student).exclude(evidence_url=""):
        added = (
            ProgressEvent.objects.filter(student=student, item=progress.item, field="evidence")
            .values_list("created_at", flat=True)
            .first()
        )
        Progress.objects.filter(pk=progress.pk).update(evidence_added_at=added)
    # The most recent change happened exactly quiet_days ago.
    latest = ProgressEvent.objects.filter(student=student).order_by("-created_at").first()
    if latest:
        latest.created_at = now - timedelta(days=quiet_days, hours=1)
        latest.save(update_fields=["created_at"])
