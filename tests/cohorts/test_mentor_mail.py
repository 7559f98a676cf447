"""Mail to mentors: new evidence to review, batched to at most one mail every few
hours, and a weekly digest of each cohort, once per mentor per week."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from crontask import scheduler
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.utils import timezone

from accounts.models import Delivery, MailKind, User
from accounts.outbox import mail_queue, mail_queue_many, week_key
from cohorts import mentor_mail
from cohorts.models import Membership
from cohorts.tasks import evidence_waiting_mail, weekly_mentor_digests
from roadmap.models import Item, Progress, ProgressEvent, Status
from roadmap.outline import content_changed
from roadmap.services import follow_roadmap, progress_set, review_evidence
from tests.factories import CohortFactory, ItemFactory, UserFactory, build_roadmap

pytestmark = pytest.mark.django_db

HOURS = 3  # WAYPOINT_REVIEW_MAIL_HOURS in these tests
# A Sunday in the second semester: a week earlier was the first semester.
JAN_3 = date(2027, 1, 3)


@pytest.fixture(autouse=True)
def review_mail_hours(settings):
    settings.WAYPOINT_REVIEW_MAIL_HOURS = HOURS


@pytest.fixture
def project(roadmap):
    return Item.objects.of_roadmap(roadmap).get(title="Sentiment API")


def join(cohort, name, **fields):
    student = UserFactory(name=name, **fields)
    Membership.objects.create(cohort=cohort, student=student)
    follow_roadmap(student, cohort.roadmap)
    return student


def attach(student, item, n=1):
    return progress_set(
        student=student,
        item=item,
        status=Status.DONE,
        evidence_url=f"https://github.com/{student.pk}/project-{n}",
    )


def evidence_run(now=None) -> int:
    """What the quarter-hourly task does, at ``now``."""
    return mail_queue_many(mentor_mail.evidence_mails(now=now or timezone.now()))


def evidence_deliveries(mentor=None):
    rows = Delivery.objects.filter(kind=MailKind.REVIEWS, key__startswith="evidence-")
    return rows.filter(recipient=mentor) if mentor else rows


# -- new evidence, batched ----------------------------------------------------------


def test_three_pieces_of_evidence_make_one_mail_with_names_and_a_link(
    cohort, mentor, project, run_tasks, settings
):
    for name in ("Asha Verma", "Ravi Kumar", "Zoya Khan"):
        attach(join(cohort, name), project)
    evidence_waiting_mail.enqueue()
    run_tasks()
    (sent,) = mail.outbox
    assert sent.to == [mentor.email]
    assert sent.subject == "3 new pieces of evidence to review in CSE ML club"
    assert "CSE ML club: 3 new, 3 waiting in all" in sent.body
    for name in ("Asha Verma", "Ravi Kumar", "Zoya Khan"):
        assert f"- {name}: Sentiment API" in sent.body
    review_url = f"{settings.WAYPOINT_BASE_URL}/cohorts/{cohort.pk}/review/"
    assert f"Review them: {review_url}\n" in sent.body
    assert f'href="{review_url}"' in sent.alternatives[0].content
    assert "at most once every 3 hours" in sent.body
    assert (sent.extra_headers["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"


def test_more_evidence_within_the_window_waits_then_comes_in_the_next_mail(
    cohort, mentor, project, roadmap
):
    asha = join(cohort, "Asha Verma")
    attach(asha, project)
    now = timezone.now()
    assert evidence_run(now) == 1
    # More evidence, more runs: still within the window, so nothing.
    ravi = join(cohort, "Ravi Kumar")
    attach(ravi, project)
    for minutes in (15, 30, HOURS * 60 - 1):
        assert evidence_run(now + timedelta(minutes=minutes)) == 0
    # Once the window has passed, what came since goes out; Asha's is counted, not named.
    assert evidence_run(now + timedelta(hours=HOURS, minutes=1)) == 1
    first, second = evidence_deliveries().order_by("created_at", "pk")
    assert first.key != second.key
    assert "- Ravi Kumar: Sentiment API" in second.text
    assert "Asha Verma" not in second.text
    assert "CSE ML club: 1 new, 2 waiting in all" in second.text


def test_after_the_window_nothing_new_means_no_mail(cohort, mentor, project):
    attach(join(cohort, "Asha Verma"), project)
    now = timezone.now()
    assert evidence_run(now) == 1
    assert evidence_run(now + timedelta(hours=HOURS * 2)) == 0  # still waiting, not new
    assert evidence_deliveries().count() == 1


def test_running_twice_or_on_two_schedulers_sends_one_mail(cohort, mentor, project, run_tasks):
    attach(join(cohort, "Asha Verma"), project)
    now = timezone.now()
    assert evidence_run(now) == 1
    assert evidence_run(now) == 0
    evidence_waiting_mail.enqueue()
    evidence_waiting_mail.enqueue()
    run_tasks()
    assert evidence_deliveries().count() == 1
    assert len(mail.outbox) == 1


def test_two_builds_of_one_window_queue_one_mail(cohort, mentor, project):
    attach(join(cohort, "Asha Verma"), project)
    now = timezone.now()
    built = [mentor_mail.evidence_mails(now=now), mentor_mail.evidence_mails(now=now)]
    assert [mail_queue_many(deliveries) for deliveries in built] == [1, 0]


def test_a_mentor_with_review_mail_off_hears_nothing(cohort, mentor, project):
    mentor.mail_reviews = False
    mentor.save()
    attach(join(cohort, "Asha Verma"), project)
    assert evidence_run() == 0
    assert not evidence_deliveries().exists()


def test_reviewed_evidence_is_not_counted(cohort, mentor, project):
    verified = attach(join(cohort, "Asha Verma"), project)
    review_evidence(mentor=mentor, progress=verified, verified=True)
    returned = attach(join(cohort, "Ravi Kumar"), project)
    review_evidence(mentor=mentor, progress=returned, verified=False, comment="Link is 404")
    assert evidence_run() == 0
    attach(join(cohort, "Zoya Khan"), project)
    assert evidence_run() == 1
    text = evidence_deliveries().get().text
    assert "CSE ML club: 1 new, 1 waiting in all" in text
    assert "Asha Verma" not in text and "Ravi Kumar" not in text


def test_only_reviewable_evidence_of_the_cohorts_roadmap_counts(cohort, mentor, project, roadmap):
    asha = join(cohort, "Asha Verma")
    topic = Item.objects.of_roadmap(roadmap).exclude(pk=project.pk).first()
    attach(asha, topic)  # a topic's link is not reviewed
    other = build_roadmap(items=1, project="Elsewhere")
    follow_roadmap(asha, other)
    attach(asha, Item.objects.of_roadmap(other).get(title="Elsewhere"))
    assert evidence_run() == 0


def test_one_mail_per_mentor_across_cohorts_and_one_per_mentor_of_a_cohort(
    cohort, mentor, project, roadmap
):
    second = CohortFactory(name="AI club", roadmap=roadmap, mentors=[mentor])
    co_mentor = UserFactory(is_mentor=True, name="Prof. Rao")
    cohort.mentors.add(co_mentor)
    archived = CohortFactory(name="Old batch", roadmap=roadmap, mentors=[mentor], active=False)
    attach(join(cohort, "Asha Verma"), project)
    attach(join(second, "Ravi Kumar"), project)
    attach(join(archived, "Old Student"), project)
    assert evidence_run() == 2
    mine = evidence_deliveries(mentor).get()
    assert mine.subject == "2 new pieces of evidence to review"
    assert mine.text.index("AI club: 1 new") < mine.text.index("CSE ML club: 1 new")
    assert "Old" not in mine.text
    theirs = evidence_deliveries(co_mentor).get()
    assert "CSE ML club: 1 new" in theirs.text and "AI club" not in theirs.text


def test_many_pieces_are_counted_after_the_first_few(cohort, mentor, project):
    for n in range(mentor_mail.EVIDENCE_NAMED + 3):
        attach(join(cohort, f"Student {n:02d}"), project)
    evidence_run()
    text = evidence_deliveries().get().text
    assert text.count(": Sentiment API") == mentor_mail.EVIDENCE_NAMED
    assert "- and 3 more" in text


def make_students(cohort, size, *, evidence_on=None):
    """``size`` students in ``cohort``, written in bulk, with evidence on ``evidence_on``."""
    password = make_password("x")
    students = User.objects.bulk_create(
        User(email=f"c{cohort.pk}-{n}@example.com", name=f"S{n}", batch=2025, password=password)
        for n in range(size)
    )
    Membership.objects.bulk_create(Membership(cohort=cohort, student=s) for s in students)
    if evidence_on:
        Progress.objects.bulk_create(
            Progress(
                student=s,
                item=evidence_on,
                status=Status.DONE,
                evidence_url="https://example.com/x",
                evidence_added_at=timezone.now(),
            )
            for s in students
        )
    return students


@pytest.mark.parametrize(("cohorts", "size"), [(1, 3), (4, 40)])
def test_building_the_evidence_mails_takes_four_queries_however_many(
    mentor, roadmap, project, cohorts, size, django_assert_num_queries
):
    for _ in range(cohorts):
        cohort = CohortFactory(roadmap=roadmap, mentors=[mentor, UserFactory(is_mentor=True)])
        make_students(cohort, size, evidence_on=project)
    # The mentors' cohorts, their last evidence mails, the evidence, the mentors.
    with django_assert_num_queries(4):
        deliveries = mentor_mail.evidence_mails(now=timezone.now())
    assert len(deliveries) == cohorts + 1


def test_the_window_key_is_the_same_across_one_window(settings):
    settings.WAYPOINT_REVIEW_MAIL_HOURS = 3
    start = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    keys = {mentor_mail.evidence_key(start + timedelta(minutes=m)) for m in (0, 90, 179)}
    assert keys == {"evidence-2026-12-03T06:00"}
    assert mentor_mail.evidence_key(start + timedelta(hours=3)) == "evidence-2026-12-03T09:00"


# -- the weekly digest ---------------------------------------------------------------


def make_inactive(student, settings):
    long_ago = timezone.now() - timedelta(days=settings.WAYPOINT_INACTIVE_DAYS + 1)
    Membership.objects.filter(student=student).update(joined_at=long_ago)
    ProgressEvent.objects.filter(student=student).update(created_at=long_ago)


def digest_run(today=JAN_3) -> int:
    return mail_queue_many(mentor_mail.mentor_digests(today=today, now=timezone.now()))


def digests(mentor=None):
    rows = Delivery.objects.filter(kind=MailKind.DIGEST)
    return rows.filter(recipient=mentor) if mentor else rows


@pytest.fixture
def week(cohort, project, roadmap, settings):
    """On 3 January 2027: Nisha (batch 2026) has done nothing and so became due for her
    first items this semester: newly behind. Asha (batch 2025) was behind already. Ravi
    has not been seen for weeks. Asha's project waits for review. The roadmap is a
    month old."""
    Item.objects.update(created_at=timezone.now() - timedelta(days=30))
    content_changed()  # a bulk update, unseen by the cached outline otherwise
    cohort.roadmap.refresh_from_db()  # as the next request reads it
    nisha = join(cohort, "Nisha Rao", batch=2026)
    asha = join(cohort, "Asha Verma", batch=2025)
    attach(asha, project)
    ravi = join(cohort, "Ravi Kumar", batch=2025)
    progress_set(student=ravi, item=project, status=Status.IN_PROGRESS)
    make_inactive(ravi, settings)
    return {"nisha": nisha, "asha": asha, "ravi": ravi}


def test_the_digest_has_a_section_per_active_cohort_with_what_needs_the_mentor(
    cohort, mentor, week, settings, roadmap
):
    quiet = CohortFactory(name="AI club", roadmap=roadmap, mentors=[mentor])
    join(quiet, "Keen Student", batch=2027)  # not started yet: nothing due, on track
    CohortFactory(name="Empty", roadmap=roadmap, mentors=[mentor])
    archived = CohortFactory(name="Old", roadmap=roadmap, mentors=[mentor], active=False)
    join(archived, "Old Student")
    assert digest_run() == 1
    digest = digests(mentor).get()
    assert digest.key == f"mentor-{week_key(JAN_3)}"
    assert digest.subject == "Your week in 2 cohorts: 1 newly behind, 1 inactive, 1 to review"
    text = digest.text
    assert text.startswith("Hello Dr. Meera Iyer,\n")
    assert "== AI club ==" in text and "== CSE ML club ==" in text
    assert "Empty" not in text and "Old" not in text
    cse = text[text.index("== CSE ML club ==") :]
    assert "3 students: 0 on track, 2 behind pace, 1 inactive." in cse
    newly = cse[cse.index("Newly behind pace (1):") : cse.index("Inactive for")]
    assert "- Nisha Rao: 3 items due by Year 1, semester 2 not done" in newly
    assert "Asha" not in newly  # behind a week ago too
    inactive = cse[cse.index("Inactive for 14 days or more (1):") : cse.index("Evidence")]
    assert "- Ravi Kumar: last active" in inactive
    assert "Evidence waiting for review: 1" in cse
    assert "Where the cohort is stuck:\n- " in cse
    base = f"{settings.WAYPOINT_BASE_URL}/cohorts/{week['asha'].cohorts.get().pk}"
    for link in ("/", "/review/", "/grid/", "/nudge/?pace=inactive", "/nudge/?pace=behind"):
        assert base + link in text, link
    ai = text[text.index("== AI club ==") : text.index("== CSE ML club ==")]
    assert "Nobody fell behind pace this week." in ai and "Nobody is inactive." in ai
    html = digest.html
    assert f'href="{base}/review/"' in html and "Nisha Rao" in html
    assert "<img" not in html and "http" not in html.replace(settings.WAYPOINT_BASE_URL, "")


def test_the_digest_goes_out_once_per_mentor_per_week_however_often_it_runs(
    cohort, mentor, week, run_tasks
):
    co_mentor = UserFactory(is_mentor=True)
    cohort.mentors.add(co_mentor)
    weekly_mentor_digests.enqueue()
    weekly_mentor_digests.enqueue()  # a second scheduler
    run_tasks()
    weekly_mentor_digests.enqueue()
    run_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([mentor.email, co_mentor.email])
    today = timezone.localdate()
    assert digest_run(today) == 0  # the same week, built again: nothing new
    assert digest_run(today + timedelta(days=7)) == 2  # the next week


def test_the_mentor_digest_is_apart_from_the_students_digest(cohort, mentor, week):
    # The mentor also follows a roadmap and got this week's student digest.
    mail_queue(mentor, kind=MailKind.DIGEST, key=week_key(JAN_3), subject="Your week", text="t")
    assert digest_run() == 1
    assert digests(mentor).count() == 2


def test_mentors_who_turned_the_digest_off_get_none(cohort, mentor, week):
    mentor.mail_digest = False
    mentor.save()
    assert digest_run() == 0
    assert not digests().exists()


def test_a_long_list_names_the_first_and_counts_the_rest(cohort, mentor, settings):
    for n in range(mentor_mail.DIGEST_NAMED + 2):
        make_inactive(join(cohort, f"Quiet {n:02d}"), settings)
    digest_run()
    text = digests().get().text
    assert f"Inactive for 14 days or more ({mentor_mail.DIGEST_NAMED + 2}):" in text
    assert text.count("- Quiet ") == mentor_mail.DIGEST_NAMED
    assert f"- and 2 more: {settings.WAYPOINT_BASE_URL}/cohorts/{cohort.pk}/?pace=inactive" in text


@pytest.mark.parametrize("size", [5, 200])
def test_the_digest_build_runs_the_same_queries_for_5_and_200_students(
    mentor, roadmap, project, size, django_assert_num_queries
):
    cohort = CohortFactory(roadmap=roadmap, mentors=[mentor, UserFactory(is_mentor=True)])
    make_students(cohort, size, evidence_on=project)
    second = CohortFactory(roadmap=roadmap, mentors=[mentor])
    make_students(second, size)
    # Cohorts, their mentors; per cohort: memberships, items, progress, evidence waiting,
    # last activity; the second cohort's roadmap is the first's, its items are cached.
    with django_assert_num_queries(2 + 5 * 2 - 1):
        deliveries = mentor_mail.mentor_digests(today=JAN_3, now=timezone.now())
    assert len(deliveries) == 2


def test_newly_behind_compares_with_the_same_progress_a_week_earlier(cohort, roadmap):
    """A student who kept up with last semester is newly behind when the next one's
    items fall due; one who was behind already is not news."""
    ItemFactory(milestone=Item.objects.of_roadmap(roadmap).first().milestone, due_semester=1)
    kept_up = join(cohort, "Kept Up", batch=2026)
    first_semester = Item.objects.of_roadmap(roadmap).get(due_year=1, due_semester=1)
    progress_set(student=kept_up, item=first_semester, status=Status.DONE)
    lagging = join(cohort, "Lagging", batch=2026)
    Item.objects.update(created_at=timezone.now() - timedelta(days=30))  # the roadmap as it was
    content_changed()  # a bulk update, unseen by the cached outline otherwise
    cohort.roadmap.refresh_from_db()  # as the next request reads it
    week = mentor_mail.cohort_week(cohort, today=JAN_3, now=timezone.now())
    assert [row.student for row in week.newly_behind] == [kept_up]
    assert week.behind == 2
    # In the middle of a semester nothing new falls due.
    mid_semester = date(2027, 2, 14)
    week = mentor_mail.cohort_week(cohort, today=mid_semester, now=timezone.now())
    assert week.newly_behind == [] and week.behind == 2
    assert lagging  # behind both weeks


def test_a_required_item_added_this_week_makes_students_newly_behind(cohort, roadmap):
    """Mid-semester, an item an admin adds this week that is due already puts a student
    who had done everything due behind: that is news for the mentor."""
    first = Item.objects.of_roadmap(roadmap).first()
    kept_up = join(cohort, "Kept Up", batch=2026)
    for item in Item.objects.of_roadmap(roadmap).filter(due_year=1):
        progress_set(student=kept_up, item=item, status=Status.DONE)
    Item.objects.update(created_at=timezone.now() - timedelta(days=30))
    content_changed()  # a bulk update, unseen by the cached outline otherwise
    cohort.roadmap.refresh_from_db()  # as the next request reads it
    mid_semester = date(2027, 2, 14)
    assert mentor_mail.cohort_week(cohort, today=mid_semester, now=timezone.now()).behind == 0
    ItemFactory(milestone=first.milestone, due_year=1, due_semester=1)  # added today
    cohort.roadmap.refresh_from_db()
    week = mentor_mail.cohort_week(cohort, today=mid_semester, now=timezone.now())
    assert [row.student for row in week.newly_behind] == [kept_up]


# -- the schedule --------------------------------------------------------------------


def test_both_tasks_are_on_the_schedule(settings):
    jobs = {job.name: job for job in scheduler.get_jobs()}
    evidence = jobs[evidence_waiting_mail.name].trigger
    assert str(evidence.fields[6]) == "*/15"  # minute
    digest = jobs[weekly_mentor_digests.name].trigger
    assert str(digest.fields[4]) == "mon"  # day of week
    assert str(digest.fields[5]) == "7"  # hour


def test_mail_over_real_smtp_has_both_parts_and_links_that_open(
    client, cohort, mentor, week, smtp_server, run_tasks, settings
):
    weekly_mentor_digests.enqueue()
    evidence_waiting_mail.enqueue()
    run_tasks()
    received = {m["Subject"]: m for m in smtp_server.messages}
    assert len(received) == 2
    client.force_login(mentor)
    for message in received.values():
        assert message["To"] == mentor.email
        text = message.get_body(("plain",)).get_content()
        assert message.get_body(("html",)).get_content().count("<a ") >= 2
        links = re.findall(rf"{re.escape(settings.WAYPOINT_BASE_URL)}(/cohorts/\S+)", text)
        assert links
        for path in links:
            assert client.get(path).status_code == 200, path


def test_a_server_without_mail_builds_no_mentor_mail(
    cohort, mentor, settings, django_assert_num_queries
):
    settings.MAIL_DELIVERS = False
    with django_assert_num_queries(0):  # nothing is read, let alone built
        assert evidence_waiting_mail.call() == 0
        assert weekly_mentor_digests.call() == 0
