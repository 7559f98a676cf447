"""The 5,000-student cohort benchmark (bench/cohort_scale.py): its figures, and a tiny run
of the whole of it so that it cannot rot."""

import os
import subprocess
import sys

from bench import cohort_scale
from bench.load import BASE_DIR


def test_p95_is_the_nearest_rank():
    assert cohort_scale.p95([5.0]) == 5.0
    assert cohort_scale.p95([float(n) for n in range(1, 21)]) == 19.0
    assert cohort_scale.p95([float(n) for n in range(100, 0, -1)]) == 95.0


def test_a_dashboard_request_is_judged_on_its_median_against_300_ms():
    fast = {"median_ms": 212.0}
    slow = {"median_ms": 1250.5}

    assert cohort_scale.goal_line(fast) == "PASS: 212.0 ms, 88.0 ms to spare"
    assert cohort_scale.goal_line(slow) == "MISS: 1250.5 ms, 950.5 ms over"


def test_a_tiny_run_reports_every_request_and_the_digest():
    command = [sys.executable, "-m", "bench.cohort_scale", "--db", "sqlite", "--students", "30"]
    command += ["--repeat", "2", "--db-name", f"waypoint_cohort_scale_test_{os.getpid()}"]
    run = subprocess.run(
        command,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = run.stdout.split("### sqlite: a cohort of 30 students", 1)[1]
    lines = {line.split(" |")[0]: line for line in report.splitlines() if line.startswith("| ")}
    for request in [
        "cohort dashboard, first page",
        "cohort dashboard, page 1",
        "cohort dashboard, sorted by overall, highest first",
    ]:
        cells = lines[f"| {request}"].split(" | ")
        # Queries: as tests/cohorts pins them, less the roadmap's outline, cached by now.
        assert cells[1] == "8"
        assert float(cells[2]) > 0 and float(cells[3]) >= float(cells[2])  # median, p95
        assert cells[-1].startswith(("PASS: ", "MISS: "))
    assert lines["| cohort CSV export, every student"].split(" | ")[1] == "7"
    assert "| build only | 30 |" in report
    assert "| build, render and queue | 30 |" in report
