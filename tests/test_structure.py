"""The project's shape: apps depend one way, and no command of ours shadows Django's."""

import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.core import management
from django.core.management import find_commands

ROOT = Path(__file__).resolve().parents[1]


def test_apps_depend_one_way_accounts_then_roadmap_then_cohorts(tmp_path):
    """import-linter's layers contract in pyproject.toml: nothing in accounts imports
    roadmap or cohorts, nothing in roadmap imports cohorts."""
    result = subprocess.run(
        [Path(sys.executable).parent / "lint-imports", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Apps depend one way: accounts <- roadmap <- cohorts KEPT" in result.stdout, (
        result.stdout + result.stderr
    )
    assert result.returncode == 0


def test_no_command_of_ours_shadows_one_of_djangos():
    """``manage.py loaddata`` must be Django's own: the guide loads with ``load_guide``."""
    ours = {
        path.stem
        for app in ("accounts", "roadmap", "cohorts")
        for path in (ROOT / app / "management" / "commands").glob("[!_]*.py")
    }
    djangos = set(find_commands(Path(management.__file__).parent))
    for config in apps.get_app_configs():
        if config.name.startswith("django."):
            djangos |= set(find_commands(Path(config.path) / "management"))
    assert "loaddata" in djangos and "load_guide" in ours
    assert not ours & djangos
