"""The weekly digest for students: what is due this semester, what is still open from
earlier ones, what mentors verified or sent back, the week's activity; built for a batch
in a fixed number of queries, and queued and sent once per person per week however often
(and however many times at once) the scheduler starts it."""

import json
import threading
from datetime import timedelta
from io import StringIO

import pytest
from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Delivery, MailKind
from accounts.outbox import week_key
from roadmap import tasks
from roadmap.digest import (
    Outlines,
    digest_mail,
    digest_recipients,
    not_queued,
    student_digests,
)
from roadmap.figures import AcademicClock, academic_year_start, study_point
from roadmap.models import Kind, ProgressEvent, Status
from roadmap.services import follow_roadmap, progress_set, review_evidence, review_evidence_undo
from tests.factories import (
    ItemFactory,
    MilestoneFactory,
    RoadmapFactory,
    StageFactory,
    UserFactory,
    build_roadmap,
)

pytestmark = pytest.mark.django_db


def second_year_batch(today):
    """The batch in its second year of study on ``today``."""
    return academic_year_start(today) - 1


def due_point(term: int) -> dict:
    """Item fields for a due point given as a semester number 1..8."""
    return {"due_year": (term - 1) // 2 + 1, "due_semester": (term - 1) % 2 + 1}


class Plan:
    """A published roadmap with items due before, in and after the semester a
    second-year student is in today, and a project whose evidence mentors review."""

    def __init__(self, today):
        self.today = today
        self.term = study_point(AcademicClock(second_year_batch(today)), today).term
        self.roadmap = RoadmapFactory(slug="ml", title="Machine Learning Engineer")
        stage = StageFactory(roadmap=self.roadmap, year_start=1, year_end=4)
        self.milestone = MilestoneFactory(stage=stage)
        self.two_ago = self.item(self.term - 2, title="Python basics")
        self.last = self.item(self.term - 1, title="Data structures")
        self.now = [self.item(self.term, title=f"Linear algebra {n}") for n in (1, 2)]
        self.optional = self.item(self.term, title="Kaggle warm-up", optional=True)
        self.next = self.item(self.term + 1, title="Deep learning")
        self.project = self.item(self.term - 1, title="Sentiment API", kind=Kind.PROJECT)

    def item(self, term, **fields):
        return ItemFactory(milestone=self.milestone, **due_point(term), **fields)

    def student(self, **fields):
        student = UserFactory(**{"batch": second_year_batch(self.today), **fields})
        follow_roadmap(student, self.roadmap)
        return student


@pytest.fixture
def plan():
    return Plan(timezone.localdate())


@pytest.fixture
def mentor():
    return UserFactory(is_mentor=True, batch=None, name="Dr. Meera Iyer")


def digest_of(student, plan, **kwargs):
    (digest,) = student_digests([student], today=plan.today, now=timezone.now(), **kwargs)
    return digest


def titles(links):
    return [link.item.title for link in links]


# -- what the digest says --------------------------------------------------------------


def test_due_this_semester_and_still_open_from_earlier_are_the_dashboards_behind(plan):
    student = plan.student()
    progress_set(student=student, item=plan.last, status=Status.DONE)
    progress_set(student=student, item=plan.now[1], status=Status.SKIPPED)
    (part,) = digest_of(student, plan).roadmaps
    # Skipped is not done: still due. Optional and later items are never listed.
    assert titles(part.due) == ["Linear algebra 1", "Linear algebra 2"]
    assert titles(part.earlier) == ["Python basics", "Sentiment API"]
    assert (part.due_count, part.earlier_count, part.behind_count) == (2, 2, 4)
    assert part.behind_count == len(part.pace.behind)  # the dashboard's number
    url = part.due[0].url
    assert url == f"http://testserver{reverse('roadmap:item', args=[plan.now[0].pk])}"
    assert part.dashboard_url == "http://testserver" + reverse("roadmap:dashboard", args=["ml"])


def test_each_list_names_five_and_counts_the_rest(plan):
    for n in range(6):
        plan.item(plan.term, title=f"Extra {n}")
    student = plan.student()
    (part,) = digest_of(student, plan).roadmaps
    assert len(part.due) == 5
    assert (part.due_count, part.due_more) == (8, 3)
    _, text, html = mail_of(student, plan)
    assert "and 3 more on your checklist" in text
    assert "and 3 more on your checklist" in html


def test_a_student_without_a_batch_gets_percent_done_but_no_pace(plan):
    student = plan.student(batch=None)
    progress_set(student=student, item=plan.two_ago, status=Status.DONE)
    digest = digest_of(student, plan)
    (part,) = digest.roadmaps
    assert part.pace is None
    assert (part.due, part.earlier, part.behind_count) == ([], [], 0)
    assert part.summary.overall.complete == 1
    assert digest.has_batch is False
    _, text, html = mail_of(student, plan)
    assert "Add the year your B.Tech started" in text
    assert reverse("accounts:profile") in html


def test_a_graduate_has_nothing_due_this_semester_only_what_is_still_open(plan):
    student = plan.student(batch=academic_year_start(plan.today) - 5)
    (part,) = digest_of(student, plan).roadmaps
    assert part.due == []
    assert part.earlier_count == 6  # every required item


def test_mentors_reviews_of_the_week_that_still_stand(plan, mentor):
    student = plan.student()
    verified = plan.project
    sent_back = plan.item(plan.term, title="Flask app", kind=Kind.PROJECT)
    undone = plan.item(plan.term, title="Resume site", kind=Kind.PROJECT)
    replaced = plan.item(plan.term, title="CLI tool", kind=Kind.PROJECT)
    old = plan.item(plan.term, title="Old project", kind=Kind.PROJECT)
    evidence = {}
    for item in (verified, sent_back, undone, replaced, old):
        evidence[item] = progress_set(
            student=student, item=item, status=Status.DONE, evidence_url="https://github.com/a/b"
        )
    review_evidence(mentor=mentor, progress=evidence[verified], verified=True)
    review_evidence(mentor=mentor, progress=evidence[sent_back], verified=False, comment="README?")
    done = review_evidence(mentor=mentor, progress=evidence[undone], verified=True)
    review_evidence_undo(mentor=mentor, progress=done, version=done.version)
    review_evidence(mentor=mentor, progress=evidence[replaced], verified=False, comment="Broken")
    progress_set(student=student, item=replaced, evidence_url="https://github.com/a/fixed")
    review_evidence(mentor=mentor, progress=evidence[old], verified=True)
    ProgressEvent.objects.filter(item=old, field="verification").update(
        created_at=timezone.now() - timedelta(days=8)
    )

    reviews = digest_of(student, plan).reviews
    assert [(r.item.title, r.verified, r.comment, r.mentor) for r in reviews] == [
        ("Sentiment API", True, "", "Dr. Meera Iyer"),
        ("Flask app", False, "README?", "Dr. Meera Iyer"),
    ]
    assert reviews[0].url.startswith("http://testserver/items/")
    subject, text, html = mail_of(student, plan)
    assert subject == "Your week on Waypoint: 1 piece of evidence sent back"
    assert "Verified: Sentiment API, by Dr. Meera Iyer." in text
    assert "Sent back: Flask app, by Dr. Meera Iyer." in text
    assert '"README?"' in text
    assert "<q>README?</q>" in html


def test_activity_is_the_students_own_changes_of_the_last_seven_days(plan, mentor):
    student = plan.student()
    progress_set(student=student, item=plan.two_ago, status=Status.IN_PROGRESS)
    progress_set(student=student, item=plan.two_ago, status=Status.DONE)
    progress_set(student=student, item=plan.last, status=Status.DONE)
    evidence = progress_set(student=student, item=plan.project, evidence_url="https://x.org/p")
    review_evidence(mentor=mentor, progress=evidence, verified=True)  # not the student's
    events = ProgressEvent.objects.by_the_student().order_by("pk")
    yesterday = timezone.now() - timedelta(days=1)
    ProgressEvent.objects.filter(pk=events[0].pk).update(created_at=yesterday)
    ProgressEvent.objects.filter(pk=events[1].pk).update(created_at=yesterday)
    ProgressEvent.objects.filter(pk=events[2].pk).update(
        created_at=timezone.now() - timedelta(days=9)
    )
    digest = digest_of(student, plan)
    # Today: the evidence; yesterday: two status changes; nine days ago: not this week.
    assert (digest.changes, digest.active_days) == (3, 2)
    _, text, _ = mail_of(student, plan)
    assert "3 changes on 2 days." in text


def test_a_quiet_week_is_said_kindly(plan):
    student = plan.student()
    digest = digest_of(student, plan)
    assert (digest.changes, digest.active_days, digest.reviews) == (0, 0, [])
    _, text, _ = mail_of(student, plan)
    assert "No changes this week." in text


def test_each_followed_roadmap_has_its_part(plan):
    other = RoadmapFactory(slug="data", title="Data Engineer")
    ItemFactory(
        milestone=MilestoneFactory(stage=StageFactory(roadmap=other)),
        title="SQL",
        **due_point(plan.term),
    )
    hidden = RoadmapFactory(slug="draft", title="Draft", published=False)
    student = plan.student()
    follow_roadmap(student, other)
    follow_roadmap(student, hidden)
    digest = digest_of(student, plan)
    assert [part.roadmap.title for part in digest.roadmaps] == [
        "Machine Learning Engineer",
        "Data Engineer",
    ]
    assert titles(digest.roadmaps[1].due) == ["SQL"]


# -- the mail ---------------------------------------------------------------------------


def mail_of(student, plan):
    delivery = digest_mail(digest_of(student, plan), key="2026-W49")
    return delivery.subject, delivery.text, delivery.html


def test_the_mail_is_short_plain_and_html_with_absolute_links_and_nothing_remote(plan):
    student = plan.student(name="Asha Verma")
    subject, text, html = mail_of(student, plan)
    assert subject == "Your week on Waypoint: 2 items due this semester"
    assert text.startswith("Hello Asha Verma,")
    assert "Due this semester (2 open):" in text
    assert "Still open from earlier semesters (3):" in text
    link = f"http://testserver/items/{plan.now[0].pk}/"
    assert f"- Linear algebra 1: {link}" in text
    assert f'href="{link}"' in html
    assert "0 % done: 0 of 6 required items." in text
    assert "Unsubscribe from weekly digest" in text
    # Phone mail apps: inline styles only, no images, nothing fetched from elsewhere.
    assert "<img" not in html and "<style" not in html and "<script" not in html
    assert "src=" not in html
    hrefs = [part.split('"', 1)[0] for part in html.split('href="')[1:]]
    assert hrefs and all(href.startswith("http://testserver/") for href in hrefs)
    assert len(text) < 3000


# -- a fixed number of queries ------------------------------------------------------------


def batch_of(plan, mentor, size):
    """``size`` students with progress, an event of their own and a mentor's review."""
    students = [plan.student() for _ in range(size)]
    for student in students:
        progress_set(student=student, item=plan.two_ago, status=Status.DONE)
        evidence = progress_set(student=student, item=plan.project, evidence_url="https://x.org")
        review_evidence(mentor=mentor, progress=evidence, verified=False, comment="More")
    return students


@pytest.mark.parametrize("size", [3, 30])
def test_building_a_batch_runs_four_queries_whatever_its_size(
    plan, mentor, size, django_assert_num_queries
):
    students = batch_of(plan, mentor, size)
    # enrollments with their roadmaps, the outline (first batch only), progress, events
    with django_assert_num_queries(4):
        digests = student_digests(students, today=plan.today, now=timezone.now())
    assert [len(d.reviews) for d in digests] == [1] * size
    # A second batch of the same run has its roadmaps loaded already.
    outlines = Outlines()
    student_digests(students[:1], today=plan.today, now=timezone.now(), outlines=outlines)
    with django_assert_num_queries(3):
        student_digests(students, today=plan.today, now=timezone.now(), outlines=outlines)


@pytest.mark.parametrize("size", [3, 30])
def test_queueing_the_digests_runs_the_same_queries_for_3_and_30_students(
    plan, mentor, size, django_assert_num_queries
):
    batch_of(plan, mentor, size)
    # the first batch of students, those of them queued already, the four above, in a
    # transaction (savepoint, release) the outbox's four (queued before, insert, their
    # ids, the sending task), then the next batch (none)
    with django_assert_num_queries(13):
        assert tasks.weekly_student_digests.call() == size


def test_several_batches_queue_everyone_once(plan, monkeypatch):
    monkeypatch.setattr(tasks, "DIGEST_BATCH", 2)
    students = [plan.student() for _ in range(5)]
    assert tasks.weekly_student_digests.call() == 5
    assert sorted(Delivery.objects.values_list("recipient", flat=True)) == [s.pk for s in students]


# -- once per person per week --------------------------------------------------------------


def test_who_gets_the_digest(plan):
    wanted = plan.student()
    plan.student(mail_digest=False)
    plan.student(mail_bounced_at=timezone.now())
    plan.student(is_active=False)
    UserFactory()  # follows nothing
    draft = RoadmapFactory(published=False)
    follow_roadmap(UserFactory(), draft)  # follows only an unpublished roadmap
    queued = plan.student()
    Delivery.objects.create(
        recipient=queued, kind=MailKind.DIGEST, key="2026-W49", subject="s", text="t"
    )
    assert list(digest_recipients()) == [wanted, queued]
    assert not_queued(list(digest_recipients()), key="2026-W49") == [wanted]
    assert not_queued(list(digest_recipients()), key="2026-W50") == [wanted, queued]


def test_running_twice_in_a_week_queues_and_sends_one_digest_each(plan, run_tasks):
    students = [plan.student() for _ in range(3)]
    assert tasks.weekly_student_digests.call() == 3
    assert tasks.weekly_student_digests.call() == 0
    run_tasks()
    assert tasks.weekly_student_digests.call() == 0
    run_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in students)
    key = week_key(timezone.localdate())
    assert set(Delivery.objects.values_list("key", "state")) == {(key, Delivery.State.SENT)}


def test_the_next_week_brings_the_next_digest(plan, run_tasks, monkeypatch):
    student = plan.student()
    tasks.weekly_student_digests.call()
    week_later = timezone.now() + timedelta(days=7)
    monkeypatch.setattr(timezone, "now", lambda: week_later)
    assert tasks.weekly_student_digests.call() == 1
    run_tasks()
    assert [m.to[0] for m in mail.outbox] == [student.email] * 2


def test_nothing_is_queued_when_mail_is_off(plan, settings):
    settings.MAIL_DELIVERS = False
    plan.student()
    assert tasks.weekly_student_digests.call() == 0
    assert not Delivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_queue_and_send_one_digest_each(run_tasks):
    plan = Plan(timezone.localdate())
    students = [plan.student() for _ in range(12)]
    queued, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait(timeout=10)
            queued.append(tasks.weekly_student_digests.call())
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    # Each run counts the rows it tried to add; on PostgreSQL both may try the same rows
    # (ON CONFLICT DO NOTHING keeps one), so only the table and the inbox say "once".
    assert 12 <= sum(queued) <= 24
    assert Delivery.objects.count() == 12
    run_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in students)


def test_the_real_mail_has_both_parts_and_one_click_unsubscribe(plan, smtp_server, run_tasks):
    student = plan.student()
    tasks.weekly_student_digests.call()
    run_tasks()
    (received,) = smtp_server.messages
    assert received["To"] == student.email
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Linear algebra 1" in received.get_body(("plain",)).get_content()
    assert "Linear algebra 1" in received.get_body(("html",)).get_content()


def test_the_scheduler_starts_the_digest_on_the_configured_schedule():
    from crontask import scheduler

    (job,) = [job for job in scheduler.get_jobs() if job.name == "weekly_student_digests"]
    expected = CronTrigger.from_crontab(
        settings.WAYPOINT_DIGEST_SCHEDULE, timezone=timezone.get_default_timezone()
    )
    assert str(job.trigger) == str(expected)
    assert str(job.trigger.timezone) == settings.TIME_ZONE
    assert job.func == tasks.weekly_student_digests.enqueue


def test_the_benchmark_seeds_times_and_queues_each_student_once(settings, tmp_path):
    from bench import weekly_digest as bench_digest

    build_roadmap(items=6, slug=settings.WAYPOINT_DEFAULT_ROADMAP, project="Sentiment API")
    call_command("seed_bench", tmp_path / "plan.json", students=7, cohort_size=3, stdout=StringIO())
    bench_digest.measure(tmp_path / "result.json")
    result = json.loads((tmp_path / "result.json").read_text())
    assert (result["students"], result["queued"], result["again_queued"]) == (7, 7, 0)
    # One batch: its read, those queued already, the four that build it, the outbox's
    # four in a savepoint.
    assert result["queries_per_batch"] == [12]
    assert tasks._batches.__name__ == "_batches"  # put back as it was
    assert "| 7 |" in bench_digest.markdown({"sqlite": result})
