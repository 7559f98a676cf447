"""The measuring tools around Lighthouse and the load benchmark (bench/), without Lighthouse."""

import argparse
import json
import os
import socket
import urllib.request

import pytest

from bench import hot_paths, lighthouse, load


def test_only_selects_each_named_request_type():
    only = load.only_names("toggle,checklist")

    assert only == ["toggle", "checklist"]
    assert load.selected("toggle (htmx POST)", only)
    assert load.selected("checklist page", only)
    assert not load.selected("student dashboard", only)
    assert not load.selected("sign-in flood", only)


def test_only_left_out_selects_everything():
    only = load.only_names("")

    assert load.selected("student dashboard", only)
    assert load.selected("sign-in flood", only)


def test_lighthouse_runs_with_its_mobile_defaults_and_the_students_cookie(tmp_path):
    output = tmp_path / "checklist-1.json"

    command = lighthouse.lighthouse_command("http://127.0.0.1:8766/x/", "abc123", output)

    assert command[:2] == [str(lighthouse.LIGHTHOUSE), "http://127.0.0.1:8766/x/"]
    assert f"--output-path={output}" in command
    assert "--output=json" in command
    assert "--chrome-flags=--headless=new --no-sandbox" in command
    headers = next(arg for arg in command if arg.startswith("--extra-headers="))
    assert json.loads(headers.removeprefix("--extra-headers=")) == {"Cookie": "sessionid=abc123"}
    # Mobile emulation and simulated throttling are Lighthouse's defaults: nothing overrides them.
    assert not [arg for arg in command if arg.startswith(("--preset", "--form-factor", "--throt"))]


def test_public_pages_are_opened_without_a_cookie(tmp_path):
    command = lighthouse.lighthouse_command("http://127.0.0.1:8766/p/x/", None, tmp_path / "o")

    assert not [arg for arg in command if arg.startswith("--extra-headers")]
    assert set(lighthouse.PUBLIC_PAGES).isdisjoint(lighthouse.PAGES)


def report(url, final_url=None, a11y_score=1):
    return {
        "finalDisplayedUrl": final_url or url,
        "environment": {"benchmarkIndex": 1234.5},
        "categories": {
            "performance": {"score": 0.93},
            "accessibility": {
                "score": a11y_score,
                "auditRefs": [
                    {"id": "color-contrast", "weight": 7},
                    {"id": "label", "weight": 7},
                    {"id": "manual-check", "weight": 0},
                ],
            },
        },
        "audits": {
            "total-blocking-time": {"numericValue": 250.5},
            "dom-size": {"numericValue": 4321},
            "largest-contentful-paint": {"numericValue": 2100.0},
            "total-byte-weight": {"numericValue": 45000},
            "color-contrast": {"score": a11y_score},
            "label": {"score": 1},
            "manual-check": {"score": None},
            "network-requests": {
                "details": {
                    "items": [
                        {"url": url, "resourceType": "Document", "transferSize": 22000,
                         "resourceSize": 380000},
                        {"url": url + "app.css", "resourceType": "Stylesheet",
                         "transferSize": 4000, "resourceSize": 17000},
                    ]
                }
            },
        },
    }  # fmt: skip


def test_summary_reads_the_figures_of_a_report():
    url = "http://127.0.0.1:8766/roadmap/ml/"

    figures = lighthouse.summary(report(url, a11y_score=0), url)

    assert figures == {
        "performance": 0.93,
        "tbt_ms": 250.5,
        "accessibility": 0,
        "dom_elements": 4321,
        "html_bytes": 22000,
        "html_raw_bytes": 380000,
        "lcp_ms": 2100.0,
        "total_bytes": 45000,
        "benchmark_index": 1234.5,
        "failed_accessibility": ["color-contrast"],
    }


def test_summary_refuses_a_report_that_ended_elsewhere():
    url = "http://127.0.0.1:8766/roadmap/ml/"

    with pytest.raises(ValueError, match="accounts/login"):
        lighthouse.summary(report(url, final_url="http://127.0.0.1:8766/accounts/login/"), url)


def test_median_of_runs_and_every_failed_audit():
    first = {"performance": 0.9, "tbt_ms": 300, "failed_accessibility": ["label"]}
    second = {"performance": 0.8, "tbt_ms": 100, "failed_accessibility": []}
    third = {"performance": 1.0, "tbt_ms": 200, "failed_accessibility": ["color-contrast"]}

    figures = lighthouse.median([first, second, third])

    assert figures == {
        "performance": 0.9,
        "tbt_ms": 200,
        "failed_accessibility": ["color-contrast", "label"],
    }


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_production_server_starts_and_serves_the_signed_in_student(tmp_path):
    port = free_port()
    with load.throwaway_database("sqlite", f"test_lighthouse_{os.getpid()}") as database_url:
        env = load.server_env(database_url, 1, port, tmp_path / "access.log")
        plan = load.prepare(
            env,
            tmp_path / "plan.json",
            *("--students", "2", "--cohort-size", "2", "--signed-in", "1"),
        )
        with load.gunicorn(env, tmp_path / "server.log") as server:
            base = f"http://127.0.0.1:{port}"
            cpu_before = load.server_cpu_seconds(server.pid)
            for page in lighthouse.PAGES:
                lighthouse.check_signed_in(base + plan[page], plan["student_sessions"][0])
            with pytest.raises(SystemExit, match="302"):
                lighthouse.check_signed_in(base + plan["checklist"], "not-a-session")
            request = urllib.request.Request(
                base + plan["checklist"],
                headers={"Cookie": f"sessionid={plan['student_sessions'][0]}"},
            )
            with urllib.request.urlopen(request) as response:
                headers = response.headers
            cpu_after = load.server_cpu_seconds(server.pid)
        assert server.poll() is not None  # stopped afterwards
    assert env["DJANGO_DEBUG"] == "0"
    assert env["DJANGO_SETTINGS_MODULE"] == "bench.settings"
    assert "Content-Security-Policy" in headers
    # Four checklist and dashboard pages of 88 items cost the worker measurable CPU.
    assert cpu_after > cpu_before >= 0


def test_each_page_is_measured_against_its_own_floor():
    assert load.floor_of(load.TOGGLE, 16) == load.WRITE_FLOOR
    assert load.floor_of(load.DASHBOARD, 16) == load.READ_FLOOR
    assert load.floor_of(load.CHECKLIST, 16) == load.READ_FLOOR
    assert load.floor_of("cohort dashboard (500 students)", 16) == load.READ_FLOOR
    # The floors run at 16 clients: a one-client run has no floor to compare with.
    assert load.floor_of(load.COHORT_ONE_CLIENT, 1) is None
    assert load.floor_of(load.CEILING, 16) is None
    assert load.floor_of(load.READ_FLOOR, 16) is None


def test_a_selected_page_brings_its_floor_and_the_ceiling():
    names = [name for name, _, _ in load.build_scenarios(plan_for_scenarios())]

    chosen = load.chosen_names(names, load.only_names("toggle"))

    assert chosen == {load.CEILING, load.WRITE_FLOOR, load.TOGGLE}
    assert load.chosen_names(names, ["checklist"]) == {
        load.CEILING,
        load.READ_FLOOR,
        load.CHECKLIST,
    }
    assert load.chosen_names(names, ["flood"]) == {load.CEILING}


def plan_for_scenarios():
    return {
        "student_sessions": ["s1", "s2"],
        "progress_urls": ["/items/7/progress/", "/items/12/progress/"],
        "dashboard": "/roadmaps/ml/dashboard/",
        "checklist": "/roadmaps/ml/checklist/",
        "cohort_dashboard": "/cohorts/1/",
        "cohort_size": 500,
        "mentor_session": "m1",
    }


def test_the_write_floor_gets_the_toggles_posts_on_the_same_rows():
    scenarios = {name: lines for name, lines, _ in load.build_scenarios(plan_for_scenarios())}

    toggles, floor = scenarios[load.TOGGLE], scenarios[load.WRITE_FLOOR]

    assert len(floor) == len(toggles) == 8
    assert toggles[0] == ("POST", "/items/7/progress/", "s1", "status=done")
    assert floor[0] == ("POST", "/bench/floor/write/7/", "s1", "status=done")
    assert {line[1] for line in floor} == {"/bench/floor/write/7/", "/bench/floor/write/12/"}
    assert scenarios[load.READ_FLOOR] == [
        ("GET", "/bench/floor/read/", "s1", ""),
        ("GET", "/bench/floor/read/", "s2", ""),
    ]


def row(name, rps, connections=16, **figures):
    return {"name": name, "rps": rps, "connections": connections, **figures}


def test_share_of_floor_and_goals_say_pass_or_miss_by_how_much():
    rows = [
        row(load.CEILING, 2000),
        row(load.READ_FLOOR, 400),
        row(load.WRITE_FLOOR, 200),
        row(load.TOGGLE, 90, server_p95_ms=27.5),
        row(load.DASHBOARD, 120),
        row(load.CHECKLIST, 50),
        row(load.COHORT_ONE_CLIENT, 9, connections=1, server_p50_ms=110.0),
    ]

    assert load.floor_share(rows[3], rows) == pytest.approx(0.45)
    assert load.floor_share(rows[5], rows) == pytest.approx(0.125)
    assert load.floor_share(rows[6], rows) is None
    goals = {goal["goal"]: goal for goal in load.goal_results(rows)}
    assert [goal["verdict"] for goal in goals.values()] == ["PASS", "PASS", "MISS", "MISS", "PASS"]
    checklist = goals["checklist ≥ 15 % of the read floor"]
    assert checklist["margin"] == pytest.approx(-0.025)
    assert load.goal_line(checklist) == "MISS: 12.5%, 2.5 points short"
    p95 = goals["status change server p95 < 25 ms at 16 clients"]
    assert load.goal_line(p95) == "MISS: 27.5 ms, 2.5 ms short"
    cohort = goals["500-student cohort dashboard < 120 ms median, one client"]
    assert load.goal_line(cohort) == "PASS: 110.0 ms, 10.0 ms to spare"


def test_a_goal_whose_page_or_floor_did_not_run_is_said_so():
    rows = [row(load.CEILING, 2000), row(load.TOGGLE, 90, server_p95_ms=20.0)]

    goals = load.goal_results(rows)

    assert [goal["verdict"] for goal in goals] == [
        "not run",
        "not run",
        "not run",
        "PASS",
        "not run",
    ]
    assert load.goal_line(goals[0]) == "not run"
    # A run in which no request was timed (0 ms) is no pass.
    rows.append(row(load.COHORT_ONE_CLIENT, 0, connections=1, server_p50_ms=0.0))
    assert load.goal_results(rows)[-1]["verdict"] == "not run"


def test_the_markdown_gives_each_page_its_share_of_its_floor_and_the_goals():
    rows = [
        row(load.CEILING, 2000, server_cpu_ms=0.5),
        row(load.READ_FLOOR, 400, server_cpu_ms=3.0),
        row(load.CHECKLIST, 50, server_cpu_ms=30.0),
    ]
    for each in rows:
        each.update(
            p50_ms=1.0, p95_ms=2.0, server_p50_ms=1.0, server_p95_ms=2.0,
            errors=0, bad_status=0, server_errors=0,
        )  # fmt: skip
    result = {
        "rows": rows,
        "students": 10,
        "progress_rows": 880,
        "load_average": ("1.00, 1.00, 1.00", "1.10, 1.00, 1.00"),
        "flood": None,
        "soak": None,
        "transfer": {"total": 1024, "parts": {"page": (1024, 4096)}},
    }

    text = load.markdown({"sqlite": result}, argparse.Namespace(workers=2, soak=0))

    assert "| checklist page | 16 | 50 | 2.5% | 12.5% | 10.0% |" in text
    assert "| read floor: signed-in tiny page | 16 | 400 | 20.0% | – | – |" in text
    assert "| checklist ≥ 15 % of the read floor | MISS: 12.5%, 2.5 points short |" in text


@pytest.mark.urls("bench.urls")
def test_the_read_floor_is_a_signed_in_page(client, user):
    anonymous = client.get("/bench/floor/read/")
    client.force_login(user)
    signed_in = client.get("/bench/floor/read/")

    assert anonymous.status_code == 302
    assert signed_in.status_code == 200
    assert str(user) in signed_in.text


@pytest.mark.urls("bench.urls")
def test_the_write_floor_updates_one_row_of_the_students_own(client, user):
    from django.utils import timezone

    from roadmap.models import Progress
    from tests.factories import ItemFactory, UserFactory

    item = ItemFactory()
    own = Progress.objects.create(student=user, item=item)
    other = Progress.objects.create(student=UserFactory(), item=item)
    past = timezone.now() - timezone.timedelta(days=3)
    Progress.objects.update(updated_at=past)
    url = f"/bench/floor/write/{item.pk}/"
    client.force_login(user)

    refused_get = client.get(url)
    answer = client.post(url, {"status": "done"}, headers={"HX-Request": "true"})

    assert refused_get.status_code == 405
    assert answer.status_code == 200
    assert "1 row saved" in answer.text
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.updated_at > past
    assert other.updated_at == past


def frame(function, path, line=1):
    return f"{function}\x00{path}\x00{line}"


APP = "/srv/waypoint"
SITE = "/srv/waypoint/.venv/lib/python3.13/site-packages"


def test_a_sample_goes_to_the_bucket_of_its_innermost_known_frame():
    view = frame("checklist", f"{APP}/roadmap/views.py")
    render = frame("render", f"{SITE}/django/template/base.py")
    queryset = frame("__iter__", f"{SITE}/django/db/models/query.py")
    execute = frame("execute", f"{SITE}/django/db/backends/sqlite3/base.py")
    builtin = frame("execute", "<built-in>", 0)
    maths = frame("pace_of", f"{APP}/roadmap/figures.py")

    # A query a template ran is a query; the C driver's own frame counts with its caller.
    assert hot_paths.bucket_of([view, render, queryset, execute, builtin]) == "queries"
    assert hot_paths.bucket_of([view, render, queryset]) == "ORM"
    assert hot_paths.bucket_of([view, render, maths, frame("get", "<built-in>", 0)]) == "maths"
    assert hot_paths.bucket_of([view, maths, render]) == "templates"
    assert hot_paths.bucket_of([view, frame("compress", "/usr/lib/python3.13/gzip.py")]) == (
        "middleware/other"
    )
    assert hot_paths.bucket_of([frame("overview", f"{APP}/cohorts/overview.py")]) == "maths"
    assert hot_paths.bucket_of([frame("execute", f"{SITE}/psycopg/cursor.py")]) == "queries"


def test_the_breakdown_adds_each_samples_time_to_its_bucket():
    view = frame("dashboard", f"{APP}/roadmap/views.py")
    records = [
        ([view, frame("execute", f"{SITE}/django/db/backends/utils.py")], 0.003),
        ([view, frame("execute", f"{SITE}/django/db/backends/utils.py")], 0.002),
        ([view, frame("render", f"{SITE}/django/template/base.py")], 0.004),
        ([view], 0.001),
    ]

    seconds = hot_paths.breakdown(records)

    assert list(seconds) == hot_paths.BUCKETS
    assert seconds == pytest.approx(
        {"queries": 0.005, "ORM": 0, "templates": 0.004, "maths": 0, "middleware/other": 0.001}
    )


def test_the_breakdown_table_gives_each_buckets_share_and_ms_per_request():
    seconds = {"queries": 0.2, "ORM": 0.1, "templates": 0.5, "maths": 0.0, "middleware/other": 0.2}
    rows = [
        {
            "path": "checklist page",
            "requests": 40,
            "unprofiled_seconds": 0.6,
            "seconds": seconds,
            "total_seconds": 1.0,
        }
    ]

    text = hot_paths.breakdown_markdown(rows)

    assert text.splitlines()[0] == (
        "| hot path | ms per request | profiled | queries | ORM | templates | maths "
        "| middleware/other |"
    )
    assert text.splitlines()[2] == (
        "| checklist page | 15.0 | 25.0 | 20% (5.0) | 10% (2.5) | 50% (12.5) | 0% (0.0) "
        "| 20% (5.0) |"
    )
