"""Fill a database for the load benchmark (bench/load.py) and hand out sessions.

Builds cohorts of students on the full ML roadmap with a progress row for every
student and item, signs in a sample of them and their mentor, and writes what
the load generator needs (session cookies, URLs, item ids) to a JSON file.
Meant for a throwaway database: it refuses one that already has users.
"""

import json
import random
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse

from accounts.models import User
from roadmap.models import REVIEWED_KINDS, Item, Progress, Roadmap, Status, Verification
from roadmap.portfolio import done_progress, portfolio_of, portfolio_update
from roadmap.services import progress_set, review_evidence

from .bench_cohort import build_cohort


class Command(BaseCommand):
    help = "Fill a throwaway database with cohorts for the load benchmark; write sessions to PATH."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--students", type=int, default=1000)
        parser.add_argument("--cohort-size", type=int, default=500)
        parser.add_argument("--signed-in", type=int, default=50, help="students given a session")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, path, students, cohort_size, signed_in, seed, **options):
        roadmap = Roadmap.objects.filter(slug=settings.WAYPOINT_DEFAULT_ROADMAP).first()
        if roadmap is None:
            raise CommandError("Load the guide first: manage.py load_guide")
        if User.objects.exists():
            raise CommandError("This database has users already; use an empty one.")
        rng = random.Random(seed)
        started = time.perf_counter()
        cohorts = []
        with transaction.atomic():
            for n, size in enumerate(_sizes(students, cohort_size)):
                cohorts.append(build_cohort(roadmap, size, rng, prefix=f"load{n}", full=True))
        # Planner statistics, as a live database has them (autovacuum, or SQLite's ANALYZE).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            f"{students} students in {len(cohorts)} cohorts, "
            f"{Progress.objects.count():,} progress rows, "
            f"in {time.perf_counter() - started:.0f} s."
        )
        cohort, mentor, _ = cohorts[0]
        toggles = list(
            Item.objects.active()
            .of_roadmap(roadmap)
            .filter(target_count__isnull=True)
            .values_list("pk", flat=True)
        )
        students_made = list(User.objects.filter(is_mentor=False))
        sample = rng.sample(students_made, min(signed_in, len(students_made)))
        portfolio, verification = _public_portfolio(mentor, cohort)
        plan = {
            "roadmap": roadmap.slug,
            "portfolio": portfolio.get_absolute_url(),
            "verification": reverse(
                "roadmap:verification", args=[portfolio.name, verification.token]
            ),
            "checklist": reverse("roadmap:checklist", args=[roadmap.slug]),
            "dashboard": reverse("roadmap:dashboard", args=[roadmap.slug]),
            "cohort_dashboard": reverse("cohorts:dashboard", args=[cohort.pk]),
            "cohort_size": cohort.memberships.count(),
            "mentor_session": _session(mentor),
            "student_sessions": [_session(student) for student in sample],
            "progress_urls": [reverse("roadmap:item_progress", args=[pk]) for pk in toggles],
            "progress_rows": Progress.objects.count(),
            "students": students,
        }
        path.write_text(json.dumps(plan, indent=1))
        self.stdout.write(self.style.SUCCESS(f"Sessions and URLs written to {path}."))


def _public_portfolio(mentor, cohort):
    """Turn on the public page of ``cohort``'s student with the most done items, showing
    up to 20 of them with each project and certification verified by ``mentor`` (one is
    marked done first if none is), as a busy student's page would be.
    Returns (portfolio, one of its verifications)."""
    student = (
        cohort.students.annotate(done=Count("progress", filter=Q(progress__status=Status.DONE)))
        .order_by("-done", "pk")
        .first()
    )
    done = list(done_progress(student))
    reviewed = [row for row in done if row.item.kind in REVIEWED_KINDS]
    if not reviewed:
        project = Item.objects.of_roadmap(cohort.roadmap).filter(kind__in=REVIEWED_KINDS).first()
        if project is None:
            raise CommandError("The roadmap has no project or certification to verify.")
        reviewed = [progress_set(student=student, item=project, status=Status.DONE)]
    shown = reviewed[:8] + [row for row in done if row.item.kind not in REVIEWED_KINDS][:12]
    for row in reviewed[:8]:
        if not row.evidence_url:
            row = progress_set(
                student=student, item=row.item, evidence_url=f"https://github.com/x/{row.pk}"
            )
        if row.verified_at is None:
            review_evidence(mentor=mentor, progress=row, verified=True, verified_in=cohort.name)
    portfolio = portfolio_update(
        portfolio_of(student),
        name="bench-student",
        items={row.item_id for row in shown},
        is_public=True,
        headline="Third-year B.Tech CSE student building deployed machine learning projects",
        github_url="https://github.com/bench-student",
        linkedin_url="https://www.linkedin.com/in/bench-student",
    )
    return portfolio, Verification.objects.filter(progress__student=student).first()


def _sizes(total, per_cohort):
    while total > 0:
        yield min(total, per_cohort)
        total -= per_cohort


def _session(user):
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value
