import random
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort, Membership
from roadmap.figures import AcademicClock, academic_year_start, study_point
from roadmap.models import (
    REVIEWED_KINDS,
    Enrollment,
    Item,
    Progress,
    ProgressEvent,
    Roadmap,
    Status,
)


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Time the mentor pages for a cohort of N students on the full ML roadmap with "
        "realistic progress. Everything is built inside a transaction and rolled back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=500)
        parser.add_argument("--runs", type=int, default=5, help="requests per page")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, students, runs, seed, **options):
        roadmap = Roadmap.objects.filter(slug=settings.WAYPOINT_DEFAULT_ROADMAP).first()
        if roadmap is None:
            raise CommandError("Load the guide first: manage.py load_guide")
        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        try:
            with transaction.atomic():
                started = time.perf_counter()
                cohort, mentor, rows = build_cohort(roadmap, students, random.Random(seed))
                self.stdout.write(
                    f"Built a cohort of {students} students with {rows} progress rows "
                    f"in {time.perf_counter() - started:.1f} s ({connection.vendor})."
                )
                self.measure(cohort, mentor, runs)
                raise Rollback
        except Rollback:
            self.stdout.write("Rolled back; the database is as it was.")

    def measure(self, cohort, mentor, runs):
        client = Client()
        client.force_login(mentor)
        pages = [
            ("cohort dashboard", reverse("cohorts:dashboard", args=[cohort.pk])),
            ("cohort grid", reverse("cohorts:grid", args=[cohort.pk])),
            ("cohort CSV export", reverse("cohorts:export", args=[cohort.pk])),
            ("review queue", reverse("cohorts:review_queue", args=[cohort.pk])),
        ]
        self.stdout.write(f"{'page':<20} {'queries':>7} {'median ms':>10} {'max ms':>8} {'KB':>7}")
        for name, url in pages:
            client.get(url)  # warm up
            timings = []
            for _ in range(runs):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            self.stdout.write(
                f"{name:<20} {len(queries):>7} {statistics.median(timings):>10.0f} "
                f"{max(timings):>8.0f} {len(response.content) / 1024:>7.0f}"
            )


def build_cohort(roadmap, size, rng, *, prefix="bench", full=False):
    """A mentor and a cohort of `size` students with progress that fits each one's year.

    Students have rows for the items due by now (and a few ahead); with `full`,
    for every item of the roadmap, the heaviest case for the pages.
    """
    today = timezone.localdate()
    now = timezone.now()
    mentor = User.objects.create_user(
        f"{prefix}-mentor@example.com", "unused-password", name="Bench Mentor", is_mentor=True
    )
    cohort = Cohort.objects.create(name=f"Benchmark cohort of {size} ({prefix})", roadmap=roadmap)
    cohort.mentors.add(mentor)
    start = academic_year_start(today)
    password = make_password(None)
    students = User.objects.bulk_create(
        User(
            email=f"{prefix}-{n}@example.com",
            name=f"Bench Student {n:04d}",
            batch=start - rng.randint(0, 3),
            password=password,
        )
        for n in range(size)
    )
    Membership.objects.bulk_create(Membership(cohort=cohort, student=s) for s in students)
    Enrollment.objects.bulk_create(Enrollment(student=s, roadmap=roadmap) for s in students)
    items = list(Item.objects.active().of_roadmap(roadmap).select_related("milestone__stage"))
    progress, events = [], []
    for student in students:
        term = study_point(AcademicClock.of(student), today).term
        diligence = rng.uniform(0.2, 1.0)
        for item in items:
            due = item.due_term <= term
            if not due and not full and rng.random() > 0.1:
                continue
            roll = rng.random()
            if not due and full:
                count, status = 0, Status.IN_PROGRESS if roll < 0.2 else Status.NOT_STARTED
            elif item.target_count:
                count = int(item.target_count * min(1.0, diligence * rng.uniform(0.5, 1.2)))
                status = Status.DONE if count >= item.target_count else Status.IN_PROGRESS
            elif roll < diligence:
                count, status = 0, Status.DONE
            elif roll < diligence + 0.1:
                count, status = 0, Status.IN_PROGRESS
            elif full:
                count, status = 0, Status.NOT_STARTED
            else:
                continue
            evidence = (
                f"https://github.com/bench-{student.pk}/{item.slug}"
                if item.kind in REVIEWED_KINDS and status == Status.DONE and rng.random() < 0.5
                else ""
            )
            progress.append(
                Progress(
                    student=student,
                    item=item,
                    status=status,
                    count=count,
                    evidence_url=evidence,
                    evidence_added_at=now if evidence else None,
                    version=1,
                )
            )
            events.append(
                ProgressEvent(
                    student=student,
                    item=item,
                    actor=student,
                    field="status",
                    from_status=Status.NOT_STARTED,
                    to_status=status,
                    count=count or None,
                    created_at=now - timedelta(days=rng.randint(0, 200)),
                )
            )
    Progress.objects.bulk_create(progress, batch_size=2000)
    ProgressEvent.objects.bulk_create(events, batch_size=2000)
    return cohort, mentor, len(progress)
