"""The weekly student digest for 10,000 students, timed on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.weekly_digest                   # both databases, about 20 minutes
    .venv/bin/python -m bench.weekly_digest --db sqlite --students 2000

For each database it fills a throwaway database as bench/load.py does (the guide, then
``manage.py seed_bench``: cohorts of 500 on the full ML roadmap, a progress row for every
student and item, one log entry each over the last 200 days), adds a mentor's review
this week for one student in ten, and then, in a process of its own with the production
settings:

- builds every digest (``roadmap.digest.student_digests``, batch by batch): the queries
  and the progress maths, no mail;
- runs ``roadmap.tasks.weekly_student_digests`` as the scheduler would: reads the
  students 500 at a time, builds, renders (plain text and HTML) and queues each digest
  in the outbox, with the task that sends each batch. Nothing is sent: SMTP is not part
  of the figure;
- runs it a second time in the same week, which must queue nothing.

It prints the total seconds, milliseconds per student, and the queries each batch ran.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import timedelta

from bench import load

DEFAULT_STUDENTS = 10_000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--students", type=int, default=DEFAULT_STUDENTS)
    parser.add_argument("--db-name", default=f"waypoint_digest_{os.getpid()}")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child: results to this path
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    load.VAR.mkdir(exist_ok=True)
    print(f"Machine: {os.cpu_count()} cores.")
    results = {}
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        with load.throwaway_database(db, args.db_name) as database_url:
            results[db] = run_database(db, database_url, args.students)
    print()
    print(markdown(results))


def run_database(db, database_url, students):
    print(f"\n== {db}", flush=True)
    env = {
        **load.server_env(database_url, workers=1),
        # Mail on, as in production with a relay; no worker runs, so nothing is sent.
        "DJANGO_EMAIL_HOST": "smtp.invalid",
        "WAYPOINT_BASE_URL": "https://waypoint.example",
    }
    started = time.perf_counter()
    load.manage(env, "migrate", "--no-input", "--verbosity", "0")
    load.manage(env, "load_guide")
    plan = load.VAR / f"bench-digest-plan-{db}.json"
    load.manage(env, "seed_bench", str(plan), "--students", str(students), "--signed-in", "0")
    print(f"Seeded in {time.perf_counter() - started:.0f} s.", flush=True)
    out = load.VAR / f"bench-digest-{db}.json"
    before = load.load_average()
    subprocess.run(
        [sys.executable, "-m", "bench.weekly_digest", "--measure", str(out)],
        cwd=load.BASE_DIR,
        env=env,
        check=True,
    )
    return {**json.loads(out.read_text()), "load_average": (before, load.load_average())}


def measure(out_path):
    """In the seeded database (DATABASE_URL): time the digest and write the figures."""
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import Delivery
    from roadmap import tasks
    from roadmap.digest import Outlines, digest_recipients, student_digests
    from roadmap.models import Progress, ProgressEvent

    reviews = add_reviews()
    today, now = timezone.localdate(), timezone.now()
    recipients = digest_recipients().count()
    week = ProgressEvent.objects.filter(created_at__gte=now - timedelta(days=7))
    result = {
        "students": recipients,
        "progress_rows": Progress.objects.count(),
        "events_this_week": week.count(),
        "reviews": reviews,
        "batch": tasks.DIGEST_BATCH,
        "vendor": connection.vendor,
    }
    print(
        f"{recipients:,} students to mail, {result['progress_rows']:,} progress rows, "
        f"{result['events_this_week']:,} events this week ({reviews:,} mentors' reviews).",
        flush=True,
    )

    # Building only: the batches' queries and figures, no templates, no outbox.
    outlines = Outlines()
    started = time.perf_counter()
    built = 0
    for batch in tasks._batches(digest_recipients(), tasks.DIGEST_BATCH):
        built += len(student_digests(batch, today=today, now=now, outlines=outlines))
    result["build_seconds"] = time.perf_counter() - started
    print(f"Built {built:,} digests in {result['build_seconds']:.1f} s.", flush=True)

    # The task as the scheduler starts it, with the queries of each batch counted.
    per_batch = []
    batches = tasks._batches

    def counted(students, size):
        for batch in batches(students, size):
            before = len(queries.captured_queries)
            yield batch
            per_batch.append(len(queries.captured_queries) - before)

    tasks._batches = counted
    try:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            queued = tasks.weekly_student_digests.call()
            result["task_seconds"] = time.perf_counter() - started
    finally:
        tasks._batches = batches
    result["queued"] = queued
    result["queries"] = len(queries.captured_queries)
    # The students' read of each batch happens before it is handed on: count it in. On
    # SQLite, BEGIN IMMEDIATE and COMMIT are statements too; on PostgreSQL they are not.
    result["queries_per_batch"] = sorted({n + 1 for n in per_batch})
    result["batches"] = len(per_batch)
    print(
        f"Queued {queued:,} digests in {result['task_seconds']:.1f} s, "
        f"{len(queries.captured_queries)} queries for {len(per_batch)} batches "
        f"({', '.join(map(str, result['queries_per_batch']))} per batch).",
        flush=True,
    )
    sizes = [len(d.text) + len(d.html) for d in Delivery.objects.only("text", "html")[:200]]
    result["mail_kb"] = sum(sizes) / len(sizes) / 1024 if sizes else 0

    started = time.perf_counter()
    result["again_queued"] = tasks.weekly_student_digests.call()
    result["again_seconds"] = time.perf_counter() - started
    print(
        f"Run again: {result['again_queued']} queued in {result['again_seconds']:.2f} s.",
        flush=True,
    )
    with open(out_path, "w") as out:
        json.dump(result, out)


def add_reviews(share=10) -> int:
    """A mentor's review this week for one student in ``share`` with evidence: verified or
    sent back, logged as ``review_evidence`` logs it; returns how many."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from roadmap.models import Progress, ProgressEvent

    mentor = User.objects.filter(is_mentor=True).order_by("pk").first()
    now = timezone.now()
    rows = list(
        Progress.objects.exclude(evidence_url="")
        .order_by("student_id", "pk")
        .values_list("pk", "student_id", "item_id", "status")
    )
    chosen, seen = [], set()
    for pk, student_id, item_id, status in rows:
        if student_id % share == 0 and student_id not in seen:
            seen.add(student_id)
            chosen.append((pk, student_id, item_id, status))
    with transaction.atomic():
        verified = [pk for n, (pk, *_) in enumerate(chosen) if n % 2 == 0]
        sent_back = [pk for n, (pk, *_) in enumerate(chosen) if n % 2 == 1]
        Progress.objects.filter(pk__in=verified).update(verified_by=mentor, verified_at=now)
        Progress.objects.filter(pk__in=sent_back).update(review_comment="Add a README.")
        ProgressEvent.objects.bulk_create(
            ProgressEvent(
                student_id=student_id,
                item_id=item_id,
                actor=mentor,
                field=ProgressEvent.Field.VERIFICATION,
                from_status=status,
                to_status=status,
                created_at=now,
            )
            for _, student_id, item_id, status in chosen
        )
    return len(chosen)


def markdown(results):
    out = [
        "| database | students | progress rows | events this week | build s | build + render "
        "+ queue s | ms per student | queries per batch (500) | mail KB | second run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for db, r in results.items():
        out.append(
            f"| {db} | {r['students']:,} | {r['progress_rows']:,} | {r['events_this_week']:,} "
            f"| {r['build_seconds']:.1f} | {r['task_seconds']:.1f} "
            f"| {1000 * r['task_seconds'] / max(r['queued'], 1):.2f} "
            f"| {'–'.join(map(str, r['queries_per_batch']))} | {r['mail_kb']:.1f} "
            f"| {r['again_queued']} queued, {r['again_seconds']:.2f} s |"
        )
    for db, r in results.items():
        if "load_average" in r:
            out.append(
                f"\n{db}: load average (1, 5, 15 min) before {r['load_average'][0]}; "
                f"after {r['load_average'][1]}."
            )
    return "\n".join(out)


if __name__ == "__main__":
    main()
