"""The private calendar feed: parsed back with icalendar, its due points on each
student's own academic clock, the guide's opportunity windows, stable UIDs, and one
404 for every address that does not lead to a person's calendar."""

import re
import secrets
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from accounts.models import Entry, Programme
from roadmap.models import Status
from roadmap.services import follow_roadmap, progress_set
from tests.factories import (
    ItemFactory,
    MilestoneFactory,
    RoadmapFactory,
    StageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

GUIDE = "machine-learning-engineer"


@pytest.fixture
def roadmap():
    """The guide's roadmap (its key carries the opportunity windows) with items due
    at three points: Year 1 semester 2 (two), Year 2 semester 1 (three, one counted,
    one optional) and Year 4 semester 2 (one)."""
    roadmap = RoadmapFactory(slug="ml", title="Machine Learning Engineer", key=GUIDE)
    early = MilestoneFactory(stage=StageFactory(roadmap=roadmap, year_start=1, year_end=2))
    late = MilestoneFactory(stage=StageFactory(roadmap=roadmap, year_start=3, year_end=4))
    for title in ["Learn Python", "Git basics"]:
        ItemFactory(milestone=early, title=title, due_year=1, due_semester=2)
    for title in ["Data structures", "Linear algebra"]:
        ItemFactory(milestone=early, title=title, due_year=2, due_semester=1)
    ItemFactory(
        milestone=early,
        title="LeetCode problems",
        due_year=2,
        due_semester=1,
        target_count=200,
        unit="problems",
    )
    ItemFactory(
        milestone=early, title="Optional reading", due_year=2, due_semester=1, optional=True
    )
    # No due point of its own: the end of its stage, Year 4 semester 2.
    ItemFactory(milestone=late, title="Contribute to PyTorch", due_year=None, due_semester=None)
    return roadmap


def student_on(roadmap, **fields):
    """A student of batch 2025 (unless ``fields`` say otherwise) with a calendar
    address, following ``roadmap``."""
    fields = {"batch": 2025, "calendar_token": secrets.token_urlsafe(32), **fields}
    student = UserFactory(**fields)
    follow_roadmap(student, roadmap)
    return student


def feed_url(student) -> str:
    return reverse("roadmap:calendar", args=[student.calendar_token])


def fetch(student, client=None):
    """The student's feed, parsed, fetched as a calendar app does: no cookies."""
    response = (client or Client()).get(feed_url(student))
    assert response.status_code == 200, response.content
    return Calendar.from_ical(response.content)


def events(calendar) -> dict:
    """The calendar's events by summary; several with one summary as a list, in order."""
    found = {}
    for event in calendar.walk("VEVENT"):
        found.setdefault(str(event["SUMMARY"]), []).append(event)
    return found


def span(event) -> tuple[date, date]:
    return event.start, event.end


def due(calendar) -> dict:
    """Due events: {summary: (start, end)}."""
    return {
        summary: span(found[0])
        for summary, found in events(calendar).items()
        if summary.startswith("Due:")
    }


# -- the calendar itself --------------------------------------------------------------


def test_the_feed_is_a_private_text_calendar_anyone_with_the_address_can_read(roadmap):
    student = student_on(roadmap)
    client = Client()
    response = client.get(feed_url(student))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control
    assert not response.cookies  # no session started for a calendar app
    assert not client.cookies
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//Waypoint//Calendar feed//EN"
    assert str(calendar["X-WR-CALNAME"]) == "Waypoint"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT12H" in response.text
    assert "X-PUBLISHED-TTL:PT12H" in response.text
    for event in calendar.walk("VEVENT"):
        assert event["UID"] and event["DTSTAMP"]
    # HEAD as well (some apps check first); a write is refused.
    assert client.head(feed_url(student)).status_code == 200
    assert client.post(feed_url(student)).status_code == 405


def test_a_signed_in_browser_gets_the_same_feed(client, roadmap):
    student = student_on(roadmap)
    client.force_login(student)
    assert due(fetch(student, client)) == due(fetch(student))


# -- due points -------------------------------------------------------------------------


def test_a_regular_student_gets_each_open_due_point_at_the_end_of_its_semester(roadmap):
    student = student_on(roadmap)  # batch 2025, year 1: July 2025 to June 2026
    assert due(fetch(student)) == {
        "Due: 2 items (Year 1, semester 2)": (date(2026, 6, 30), date(2026, 7, 1)),
        "Due: 3 items (Year 2, semester 1)": (date(2026, 12, 31), date(2027, 1, 1)),
        "Due: 1 item (Year 4, semester 2)": (date(2029, 6, 30), date(2029, 7, 1)),
    }


def test_a_due_event_lists_its_open_items_and_links_to_the_checklist(roadmap):
    student = student_on(roadmap)
    event = events(fetch(student))["Due: 3 items (Year 2, semester 1)"][0]
    description = str(event["DESCRIPTION"])
    assert "Machine Learning Engineer" in description
    for title in ["Data structures", "Linear algebra", "LeetCode problems"]:
        assert f"- {title}" in description
    assert "Optional reading" not in description
    checklist = "http://testserver" + reverse("roadmap:checklist", args=[roadmap.slug])
    assert str(event["URL"]) == checklist
    assert checklist in description


def test_done_items_leave_their_due_point_and_a_fully_done_point_has_no_event(roadmap):
    student = student_on(roadmap)
    items = {item.title: item for item in roadmap.stages.first().milestones.first().items.all()}
    for title in ["Learn Python", "Git basics", "Data structures"]:
        progress_set(student=student, item=items[title], status=Status.DONE)
    progress_set(student=student, item=items["Linear algebra"], status=Status.SKIPPED)
    progress_set(student=student, item=items["LeetCode problems"], count=137)
    calendar = fetch(student)
    assert set(due(calendar)) == {
        "Due: 2 items (Year 2, semester 1)",
        "Due: 1 item (Year 4, semester 2)",
    }
    description = str(events(calendar)["Due: 2 items (Year 2, semester 1)"][0]["DESCRIPTION"])
    # Skipped is not done (PRODUCT.md), so it stays, and says so; a count says how far.
    assert "- Linear algebra (skipped)" in description
    assert "- LeetCode problems (137 / 200 problems)" in description
    assert "Data structures" not in description
    # The counted item finished: that point goes down to one.
    progress_set(student=student, item=items["LeetCode problems"], count=200)
    assert "Due: 1 item (Year 2, semester 1)" in due(fetch(student))


def test_a_lateral_entrant_gets_due_points_on_their_clock_without_prerequisites(roadmap):
    student = student_on(roadmap, entry_year=Entry.LATERAL)  # joins year 2 in July 2025
    assert due(fetch(student)) == {
        "Due: 3 items (Year 2, semester 1)": (date(2025, 12, 31), date(2026, 1, 1)),
        "Due: 1 item (Year 4, semester 2)": (date(2028, 6, 30), date(2028, 7, 1)),
    }


def test_a_five_year_student_gets_the_same_due_points_and_a_longer_calendar(roadmap):
    student = student_on(roadmap, programme_years=Programme.FIVE_YEARS)
    assert due(fetch(student)) == due(fetch(student_on(roadmap)))
    gsoc = events(fetch(student))["Google Summer of Code: contributor applications"]
    assert [event.start for event in gsoc] == [date(y, 3, 1) for y in range(2026, 2031)]
    internships = events(fetch(student))["Internships: start applying"]
    assert [event.start for event in internships] == [date(y, 5, 1) for y in (2027, 2028, 2029)]


def test_the_academic_year_start_month_moves_the_semester_ends(roadmap, settings):
    settings.WAYPOINT_ACADEMIC_YEAR_START_MONTH = 8
    student = student_on(roadmap)
    assert due(fetch(student))["Due: 3 items (Year 2, semester 1)"] == (
        date(2027, 1, 31),
        date(2027, 2, 1),
    )


def test_unpublished_and_unfollowed_roadmaps_are_left_out(roadmap):
    student = student_on(roadmap)
    other = RoadmapFactory(slug="web")
    ItemFactory(milestone=MilestoneFactory(stage=StageFactory(roadmap=other)), title="HTML")
    draft = RoadmapFactory(slug="draft", title="Draft")
    ItemFactory(milestone=MilestoneFactory(stage=StageFactory(roadmap=draft)), title="Secret")
    follow_roadmap(student, draft)
    draft.published = False
    draft.save()
    text = str(fetch(student).to_ical())
    assert "HTML" not in text and "Secret" not in text and "Draft" not in text


def test_a_second_roadmap_names_itself_in_its_events(roadmap):
    student = student_on(roadmap)
    web = RoadmapFactory(slug="web", title="Web Developer")
    ItemFactory(milestone=MilestoneFactory(stage=StageFactory(roadmap=web)), title="HTML")
    follow_roadmap(student, web)
    assert "Due: 1 item (Year 1, semester 2) · Web Developer" in due(fetch(student))
    assert "Due: 2 items (Year 1, semester 2) · Machine Learning Engineer" in due(fetch(student))


def test_archived_items_are_not_due(roadmap):
    student = student_on(roadmap)
    roadmap.stages.last().milestones.first().items.update(archived=True)
    assert "Due: 1 item (Year 4, semester 2)" not in due(fetch(student))


# -- opportunity windows ----------------------------------------------------------------


def test_a_regular_student_gets_the_guides_opportunity_windows_on_their_years(roadmap):
    found = events(fetch(student_on(roadmap)))
    assert [span(e) for e in found["Internships: start applying"]] == [
        (date(2027, 5, 1), date(2027, 7, 1)),  # the summer after year 2
        (date(2028, 5, 1), date(2028, 7, 1)),  # and after year 3; not after the last
    ]
    assert [span(e) for e in found["Apply: Google STEP, Microsoft Explore"]] == [
        (date(2025, 9, 1), date(2025, 11, 1)),  # autumn of year 1
        (date(2026, 9, 1), date(2026, 11, 1)),  # and of year 2
    ]
    assert [span(e) for e in found["Google Summer of Code: contributor applications"]] == [
        (date(year, 3, 1), date(year, 5, 1)) for year in (2026, 2027, 2028, 2029)
    ]
    for event in found["Google Summer of Code: contributor applications"]:
        description = str(event["DESCRIPTION"])
        assert "Participate in Google Summer of Code" in description  # the guide's rule
        assert "typical" in description and "check" in description
        assert str(event["URL"]) == "https://summerofcode.withgoogle.com/"
    description = str(found["Internships: start applying"][0]["DESCRIPTION"])
    assert "Year 2 of your studies." in description
    assert '"Start applying from 2nd year summer"' in description


def test_a_lateral_entrant_gets_windows_from_the_year_they_joined(roadmap):
    found = events(fetch(student_on(roadmap, entry_year=Entry.LATERAL)))
    assert [e.start for e in found["Internships: start applying"]] == [
        date(2026, 5, 1),
        date(2027, 5, 1),
    ]
    assert [e.start for e in found["Apply: Google STEP, Microsoft Explore"]] == [date(2025, 9, 1)]
    assert [e.start for e in found["Google Summer of Code: contributor applications"]] == [
        date(2026, 3, 1),
        date(2027, 3, 1),
        date(2028, 3, 1),
    ]


def test_a_roadmap_from_another_guide_has_no_opportunity_windows():
    roadmap = RoadmapFactory(slug="web")
    ItemFactory(milestone=MilestoneFactory(stage=StageFactory(roadmap=roadmap)))
    assert set(events(fetch(student_on(roadmap)))) == {"Due: 1 item (Year 1, semester 2)"}


def test_a_student_without_a_batch_gets_a_valid_calendar_that_says_to_set_it(roadmap):
    student = student_on(roadmap, batch=None)
    calendar = fetch(student)
    assert calendar.walk("VEVENT") == []
    assert "Set your batch" in str(calendar["X-WR-CALDESC"])


# -- stable across fetches --------------------------------------------------------------


def test_uids_are_stable_across_fetches_and_a_moved_point_keeps_its_uid(roadmap):
    student = student_on(roadmap)

    def uids(calendar):
        return {str(e["SUMMARY"]) + str(e.start): str(e["UID"]) for e in calendar.walk("VEVENT")}

    first, second = fetch(student), fetch(student)
    assert uids(first) == uids(second)
    all_uids = [str(e["UID"]) for e in first.walk("VEVENT")]
    assert len(all_uids) == len(set(all_uids))  # one event, one UID
    # A repeated year moves every date; the same UIDs, so calendars update, not duplicate.
    student.batch = 2026
    student.save()
    moved = fetch(student)
    assert sorted(all_uids) == sorted(str(e["UID"]) for e in moved.walk("VEVENT"))
    assert due(moved)["Due: 3 items (Year 2, semester 1)"][0] == date(2027, 12, 31)


def test_two_students_never_share_a_uid(roadmap):
    one, two = fetch(student_on(roadmap)), fetch(student_on(roadmap))
    assert not {str(e["UID"]) for e in one.walk("VEVENT")} & {
        str(e["UID"]) for e in two.walk("VEVENT")
    }


# -- addresses that lead nowhere --------------------------------------------------------


def normalised(response) -> str:
    """A page without what differs per response: CSP nonces, CSRF tokens, and the
    requested address (in its "Reload this page" link)."""
    text = response.content.decode().replace(response.wsgi_request.get_full_path(), "/the-address")
    text = re.sub(r'nonce="[^"]*"', 'nonce=""', text)
    text = re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', text)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)


def test_every_address_that_leads_nowhere_gets_the_same_404(roadmap):
    student = student_on(roadmap)
    gone = student_on(roadmap, is_active=False)
    old = student.calendar_token
    # Replaced from the account page: the old address stops at once.
    client = Client()
    client.force_login(student)
    client.post(reverse("accounts:calendar"))
    client = Client()
    tokens = [old, "never-made", gone.calendar_token, "x" * 65, "a.b", " ", "é"]
    answers = [client.get(reverse("roadmap:calendar", args=[token])) for token in tokens]
    answers.append(client.get("/calendar/.ics"))
    assert [answer.status_code for answer in answers] == [404] * len(answers)
    assert len({normalised(answer) for answer in answers}) == 1
    assert "There is nothing here" in answers[0].text
    student.refresh_from_db()
    assert fetch(student).walk("VEVENT")  # the new address works


def test_an_empty_token_in_the_database_leads_nowhere(roadmap):
    UserFactory(calendar_token="")
    assert Client().get("/calendar/.ics").status_code == 404


# -- queries ----------------------------------------------------------------------------


@pytest.mark.parametrize("items", [3, 60])
def test_the_feed_costs_the_same_queries_for_few_or_many_items(
    roadmap, items, django_assert_num_queries
):
    student = student_on(roadmap)
    milestone = MilestoneFactory(stage=roadmap.stages.first())
    for n in range(items):
        item = ItemFactory(milestone=milestone, due_year=1 + n % 4, due_semester=1 + n % 2)
        if n % 3 == 0:
            progress_set(student=student, item=item, status=Status.DONE)
    web = RoadmapFactory(slug="web")
    ItemFactory(milestone=MilestoneFactory(stage=StageFactory(roadmap=web)))
    follow_roadmap(student, web)
    client = Client()
    # The person by token, the roadmaps they follow, their items, their progress.
    with django_assert_num_queries(4):
        response = client.get(feed_url(student))
    assert response.status_code == 200
