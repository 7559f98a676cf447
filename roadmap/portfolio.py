"""What a student's public portfolio shows, and how its settings change.

A portfolio shows only what its student chose (``Portfolio.items``) of what they have
done, each with its trust level in words, and a summary by stage of each roadmap they
follow: never notes, pace, dates of study or anything else of the student's. Each item
a mentor verified links to its verification address, which anyone can open or scan
(``verification_qr_svg``) to check who vouched for which evidence, and when.
"""

import functools
import io
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime

from accounts.outbox import absolute_url

from .figures import ItemTable, attach_tallies
from .models import (
    REVIEWED_KINDS,
    Item,
    Kind,
    Portfolio,
    PortfolioName,
    Progress,
    Roadmap,
    Standing,
    Status,
    Verification,
)
from .models.public_pages import MAX_SHOWN_NAMES
from .outline import roadmap_outline

# Items suggested for a new portfolio: the proof the guide says employers look for.
SUGGESTED_KINDS = (*REVIEWED_KINDS, Kind.ACTIVITY)
ROADMAP_ORDER = (
    "item__milestone__stage__roadmap__title",
    "item__milestone__stage__order",
    "item__milestone__order",
    "item__order",
    "item__pk",
)


class NameTaken(Exception):
    """The address name is another student's, now or before they renamed."""

    message = "That address is taken. Try adding your batch year or a second name."


@dataclass
class Entry:
    """One item on a portfolio: the student's ``progress`` on it (item loaded) and, when
    a mentor's verification of its evidence stands, that ``verification``."""

    progress: Progress
    verification: Verification | None = None

    @property
    def item(self) -> Item:
        return self.progress.item


def portfolio_of(student) -> Portfolio:
    """The student's portfolio settings; a new one (off, no address, not yet saved:
    ``portfolio_update`` saves it) when they never saved any."""
    return Portfolio.objects.filter(student=student).first() or Portfolio(student=student)


def public_portfolio(name: str) -> Portfolio | None:
    """The portfolio anyone may open at ``/p/<name>/`` (any case), with its student; None
    when there is none, or it is off, taken down, renamed or of an inactive account: the
    caller answers each the same way (404), so none can be told from another."""
    return Portfolio.objects.public().select_related("student").filter(name=name.lower()).first()


def done_progress(student):
    """The student's done items on published roadmaps, in roadmap order, items loaded:
    what a portfolio may show."""
    return (
        Progress.objects.for_student(student)
        .filter(status=Status.DONE, item__milestone__stage__roadmap__published=True)
        .select_related("item__milestone__stage")
        .defer("note")
        .order_by(*ROADMAP_ORDER)
    )


def is_suggested(progress: Progress) -> bool:
    """Worth showing by default: a done project, certification or activity (internships,
    open source, the portfolio milestone) with evidence attached."""
    return progress.item.kind in SUGGESTED_KINDS and bool(progress.evidence_url)


def portfolio_entries(portfolio: Portfolio) -> list[Entry]:
    """The items the page shows, in roadmap order: those chosen that are done, each with
    the verification that stands on it, if any. Two queries (none for settings never
    saved)."""
    if portfolio.pk is None:
        return []
    rows = list(done_progress(portfolio.student).filter(item__in=portfolio.items.all()))
    verified = [row for row in rows if row.verified_at]
    standing = {}
    if verified:
        for record in Verification.objects.filter(progress__in=verified, undone_at=None):
            standing[(record.progress_id, record.verified_at)] = record
    return [Entry(row, standing.get((row.pk, row.verified_at))) for row in rows]


@dataclass
class RoadmapSummary:
    """A roadmap the student follows, its overall tally and its stages, each with its
    ``tally`` (``figures.attach_tallies``)."""

    roadmap: Roadmap
    overall: object
    stages: list


def roadmap_summaries(student) -> list[RoadmapSummary]:
    """Percent done overall and by stage of each published roadmap the student follows:
    the same figures as their dashboard, without pace (which would tell their year).
    One query for the roadmaps, one per roadmap (two when its outline is not cached)."""
    summaries = []
    for roadmap in Roadmap.objects.published().filter(enrollments__student=student):
        table = ItemTable(roadmap_outline(roadmap, skills=False))
        progress = Progress.objects.for_student(student).of_roadmap(roadmap).defer("note")
        summary = table.summarize(progress.by_item(), clock=None, today=timezone.localdate())
        attach_tallies(summary, stages=table.stages)
        summaries.append(RoadmapSummary(roadmap, summary.overall, table.stages))
    return summaries


def verification_at(portfolio: Portfolio, token: str) -> Verification | None:
    """The verification with ``token`` of an item the page shows (chosen, done, on a
    published roadmap), with its progress, item and student; None for any other token,
    so an address never outlives its item's place on the page. Kept when undone or
    outlived by new evidence, so its address can say so (``Verification.standing``)."""
    return (
        Verification.objects.select_related("progress__item", "progress__student")
        .filter(
            token=token,
            progress__in=done_progress(portfolio.student),
            progress__item__in=portfolio.items.all(),
        )
        .first()
    )


def absolute(request, path: str) -> str:
    """``path`` on the address people open Waypoint at (``WAYPOINT_BASE_URL``), so that
    printed QR codes and shared links do not depend on the host a visitor happened to
    use; on the request's own host when that setting is empty (mail off, DEBUG off)."""
    if settings.WAYPOINT_BASE_URL:
        return absolute_url(path)
    return request.build_absolute_uri(path)


def page_share(portfolio: Portfolio, entries: list[Entry], summaries) -> tuple[str, str]:
    """(title, description) of a shared link to the page (Open Graph, Twitter card):
    "Asha Verma: portfolio · Machine Learning Engineer", "<headline> · 3 items of work,
    1 verified by a mentor at their college." """
    verified = sum(1 for entry in entries if entry.verification)
    counts = f"{len(entries)} item{pluralize(len(entries))} of work"
    if verified:
        counts += f", {verified} verified by a mentor at their college"
    title = f"{portfolio.student_name}: portfolio" + "".join(
        f" · {summary.roadmap.title}" for summary in summaries[:1]
    )
    return title, " · ".join(filter(None, [portfolio.headline, f"{counts}."]))


def verification_share(
    portfolio: Portfolio, verification: Verification, standing: Standing
) -> tuple[str, str]:
    """(title, description) of a shared link to a verification address."""
    item = verification.progress.item
    if standing != Standing.STANDS:
        return (
            f"No longer verified: {item.title} by {portfolio.student_name}",
            "This verification no longer holds: open it to see what changed.",
        )
    by = verification.mentor_name or "a mentor"
    if verification.cohort_name:
        by += f", mentor of {verification.cohort_name},"
    on = date_format(localtime(verification.verified_at), "j F Y")
    return f"Verified: {item.title} by {portfolio.student_name}", f"Checked by {by} on {on}."


# Encoding one takes about 10 ms and a busy page shows several; the SVG of an address
# never changes, so each process keeps the last ones it made (about 3 KB each).
@functools.lru_cache(maxsize=1024)
def verification_qr_svg(url: str, *, title: str = "", standalone: bool = False) -> str:
    """An SVG (text) QR code of ``url``, error correction M (15 %: a printout can take a
    fold or a smudge), a quiet zone of 4 modules (ISO/IEC 18004), no fixed size: the
    page's CSS sizes it. ``standalone``: a file of its own (XML declaration, SVG
    namespace, white background); otherwise markup to put inside an HTML page."""
    code = segno.make(url, error="m", micro=False)
    options = {"scale": 1, "border": 4, "omitsize": True, "dark": "#111", "title": title or None}
    if not standalone:
        return code.svg_inline(svgclass="qr", **options)
    out = io.BytesIO()
    code.save(out, kind="svg", xmldecl=True, svgns=True, light="#fff", **options)
    return out.getvalue().decode()


class NameLimit(NameTaken):
    """The page has been on under MAX_SHOWN_NAMES addresses already."""

    def __init__(self, names: list[str]):
        super().__init__()
        self.message = (
            f"Your page has been on under {len(names)} addresses, the most it may have. "
            f"Choose one of them again: {', '.join(names)}."
        )


def portfolio_update(portfolio: Portfolio, *, name: str | None, items, **fields) -> Portfolio:
    """Save the settings of ``portfolio``'s student: address ``name`` (lower case, already
    validated), the chosen ``items`` and the other ``fields`` of Portfolio, in one
    transaction on their row (locked; made when they have none). Returns the saved row.

    A name is claimed by inserting it into PortfolioName, whose names are unique: raises
    NameTaken when it is, or was, another's (also when two students claim it at the same
    moment), NameLimit when the page was on under MAX_SHOWN_NAMES others already; nothing
    is then saved, ``portfolio`` included. The old name's address answers 404 at once; it
    stays the student's if the page was ever on under it, and is let go otherwise. While
    staff have the page taken down, ``is_public`` keeps its value."""
    try:
        with transaction.atomic():
            row = Portfolio.objects.select_for_update().filter(
                student=portfolio.student
            ).first() or Portfolio.objects.create(student=portfolio.student)
            if row.is_taken_down:
                fields["is_public"] = row.is_public
            old = row.name
            if name and name != old:
                held = PortfolioName.objects.filter(portfolio=row)
                if not held.filter(name=name).exists():
                    shown = list(held.filter(was_public=True).values_list("name", flat=True))
                    if len(shown) >= MAX_SHOWN_NAMES:
                        raise NameLimit(shown)
                    PortfolioName.objects.create(name=name, portfolio=row)
            row.name = name or None
            for field, value in fields.items():
                setattr(row, field, value)
            row.save()
            row.items.set(items)
            if old and old != row.name:
                PortfolioName.objects.filter(portfolio=row, name=old, was_public=False).delete()
            if row.is_public and row.name:
                PortfolioName.objects.filter(portfolio=row, name=row.name).update(was_public=True)
    except IntegrityError as clash:
        raise NameTaken from clash
    return row
