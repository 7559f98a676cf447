"""The production settings, plus one bench-only view that enqueues a marker task, for the
scale-out run (bench/scale_out.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.scale_urls"
