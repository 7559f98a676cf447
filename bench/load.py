"""Load benchmark: the production server under wrk, on SQLite and on PostgreSQL.

    .venv/bin/python bench/load.py                 # both databases, about 10 minutes
    .venv/bin/python bench/load.py --db sqlite --duration 5 --soak 20
    .venv/bin/python bench/load.py --db sqlite --students 50 --only flood --soak 0
    .venv/bin/python bench/load.py --only toggle,checklist --soak 0 --flood 0   # about 3 minutes

For each database it fills a throwaway database (1,000 students on the full ML
roadmap, a progress row for every student and item), starts gunicorn with the
production settings on loopback, and drives it with wrk:

- a bare ``HttpResponse("ok")`` view behind the same middleware: the ceiling;
- two signed-in floors behind the same middleware (bench/urls.py), each at 16 connections:
  the read floor (session, user, a tiny template) for the pages, and the write floor (the
  toggle's htmx POST with its CSRF token: session, user, one UPDATE of one of the student's
  rows, a tiny fragment) for the toggle. Each page is reported as a share of its floor as
  well as of the ceiling, and the goals of issue 16 (``GOALS``) as PASS or MISS;
- the toggle (an htmx POST that sets an item's status), the student dashboard,
  the checklist page and a 500-student cohort dashboard, each at 16 connections,
  and the cohort dashboard alone at one connection;
- a sign-in flood: wrong sign-ins for --flood seconds (15) at 50 connections from one
  client, each for another email, while a probe asks ``/health/`` every 100 ms as a load
  balancer would. A wrong password is a 400; guesses past the address's limits are
  refused before any password hashing (a 429). The probe's p95 must stay under 500 ms,
  or a load balancer would drop the node. Alone: ``--only flood --soak 0``;
- a soak: 50 connections for --soak seconds on a mix of all of it, which must
  end with no errors and no "database is locked" in the server's log.

Latency is reported twice: as wrk sees it (queueing included) and as the server
logged it (gunicorn's request time). Results print as a Markdown table.
"""

import argparse
import contextlib
import gzip
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE_URL = f"http://127.0.0.1:{PORT}"
CSRF = "benchcsrftokenbenchcsrftoken0000"  # the token bench/wrk.lua sends
ACCESS_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) \S+ (?P<us>\d+)$')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per page")
    parser.add_argument("--soak", type=int, default=120, help="seconds of the 50-user soak")
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 1))
    parser.add_argument(
        "--only",
        type=only_names,
        default=[""],
        help="run only the requests whose name has one of these (comma-separated) words",
    )
    parser.add_argument("--flood", type=int, default=15, help="seconds of the sign-in flood")
    parser.add_argument(
        "--db-name",
        default=f"waypoint_bench_{os.getpid()}",
        help="the throwaway database: var/NAME.sqlite3, or a PostgreSQL database made and dropped",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    VAR.mkdir(exist_ok=True)
    print(f"Machine: {os.cpu_count()} cores; gunicorn with {args.workers} sync workers.")
    results = {}
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        with throwaway_database(db, args.db_name) as database_url:
            results[db] = run_database(db, database_url, args)
    print()
    print(markdown(results, args))


class throwaway_database:
    """A fresh SQLite file (var/NAME.sqlite3) or PostgreSQL database NAME, removed afterwards."""

    def __init__(self, db, name=None):
        self.db = db
        self.name = name or f"waypoint_bench_{os.getpid()}"

    def __enter__(self):
        if self.db == "sqlite":
            self.path = VAR / f"{self.name}.sqlite3"
            self._remove_sqlite()
            return f"sqlite:///{self.path}"
        self._admin(f"CREATE DATABASE {self.name}")
        host = os.environ.get("PGHOST", "127.0.0.1")
        port = os.environ.get("PGPORT", "5432")
        user = os.environ.get("PGUSER", "postgres")
        return f"postgres://{user}@{host}:{port}/{self.name}"

    def __exit__(self, *exc):
        if self.db == "sqlite":
            self._remove_sqlite()
        else:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")

    def _remove_sqlite(self):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _admin(self, sql):
        import psycopg

        with psycopg.connect(
            host=os.environ.get("PGHOST", "127.0.0.1"),
            port=os.environ.get("PGPORT", "5432"),
            user=os.environ.get("PGUSER", "postgres"),
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)


def server_env(database_url, workers, port=PORT, access_log=VAR / "bench-access.log"):
    """The production server's environment: DEBUG off, a fresh secret key, loopback HTTP."""
    # Nothing of the shell's own configuration (a REDIS_URL, say) leaks into the run.
    own = ("DJANGO_", "DATABASE_URL", "REDIS_URL", "WAYPOINT_", "WEB_CONCURRENCY")
    return {
        **{name: value for name, value in os.environ.items() if not name.startswith(own)},
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on loopback: no TLS to redirect to.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DATABASE_URL": database_url,
        "WAYPOINT_BIND": f"127.0.0.1:{port}",
        "WAYPOINT_ACCESS_LOG": str(access_log),
        "WEB_CONCURRENCY": str(workers),
    }


def manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def prepare(env, plan_path, *seed_args):
    """Migrate, load the guide, seed (manage.py seed_bench PLAN_PATH *seed_args) and collect
    static files; returns the plan seed_bench wrote (sessions, URLs, counts)."""
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    manage(env, "load_guide")
    manage(env, "seed_bench", str(plan_path), *seed_args)
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")
    return json.loads(plan_path.read_text())


@contextlib.contextmanager
def gunicorn(env, server_log_path):
    """gunicorn as production runs it (config/gunicorn.conf.py) with bench.wsgi, answering
    /health/ before this yields the process; stopped (SIGTERM, then SIGKILL) afterwards.
    SystemExit if it does not answer within 30 s."""
    base_url = "http://" + env["WAYPOINT_BIND"]
    with open(server_log_path, "w") as server_log:
        server = subprocess.Popen(
            [GUNICORN, "--config", "config/gunicorn.conf.py", "bench.wsgi"],
            cwd=BASE_DIR,
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_server(base_url=base_url, process=server)
            yield server
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def run_database(db, database_url, args):
    print(f"\n== {db}")
    load_before = load_average()
    env = server_env(database_url, args.workers)
    plan = prepare(env, VAR / f"bench-plan-{db}.json", "--students", str(args.students))
    access_log = Path(env["WAYPOINT_ACCESS_LOG"])
    access_log.unlink(missing_ok=True)
    with gunicorn(env, VAR / f"bench-server-{db}.log") as server:
        scenarios = build_scenarios(plan)
        for name, lines, _ in scenarios:
            check_first_request(name, lines[0])
        rows = []
        chosen = chosen_names([name for name, _, _ in scenarios], args.only)
        for name, lines, connections in scenarios:
            if name in chosen:
                rows.append(
                    run_wrk(name, lines, connections, args.duration, access_log, server=server.pid)
                )
        for goal in goal_results(rows):
            print(f"  goal: {goal['goal']:<58} {goal_line(goal)}", flush=True)
        # Last: the flood uses up the client's sign-in allowance.
        flood = None
        if args.flood and selected("sign-in flood", args.only):
            flood = run_flood(args.flood, access_log)
        soak = None
        if args.soak:
            soak = run_wrk(
                "soak (mix)", soak_mix(scenarios), 50, args.soak, access_log, server=server.pid
            )
        transfer = checklist_transfer(plan)
    locked = (VAR / f"bench-server-{db}.log").read_text().count("database is locked")
    return {
        "rows": rows,
        "load_average": (load_before, load_average()),
        "flood": flood,
        "soak": soak,
        "locked": locked,
        "transfer": transfer,
        "progress_rows": plan["progress_rows"],
        "students": plan["students"],
        "cohort_size": plan["cohort_size"],
    }


def only_names(value):
    """``--only toggle,checklist`` -> ["toggle", "checklist"]; empty means everything."""
    return [word.strip() for word in value.split(",")] or [""]


def selected(name, only):
    """Whether a request type named ``name`` runs: one of the --only words is in it."""
    return any(word in name for word in only)


CEILING = "ceiling: HttpResponse('ok')"
READ_FLOOR = "read floor: signed-in tiny page"
WRITE_FLOOR = "write floor: htmx POST, one UPDATE"
TOGGLE = "toggle (htmx POST)"
DASHBOARD = "student dashboard"
CHECKLIST = "checklist page"
COHORT_ONE_CLIENT = "cohort dashboard, one client"


def floor_of(name, connections):
    """The floor a request type at ``connections`` is measured against: the write floor for
    the toggle, the read floor for the pages at 16 connections (as the floors run), else
    None (the floors themselves, the ceiling, the one-client and soak runs)."""
    if connections != 16:
        return None
    if name == TOGGLE:
        return WRITE_FLOOR
    if name in (DASHBOARD, CHECKLIST) or name.startswith("cohort dashboard ("):
        return READ_FLOOR
    return None


def chosen_names(names, only):
    """The request types that run: the ceiling always, those --only selects, and the floor
    of each selected page (a share of a floor needs the floor)."""
    chosen = {name for name in names if name == CEILING or selected(name, only)}
    chosen |= {floor_of(name, 16) for name in chosen} - {None}
    return chosen


def write_floor_lines(toggles):
    """The toggle's lines sent to the write floor instead: the same POST, session and body,
    to /bench/floor/write/ITEM/ (the item's progress row of that student)."""
    return [
        (method, re.sub(r"^/items/(\d+)/progress/$", r"/bench/floor/write/\1/", url), s, body)
        for method, url, s, body in toggles
    ]


def build_scenarios(plan):
    """(name, request lines, connections). A line: METHOD, path, session, body."""
    students = plan["student_sessions"]
    toggles = []
    for status in ("done", "in_progress"):  # the second round sets each item back
        for url in plan["progress_urls"]:
            for session in students:
                toggles.append(("POST", url, session, f"status={status}"))
    return [
        (CEILING, [("GET", "/bench/ok/", "", "")], 16),
        (READ_FLOOR, [("GET", "/bench/floor/read/", s, "") for s in students], 16),
        (WRITE_FLOOR, write_floor_lines(toggles), 16),
        (TOGGLE, toggles, 16),
        (DASHBOARD, [("GET", plan["dashboard"], s, "") for s in students], 16),
        (CHECKLIST, [("GET", plan["checklist"], s, "") for s in students], 16),
        (
            f"cohort dashboard ({plan['cohort_size']} students)",
            [("GET", plan["cohort_dashboard"], plan["mentor_session"], "")],
            16,
        ),
        (
            COHORT_ONE_CLIENT,
            [("GET", plan["cohort_dashboard"], plan["mentor_session"], "")],
            1,
        ),
    ]


def soak_mix(scenarios):
    """Toggles that really change something (each pair sets done, then back), and reads."""
    lines_of = {name: lines for name, lines, _ in scenarios}
    toggles = lines_of[TOGGLE]
    half = len(toggles) // 2
    size = min(100, half)
    pairs = zip(toggles[:size], toggles[half : half + size], strict=True)
    changes = [line for pair in pairs for line in pair]
    reads = [
        line
        for name, lines, connections in scenarios
        if floor_of(name, connections) == READ_FLOOR
        for line in lines
    ]
    return changes + reads


def wait_for_server(timeout=30, base_url=BASE_URL, process=None):
    """Return once base_url/health/ answers 200; SystemExit after timeout seconds, or as
    soon as process (the server's Popen) has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{base_url}/health/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer on {base_url} within {timeout} s")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


FOLLOW = urllib.request.build_opener()


def fetch(method, path, session, body, headers=None, opener=FOLLOW):
    cookie = f"csrftoken={CSRF}" + (f"; sessionid={session}" if session else "")
    request = urllib.request.Request(
        BASE_URL + path,
        method=method,
        data=body.encode() if body else None,
        headers={"Cookie": cookie, **(headers or {})},
    )
    if method == "POST":
        request.add_header("X-CSRFToken", CSRF)
        request.add_header("HX-Request", "true")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with opener.open(request, timeout=30) as response:
        return response.status, response.headers, response.read()


def check_first_request(name, line):
    """Every scenario must be a 200 before it is timed; a redirect to the login page is not."""

    try:
        status, _, _ = fetch(*line, opener=urllib.request.build_opener(NoRedirect))
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise SystemExit(f"{name}: {line[0]} {line[1]} answered {status}, not 200")


def flood_lines(count):
    """Wrong sign-ins, each at another email: one client trying many accounts."""
    return [
        ("POST", "/accounts/login/", "", f"username=flood{n}%40example.com&password=wrong-{n}")
        for n in range(count)
    ]


class HealthProbe(threading.Thread):
    """Asks /health/ every 100 ms on a new connection, as a load balancer does, and keeps
    each answer's time in ms (30 s for one that never came)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.times, self.failures = [], 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                with urllib.request.urlopen(f"{BASE_URL}/health/", timeout=30) as response:
                    response.read()
                    self.failures += response.status != 200
            except OSError:
                self.failures += 1
            self.times.append((time.monotonic() - started) * 1000)
            self.stopping.wait(max(0.0, 0.1 - (time.monotonic() - started)))

    def stop(self):
        self.stopping.set()
        self.join()


def run_flood(seconds, access_log, connections=50):
    """Wrong sign-ins for ``seconds`` at 50 connections, /health/ probed all along."""
    probe = HealthProbe()
    offset = access_log.stat().st_size if access_log.exists() else 0
    result = run_wrk(
        "sign-in flood (wrong passwords)",
        flood_lines(5000),
        connections,
        seconds,
        access_log,
        expected_statuses={400, 429},
        probe=probe,
    )
    statuses = {}
    with access_log.open() as log:
        log.seek(offset)
        for line in log:
            match = ACCESS_LINE.search(line.strip())
            if match and match["path"] == "/accounts/login/":
                statuses[match["status"]] = statuses.get(match["status"], 0) + 1
    times = sorted(probe.times)
    result.update(
        statuses=statuses,
        health_probes=len(times),
        health_failures=probe.failures,
        health_p50_ms=statistics.median(times),
        health_p95_ms=times[min(len(times) - 1, int(len(times) * 0.95))],
        health_max_ms=times[-1],
    )
    print(
        f"{'  /health/ during the flood':<36} {len(times)} probes  "
        f"p50 {result['health_p50_ms']:.1f} ms  p95 {result['health_p95_ms']:.1f} ms  "
        f"max {result['health_max_ms']:.1f} ms  failed {probe.failures}; "
        f"sign-in answers {dict(sorted(statuses.items()))}",
        flush=True,
    )
    return result


def run_wrk(
    name, lines, connections, duration, access_log, expected_statuses=None, probe=None, server=None
):
    """Drive the server with wrk; a probe (HealthProbe) runs exactly while wrk does. With
    server (gunicorn's master pid), also the workers' CPU time per request."""
    plan_file = VAR / "bench-wrk-plan.tsv"
    plan_file.write_text("".join("\t".join(line) + "\n" for line in lines))
    time.sleep(3)  # let requests still queued from the previous run finish
    offset = access_log.stat().st_size if access_log.exists() else 0
    threads = min(2, connections)
    env = {**os.environ, "WRK_PLAN": str(plan_file)}
    cpu_before = server_cpu_seconds(server) if server else None
    if probe:
        probe.start()
    try:
        completed = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{duration}s",
                "--timeout",
                "30s",
                "-s",
                str(BASE_DIR / "bench" / "wrk.lua"),
                BASE_URL,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        if probe:
            probe.stop()
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["name"] = name
    result["connections"] = connections
    result["rps"] = result["requests"] / result["seconds"]
    cpu_after = server_cpu_seconds(server) if server else None
    result["server_cpu_ms"] = (
        (cpu_after - cpu_before) * 1000 / result["requests"]
        if cpu_before is not None and cpu_after is not None and result["requests"]
        else None
    )
    result.update(server_latency(access_log, offset, expected_statuses))
    if expected_statuses:
        result["bad_status"] = 0  # wrk counts any status >= 400; the log says which
    print(
        f"{name:<36} c={connections:<3} {result['rps']:>8.1f} req/s  "
        f"p50 {result['p50_ms']:>7.1f} ms  p95 {result['p95_ms']:>7.1f} ms  "
        f"server p50 {result['server_p50_ms']:>6.1f} p95 {result['server_p95_ms']:>6.1f} ms  "
        f"CPU {cpu_ms(result)} ms/request  "
        f"errors {result['errors'] + result['bad_status'] + result['server_errors']}",
        flush=True,
    )
    return result


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def server_cpu_seconds(master_pid):
    """CPU seconds (user + system) gunicorn's workers have used so far: the live workers'
    own, plus the recycled ones' (the master's reaped children). Unlike latency, this does
    not grow when other programs share the cores. Linux (/proc) only; None elsewhere."""
    try:
        total = _stat_fields(master_pid)[13:15]  # cutime, cstime: reaped children
    except OSError:
        return None
    ticks = sum(int(n) for n in total)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields(entry.name)
        except OSError:  # gone meanwhile
            continue
        if fields[1] == str(master_pid):  # a worker
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS


def _stat_fields(pid):
    """/proc/PID/stat's fields after the command name: [state, ppid, ...] (proc(5) 3 on)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def cpu_ms(row):
    return "-" if row.get("server_cpu_ms") is None else f"{row['server_cpu_ms']:.1f}"


def server_latency(access_log, offset, expected_statuses=None):
    """Percentiles of the request times gunicorn logged since offset, and the count of
    4xx/5xx answers (other than expected_statuses, e.g. a refused sign-in's 429)."""
    with access_log.open() as log:
        log.seek(offset)
        times, failures = [], 0
        for line in log:
            match = ACCESS_LINE.search(line.strip())
            if match:
                times.append(int(match["us"]) / 1000)
                status = int(match["status"])
                failures += status >= 400 and status not in (expected_statuses or ())
    if not times:
        return {"server_p50_ms": 0.0, "server_p95_ms": 0.0, "server_errors": failures}
    times.sort()
    return {
        "server_p50_ms": statistics.median(times),
        "server_p95_ms": times[min(len(times) - 1, int(len(times) * 0.95))],
        "server_errors": failures,
    }


def checklist_transfer(plan):
    """Bytes on the wire for a first visit to the checklist, gzip accepted: page + assets."""
    session = plan["student_sessions"][0]
    _, headers, body = fetch("GET", plan["checklist"], session, "", {"Accept-Encoding": "gzip"})
    html = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
    total, parts = len(body), {"page": (len(body), len(html))}
    for asset in re.findall(rb'(?:src|href)="(/static/[^"]+)"', html):
        _, asset_headers, asset_body = fetch(
            "GET", asset.decode(), "", "", {"Accept-Encoding": "gzip"}
        )
        raw = (
            gzip.decompress(asset_body)
            if asset_headers.get("Content-Encoding") == "gzip"
            else asset_body
        )
        parts[asset.decode().rsplit("/", 1)[-1]] = (len(asset_body), len(raw))
        total += len(asset_body)
    return {"total": total, "parts": parts}


def load_average():
    """The machine's 1, 5 and 15-minute load averages, as "1.20, 0.90, 0.80"."""
    return ", ".join(f"{n:.2f}" for n in os.getloadavg())


# Issue 16's goals: (what, the row it reads, the figure, at least or under, the target).
# A share is the row's req/s over its floor's (floor_of); times are in ms.
GOALS = [
    ("status change ≥ 40 % of the write floor", TOGGLE, "floor_share", "at least", 0.40),
    ("student dashboard ≥ 25 % of the read floor", DASHBOARD, "floor_share", "at least", 0.25),
    ("checklist ≥ 15 % of the read floor", CHECKLIST, "floor_share", "at least", 0.15),
    ("status change server p95 < 25 ms at 16 clients", TOGGLE, "server_p95_ms", "under", 25),
    # The server's time: with one client on loopback it is what the mentor waits for, and
    # it is there even when no answer came back within wrk's run (wrk's own p50 is 0 then).
    (
        "500-student cohort dashboard < 120 ms median, one client",
        COHORT_ONE_CLIENT,
        "server_p50_ms",
        "under",
        120,
    ),
]


def floor_share(row, rows):
    """A row's req/s as a share (0.25 = 25 %) of its floor's, from the same run's rows;
    None when it has no floor or the floor did not run."""
    floor = floor_of(row["name"], row["connections"])
    floor_row = next((other for other in rows if other["name"] == floor), None)
    if floor_row is None or not floor_row["rps"]:
        return None
    return row["rps"] / floor_row["rps"]


def floor_cpu_share(row, rows):
    """The floor's server CPU per request over the row's (0.25: the page costs four floors):
    the same share as ``floor_share`` by the figure that other programs' load moves least.
    None without a floor or CPU figures."""
    floor = floor_of(row["name"], row["connections"])
    floor_row = next((other for other in rows if other["name"] == floor), None)
    if floor_row is None or not floor_row.get("server_cpu_ms") or not row.get("server_cpu_ms"):
        return None
    return floor_row["server_cpu_ms"] / row["server_cpu_ms"]


def goal_results(rows):
    """Each of GOALS against the run's rows: dicts with goal, figure, value (a share or ms,
    None when its row did not run), verdict ("PASS", "MISS" or "not run") and margin (how far
    past the target, positive when met: share points or ms)."""
    results = []
    for goal, name, figure, sense, target in GOALS:
        row = next((row for row in rows if row["name"] == name), None)
        value = None
        if row is not None:
            value = floor_share(row, rows) if figure == "floor_share" else row[figure]
        if not value:  # no row, no floor, or no request timed: nothing to judge
            value = None
            verdict, margin = "not run", None
        else:
            margin = value - target if sense == "at least" else target - value
            verdict = "PASS" if margin >= 0 else "MISS"
        results.append(
            {"goal": goal, "figure": figure, "value": value, "verdict": verdict, "margin": margin}
        )
    return results


def goal_line(result):
    """One goal's result as text: "PASS: 19.1 ms, 5.9 ms to spare" / "MISS: 31.0 %, 9.0
    points short"."""
    if result["value"] is None:
        return "not run"
    margin = abs(result["margin"])
    if result["figure"] == "floor_share":
        value, amount = f"{result['value']:.1%}", f"{margin * 100:.1f} points"
    else:
        value, amount = f"{result['value']:.1f} ms", f"{margin:.1f} ms"
    how = "to spare" if result["verdict"] == "PASS" else "short"
    return f"{result['verdict']}: {value}, {amount} {how}"


def markdown(results, args):
    out = []
    for db, result in results.items():
        ceiling = result["rows"][0]["rps"]
        out.append(
            f"### {db}: {result['students']:,} students, {result['progress_rows']:,} progress "
            f"rows, {os.cpu_count()} cores, gunicorn {args.workers} sync workers\n"
        )
        out.append(
            "Load average (1, 5, 15 min) before the run: {}; after: {}.\n".format(
                *result["load_average"]
            )
        )
        out.append(
            "| request | clients | req/s | of ceiling | of its floor | of its floor by CPU "
            "| p50 ms | p95 ms "
            "| server p50 ms | server p95 ms | server CPU ms/req | errors |"
        )
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for row in [*result["rows"], *([result["soak"]] if result["soak"] else [])]:
            errors = row["errors"] + row["bad_status"] + row["server_errors"]
            share = floor_share(row, result["rows"])
            cpu_share = floor_cpu_share(row, result["rows"])
            of_floor = "–" if share is None else f"{share:.1%}"
            of_floor_cpu = "–" if cpu_share is None else f"{cpu_share:.1%}"
            out.append(
                f"| {row['name']} | {row['connections']} | {row['rps']:.0f} "
                f"| {row['rps'] / ceiling:.1%} | {of_floor} | {of_floor_cpu} | {row['p50_ms']:.1f} "
                f"| {row['p95_ms']:.1f} | {row['server_p50_ms']:.1f} "
                f"| {row['server_p95_ms']:.1f} | {cpu_ms(row)} | {errors} |"
            )
        out.append("\n| goal (issue 16) | result |\n|---|---|")
        for goal in goal_results(result["rows"]):
            out.append(f"| {goal['goal']} | {goal_line(goal)} |")
        out.append("")
        flood = result["flood"]
        if flood:
            answers = ", ".join(
                f"{n:,} × {status}" for status, n in sorted(flood["statuses"].items())
            )
            out.append(
                f"\nSign-in flood: {flood['requests']:,} wrong sign-ins (one client, 50 "
                f"connections, a new email each) in {flood['seconds']:.1f} s, "
                f"{flood['rps']:.0f} req/s, answered {answers}. `/health/` probed every "
                f"100 ms meanwhile: p50 {flood['health_p50_ms']:.1f} ms, p95 "
                f"{flood['health_p95_ms']:.1f} ms, max {flood['health_max_ms']:.1f} ms, "
                f"{flood['health_failures']} failed of {flood['health_probes']}.  "
            )
        transfer = result["transfer"]
        parts = ", ".join(
            f"{name} {wire / 1024:.1f} KB ({raw / 1024:.0f} KB raw)"
            for name, (wire, raw) in transfer["parts"].items()
        )
        if result["soak"]:
            out.append(
                f"\nSoak: {args.soak} s at 50 clients, {result['soak']['requests']:,} requests; "
                f'"database is locked" in the server log: {result["locked"]}.  '
            )
        out.append(
            f"Checklist first visit, gzip: {transfer['total'] / 1024:.1f} KB in all ({parts}).\n"
        )
    return "\n".join(out)


if __name__ == "__main__":
    main()
