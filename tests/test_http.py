"""Every URL as the outside world meets it: private answers never cached, signed-out
htmx requests sent to sign-in (never a sign-in page swapped into an item), values the
database cannot store refused in words, errors in our own words (config/http.py).

The URL walks read Django's resolver, so a URL added later is covered without
editing this file; `sample_kwargs` fails loudly on a parameter it does not know.
"""

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.socialaccount.models import SocialApp
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import URLResolver, get_resolver, path, reverse
from django.utils.encoding import force_bytes
from django.utils.http import int_to_base36, urlsafe_base64_encode

from cohorts.models import Cohort
from config import http
from config.http import safe_page
from config.urls import urlpatterns as site_urlpatterns
from roadmap.models import Item, Kind, Progress, ProgressEvent, Roadmap, Verification
from roadmap.portfolio import portfolio_of, portfolio_update
from roadmap.services import follow_roadmap, progress_set, review_evidence
from tests.factories import CohortFactory, ItemFactory, UserFactory, build_roadmap

pytestmark = pytest.mark.django_db

PLACEHOLDER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
# Query parameters the site's views and Django's admin read.
QUERY_NAMES = ["next", "show", "kind", "sort", "status", "q", "page", "o", "p", "e", "_popup"]


def url_templates(resolver=None, prefix=""):
    """Every URL of the site as (name, template), e.g. ("cohorts:review",
    "/cohorts/<int:pk>/review/<int:progress_pk>/")."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = str(entry.pattern)
        if pattern.startswith("^") or pattern.endswith("$"):  # a regex: name its groups
            pattern = REGEX_GROUP.sub(r"<str:\1>", pattern.strip("^$"))
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            yield from (
                (f"{namespace}{name}", template)
                for name, template in url_templates(entry, prefix + pattern)
            )
        else:
            yield entry.name or "", "/" + prefix + pattern


@pytest.fixture
def site():
    """One of everything, with a staff mentor who also follows the roadmap, so every
    URL (the admin's too) has something real to show."""
    roadmap = build_roadmap(items=3, slug="ml")
    project = ItemFactory(milestone=Item.objects.of_roadmap(roadmap).first().milestone)
    project.kind = Kind.PROJECT
    project.save()
    staff = UserFactory(is_staff=True, is_superuser=True, is_mentor=True)
    follow_roadmap(staff, roadmap)
    student = UserFactory()
    follow_roadmap(student, roadmap)
    cohort = CohortFactory(name="ML club", roadmap=roadmap, mentors=[staff], students=[student])
    item = Item.objects.of_roadmap(roadmap).order_by("pk").first()
    progress_set(student=staff, item=item, status="in_progress", note="mine")
    awaiting = progress_set(
        student=student, item=project, status="done", evidence_url="https://github.com/a/b"
    )
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="college",
        name="Example College",
        client_id="waypoint",
        settings={"server_url": "https://login.example.invalid"},
    )
    # The student's public page, showing a project the staff mentor verified.
    shown = ItemFactory(milestone=project.milestone, kind=Kind.PROJECT)
    verified = progress_set(
        student=student, item=shown, status="done", evidence_url="https://github.com/a/c"
    )
    review_evidence(mentor=staff, progress=verified, verified=True, verified_in=cohort.name)
    portfolio = portfolio_update(
        portfolio_of(student), name="student-page", items=[shown.pk], is_public=True
    )
    return {
        "roadmap": roadmap,
        "item": item,
        "staff": staff,
        "student": student,
        "cohort": cohort,
        "awaiting": awaiting,
        "portfolio": portfolio,
        "verification": Verification.objects.get(progress=verified),
    }


def _admin_model_pk(template: str) -> str:
    app_label, model_name = template.split("/")[2:4]
    model = ContentType.objects.get_by_natural_key(app_label, model_name).model_class()
    first = model._default_manager.order_by("pk").first()
    return str(first.pk if first else 1)


def sample_kwargs(name: str, template: str, site) -> dict[str, str]:
    """Real values for each parameter of one URL, as the pages link to them."""
    values = {}
    for match in PLACEHOLDER.finditer(template):
        param = match["name"]
        match param:
            case "slug":
                value = site["roadmap"].slug
            case "pk" if name == "roadmap:item_progress":
                value = site["item"].pk
            case "pk":
                value = site["cohort"].pk
            case "progress_pk":
                value = site["awaiting"].pk
            case "student_pk":
                value = site["student"].pk
            case "code":
                value = site["cohort"].join_code
            case "fmt":
                value = "json"
            case "uidb64":
                value = urlsafe_base64_encode(force_bytes(site["staff"].pk))
            case "token" if name.startswith("roadmap:verification"):
                value = site["verification"].token
            case "token":
                value = default_token_generator.make_token(site["staff"])
            case "name":
                value = site["portfolio"].name
            case "uidb36":
                value = int_to_base36(site["staff"].pk)
            case "key" if name == "account_confirm_email":
                address = EmailAddress.objects.get(user=site["staff"])
                value = EmailConfirmationHMAC(address).key
            case "key":
                value = default_token_generator.make_token(site["staff"])
            case "content_type_id":
                value = ContentType.objects.get_for_model(Roadmap).pk
            case "object_id" if template.startswith("/admin/r/"):
                value = site["roadmap"].pk
            case "object_id":
                value = _admin_model_pk(template)
            case "id":
                value = site["staff"].pk
            case "provider_id":
                value = "college"  # the college sign-in provider of the `site` fixture
            case "app_label":
                value = "roadmap"
            case "url":
                value = "nowhere/"
            case "rest" if template.startswith("/accounts/join/"):
                value = f"{site['cohort'].join_code}/"
            case "rest":
                value = f"{site['cohort'].pk}/"
            case _:
                raise AssertionError(f"{name} ({template}): no sample value for <{param}>")
        values[param] = str(value)
    return values


def fill(template: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda match: values[match["name"]], template)


def every_url(site):
    for name, template in url_templates():
        yield name, template, fill(template, sample_kwargs(name, template, site))


def test_the_walk_sees_every_url_of_the_site(site):
    names = {name for name, _, _ in every_url(site)}
    assert {"roadmap:item_progress", "cohorts:review", "cohorts:join", "health"} <= names
    assert "admin:roadmap_item_change" in names
    assert len(names) > len(site_urlpatterns)


# Point: private pages and downloads are never stored (Cache-Control), for every URL.


def test_every_answer_to_a_signed_in_person_forbids_storing_it(client, site):
    client.force_login(site["staff"])
    checked = 0
    for name, _, url in every_url(site):
        response = client.get(url)
        cache_control = response.get("Cache-Control", "")
        assert "no-store" in cache_control, (name, url, response.status_code, cache_control)
        assert "private" in cache_control, (name, url, cache_control)
        checked += 1
    assert checked > 60


def test_private_downloads_forbid_storing_them(client, site):
    client.force_login(site["staff"])
    for url in [
        "/me/export.json",
        "/me/export.csv",
        f"/cohorts/{site['cohort'].pk}/export.csv",
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert "attachment" in response["Content-Disposition"]
        assert "no-store" in response["Cache-Control"]


def test_public_pages_for_visitors_may_be_cached(client, site):
    response = client.get(f"/roadmaps/{site['roadmap'].slug}/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_pages_with_a_form_for_visitors_are_private_too(client, site):
    # The sign-in form carries a CSRF token tied to this browser's cookie.
    response = client.get("/accounts/login/")
    assert "no-store" in response["Cache-Control"]


# Point: NUL bytes and other values the database refuses, in every parameter.

BAD_PATH_VALUES = ["%00", "a%00b"]
OVERFLOW = "9" * 25


def test_nul_in_any_path_parameter_is_refused_in_words(client, site):
    client.force_login(site["staff"])
    tried = 0
    for name, template, _ in every_url(site):
        values = sample_kwargs(name, template, site)
        for param in values:
            for bad in BAD_PATH_VALUES:
                url = fill(template, {**values, param: bad})
                for method in (client.get, client.post):
                    response = method(url)
                    assert response.status_code in (400, 404), (name, param, url)
                    tried += 1
    assert tried > 100


# Values that reach the database as they are: numbers past any integer column, bytes
# that are not UTF-8, an encoded surrogate, a slash, a quote, an emoji.
ODD_VALUES = [OVERFLOW, "-1", "%FF", "%ED%A0%80", "..%2F..", "%27%22", "%F0%9F%98%80"]


def test_odd_values_in_any_path_parameter_never_cause_a_server_error(client, site):
    client.force_login(site["staff"])
    for name, template, _ in every_url(site):
        values = sample_kwargs(name, template, site)
        for param in values:
            for odd in ODD_VALUES:
                url = fill(template, {**values, param: odd})
                for method in (client.get, client.post):
                    response = method(url)
                    assert response.status_code < 500, (name, param, url)


def test_odd_values_in_every_query_parameter_never_cause_a_server_error(client, site):
    client.force_login(site["staff"])
    for name, _, url in every_url(site):
        for odd in ODD_VALUES:
            query = "&".join(f"{field}={odd}" for field in QUERY_NAMES)
            response = client.get(f"{url}?{query}")
            assert response.status_code < 500, (name, odd)


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed in", "visitor"])
def test_nul_in_any_query_or_form_field_is_refused_and_changes_nothing(client, site, signed_in):
    if signed_in:
        client.force_login(site["staff"])
    before = (Progress.objects.count(), ProgressEvent.objects.count(), Cohort.objects.count())
    for name, _, url in every_url(site):
        for field in QUERY_NAMES:
            response = client.get(f"{url}?{field}=%00")
            assert response.status_code == 400, (name, field)
            assert "NUL byte" in response.text
        posted = client.post(url, {"note": "a\x00b", "status": "done", "name": "x\x00"})
        assert posted.status_code == 400, name
    assert (
        Progress.objects.count(),
        ProgressEvent.objects.count(),
        Cohort.objects.count(),
    ) == before


def test_nul_refused_for_htmx_is_not_swapped_in(client, site):
    client.force_login(site["staff"])
    response = client.post(
        f"/items/{site['item'].pk}/progress/",
        {"note": "typed\x00", "version": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert response["HX-Reswap"] == "none"
    assert response["Content-Type"].startswith("text/plain")
    assert Progress.objects.get(student=site["staff"], item=site["item"]).note == "mine"


# Point: a signed-out request htmx sends is never answered with a sign-in page.


def htmx_requests(client, site):
    """(page, hx-post URL, the element it targets) for every htmx form on the pages
    students and mentors use, read from the pages themselves."""
    pages = [
        (site["staff"], f"/roadmaps/{site['roadmap'].slug}/checklist/"),
        (site["staff"], f"/roadmaps/{site['roadmap'].slug}/checklist/?show=remaining"),
        (site["staff"], f"/cohorts/{site['cohort'].pk}/review/"),
        (site["staff"], f"/cohorts/{site['cohort'].pk}/"),
        (site["staff"], f"/roadmaps/{site['roadmap'].slug}/"),
    ]
    found = set()
    for user, page in pages:
        client.force_login(user)
        html = client.get(page).text
        for scope_id, block in re.findall(
            r'<li [^>]*id="([\w-]+)"[^>]*hx-target="this"(.*?)</li>', html, re.S
        ):
            for url in re.findall(r'hx-post="([^"]+)"', block):
                found.add((page, url, scope_id))
        for url in re.findall(r'hx-post="([^"]+)"', html):
            if not any(url == known for _, known, _ in found):
                found.add((page, url, ""))
    client.logout()
    return sorted(found)


def test_every_htmx_request_signed_out_is_sent_to_sign_in_and_back(client, site):
    requests = htmx_requests(client, site)
    urls = {url for _, url, _ in requests}
    assert f"/items/{site['item'].pk}/progress/" in urls
    assert f"/cohorts/{site['cohort'].pk}/review/{site['awaiting'].pk}/" in urls
    before = list(Progress.objects.values_list("status", "note", "verified_at").order_by("pk"))
    events = ProgressEvent.objects.count()
    for page, url, scope_id in requests:
        response = client.post(
            url,
            {"status": "done", "note": "typed", "decision": "verify", "count": "3"},
            headers={
                "HX-Request": "true",
                "HX-Current-URL": f"http://testserver{page}",
                "HX-Target": scope_id,
            },
        )
        assert response.status_code == 200, url
        assert response.content == b"", url  # nothing htmx could swap in
        login = urlsplit(response["HX-Redirect"])
        assert login.path == "/accounts/login/"
        expected = f"{page}#{scope_id}" if scope_id else page
        assert parse_qs(login.query)["next"] == [expected]
    assert (
        list(Progress.objects.values_list("status", "note", "verified_at").order_by("pk")) == before
    )
    assert ProgressEvent.objects.count() == events


def test_signing_in_again_lands_on_the_page_at_the_item(client, site):
    item, page = site["item"], f"/roadmaps/{site['roadmap'].slug}/checklist/?show=all"
    response = client.post(
        f"/items/{item.pk}/progress/",
        {"status": "done"},
        headers={
            "HX-Request": "true",
            "HX-Current-URL": f"http://testserver{page}",
            "HX-Target": f"item-{item.pk}",
        },
    )
    sign_in_page = client.get(response["HX-Redirect"])
    assert "You were signed out, so that change was not saved" in sign_in_page.text
    signed_in = client.post(
        response["HX-Redirect"],
        {"login": site["staff"].email, "password": "correct-horse-battery"},
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == f"{page}#item-{item.pk}"


def test_htmx_current_url_on_another_site_is_not_followed(client, site):
    response = client.post(
        f"/items/{site['item'].pk}/progress/",
        {"status": "done"},
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "https://evil.example/x",
            "HX-Target": "item-1",
        },
    )
    next_page = parse_qs(urlsplit(response["HX-Redirect"]).query)["next"]
    assert next_page == ["/dashboard/"]


def post_only_urls(site):
    """Every URL of ours that a form posts to, with the page the form is on."""
    checklist = f"/roadmaps/{site['roadmap'].slug}/checklist/"
    cohort = f"/cohorts/{site['cohort'].pk}"
    return [
        (f"/items/{site['item'].pk}/progress/", checklist),
        (f"/roadmaps/{site['roadmap'].slug}/follow/", f"/roadmaps/{site['roadmap'].slug}/"),
        (f"{cohort}/review/{site['awaiting'].pk}/", f"{cohort}/review/"),
        (f"{cohort}/students/{site['student'].pk}/remove/", f"{cohort}/"),
        (f"{cohort}/invite/", f"{cohort}/"),
        (f"{cohort}/active/", f"{cohort}/"),
        ("/accounts/profile/", "/accounts/profile/"),
        ("/accounts/delete/", "/accounts/delete/"),
        ("/accounts/password/change/", "/accounts/password/change/"),
        ("/cohorts/new/", "/cohorts/new/"),
    ]


def test_a_form_posted_signed_out_never_returns_to_its_post_only_url(client, site):
    before = list(Progress.objects.values_list("status", "note").order_by("pk"))
    cohort = Cohort.objects.get()
    for url, page in post_only_urls(site):
        # The form's own `next` when it has one, else the page that sent it.
        for data, headers in [({"next": page}, {}), ({}, {"Referer": f"http://testserver{page}"})]:
            response = client.post(url, {"status": "done", "active": "0", **data}, headers=headers)
            assert response.status_code == 302, url
            login = urlsplit(response["Location"])
            assert login.path == "/accounts/login/", url
            assert parse_qs(login.query)["next"] == [page], url
        # With neither, the dashboard; never the POST-only URL itself.
        response = client.post(url, {"status": "done"})
        assert parse_qs(urlsplit(response["Location"]).query)["next"] == ["/dashboard/"]
    assert list(Progress.objects.values_list("status", "note").order_by("pk")) == before
    cohort.refresh_from_db()
    assert cohort.active


def test_opening_a_private_page_signed_out_still_comes_back_to_it(client, site):
    page = f"/roadmaps/{site['roadmap'].slug}/dashboard/"
    response = client.get(page)
    assert response["Location"] == f"/accounts/login/?next={quote(page, safe='/')}"


# Point: a CSRF failure says to reload; 403, 404 and 500 in our words, also with DEBUG.


@pytest.fixture(params=[False, True], ids=["production", "make run (DEBUG on)"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_a_stale_csrf_token_on_htmx_says_to_reload(site, debug):
    client = csrf_client(site["staff"])
    client.get(f"/roadmaps/{site['roadmap'].slug}/checklist/")
    response = client.post(
        f"/items/{site['item'].pk}/progress/",
        {"status": "done"},
        headers={"HX-Request": "true", "X-CSRFToken": "stale-token-from-before-signing-in-again"},
    )
    assert response.status_code == 403
    assert response["HX-Reswap"] == "none"
    assert response["Content-Type"].startswith("text/plain")
    assert response.text == http.CSRF_FAILED
    assert Progress.objects.get(student=site["staff"], item=site["item"]).status == "in_progress"


def test_a_stale_csrf_token_on_a_plain_form_shows_our_page(site, debug):
    client = csrf_client(site["staff"])
    checklist = f"/roadmaps/{site['roadmap'].slug}/checklist/"
    response = client.post(
        f"/items/{site['item'].pk}/progress/",
        {"status": "done", "next": checklist, "csrfmiddlewaretoken": "stale"},
    )
    assert response.status_code == 403
    assert "Reload the page and try again" in response.text
    assert "CSRF verification failed" not in response.text
    assert f'href="{checklist}"' in response.text  # back to the page, not the POST URL
    assert "site-header" in response.text


def test_not_found_and_forbidden_pages_are_ours(client, site, settings):
    settings.DEBUG = False
    client.force_login(site["student"])
    missing = client.get("/cohorts/999999/")
    assert missing.status_code == 404
    assert "There is nothing here, or it is not yours to see." in missing.text
    forbidden = client.get("/cohorts/")
    assert forbidden.status_code == 403
    assert "Only mentors have cohorts." in forbidden.text
    htmx_missing = client.post(
        "/items/999999/progress/", {"status": "done"}, headers={"HX-Request": "true"}
    )
    assert htmx_missing.status_code == 404
    assert htmx_missing["HX-Reswap"] == "none"
    assert htmx_missing.text == http.NOT_FOUND


def broken_view(request):
    raise RuntimeError("boom")


def denied_view(request):
    raise PermissionDenied


urlpatterns = [
    *site_urlpatterns,
    path("broken/", broken_view),
    path("denied/", denied_view),
]
handler403 = http.permission_denied
handler404 = http.page_not_found
handler500 = http.server_error


@pytest.mark.urls("tests.test_http")
def test_a_server_error_is_ours_for_pages_and_htmx(client, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    page = client.get("/broken/")
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.text
    fragment = client.post("/broken/", headers={"HX-Request": "true"})
    assert (fragment.status_code, fragment.text) == (500, http.SERVER_ERROR)
    assert fragment["HX-Reswap"] == "none"
    denied = client.get("/denied/", headers={"HX-Request": "true"})
    assert (denied.status_code, denied.text) == (403, http.FORBIDDEN)


def test_a_cookie_with_a_nul_byte_is_dropped_not_a_server_error(client, site):
    client.force_login(site["staff"])
    session = client.cookies["sessionid"].value
    for cookie in [f'sessionid="{session}\\000x"', 'csrftoken="a\\000b"', 'x\\000y="z"']:
        response = client.get("/dashboard/", headers={"Cookie": cookie})
        assert response.status_code == 302  # signed out: to sign-in, nothing broke
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "candidate",
    [
        "https://testserver//evil.example/",
        "https://testserver/\\evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "dashboard",
    ],
)
def test_a_next_that_would_leave_the_site_is_never_followed(client, candidate):
    """A page "on this host" whose path starts with // or /\\ is another host to a
    browser; every redirect to a ``next`` goes through config.http.safe_page."""
    client.force_login(UserFactory())
    response = client.get(reverse("roadmap:welcome"), {"next": candidate})
    assert response["Location"] == reverse("start")
    assert safe_page(RequestFactory().get("/"), candidate) is None
