"""Nothing is lost: progress survives content edits, and backups restore whole."""

import sqlite3
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import ProtectedError
from django.urls import reverse

from roadmap.models import Item, Progress, Status
from roadmap.services import follow_roadmap, progress_set
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def item_with_progress():
    item = ItemFactory()
    student = UserFactory()
    follow_roadmap(student, item.milestone.stage.roadmap)
    progress_set(student=student, item=item, status=Status.DONE)
    return item


def test_an_item_with_progress_cannot_be_deleted_in_the_orm(item_with_progress):
    with pytest.raises(ProtectedError):
        item_with_progress.delete()
    with pytest.raises(ProtectedError):
        item_with_progress.milestone.stage.roadmap.delete()
    assert Progress.objects.count() == 1


def test_the_admin_archives_instead(client, staff_user, item_with_progress):
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:roadmap_item_changelist"),
        {"action": "archive", "_selected_action": [item_with_progress.pk]},
        follow=True,
    )
    assert "their progress is kept" in response.text
    item_with_progress.refresh_from_db()
    assert item_with_progress.archived
    assert Progress.objects.count() == 1


def row_counts(cursor_execute):
    counts = {}
    for model in apps.get_models():
        table = model._meta.db_table
        counts[table] = cursor_execute(f'SELECT COUNT(*) FROM "{table}"')
    return counts


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite leg tests the backup API")
@pytest.mark.django_db(transaction=True)  # the backup reads committed rows, as in production
def test_sqlite_backup_restores_identical_row_counts(tmp_path, item_with_progress):
    ItemFactory.create_batch(3)
    target = tmp_path / "backup.sqlite3"
    call_command("backup_db", str(target), stdout=StringIO())

    def live(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    restored = sqlite3.connect(target)
    try:
        backup = row_counts(lambda sql: restored.execute(sql).fetchone()[0])
    finally:
        restored.close()
    assert backup == row_counts(live)
    assert backup[Item._meta.db_table] == 4
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup_db", str(target), stdout=StringIO())


@pytest.mark.skipif(connection.vendor == "sqlite", reason="the PostgreSQL leg checks the advice")
def test_postgresql_backup_points_to_pg_dump(tmp_path):
    with pytest.raises(CommandError, match="pg_dump"):
        call_command("backup_db", str(tmp_path / "x"), stdout=StringIO())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite leg tests the backup API")
@pytest.mark.django_db(transaction=True)
def test_a_failed_sqlite_backup_says_so_and_leaves_no_file(tmp_path, monkeypatch):
    real_connect = sqlite3.connect

    class FailingSource:
        """The live database, opened read-only, whose backup fails half-way."""

        def __init__(self, connection):
            self.connection = connection

        def backup(self, target):
            raise sqlite3.OperationalError("disk I/O error")

        def close(self):
            self.connection.close()

    def connect(*args, **kwargs):
        opened = real_connect(*args, **kwargs)
        return FailingSource(opened) if kwargs.get("uri") else opened

    monkeypatch.setattr(sqlite3, "connect", connect)
    target = tmp_path / "backup.sqlite3"
    with pytest.raises(CommandError, match="The backup failed: disk I/O error"):
        call_command("backup_db", str(target), stdout=StringIO())
    assert list(tmp_path.iterdir()) == []
