"""Words shared by every app's messages."""

from collections.abc import Sequence


def and_more(names: Sequence[str], shown: int) -> str:
    """The first ``shown`` of ``names`` joined with commas, then how many more:
    "Asha Verma, Ravi Kumar and 3 more" (no count when all are shown)."""
    rest = len(names) - shown
    listed = ", ".join(names[:shown])
    return f"{listed} and {rest} more" if rest > 0 else listed
