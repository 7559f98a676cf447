"""Every registered model's admin pages open for a superuser, and stay closed to others."""

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import MailKind
from accounts.outbox import mail_queue
from cohorts.models import Invitation, Nudge
from roadmap.models import Kind
from roadmap.portfolio import portfolio_of, portfolio_update
from roadmap.services import follow_roadmap, progress_set, review_evidence
from tests.factories import (
    CohortFactory,
    ItemFactory,
    MilestoneFactory,
    RoadmapFactory,
    SkillCategoryFactory,
    SkillFactory,
    StageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
)


@pytest.fixture
def content():
    """A row of every model, so changelists and change pages have something to render."""
    item = ItemFactory(skills=[SkillFactory()])
    student = UserFactory()
    follow_roadmap(student, item.milestone.stage.roadmap)
    progress_set(student=student, item=item, status="done", note="private")
    cohort = CohortFactory(
        roadmap=item.milestone.stage.roadmap,
        mentors=[UserFactory(is_mentor=True)],
        students=[student],
    )
    Invitation.objects.create(cohort=cohort, email="new@example.com", sent_at=timezone.now())
    Nudge.objects.create(cohort=cohort, student=student, mentor=cohort.mentors.get(), message="Hi")
    # College sign-in (allauth's socialaccount): a provider set up in the admin, one
    # person's link to it, and the token allauth may keep.
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id="college",
        name="Example College",
        client_id="waypoint",
        secret="not-a-secret",
        settings={"server_url": "https://login.example.edu"},
    )
    account = SocialAccount.objects.create(user=student, provider="college", uid="sub-1")
    SocialToken.objects.create(app=app, account=account, token="t")
    # The outbox and the task queue: one mail queued, one task enqueued.
    mail_queue(student, kind=MailKind.DIGEST, key="2026-W49", subject="Your week", text="t")
    # A public page showing a verified project.
    project = ItemFactory(milestone=item.milestone, kind=Kind.PROJECT)
    evidence = progress_set(
        student=student, item=project, status="done", evidence_url="https://github.com/s/p"
    )
    review_evidence(
        mentor=cohort.mentors.get(), progress=evidence, verified=True, verified_in=cohort.name
    )
    portfolio_update(portfolio_of(student), name="student-page", items=[project.pk], is_public=True)
    Group.objects.create(name="Placement cell").permissions.set(
        Permission.objects.filter(codename="view_cohort")
    )
    return item


def test_every_app_model_is_registered():
    assert {
        ("accounts", "user"),
        ("roadmap", "roadmap"),
        ("roadmap", "stage"),
        ("roadmap", "milestone"),
        ("roadmap", "item"),
        ("roadmap", "skill"),
        ("roadmap", "skillcategory"),
        ("cohorts", "cohort"),
    } <= set(REGISTERED)


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_changelist_add_and_change_pages_open(client, staff_user, content, app_label, model_name):
    client.force_login(staff_user)
    model = next(m for m in admin.site._registry if m._meta.model_name == model_name)
    changelist = reverse(f"admin:{app_label}_{model_name}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "x"}).status_code == 200
    # The progress log is written by students only: its add page is closed even to admins.
    request = RequestFactory().get("/")
    request.user = staff_user
    can_add = admin.site._registry[model].has_add_permission(request)
    add_page = client.get(reverse(f"admin:{app_label}_{model_name}_add"))
    assert add_page.status_code == (200 if can_add else 403)
    obj = model._default_manager.first()
    assert obj is not None, (
        f"the content fixture makes no {model_name}: its change page is untested"
    )
    url = reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "query",
    [{"kind__exact": "project"}, {"optional__exact": "1"}, {"archived__exact": "0"}],
    ids=str,
)
def test_item_changelist_filters(client, staff_user, query):
    project = ItemFactory(kind="project", optional=True)
    client.force_login(staff_user)
    response = client.get(reverse("admin:roadmap_item_changelist"), query)
    assert response.status_code == 200
    assert project.title in response.text


def test_admin_is_closed_to_students(client):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:roadmap_item_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_creates_an_item_with_skills(client, staff_user, content):
    client.force_login(staff_user)
    skill = content.skills.get()
    response = client.post(
        reverse("admin:roadmap_item_add"),
        {
            "milestone": content.milestone.pk,
            "title": "Build a sentiment API",
            "slug": "sentiment-api",
            "kind": "project",
            "description": "Serve a model behind FastAPI.",
            "link": "",
            "order": 3,
            "due_year": 3,
            "due_semester": 1,
            "target_count": "",
            "unit": "",
            "skills": [skill.pk],
        },
    )
    assert response.status_code == 302, response.context["adminform"].errors
    created = content.milestone.items.get(slug="sentiment-api")
    assert list(created.skills.all()) == [skill]
    assert created.due_point == (3, 1)


def test_admin_creates_a_user_with_a_usable_password(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.student@example.com",
            "name": "New Student",
            "batch": 2026,
            "usable_password": "true",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302
    user = UserFactory._meta.model.objects.get(email="new.student@example.com")
    assert user.check_password("a-long-enough-passphrase")


def test_admin_cannot_delete_an_item_with_progress_and_says_to_archive(client, staff_user, content):
    client.force_login(staff_user)
    url = reverse("admin:roadmap_item_delete", args=[content.pk])
    page = client.get(url, follow=True)
    assert page.redirect_chain[-1][0] == reverse("admin:roadmap_item_change", args=[content.pk])
    assert "Students have progress on" in page.text and "Archive it instead" in page.text
    client.post(url, {"post": "yes"})
    assert type(content).objects.filter(pk=content.pk).exists()


def test_admin_bulk_delete_refuses_items_with_progress_and_deletes_unused_ones(
    client, staff_user, content
):
    client.force_login(staff_user)
    changelist = reverse("admin:roadmap_item_changelist")
    unused = ItemFactory(milestone=content.milestone)
    refused = client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [content.pk, unused.pk], "post": "yes"},
        follow=True,
    )
    assert "Nothing deleted: students have progress on" in refused.text
    assert type(content).objects.filter(pk__in=[content.pk, unused.pk]).count() == 2

    confirm = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [unused.pk]}
    )
    assert "Are you sure" in confirm.text
    client.post(
        changelist, {"action": "delete_selected", "_selected_action": [unused.pk], "post": "yes"}
    )
    assert not type(content).objects.filter(pk=unused.pk).exists()


@pytest.mark.parametrize(
    "factory",
    [
        RoadmapFactory,
        StageFactory,
        MilestoneFactory,
        ItemFactory,
        SkillCategoryFactory,
        SkillFactory,
    ],
    ids=lambda factory: factory._meta.model.__name__,
)
def test_the_guide_key_is_shown_and_cannot_be_edited(client, staff_user, factory):
    row = factory(key="from-the-guide-file")
    model = type(row)
    url = reverse(f"admin:roadmap_{model._meta.model_name}_change", args=[row.pk])
    client.force_login(staff_user)
    page = client.get(url)
    assert "Guide key" in page.text and "from-the-guide-file" in page.text
    assert 'name="key"' not in page.text
    form = page.context["adminform"].form
    data = {name: value for name in form.fields if (value := form[name].value()) is not None}
    data.update({"key": "changed", "slug": "renamed-in-the-admin"})
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].errors
    row.refresh_from_db()
    assert (row.key, row.slug) == ("from-the-guide-file", "renamed-in-the-admin")


def test_item_changelist_tells_guide_rows_from_admin_added_ones(client, staff_user):
    ItemFactory(key="from-the-guide-file", title="From the file")
    ItemFactory(title="Added here")
    client.force_login(staff_user)
    changelist = reverse("admin:roadmap_item_changelist")
    added_here = client.get(changelist, {"key__isempty": "1"}).text
    assert "Added here" in added_here and "From the file" not in added_here
    from_file = client.get(changelist, {"key__isempty": "0"}).text
    assert "From the file" in from_file and "Added here" not in from_file
