"""Evidence links are for others to open: a link with a user name or password in it,
or one pointing at this computer, a private network or Waypoint itself, is refused
with a clear message and changes nothing. The same rule guards every field where a
person enters a URL (the student's evidence, the admin's item link)."""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse

from roadmap.forms import CREDENTIALS, NOT_PUBLIC, OWN_SITE, PublicURLValidator
from roadmap.models import Item, Progress, ProgressEvent
from roadmap.services import follow_roadmap
from tests.factories import UserFactory, build_roadmap

HTMX = {"HX-Request": "true"}

CREDENTIAL_URLS = [
    "https://user:pass@github.com/asha/repo",
    "https://token@github.com/asha/repo",
    "https://@github.com/asha/repo",
]
NOT_PUBLIC_URLS = [
    "http://localhost/admin",
    "http://localhost:8000/",
    "http://app.localhost/",
    "http://127.0.0.1/",
    "http://127.8.9.10:8080/x",
    "http://[::1]/",
    "http://0.0.0.0/",
    "http://10.1.2.3/",
    "http://172.16.0.5/",
    "http://192.168.1.1/router",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://100.64.0.1/",
]
PUBLIC_URLS = [
    "https://github.com/asha/sentiment-api",
    "http://8.8.8.8/report",
    "https://[2606:4700:4700::1111]/",
    "https://sentiment.asha.dev:8443/",
    "https://www.credly.com/badges/1234",
]


@pytest.mark.parametrize("url", CREDENTIAL_URLS)
def test_links_with_credentials_are_refused(url):
    with pytest.raises(ValidationError) as error:
        PublicURLValidator()(url)
    assert error.value.messages == [CREDENTIALS]


@pytest.mark.parametrize("url", NOT_PUBLIC_URLS)
def test_links_to_this_computer_or_a_private_network_are_refused(url):
    with pytest.raises(ValidationError) as error:
        PublicURLValidator()(url)
    assert error.value.messages == [NOT_PUBLIC]


def test_links_to_waypoint_itself_are_refused(settings):
    settings.ALLOWED_HOSTS = ["waypoint.example.org", ".campus.example.in", "*"]
    validator = PublicURLValidator(host="wp.internal:8000")
    for url in [
        "https://waypoint.example.org/roadmaps/ml/",
        "https://WAYPOINT.example.org./x",
        "https://ml.campus.example.in/",
        "http://wp.internal/accounts/",
    ]:
        with pytest.raises(ValidationError) as error:
            validator(url)
        assert error.value.messages == [OWN_SITE], url
    validator("https://github.com/asha/x")  # "*" does not make every host our own


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_links_pass(url):
    PublicURLValidator()(url)


# -- through the checklist -------------------------------------------------------------


@pytest.fixture
def item(db):
    roadmap = build_roadmap(items=1, slug="ml")
    return Item.objects.of_roadmap(roadmap).get()


@pytest.fixture
def student(item):
    student = UserFactory()
    follow_roadmap(student, item.milestone.stage.roadmap)
    return student


def post_evidence(client, item, url, **kwargs):
    return client.post(
        reverse("roadmap:item_progress", args=[item.pk]), {"evidence_url": url}, **kwargs
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (CREDENTIAL_URLS[0], CREDENTIALS),
        ("http://127.0.0.1:8000/", NOT_PUBLIC),
        ("http://[::1]/", NOT_PUBLIC),
        ("http://192.168.0.10/", NOT_PUBLIC),
        ("http://testserver/roadmaps/ml/", OWN_SITE),
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_the_checklist_refuses_such_evidence_and_changes_nothing(
    client, item, student, url, message, headers
):
    client.force_login(student)
    response = post_evidence(client, item, url, headers=headers)
    assert response.status_code == 400
    assert message.replace("'", "&#x27;") in response.text
    assert not Progress.objects.exists() and not ProgressEvent.objects.exists()


def test_the_request_host_counts_as_waypoint_itself(client, item, student, settings):
    settings.ALLOWED_HOSTS = ["*"]
    client.force_login(student)
    response = post_evidence(
        client, item, "https://learn.example.org/x", headers=HTMX, HTTP_HOST="learn.example.org"
    )
    assert response.status_code == 400
    assert not Progress.objects.exists()


def test_the_checklist_accepts_a_public_link(client, item, student):
    client.force_login(student)
    response = post_evidence(client, item, PUBLIC_URLS[0], headers=HTMX)
    assert response.status_code == 200
    assert Progress.objects.get().evidence_url == PUBLIC_URLS[0]


def test_evidence_permissions(client, item, student):
    assert post_evidence(client, item, PUBLIC_URLS[0]).status_code == 302  # to sign in
    client.force_login(UserFactory())  # follows nothing
    assert post_evidence(client, item, PUBLIC_URLS[0]).status_code == 404
    assert not Progress.objects.exists()


# -- the admin's item link -------------------------------------------------------------


@pytest.mark.django_db
def test_the_admins_item_link_follows_the_same_rule():
    # The item inline has no link column; the item's own page is where it is entered.
    field = admin.site._registry[Item].formfield_for_dbfield(
        Item._meta.get_field("link"), request=None
    )
    with pytest.raises(ValidationError) as error:
        field.clean(CREDENTIAL_URLS[0])
    assert CREDENTIALS in error.value.messages
    with pytest.raises(ValidationError) as error:
        field.clean("http://127.0.0.1/")
    assert NOT_PUBLIC in error.value.messages
    assert field.clean(PUBLIC_URLS[0]) == PUBLIC_URLS[0]
