"""Load the default roadmap's guide file once; reload it on purpose with --reload.

`make run` and `make serve` run this at every start: it loads the guide only when
the database has no roadmap with the file's key yet, so what admins edit in the
admin survives. ``--reload`` brings the database up to date with the file
(``roadmap.guide`` has the rules), in one transaction:

- rows are found by their ``key`` from the file, never by slug: a slug an admin
  renamed stays, and no second copy is added;
- the file's changes reach every field an admin left as the file said at the last
  load (titles, texts, links, kinds, years, due points, targets, optional, order,
  slug, placement, the file's skill links); a field an admin edited stays theirs;
- archived items stay archived; rows and skill links added in the admin are left
  alone;
- items with a key that the file no longer has are archived once (progress kept;
  an admin's Restore sticks); stages, milestones, skills and categories it no
  longer has are left as they are;
- a bad or conflicting file is refused with a message and changes nothing.

It prints what it changed, by kind of row (``-v 2``: by row); a second reload
prints that nothing changed. ``--dry-run`` prints the same and saves nothing.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from roadmap.guide import GuideError, load_guide, read_guide
from roadmap.models import Roadmap


def default_guide_path() -> Path:
    return Path(settings.FIXTURE_DIRS[0]) / f"{settings.WAYPOINT_DEFAULT_ROADMAP}.json"


class Command(BaseCommand):
    help = (
        "Load the default roadmap's guide file unless its roadmap is there already. "
        "With --reload, update the database from the file: rows are matched by their key "
        "(never by slug); the file's changes reach the fields an admin has not edited since "
        "the last load, and fields an admin edited, archived items and rows added in the "
        "admin are kept; items gone from the file are archived with their progress. "
        "Prints what changed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reload",
            action="store_true",
            help="update the roadmap from the file even though it is loaded already",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print what a load would change; save nothing"
        )
        parser.add_argument(
            "--file", type=Path, help="the guide file (default: the default roadmap's in fixtures/)"
        )

    def handle(self, *args, reload, dry_run, file, verbosity, **options):
        path = file or default_guide_path()
        try:
            if not reload:
                key = read_guide(path)["roadmap"]["key"]
                roadmap = Roadmap.objects.filter(key=key).first()
                if roadmap is not None:
                    self.stdout.write(f"The roadmap '{roadmap}' is there already; left as it is.")
                    return
            summary = load_guide(path, dry_run=dry_run)
        except GuideError as error:
            raise CommandError(f"Nothing loaded: {error}") from error
        self.report(summary, path, dry_run, verbosity)

    def report(self, summary, path, dry_run, verbosity):
        roadmap = summary.roadmap
        if not summary.changed:
            self.stdout.write(f"Nothing changed: '{roadmap}' is up to date with {path}.")
        else:
            first_load = not rows_there_before(summary)
            verb = {
                (True, False): "Loaded",
                (False, False): "Updated",
                (True, True): "Would load",
                (False, True): "Would update",
            }[first_load, dry_run]
            self.stdout.write(
                self.style.SUCCESS(
                    f"{verb} '{roadmap}' from {path} ({summary.active_items} active items):"
                )
            )
        for line in summary.lines():
            self.stdout.write(f"  {line}")
        if verbosity >= 2:
            for line in summary.details:
                self.stdout.write(f"    {line}")
        if dry_run:
            self.stdout.write("Dry run: nothing was saved.")


def rows_there_before(summary) -> int:
    """How many rows the load found in the database already (none on a first load)."""
    return sum(
        counts["updated"] + counts["unchanged"] + counts["archived"]
        for counts in summary.counts.values()
    )
