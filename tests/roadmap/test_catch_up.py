"""Catch-up: a student ticks everything already done and saves once; it can be undone.

The service (``progress_catch_up``, ``catch_up_undo``) and the page
(``roadmap:catch_up``, ``roadmap:catch_up_undo``), with every kind of bad input.
"""

import threading
import uuid

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from roadmap.figures import AcademicClock, study_point
from roadmap.models import Item, Progress, ProgressEvent, Status
from roadmap.services import (
    CATCH_UP_MAX_ITEMS,
    CatchUpInvalid,
    NothingToUndo,
    ProgressRefused,
    StaleProgress,
    catch_up_undo,
    follow_roadmap,
    progress_catch_up,
    progress_set,
)
from tests.factories import ItemFactory, RoadmapFactory, UserFactory, build_roadmap

pytestmark = pytest.mark.django_db


def batch_in_year(year: int) -> int:
    """The batch that is in ``year`` of study today."""
    today = timezone.localdate()
    return today.year + study_point(AcademicClock(today.year), today).year - year


@pytest.fixture
def roadmap():
    return build_roadmap(items=6, slug="ml")  # every item due year 1, semester 2


@pytest.fixture
def student(roadmap):
    student = UserFactory(batch=batch_in_year(2), name="Asha Verma")
    follow_roadmap(student, roadmap)
    return student


@pytest.fixture
def items(roadmap):
    return list(Item.objects.of_roadmap(roadmap).order_by("pk"))


def catch_up_url(roadmap):
    return reverse("roadmap:catch_up", args=[roadmap.slug])


def undo_url(roadmap):
    return reverse("roadmap:catch_up_undo", args=[roadmap.slug])


def ticks(*pairs):
    """The POST of the catch-up form: one "id:version" per ticked item."""
    return {"item": [f"{item.pk}:{version}" for item, version in pairs]}


def state(student):
    """Every progress row and log entry of the student, to show nothing changed."""
    rows = sorted(
        Progress.objects.filter(student=student).values_list("item_id", "status", "version")
    )
    return rows, ProgressEvent.objects.filter(student=student).count()


# -- the service ------------------------------------------------------------


def test_catch_up_marks_the_ticked_items_done_with_one_log_entry_each(roadmap, student, items):
    progress_set(student=student, item=items[1], status=Status.IN_PROGRESS)
    progress_set(student=student, item=items[2], status=Status.SKIPPED)
    before = ProgressEvent.objects.count()

    done = progress_catch_up(
        student=student, roadmap=roadmap, versions={items[0].pk: 0, items[1].pk: 1, items[2].pk: 1}
    )

    assert done.batch is not None
    assert [item.pk for item in done.changed] == [items[0].pk, items[1].pk, items[2].pk]
    rows = Progress.objects.filter(student=student).by_item()
    assert [rows[item.pk].status for item in items[:3]] == [Status.DONE] * 3
    assert [rows[item.pk].version for item in items[:3]] == [1, 2, 2]
    assert items[3].pk not in rows  # unticked items are left alone
    events = ProgressEvent.objects.filter(batch=done.batch).order_by("item_id")
    assert ProgressEvent.objects.count() == before + 3
    assert [(e.item_id, e.from_status, e.to_status, e.actor_id) for e in events] == [
        (items[0].pk, Status.NOT_STARTED, Status.DONE, student.pk),
        (items[1].pk, Status.IN_PROGRESS, Status.DONE, student.pk),
        (items[2].pk, Status.SKIPPED, Status.DONE, student.pk),
    ]


def test_catch_up_is_idempotent(roadmap, student, items):
    versions = {items[0].pk: 0, items[1].pk: 0}
    progress_catch_up(student=student, roadmap=roadmap, versions=versions)
    before = state(student)
    again = progress_catch_up(student=student, roadmap=roadmap, versions=versions)
    assert again.batch is None and again.changed == []
    assert state(student) == before


def test_an_item_already_done_is_left_alone_without_a_version_check(roadmap, student, items):
    progress_set(student=student, item=items[0], status=Status.DONE, note="mine")
    done = progress_catch_up(
        student=student, roadmap=roadmap, versions={items[0].pk: 0, items[1].pk: 0}
    )
    assert [item.pk for item in done.changed] == [items[1].pk]
    assert Progress.objects.get(student=student, item=items[0]).version == 1  # untouched


def test_a_counted_item_becomes_done_with_its_count_kept(roadmap, student, items):
    counted = ItemFactory(milestone=items[0].milestone, target_count=200, unit="problems")
    progress_set(student=student, item=counted, count=137)
    done = progress_catch_up(student=student, roadmap=roadmap, versions={counted.pk: 1})
    row = Progress.objects.get(student=student, item=counted)
    assert (row.status, row.count) == (Status.DONE, 137)
    event = ProgressEvent.objects.get(batch=done.batch)
    assert (event.from_status, event.to_status, event.count) == (
        Status.IN_PROGRESS,
        Status.DONE,
        137,
    )


@pytest.mark.parametrize("where", ["other roadmap", "unknown id"])
def test_items_not_of_the_roadmap_are_refused_and_nothing_changes(roadmap, student, items, where):
    other = ItemFactory() if where == "other roadmap" else None
    pk = other.pk if other else 10**9
    before = state(student)
    with pytest.raises(CatchUpInvalid) as refused:
        progress_catch_up(student=student, roadmap=roadmap, versions={items[0].pk: 0, pk: 0})
    assert refused.value.status_code == 400
    assert "not part of" in refused.value.message
    assert state(student) == before


def test_an_archived_item_is_refused_and_nothing_changes(roadmap, student, items):
    Item.objects.filter(pk=items[1].pk).update(archived=True)
    before = state(student)
    with pytest.raises(ProgressRefused) as refused:
        progress_catch_up(
            student=student, roadmap=roadmap, versions={items[0].pk: 0, items[1].pk: 0}
        )
    assert refused.value.status_code == 409
    assert items[1].title in refused.value.message and "archived" in refused.value.message
    assert state(student) == before


def test_a_stale_version_refuses_the_whole_list(roadmap, student, items):
    progress_set(student=student, item=items[1], status=Status.IN_PROGRESS)  # another tab
    before = state(student)
    with pytest.raises(StaleProgress) as refused:
        progress_catch_up(
            student=student, roadmap=roadmap, versions={items[0].pk: 0, items[1].pk: 0}
        )
    assert refused.value.status_code == 409
    assert items[1].title in refused.value.message
    assert "changed elsewhere" in refused.value.message
    assert state(student) == before


def test_too_many_items_are_refused_before_any_query(roadmap, student, django_assert_num_queries):
    versions = dict.fromkeys(range(1, CATCH_UP_MAX_ITEMS + 2), 0)
    with django_assert_num_queries(0), pytest.raises(CatchUpInvalid):
        progress_catch_up(student=student, roadmap=roadmap, versions=versions)


def test_undo_puts_exactly_those_items_back_and_is_logged(roadmap, student, items):
    progress_set(student=student, item=items[1], status=Status.IN_PROGRESS)
    progress_set(student=student, item=items[2], status=Status.SKIPPED)
    progress_set(student=student, item=items[3], status=Status.DONE)
    done = progress_catch_up(
        student=student,
        roadmap=roadmap,
        versions={items[0].pk: 0, items[1].pk: 1, items[2].pk: 1, items[3].pk: 1},
    )
    assert len(done.changed) == 3

    undone = catch_up_undo(student=student, roadmap=roadmap, batch=done.batch)

    assert [item.pk for item in undone.changed] == [items[0].pk, items[1].pk, items[2].pk]
    rows = Progress.objects.filter(student=student).by_item()
    assert [rows[item.pk].status for item in items[:4]] == [
        Status.NOT_STARTED,
        Status.IN_PROGRESS,
        Status.SKIPPED,
        Status.DONE,  # done before the catch-up: not part of it
    ]
    logged = ProgressEvent.objects.filter(batch=done.batch, from_status=Status.DONE)
    assert sorted(logged.values_list("item_id", "to_status")) == [
        (items[0].pk, Status.NOT_STARTED),
        (items[1].pk, Status.IN_PROGRESS),
        (items[2].pk, Status.SKIPPED),
    ]


def test_undo_is_idempotent(roadmap, student, items):
    done = progress_catch_up(student=student, roadmap=roadmap, versions={items[0].pk: 0})
    catch_up_undo(student=student, roadmap=roadmap, batch=done.batch)
    before = state(student)
    again = catch_up_undo(student=student, roadmap=roadmap, batch=done.batch)
    assert again.changed == []
    assert state(student) == before


@pytest.mark.parametrize("change", ["note", "status", "archived"])
def test_undo_is_refused_when_an_item_changed_since(roadmap, student, items, change):
    done = progress_catch_up(
        student=student, roadmap=roadmap, versions={items[0].pk: 0, items[1].pk: 0}
    )
    if change == "note":
        progress_set(student=student, item=items[1], note="took the exam in May")
    elif change == "status":
        progress_set(student=student, item=items[1], status=Status.IN_PROGRESS)
    else:
        Item.objects.filter(pk=items[1].pk).update(archived=True)
    before = state(student)
    with pytest.raises(ProgressRefused) as refused:
        catch_up_undo(student=student, roadmap=roadmap, batch=done.batch)
    assert refused.value.status_code == 409
    assert items[1].title in refused.value.message
    assert state(student) == before


def test_undo_of_another_students_catch_up_is_not_found(roadmap, student, items):
    done = progress_catch_up(student=student, roadmap=roadmap, versions={items[0].pk: 0})
    other = UserFactory()
    follow_roadmap(other, roadmap)
    with pytest.raises(NothingToUndo):
        catch_up_undo(student=other, roadmap=roadmap, batch=done.batch)
    with pytest.raises(NothingToUndo):
        catch_up_undo(student=student, roadmap=RoadmapFactory(), batch=done.batch)
    assert Progress.objects.get(student=student, item=items[0]).status == Status.DONE


# -- the page: permissions ------------------------------------------------------


def test_anonymous_is_sent_to_sign_in_and_nothing_changes(client, roadmap, student, items):
    login = reverse("account_login")
    assert login in client.get(catch_up_url(roadmap))["Location"]
    assert login in client.post(catch_up_url(roadmap), ticks((items[0], 0)))["Location"]
    assert login in client.post(undo_url(roadmap), {"batch": str(uuid.uuid4())})["Location"]
    assert not Progress.objects.exists()


def test_a_student_not_following_the_roadmap_is_sent_to_its_page(client, roadmap, items):
    client.force_login(UserFactory())
    for response in (
        client.get(catch_up_url(roadmap)),
        client.post(catch_up_url(roadmap), ticks((items[0], 0))),
        client.post(undo_url(roadmap), {"batch": str(uuid.uuid4())}),
    ):
        assert response.status_code == 302
        assert response["Location"] == roadmap.get_absolute_url()
    assert not Progress.objects.exists()


def test_an_unpublished_roadmap_is_not_found(client, student):
    draft = build_roadmap(items=2, published=False)
    follow_roadmap(student, draft)
    client.force_login(student)
    item = Item.objects.of_roadmap(draft).first()
    assert client.get(catch_up_url(draft)).status_code == 404
    assert client.post(catch_up_url(draft), ticks((item, 0))).status_code == 404
    assert not Progress.objects.exists()


def test_another_students_catch_up_cannot_be_seen_or_undone(client, roadmap, student, items):
    done = progress_catch_up(student=student, roadmap=roadmap, versions={items[0].pk: 0})
    other = UserFactory()
    follow_roadmap(other, roadmap)
    client.force_login(other)
    page = client.get(catch_up_url(roadmap), {"saved": str(done.batch)}).text
    assert "Undo this catch-up" not in page
    response = client.post(undo_url(roadmap), {"batch": str(done.batch)})
    assert response.status_code == 404
    assert "no catch-up to undo" in response.text
    assert Progress.objects.get(student=student, item=items[0]).status == Status.DONE


# -- the page: the right student ---------------------------------------------------


def test_the_page_lists_items_due_by_now_grouped_and_labelled(client, roadmap, student, items):
    later = ItemFactory(milestone=items[0].milestone, due_year=4, title="Contribute to PyTorch")
    counted = ItemFactory(
        milestone=items[0].milestone, title="LeetCode", target_count=200, unit="problems"
    )
    archived = ItemFactory(milestone=items[0].milestone, archived=True, title="Old course")
    progress_set(student=student, item=items[0], status=Status.DONE)
    client.force_login(student)

    text = client.get(catch_up_url(roadmap)).text

    assert later.title not in text  # due in year 4: not yet
    assert archived.title not in text
    assert f'value="{counted.pk}:0"' in text
    assert "counted: 0 of 200 problems" in text
    assert "marks it done; its count stays as it is" in text
    assert text.count("<fieldset") == 4  # one per milestone
    assert text.count("<legend>") == 4
    assert f'<label for="catch-up-{items[1].pk}">{items[1].title}</label>' in text
    # the done item: shown ticked, not sent again
    assert f'id="catch-up-{items[0].pk}" checked disabled' in text
    assert f'value="{items[0].pk}:' not in text
    assert "6 items were due by Year 2" in text  # 6 + the counted one, less the done one
    assert "7 items below, 1 already done: everything due by Year 2" in text


def test_without_a_batch_the_page_lists_the_whole_roadmap(client, roadmap, items):
    student = UserFactory(batch=None)
    follow_roadmap(student, roadmap)
    later = ItemFactory(milestone=items[0].milestone, due_year=4)
    client.force_login(student)
    text = client.get(catch_up_url(roadmap)).text
    assert f'value="{later.pk}:0"' in text
    assert "Set your batch" in text


def test_saving_then_undoing_through_the_page(client, roadmap, student, items):
    client.force_login(student)
    response = client.post(catch_up_url(roadmap), ticks((items[0], 0), (items[2], 0)))
    assert response.status_code == 302
    batch = ProgressEvent.objects.get(item=items[0]).batch
    assert response["Location"] == f"{catch_up_url(roadmap)}?saved={batch}"
    page = client.get(response["Location"]).text
    assert "Saved: 2 items marked done" in page
    assert f'name="batch" value="{batch}"' in page
    assert reverse("roadmap:dashboard", args=[roadmap.slug]) in page

    response = client.post(undo_url(roadmap), {"batch": str(batch)}, follow=True)
    assert "Undone: 2 items are back as before." in response.text
    assert not Progress.objects.filter(status=Status.DONE).exists()
    assert "That catch-up was undone" in client.get(f"{catch_up_url(roadmap)}?saved={batch}").text

    response = client.post(undo_url(roadmap), {"batch": str(batch)}, follow=True)
    assert "already undone; nothing changed" in response.text
    assert ProgressEvent.objects.filter(batch=batch).count() == 4


def test_sending_the_same_form_twice_changes_nothing(client, roadmap, student, items):
    client.force_login(student)
    client.post(catch_up_url(roadmap), ticks((items[0], 0)))
    before = state(student)
    response = client.post(catch_up_url(roadmap), ticks((items[0], 0)), follow=True)
    assert "Nothing to change" in response.text
    assert state(student) == before


# -- the page: bad input -------------------------------------------------------


def test_bad_lists_get_a_clear_message_and_change_nothing(client, roadmap, student, items):
    other_item = ItemFactory()
    Item.objects.filter(pk=items[5].pk).update(archived=True)
    progress_set(student=student, item=items[4], status=Status.IN_PROGRESS)  # another tab
    client.force_login(student)
    cases = [
        ({}, 400, "Nothing was ticked"),
        (ticks((items[0], 0), (other_item, 0)), 400, "not part of"),
        (ticks((items[0], 0), (items[5], 0)), 409, "archived"),
        ({"item": [f"{items[0].pk}:0", f"{items[0].pk}:0"]}, 400, "sent twice"),
        ({"item": [f"{items[0].pk}:0", f"{items[0].pk}:1"]}, 400, "sent twice"),
        (ticks((items[0], 0), (items[4], 0)), 409, "changed elsewhere"),
        ({"item": ["abc"]}, 400, "could not be read"),
        ({"item": [f"{items[0].pk}"]}, 400, "could not be read"),
        ({"item": [f"-{items[0].pk}:0"]}, 400, "could not be read"),
        ({"item": ["9" * 40 + ":0"]}, 400, "could not be read"),
        ({"item": [f"{pk}:0" for pk in range(1, 800)]}, 400, "at most 500"),
    ]
    before = state(student)
    for data, status, message in cases:
        response = client.post(catch_up_url(roadmap), data)
        assert (response.status_code, data) == (status, data)
        assert message in response.text
        assert 'role="alert"' in response.text
        assert state(student) == before


def test_a_refused_list_keeps_the_ticks_and_shows_the_latest_state(client, roadmap, student, items):
    progress_set(student=student, item=items[4], status=Status.IN_PROGRESS)  # another tab
    client.force_login(student)
    response = client.post(catch_up_url(roadmap), ticks((items[0], 0), (items[4], 0)))
    assert response.status_code == 409
    assert f'value="{items[0].pk}:0" checked' in response.text
    assert f'value="{items[4].pk}:1" checked' in response.text  # the new version
    assert (
        client.post(catch_up_url(roadmap), ticks((items[0], 0), (items[4], 1))).status_code == 302
    )


def test_thousands_of_ids_are_refused_in_words(client, roadmap, student):
    client.force_login(student)
    response = client.post(catch_up_url(roadmap), {"item": [f"{n}:0" for n in range(5000)]})
    assert response.status_code == 400
    assert "nothing was changed" in response.text
    assert not Progress.objects.exists()


def test_a_bad_undo_is_refused_in_words(client, roadmap, student, items):
    client.force_login(student)
    for data in ({}, {"batch": "not-a-batch"}):
        response = client.post(undo_url(roadmap), data)
        assert response.status_code == 400
        assert "could not be read" in response.text
    response = client.post(undo_url(roadmap), {"batch": str(uuid.uuid4())})
    assert response.status_code == 404
    assert client.get(undo_url(roadmap)).status_code == 405


def test_an_undo_refused_because_an_item_changed_says_which(client, roadmap, student, items):
    done = progress_catch_up(student=student, roadmap=roadmap, versions={items[0].pk: 0})
    progress_set(student=student, item=items[0], note="passed")
    client.force_login(student)
    before = state(student)
    response = client.post(undo_url(roadmap), {"batch": str(done.batch)})
    assert response.status_code == 409
    assert items[0].title in response.text and "cannot be undone" in response.text
    assert state(student) == before


# -- query counts ----------------------------------------------------------------


@pytest.mark.parametrize("size", [10, 200])
def test_catch_up_page_and_save_take_a_fixed_number_of_queries(
    client, django_assert_num_queries, size
):
    roadmap = build_roadmap(items=size, stages=3)
    student = UserFactory(batch=batch_in_year(4))
    follow_roadmap(student, roadmap)
    items = list(Item.objects.of_roadmap(roadmap).order_by("pk"))
    for item in items[:5]:
        progress_set(student=student, item=item, status=Status.IN_PROGRESS)
    client.force_login(student)
    url = catch_up_url(roadmap)

    # session, user, roadmap, enrollment, items (with stages), progress
    with django_assert_num_queries(6):
        response = client.get(url)
    assert response.text.count('name="item"') == size

    data = ticks(*[(item, 1 if i < 5 else 0) for i, item in enumerate(items)])
    # session, user, roadmap, enrollment, items; savepoint, rows created, rows locked,
    # rows updated, events, release
    with django_assert_num_queries(11):
        response = client.post(url, data)
    assert response.status_code == 302
    assert Progress.objects.filter(student=student, status=Status.DONE).count() == size

    # + the catch-up's log entries for the Undo panel; the items now come from the
    # cached outline (roadmap/outline.py)
    with django_assert_num_queries(6):
        client.get(response["Location"])

    batch = response["Location"].split("saved=")[1]
    # session, user, roadmap, enrollment; savepoint, rows locked, events, rows updated,
    # events created, release; the message is stored in the session
    with django_assert_num_queries(10):
        response = client.post(undo_url(roadmap), {"batch": batch})
    assert response.status_code == 302
    assert Progress.objects.filter(student=student, status=Status.DONE).count() == 0


# -- concurrency -------------------------------------------------------------------


def run_at_once(count, action):
    """Run ``action()`` in ``count`` threads released together; the errors raised."""
    errors, barrier = [], threading.Barrier(count)

    def run():
        try:
            barrier.wait(timeout=10)
            action()
        except Exception as error:  # collected and asserted by the caller
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.django_db(transaction=True)
def test_the_same_catch_up_sent_at_once_from_several_tabs_lands_once():
    roadmap = build_roadmap(items=6)
    student = UserFactory()
    follow_roadmap(student, roadmap)
    versions = dict.fromkeys(Item.objects.of_roadmap(roadmap).values_list("pk", flat=True), 0)

    errors = run_at_once(
        6, lambda: progress_catch_up(student=student, roadmap=roadmap, versions=versions)
    )

    assert errors == []
    assert Progress.objects.filter(student=student, status=Status.DONE, version=1).count() == 6
    assert ProgressEvent.objects.count() == 6
    assert ProgressEvent.objects.values("batch").distinct().count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_undo_sent_twice_at_once_undoes_once():
    roadmap = build_roadmap(items=6)
    student = UserFactory()
    follow_roadmap(student, roadmap)
    versions = dict.fromkeys(Item.objects.of_roadmap(roadmap).values_list("pk", flat=True), 0)
    done = progress_catch_up(student=student, roadmap=roadmap, versions=versions)

    errors = run_at_once(
        4, lambda: catch_up_undo(student=student, roadmap=roadmap, batch=done.batch)
    )

    assert errors == []
    assert Progress.objects.filter(status=Status.NOT_STARTED, version=2).count() == 6
    assert ProgressEvent.objects.filter(batch=done.batch).count() == 12
