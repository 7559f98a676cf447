"""Scale-out run: two app servers behind haproxy, sharing PostgreSQL and Redis.

    .venv/bin/python -m bench.scale_out            # about 2 minutes
    .venv/bin/python -m bench.scale_out --smoke    # CI: fewer requests, under a minute

On a throwaway PostgreSQL database (waypoint_scale_<pid>, made and dropped) it migrates,
loads the guide and creates three students with known passwords; then starts two
gunicorn servers with the production settings on loopback, a ``manage.py db_worker``
beside each, and haproxy in front (round robin, health checks on ``/health/``, retries
with redispatch; config generated into a temporary directory). Everything below goes
through haproxy only, over HTTP, and prints one PASS or FAIL line with its figures:

a. a session made by signing in through the form keeps working while requests alternate
   between the servers;
b. wrong passwords for one account, alternating between the servers, are counted
   together: past WAYPOINT_GUESSES_PER_ACCOUNT the right password is refused too (429);
c. tasks enqueued by either server are each run exactly once, by one of the workers;
d. one server SIGKILLed halfway through a stream of progress changes: every request
   still ends 2xx (haproxy retried it on the other) and the progress rows and events in
   the database are what the client was told.

Processes run in their own process groups and are stopped, the temporary directory
removed, the database dropped and Redis db 12 emptied on exit, whatever happens.
Exits 1 if any check fails.
"""

import argparse
import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from bench.load import manage, server_env, throwaway_database

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
REDIS_URL = "redis://127.0.0.1:6379/12"
ROADMAP = "machine-learning-engineer"
SERVERS = ("app1", "app2")
SERVED_BY = "X-Served-By"

# What haproxy writes per request: method, path, status, the server that answered, the
# retries ("+N" when redispatched to another server) and how the session ended ("----"
# when all went well, "SH--" when the server hung up before answering), e.g.
# "POST /x/ 200 app1 +1 ----".
LOG_FORMAT = "%HM %HP %ST %s %rc %tsc"


def haproxy_config(port: int, servers: dict[str, int], host: str = "127.0.0.1") -> str:
    """haproxy's configuration: listen on ``host:port`` and balance round robin over
    ``servers`` (name -> port on ``host``), each health-checked with ``GET /health/``.

    A request that cannot be sent, or gets no answer at all (the server died under it),
    or times out, is tried again up to 3 times, each time on another server. That is safe
    for Waypoint's writes: setting the state a row already has changes nothing and logs
    nothing (``progress_set``)."""
    backends = "\n".join(
        f"    server {name} {host}:{server_port} check" for name, server_port in servers.items()
    )
    return f"""\
global
    log stdout format raw local0
    maxconn 512

defaults
    mode http
    log global
    log-format "{LOG_FORMAT}"
    timeout connect 2s
    timeout client 30s
    timeout server 10s
    # A request reaches a server only once its body is here: it can then be sent again
    # whole (retry-on below needs that), and a slow phone does not hold a sync worker.
    option http-buffer-request
    # Up to 3 more tries, each on another server than the last.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
    # The client's address, for the sign-in limits (WAYPOINT_PROXY_COUNT=1).
    option forwardfor

frontend waypoint
    bind {host}:{port}
    default_backend app

backend app
    balance roundrobin
    option httpchk GET /health/ HTTP/1.1
    http-check send hdr Host {host}
    http-check expect status 200
    # A server is out after 2 failed checks a second apart, back in after 2 good ones.
    default-server inter 1s fall 2 rise 2
    http-response set-header {SERVED_BY} %s
{backends}
"""


def haproxy_retries(log_lines) -> dict:
    """From haproxy's log lines (LOG_FORMAT): requests logged, requests retried, and how
    many of those went to another server, e.g. {"requests": 200, "retried": 3,
    "redispatched": 3}. Lines of another shape (haproxy's own notices) are skipped."""
    requests = retried = redispatched = 0
    for line in log_lines:
        fields = line.split()
        if len(fields) != 6 or not fields[2].isdigit():
            continue
        requests += 1
        retries = fields[4]
        redispatched += retries.startswith("+")
        retried += int(retries.lstrip("+")) > 0
    return {"requests": requests, "retried": retried, "redispatched": redispatched}


def progress_plan(items: list[int], requests: int, clients: int) -> list[list[tuple[int, str]]]:
    """Per client, its (item pk, status) changes in order: the items are dealt out to the
    clients, and each client sets its items done, not started, done, ... in turn, so every
    request is a real change and no two clients touch the same item.
    ValueError unless there are at least as many items as clients."""
    if len(items) < clients:
        raise ValueError(f"{clients} clients need {clients} items, got {len(items)}")
    plans = []
    for client in range(clients):
        own = items[client::clients]
        count = requests // clients + (client < requests % clients)
        plans.append(
            [
                (own[n % len(own)], "done" if (n // len(own)) % 2 == 0 else "not_started")
                for n in range(count)
            ]
        )
    return plans


def expected_progress(answered: list[tuple[int, str]]) -> dict[int, list[str]]:
    """The status changes the client was told happened, per item, in order: item pk ->
    ["done", "not_started", ...]; what the progress log must hold for each."""
    changes = {}
    for item, status in answered:
        changes.setdefault(item, []).append(status)
    return changes


class Client:
    """One browser: a cookie jar, never following redirects; every answer through
    haproxy as (status, headers, body text)."""

    def __init__(self, base):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect
        )

    def request(self, path, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        if data is not None:
            request.add_header("X-CSRFToken", self.cookie("csrftoken"))
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode(errors="replace")

    def cookie(self, name):
        return next((c.value for c in self.cookies if c.name == name), "")

    def form_token(self, path):
        """The CSRF token of the form at ``path``, and the server that answered."""
        status, headers, page = self.request(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token:
            raise Failed(f"GET {path} answered {status} without a form")
        return token[1], headers.get(SERVED_BY)

    def sign_in(self, email, password):
        token, _ = self.form_token("/accounts/login/")
        status, headers, _ = self.request(
            "/accounts/login/", {"csrfmiddlewaretoken": token, "login": email, "password": password}
        )
        if status != 302 or "/accounts/login/" in headers.get("Location", ""):
            raise Failed(f"signing in as {email} answered {status}, not a redirect onwards")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Failed(Exception):
    """A check did not hold; the message says what was seen."""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """Processes started in their own process groups, each stopped with its whole group:
    SIGTERM, then SIGKILL after ``grace`` seconds."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started = {}

    def start(self, name, args, env):
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 (closed in stop)
        process = subprocess.Popen(
            args,
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started[name] = (process, log)
        return process

    def kill(self, name):
        """SIGKILL the process and all it started (gunicorn's master and its workers)."""
        process, _ = self.started[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self, grace=10):
        for process, _ in self.started.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process, log in self.started.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            # A worker left behind by a killed master is in the same group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            log.close()
        self.started.clear()

    def log_tail(self, name, lines=30):
        return "\n".join((self.logs / f"{name}.log").read_text().splitlines()[-lines:])


def wait_until(what, ready, timeout=60, process=None):
    """Return once ready() is true; Failed after ``timeout`` s, or once ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise Failed(f"{what}: exited with {process.returncode}")
        with contextlib.suppress(OSError):
            if ready():
                return
        time.sleep(0.3)
    raise Failed(f"{what}: not ready within {timeout} s")


def healthy(url):
    with urllib.request.urlopen(url + "/health/", timeout=2) as response:
        return response.status == 200


def setup_accounts(env, accounts):
    """Create ``accounts`` (email -> password) as students with verified addresses who
    follow the default roadmap; returns
    the configured WAYPOINT_GUESSES_PER_ACCOUNT."""
    code = (
        "import json, os\n"
        "from datetime import date\n"
        "from django.conf import settings\n"
        "from accounts.adapter import set_email_verified\n"
        "from accounts.models import User\n"
        "from roadmap.models import Enrollment, Roadmap\n"
        "roadmap = Roadmap.objects.get(slug=settings.WAYPOINT_DEFAULT_ROADMAP)\n"
        "today = date.today()\n"
        "batch = today.year - 1 if today.month >= 7 else today.year - 2\n"
        "for email, password in json.loads(os.environ['SCALE_ACCOUNTS']).items():\n"
        "    user = User.objects.create_user(email, password, name='Scale ' + email[:6],"
        " batch=batch)\n"
        "    set_email_verified(user)\n"
        "    Enrollment.objects.create(student=user, roadmap=roadmap)\n"
        "print(json.dumps({'limit': settings.WAYPOINT_GUESSES_PER_ACCOUNT}))\n"
    )
    completed = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env={**env, "SCALE_ACCOUNTS": json.dumps(accounts)},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])["limit"]


def db_rows(database_url, sql, *params):
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute(sql, params).fetchall()


def tally(counter: Counter) -> dict:
    """A Counter as a dict in a stable order, None (no such header) included."""
    return dict(sorted(counter.items(), key=lambda pair: str(pair[0])))


def report(name, ok, figures):
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {figures}", flush=True)
    return ok


def check_session(base, email, password, rounds):
    """a. Sign in through the form, then ``rounds`` GETs of the dashboard and checklist."""
    client = Client(base)
    client.sign_in(email, password)
    statuses, served = Counter(), Counter()
    for n in range(rounds):
        page = "dashboard" if n % 2 == 0 else "checklist"
        status, headers, _ = client.request(f"/roadmaps/{ROADMAP}/{page}/")
        statuses[status] += 1
        served[headers.get(SERVED_BY)] += 1
    ok = statuses == Counter({200: rounds}) and set(served) == set(SERVERS)
    return report(
        "a. one session on both servers",
        ok,
        f"{rounds} GETs of the dashboard/checklist after signing in: statuses "
        f"{dict(statuses)}, served by {tally(served)}",
    )


def check_lockout(base, email, password, limit):
    """b. ``limit`` wrong passwords alternating between servers, then the right one."""
    client = Client(base)
    token, _ = client.form_token("/accounts/login/")
    answers = []
    for attempt in range(limit + 1):
        guess = password if attempt == limit else f"wrong-{attempt}-{secrets.token_hex(2)}"
        status, headers, _ = client.request(
            "/accounts/login/", {"csrfmiddlewaretoken": token, "login": email, "password": guess}
        )
        answers.append((status, headers.get(SERVED_BY)))
    wrong = answers[:limit]
    by_server = Counter(server for _, server in wrong)
    last_status, last_server = answers[-1]
    ok = (
        all(status == 400 for status, _ in wrong)
        and set(by_server) == set(SERVERS)
        and max(by_server.values()) < limit
        and last_status == 429
    )
    return report(
        "b. sign-in lockout counted across servers",
        ok,
        f"{limit} wrong passwords (limit {limit}) answered {[s for s, _ in wrong]}, "
        f"{tally(by_server)} per server; then the right password: "
        f"{last_status} from {last_server}",
    )


def check_tasks(base, email, password, database_url, count):
    """c. ``count`` marker tasks enqueued through haproxy, each run once by one worker."""
    import redis

    client = Client(base)
    client.sign_in(email, password)
    # One page first: the sign-in may have rotated the CSRF cookie.
    client.request(f"/roadmaps/{ROADMAP}/dashboard/")
    run = secrets.token_hex(4)
    enqueued = {}  # task result id -> (marker, server)
    for n in range(count):
        marker = f"{run}-{n}"
        status, headers, body = client.request("/bench/scale/mark/", {"marker": marker})
        if status != 200:
            raise Failed(f"enqueueing a task answered {status}")
        enqueued[json.loads(body)["id"]] = (marker, headers.get(SERVED_BY))

    def rows():
        return db_rows(
            database_url,
            "SELECT id::text, status, worker_ids, return_value"
            " FROM django_tasks_database_dbtaskresult WHERE task_path = 'bench.scale_tasks.mark'",
        )

    wait_until(
        "the workers finishing the tasks",
        lambda: sum(status == "SUCCESSFUL" for _, status, _, _ in rows()) >= count,
        timeout=30,
    )
    time.sleep(1.5)  # a task run twice would show now
    results = {row[0]: row for row in rows()}
    cache = redis.Redis.from_url(REDIS_URL)
    runs = {
        marker: int(cache.get(f":1:scale-out-mark:{marker}") or 0)
        for marker, _ in enqueued.values()
    }
    workers = Counter(worker for _, _, worker_ids, _ in results.values() for worker in worker_ids)
    enqueued_by = Counter(server for _, server in enqueued.values())
    ok = (
        set(results) == set(enqueued)
        and all(
            status == "SUCCESSFUL" and len(worker_ids) == 1 and value == 1
            for _, status, worker_ids, value in results.values()
        )
        and set(runs.values()) == {1}
        and set(enqueued_by) == set(SERVERS)
    )
    statuses = Counter(status for _, status, _, _ in results.values())
    return report(
        "c. each task done exactly once",
        ok,
        f"{count} tasks enqueued through {tally(enqueued_by)}; result rows "
        f"{dict(statuses)}, run by workers {tally(workers)}, one worker id "
        f"each: {all(len(r[2]) == 1 for r in results.values())}; marker counts "
        f"{dict(Counter(runs.values()))} (value: tasks)",
    )


def check_failover(base, email, password, database_url, requests, clients, processes, logs):
    """d. ``requests`` progress changes from ``clients`` threads; app2 SIGKILLed halfway."""
    client = Client(base)
    client.sign_in(email, password)
    _, _, page = client.request(f"/roadmaps/{ROADMAP}/checklist/")
    items = list(
        dict.fromkeys(int(pk) for pk in re.findall(r'hx-post="/items/(\d+)/progress/"', page))
    )
    plans = progress_plan(items[: 2 * clients], requests, clients)
    answers = []  # (item, status, http status, server)
    spans = []  # (sent, answered) in time.monotonic() seconds
    lock = threading.Lock()
    halfway = threading.Event()
    haproxy_log = logs / "haproxy.log"
    log_offset = haproxy_log.stat().st_size

    def work(plan):
        for item, status in plan:
            sent = time.monotonic()
            answer = client.request(
                f"/items/{item}/progress/",
                {"status": status},
                {"HX-Request": "true", "HX-Target": f"item-{item}"},
            )
            with lock:
                answers.append((item, status, answer[0], answer[1].get(SERVED_BY)))
                spans.append((sent, time.monotonic()))
                if len(answers) >= requests // 2:
                    halfway.set()

    threads = [threading.Thread(target=work, args=(plan,)) for plan in plans]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    halfway.wait(timeout=120)
    with lock:
        before_kill = len(answers)
    killed_at = time.monotonic()
    processes.kill("app2")
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started

    answered = [(item, status) for item, status, code, _ in answers if 200 <= code < 300]
    told = expected_progress(answered)
    mine = tuple(told)
    rows = dict(
        db_rows(
            database_url,
            "SELECT p.item_id, p.status FROM roadmap_progress p JOIN accounts_user u"
            " ON u.id = p.student_id WHERE u.email = %s AND p.item_id = ANY(%s)",
            email,
            list(mine),
        )
    )
    logged = {}
    for item, to_status in db_rows(
        database_url,
        "SELECT e.item_id, e.to_status FROM roadmap_progressevent e JOIN accounts_user u"
        " ON u.id = e.student_id WHERE u.email = %s AND e.field = 'status'"
        " ORDER BY e.created_at, e.id",
        email,
    ):
        logged.setdefault(item, []).append(to_status)
    time.sleep(1.5)  # haproxy writes its log line when a request ends
    with haproxy_log.open() as log:
        log.seek(log_offset)
        retries = haproxy_retries(log)
    codes = Counter(code for _, _, code, _ in answers)
    in_flight = sum(sent < killed_at < answered for sent, answered in spans)
    after = Counter(
        answer[3] for answer, (sent, _) in zip(answers, spans, strict=True) if sent > killed_at
    )
    ok = (
        len(answers) == requests
        and len(answered) == requests
        and set(after) == {"app1"}
        and rows == {item: changes[-1] for item, changes in told.items()}
        and logged == told
    )
    return report(
        "d. a server killed mid-run loses nothing",
        ok,
        f"{requests} progress changes on {len(told)} items from {clients} clients in "
        f"{seconds:.1f} s; app2 SIGKILLed after {before_kill} answers, with {in_flight} "
        f"requests in flight; answers {dict(codes)}; "
        f"sent after the kill: {sum(after.values())}, answered by {tally(after)}; haproxy retried "
        f"{retries['retried']} ({retries['redispatched']} on the other server); "
        f"progress rows matching the last answer: "
        f"{sum(rows.get(i) == c[-1] for i, c in told.items())}/{len(told)}; status events "
        f"{sum(map(len, logged.values()))} logged for {len(answered)} changes answered",
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="fewer requests, for CI")
    parser.add_argument("--requests", type=int, help="progress changes in d (200; smoke 80)")
    parser.add_argument(
        "--db-name",
        default=f"waypoint_scale_{os.getpid()}",
        help="the throwaway PostgreSQL database, made and dropped",
    )
    parser.add_argument("--logs", type=Path, help="copy the servers' and haproxy's logs here")
    args = parser.parse_args()
    requests = args.requests or (80 if args.smoke else 200)
    rounds, tasks, clients = (10, 6, 3) if args.smoke else (20, 20, 4)

    # SIGTERM (CI cancelling) unwinds like Ctrl-C, so everything is cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"stopped by signal {signal.SIGTERM}"))
    if not Path(HAPROXY).exists():
        sys.exit("haproxy is not installed: apt-get install haproxy")
    started = time.monotonic()
    print(
        f"Scale-out run{' (smoke)' if args.smoke else ''}: {os.cpu_count()} cores, load "
        f"average {', '.join(f'{n:.2f}' for n in os.getloadavg())}",
        flush=True,
    )
    with contextlib.ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="waypoint-scale-")))
        database_url = stack.enter_context(throwaway_database("postgres", args.db_name))
        stack.callback(flush_redis)
        processes = Processes(logs)
        stack.callback(processes.stop_all)
        try:
            ok = run(args, database_url, processes, logs, requests, rounds, tasks, clients, started)
        except Failed as failure:
            print(f"FAIL  {failure}", flush=True)
            ok = False
        if not ok:
            for name in processes.started:
                print(f"-- last lines of {name}'s log\n{processes.log_tail(name)}")
        if args.logs:
            processes.stop_all()
            shutil.copytree(logs, args.logs, dirs_exist_ok=True)
    print(f"{'All checks passed' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s.")
    sys.exit(0 if ok else 1)


def run(args, database_url, processes, logs, requests, rounds, tasks, clients, started):
    ports = {name: free_port() for name in SERVERS}
    balancer = free_port()
    base = f"http://127.0.0.1:{balancer}"
    env = {
        **server_env(database_url, workers=2, access_log=logs / "access.log"),
        "DJANGO_SETTINGS_MODULE": "bench.scale_settings",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "REDIS_URL": REDIS_URL,
        "WAYPOINT_PROXY_COUNT": "1",
    }
    flush_redis()
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    manage(env, "load_guide")
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")
    accounts = {
        f"{role}-{secrets.token_hex(3)}@example.com": secrets.token_urlsafe(16)
        for role in ("reader", "locked", "writer")
    }
    limit = setup_accounts(env, accounts)
    (reader, reader_password), (locked, locked_password), (writer, writer_password) = (
        accounts.items()
    )
    print(f"Set up in {time.monotonic() - started:.0f} s.", flush=True)

    for name, port in ports.items():
        server_env_ = {
            **env,
            "WAYPOINT_BIND": f"127.0.0.1:{port}",
            "WAYPOINT_ACCESS_LOG": str(logs / f"{name}-access.log"),
        }
        process = processes.start(
            name,
            # Each its own control socket: by default both would take the same one.
            [
                GUNICORN,
                "--config",
                "config/gunicorn.conf.py",
                "--control-socket",
                str(logs / f"{name}.ctl"),
                "bench.wsgi",
            ],
            server_env_,
        )
        processes.start(
            f"worker-{name}",
            [PYTHON, "manage.py", "db_worker", "--worker-id", f"worker-{name}"],
            server_env_,
        )
        wait_until(name, lambda port=port: healthy(f"http://127.0.0.1:{port}"), process=process)
    config = logs / "haproxy.cfg"
    config.write_text(haproxy_config(balancer, ports))
    subprocess.run([HAPROXY, "-c", "-q", "-f", str(config)], check=True)
    haproxy = processes.start("haproxy", [HAPROXY, "-db", "-f", str(config)], os.environ.copy())
    wait_until("haproxy", lambda: healthy(base), process=haproxy)
    # Both servers in: their first health checks passed (rise 2).
    time.sleep(2.5)
    print(
        f"Up: {', '.join(f'{n} on :{p}' for n, p in ports.items())}, each with a db_worker; "
        f"haproxy on :{balancer}. {time.monotonic() - started:.0f} s so far.",
        flush=True,
    )
    results = [
        check_session(base, reader, reader_password, rounds),
        check_lockout(base, locked, locked_password, limit),
        check_tasks(base, reader, reader_password, database_url, tasks),
        check_failover(
            base, writer, writer_password, database_url, requests, clients, processes, logs
        ),
    ]
    return all(results)


def flush_redis():
    import redis

    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(REDIS_URL).flushdb()


if __name__ == "__main__":
    main()
