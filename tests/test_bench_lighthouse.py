"""The measuring tools around Lighthouse and the load benchmark (bench/), without Lighthouse."""

import json
import os
import socket
import urllib.request

import pytest

from bench import lighthouse, load


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
