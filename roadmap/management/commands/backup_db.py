"""Copy the whole database to a file, safely while the app runs.

SQLite: the online backup API copies a consistent snapshot (readers and the
writer carry on). PostgreSQL: use pg_dump, see docs/deploy.md.
"""

import sqlite3
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
        # inside a write transaction (SQLite would answer "locked" for ever).
        source_name = connection.settings_dict["NAME"]
        source = sqlite3.connect(f"file:{source_name}?mode=ro", uri=True, timeout=20)
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        self.stdout.write(
            self.style.SUCCESS(f"Backed up to {path} ({path.stat().st_size:,} bytes).")
        )
