"""Where a hot path's time goes: pyinstrument over each, in-process, by kind of work.

    .venv/bin/python -m bench.hot_paths                       # SQLite, 500 students, about 3 min
    .venv/bin/python -m bench.hot_paths --db postgres --db-name wp_profile
    .venv/bin/python -m bench.hot_paths --html var/profile    # and each profile as HTML

It fills a throwaway database as bench/load.py does (the guide, then ``manage.py
seed_bench`` with one cohort of --students on the full ML roadmap and a progress row for
every student and item), then, in a process of its own with the production settings
(bench.settings, DEBUG off), sends each hot path through Django's test client with a
signed-in student's session (the mentor's for the cohort) and the CSRF token the
checklist sends, a few times unprofiled to warm up, then --repeat times under
pyinstrument:

- the checklist page and the student dashboard (GET);
- the status change: the checklist's htmx POST, ``done`` then back to ``in_progress``;
- the cohort dashboard of --students students (GET; a tenth of --repeat);
- the two floors of bench/load.py, for comparison: the read floor (GET) and the write
  floor (the same POSTs as the status change).

Each is first timed unprofiled (``--repeat`` requests), as the profiler's hooks slow down
code that makes many small calls (templates, the ORM) more than code that does not.

Each sample's stack is put in one bucket (``bucket_of``): database queries (the driver
and Django's backend around it), the ORM (querysets, SQL compiling, model instances),
templates, the progress maths (roadmap/figures.py, cohorts/overview.py) and the rest
(middleware, views, URL routing, sessions' own Python, gzip). The innermost frame that
belongs to a bucket decides: a query run from a template is a query, maths called from a
template is maths. Run it with ``-m``, as the commands above do.
"""

import argparse
import json
import os
import subprocess
import sys
import time

if __name__ == "__main__" and not __package__:
    sys.exit("Run it as a module: .venv/bin/python -m bench.hot_paths")

# After the check: run as a file, bench is not importable.
from bench import load

BUCKETS = ["queries", "ORM", "templates", "maths", "middleware/other"]

# (bucket, what a frame's file path contains), tried in this order for each frame.
FILE_BUCKETS = [
    ("queries", "/django/db/backends/"),
    ("queries", "/psycopg/"),
    ("queries", "/psycopg_pool/"),
    ("queries", "/sqlite3/"),
    ("ORM", "/django/db/"),
    ("templates", "/django/template/"),
    ("templates", "/django/templatetags/"),
    ("templates", "/templatetags/"),
    ("maths", "/roadmap/figures.py"),
    ("maths", "/cohorts/overview.py"),
]

PATHS = [
    "read floor",
    "write floor",
    "checklist page",
    "student dashboard",
    "status change (htmx POST)",
    "cohort dashboard",
]


def frame_file(identifier):
    """The file path of a pyinstrument frame identifier ("function\\x00path\\x00line...")."""
    parts = identifier.split("\x00")
    return parts[1] if len(parts) > 1 else ""


def bucket_of(stack):
    """The bucket (one of BUCKETS) of one sample: its stack of frame identifiers, outermost
    first. The innermost frame whose file belongs to a bucket decides; "middleware/other"
    when none does."""
    for identifier in reversed(stack):
        path = frame_file(identifier)
        for bucket, part in FILE_BUCKETS:
            if part in path:
                return bucket
    return "middleware/other"


def breakdown(frame_records):
    """Seconds per bucket of a pyinstrument session's ``frame_records`` ([(stack, seconds)]):
    a dict with every one of BUCKETS, in that order."""
    seconds = dict.fromkeys(BUCKETS, 0.0)
    for stack, duration in frame_records:
        seconds[bucket_of(stack)] += duration
    return seconds


def breakdown_markdown(rows):
    """A Markdown table of rows (dicts: path, requests, unprofiled_seconds, seconds (by
    bucket, a dict) and total_seconds, profiled): ms per request unprofiled and profiled,
    then each bucket's share of the profiled time and its ms per request in it."""
    out = [
        "| hot path | ms per request | profiled | "
        + " | ".join(BUCKETS)
        + " |\n|---|---:|---:|"
        + "---:|" * len(BUCKETS)
    ]
    for row in rows:
        total = sum(row["seconds"].values()) or 1.0
        per_request = 1000 / row["requests"]
        cells = [
            f"{row['seconds'][bucket] / total:.0%} ({row['seconds'][bucket] * per_request:.1f})"
            for bucket in BUCKETS
        ]
        out.append(
            f"| {row['path']} | {row['unprofiled_seconds'] * per_request:.1f} "
            f"| {row['total_seconds'] * per_request:.1f} | " + " | ".join(cells) + " |"
        )
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--students", type=int, default=500, help="the cohort's size")
    parser.add_argument("--repeat", type=int, default=40, help="profiled requests per page")
    parser.add_argument("--db-name", default=f"waypoint_profile_{os.getpid()}")
    parser.add_argument("--html", help="a folder for each profile as pyinstrument's HTML")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child: the plan's path
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.repeat, args.html)
        return
    load.VAR.mkdir(exist_ok=True)
    before = load.load_average()
    with load.throwaway_database(args.db, args.db_name) as database_url:
        env = load.server_env(database_url, workers=1)
        plan = load.VAR / f"bench-profile-plan-{args.db}.json"
        load.prepare(
            env,
            plan,
            *("--students", str(args.students), "--cohort-size", str(args.students)),
            *("--signed-in", "5"),
        )
        out = load.VAR / f"bench-profile-{args.db}.json"
        command = [sys.executable, "-m", "bench.hot_paths", "--measure", str(plan)]
        command += ["--repeat", str(args.repeat), *(["--html", args.html] if args.html else [])]
        subprocess.run(command, cwd=load.BASE_DIR, env={**env, "PROFILE_OUT": str(out)}, check=True)
    rows = json.loads(out.read_text())
    print(
        f"\n{args.db}, a cohort of {args.students} students, {os.cpu_count()} cores; load "
        f"average before {before}, after {load.load_average()}.\n"
    )
    print(breakdown_markdown(rows))


def measure(plan_path, repeat, html_dir):
    """In the seeded database (DATABASE_URL): profile each of PATHS; the rows to PROFILE_OUT."""
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from pyinstrument import Profiler

    with open(plan_path) as plan_file:
        plan = json.load(plan_file)
    student, mentor = plan["student_sessions"][0], plan["mentor_session"]
    toggles = plan["progress_urls"]

    def client(session):
        browser = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
        browser.cookies[settings.SESSION_COOKIE_NAME] = session
        browser.cookies[settings.CSRF_COOKIE_NAME] = load.CSRF
        return browser

    def page(session, url):
        browser = client(session)

        def get(n):
            return browser.get(url)

        return get

    def posts(urls):
        browser = client(student)

        def post(n):
            # Each item set done, then back: every request changes a row, as the soak's do.
            status = "in_progress" if n % 2 else "done"
            return browser.post(
                urls[(n // 2) % len(urls)],
                f"status={status}",
                content_type="application/x-www-form-urlencoded",
                headers={"X-CSRFToken": load.CSRF, "HX-Request": "true"},
            )

        return post

    floor_urls = [
        line[1] for line in load.write_floor_lines([("POST", u, "", "") for u in toggles])
    ]
    requests = {
        "read floor": (page(student, "/bench/floor/read/"), repeat),
        "write floor": (posts(floor_urls), repeat),
        "status change (htmx POST)": (posts(toggles), repeat),
        "checklist page": (page(student, plan["checklist"]), repeat),
        "student dashboard": (page(student, plan["dashboard"]), repeat),
        "cohort dashboard": (page(mentor, plan["cohort_dashboard"]), max(4, repeat // 10)),
    }
    rows = []
    for name in PATHS:
        send, count = requests[name]
        for n in range(3):  # templates compiled, caches filled, connection open
            check(name, send(n))
        started = time.perf_counter()
        for n in range(3, 3 + count):
            check(name, send(n))
        unprofiled = time.perf_counter() - started
        # A timing thread instead of a clock read at every call: less of the hooks' cost.
        profiler = Profiler(interval=0.0005, use_timing_thread=True)
        started = time.perf_counter()
        profiler.start()
        for n in range(3 + count, 3 + 2 * count):
            check(name, send(n))
        session = profiler.stop()
        wall = time.perf_counter() - started
        seconds = breakdown(session.frame_records)
        rows.append(
            {
                "path": name,
                "requests": count,
                "seconds": seconds,
                "total_seconds": sum(seconds.values()),
                "wall_seconds": wall,
                "unprofiled_seconds": unprofiled,
            }
        )
        print(
            f"{name}: {count} requests, {unprofiled * 1000 / count:.1f} ms each, "
            f"{wall * 1000 / count:.1f} ms profiled",
            flush=True,
        )
        if html_dir:
            os.makedirs(html_dir, exist_ok=True)
            slug = name.split(" (")[0].replace(" ", "-")
            profiler.write_html(os.path.join(html_dir, f"{slug}.html"))
    with open(os.environ["PROFILE_OUT"], "w") as out:
        json.dump(rows, out)


def check(name, response):
    """Only a 200 is a hot path's answer; a redirect to sign-in or a refusal is not."""
    if response.status_code != 200:
        raise SystemExit(f"{name}: answered {response.status_code}, not 200")


if __name__ == "__main__":
    main()
