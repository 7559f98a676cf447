"""Smoke test of a running Waypoint over HTTP: python .ci/smoke.py http://127.0.0.1:8000

Signs a new student up, signs out and in again, ticks an item on the checklist
the way htmx does, and checks that the dashboard counts it; along the way, that
the health URL answers, static files come compressed with long cache headers,
the security headers are there, the reset page opens, and wrong passwords end in
a 429. New accounts must be signed in at once (WAYPOINT_EMAIL_VERIFICATION=none,
the default of a server without mail). Standard library only; exits non-zero with
the failed step on the first problem. It creates one account on the target and
locks it from this address.
"""

import gzip
import http.cookiejar
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import date

# The roadmap new students follow, as the server is configured.
ROADMAP = os.environ.get("WAYPOINT_DEFAULT_ROADMAP", "machine-learning-engineer")


class Smoke:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, path, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        if data is not None:
            request.add_header("X-CSRFToken", self.cookie("csrftoken"))
        try:
            with self.opener.open(request, timeout=30) as response:
                raw = response.read()
                if response.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                return response.status, response.geturl(), response.headers, raw.decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.headers, error.read().decode(errors="replace")

    def cookie(self, name):
        return next((c.value for c in self.cookies if c.name == name), "")

    def form_post(self, path, fields):
        status, _, _, page = self.request(path)
        check(status == 200, f"GET {path} answers 200 (got {status})")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        check(token, f"{path} has a CSRF token")
        return self.request(path, {"csrfmiddlewaretoken": token[1], **fields})


def check(condition, what):
    if not condition:
        sys.exit(f"SMOKE FAILED: {what}")
    print(f"ok  {what}")


def main(base):
    smoke = Smoke(base)
    status, _, _, body = smoke.request("/health/")
    check(status == 200 and '"ok"' in body, "the health URL reports the database reachable")
    queue = json.loads(body).get("queue", {})
    check(queue.get("worked") is True, "the health URL reports the background queue worked")

    email = f"smoke-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(16)
    today = date.today()
    batch = today.year if today.month >= 7 else today.year - 1
    status, url, headers, page = smoke.form_post(
        "/accounts/signup/",
        {
            "email": email,
            "name": "Smoke Test",
            "batch": batch,
            "entry_year": 1,
            "programme_years": 4,
            "password1": password,
            "password2": password,
        },
    )
    # The smoke test cannot open a mailbox: it needs a server that signs new accounts in
    # at once (WAYPOINT_EMAIL_VERIFICATION=none, the default when mail is off, as in CI).
    check(
        not url.endswith("/accounts/confirm-email/"),
        "sign-up does not wait for a mailed link (run with WAYPOINT_EMAIL_VERIFICATION=none)",
    )
    check(status == 200 and url.endswith("/dashboard/"), f"sign-up lands on the dashboard ({url})")
    for header in ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy"):
        check(headers.get(header), f"the page is sent with {header}")

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    status, _, _, _ = smoke.request("/accounts/logout/", {"csrfmiddlewaretoken": token[1]})
    check(status == 200, "signing out works")
    status, url, _, _ = smoke.request(f"/roadmaps/{ROADMAP}/dashboard/")
    check("/accounts/login/" in url, "after signing out, the dashboard asks to sign in")
    status, url, _, page = smoke.form_post(
        f"/accounts/login/?next=/roadmaps/{ROADMAP}/checklist/",
        {"login": email, "password": password},
    )
    check(status == 200 and "/checklist/" in url, "signing in again leads back to the checklist")

    def items_done():
        status, _, _, page = smoke.request(f"/roadmaps/{ROADMAP}/dashboard/")
        check(status == 200, "the dashboard answers 200")
        done = re.search(r"(\d+) of (\d+) done", page)
        check(done, "the dashboard says how many required items are done")
        return int(done[1]), page

    before, _ = items_done()
    match = re.search(r'hx-post="(/items/(\d+)/progress/)"', page)
    check(match, "the checklist has htmx progress controls")
    progress_url = match[1]
    status, _, _, fragment = smoke.request(
        progress_url, {"status": "done"}, {"HX-Request": "true", "HX-Target": f"item-{match[2]}"}
    )
    check(status == 200, f"the htmx toggle answers 200 (got {status})")
    check('hx-swap-oob="true"' in fragment, "the toggle updates the page's figures out of band")

    after, page = items_done()
    check(after == before + 1, f"the dashboard counts the item done ({before} → {after})")

    script = re.search(r'<script src="(/static/[^"]*htmx[^"]*\.js)"', page)
    check(script, "the page loads htmx from our own static files")
    status, _, headers, _ = smoke.request(script[1], headers={"Accept-Encoding": "gzip"})
    check(status == 200, "htmx is served")
    check(headers.get("Content-Encoding") == "gzip", "static files are sent compressed")
    cache = headers.get("Cache-Control", "")
    check("max-age=315360000" in cache, "hashed static files are cached for years")

    status, _, _, page = smoke.request("/accounts/password/reset/")
    mail_off = "does not send email" in page
    check(
        status == 200 and (mail_off or 'name="email"' in page),
        "the reset page " + ("says mail is off" if mail_off else "asks for an email"),
    )

    # Last, as it locks the new account from this address: wrong passwords are refused.
    stranger = Smoke(base)
    for attempt in range(1, 8):
        status, _, headers, page = stranger.form_post(
            "/accounts/login/", {"login": email, "password": f"wrong-{attempt}"}
        )
        if status != 400:  # a wrong password is bad input: 400, then 429
            break
    check(
        status == 429 and headers.get("Retry-After") and "Too many" in page,
        f"wrong passwords are refused with a 429 after {attempt - 1} tries",
    )
    print("SMOKE PASSED")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
