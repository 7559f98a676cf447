"""Query plans at scale: EXPLAIN ANALYZE of every hot query on a large PostgreSQL database.

    .venv/bin/python -m bench.explain                      # 23,000 students, about 4 minutes
    .venv/bin/python -m bench.explain --students 2000      # a quick look
    .venv/bin/python -m bench.explain --keep --db-name waypoint_explain_big

Fills a throwaway PostgreSQL database (made and dropped unless --keep) with SQL alone:
the guide, --students students in cohorts of --cohort-size with one mentor each, a
progress row for every student and active item (88 of them: 23,000 students make
2,024,000 rows) written in random order as a live table would be, a few progress
events per student (some this week, for the digest) and evidence waiting for review;
then VACUUM ANALYZE, as autovacuum leaves a table at rest.

It then runs the real code paths, the pages through Django's test client and the
digest through its function, captures the SQL each sends, and runs
``EXPLAIN (ANALYZE, BUFFERS)`` on every statement (writes inside a transaction rolled
back). Printed as Markdown: each request's statements with their trimmed plans, the
indexes used, rows and times; each table's and index's size; bytes per progress row;
and the same projected to 100,000 students × 150 items (15 million progress rows).
A plan node whose work grows with a table (a sequential scan of a large table, or a
sort of more rows than one cohort holds) is flagged.
"""

import argparse
import json
import os
import sys
import time

from bench.load import load_average, server_env, throwaway_database

# Tables that grow with the number of students; a scan of one of these is a cost that
# grows with the whole database, not with one student or one cohort.
LARGE_TABLES = (
    "roadmap_progress",
    "roadmap_progressevent",
    "accounts_user",
    "roadmap_enrollment",
    "cohorts_membership",
    "django_session",
    "accounts_delivery",
)
FULL_SCALE_STUDENTS = 100_000
FULL_SCALE_ITEMS = 150
EVENTS_PER_STUDENT = 6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=23_000)
    parser.add_argument("--cohort-size", type=int, default=500)
    parser.add_argument("--db-name", default=f"waypoint_explain_{os.getpid()}")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="explain against --db-name as it is, seeding nothing"
    )
    args = parser.parse_args()
    database = throwaway_database("postgres", args.db_name)
    if args.reuse:
        url = f"postgres://postgres@127.0.0.1:5432/{args.db_name}"
        report(url, args, seeded=None)
        return
    url = database.__enter__()
    try:
        report(url, args, seeded=True)
    finally:
        if args.keep:
            print(f"\nKept: {url}", file=sys.stderr)
        else:
            database.__exit__(None, None, None)


def report(url, args, *, seeded):
    env = server_env(url, workers=1)
    env["DJANGO_ALLOWED_HOSTS"] = "testserver"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    load_before = load_average()
    if seeded:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("load_guide", stdout=sys.stderr)
        seed(args.students, args.cohort_size)
        print(f"Seeded in {time.perf_counter() - started:.0f} s.\n", file=sys.stderr)
    print(f"Load average before: {load_before}\n")
    sizes = table_sizes()
    print(sizes_markdown(sizes))
    from django.test.utils import override_settings

    # Pages link static files by name; no collectstatic manifest is needed for that here.
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": static}):
        captured = capture_requests()
    for name, queries in captured:
        print(f"\n## {name}\n")
        print(f"{len(queries)} statements.\n")
        for sql in queries:
            plan = explain(sql)
            if plan is None:
                continue
            print(statement_markdown(sql, plan))
    print(f"\nLoad average after: {load_average()}")


# --- Seeding -----------------------------------------------------------------------


def seed(students: int, cohort_size: int) -> None:
    """Students, mentors, cohorts, memberships, enrollments, progress and events, in SQL."""
    from django.db import connection

    cohorts = -(-students // cohort_size)
    steps = [
        (
            "users",
            """
            INSERT INTO accounts_user (password, is_superuser, is_staff, is_active, date_joined,
                email, name, batch, is_mentor, entry_year, programme_years, mail_bounce,
                mail_digest, mail_nudges, mail_reviews)
            SELECT '!', false, false, true, now() - interval '400 days',
                'student' || n || '@college.example', 'Student ' || n, 2022 + n %% 4, false,
                CASE WHEN n %% 20 = 0 THEN 2 ELSE 1 END, 4, '', true, true, true
            FROM generate_series(1, %(students)s) AS n
            """,
        ),
        (
            "mentors",
            """
            INSERT INTO accounts_user (password, is_superuser, is_staff, is_active, date_joined,
                email, name, is_mentor, entry_year, programme_years, mail_bounce,
                mail_digest, mail_nudges, mail_reviews)
            SELECT '!', false, false, true, now() - interval '400 days',
                'mentor' || n || '@college.example', 'Mentor ' || n, true, 1, 4, '',
                true, true, true
            FROM generate_series(1, %(cohorts)s) AS n
            """,
        ),
        (
            "cohorts",
            """
            INSERT INTO cohorts_cohort (name, join_code, active, created_at, roadmap_id,
                email_domains)
            SELECT 'Cohort ' || n, md5(random()::text), true, now() - interval '400 days',
                (SELECT id FROM roadmap_roadmap ORDER BY id LIMIT 1), ''
            FROM generate_series(1, %(cohorts)s) AS n
            """,
        ),
        (
            "mentors of cohorts",
            """
            INSERT INTO cohorts_cohort_mentors (cohort_id, user_id)
            SELECT c.id, u.id
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM cohorts_cohort) c
            JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM accounts_user
                  WHERE is_mentor) u USING (n)
            """,
        ),
        (
            "memberships",
            """
            INSERT INTO cohorts_membership (joined_at, cohort_id, student_id)
            SELECT now() - interval '300 days', c.id, s.id
            FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / %(cohort_size)s + 1 AS n
                  FROM accounts_user WHERE NOT is_mentor) s
            JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM cohorts_cohort) c
              USING (n)
            """,
        ),
        (
            "enrollments",
            """
            INSERT INTO roadmap_enrollment (created_at, roadmap_id, student_id)
            SELECT now() - interval '300 days', r.id, u.id
            FROM accounts_user u, (SELECT id FROM roadmap_roadmap ORDER BY id LIMIT 1) r
            WHERE NOT u.is_mentor
            """,
        ),
        # A signed-in session per student: the session table is read on every request.
        (
            "sessions",
            """
            INSERT INTO django_session (session_key, session_data, expire_date)
            SELECT md5('session' || n), 'e30:seeded', now() + interval '14 days'
            FROM generate_series(1, %(students)s) AS n
            """,
        ),
        # Every student on every active item, in random order: a live table holds each
        # student's rows on pages of their own making over months, not side by side.
        # Status by a hash of (student, item): 40 %% done, 10 %% in progress, 3 %% skipped.
        # Of done projects and certifications, a third carry evidence; of those, half
        # are verified, a tenth sent back, the rest wait for review.
        (
            "progress",
            """
            INSERT INTO roadmap_progress (status, count, note, evidence_url, evidence_added_at,
                verified_at, review_comment, version, created_at, updated_at, item_id,
                student_id, verified_by_id)
            SELECT status,
                CASE WHEN status = 'done' THEN coalesce(target_count, 0) ELSE 0 END,
                CASE WHEN h %% 7 = 0 THEN 'Notes on this one.' ELSE '' END,
                CASE WHEN evidence THEN 'https://github.com/student' || student_id || '/p'
                    || item_id ELSE '' END,
                CASE WHEN evidence THEN at END,
                CASE WHEN evidence AND h / 1000 %% 10 < 5 THEN at + interval '2 days' END,
                CASE WHEN evidence AND h / 1000 %% 10 = 5 THEN 'Link is private.' ELSE '' END,
                1, at, at, item_id, student_id,
                CASE WHEN evidence AND h / 1000 %% 10 < 5 THEN mentor_id END
            FROM (
                SELECT s.id AS student_id, i.id AS item_id, i.target_count, m.mentor_id, h,
                    CASE WHEN h %% 100 < 40 THEN 'done' WHEN h %% 100 < 50 THEN 'in_progress'
                         WHEN h %% 100 < 53 THEN 'skipped' ELSE 'not_started' END AS status,
                    h %% 100 < 40 AND i.kind IN ('project', 'certification') AND h / 100 %% 3 = 0
                        AS evidence,
                    now() - (h %% 365) * interval '1 day' AS at
                FROM accounts_user s
                JOIN cohorts_membership ms ON ms.student_id = s.id
                JOIN (SELECT cohort_id, min(user_id) AS mentor_id FROM cohorts_cohort_mentors
                      GROUP BY cohort_id) m ON m.cohort_id = ms.cohort_id
                CROSS JOIN roadmap_item i
                CROSS JOIN LATERAL (SELECT abs(hashint8(s.id * 1000 + i.id)::bigint) AS h) hh
                WHERE NOT i.archived
            ) rows
            ORDER BY random()
            """,
        ),
        (
            "progress events",
            """
            INSERT INTO roadmap_progressevent (field, from_status, to_status, count, created_at,
                actor_id, item_id, student_id, batch)
            SELECT 'status', 'not_started', 'done', NULL,
                now() - ((s.id * 7 + n * 53) %% 400) * interval '1 day'
                    - (n * 3701 %% 86400) * interval '1 second',
                s.id, i.id, s.id, NULL
            FROM accounts_user s
            CROSS JOIN generate_series(1, %(events)s) AS n
            JOIN LATERAL (SELECT id FROM roadmap_item WHERE NOT archived
                          ORDER BY hashint8(s.id * 100 + n + id) LIMIT 1) i ON true
            WHERE NOT s.is_mentor
            ORDER BY random()
            """,
        ),
    ]
    params = {
        "students": students,
        "cohorts": cohorts,
        "cohort_size": cohort_size,
        "events": EVENTS_PER_STUDENT,
    }
    with connection.cursor() as cursor:
        for name, sql in steps:
            started = time.perf_counter()
            cursor.execute(sql, params)
            print(
                f"  {name}: {cursor.rowcount:,} rows, {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
    connection.close()
    # VACUUM cannot run inside a transaction; a fresh autocommit connection it is.
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        print(f"  vacuum analyze: {time.perf_counter() - started:.0f} s", file=sys.stderr)


# --- Capturing the hot requests ----------------------------------------------------


def capture_requests():
    """[(name, [sql, ...])]: every statement each hot request sends, from its second
    run (the first warms the process's caches as a running server's would be)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from cohorts.models import Cohort
    from roadmap.digest import digest_recipients, student_digests
    from roadmap.models import Item, Progress, Roadmap
    from roadmap.tasks import DIGEST_BATCH

    roadmap = Roadmap.objects.get(slug=settings.WAYPOINT_DEFAULT_ROADMAP)
    # A cohort in the middle, a student in the middle of it: nothing at an edge of an index.
    cohorts = list(Cohort.objects.order_by("pk").values_list("pk", flat=True))
    cohort = Cohort.objects.get(pk=cohorts[len(cohorts) // 2])
    mentor = cohort.mentors.get()
    student = cohort.students.order_by("pk")[250]
    item = Item.objects.of_roadmap(roadmap).filter(target_count__isnull=True).first()
    student_client, mentor_client = Client(), Client()
    student_client.force_login(student)
    mentor_client.force_login(mentor)

    # Read once, outside the capture: each change flips the status and bumps the version.
    progress = Progress.objects.get(student=student, item=item)
    state = {"status": progress.status, "version": progress.version}

    def status_change():
        state["status"] = "in_progress" if state["status"] == "done" else "done"
        answer = student_client.post(
            reverse("roadmap:item_progress", args=[item.pk]),
            {"status": state["status"], "version": state["version"]},
            headers={"HX-Request": "true"},
        )
        state["version"] += 1
        return answer

    def digest_batch():
        now = timezone.now()
        batch = list(digest_recipients().filter(pk__gt=student.pk)[:DIGEST_BATCH])
        return student_digests(batch, today=timezone.localdate(now), now=now)

    requests = [
        (
            "Student checklist",
            lambda: student_client.get(reverse("roadmap:checklist", args=[roadmap.slug])),
        ),
        (
            "Student dashboard",
            lambda: student_client.get(reverse("roadmap:dashboard", args=[roadmap.slug])),
        ),
        ("Status change (htmx POST)", status_change),
        (
            f"Cohort overview ({cohort.memberships.count()} students)",
            lambda: mentor_client.get(reverse("cohorts:dashboard", args=[cohort.pk])),
        ),
        (
            "Review queue",
            lambda: mentor_client.get(reverse("cohorts:review_queue", args=[cohort.pk])),
        ),
        (f"Digest batch ({DIGEST_BATCH} students)", digest_batch),
    ]
    captured = []
    for name, run in requests:
        answer = run()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            answer = run()
            elapsed = time.perf_counter() - started
        status = answer.status_code if hasattr(answer, "status_code") else f"{len(answer)} digests"
        print(
            f"  {name}: {status}, {len(queries)} queries, {elapsed * 1000:.0f} ms "
            "wall (Python included)",
            file=sys.stderr,
        )
        captured.append((name, [query["sql"] for query in queries.captured_queries]))
    return captured


# --- EXPLAIN -----------------------------------------------------------------------


def explain(sql: str):
    """The JSON plan of ``sql`` run under EXPLAIN (ANALYZE, BUFFERS), a write's effects
    rolled back; None for what cannot be explained (savepoints, session settings)."""
    from django.db import connection, transaction

    if sql.split(None, 1)[0].upper() not in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
        return None

    class Rollback(Exception):
        pass

    plan = None
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0]
            raise Rollback
    except Rollback:
        pass
    return plan[0] if isinstance(plan, list) else json.loads(plan)[0]


def plan_nodes(node: dict, depth: int = 0):
    """Every node of a JSON plan with its depth, depth first."""
    yield depth, node
    for child in node.get("Plans", []):
        yield from plan_nodes(child, depth + 1)


def node_line(node: dict) -> str:
    """One plan node in a line: "Index Scan using idx on table (rows=88 loops=1 0.05 ms)"."""
    words = [node["Node Type"]]
    if node.get("Index Name"):
        words.append(f"using {node['Index Name']}")
    if node.get("Relation Name"):
        words.append(f"on {node['Relation Name']}")
    if node.get("Sort Key"):
        words.append("by " + ", ".join(node["Sort Key"]))
    rows, loops = node.get("Actual Rows", 0), node.get("Actual Loops", 1)
    words.append(f"(rows={rows:,} loops={loops:,} {node.get('Actual Total Time', 0):.2f} ms)")
    return " ".join(words)


def grows_with_table(node: dict, large_tables=LARGE_TABLES, limit: int = 50_000) -> bool:
    """Whether a node's work grows with the whole database rather than with one student
    or cohort: a sequential scan of a large table, or any node handling more than
    ``limit`` rows in all (rows × loops, removed-by-filter rows counted)."""
    if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in large_tables:
        return True
    handled = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get(
        "Actual Loops", 1
    )
    return handled > limit


def summarize(plan: dict) -> dict:
    """Of one EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) result: ``ms`` (execution), ``rows``
    (of the top node), ``indexes`` used (sorted), ``buffers`` (shared hit + read) and
    ``flags`` (the lines of nodes that grow with a table)."""
    top = plan["Plan"]
    nodes = [node for _, node in plan_nodes(top)]
    return {
        "ms": plan.get("Execution Time", 0.0),
        "rows": top.get("Actual Rows", 0),
        "indexes": sorted({n["Index Name"] for n in nodes if n.get("Index Name")}),
        "buffers": top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0),
        "flags": [node_line(n) for n in nodes if grows_with_table(n)],
    }


def statement_markdown(sql: str, plan: dict) -> str:
    summary = summarize(plan)
    short = " ".join(sql.split())
    short = short if len(short) <= 300 else short[:297] + "..."
    tree = "\n".join("  " * depth + node_line(node) for depth, node in plan_nodes(plan["Plan"]))
    flags = "".join(f"\n**Grows with the table:** `{line}`" for line in summary["flags"])
    return (
        f"- `{short}`\n\n"
        f"  {summary['ms']:.2f} ms, {summary['rows']:,} rows, {summary['buffers']:,} buffers "
        f"(8 kB); indexes: {', '.join(summary['indexes']) or 'none'}{flags}\n\n"
        "```\n" + tree + "\n```\n"
    )


# --- Sizes -------------------------------------------------------------------------


def table_sizes() -> list[dict]:
    """Each large table's rows, heap, TOAST and index bytes and each of its indexes."""
    from django.db import connection

    sizes = []
    with connection.cursor() as cursor:
        for table in LARGE_TABLES:
            cursor.execute("SELECT to_regclass(%s)", [table])
            if cursor.fetchone()[0] is None:
                continue
            cursor.execute(
                f"SELECT count(*), pg_relation_size(%s), pg_total_relation_size(%s), "
                f"pg_indexes_size(%s) FROM {table}",
                [table] * 3,
            )
            rows, heap, total, indexes = cursor.fetchone()
            cursor.execute(
                "SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes "
                "WHERE relname = %s ORDER BY 2 DESC",
                [table],
            )
            sizes.append(
                {
                    "table": table,
                    "rows": rows,
                    "heap": heap,
                    "total": total,
                    "indexes": indexes,
                    "index_sizes": cursor.fetchall(),
                }
            )
    return sizes


def projected(size: int, rows: int, target_rows: int) -> int:
    """Bytes at ``target_rows`` rows, linear from ``size`` bytes at ``rows`` rows."""
    return round(size * target_rows / rows) if rows else 0


def megabytes(size: int) -> str:
    return f"{size / 2**20:,.1f} MB" if size < 2**30 else f"{size / 2**30:,.2f} GB"


def full_scale_rows(table: str, rows: int, students: int) -> int:
    """``table``'s rows at 100,000 students × 150 items: progress is one row per student
    and item; the rest grow with the students."""
    if table == "roadmap_progress":
        return FULL_SCALE_STUDENTS * FULL_SCALE_ITEMS
    return round(rows * FULL_SCALE_STUDENTS / students) if students else rows


def sizes_markdown(sizes: list[dict]) -> str:
    users = next((s["rows"] for s in sizes if s["table"] == "accounts_user"), 0)
    lines = [
        "## Sizes\n",
        "| table | rows | heap | indexes | total | bytes/row | rows at full scale | "
        "total at full scale |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    grand = 0
    for s in sizes:
        target = full_scale_rows(s["table"], s["rows"], users)
        at_scale = projected(s["total"], s["rows"], target)
        grand += at_scale
        per_row = s["total"] / s["rows"] if s["rows"] else 0
        lines.append(
            f"| {s['table']} | {s['rows']:,} | {megabytes(s['heap'])} | "
            f"{megabytes(s['indexes'])} | {megabytes(s['total'])} | {per_row:,.0f} | "
            f"{target:,} | {megabytes(at_scale)} |"
        )
    lines.append(f"\nProjected total of these tables at full scale: {megabytes(grand)}.\n")
    lines.append("| index | size | bytes/row |\n|---|--:|--:|")
    for s in sizes:
        for name, size in s["index_sizes"]:
            per_row = size / s["rows"] if s["rows"] else 0
            lines.append(f"| {name} | {megabytes(size)} | {per_row:,.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
