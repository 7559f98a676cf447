"""Writes that touch several rows: following a roadmap and changing progress.

Each validates what only the database state can tell (archived item, stale
form), writes and logs in one transaction. Field-level validation (status
names, count bounds, URL schemes) happens in the forms before these are called.

One module per kind of write: ``changes`` (following, ``progress_set``), ``verification``
(a mentor's verification) and ``catch_up``; everything public is importable from here.
"""

from .catch_up import (
    CATCH_UP_MAX_ITEMS,
    CatchUp,
    CatchUpInvalid,
    NothingToUndo,
    catch_up_undo,
    progress_catch_up,
)
from .changes import (
    ProgressRefused,
    StaleProgress,
    follow_default_roadmap,
    follow_roadmap,
    progress_set,
)
from .verification import review_evidence, review_evidence_undo, review_undo_until

__all__ = [
    "CATCH_UP_MAX_ITEMS",
    "CatchUp",
    "CatchUpInvalid",
    "NothingToUndo",
    "ProgressRefused",
    "StaleProgress",
    "catch_up_undo",
    "follow_default_roadmap",
    "follow_roadmap",
    "progress_catch_up",
    "progress_set",
    "review_evidence",
    "review_evidence_undo",
    "review_undo_until",
]
