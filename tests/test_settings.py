"""Start-up configuration: what the environment controls, and what it must not forget."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def fresh_process(*args, **env):
    """Run Python in a fresh interpreter with exactly these of our variables set."""
    own = ("DJANGO_", "DATABASE_", "REDIS_", "WAYPOINT_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def start_django(code="print('started')", **env):
    """Set Django up in a fresh interpreter with exactly these variables, then run code."""
    return fresh_process("-c", f"import django; django.setup()\n{code}", **env)


def deploy_check(fail_level="WARNING", **env):
    """Django's deployment check in a fresh process, with the documented production
    settings and any other variables given."""
    return fresh_process(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        fail_level,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="p4$-" + "x7Qm2Lz9" * 8,
        DJANGO_ALLOWED_HOSTS="waypoint.example.org",
        **env,
    )


def test_deploy_check_passes_with_production_settings():
    # The database under test (PostgreSQL in CI's second run) is checked too.
    database = {"DATABASE_URL": os.environ["DATABASE_URL"]} if "DATABASE_URL" in os.environ else {}
    result = deploy_check(
        DJANGO_EMAIL_HOST="smtp.example.org",
        WAYPOINT_BASE_URL="https://waypoint.example.org",
        **database,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_mail_on_without_the_site_address_stops_every_start_with_a_clear_message():
    # Digests and notifications would carry broken links: migrate, the worker and the
    # scheduler all run the system checks first and stop.
    for command in (["check"], ["migrate", "--check"]):
        result = fresh_process(
            "manage.py",
            *command,
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY="p4$-" + "x7Qm2Lz9" * 8,
            DJANGO_EMAIL_HOST="smtp.example.org",
        )
        assert result.returncode != 0
        assert "accounts.E002" in result.stderr
        assert "WAYPOINT_BASE_URL is not set" in result.stderr


def test_production_mode_without_a_secret_key_stops_with_a_clear_message():
    result = start_django(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = start_django()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_mode_starts_with_a_secret_key():
    result = start_django(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="k" * 50)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_a_mistyped_debug_flag_is_refused():
    result = start_django(DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be" in result.stderr


def test_sqlite_file_database_runs_in_wal_mode_with_immediate_transactions(tmp_path):
    code = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    print(*(c.execute(f'PRAGMA {p}').fetchone()[0]"
        " for p in ['journal_mode', 'foreign_keys', 'busy_timeout']))\n"
        "print(connection.settings_dict['OPTIONS']['transaction_mode'])\n"
    )
    result = start_django(
        code, DJANGO_DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "1", "20000", "IMMEDIATE"]


def test_redis_url_shares_cache_and_sessions_between_app_servers(redis_url):
    # Sign-in counts are in the database with or without Redis (accounts/throttle.py).
    code = (
        "from django.conf import settings\n"
        "from django.core.cache import cache\n"
        "cache.set('waypoint-settings-test', 'shared', 5)\n"
        "print(cache.get('waypoint-settings-test'))\n"
        "print(settings.SESSION_ENGINE)\n"
    )
    result = start_django(code, DJANGO_DEBUG="1", REDIS_URL=redis_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["shared", "django.contrib.sessions.backends.cached_db"]


def test_without_redis_shared_state_stays_in_the_database():
    code = "from django.conf import settings\nprint(settings.SESSION_ENGINE)\n"
    result = start_django(code, DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.contrib.sessions.backends.db"]
