"""Copy the whole database to a file, safely while the app runs.

SQLite: the online backup API copies a consistent snapshot (readers and the
writer carry on). PostgreSQL: use pg_dump, see docs/deploy.md.
"""

import sqlite3
from contextlib import closing
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "Back up the SQLite database to PATH (PostgreSQL: use pg_dump, see docs/deploy.md)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path, **options):
        if connection.vendor != "sqlite":
            raise CommandError(
                "This database is PostgreSQL: back it up with "
                '`pg_dump --format=custom --file=waypoint.dump "$DATABASE_URL"` '
                "and restore with pg_restore (docs/deploy.md)."
            )
        if path.exists():
            raise CommandError(f"{path} exists already; choose a new file.")
        path.parent.mkdir(parents=True, exist_ok=True)
        # A connection of its own: the backup must not share a connection that is
        # inside a write transaction (SQLite would answer "locked" for ever). The copy
        # is written beside the target and renamed, so a failed backup leaves nothing.
        source_uri = Path(connection.settings_dict["NAME"]).resolve().as_uri() + "?mode=ro"
        partial = path.with_name(f".{path.name}.partial")
        try:
            with (
                closing(sqlite3.connect(source_uri, uri=True, timeout=20)) as source,
                closing(sqlite3.connect(partial)) as target,
            ):
                source.backup(target)
        except sqlite3.Error as error:
            partial.unlink(missing_ok=True)
            raise CommandError(f"The backup failed: {error}") from error
        partial.rename(path)
        self.stdout.write(
            self.style.SUCCESS(f"Backed up to {path} ({path.stat().st_size:,} bytes).")
        )
