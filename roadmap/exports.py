"""Downloads of a student's own data."""

import csv
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from accounts.models import MailKind

from .models import Enrollment, Portfolio, Progress, ProgressEvent, Verification

# Spreadsheets run cells that start with these as formulas (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """Neutralise a cell a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


PROGRESS_COLUMNS = [
    "roadmap",
    "stage",
    "milestone",
    "item",
    "kind",
    "archived",
    "status",
    "count",
    "target",
    "note",
    "evidence_url",
    "verified_at",
    "review_comment",
    "updated_at",
]


def csv_response(filename: str) -> HttpResponse:
    """An empty CSV download named ``filename`` (any Unicode: RFC 6266's ``filename*``
    carries what ASCII cannot); write rows to it with csv.writer and csv_safe()."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response.write("\ufeff")  # so spreadsheet programs read UTF-8
    return response


def _progress_rows(student):
    progress = (
        Progress.objects.for_student(student)
        .select_related("item__milestone__stage__roadmap", "verified_by")
        .order_by(
            "item__milestone__stage__roadmap__slug",
            "item__milestone__stage__order",
            "item__milestone__order",
            "item__order",
            "pk",
        )
    )
    for row in progress:
        item = row.item
        yield {
            "roadmap": item.milestone.stage.roadmap.slug,
            "stage": item.milestone.stage.title,
            "milestone": item.milestone.title,
            "item": item.title,
            "kind": item.kind,
            # Archived items left the plan and no figure counts them; the row is still yours.
            "archived": item.archived,
            "status": row.status,
            "count": row.count if item.target_count else None,
            "target": item.target_count,
            "note": row.note,
            "evidence_url": row.evidence_url,
            "verified_at": row.verified_at,
            "review_comment": row.review_comment,
            "updated_at": row.updated_at,
        }


def _filename(student, extension):
    return f"waypoint-{student.pk}-{timezone.localdate():%Y-%m-%d}.{extension}"


def _mail(student) -> dict:
    """The person's mail choices, their address's bounce and every mail written to
    them: what, when and how it went, not the bodies (they repeat the rest of the
    export)."""
    return {
        "wanted": {kind.value: getattr(student, kind.field) for kind in MailKind},
        "bounced_at": student.mail_bounced_at,
        "bounce": student.mail_bounce,
        "deliveries": list(
            student.deliveries.order_by("created_at", "pk").values(
                "kind", "subject", "state", "created_at", "sent_at"
            )
        ),
    }


def _portfolio(student) -> dict | None:
    """The public page's settings and chosen items, and the verification addresses
    recorded on the student's items; None when the student never opened the settings."""
    portfolio = Portfolio.objects.filter(student=student).first()
    if portfolio is None:
        return None
    return {
        "name": portfolio.name,
        "is_public": portfolio.is_public,
        "headline": portfolio.headline,
        "links": dict(portfolio.links),
        "searchable": portfolio.searchable,
        "items": list(portfolio.items.values_list("title", flat=True)),
        "taken_down_at": portfolio.taken_down_at,
        "verifications": list(
            Verification.objects.filter(progress__student=student)
            .order_by("verified_at", "pk")
            .values(
                "progress__item__title",
                "token",
                "mentor_name",
                "cohort_name",
                "evidence_url",
                "verified_at",
                "undone_at",
            )
        ),
    }


def student_json(student) -> HttpResponse:
    events = (
        ProgressEvent.objects.for_student(student)
        .select_related("item", "actor")
        .order_by("created_at", "pk")
    )
    data = {
        "exported_at": timezone.now(),
        "account": {
            "email": student.email,
            "name": student.name,
            "batch": student.batch,
            "date_joined": student.date_joined,
        },
        "roadmaps": list(
            Enrollment.objects.for_student(student).values("roadmap__slug", "created_at")
        ),
        "mail": _mail(student),
        "portfolio": _portfolio(student),
        "progress": list(_progress_rows(student)),
        "events": [
            {
                "at": event.created_at,
                "item": event.item.title,
                "field": event.field,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "count": event.count,
                "by_self": event.actor_id == student.pk,
            }
            for event in events
        ],
    }
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(student, "json")}"'
    return response


def student_csv(student) -> HttpResponse:
    response = csv_response(_filename(student, "csv"))
    writer = csv.writer(response)
    writer.writerow(PROGRESS_COLUMNS)
    for row in _progress_rows(student):
        writer.writerow(
            csv_safe("" if row[key] is None else str(row[key])) for key in PROGRESS_COLUMNS
        )
    return response
