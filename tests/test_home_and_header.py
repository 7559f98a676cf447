"""The home page's next step for visitors and signed-in people, and the site header:
one short line of links plus a menu that works without JavaScript."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.factories import RoadmapFactory, UserFactory

pytestmark = pytest.mark.django_db


def header(html):
    return re.search(r'<header class="site-header">(.*?)</header>', html, re.S)[1]


def hero(html):
    return re.search(r'<section class="hero">(.*?)</section>', html, re.S)[1]


def menu(html):
    return re.search(r'<details class="site-menu">(.*?)</details>', html, re.S)[1]


@pytest.fixture
def roadmap(settings):
    return RoadmapFactory(slug=settings.WAYPOINT_DEFAULT_ROADMAP, title="ML Engineer")


# -- home page -----------------------------------------------------------------------


def test_visitors_get_a_sign_up_button_first_and_a_way_to_sign_in(client, roadmap):
    text = hero(client.get(reverse("home")).text)
    buttons = re.findall(r'<a class="button[^"]*" href="([^"]+)">([^<]+)</a>', text)
    assert buttons[0] == (reverse("account_signup"), "Sign up to track your progress")
    assert (roadmap.get_absolute_url(), "Browse the ML Engineer roadmap") in buttons
    assert f'<a href="{reverse("account_login")}">Sign in</a>' in text
    assert reverse("start") not in text


def test_signed_in_people_get_their_dashboard_and_no_sign_up(client, roadmap):
    client.force_login(UserFactory())
    text = hero(client.get(reverse("home")).text)
    buttons = re.findall(r'<a class="button[^"]*" href="([^"]+)">([^<]+)</a>', text)
    assert buttons[0] == (reverse("start"), "Go to your dashboard")
    assert reverse("account_signup") not in text and reverse("account_login") not in text


def test_the_home_page_without_a_published_roadmap_still_offers_sign_up(client):
    text = hero(client.get(reverse("home")).text)
    assert reverse("account_signup") in text and "Browse the" not in text


# -- header ----------------------------------------------------------------------------


def test_visitors_header_has_the_main_nav_with_sign_in_and_sign_up(client):
    text = header(client.get(reverse("home")).text)
    assert '<nav class="site-nav" aria-label="Main">' in text
    assert f'<a href="{reverse("account_login")}">Sign in</a>' in text
    assert f'<a href="{reverse("account_signup")}" class="site-nav__cta">Sign up</a>' in text
    assert f'<a class="brand" href="{reverse("home")}">' in text  # the roadmaps are listed there
    assert "<details" not in text  # nothing to fold away for a visitor


@pytest.mark.parametrize(
    "who, in_menu, not_in_menu",
    [
        ({}, ["Roadmaps", "Account"], ["Cohorts", "Admin"]),
        ({"is_mentor": True}, ["Roadmaps", "Cohorts", "Account"], ["Admin"]),
        ({"is_staff": True}, ["Roadmaps", "Cohorts", "Account", "Admin"], []),
    ],
)
def test_signed_in_header_shows_the_dashboard_and_folds_the_rest_into_a_menu(
    client, who, in_menu, not_in_menu
):
    user = UserFactory(**who)
    client.force_login(user)
    text = header(client.get(reverse("home")).text)
    bar = text.split("<details", 1)[0]
    assert f'<a href="{reverse("start")}">Dashboard</a>' in bar
    folded = menu(text)
    assert "<summary>Menu</summary>" in folded
    assert [label for label in in_menu + not_in_menu if f">{label}</a>" in folded] == in_menu
    # Sign out stays a POST with its CSRF token, and names who is signing out.
    form = re.search(r"<form ([^>]*)>(.*?)</form>", folded, re.S)
    assert f'method="post" action="{reverse("account_logout")}"' in form[1]
    assert 'name="csrfmiddlewaretoken"' in form[2]
    assert f'Sign out <span class="visually-hidden">{user.email}</span>' in form[2]


def test_sign_out_from_the_menu_is_a_post_and_a_get_signs_nobody_out(client):
    client.force_login(UserFactory())
    # A GET only asks, with a sign-out button.
    assert client.get(reverse("account_logout")).status_code == 200
    assert SESSION_KEY in client.session
    client.post(reverse("account_logout"))
    assert SESSION_KEY not in client.session
