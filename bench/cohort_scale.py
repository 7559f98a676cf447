"""A 5,000-student cohort: the mentor's dashboard and CSV, and the weekly digest, timed.

    .venv/bin/python -m bench.cohort_scale                       # both databases
    .venv/bin/python -m bench.cohort_scale --db postgres --db-name wp_cohort_scale
    .venv/bin/python -m bench.cohort_scale --db sqlite --students 30 --repeat 2   # a quick look

For each database it fills a throwaway database as bench/load.py does (the guide, then
``manage.py seed_bench`` with one cohort of --students on the full ML roadmap, a progress
row for every student and item, one log entry each over the last 200 days), then, in a
process of its own with the production settings (bench.settings, DEBUG off), sends
through Django's test client with the mentor's session, a few times to warm up and then
--repeat times each:

- the cohort dashboard (``cohorts.views.cohort_dashboard``, a page of 100 students): the
  first page, a middle page (``?page=``) and the first page sorted by overall percent,
  highest first (``?sort=-overall``);
- the cohort's CSV export (``cohorts.views.cohort_export``), every student in one file.

Then it times the students' weekly digest for every student of the database as
bench/weekly_digest.py does (its ``measure``: a mentor's review for one student in ten,
building every digest, then the task as the scheduler starts it: build, render and queue).

It prints, per request, the queries it runs, the median and p95 milliseconds (and for the
CSV and the digest the seconds in all and per student), and each dashboard request against
issue 16's goal: a 5,000-student cohort (paged) under 300 ms median, PASS or MISS.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

if __name__ == "__main__" and not __package__:
    sys.exit("Run it as a module: .venv/bin/python -m bench.cohort_scale")

# After the check: run as a file, bench is not importable.
from bench import load, weekly_digest

DEFAULT_STUDENTS = 5_000
GOAL_MS = 300  # issue 16: a 5,000-student cohort (paged) under 300 ms, the median request
DASHBOARD = "cohort dashboard"
CSV_EXPORT = "cohort CSV export"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--students", type=int, default=DEFAULT_STUDENTS, help="the cohort's size")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument("--db-name", default=f"waypoint_cohort_scale_{os.getpid()}")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child: the plan's path
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.repeat)
        return
    load.VAR.mkdir(exist_ok=True)
    results = [
        run_database(db, args)
        for db in (["sqlite", "postgres"] if args.db == "both" else [args.db])
    ]
    for result in results:
        print()
        print(markdown(result))


def run_database(db, args):
    print(f"\n== {db}", flush=True)
    before = load.load_average()
    started = time.perf_counter()
    with load.throwaway_database(db, args.db_name) as database_url:
        env = {
            **load.server_env(database_url, workers=1),
            # As bench/weekly_digest.py: mail on, as in production with a relay; no worker
            # runs, so nothing is sent.
            "DJANGO_EMAIL_HOST": "smtp.invalid",
            "WAYPOINT_BASE_URL": "https://waypoint.example",
        }
        plan = load.VAR / f"bench-cohort-scale-plan-{db}.json"
        load.prepare(
            env,
            plan,
            *("--students", str(args.students), "--cohort-size", str(args.students)),
            *("--signed-in", "0"),
        )
        seeded = time.perf_counter() - started
        out = load.VAR / f"bench-cohort-scale-{db}.json"
        command = [sys.executable, "-m", "bench.cohort_scale", "--measure", str(plan)]
        command += ["--repeat", str(args.repeat)]
        subprocess.run(
            command, cwd=load.BASE_DIR, env={**env, "COHORT_SCALE_OUT": str(out)}, check=True
        )
    result = json.loads(out.read_text())
    result.update(db=db, seeded_seconds=seeded, load_average=(before, load.load_average()))
    return result


def measure(plan_path, repeat):
    """In the seeded database (DATABASE_URL): time each request, then the digest; the
    figures to COHORT_SCALE_OUT."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import resolve, reverse

    from cohorts.views import STUDENTS_PAGE
    from roadmap.models import Progress

    with open(plan_path) as plan_file:
        plan = json.load(plan_file)
    students = plan["cohort_size"]
    browser = Client(HTTP_HOST="127.0.0.1")
    browser.cookies[settings.SESSION_COOKIE_NAME] = plan["mentor_session"]
    dashboard = plan["cohort_dashboard"]
    export = reverse("cohorts:export", kwargs=resolve(dashboard).kwargs)
    middle = max(1, math.ceil(students / STUDENTS_PAGE) // 2)
    requests = [
        (DASHBOARD, "first page", dashboard),
        (DASHBOARD, f"page {middle}", f"{dashboard}?page={middle}"),
        (DASHBOARD, "sorted by overall, highest first", f"{dashboard}?sort=-overall"),
        (CSV_EXPORT, "every student", export),
    ]
    rows = []
    for name, what, url in requests:
        for _ in range(2):  # templates compiled, caches filled, connection open
            response = check(name, browser.get(url))
        with CaptureQueriesContext(connection) as queries:
            check(name, browser.get(url))
        # Now: the next request's start empties the log that ``queries`` reads.
        count = len(queries.captured_queries)
        timings = []
        for _ in range(repeat):  # timed without the query log, as production runs
            started = time.perf_counter()
            response = check(name, browser.get(url))
            timings.append((time.perf_counter() - started) * 1000)
        row = {
            "name": name,
            "what": what,
            "url": url,
            "queries": count,
            "median_ms": statistics.median(timings),
            "p95_ms": p95(timings),
            "kb": len(response.content) / 1024,
        }
        rows.append(row)
        print(
            f"{name}, {what}: {row['queries']} queries, median {row['median_ms']:.1f} ms, "
            f"p95 {row['p95_ms']:.1f} ms, {row['kb']:.0f} KB",
            flush=True,
        )
    result = {
        "students": students,
        "progress_rows": Progress.objects.count(),
        "vendor": connection.vendor,
        "repeat": repeat,
        "rows": rows,
    }
    out = os.environ["COHORT_SCALE_OUT"]
    digest_out = f"{out}.digest"
    weekly_digest.measure(digest_out)
    with open(digest_out) as digest_file:
        result["digest"] = json.load(digest_file)
    with open(out, "w") as out_file:
        json.dump(result, out_file)


def check(name, response):
    """Only a 200 is an answer; a redirect to sign-in or a refusal is not."""
    if response.status_code != 200:
        raise SystemExit(f"{name}: answered {response.status_code}, not 200")
    return response


def p95(timings):
    """The 95th percentile (nearest rank) of a list of numbers."""
    ordered = sorted(timings)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def goal_line(row):
    """A dashboard request's median against GOAL_MS: "PASS: 212.0 ms, 88.0 ms to spare"."""
    margin = GOAL_MS - row["median_ms"]
    verdict, how = ("PASS", "to spare") if margin >= 0 else ("MISS", "over")
    return f"{verdict}: {row['median_ms']:.1f} ms, {abs(margin):.1f} ms {how}"


def markdown(result):
    students = result["students"]
    out = [
        f"### {result['db']}: a cohort of {students:,} students, "
        f"{result['progress_rows']:,} progress rows, {os.cpu_count()} cores\n",
        "Load average (1, 5, 15 min) before the run: {}; after: {}. Seeded in {:.0f} s; "
        "{} timed requests each.\n".format(
            *result["load_average"], result["seeded_seconds"], result["repeat"]
        ),
        "| request | queries | median ms | p95 ms | KB | s per request | ms per student "
        f"| goal: paged < {GOAL_MS} ms |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in result["rows"]:
        paged = row["name"] == DASHBOARD
        out.append(
            f"| {row['name']}, {row['what']} | {row['queries']} | {row['median_ms']:.1f} "
            f"| {row['p95_ms']:.1f} | {row['kb']:.0f} | {row['median_ms'] / 1000:.2f} "
            f"| {row['median_ms'] / students:.3f} | {goal_line(row) if paged else '–'} |"
        )
    digest = result["digest"]
    queued = max(digest["queued"], 1)
    out += [
        "",
        "| weekly digest | students | s | ms per student | queries per batch |",
        "|---|---:|---:|---:|---:|",
        f"| build only | {digest['students']:,} | {digest['build_seconds']:.1f} "
        f"| {1000 * digest['build_seconds'] / max(digest['students'], 1):.2f} | – |",
        f"| build, render and queue | {digest['queued']:,} | {digest['task_seconds']:.1f} "
        f"| {1000 * digest['task_seconds'] / queued:.2f} "
        f"| {'–'.join(map(str, digest['queries_per_batch']))} |",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    main()
