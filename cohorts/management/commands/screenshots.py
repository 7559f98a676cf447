"""Save screenshots of the main pages, at desktop and phone sizes, to docs/screenshots/.

Serves the current database (run `make setup` first for the guide and the demo
accounts) on a throwaway local port and drives Debian's Chromium through it.
"""

import os
import shutil
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management.base import BaseCommand, CommandError
from django.test.testcases import LiveServerThread

from cohorts.management.commands.seed_demo import DEMO_PASSWORD

# Whole-page pictures where a page fits a screenshot; the long checklist and roadmap
# pages show their first screen.
FULL_PAGE = {"home", "dashboard", "cohort", "grid", "review"}
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}


class Command(BaseCommand):
    help = "Save screenshots of the main pages to docs/screenshots/ (needs Chromium)."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(settings.BASE_DIR / "docs" / "screenshots"))

    def handle(self, *args, out, **options):
        chromium = os.environ.get("WAYPOINT_CHROMIUM") or shutil.which("chromium")
        if not chromium:
            raise CommandError("Chromium is not installed (apt-get install chromium).")
        from playwright.sync_api import sync_playwright

        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
        server = LiveServerThread("localhost", StaticFilesHandler, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise CommandError(f"Could not start the server: {server.error}")
        base = f"http://localhost:{server.port}"
        settings.WAYPOINT_BASE_URL = base  # QR codes and shared links point here
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                for size, viewport in SIZES.items():
                    self.shoot(browser, base, out, size, viewport)
                browser.close()
        finally:
            server.terminate()
        self.stdout.write(self.style.SUCCESS(f"Screenshots saved to {out}"))

    def shoot(self, browser, base, out, size, viewport):
        def save(page, name, path):
            page.goto(base + path)
            page.screenshot(
                path=out / f"{name}-{size}.png", full_page=size == "desktop" and name in FULL_PAGE
            )
            self.stdout.write(f"  {name}-{size}.png  {path}")

        anonymous = browser.new_context(viewport=viewport).new_page()
        save(anonymous, "home", "/")
        save(anonymous, "roadmap", f"/roadmaps/{settings.WAYPOINT_DEFAULT_ROADMAP}/")
        save(anonymous, "signup", "/accounts/signup/")

        student = self.signed_in(browser, viewport, base, "asha@example.com")
        save(student, "dashboard", f"/roadmaps/{settings.WAYPOINT_DEFAULT_ROADMAP}/dashboard/")
        checklist = f"/roadmaps/{settings.WAYPOINT_DEFAULT_ROADMAP}/checklist/"
        save(student, "checklist", checklist)
        # Folded: the stages below the summary, the current one open.
        student.locator(".jump").scroll_into_view_if_needed()
        student.evaluate(
            "window.scrollBy(0, document.querySelector('.jump').getBoundingClientRect().top - 8)"
        )
        student.screenshot(path=out / f"checklist-folded-{size}.png")
        self.stdout.write(f"  checklist-folded-{size}.png  {checklist}")
        # Unfolded: one item's details, opened from its row.
        row = student.locator("details.stage[open] li.item").first
        row.locator(".item__more > summary").click()
        student.wait_for_selector(f"#{row.get_attribute('id')}-detail")
        student.evaluate(
            "id => document.getElementById(id).scrollIntoView()", row.get_attribute("id")
        )
        student.screenshot(path=out / f"checklist-item-{size}.png")
        self.stdout.write(f"  checklist-item-{size}.png  {checklist}")

        # Mail choices and the private calendar address.
        save(student, "account", "/accounts/profile/#mail")
        save(student, "portfolio-settings", "/portfolio/")

        # The public page and a verification address, as a stranger opens them; the page
        # as it prints (Print / Save as PDF).
        save(anonymous, "portfolio", "/p/asha-verma/")
        check = anonymous.locator(".proof__check a").first.get_attribute("href")
        save(anonymous, "verification", check.removeprefix(base))
        anonymous.goto(base + "/p/asha-verma/")
        anonymous.emulate_media(media="print")
        anonymous.screenshot(path=out / f"portfolio-print-{size}.png", full_page=True)
        anonymous.emulate_media(media="screen")
        self.stdout.write(f"  portfolio-print-{size}.png  /p/asha-verma/ (print)")

        behind = self.signed_in(browser, viewport, base, "rahul@example.com")
        save(behind, "catch-up", f"/roadmaps/{settings.WAYPOINT_DEFAULT_ROADMAP}/catch-up/")

        mentor = self.signed_in(browser, viewport, base, "mentor@example.com")
        mentor.goto(base + "/cohorts/")
        cohort = mentor.locator(".card h2 a").first.get_attribute("href")
        save(mentor, "cohort", cohort)
        save(mentor, "grid", f"{cohort}grid/")
        save(mentor, "review", f"{cohort}review/")
        save(mentor, "nudge", f"{cohort}nudge/?pace=behind")

    def signed_in(self, browser, viewport, base, email):
        page = browser.new_context(viewport=viewport).new_page()
        page.goto(base + "/accounts/login/")
        page.fill("#id_login", email)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_load_state()
        if "/accounts/login/" in page.url:
            raise CommandError(f"Could not sign in as {email}; run `make setup` first.")
        return page
