"""The 12-month activity heatmap, read from the progress event log."""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate

from .models import ProgressEvent

WEEKS = 53
# Changes per day at which a cell reaches each shade; the number is always in its label.
LEVELS = [1, 3, 6, 10]


def level(count: int) -> int:
    """The shade of a day with ``count`` changes: 0 for none, up to len(LEVELS)."""
    return bisect_right(LEVELS, count)


@dataclass(frozen=True)
class Day:
    day: date
    count: int  # changes the student made that day
    future: bool
    level: int = field(init=False)  # level(count), worked out once for the 371 days shown

    def __post_init__(self):
        object.__setattr__(self, "level", level(self.count))

    @property
    def label(self) -> str:
        changes = (
            "no changes" if self.count == 0 else f"{self.count} change" + "s" * (self.count > 1)
        )
        return f"{changes} on {self.day:%a %-d %b %Y}"


@dataclass
class Heatmap:
    weeks: list[list[Day]]
    months: list[tuple[str, int]]  # (month label, changes) for the text alternative
    total: int
    active_days: int


def day_counts(events) -> dict[date, int]:
    """Changes per local day, counted by the database."""
    rows = events.annotate(day=TruncDate("created_at")).values("day").annotate(n=Count("pk"))
    return {row["day"]: row["n"] for row in rows.order_by()}


def heatmap(student, today: date) -> Heatmap:
    """53 weeks of a student's activity, Monday-first columns ending with this week."""
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=WEEKS - 1)
    counts = day_counts(
        ProgressEvent.objects.for_student(student)
        .by_the_student()
        .filter(created_at__date__gte=start)
    )
    weeks = [
        [
            Day(day, counts.get(day, 0), day > today)
            for day in (start + timedelta(weeks=week, days=weekday) for weekday in range(7))
        ]
        for week in range(WEEKS)
    ]
    months: dict[str, int] = {}
    for week in weeks:
        for day in week:
            if not day.future:
                key = f"{day.day:%b %Y}"
                months[key] = months.get(key, 0) + day.count
    return Heatmap(
        weeks=weeks,
        months=list(months.items()),
        total=sum(counts.values()),
        active_days=len(counts),
    )
