"""The dashboard's first visit: pace as a next step, the offer to catch up, evidence a
mentor sent back, and percents with their counts said one way."""

import pytest
from django.urls import reverse

from roadmap.figures import Pace, StudyPoint
from roadmap.models import Item, Status
from roadmap.services import follow_roadmap, progress_set, review_evidence
from tests.factories import ItemFactory, UserFactory, build_roadmap
from tests.roadmap.test_catch_up import batch_in_year

pytestmark = pytest.mark.django_db


def pace(year, semester, behind=0, skipped=0, expected=50, actual=50):
    items = [Item(title=f"Item {n}") for n in range(behind)]
    return Pace(
        point=StudyPoint(year, semester),
        expected_percent=expected,
        actual_percent=actual,
        behind=items,
        skipped=items[:skipped],
    )


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (
            (3, 1, 35),
            "35 items were due by Year 3, semester 1. Tick the ones you have done, "
            "then see what's next.",
        ),
        (
            (1, 2, 1),
            "1 item was due by Year 1, semester 2. Tick it if you have done it, "
            "then see what's next.",
        ),
        (
            (2, 1, 4, 2),
            "4 items were due by Year 2, semester 1 (2 of them skipped). Tick the ones you "
            "have done, then see what's next.",
        ),
        (
            (2, 1, 1, 1),
            "1 item was due by Year 2, semester 1 (skipped). Tick it if you have done it, "
            "then see what's next.",
        ),
        ((2, 2, 0), "Everything due by Year 2, semester 2 is done. See what's next."),
        (
            (5, 1, 3),
            "3 items were due by the end of your B.Tech. Tick the ones you have done, "
            "then see what's next.",
        ),
        (
            (0, 2, 0),
            "Your first year has not started yet, so nothing is due. See what comes first.",
        ),
    ],
)
def test_pace_reads_as_a_next_step(args, sentence):
    assert pace(*args).next_step == sentence


def test_the_next_step_is_no_verdict_and_the_verdict_stays_for_mentors():
    behind = pace(3, 1, 35, expected=60, actual=10)
    assert "behind" not in behind.next_step.lower()
    assert behind.verdict == "Behind pace"
    assert pace(3, 1, 0, expected=60, actual=70).verdict == "On track"


@pytest.fixture
def roadmap():
    return build_roadmap(items=6, slug="ml")  # every item due year 1, semester 2


def dashboard(client, student, roadmap):
    client.force_login(student)
    return client.get(reverse("roadmap:dashboard", args=[roadmap.slug])).text


def catch_up_link(roadmap):
    return f'href="{reverse("roadmap:catch_up", args=[roadmap.slug])}"'


def test_a_student_with_items_due_is_offered_the_catch_up(client, roadmap):
    student = UserFactory(batch=batch_in_year(3))
    follow_roadmap(student, roadmap)
    text = dashboard(client, student, roadmap)
    assert "6 items were due by Year 3" in text
    assert "Tick the ones you have done, then see what&#x27;s next." in text
    assert catch_up_link(roadmap) in text
    assert "Behind pace" not in text


def test_a_student_on_track_is_not_offered_the_catch_up(client, roadmap):
    student = UserFactory(batch=batch_in_year(3))
    follow_roadmap(student, roadmap)
    for item in Item.objects.of_roadmap(roadmap):
        progress_set(student=student, item=item, status=Status.DONE)
    text = dashboard(client, student, roadmap)
    assert catch_up_link(roadmap) not in text
    assert "is done. See what&#x27;s next." in text


def test_a_student_without_a_batch_is_offered_the_catch_up_until_they_start(client, roadmap):
    student = UserFactory(batch=None)
    follow_roadmap(student, roadmap)
    assert catch_up_link(roadmap) in dashboard(client, student, roadmap)
    progress_set(student=student, item=Item.objects.of_roadmap(roadmap).first(), status="done")
    assert catch_up_link(roadmap) not in dashboard(client, student, roadmap)


def test_evidence_sent_back_shows_with_the_comment_and_links_to_the_item(client, roadmap, mentor):
    student = UserFactory(batch=batch_in_year(2))
    follow_roadmap(student, roadmap)
    milestone = Item.objects.of_roadmap(roadmap).first().milestone
    returned, verified, replaced, waiting = (
        ItemFactory(milestone=milestone, kind="project", title=title)
        for title in ("Sentiment classifier", "Kaggle notebook", "Portfolio site", "Chatbot")
    )
    for item in (returned, verified, replaced, waiting):
        progress_set(
            student=student, item=item, status=Status.DONE, evidence_url="https://github.com/asha/x"
        )
    review_evidence(
        mentor=mentor,
        progress=returned.progress.get(),
        verified=False,
        comment="The repo has no README <b>yet</b>.",
    )
    review_evidence(mentor=mentor, progress=verified.progress.get(), verified=True)
    review_evidence(mentor=mentor, progress=replaced.progress.get(), verified=False, comment="Old")
    progress_set(student=student, item=replaced, evidence_url="https://asha.dev")
    other = UserFactory()
    follow_roadmap(other, roadmap)
    progress_set(student=other, item=waiting, status="done", evidence_url="https://github.com/o/x")
    review_evidence(
        mentor=mentor,
        progress=waiting.progress.get(student=other),
        verified=False,
        comment="Someone else's",
    )

    text = dashboard(client, student, roadmap)

    section = text.split('id="sent-back-heading"')[1].split("</section>")[0]
    checklist = reverse("roadmap:checklist", args=[roadmap.slug])
    assert f'href="{checklist}#item-{returned.pk}">Sentiment classifier</a>' in section
    assert "The repo has no README &lt;b&gt;yet&lt;/b&gt;." in section
    assert "(1)" in text.split('id="sent-back-heading"')[1].split("</h2>")[0]
    for item in (verified, replaced, waiting):
        assert item.title not in section
    assert "Someone else" not in text


def test_no_sent_back_panel_without_returned_evidence(client, roadmap):
    student = UserFactory()
    follow_roadmap(student, roadmap)
    assert "sent-back-heading" not in dashboard(client, student, roadmap)


def test_every_percent_with_counts_says_when_counted_items_add_to_it(client, roadmap):
    student = UserFactory(batch=batch_in_year(2))
    follow_roadmap(student, roadmap)
    milestone = Item.objects.of_roadmap(roadmap).first().milestone
    counted = ItemFactory(milestone=milestone, kind="practice", target_count=200, unit="problems")
    progress_set(student=student, item=counted, count=100)
    text = dashboard(client, student, roadmap)
    note = "counted items in progress add to the %"
    overall = text.split('id="overall-heading"')[1].split("</section>")[0]
    stages = text.split('id="stages-heading"')[1].split("</section>")[0]
    kinds = text.split('id="kinds-heading"')[1].split("</section>")[0]
    assert f'7&nbsp;% · 0 of 7 done<span class="percent-figure__note">, {note}' in overall
    assert stages.count(note) == 1  # the counted item's stage only
    assert kinds.count(note) == 1  # practice only
    assert "0 of 1 done" in kinds and "0 of 6 done" in kinds


@pytest.mark.parametrize("returned", [1, 6])
def test_sent_back_evidence_costs_one_query_however_much(
    client, roadmap, mentor, django_assert_num_queries, returned
):
    student = UserFactory(batch=batch_in_year(2))
    follow_roadmap(student, roadmap)
    milestone = Item.objects.of_roadmap(roadmap).first().milestone
    for n in range(returned):
        item = ItemFactory(milestone=milestone, kind="certification")
        progress_set(student=student, item=item, evidence_url=f"https://example.org/{n}")
        review_evidence(mentor=mentor, progress=item.progress.get(), verified=False, comment="?")
    client.force_login(student)
    # as test_student_views' dashboard count: 10 with the sent-back evidence and its items
    with django_assert_num_queries(10):
        text = client.get(reverse("roadmap:dashboard", args=[roadmap.slug])).text
    assert f"Evidence sent back by your mentor ({returned})" in text
