"""The production settings, plus the load benchmark's bare view (the ceiling) and its two
signed-in floors (bench/urls.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
