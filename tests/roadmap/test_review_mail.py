"""A student hears by mail when a mentor verifies or sends back their evidence: once the
review can no longer be undone, with the mentor's name, the comment and a link to the
item; an undone review, or one whose evidence was replaced meanwhile, sends nothing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Delivery, MailKind
from cohorts.models import Membership
from roadmap.models import Item, Kind, ProgressEvent, Status
from roadmap.services import follow_roadmap, progress_set, review_evidence, review_evidence_undo
from roadmap.services.verification import review_mail
from tests.factories import CohortFactory, UserFactory, build_roadmap

pytestmark = pytest.mark.django_db


@pytest.fixture
def roadmap():
    return build_roadmap(items=2, slug="ml", project="Sentiment API")


@pytest.fixture
def student(roadmap):
    student = UserFactory(name="Asha Verma", email="asha@example.com")
    follow_roadmap(student, roadmap)
    return student


@pytest.fixture
def mentor():
    return UserFactory(is_mentor=True, batch=None, name="Dr. Meera Iyer", email="meera@example.com")


@pytest.fixture
def evidence(student, roadmap):
    return progress_set(
        student=student,
        item=Item.objects.of_roadmap(roadmap).get(kind=Kind.PROJECT),
        status=Status.DONE,
        evidence_url="https://github.com/asha/sentiment",
    )


def notices():
    return DBTaskResult.objects.filter(task_path="roadmap.tasks.notify_review")


def window_over():
    """The undo window has passed: the waiting notices are due now."""
    notices().update(run_after=timezone.now())


def test_a_verification_is_mailed_once_the_undo_window_is_over(
    evidence, mentor, run_tasks, settings
):
    settings.WAYPOINT_REVIEW_UNDO_MINUTES = 5
    verified = review_evidence(mentor=mentor, progress=evidence, verified=True, comment="Neat")
    (notice,) = notices()
    assert notice.run_after == verified.verified_at + timedelta(minutes=5)
    run_tasks()
    assert mail.outbox == []  # still inside the window: it could be undone
    window_over()
    run_tasks()
    (sent,) = mail.outbox
    assert sent.to == ["asha@example.com"]
    assert sent.subject == "Dr. Meera Iyer verified your evidence: Sentiment API"
    assert sent.reply_to == ["meera@example.com"]
    text = sent.body
    assert "Dr. Meera Iyer verified the evidence you attached to" in text
    assert '"Neat"' in text
    link = f"http://testserver{reverse('roadmap:item', args=[evidence.item_id])}"
    assert f"Open the item: {link}" in text
    html = sent.alternatives[0].content
    assert f'href="{link}"' in html and "Neat" in html
    delivery = Delivery.objects.get()
    event = ProgressEvent.objects.get(field="verification")
    assert (delivery.kind, delivery.key) == (MailKind.REVIEWS, f"review-{event.pk}")


def test_the_link_in_the_mail_opens_the_item_for_the_student(evidence, mentor, student, run_tasks):
    review_evidence(mentor=mentor, progress=evidence, verified=True)
    window_over()
    run_tasks()
    link = next(line for line in mail.outbox[0].body.splitlines() if "Open the item" in line)
    path = link.split("http://testserver", 1)[1]
    client = Client()
    client.force_login(student)
    response = client.get(path)
    assert response.status_code == 200
    assert "Sentiment API" in response.text


def test_an_undone_verification_sends_nothing(evidence, mentor, run_tasks):
    verified = review_evidence(mentor=mentor, progress=evidence, verified=True)
    review_evidence_undo(mentor=mentor, progress=verified, version=verified.version)
    window_over()
    run_tasks()
    assert mail.outbox == []
    assert not Delivery.objects.exists()


def test_a_verification_undone_then_made_again_is_mailed_once(evidence, mentor, run_tasks):
    verified = review_evidence(mentor=mentor, progress=evidence, verified=True)
    waiting = review_evidence_undo(mentor=mentor, progress=verified, version=verified.version)
    review_evidence(mentor=mentor, progress=waiting, verified=True)
    window_over()
    run_tasks()
    assert [m.subject for m in mail.outbox] == [
        "Dr. Meera Iyer verified your evidence: Sentiment API"
    ]


def test_sent_back_is_mailed_at_once_with_the_comment(evidence, mentor, run_tasks):
    review_evidence(mentor=mentor, progress=evidence, verified=False, comment="Add a README.")
    run_tasks()  # no undo for a send-back: nothing to wait for
    (sent,) = mail.outbox
    assert sent.subject == "Dr. Meera Iyer sent back your evidence: Sentiment API"
    assert "Dr. Meera Iyer sent back the evidence you attached to" in sent.body
    assert 'What to fix:\n"Add a README."' in sent.body
    assert "replace the evidence link" in sent.body
    assert "Add a README." in sent.alternatives[0].content


def test_evidence_replaced_before_the_mail_leaves_sends_nothing(
    evidence, mentor, student, run_tasks
):
    review_evidence(mentor=mentor, progress=evidence, verified=False, comment="Broken link")
    progress_set(student=student, item=evidence.item, evidence_url="https://github.com/asha/v2")
    run_tasks()
    assert mail.outbox == []


def test_a_student_with_review_mail_off_gets_none(evidence, mentor, student, run_tasks):
    student.mail_reviews = False
    student.save()
    review_evidence(mentor=mentor, progress=evidence, verified=False, comment="Add tests")
    review_evidence(
        mentor=mentor,
        progress=progress_set(student=student, item=evidence.item, evidence_url="https://a.b/c"),
        verified=True,
    )
    window_over()
    run_tasks()
    assert mail.outbox == []
    assert not Delivery.objects.exists()


def test_a_notice_run_twice_queues_one_mail(evidence, mentor, run_tasks):
    review_evidence(mentor=mentor, progress=evidence, verified=True)
    event = ProgressEvent.objects.get(field="verification")
    assert review_mail(event.pk) is not None
    assert review_mail(event.pk) is None  # the outbox key is the review's
    window_over()
    run_tasks()
    assert len(mail.outbox) == 1


def test_only_a_mentors_review_is_mailed(evidence, student):
    event = ProgressEvent.objects.filter(student=student).first()  # the student's own change
    assert review_mail(event.pk) is None
    assert review_mail(10**9) is None


def test_the_review_page_queues_one_notice_per_review(client, roadmap, mentor, student, evidence):
    cohort = CohortFactory(roadmap=roadmap, mentors=[mentor])
    Membership.objects.create(cohort=cohort, student=student)
    client.force_login(mentor)
    url = reverse("cohorts:review", args=[cohort.pk, evidence.pk])
    response = client.post(url, {"decision": "return", "comment": "Which dataset?"})
    assert response.status_code == 302
    (notice,) = notices()
    assert notice.args_kwargs["args"] == [ProgressEvent.objects.get(field="verification").pk]
    assert notices().ready().exists()  # a send-back cannot be undone: no wait
