"""Each student's academic clock: changes are written with their history, by the
service functions, the account page and the admin; bad input changes nothing."""

import re

import pytest
from django.db import IntegrityError
from django.urls import reverse

from accounts.clock import ClockRefused, clock_repeat_year, clock_set
from accounts.models import ClockChange, Entry, Programme, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CORRECTED, REPEATED, SET = (
    ClockChange.Kind.CORRECTED,
    ClockChange.Kind.REPEATED,
    ClockChange.Kind.SET,
)


def clock_of(user):
    user = User.objects.get(pk=user.pk)
    return (user.batch, user.entry_year, user.programme_years)


# -- service functions --------------------------------------------------------------


def test_a_repeated_year_moves_the_student_to_the_next_batch_and_is_recorded(user, mentor):
    change = clock_repeat_year(user, changed_by=mentor, note="Year back in 2025-26")
    assert clock_of(user) == (2026, Entry.REGULAR, Programme.FOUR_YEARS)
    assert user.batch == 2026  # the instance follows
    assert (change.kind, change.batch_before, change.batch_after) == (REPEATED, 2025, 2026)
    assert (change.changed_by, change.note) == (mentor, "Year back in 2025-26")
    assert change.summary == "batch 2025 → 2026"
    clock_repeat_year(user)
    assert clock_of(user)[0] == 2027
    assert list(user.clock_changes.values_list("batch_after", flat=True)) == [2027, 2026]


def test_a_repeated_year_without_a_batch_is_refused_and_writes_nothing():
    student = UserFactory(batch=None)
    with pytest.raises(ClockRefused, match="Set the batch first"):
        clock_repeat_year(student)
    assert clock_of(student)[0] is None
    assert not ClockChange.objects.exists()


def test_clock_set_records_before_and_after_of_each_part(user):
    change = clock_set(
        user, batch=2024, entry_year=Entry.LATERAL, programme_years=5, kind=SET, note="Dual"
    )
    assert clock_of(user) == (2024, 2, 5)
    assert (change.batch_before, change.entry_before, change.programme_before) == (2025, 1, 4)
    assert (change.batch_after, change.entry_after, change.programme_after) == (2024, 2, 5)
    assert "entry Year 1 (regular) → Year 2 (lateral entry)" in change.summary


def test_clock_set_without_a_change_writes_nothing(user):
    assert clock_set(user, batch=2025, entry_year=1, programme_years=4, kind=CORRECTED) is None
    assert not ClockChange.objects.exists()


def test_clock_set_reads_before_from_the_database_not_a_stale_copy(user):
    stale = User.objects.get(pk=user.pk)
    clock_set(user, batch=2024, entry_year=1, programme_years=4, kind=SET)
    change = clock_set(stale, batch=2023, entry_year=1, programme_years=4, kind=SET)
    assert change.batch_before == 2024


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"batch": 1999}, "The batch must be a year from 2000 to 2100"),
        ({"entry_year": 3}, "year 1 (regular) or year 2 (lateral entry)"),
        ({"programme_years": 6}, "4 or 5 years"),
        ({"kind": "guessed"}, "Unknown kind"),
    ],
)
def test_clock_set_refuses_bad_values_and_writes_nothing(user, change, message):
    values = {"batch": 2024, "entry_year": 1, "programme_years": 4, "kind": SET, **change}
    with pytest.raises(ClockRefused, match=re.escape(message)):
        clock_set(user, **values)
    assert clock_of(user) == (2025, 1, 4)
    assert not ClockChange.objects.exists()


def test_a_repeated_year_past_the_last_batch_is_refused():
    student = UserFactory(batch=2100)
    with pytest.raises(ClockRefused):
        clock_repeat_year(student)
    assert clock_of(student)[0] == 2100


def test_the_database_refuses_an_unknown_kind(user):
    with pytest.raises(IntegrityError):
        ClockChange.objects.create(
            student=user, kind="guessed", entry_before=1, entry_after=1,
            programme_before=4, programme_after=4,
        )  # fmt: skip


# -- the account page ---------------------------------------------------------------


def test_the_account_page_asks_the_clock_in_plain_words(client, user):
    client.force_login(user)
    text = client.get(reverse("accounts:profile")).text
    assert "Which year did you join?" in text
    assert "Year 1 (regular)" in text and "Year 2 (lateral entry)" in text
    assert 'type="radio" name="entry_year" value="1"' in text
    assert "5 years (dual degree)" in text


def test_a_student_correcting_their_clock_is_recorded_as_corrected(client, user):
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"name": user.name, "batch": "2025", "entry_year": "2", "programme_years": "5"},
    )
    assert response.status_code == 302
    assert clock_of(user) == (2025, Entry.LATERAL, 5)
    change = user.clock_changes.get()
    assert (change.kind, change.changed_by) == (CORRECTED, user)
    assert (change.entry_before, change.entry_after) == (1, 2)


def test_saving_the_name_alone_records_no_clock_change(client, user):
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"name": "New name", "batch": "2025", "entry_year": "1", "programme_years": "4"},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).name == "New name"
    assert not ClockChange.objects.exists()


def test_the_account_page_changes_only_the_signed_in_users_clock(client, user):
    other = UserFactory(batch=2024)
    client.force_login(user)
    client.post(
        reverse("accounts:profile"),
        {"name": "Me", "batch": "2025", "entry_year": "2", "programme_years": "4", "pk": other.pk},
    )
    assert clock_of(other) == (2024, 1, 4)
    assert not other.clock_changes.exists()


def test_an_anonymous_post_changes_no_clock(client, user):
    response = client.post(
        reverse("accounts:profile"), {"name": "X", "batch": "2025", "entry_year": "2"}
    )
    assert response.status_code == 302 and "login" in response["Location"]
    assert clock_of(user) == (2025, 1, 4)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"entry_year": "3"}, "Choose the year you joined: year 1 (regular) or year 2"),
        ({"entry_year": "lateral"}, "Choose the year you joined"),
        ({"programme_years": "6"}, "Choose how long your programme is: 4 or 5 years."),
        ({"programme_years": "5", "batch": "1999"}, "Choose the year your B.Tech started"),
    ],
)
def test_a_bad_clock_on_the_account_page_says_why_and_changes_nothing(client, user, data, message):
    client.force_login(user)
    post = {"name": "Changed", "batch": "2025", "entry_year": "1", "programme_years": "4"}
    response = client.post(reverse("accounts:profile"), {**post, **data})
    assert response.status_code == 400
    assert message in response.text
    assert clock_of(user) == (2025, 1, 4)
    assert User.objects.get(pk=user.pk).name == user.name
    assert not ClockChange.objects.exists()


# -- the admin ----------------------------------------------------------------------


def test_an_admin_setting_the_clock_is_recorded_and_shown_read_only(client, staff_user, user):
    clock_repeat_year(user, note="Year back")
    client.force_login(staff_user)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    page = client.get(url)
    assert "Academic clock history" in page.text
    assert "Repeated a year" in page.text and "batch 2025 → 2026" in page.text
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and key not in ("password", "groups", "user_permissions")
    }
    data.update(entry_year="2", programme_years="5", last_login_0="", last_login_1="")
    data.update(date_joined_0="2026-01-01", date_joined_1="10:00:00")
    data.update({"clock_changes-TOTAL_FORMS": "1", "clock_changes-INITIAL_FORMS": "1"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert clock_of(user) == (2026, 2, 5)
    latest = user.clock_changes.first()
    assert (latest.kind, latest.changed_by) == (SET, staff_user)
    assert user.clock_changes.count() == 2  # the history keeps the repeated year


def test_the_clock_history_cannot_be_edited_in_the_admin(client, staff_user, user):
    clock_repeat_year(user)
    client.force_login(staff_user)
    page = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert 'name="clock_changes-0-note"' not in page.text
    assert 'name="clock_changes-0-DELETE"' not in page.text


def test_an_admin_records_a_repeated_year_for_the_chosen_students(client, staff_user):
    asha = UserFactory(name="Asha Verma", batch=2024)
    ravi = UserFactory(name="Ravi Kumar", batch=None)
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "record_a_repeated_year", "_selected_action": [asha.pk, ravi.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Recorded a repeated year for 1: Asha Verma." in response.text
    assert "Not changed, Ravi Kumar: Set the batch first" in response.text
    asha.refresh_from_db()
    ravi.refresh_from_db()
    assert (asha.batch, ravi.batch) == (2025, None)
    change = ClockChange.objects.get()
    assert (change.student, change.kind, change.changed_by) == (
        asha,
        ClockChange.Kind.REPEATED,
        staff_user,
    )
