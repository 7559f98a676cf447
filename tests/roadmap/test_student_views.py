"""The student's pages: checklist, progress changes, dashboard, follow and export."""

import csv
import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Delivery, MailKind
from cohorts.models import Cohort
from roadmap.models import Enrollment, Item, Progress, ProgressEvent, Status
from roadmap.services import follow_roadmap, progress_set
from tests.factories import (
    ItemFactory,
    MilestoneFactory,
    RoadmapFactory,
    StageFactory,
    UserFactory,
    build_roadmap,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def roadmap():
    return build_roadmap(items=6, slug="ml")


@pytest.fixture
def student(roadmap):
    student = UserFactory(batch=2025)
    follow_roadmap(student, roadmap)
    return student


@pytest.fixture
def signed_in(client, student):
    client.force_login(student)
    return client


def first_item(roadmap):
    return Item.objects.of_roadmap(roadmap).order_by("pk").first()


def progress_url(item):
    return reverse("roadmap:item_progress", args=[item.pk])


def checklist_url(roadmap):
    return reverse("roadmap:checklist", args=[roadmap.slug])


def dashboard_url(roadmap):
    return reverse("roadmap:dashboard", args=[roadmap.slug])


def overall_percent(html):
    return int(re.search(r'<span id="overall-percent">(\d+)</span>', html).group(1))


def nothing_stored():
    return not Progress.objects.exists() and not ProgressEvent.objects.exists()


# -- checklist page ---------------------------------------------------------


def test_checklist_needs_sign_in(client, roadmap):
    response = client.get(checklist_url(roadmap))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={checklist_url(roadmap)}"


def test_checklist_of_an_unfollowed_roadmap_sends_to_its_page(client, roadmap):
    client.force_login(UserFactory())
    response = client.get(checklist_url(roadmap))
    assert response.status_code == 302
    assert response["Location"] == roadmap.get_absolute_url()


def test_checklist_shows_every_item_with_its_controls(signed_in, roadmap):
    response = signed_in.get(checklist_url(roadmap))
    assert response.status_code == 200
    for item in Item.objects.of_roadmap(roadmap):
        assert f'id="item-{item.pk}"' in response.text
        assert item.title in response.text
    assert response.text.count('name="status" value="done"') == 6
    assert overall_percent(response.text) == 0


def test_checklist_filters_by_state_and_kind(signed_in, roadmap, student):
    items = list(Item.objects.of_roadmap(roadmap).order_by("pk"))
    items[0].kind = "project"
    items[0].save()
    progress_set(student=student, item=items[1], status=Status.DONE)
    progress_set(student=student, item=items[2], status=Status.SKIPPED)

    def shown(query):
        text = signed_in.get(checklist_url(roadmap), query).text
        return {item.pk for item in items if f'id="item-{item.pk}"' in text}

    assert shown({"show": "done"}) == {items[1].pk}
    assert shown({"show": "remaining"}) == {item.pk for item in items} - {items[1].pk, items[2].pk}
    assert shown({"kind": "project"}) == {items[0].pk}
    assert shown({"show": "nonsense", "kind": "nonsense"}) == {item.pk for item in items}


def test_checklist_escapes_the_students_note(signed_in, roadmap, student):
    item = first_item(roadmap)
    progress_set(student=student, item=item, note="<script>alert(1)</script>")
    detail = signed_in.get(reverse("roadmap:item", args=[item.pk]), headers=HTMX).text
    page = signed_in.get(reverse("roadmap:item", args=[item.pk])).text
    for text in (detail, page):
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    text = detail
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.parametrize("items", [10, 200])
def test_checklist_query_count_does_not_grow_with_the_roadmap(
    client, django_assert_num_queries, items
):
    roadmap = build_roadmap(items=items, stages=3)
    student = UserFactory()
    follow_roadmap(student, roadmap)
    for item in Item.objects.of_roadmap(roadmap)[:5]:
        progress_set(student=student, item=item, status=Status.DONE)
    client.force_login(student)
    # session, user, roadmap, enrollment, items (with stage and milestone), progress;
    # skills belong to an item's detail, loaded when it is opened
    with django_assert_num_queries(6):
        response = client.get(checklist_url(roadmap))
    assert response.text.count('class="item item--') == items


# -- changing progress ------------------------------------------------------


def test_progress_post_needs_sign_in(client, roadmap):
    item = first_item(roadmap)
    response = client.post(progress_url(item), {"status": "done"})
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert nothing_stored()


def test_progress_get_is_not_allowed(signed_in, roadmap):
    assert signed_in.get(progress_url(first_item(roadmap))).status_code == 405
    assert nothing_stored()


def test_another_students_roadmap_item_is_404_and_unchanged(client, roadmap):
    outsider = UserFactory()
    follow_roadmap(outsider, build_roadmap(items=1))
    client.force_login(outsider)
    for headers in ({}, HTMX):
        response = client.post(
            progress_url(first_item(roadmap)), {"status": "done"}, headers=headers
        )
        assert response.status_code == 404
    assert nothing_stored()


def test_the_student_comes_from_the_session_never_the_form(signed_in, roadmap, student):
    other = UserFactory()
    follow_roadmap(other, roadmap)
    item = first_item(roadmap)
    signed_in.post(
        progress_url(item), {"status": "done", "student": other.pk, "student_id": other.pk}
    )
    assert list(Progress.objects.values_list("student", flat=True)) == [student.pk]


def test_plain_post_saves_and_redirects_back_to_the_item(signed_in, roadmap, student):
    item = first_item(roadmap)
    response = signed_in.post(progress_url(item), {"status": "done", "version": 0})
    assert response.status_code == 302
    assert response["Location"] == f"{checklist_url(roadmap)}#item-{item.pk}"
    assert Progress.objects.get(student=student, item=item).status == Status.DONE


def test_plain_post_keeps_the_checklist_filter_and_ignores_foreign_next(signed_in, roadmap):
    item = first_item(roadmap)
    back = f"{checklist_url(roadmap)}?show=remaining"
    response = signed_in.post(progress_url(item), {"status": "done", "next": back})
    assert response["Location"] == f"{back}#item-{item.pk}"
    # The item is now filtered out of that page, so the page says what was saved.
    page = signed_in.get(response["Location"])
    assert f"Saved: {item.title}, done." in page.text
    response = signed_in.post(
        progress_url(item), {"status": "skipped", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == f"{checklist_url(roadmap)}#item-{item.pk}"


def test_htmx_post_returns_the_item_and_every_figure_out_of_band(signed_in, roadmap, student):
    item = first_item(roadmap)
    response = signed_in.post(progress_url(item), {"status": "done", "version": 0}, headers=HTMX)
    assert response.status_code == 200
    text = response.text
    assert text.lstrip().startswith(f'<li class="item item--done" id="item-{item.pk}"')
    assert f'id="item-{item.pk}-quick" class="quick" aria-pressed="true"' in text
    assert (
        'id="progress-summary" class="summary" aria-labelledby="summary-heading" hx-swap-oob="true"'
        in text
    )
    assert overall_percent(text) == 16  # 1 of 6
    stage = item.milestone.stage
    assert f'id="stage-{stage.pk}-meter" hx-swap-oob="true"' in text
    assert f'id="milestone-{item.milestone.pk}-meter" hx-swap-oob="true"' in text
    assert "Saved: " in text
    # The same number as the page shows after a reload.
    assert overall_percent(signed_in.get(checklist_url(roadmap)).text) == 16


def test_count_stepper_reaches_the_target_and_marks_done(signed_in, student, roadmap):
    item = ItemFactory(milestone=first_item(roadmap).milestone, target_count=3, unit="problems")
    for count in (1, 2):
        signed_in.post(progress_url(item), {"count": count, "open": "1"}, headers=HTMX)
    response = signed_in.post(progress_url(item), {"count": 3, "open": "1"}, headers=HTMX)
    assert response.status_code == 200
    assert "<strong>3</strong> / 3 problems" in response.text
    assert Progress.objects.get(item=item).status == Status.DONE


def test_note_and_evidence_are_saved_together(signed_in, roadmap, student):
    item = first_item(roadmap)
    response = signed_in.post(
        progress_url(item),
        {"note": "Finished week 3", "evidence_url": "https://github.com/asha/mnist", "open": "1"},
        headers=HTMX,
    )
    assert response.status_code == 200
    progress = Progress.objects.get(student=student, item=item)
    assert (progress.note, progress.evidence_url) == (
        "Finished week 3",
        "https://github.com/asha/mnist",
    )
    assert "Finished week 3" in response.text


BAD_INPUT = [
    ({"status": "finished"}, "Choose one of"),
    ({"status": ""}, "Choose one of"),
    ({"count": -1}, "cannot be negative"),
    ({"count": "lots"}, "whole number"),
    ({"count": 10**9}, "cannot be more than"),
    ({"count": 5000}, "more than 10 times the target"),
    ({"note": "x" * 2001}, "under 2000 characters"),
    ({"evidence_url": "javascript:alert(1)"}, "http:// or https://"),
    ({"evidence_url": "ftp://files.example.com/x"}, "http:// or https://"),
    ({"evidence_url": "not a url"}, "http:// or https://"),
    ({}, "Nothing to save"),
]


@pytest.mark.parametrize(("data", "message"), BAD_INPUT, ids=lambda value: str(value)[:30])
def test_bad_input_gets_a_message_in_the_fragment_and_changes_nothing(
    signed_in, roadmap, data, message
):
    item = ItemFactory(milestone=first_item(roadmap).milestone, target_count=200, unit="problems")
    response = signed_in.post(progress_url(item), data, headers=HTMX)
    assert response.status_code == 400
    assert message in response.text
    assert f'id="item-{item.pk}"' in response.text
    assert nothing_stored()


@pytest.mark.parametrize(("data", "message"), BAD_INPUT[:4], ids=lambda value: str(value)[:30])
def test_bad_input_without_javascript_shows_a_page_with_the_message(
    signed_in, roadmap, data, message
):
    item = ItemFactory(milestone=first_item(roadmap).milestone, target_count=200, unit="problems")
    response = signed_in.post(progress_url(item), data)
    assert response.status_code == 400
    assert "Your change was not saved" in response.text
    assert message in response.text
    assert nothing_stored()


def test_a_count_on_an_item_without_target_is_refused(signed_in, roadmap):
    response = signed_in.post(progress_url(first_item(roadmap)), {"count": 3}, headers=HTMX)
    assert response.status_code == 400
    assert "This item is not counted." in response.text
    assert nothing_stored()


def test_archived_item_is_refused_with_409(signed_in, roadmap):
    item = ItemFactory(milestone=first_item(roadmap).milestone, archived=True)
    response = signed_in.post(progress_url(item), {"status": "done"}, headers=HTMX)
    assert response.status_code == 409
    assert "archived" in response.text
    assert nothing_stored()


def test_stale_form_is_refused_and_shows_the_latest_state(signed_in, roadmap, student):
    item = first_item(roadmap)
    progress_set(student=student, item=item, status=Status.IN_PROGRESS)
    response = signed_in.post(progress_url(item), {"status": "skipped", "version": 0}, headers=HTMX)
    assert response.status_code == 409
    assert "changed elsewhere" in response.text
    assert 'aria-pressed="true">In progress</button>' in response.text
    assert Progress.objects.get().status == Status.IN_PROGRESS
    assert ProgressEvent.objects.count() == 1


def test_double_submit_changes_once(signed_in, roadmap):
    item = first_item(roadmap)
    for _ in range(2):
        response = signed_in.post(
            progress_url(item), {"status": "done", "version": 0}, headers=HTMX
        )
        assert response.status_code == 200
    assert Progress.objects.count() == 1
    assert ProgressEvent.objects.count() == 1


def test_csrf_is_enforced(student, roadmap):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    item = first_item(roadmap)
    assert client.post(progress_url(item), {"status": "done"}, headers=HTMX).status_code == 403
    assert client.post(reverse("roadmap:follow", args=[roadmap.slug])).status_code == 403
    assert nothing_stored()


@pytest.mark.parametrize("items", [10, 200])
def test_progress_post_query_count_is_fixed(client, django_assert_num_queries, items):
    roadmap = build_roadmap(items=items, stages=3)
    student = UserFactory()
    follow_roadmap(student, roadmap)
    item = first_item(roadmap)
    progress_set(student=student, item=item, status=Status.IN_PROGRESS)
    client.force_login(student)
    # session, user, item; write: savepoint, select for update, update, event, release;
    # answer: the roadmap's items and the student's progress for the figures
    with django_assert_num_queries(10):
        response = client.post(progress_url(item), {"status": "done", "version": 1}, headers=HTMX)
    assert response.status_code == 200


# -- dashboard --------------------------------------------------------------


def test_dashboard_needs_sign_in_and_a_followed_roadmap(client, roadmap):
    assert client.get(dashboard_url(roadmap)).status_code == 302
    client.force_login(UserFactory())
    response = client.get(dashboard_url(roadmap))
    assert response["Location"] == roadmap.get_absolute_url()


def test_dashboard_agrees_with_the_checklist(signed_in, roadmap, student):
    items = list(Item.objects.of_roadmap(roadmap).order_by("pk"))
    progress_set(student=student, item=items[0], status=Status.DONE)
    progress_set(student=student, item=items[1], status=Status.DONE)
    progress_set(student=student, item=items[2], status=Status.SKIPPED)
    dashboard = signed_in.get(dashboard_url(roadmap)).text
    checklist = signed_in.get(checklist_url(roadmap)).text
    assert overall_percent(checklist) == 33
    assert "33&nbsp;%" in dashboard
    assert "33&nbsp;% · 2 of 6 done" in dashboard
    assert "33&nbsp;% · 2 of 6 done" in checklist


def test_dashboard_shows_pace_next_up_activity_and_skills(signed_in, roadmap, student):
    items = list(Item.objects.of_roadmap(roadmap).order_by("pk"))  # all due year 1, sem 2
    progress_set(student=student, item=items[0], status=Status.DONE)
    text = signed_in.get(dashboard_url(roadmap)).text
    assert "expected 100 %, you are at 16 %." in text
    assert "5 items were due by Year " in text  # the year depends on today's date
    assert "Tick the ones you have done, then see what&#x27;s next." in text
    assert "Behind pace" not in text  # the mentors' word, not the student's
    assert items[1].title in text  # behind / next up
    assert "Not started → Done" in text  # recent activity
    assert "1 change on 1 day" in text  # heatmap summary
    assert "1 of 1 practised" in text  # the factory skill is taught by the done item


def test_dashboard_without_batch_asks_for_it(client, roadmap):
    student = UserFactory(batch=None)
    follow_roadmap(student, roadmap)
    client.force_login(student)
    assert "Set your batch" in client.get(dashboard_url(roadmap)).text


def test_dashboard_and_checklist_say_the_pace_in_the_same_words(signed_in, roadmap, student):
    progress_set(student=student, item=first_item(roadmap), status=Status.DONE)
    pace = re.compile(
        r'<p class="pace pace--\w+">.*?</p>\s*<p class="pace__next-step">.*?</p>', re.S
    )
    (on_dashboard,) = pace.findall(signed_in.get(dashboard_url(roadmap)).text)
    (on_checklist,) = pace.findall(signed_in.get(checklist_url(roadmap)).text)
    assert on_dashboard == on_checklist
    assert "expected 100 %, you are at 16 %." in on_dashboard


def test_a_stage_of_optional_items_only_has_no_empty_bar(signed_in, roadmap):
    extra = StageFactory(roadmap=roadmap, title="Electives", order=9)
    ItemFactory(milestone=MilestoneFactory(stage=extra), optional=True)
    text = signed_in.get(dashboard_url(roadmap)).text
    by_stage = text.split('id="stages-heading"')[1].split("</section>")[0]
    electives = by_stage.split("Electives")[1].split("</li>")[0]
    assert "Optional items only" in electives
    assert "<progress" not in electives


@pytest.mark.parametrize("items", [10, 200])
def test_dashboard_query_count_does_not_grow_with_the_roadmap(
    client, django_assert_num_queries, items
):
    roadmap = build_roadmap(items=items, stages=3)
    student = UserFactory()
    follow_roadmap(student, roadmap)
    for item in Item.objects.of_roadmap(roadmap)[:5]:
        progress_set(student=student, item=item, status=Status.DONE)
    client.force_login(student)
    # session, user, roadmap, enrollment, items (with stages), their skills (with
    # categories), progress, evidence sent back, recent events, heatmap
    with django_assert_num_queries(10):
        response = client.get(dashboard_url(roadmap))
    assert response.status_code == 200


def test_my_dashboard_sends_to_the_followed_roadmap_or_offers_one(client, roadmap):
    newcomer = UserFactory()
    client.force_login(newcomer)
    response = client.get(reverse("start"))
    assert response.status_code == 200
    assert f"Follow {roadmap.title}" in response.text
    follow_roadmap(newcomer, roadmap)
    response = client.get(reverse("start"))
    assert response["Location"] == dashboard_url(roadmap)


def test_a_mentor_who_follows_no_roadmap_lands_on_their_cohorts(client, roadmap):
    mentor = UserFactory(is_mentor=True, batch=None)
    cohort = Cohort.objects.create(name="CSE ML club", roadmap=roadmap)
    cohort.mentors.add(mentor)
    client.force_login(mentor)
    response = client.get(reverse("start"))
    assert response["Location"] == reverse("cohorts:list")
    # A mentor without cohorts yet is offered a roadmap like anyone else.
    client.force_login(UserFactory(is_mentor=True, batch=None))
    assert client.get(reverse("start")).status_code == 200


def test_follow_needs_post_and_a_visible_roadmap(client, roadmap):
    student = UserFactory()
    client.force_login(student)
    assert client.get(reverse("roadmap:follow", args=[roadmap.slug])).status_code == 405
    draft = RoadmapFactory(published=False)
    assert client.post(reverse("roadmap:follow", args=[draft.slug])).status_code == 404
    response = client.post(reverse("roadmap:follow", args=[roadmap.slug]))
    assert response["Location"] == checklist_url(roadmap)
    assert Enrollment.objects.follows(student, roadmap)


def test_follow_is_anonymous_proof(client, roadmap):
    response = client.post(reverse("roadmap:follow", args=[roadmap.slug]))
    assert response.status_code == 302
    assert not Enrollment.objects.exists()


# -- export -----------------------------------------------------------------


def test_export_needs_sign_in(client):
    response = client.get(reverse("roadmap:export", args=["json"]))
    assert response.status_code == 302


def test_export_json_has_my_data_only(signed_in, roadmap, student):
    item = first_item(roadmap)
    progress_set(student=student, item=item, status=Status.DONE, note="mine")
    other = UserFactory()
    follow_roadmap(other, roadmap)
    progress_set(student=other, item=item, note="not yours")
    response = signed_in.get(reverse("roadmap:export", args=["json"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == student.email
    assert [row["note"] for row in data["progress"]] == ["mine"]
    assert [event["field"] for event in data["events"]] == ["status", "note"]
    assert "not yours" not in response.content.decode()


def test_export_json_has_my_mail_choices_and_deliveries_without_bodies(signed_in, student):
    student.mail_nudges = False
    student.save()
    Delivery.objects.create(
        recipient=student,
        kind=MailKind.DIGEST,
        key="2026-W49",
        subject="Your week on Waypoint",
        text="The body of my digest",
        html="<p>The body of my digest</p>",
        state=Delivery.State.SENT,
        sent_at=timezone.now(),
    )
    Delivery.objects.create(
        recipient=UserFactory(), kind=MailKind.DIGEST, key="2026-W49", subject="Not yours"
    )
    response = signed_in.get(reverse("roadmap:export", args=["json"]))
    mail = json.loads(response.content)["mail"]
    assert mail["wanted"] == {"digest": True, "reviews": True, "nudges": False}
    assert (mail["bounced_at"], mail["bounce"]) == (None, "")
    [delivery] = mail["deliveries"]
    assert set(delivery) == {"kind", "subject", "state", "created_at", "sent_at"}
    assert (delivery["kind"], delivery["subject"], delivery["state"]) == (
        "digest",
        "Your week on Waypoint",
        "sent",
    )
    assert delivery["sent_at"] is not None
    assert "The body of my digest" not in response.text
    assert "Not yours" not in response.text


def test_export_csv_opens_cleanly_and_neutralises_formulas(signed_in, roadmap, student):
    progress_set(student=student, item=first_item(roadmap), note='=HYPERLINK("http://x")')
    response = signed_in.get(reverse("roadmap:export", args=["csv"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["note"].startswith("'=")


def test_export_unknown_format_is_404(signed_in):
    assert signed_in.get(reverse("roadmap:export", args=["xml"])).status_code == 404
