"""Mentor pages: cohorts, invites, dashboard, grid, read-only student view, review, CSV."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort, Membership
from cohorts.overview import cohort_overview
from roadmap.activity import heatmap
from roadmap.figures import academic_year_start
from roadmap.models import Enrollment, Item, Progress, ProgressEvent, Stage, Status
from roadmap.services import follow_roadmap, progress_set, review_evidence
from tests.factories import ItemFactory, RoadmapFactory, UserFactory, build_roadmap

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def roadmap():
    roadmap = build_roadmap(items=6, slug="ml", project="Sentiment API")
    return roadmap


def join(cohort, student):
    Membership.objects.create(cohort=cohort, student=student)
    follow_roadmap(student, cohort.roadmap)
    return student


@pytest.fixture
def student(cohort):
    return join(cohort, UserFactory(name="Asha Verma", batch=2025))


@pytest.fixture
def project(roadmap):
    return Item.objects.of_roadmap(roadmap).get(title="Sentiment API")


@pytest.fixture
def evidence(student, project):
    return progress_set(
        student=student,
        item=project,
        status=Status.DONE,
        evidence_url="https://github.com/asha/sentiment",
        note="my private thoughts",
    )


def mentor_urls(cohort, student, evidence):
    """Every mentor URL, with the method it takes."""
    pk = cohort.pk
    return [
        ("get", reverse("cohorts:dashboard", args=[pk])),
        ("get", reverse("cohorts:grid", args=[pk])),
        ("get", reverse("cohorts:export", args=[pk])),
        ("get", reverse("cohorts:review_queue", args=[pk])),
        ("get", reverse("cohorts:student", args=[pk, student.pk])),
        ("post", reverse("cohorts:review", args=[pk, evidence.pk])),
        ("post", reverse("cohorts:remove_student", args=[pk, student.pk])),
        ("post", reverse("cohorts:new_invite_code", args=[pk])),
        ("post", reverse("cohorts:set_active", args=[pk])),
    ]


def unchanged(cohort, student, evidence):
    evidence.refresh_from_db()
    fresh = Cohort.objects.get(pk=cohort.pk)
    return (
        evidence.verified_at is None
        and evidence.review_comment == ""
        and fresh.join_code == cohort.join_code
        and fresh.active
        and Membership.objects.filter(cohort=cohort, student=student).exists()
    )


# -- permissions --------------------------------------------------------------


def test_every_mentor_url_is_closed_to_anonymous(client, cohort, student, evidence):
    for method, url in mentor_urls(cohort, student, evidence):
        response = getattr(client, method)(url, {"decision": "verify"})
        assert response.status_code == 302, url
        assert reverse("account_login") in response["Location"]
    assert unchanged(cohort, student, evidence)


@pytest.mark.parametrize("who", ["student of the cohort", "other mentor"])
def test_every_mentor_url_is_404_for_outsiders(client, cohort, student, evidence, who):
    outsider = student if who == "student of the cohort" else UserFactory(is_mentor=True)
    if who == "other mentor":
        Cohort.objects.create(name="Other", roadmap=cohort.roadmap).mentors.add(outsider)
    client.force_login(outsider)
    for method, url in mentor_urls(cohort, student, evidence):
        response = getattr(client, method)(url, {"decision": "verify", "active": "0"})
        assert response.status_code == 404, url
    assert unchanged(cohort, student, evidence)


@pytest.mark.parametrize("who", ["mentor", "admin"])
def test_every_mentor_url_opens_for_the_mentor_and_admins(
    client, cohort, student, evidence, mentor, who
):
    client.force_login(mentor if who == "mentor" else UserFactory(is_staff=True))
    for method, url in mentor_urls(cohort, student, evidence):
        if method == "get":
            assert client.get(url).status_code == 200, url
    # The writes, last and in an order that keeps the others meaningful.
    review = reverse("cohorts:review", args=[cohort.pk, evidence.pk])
    assert client.post(review, {"decision": "verify"}).status_code == 302
    evidence.refresh_from_db()
    assert evidence.verified_at is not None


def test_cohort_list_and_creation_are_for_mentors(client, roadmap, mentor):
    client.force_login(UserFactory())
    assert client.get(reverse("cohorts:list")).status_code == 403
    assert (
        client.post(reverse("cohorts:create"), {"name": "X", "roadmap": roadmap.pk}).status_code
        == 403
    )
    assert not Cohort.objects.exists()
    client.force_login(mentor)
    response = client.post(
        reverse("cohorts:create"), {"name": "CSE batch 2027", "roadmap": roadmap.pk}
    )
    cohort = Cohort.objects.get()
    assert response["Location"] == cohort.get_absolute_url()
    assert list(cohort.mentors.all()) == [mentor]
    assert "CSE batch 2027" in client.get(reverse("cohorts:list")).text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "roadmap": "ROADMAP"}, "This field is required"),
        ({"name": "X", "roadmap": "DRAFT"}, "Select a valid choice"),
    ],
    ids=["no name", "draft roadmap"],
)
def test_cohort_creation_bad_input(client, roadmap, mentor, data, message):
    draft = RoadmapFactory(published=False)
    data = {**data, "roadmap": {"ROADMAP": roadmap.pk, "DRAFT": draft.pk}[data["roadmap"]]}
    client.force_login(mentor)
    response = client.post(reverse("cohorts:create"), data)
    assert response.status_code == 400
    assert message in response.text
    assert not Cohort.objects.exists()


# -- invites --------------------------------------------------------------------


def test_invite_page_shows_the_cohort_and_asks_to_sign_up(client, cohort):
    response = client.get(cohort.get_join_url())
    assert response.status_code == 200
    assert "Join CSE ML club" in response.text
    assert f"{reverse('account_signup')}?next={cohort.get_join_url()}" in response.text.replace(
        "%2F", "/"
    )


def test_signed_in_student_joins_and_follows_the_roadmap(client, cohort):
    newcomer = UserFactory()
    client.force_login(newcomer)
    assert client.get(cohort.get_join_url()).status_code == 200
    assert not Membership.objects.exists()  # GET changes nothing
    response = client.post(cohort.get_join_url())
    assert response["Location"] == reverse("roadmap:dashboard", args=[cohort.roadmap.slug])
    assert Membership.objects.filter(cohort=cohort, student=newcomer).exists()
    assert Enrollment.objects.follows(newcomer, cohort.roadmap)
    response = client.post(cohort.get_join_url(), follow=True)
    assert "You are already in CSE ML club" in response.text
    assert Membership.objects.count() == 1


def test_new_user_signs_up_through_the_invite_and_joins(client, cohort, settings):
    settings.WAYPOINT_DEFAULT_ROADMAP = "none"
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "name": "New Student",
            "batch": str(timezone.localdate().year),
            "entry_year": "1",
            "programme_years": "4",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "next": cohort.get_join_url(),
        },
    )
    # The address is confirmed first; the link leads on to the invite.
    assert response["Location"] == reverse("account_email_verification_sent")
    link = re.search(r"https?://testserver(/accounts/confirm-email/\S+/)", mail.outbox[0].body)
    response = client.post(link[1], follow=True)
    assert response.redirect_chain[-1][0] == cohort.get_join_url()
    client.post(cohort.get_join_url())
    assert cohort.students.get().email == "new@example.com"


def test_anonymous_join_post_goes_to_sign_up(client, cohort):
    response = client.post(cohort.get_join_url())
    assert response["Location"] == f"{reverse('account_signup')}?next={cohort.get_join_url()}"
    assert not Membership.objects.exists()


def test_unknown_regenerated_and_archived_codes_are_refused(client, cohort, mentor):
    student = UserFactory()
    client.force_login(student)
    response = client.get(reverse("cohorts:join", args=["no-such-code"]))
    assert response.status_code == 404
    assert "This invite link does not work" in response.text
    old_url = cohort.get_join_url()
    client.force_login(mentor)
    client.post(reverse("cohorts:new_invite_code", args=[cohort.pk]))
    client.force_login(student)
    assert client.post(old_url).status_code == 404
    cohort.refresh_from_db()
    client.force_login(mentor)
    client.post(reverse("cohorts:set_active", args=[cohort.pk]), {"active": "0"})
    client.force_login(student)
    assert client.post(cohort.get_join_url()).status_code == 404
    assert not Membership.objects.exists()


# -- dashboard ------------------------------------------------------------------


def overall(html, name):
    row = re.search(rf"{re.escape(name)}</a>.*?</tr>", html, re.S).group(0)
    return int(re.search(r'<td class="num">(\d+) %</td>', row).group(1))


def test_cohort_numbers_equal_each_students_own_dashboard(client, cohort, student, mentor):
    items = list(Item.objects.of_roadmap(cohort.roadmap).order_by("pk"))
    progress_set(student=student, item=items[0], status=Status.DONE)
    progress_set(student=student, item=items[1], status=Status.SKIPPED)
    counted = ItemFactory(milestone=items[0].milestone, target_count=10, unit="problems")
    progress_set(student=student, item=counted, count=5)
    client.force_login(student)
    own = client.get(reverse("roadmap:dashboard", args=[cohort.roadmap.slug])).text
    own_percent = int(re.search(r'<p class="big-number">(\d+)&nbsp;%', own).group(1))
    client.force_login(mentor)
    text = client.get(cohort.get_absolute_url()).text
    assert overall(text, "Asha Verma") == own_percent == 18  # (1 + 0.5) / 8


def test_cohort_pace_on_track_behind_and_inactive(client, cohort, mentor, settings):
    items = list(Item.objects.of_roadmap(cohort.roadmap))  # all due year 1, semester 2
    keen = join(cohort, UserFactory(name="Keen", batch=2025))
    for item in items:
        progress_set(student=keen, item=item, status=Status.DONE)
    late = join(cohort, UserFactory(name="Late", batch=2025))
    progress_set(student=late, item=items[0], status=Status.DONE)
    quiet = join(cohort, UserFactory(name="Quiet", batch=2025))
    progress_set(student=quiet, item=items[0], status=Status.DONE)
    long_ago = timezone.now() - timedelta(days=settings.WAYPOINT_INACTIVE_DAYS + 1)
    ProgressEvent.objects.filter(student=quiet).update(created_at=long_ago)
    Membership.objects.filter(student=quiet).update(joined_at=long_ago)
    client.force_login(mentor)
    text = client.get(cohort.get_absolute_url()).text

    def pace_of(name):
        row = re.search(rf">{name}</a>.*?</tr>", text, re.S).group(0)
        return re.search(r'class="pill pill--(\w+)"', row).group(1)

    assert (pace_of("Keen"), pace_of("Late"), pace_of("Quiet")) == (
        "on_track",
        "behind",
        "inactive",
    )
    behind_only = client.get(cohort.get_absolute_url(), {"pace": "behind"}).text
    assert ">Late</a>" in behind_only and ">Keen</a>" not in behind_only
    search = client.get(cohort.get_absolute_url(), {"q": "qui"}).text
    assert ">Quiet</a>" in search and ">Late</a>" not in search
    ranked = client.get(cohort.get_absolute_url(), {"sort": "-overall"}).text
    assert ranked.index(">Keen</a>") < ranked.index(">Late</a>")
    ranked = client.get(cohort.get_absolute_url(), {"sort": "overall"}).text
    assert ranked.index(">Late</a>") < ranked.index(">Keen</a>")
    assert (
        client.get(cohort.get_absolute_url(), {"sort": "'; drop", "status": "x"}).status_code == 200
    )


def make_cohort(size, roadmap, mentor):
    """A cohort of ``size`` students with some progress each, written in bulk."""
    cohort = Cohort.objects.create(name=f"Cohort of {size}", roadmap=roadmap)
    cohort.mentors.add(mentor)
    password = make_password("x")
    # Every clock: regular and lateral entry, four- and five-year programmes.
    students = User.objects.bulk_create(
        User(
            email=f"s{size}-{n}@example.com",
            name=f"Student {n}",
            batch=2025,
            entry_year=1 + n % 2,
            programme_years=4 + (n % 3 == 0),
            password=password,
        )
        for n in range(size)
    )
    Membership.objects.bulk_create(Membership(cohort=cohort, student=s) for s in students)
    items = list(Item.objects.of_roadmap(roadmap)[:3])
    Progress.objects.bulk_create(
        Progress(student=s, item=item, status=Status.DONE) for s in students for item in items
    )
    ProgressEvent.objects.bulk_create(
        ProgressEvent(student=s, item=items[0], actor=s, field="status", to_status="done")
        for s in students
    )
    return cohort


@pytest.mark.parametrize("size", [5, 500])
@pytest.mark.parametrize("page", ["cohorts:dashboard", "cohorts:grid", "cohorts:export"])
def test_mentor_pages_run_the_same_queries_for_5_and_500_students(
    client, roadmap, mentor, django_assert_num_queries, size, page
):
    cohort = make_cohort(size, roadmap, mentor)
    client.force_login(mentor)
    # session, user, cohort, memberships, items (with milestones and stages), progress,
    # evidence waiting, last activity; the dashboard also reads who was nudged lately
    with django_assert_num_queries(9 if page == "cohorts:dashboard" else 8):
        response = client.get(reverse(page, args=[cohort.pk]))
    assert response.status_code == 200
    if page == "cohorts:export":
        assert len(response.content.decode("utf-8-sig").strip().splitlines()) == size + 1


def test_the_cohort_table_and_csv_show_each_students_clock(client, cohort, mentor):
    start = academic_year_start(timezone.localdate())
    semester = 1 if timezone.localdate().month >= 7 else 2
    regular = join(cohort, UserFactory(name="Regular", batch=start - 1))
    lateral = join(
        cohort, UserFactory(name="Lateral", batch=start, entry_year=2, programme_years=5)
    )
    join(cohort, UserFactory(name="Unset", batch=None))
    client.force_login(mentor)
    response = client.get(cohort.get_absolute_url())
    assert f"batch {start - 1} · Year 2</span>" in response.text
    assert f"batch {start} · Year 2 (lateral) · 5-yr</span>" in response.text
    assert "no batch</span>" in response.text
    # Every item is due in year 1: behind for the regular student, prerequisites for
    # the lateral entrant, who joined in year 2.
    rows = {row.student: row for row in response.context["overview"].rows}
    assert rows[regular].pace == "behind"
    assert rows[lateral].pace == "on_track"
    assert rows[lateral].summary.pace.behind == []
    assert rows[lateral].term == 2 + semester  # the grid's "not due" reads this
    export = client.get(reverse("cohorts:export", args=[cohort.pk]))
    header, *body = csv.reader(io.StringIO(export.content.decode("utf-8-sig")))
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert by_name["Lateral"]["entry"] == "Year 2 (lateral entry)"
    assert by_name["Lateral"]["programme years"] == "5"
    assert by_name["Lateral"]["year of study"] == f"Year 2, semester {semester}"
    assert by_name["Lateral"]["items behind"] == "0"
    assert by_name["Regular"]["entry"] == "Year 1 (regular)"
    assert by_name["Regular"]["programme years"] == "4"
    assert by_name["Unset"]["year of study"] == ""


def test_a_lateral_entrants_prerequisites_are_not_counted_as_due_in_stuck_items(cohort):
    start = academic_year_start(timezone.localdate())
    for name in ("Regular A", "Regular B"):
        join(cohort, UserFactory(name=name, batch=start - 1))
    join(cohort, UserFactory(name="Lateral", batch=start, entry_year=2))
    overview = cohort_overview(cohort, today=timezone.localdate(), now=timezone.now())
    stuck = overview.stuck_items()
    assert stuck  # every item is due in year 1 and nobody did it
    for entry in stuck:
        # Due for the two regular students only: the lateral entrant is neither counted
        # as due nor as having done it.
        assert (entry.students.total, entry.students.complete) == (2, 0)
        assert sorted(s.name for s in entry.not_done) == ["Regular A", "Regular B"]


# -- grid -------------------------------------------------------------------------


def test_grid_shows_a_number_in_every_cell_and_the_stuck_items(client, cohort, student, mentor):
    items = list(Item.objects.of_roadmap(cohort.roadmap).order_by("pk"))
    other = join(cohort, UserFactory(name="Ravi", batch=2025))
    for item in items[1:]:
        progress_set(student=student, item=item, status=Status.DONE)
        progress_set(student=other, item=item, status=Status.DONE)
    client.force_login(mentor)
    text = client.get(reverse("cohorts:grid", args=[cohort.pk])).text
    cells = re.findall(r'<td class="shade-(\d)"><a href="[^"]+">(\d+)</a>', text)
    assert len(cells) == 2 * 4  # every cell carries its number
    assert {(shade, number) for shade, number in cells} == {("3", "66"), ("5", "100")}
    stuck = text.split('id="stuck-heading"')[1]
    assert (
        f"<strong>{items[0].title}</strong> — due for 2 students: "
        '<span class="percent-figure">0&nbsp;% · 0 of 2 done</span>'
    ) in stuck


# -- read-only student view ---------------------------------------------------------


def test_mentor_sees_the_students_checklist_without_notes_or_controls(
    client, cohort, student, evidence, mentor
):
    client.force_login(mentor)
    text = client.get(reverse("cohorts:student", args=[cohort.pk, student.pk])).text
    assert "Sentiment API" in text
    assert "https://github.com/asha/sentiment" in text
    assert "my private thoughts" not in text
    assert 'name="status"' not in text and "<textarea" not in text
    # Written about the student, not to the reader.
    assert f"{student.name} is at" in text and "you are at" not in text


def test_student_view_of_someone_outside_the_cohort_is_404(client, cohort, mentor, roadmap):
    stranger = UserFactory()
    follow_roadmap(stranger, roadmap)
    client.force_login(mentor)
    url = reverse("cohorts:student", args=[cohort.pk, stranger.pk])
    assert client.get(url).status_code == 404


# -- review queue ------------------------------------------------------------------


def test_review_queue_lists_waiting_evidence_oldest_first(
    client, cohort, student, evidence, mentor, project
):
    later = join(cohort, UserFactory(name="Later"))
    progress_set(student=later, item=project, evidence_url="https://github.com/later/x")
    client.force_login(mentor)
    text = client.get(reverse("cohorts:review_queue", args=[cohort.pk])).text
    assert text.index("https://github.com/asha/sentiment") < text.index(
        "https://github.com/later/x"
    )


def test_verify_inline_and_the_student_sees_it(client, cohort, student, evidence, mentor):
    client.force_login(mentor)
    url = reverse("cohorts:review", args=[cohort.pk, evidence.pk])
    response = client.post(url, {"decision": "verify"}, headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<li class="review-entry" id="review-{evidence.pk}"')
    assert "Verified." in response.text
    # The queue's count updates in the same answer.
    assert '<p id="review-waiting" role="status" hx-swap-oob="true">0 waiting.</p>' in response.text
    evidence.refresh_from_db()
    assert evidence.verified_by == mentor and evidence.trust == "verified"
    assert ProgressEvent.objects.filter(field="verification", actor=mentor).count() == 1
    assert (
        "Nothing waiting for review"
        in client.get(reverse("cohorts:review_queue", args=[cohort.pk])).text
    )
    client.force_login(student)
    checklist = client.get(reverse("roadmap:checklist", args=[cohort.roadmap.slug])).text
    assert "Done · verified by a mentor" in checklist
    # Reviewing twice is refused, not repeated.
    client.force_login(mentor)
    again = client.post(url, {"decision": "verify"}, headers=HTMX)
    assert again.status_code == 409
    assert ProgressEvent.objects.filter(field="verification").count() == 1


def test_send_back_needs_a_comment_and_the_student_sees_it(
    client, cohort, student, evidence, mentor
):
    client.force_login(mentor)
    url = reverse("cohorts:review", args=[cohort.pk, evidence.pk])
    empty = client.post(url, {"decision": "return", "comment": "  "}, headers=HTMX)
    assert empty.status_code == 400
    assert "Say what is missing" in empty.text
    evidence.refresh_from_db()
    assert evidence.review_comment == "" and evidence.verified_at is None
    bogus = client.post(url, {"decision": "approve-all"}, headers=HTMX)
    assert bogus.status_code == 400
    response = client.post(
        url, {"decision": "return", "comment": "Add a README <b>please</b>"}, headers=HTMX
    )
    assert response.status_code == 200
    client.force_login(student)
    checklist = client.get(reverse("roadmap:checklist", args=[cohort.roadmap.slug])).text
    assert "Sent back by your mentor:</strong> Add a README &lt;b&gt;please&lt;/b&gt;" in checklist


def test_mentor_cannot_review_evidence_outside_the_cohort(client, cohort, mentor, project):
    stranger = UserFactory()
    follow_roadmap(stranger, cohort.roadmap)
    foreign = progress_set(student=stranger, item=project, evidence_url="https://github.com/x/y")
    client.force_login(mentor)
    response = client.post(
        reverse("cohorts:review", args=[cohort.pk, foreign.pk]), {"decision": "verify"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.verified_at is None


def test_review_needs_csrf(cohort, evidence, mentor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mentor)
    url = reverse("cohorts:review", args=[cohort.pk, evidence.pk])
    assert client.post(url, {"decision": "verify"}).status_code == 403


# -- CSV, removal, archive ------------------------------------------------------------


def test_csv_export_has_a_row_per_student_and_neutralises_formulas(client, cohort, mentor):
    join(cohort, UserFactory(name='=HYPERLINK("http://evil")', batch=2025))
    join(cohort, UserFactory(name="Plain Name", batch=2025))
    client.force_login(mentor)
    response = client.get(reverse("cohorts:export", args=[cohort.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, *body = rows
    assert header[:8] == [
        "name",
        "email",
        "batch",
        "entry",
        "programme years",
        "year of study",
        "joined",
        "overall %",
    ]
    assert [stage.title + " %" for stage in cohort.roadmap.stages.all()] == header[8:-5]
    names = sorted(row[0] for row in body)
    assert names == ['\'=HYPERLINK("http://evil")', "Plain Name"]


def test_remove_student_keeps_their_progress(client, cohort, student, evidence, mentor):
    client.force_login(mentor)
    client.post(reverse("cohorts:remove_student", args=[cohort.pk, student.pk]))
    assert not cohort.students.exists()
    assert Progress.objects.filter(student=student).exists()


def test_mentor_pages_do_not_answer_get_with_changes(client, cohort, student, mentor):
    client.force_login(mentor)
    for name in ["cohorts:new_invite_code", "cohorts:set_active"]:
        assert client.get(reverse(name, args=[cohort.pk])).status_code == 405
    assert (
        client.get(reverse("cohorts:remove_student", args=[cohort.pk, student.pk])).status_code
        == 405
    )
    assert cohort.students.exists()


def test_review_queue_shows_a_page_at_a_time(client, cohort, mentor, project, monkeypatch):
    from cohorts import review_views

    monkeypatch.setattr(review_views, "REVIEW_PAGE", 2)
    for n in range(3):
        student = join(cohort, UserFactory(name=f"S{n}"))
        progress_set(student=student, item=project, evidence_url=f"https://github.com/s{n}/x")
    client.force_login(mentor)
    text = client.get(reverse("cohorts:review_queue", args=[cohort.pk])).text
    assert "3 waiting; the oldest 2 are shown" in text
    assert "github.com/s0/x" in text and "github.com/s2/x" not in text


def test_dashboard_shows_a_page_of_students_sorted_and_filtered_over_the_whole_cohort(
    client, roadmap, mentor, monkeypatch
):
    from cohorts import views

    monkeypatch.setattr(views, "STUDENTS_PAGE", 2)
    cohort = make_cohort(5, roadmap, mentor)  # Student 0 .. Student 4
    client.force_login(mentor)
    url = reverse("cohorts:dashboard", args=[cohort.pk])

    def names(response):
        return re.findall(r">(Student \d)</a>", response.text)

    second = client.get(url, {"sort": "-name", "page": 2})
    assert names(second) == ["Student 2", "Student 1"]
    assert "Students 3–4 of 5" in second.text
    # Page links keep the sort and the filter; sort links start again at page 1.
    assert "?sort=-name&amp;page=3" in second.text
    assert 'href="?sort=name&amp;pace=&amp;q="' in second.text

    assert names(client.get(url, {"q": "student 4", "page": 1})) == ["Student 4"]
    for bad in ("0", "999", "two", ""):
        response = client.get(url, {"page": bad})
        assert response.status_code == 200
        assert len(names(response)) in (1, 2)


def test_a_small_cohort_has_no_pager(client, cohort, student, mentor):
    client.force_login(mentor)
    response = client.get(reverse("cohorts:dashboard", args=[cohort.pk]))
    assert "Pages of students" not in response.text


def test_a_mentors_review_is_not_the_students_activity(cohort, student, evidence, mentor):
    long_ago = timezone.now() - timedelta(days=30)
    ProgressEvent.objects.filter(student=student).update(created_at=long_ago)
    Membership.objects.filter(student=student).update(joined_at=long_ago)
    review_evidence(progress=evidence, mentor=mentor, verified=True)
    assert ProgressEvent.objects.filter(actor=mentor).exists()

    overview = cohort_overview(cohort, today=timezone.localdate(), now=timezone.now())
    (row,) = overview.rows
    assert row.last_activity == long_ago
    assert row.pace == "inactive"
    days = [day for week in heatmap(student, timezone.localdate()).weeks for day in week]
    assert sum(day.count for day in days if day.day == timezone.localdate()) == 0


@pytest.mark.parametrize("value", ["yes", "true", "", "2", "01", " 1"])
def test_archive_takes_only_the_documented_values(client, cohort, student, evidence, mentor, value):
    client.force_login(mentor)
    response = client.post(reverse("cohorts:set_active", args=[cohort.pk]), {"active": value})
    assert response.status_code == 400
    assert "Choose to archive (0) or restore (1) the cohort." in response.text
    assert unchanged(cohort, student, evidence)


def test_archive_without_the_value_is_400(client, cohort, student, evidence, mentor):
    client.force_login(mentor)
    response = client.post(reverse("cohorts:set_active", args=[cohort.pk]))
    assert response.status_code == 400
    assert unchanged(cohort, student, evidence)


def test_archive_and_restore(client, cohort, mentor):
    client.force_login(mentor)
    url = reverse("cohorts:set_active", args=[cohort.pk])
    assert client.post(url, {"active": "0"}).status_code == 302
    assert not Cohort.objects.get(pk=cohort.pk).active
    assert client.post(url, {"active": "1"}).status_code == 302
    assert Cohort.objects.get(pk=cohort.pk).active


@pytest.mark.parametrize("sort", ["stage-²", "-stage-١٢", "stage-", "stage-9999999999999999999999"])
def test_an_odd_stage_sort_falls_back_to_names_not_a_server_error(
    client, cohort, student, mentor, sort
):
    client.force_login(mentor)
    response = client.get(cohort.get_absolute_url(), {"sort": sort})
    assert response.status_code == 200
    assert "Asha Verma" in response.text


def test_a_stage_title_that_looks_like_a_formula_is_neutralised_in_the_csv(client, cohort, mentor):
    Stage.objects.filter(roadmap=cohort.roadmap).update(title="=HYPERLINK(1)")
    client.force_login(mentor)
    header = next(
        csv.reader(
            io.StringIO(client.get(reverse("cohorts:export", args=[cohort.pk])).content.decode())
        )
    )
    assert "'=HYPERLINK(1) %" in header
    assert not any(cell.startswith("=") for cell in header)
