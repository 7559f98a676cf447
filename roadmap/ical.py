"""A student's private calendar feed (iCalendar, RFC 5545, built with ``icalendar``):
the due points of their open items and the guide's opportunity windows, for a phone
calendar to subscribe to at ``roadmap:calendar`` (the secret is
``User.calendar_token``, made and replaced on the account page).

Dates follow the student's academic clock (``figures.AcademicClock``): year of study
``y`` begins in the calendar year ``batch + y - entry_year``, in
``WAYPOINT_ACADEMIC_YEAR_START_MONTH`` (July), as ``figures.study_point`` counts it;
semester 1 is its first half, semester 2 its second.

- Due points: one all-day event per (roadmap, year, semester) that still has open
  required items, on the last day of that semester. Open = not fully done
  (``figures.fraction_done`` below 1): a skipped item is open, as pace counts it
  (PRODUCT.md: skipped never counts as done). A lateral entrant's prerequisites (due
  before their entry year) are not due points.
- Opportunity windows (``OPPORTUNITIES``): multi-day all-day events from the guide a
  roadmap was written from, placed on the student's years of study.

Every event's UID names the student, the roadmap or rule and the point or year, never
a date: a calendar that fetches again updates an event (a repeated year moves it)
instead of adding a copy.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.template.defaultfilters import pluralize
from django.urls import reverse

from accounts.models import User
from accounts.outbox import absolute_url

from .figures import AcademicClock, fraction_done
from .models import SEMESTERS_PER_YEAR, Item, Progress, Roadmap, Status, term_index

PRODID = "-//Waypoint//Calendar feed//EN"
# How often a subscribed calendar should fetch again (RFC 7986 REFRESH-INTERVAL, and
# X-PUBLISHED-TTL for the calendar apps that only read that one).
REFRESH = timedelta(hours=12)
MONTHS_PER_SEMESTER = 12 // SEMESTERS_PER_YEAR


@dataclass(frozen=True)
class Opportunity:
    """A window the guide times by year of study, e.g. internship applications from the
    second-year summer. It recurs in each year of study from ``first_year`` to
    ``last_year`` (None: the programme's last year; negative: that many years before
    it), and in each runs from the start of ``from_month`` to the end of ``to_month``,
    calendar months of that academic year (May of a July-to-June year is in the
    calendar year after it began)."""

    key: str  # in the UID: never change it
    summary: str
    from_month: int
    to_month: int
    first_year: int
    last_year: int | None
    source: str  # where the rule comes from: the guide's words and section
    advice: str  # what the dates are and where to check them
    link: str = ""

    def years(self, clock: AcademicClock) -> range:
        """The student's years of study the window falls in (none before they joined)."""
        last = self.last_year if self.last_year is not None else 0
        if last <= 0:
            last += clock.programme_years
        return range(max(self.first_year, clock.entry_year), last + 1)


# The opportunity windows of each guide, by the guide key of the roadmap loaded from it
# (``Roadmap.key``: unlike the slug, no admin edit changes it). The guide gives the
# year of study; the months are the usual ones in India, and every event says so.
OPPORTUNITIES: dict[str, tuple[Opportunity, ...]] = {
    "machine-learning-engineer": (
        Opportunity(
            key="internship-applications",
            summary="Internships: start applying",
            # The summer break before the next academic year (July): May and June.
            from_month=5,
            to_month=6,
            first_year=2,
            last_year=-1,  # the summer after the final year is after the programme
            source='The Machine Learning Engineer guide, "Internships & Experience": '
            '"Start applying from 2nd year summer", at product companies with strong ML '
            "teams (Google, Microsoft, Meta, Amazon, Flipkart, Swiggy, CRED, Razorpay, "
            "PhonePe), and programmes such as the Amazon SDE Intern.",
            advice="Each company opens and closes applications on its own dates, often "
            "from the summer into the autumn: these dates are typical, so check each "
            "company's careers site for this year's.",
        ),
        Opportunity(
            key="early-internship-programmes",
            summary="Apply: Google STEP, Microsoft Explore",
            from_month=9,
            to_month=10,
            first_year=1,
            last_year=2,  # both take first- and second-year students only
            source='The Machine Learning Engineer guide, "Internships & Experience": '
            '"Programs: Google STEP, Microsoft Explore, Amazon SDE Intern". STEP and '
            "Explore are summer internships for first- and second-year students.",
            advice="Applications usually open in the autumn for the next summer: these "
            "dates are typical, so check each programme's site for this year's.",
        ),
        Opportunity(
            key="google-summer-of-code",
            summary="Google Summer of Code: contributor applications",
            from_month=3,
            to_month=4,
            first_year=1,
            last_year=None,  # open to students in any year
            source='The Machine Learning Engineer guide, "Contribute to Open Source": '
            '"Participate in Google Summer of Code (ML projects)".',
            advice="Contributor applications usually run from mid-March to early April, "
            "after the organisations are announced: these dates are typical, so check "
            "the programme's timeline on its site.",
            link="https://summerofcode.withgoogle.com/",
        ),
    ),
}


def feed_owner(token: str) -> User | None:
    """The active person whose calendar address carries ``token``; None for any token
    that is unknown, replaced, malformed or of an inactive account (one answer for all,
    so an address never tells whether a person exists)."""
    if not token or len(token) > User._meta.get_field("calendar_token").max_length:
        return None
    return User.objects.filter(calendar_token=token, is_active=True).first()


def year_begins(clock: AcademicClock, year: int) -> int:
    """The calendar year in which the student's year of study ``year`` begins: the
    inverse of ``figures.study_point`` (year = academic year start - batch + entry)."""
    return clock.batch + year - clock.entry_year


def _month(start_year: int, months_after_january: int) -> date:
    """The first day of the month ``months_after_january`` months after January of
    ``start_year`` (0 is that January; 12 the next)."""
    year, month = divmod(months_after_january, 12)
    return date(start_year + year, month + 1, 1)


def semester_end(clock: AcademicClock, year: int, semester: int) -> date:
    """The last day of semester ``semester`` of year of study ``year`` for ``clock``:
    with a July start, 31 December (semester 1) and 30 June (semester 2)."""
    start = settings.WAYPOINT_ACADEMIC_YEAR_START_MONTH - 1
    after = _month(year_begins(clock, year), start + semester * MONTHS_PER_SEMESTER)
    return after - timedelta(days=1)


def window(clock: AcademicClock, year: int, opportunity: Opportunity) -> tuple[date, date]:
    """(first day, day after the last) of ``opportunity`` in year of study ``year``:
    an all-day event's DTSTART and DTEND (RFC 5545 section 3.6.1)."""
    begins = year_begins(clock, year)
    start = settings.WAYPOINT_ACADEMIC_YEAR_START_MONTH

    def in_year(month: int) -> int:  # months before the start month fall in the next year
        return begins if month >= start else begins + 1

    first = date(in_year(opportunity.from_month), opportunity.from_month, 1)
    # ``to_month`` (1..12) months after January is the month after it: its first day.
    end = _month(in_year(opportunity.to_month), opportunity.to_month)
    return first, end


@dataclass
class DuePoint:
    """The open required items of one roadmap due by one (year, semester)."""

    roadmap: Roadmap
    year: int
    semester: int
    items: list  # of (Item, Progress | None), in roadmap order

    @property
    def label(self) -> str:
        return f"Year {self.year}, semester {self.semester}"


def followed_roadmaps(student) -> list[Roadmap]:
    """The roadmaps ``student`` follows and may see, in the order they followed them."""
    return list(
        Roadmap.objects.visible_to(student)
        .filter(enrollments__student=student)
        .order_by("enrollments__created_at", "pk")
    )


def due_points(student, clock: AcademicClock, roadmaps: list[Roadmap]) -> list[DuePoint]:
    """The student's due points with open required items on ``roadmaps``, in (roadmap,
    due point) order. Two queries whatever the number of roadmaps and items: their
    active required items, and the student's progress on them."""
    if not roadmaps:
        return []
    by_pk = {roadmap.pk: roadmap for roadmap in roadmaps}
    items = (
        Item.objects.filter(milestone__stage__roadmap__in=by_pk, optional=False)
        .outline(skills=False)
        .defer("description")
    )
    progress = (
        Progress.objects.for_student(student)
        .filter(item__milestone__stage__roadmap__in=by_pk)
        .by_item()
    )
    points: dict[tuple, DuePoint] = {}
    for item in items:
        if item.due_term <= clock.prerequisite_term:
            continue  # a lateral entrant's prerequisite: never due for them
        row = progress.get(item.pk)
        if fraction_done(item, row) >= 1.0:
            continue
        roadmap_id = item.milestone.stage.roadmap_id
        key = (roadmap_id, *item.due_point)
        if key not in points:
            points[key] = DuePoint(by_pk[roadmap_id], *item.due_point, items=[])
        points[key].items.append((item, row))
    order = list(by_pk)
    return sorted(
        points.values(),
        key=lambda p: (order.index(p.roadmap.pk), term_index(p.year, p.semester)),
    )


def _item_line(item: Item, progress: Progress | None) -> str:
    line = f"- {item.title}"
    if progress is not None and progress.status == Status.SKIPPED:
        return line + " (skipped)"
    if item.target_count and progress is not None and progress.count:
        return line + f" ({progress.count} / {item.target_label})"
    return line


def _uid(student, *parts) -> str:
    host = urlsplit(settings.WAYPOINT_BASE_URL).hostname or "waypoint"
    return "-".join(["waypoint", str(student.pk), *map(str, parts)]) + f"@{host}"


def _due_event(student, clock: AcademicClock, point: DuePoint, *, many: bool):
    count = len(point.items)
    summary = f"Due: {count} item{pluralize(count)} ({point.label})"
    if many:  # more than one roadmap followed: say which one this is
        summary += f" · {point.roadmap.title}"
    checklist = absolute_url(reverse("roadmap:checklist", args=[point.roadmap.slug]))
    lines = [
        f"Not done yet on {point.roadmap.title}, due by the end of {point.label}:",
        *(_item_line(item, progress) for item, progress in point.items),
        "",
        f"Tick them off on your checklist: {checklist}",
    ]
    end = semester_end(clock, point.year, point.semester)
    return icalendar.Event.new(
        uid=_uid(student, "due", point.roadmap.pk, f"y{point.year}s{point.semester}"),
        summary=summary,
        description="\n".join(lines),
        start=end,
        end=end + timedelta(days=1),
        url=checklist,
        transparency="TRANSPARENT",  # a reminder, not a busy day
    )


def _opportunity_events(student, clock: AcademicClock, roadmaps: list[Roadmap]):
    for roadmap in roadmaps:
        for opportunity in OPPORTUNITIES.get(roadmap.key or "", ()):
            for year in opportunity.years(clock):
                first, end = window(clock, year, opportunity)
                lines = [
                    f"Year {year} of your studies.",
                    opportunity.source,
                    "",
                    opportunity.advice,
                ]
                if opportunity.link:
                    lines.append(opportunity.link)
                yield icalendar.Event.new(
                    uid=_uid(student, roadmap.key, opportunity.key, f"y{year}"),
                    summary=opportunity.summary,
                    description="\n".join(lines),
                    start=first,
                    end=end,
                    url=opportunity.link or None,
                    transparency="TRANSPARENT",
                )


def student_calendar(student) -> icalendar.Calendar:
    """The calendar of ``student``: due points of their open items and the opportunity
    windows of the guides they follow (see the module's docstring). Without a batch
    there is no clock to place them on: a valid calendar with no events, whose
    description says to set the batch. Three queries at most, whatever the number of
    roadmaps and items."""
    calendar = icalendar.Calendar.new(
        prodid=PRODID,
        name="Waypoint",
        uid=_uid(student, "calendar"),
        url=absolute_url(reverse("accounts:profile") + "#calendar"),
        refresh_interval=REFRESH,
    )
    # RFC 7986 asks for the value type; icalendar leaves it out.
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH))
    clock = AcademicClock.of(student)
    if clock is None:
        calendar.description = (
            "Set your batch on your Waypoint account page to see your due points and "
            "opportunity windows here."
        )
        return calendar
    calendar.description = (
        "Your due points and opportunity windows from Waypoint. Private: do not share "
        "this calendar's address."
    )
    roadmaps = followed_roadmaps(student)
    for point in due_points(student, clock, roadmaps):
        calendar.add_component(_due_event(student, clock, point, many=len(roadmaps) > 1))
    for event in _opportunity_events(student, clock, roadmaps):
        calendar.add_component(event)
    return calendar
