"""Nudges: a mentor picks students on the cohort dashboard, edits a friendly message and
sends it by mail; at most one nudge per student a day, and a daily limit per mentor."""

import re
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Delivery, MailKind
from cohorts.models import Membership, Nudge
from cohorts.nudges import nudge_send
from cohorts.services import CohortRefused
from roadmap.models import ProgressEvent
from roadmap.services import follow_roadmap
from tests.factories import CohortFactory, UserFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Hello from your mentor: how is the Sentiment API coming along?"


def join(cohort, name, **fields):
    student = UserFactory(name=name, **fields)
    Membership.objects.create(cohort=cohort, student=student)
    follow_roadmap(student, cohort.roadmap)
    return student


def make_inactive(student, settings):
    long_ago = timezone.now() - timedelta(days=settings.WAYPOINT_INACTIVE_DAYS + 1)
    Membership.objects.filter(student=student).update(joined_at=long_ago)
    ProgressEvent.objects.filter(student=student).update(created_at=long_ago)


@pytest.fixture
def ravi(cohort):
    return join(cohort, "Ravi Kumar")


def nudge_url(cohort):
    return reverse("cohorts:nudge", args=[cohort.pk])


def send(client, cohort, students, message=MESSAGE):
    return client.post(nudge_url(cohort), {"student": [s.pk for s in students], "message": message})


def nothing_sent():
    return not Nudge.objects.exists() and not Delivery.objects.exists() and not mail.outbox


# -- permissions --------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, cohort, student):
    for response in (
        client.get(nudge_url(cohort), {"student": student.pk}),
        send(client, cohort, [student]),
    ):
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
    assert nothing_sent()


@pytest.mark.parametrize("who", ["student of the cohort", "mentor of another cohort"])
def test_outsiders_get_404(client, cohort, student, who):
    outsider = student if who == "student of the cohort" else UserFactory(is_mentor=True)
    if who == "mentor of another cohort":
        CohortFactory(roadmap=cohort.roadmap, mentors=[outsider], students=[student])
    client.force_login(outsider)
    assert client.get(nudge_url(cohort), {"student": student.pk}).status_code == 404
    assert client.get(nudge_url(cohort), {"pace": "behind"}).status_code == 404
    assert send(client, cohort, [student]).status_code == 404
    assert nothing_sent()


def test_a_student_outside_the_cohort_is_404_even_the_mentors_own(client, cohort, student, mentor):
    """Issue 14: a nudge to a student outside the mentor's cohorts is a 404; so is one
    posted to this cohort for a student of the same mentor's other cohort."""
    stranger = UserFactory(name="Stranger")
    other_cohort = CohortFactory(roadmap=cohort.roadmap, mentors=[mentor])
    elsewhere = join(other_cohort, "Elsewhere")
    client.force_login(mentor)
    for outsider in (stranger, elsewhere):
        assert client.get(nudge_url(cohort), {"student": outsider.pk}).status_code == 404
        assert send(client, cohort, [student, outsider]).status_code == 404
    assert client.get(nudge_url(cohort), {"student": 10**12}).status_code == 404
    assert nothing_sent()
    # The same student, through their own cohort, is fine.
    assert send(client, other_cohort, [elsewhere]).status_code == 302
    assert Nudge.objects.get().cohort == other_cohort


def test_the_mentor_and_an_admin_open_the_page(client, cohort, student, mentor):
    for who in (mentor, UserFactory(is_staff=True)):
        client.force_login(who)
        response = client.get(nudge_url(cohort), {"student": student.pk})
        assert response.status_code == 200
        assert "Asha Verma" in response.text


# -- choosing and sending -------------------------------------------------------


def test_the_page_lists_the_ticked_students_with_an_editable_friendly_message(
    client, cohort, student, ravi, mentor
):
    client.force_login(mentor)
    response = client.get(nudge_url(cohort), {"student": [ravi.pk, student.pk]})
    assert response.status_code == 200
    boxes = re.findall(
        r'<input type="checkbox" [^>]*name="student" value="(\d+)" checked', response.text
    )
    assert boxes == [str(student.pk), str(ravi.pk)]  # by name
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", response.text, re.S)
    assert 'name="message"' in textarea.group(0) and "required" in textarea.group(0)
    assert 'maxlength="1000"' in textarea.group(0)
    assert cohort.roadmap.title in textarea.group(1)
    assert re.search(r'<label for="id_message">Message:?</label>', response.text)
    assert nothing_sent()  # choosing sends nothing


def test_quick_buttons_choose_inactive_or_behind_students(
    client, cohort, student, ravi, mentor, settings
):
    make_inactive(ravi, settings)  # Asha joined today and has done nothing: behind pace
    client.force_login(mentor)
    inactive = client.get(nudge_url(cohort), {"pace": "inactive"})
    assert "Nudge inactive students" in inactive.text
    assert "Ravi Kumar" in inactive.text and "Asha Verma" not in inactive.text
    assert "a while since you last updated" in inactive.text
    behind = client.get(nudge_url(cohort), {"pace": "behind"})
    assert "Asha Verma" in behind.text and "Ravi Kumar" not in behind.text
    assert "behind where your year of study is" in behind.text
    dashboard = client.get(cohort.get_absolute_url()).text
    assert f'href="{nudge_url(cohort)}?pace=inactive">Nudge inactive students (1)' in dashboard
    assert f'href="{nudge_url(cohort)}?pace=behind">Nudge students behind pace (1)' in dashboard


def test_a_pace_with_nobody_says_so(client, cohort, student, mentor):
    client.force_login(mentor)
    response = client.get(nudge_url(cohort), {"pace": "inactive"})
    assert response.status_code == 200
    assert "No student is inactive right now." in response.text
    assert "Send the nudge" not in response.text


def test_sending_records_a_nudge_and_mails_each_student_once(
    client, cohort, student, ravi, mentor, run_tasks, settings
):
    client.force_login(mentor)
    response = send(client, cohort, [student, ravi], "  Keep going!\nReply if stuck.  ")
    assert response.status_code == 302
    assert response["Location"] == cohort.get_absolute_url()
    nudges = Nudge.objects.order_by("student__name")
    assert [(n.student, n.mentor, n.cohort, n.message) for n in nudges] == [
        (student, mentor, cohort, "Keep going!\nReply if stuck."),
        (ravi, mentor, cohort, "Keep going!\nReply if stuck."),
    ]
    deliveries = Delivery.objects.order_by("recipient__name")
    assert [(d.recipient, d.kind, d.key, d.reply_to) for d in deliveries] == [
        (n.student, MailKind.NUDGES, f"nudge-{n.pk}", mentor.email) for n in nudges
    ]
    page = client.get(response["Location"]).text
    assert "Nudged 2 students." in page
    run_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([student.email, ravi.email])
    asha = next(m for m in mail.outbox if m.to == [student.email])
    assert asha.reply_to == [mentor.email]
    assert "Dr. Meera Iyer" in asha.subject and cohort.name in asha.subject
    assert asha.body.startswith("Hello Asha Verma,\n\nKeep going!\nReply if stuck.\n")
    dashboard = f"{settings.WAYPOINT_BASE_URL}/roadmaps/{cohort.roadmap.slug}/dashboard/"
    assert dashboard.startswith("http")
    assert dashboard in asha.body
    html = asha.alternatives[0].content
    assert "Keep going!<br>Reply if stuck." in html and f'href="{dashboard}"' in html


def test_the_message_is_the_mentors_words_escaped_in_html(client, cohort, student, mentor):
    client.force_login(mentor)
    send(client, cohort, [student], "<b>Hi</b> & <script>x</script>")
    html = Delivery.objects.get().html
    assert "&lt;b&gt;Hi&lt;/b&gt; &amp; &lt;script&gt;" in html and "<script>" not in html
    assert "<b>Hi</b> & <script>x</script>" in Delivery.objects.get().text


def test_a_student_nudged_in_the_last_day_by_anyone_is_skipped_and_named(
    client, cohort, student, ravi, mentor
):
    other_mentor = UserFactory(is_mentor=True)
    other_cohort = CohortFactory(roadmap=cohort.roadmap, mentors=[other_mentor], students=[student])
    nudge_send(mentor=other_mentor, cohort=other_cohort, students=[student], message="Hi")
    client.force_login(mentor)
    picked = client.get(nudge_url(cohort), {"student": [student.pk, ravi.pk]}).text
    assert "nudged in the last 24 hours, so not again today" in picked
    # Another cohort's mentor nudged: the rule is explained, not when or by whom.
    assert "nudged on" not in picked
    response = send(client, cohort, [student, ravi])
    assert response.status_code == 302
    page = client.get(cohort.get_absolute_url()).text
    assert (
        "Nudged 1 student. Already nudged in the last 24 hours, so not again: Asha Verma." in page
    )
    assert list(Nudge.objects.filter(mentor=mentor).values_list("student", flat=True)) == [ravi.pk]
    # A day later Asha can hear from a mentor again.
    Nudge.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    send(client, cohort, [student, ravi])
    assert Nudge.objects.filter(mentor=mentor).count() == 3


def test_sending_twice_nudges_once(client, cohort, student, mentor):
    client.force_login(mentor)
    send(client, cohort, [student])
    response = send(client, cohort, [student])  # a double click, or a second tab
    assert response.status_code == 302
    assert Nudge.objects.count() == Delivery.objects.count() == 1
    page = client.get(cohort.get_absolute_url()).text
    assert "Nobody was nudged. Already nudged in the last 24 hours" in page


def test_students_who_take_no_mail_from_mentors_are_named_not_nudged(
    client, cohort, student, mentor
):
    quiet = join(cohort, "Quiet One", mail_nudges=False)
    bounced = join(cohort, "Bounced", mail_bounced_at=timezone.now())
    client.force_login(mentor)
    send(client, cohort, [student, quiet, bounced])
    assert list(Nudge.objects.values_list("student", flat=True)) == [student.pk]
    assert list(Delivery.objects.values_list("recipient", flat=True)) == [student.pk]
    page = client.get(cohort.get_absolute_url()).text
    assert "Not sent to Bounced, Quiet One: they take no mail from mentors" in page


def test_a_server_without_mail_says_so_and_nudges_nobody(client, cohort, student, mentor, settings):
    settings.MAIL_DELIVERS = False
    client.force_login(mentor)
    response = send(client, cohort, [student])
    assert response.status_code == 503
    assert "This server sends no mail" in response.text
    assert MESSAGE in response.text  # the message typed is kept
    assert nothing_sent()


def test_the_daily_limit_refuses_the_whole_batch_with_the_reason(
    client, cohort, student, ravi, mentor, settings
):
    settings.WAYPOINT_NUDGES_PER_DAY = 2
    third = join(cohort, "Third")
    client.force_login(mentor)
    response = send(client, cohort, [student, ravi, third])
    assert response.status_code == 429
    assert "You can send 2 more nudges today (at most 2 a day), and 3 students were chosen." in (
        response.text
    )
    assert nothing_sent()
    assert MESSAGE in response.text  # the message typed is kept
    assert send(client, cohort, [student, ravi]).status_code == 302
    response = send(client, cohort, [third])
    assert response.status_code == 429
    assert "You have sent 2 nudges in the last 24 hours" in response.text
    assert Nudge.objects.count() == 2
    # Skipped students do not count against the limit.
    assert send(client, cohort, [student]).status_code == 302
    # The limit is per mentor: another mentor of the cohort still can.
    other = UserFactory(is_mentor=True)
    cohort.mentors.add(other)
    client.force_login(other)
    assert send(client, cohort, [third]).status_code == 302
    assert Nudge.objects.count() == 3


def test_the_service_refuses_a_blank_message(cohort, student, mentor):
    with pytest.raises(CohortRefused, match="Write a message"):
        nudge_send(mentor=mentor, cohort=cohort, students=[student], message="  \n ")
    assert nothing_sent()


# -- bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"message": MESSAGE}, "Choose at least one student to nudge."),
        ({"student": "", "message": MESSAGE}, "Choose at least one student to nudge."),
        ({"student": "abc", "message": MESSAGE}, "“abc” is not one."),
        ({"student": "1.5", "message": MESSAGE}, "“1.5” is not one."),
        ({"student": "-1", "message": MESSAGE}, "“-1” is not one."),
        ({"student": "٣", "message": MESSAGE}, "is not one."),
        ({"student": "9" * 30, "message": MESSAGE}, "is not one."),
        ({"student": "STUDENT", "message": ""}, "Write a message to send."),
        ({"student": "STUDENT", "message": "   "}, "Write a message to send."),
        ({"student": "STUDENT", "message": "x" * 1001}, "under 1000 characters (it has 1001)"),
    ],
    ids=str,
)
def test_bad_input_says_why_next_to_the_field_and_sends_nothing(
    client, cohort, student, mentor, data, error
):
    if data.get("student") == "STUDENT":
        data = {**data, "student": student.pk}
    client.force_login(mentor)
    response = client.post(nudge_url(cohort), data)
    assert response.status_code == 400
    assert error in response.text
    assert nothing_sent()


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({}, "Choose at least one student to nudge."),
        ({"student": "x"}, "“x” is not one."),
        ({"pace": "asleep"}, "Choose inactive students or students behind pace."),
    ],
    ids=str,
)
def test_bad_choices_on_the_page_say_why(client, cohort, student, mentor, query, error):
    client.force_login(mentor)
    response = client.get(nudge_url(cohort), query)
    assert response.status_code == 400
    assert error in response.text
    assert "Send the nudge" not in response.text
    assert "Back to the students" in response.text


def test_the_page_needs_csrf(cohort, student, mentor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mentor)
    assert send(client, cohort, [student]).status_code == 403
    assert nothing_sent()


# -- the dashboard ---------------------------------------------------------------


def test_the_dashboard_ticks_go_to_the_nudge_page_without_javascript(
    client, cohort, student, mentor
):
    client.force_login(mentor)
    text = client.get(cohort.get_absolute_url()).text
    form = re.search(r'<form method="get" action="([^"]+)" class="nudge-form"', text)
    assert form.group(1) == nudge_url(cohort)
    box = re.search(rf'<input type="checkbox" name="student" value="{student.pk}"[^>]*>', text)
    assert 'aria-label="Nudge Asha Verma"' in box.group(0)
    assert '<button type="submit" class="small-button">Nudge the students ticked</button>' in text


def test_the_dashboard_says_nudged_on_for_a_week_from_this_cohort_only(
    client, cohort, student, ravi, mentor
):
    third = join(cohort, "Third")
    other_cohort = CohortFactory(roadmap=cohort.roadmap, students=[third])
    now = timezone.now()
    Nudge.objects.create(cohort=cohort, student=student, mentor=mentor, message="a")
    Nudge.objects.create(
        cohort=cohort, student=ravi, mentor=mentor, message="b", created_at=now - timedelta(days=8)
    )
    Nudge.objects.create(cohort=other_cohort, student=third, message="c")
    client.force_login(mentor)
    text = client.get(cohort.get_absolute_url()).text

    def row(name):
        return re.search(rf">{name}</a>.*?</tr>", text, re.S).group(0)

    today = timezone.localtime(now)
    assert "nudged on <time datetime=" in row("Asha Verma")
    assert f">{today.day} {today:%b}</time>" in row("Asha Verma")
    assert "nudged on" not in row("Ravi Kumar")  # more than a week ago
    assert "nudged on" not in row("Third")  # by another cohort's mentor


@pytest.mark.parametrize("size", [2, 6])
def test_sending_runs_a_fixed_number_of_queries_plus_four_per_student(
    cohort, mentor, size, django_assert_num_queries
):
    students = [join(cohort, f"Student {n}") for n in range(size)]
    # The lock, nudged lately, the mentor's count, the nudges; per student: a savepoint,
    # the delivery, its release, the sending task. (And the test's own savepoint pair.)
    with django_assert_num_queries(6 + 4 * size):
        result = nudge_send(mentor=mentor, cohort=cohort, students=students, message="Hi")
    assert len(result.nudged) == size


@pytest.mark.django_db(transaction=True)
def test_concurrent_nudges_of_one_student_send_one():
    """A double click and a second mentor at the same moment: the student hears once."""
    mentors = [UserFactory(is_mentor=True) for _ in range(2)]
    cohort = CohortFactory(mentors=mentors)
    student = join(cohort, "Asha Verma")
    errors = []
    barrier = threading.Barrier(6)

    def submit(n):
        try:
            barrier.wait(timeout=10)
            nudge_send(mentor=mentors[n % 2], cohort=cohort, students=[student], message="Hi")
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert Nudge.objects.count() == Delivery.objects.count() == 1
