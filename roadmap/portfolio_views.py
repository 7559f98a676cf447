"""A student's public portfolio: their settings page, their own preview, and the pages
anyone can open (the portfolio, each verification address and its QR code).

The public pages are never stored by a cache (``never_cache``), so a page turned off,
taken down or renamed answers 404 with its very next request; unknown names and tokens
get the same 404 as hidden ones, and every request counts against the address's limit
for public pages (``accounts.throttle.public_page``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from accounts.throttle import public_page

from .forms import PortfolioForm
from .models import Standing
from .portfolio import (
    NameTaken,
    absolute,
    done_progress,
    is_suggested,
    page_share,
    portfolio_entries,
    portfolio_of,
    portfolio_update,
    public_portfolio,
    roadmap_summaries,
    verification_at,
    verification_qr_svg,
    verification_share,
)

NOT_FOUND = "No such page."
# The headline and links, rendered alike; the rest of the form has markup of its own.
TEXT_FIELDS = ("headline", "github_url", "kaggle_url", "linkedin_url", "blog_url")
SETTINGS_FIELDS = (
    "is_public",
    "headline",
    "github_url",
    "kaggle_url",
    "linkedin_url",
    "blog_url",
    "searchable",
)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def portfolio_settings(request):
    """The student's public page settings (GET) and their change (POST: saved whole,
    or not at all, with each problem next to its field and a 400)."""
    portfolio = portfolio_of(request.user)
    choices = list(done_progress(request.user))
    if request.method == "POST":
        form = PortfolioForm(request.POST, choices=choices, host=request.get_host())
        if form.is_valid():
            data = form.cleaned_data
            fields = {field: data[field] for field in SETTINGS_FIELDS}
            try:
                portfolio = portfolio_update(
                    portfolio, name=data["name"], items=form.chosen_items(), **fields
                )
            except NameTaken as taken:
                form.add_error("name", taken.message)
            else:
                # The notice at the top of the page says whether it is on, and where.
                messages.success(request, "Saved.")
                return redirect("roadmap:portfolio_settings")
        status = 400
    else:
        form = PortfolioForm(initial=_initial(portfolio, request.user, choices), choices=choices)
        status = 200
    context = {
        "portfolio": portfolio,
        "form": form,
        "choices": choices,
        "text_fields": [form[name] for name in TEXT_FIELDS],
        # Where each problem is, for the summary at the top of a long form.
        "errors": [
            ("items" if name == "items" else form[name].id_for_label, form[name].label)
            for name in form.errors
            if name in form.fields
        ],
        # What to show ticked: only real choices, whatever the POST carried.
        "selected": {
            row.item_id
            for pk, row in form.progress_by_item.items()
            if pk in (form["items"].value() or [])
        },
        "address": absolute(request, portfolio.get_absolute_url()) if portfolio.name else None,
        "address_prefix": absolute(request, "/p/"),
    }
    return render(request, "roadmap/portfolio_settings.html", context, status=status)


def _initial(portfolio, student, choices) -> dict:
    initial = {field: getattr(portfolio, field) for field in SETTINGS_FIELDS}
    initial["name"] = portfolio.name or slugify(student.name)[:40].strip("-")
    if portfolio.pk is None:
        # Never saved yet: start from the proof the guide says employers look for.
        initial["items"] = [str(row.item_id) for row in choices if is_suggested(row)]
    else:
        initial["items"] = [str(pk) for pk in portfolio.items.values_list("pk", flat=True)]
    return initial


@login_required
@require_safe
def portfolio_preview(request):
    """The student's own page as others would see it, on or off; never indexed."""
    portfolio = portfolio_of(request.user)
    return _portfolio_page(request, portfolio, preview=True)


@public_page
@never_cache
@require_safe
def portfolio_page(request, name):
    portfolio = public_portfolio(name)
    if portfolio is None:
        raise Http404(NOT_FOUND)
    return _portfolio_page(request, portfolio, preview=False)


def _portfolio_page(request, portfolio, *, preview: bool):
    entries = portfolio_entries(portfolio)
    for entry in entries:
        if entry.verification and portfolio.name:
            entry.address = _verification_address(request, portfolio, entry.verification)
            entry.qr = verification_qr_svg(entry.address)
    summaries = roadmap_summaries(portfolio.student)
    share_title, share_description = page_share(portfolio, entries, summaries)
    context = {
        "portfolio": portfolio,
        "student_name": portfolio.student_name,
        "entries": entries,
        "verified": sum(1 for entry in entries if entry.verification),
        "summaries": summaries,
        "share_title": share_title,
        "share_description": share_description,
        "preview": preview,
        "canonical": absolute(request, portfolio.get_absolute_url()) if portfolio.name else None,
    }
    response = render(request, "roadmap/portfolio.html", context)
    return _robots(response, portfolio, preview=preview)


@public_page
@never_cache
@require_safe
def verification_page(request, name, token):
    """What one verification address says: who verified which evidence of whose item,
    in which cohort and when, or, when that no longer holds, what changed since."""
    portfolio, verification = _verification_or_404(name, token)
    address = _verification_address(request, portfolio, verification)
    progress = verification.progress
    standing = verification.standing(progress)
    share_title, share_description = verification_share(portfolio, verification, standing)
    context = {
        "portfolio": portfolio,
        "student_name": portfolio.student_name,
        "verification": verification,
        "progress": progress,
        "item": progress.item,
        "standing": standing,
        "Standing": Standing,
        "share_title": share_title,
        "share_description": share_description,
        "address": address,
        "qr": verification_qr_svg(address, title=f"QR code for {address}"),
        "portfolio_url": absolute(request, portfolio.get_absolute_url()),
    }
    response = render(request, "roadmap/verification.html", context)
    return _robots(response, portfolio)


@public_page
@never_cache
@require_safe
def verification_qr(request, name, token):
    """The verification address as a QR code (image/svg+xml), to print or download."""
    portfolio, verification = _verification_or_404(name, token)
    address = _verification_address(request, portfolio, verification)
    response = HttpResponse(
        verification_qr_svg(address, title=f"QR code for {address}", standalone=True),
        content_type="image/svg+xml; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'inline; filename="waypoint-verification-{verification.token}.svg"'
    )
    return _robots(response, portfolio)


def _verification_address(request, portfolio, verification) -> str:
    path = reverse("roadmap:verification", args=[portfolio.name, verification.token])
    return absolute(request, path)


def _verification_or_404(name, token):
    portfolio = public_portfolio(name)
    verification = verification_at(portfolio, token) if portfolio else None
    if verification is None:
        raise Http404(NOT_FOUND)
    return portfolio, verification


def _robots(response, portfolio, *, preview: bool = False):
    """Search engines may list the page only when its student said so; a preview never."""
    if preview or not portfolio.searchable:
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response
