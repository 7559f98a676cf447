"""The production settings, plus one bare view for the load benchmark's ceiling."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
