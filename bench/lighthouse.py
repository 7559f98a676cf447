"""Lighthouse (mobile) on the checklist, the student dashboard and a public portfolio with
one of its verification addresses, served as in production.

    make lighthouse                                   # npm-installs Lighthouse once, then this
    .venv/bin/python -m bench.lighthouse              # the same, Lighthouse already installed
    .venv/bin/python -m bench.lighthouse --db postgres --runs 1 --port 8766

It fills a throwaway database (the guide, and 20 students on the full ML roadmap with
realistic progress from ``manage.py seed_bench``), starts gunicorn with the production
settings on loopback exactly as bench/load.py does, and runs Lighthouse (its defaults:
mobile emulation, simulated throttling) in headless Chromium (``CHROME_PATH``, by default
/usr/bin/chromium) on each student page with one student's session cookie, and on the
public pages with no cookie at all, as a stranger opens them. Nothing leaves the
machine. Lighthouse is pinned in bench/lighthouse/package.json and installed with
``npm ci`` into bench/lighthouse/node_modules.

For each page it prints performance (0-1), total blocking time, accessibility (0-1), the
DOM's element count and the page's HTML as transferred (and decompressed), each run and
the median of the runs; the accessibility audits that failed, by id. The JSON reports go
to var/lighthouse/PAGE-N.json (open one in https://googlechrome.github.io/lighthouse/viewer/).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from bench import load

BASE_DIR = load.BASE_DIR
REPORTS = load.VAR / "lighthouse"
LIGHTHOUSE = BASE_DIR / "bench" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = ["--headless=new", "--no-sandbox"]
CATEGORIES = ["performance", "accessibility"]
PAGES = ["checklist", "dashboard"]  # keys of seed_bench's plan, opened signed in
PUBLIC_PAGES = ["portfolio", "verification"]  # the same, opened by a stranger


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--db-name", default=f"waypoint_lighthouse_{os.getpid()}")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page")
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 1))
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        sys.exit(f"{LIGHTHOUSE} is missing: make lighthouse (cd bench/lighthouse && npm ci)")
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    if not Path(chrome).exists():
        sys.exit(f"Chromium not found at {chrome}: apt-get install chromium, or set CHROME_PATH")
    REPORTS.mkdir(parents=True, exist_ok=True)
    load_before = load.load_average()
    print(f"Load average before: {load_before}", flush=True)
    with load.throwaway_database(args.db, args.db_name) as database_url:
        env = load.server_env(
            database_url, args.workers, args.port, load.VAR / "lighthouse-access.log"
        )
        plan = load.prepare(
            env,
            load.VAR / "lighthouse-plan.json",
            *("--students", "20", "--cohort-size", "20", "--signed-in", "1"),
        )
        base_url = f"http://127.0.0.1:{args.port}"
        session = plan["student_sessions"][0]
        results = {}
        with load.gunicorn(env, load.VAR / "lighthouse-server.log"):
            for page in PAGES + PUBLIC_PAGES:
                url = base_url + plan[page]
                cookie = session if page in PAGES else None
                check_signed_in(url, cookie)
                results[page] = []
                for n in range(1, args.runs + 1):
                    output = REPORTS / f"{page}-{n}.json"
                    run_lighthouse(url, cookie, output, chrome)
                    figures = summary(json.loads(output.read_text()), url)
                    results[page].append(figures)
                    print(f"{page} run {n}: {line(figures)}", flush=True)
    load_after = load.load_average()
    print(f"Load average after: {load_after}")
    print()
    print(markdown(results, args, (load_before, load_after)))


def lighthouse_version():
    package = LIGHTHOUSE.parent.parent / "lighthouse" / "package.json"
    return json.loads(package.read_text())["version"]


def lighthouse_command(url, session, output):
    """The Lighthouse CLI call (a list for subprocess) for one page: its defaults (mobile,
    simulated throttling), the session cookie (None: no cookie) on every request, JSON to
    output."""
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={output}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={' '.join(CHROME_FLAGS)}",
    ]
    if session is not None:
        command.append("--extra-headers=" + json.dumps({"Cookie": f"sessionid={session}"}))
    return command


def run_lighthouse(url, session, output, chrome):
    """Run Lighthouse once; SystemExit with its output if it fails."""
    completed = subprocess.run(
        lighthouse_command(url, session, output),
        env={**os.environ, "CHROME_PATH": chrome},
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise SystemExit(f"Lighthouse failed on {url}:\n{completed.stderr[-3000:]}")


def check_signed_in(url, session):
    """SystemExit unless url answers 200 (not a redirect to the sign-in page) to the session
    (None: to a stranger)."""
    opener = urllib.request.build_opener(load.NoRedirect)
    headers = {"Cookie": f"sessionid={session}"} if session is not None else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with opener.open(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        who = "the signed-in student" if session is not None else "a stranger"
        raise SystemExit(f"{url} answered {status} to {who}, not 200")


def summary(report, url):
    """The figures of one Lighthouse JSON report (a dict): scores 0-1, times in ms, bytes.

    ValueError if Lighthouse hit an error or did not end on url (a redirect, say)."""
    if report.get("runtimeError"):
        raise ValueError(f"Lighthouse: {report['runtimeError']}")
    if report["finalDisplayedUrl"] != url:
        raise ValueError(f"Lighthouse ended on {report['finalDisplayedUrl']}, not {url}")
    audits = report["audits"]
    categories = report["categories"]
    document = next(
        item
        for item in audits["network-requests"]["details"]["items"]
        if item["url"] == url and item.get("resourceType") == "Document"
    )
    failed = [
        ref["id"]
        for ref in categories["accessibility"]["auditRefs"]
        if ref.get("weight") and audits[ref["id"]]["score"] not in (None, 1)
    ]
    return {
        "performance": categories["performance"]["score"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "accessibility": categories["accessibility"]["score"],
        "dom_elements": int(audits["dom-size"]["numericValue"]),
        "html_bytes": document["transferSize"],
        "html_raw_bytes": document["resourceSize"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "total_bytes": audits["total-byte-weight"]["numericValue"],
        # Lighthouse's CPU speed for this run; its 4x CPU slowdown assumes a fast desktop
        # (about 1,000 or more): lower means a longer blocking time than a phone would see.
        "benchmark_index": report["environment"]["benchmarkIndex"],
        "failed_accessibility": failed,
    }


def median(runs):
    """The median of each figure over runs; the failed audits of all runs together."""
    failed = sorted({audit for run in runs for audit in run["failed_accessibility"]})
    figures = {
        key: statistics.median(run[key] for run in runs)
        for key in runs[0]
        if key != "failed_accessibility"
    }
    figures["failed_accessibility"] = failed
    return figures


def line(f):
    failed = ", ".join(f["failed_accessibility"]) or "none"
    return (
        f"performance {f['performance']:.2f}  TBT {f['tbt_ms']:.0f} ms  "
        f"accessibility {f['accessibility']:.2f}  DOM {f['dom_elements']:,} elements  "
        f"HTML {f['html_bytes'] / 1024:.1f} KB ({f['html_raw_bytes'] / 1024:.0f} KB raw)  "
        f"LCP {f['lcp_ms']:.0f} ms  all {f['total_bytes'] / 1024:.1f} KB  "
        f"CPU benchmark index {f['benchmark_index']:.0f}  "
        f"accessibility audits failed: {failed}"
    )


def markdown(results, args, load_averages):
    out = [
        f"Lighthouse {lighthouse_version()} mobile (default throttling), median of {args.runs} "
        f"run(s), {args.db}; load average (1, 5, 15 min) before: {load_averages[0]}, "
        f"after: {load_averages[1]}.\n",
        "| page | performance | TBT ms | accessibility | DOM elements | HTML KB (raw) "
        "| LCP ms | all KB | CPU index | failed accessibility audits |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for page, runs in results.items():
        f = median(runs)
        out.append(
            f"| {page} | {f['performance']:.2f} | {f['tbt_ms']:.0f} | {f['accessibility']:.2f} "
            f"| {f['dom_elements']:,.0f} | {f['html_bytes'] / 1024:.1f} "
            f"({f['html_raw_bytes'] / 1024:.0f}) | {f['lcp_ms']:.0f} "
            f"| {f['total_bytes'] / 1024:.1f} | {f['benchmark_index']:.0f} "
            f"| {', '.join(f['failed_accessibility']) or '-'} |"
        )
    return "\n".join(out)


if __name__ == "__main__":
    main()
