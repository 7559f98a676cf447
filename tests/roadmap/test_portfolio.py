"""The public portfolio: its settings (anonymous, the student), what the public page
shows and hides, and how it disappears (off, taken down, renamed, inactive account)."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from roadmap.models import Kind, Portfolio, PortfolioName
from roadmap.models.public_pages import MAX_SHOWN_NAMES
from roadmap.portfolio import NameTaken, portfolio_of, portfolio_update
from roadmap.services import follow_roadmap, progress_set, review_evidence
from tests.factories import CohortFactory, ItemFactory, UserFactory, build_roadmap

SETTINGS = "/portfolio/"


@pytest.fixture
def roadmap(db):
    roadmap = build_roadmap(items=4, slug="ml", title="Machine Learning Engineer", published=True)
    first = roadmap.stages.first().milestones.first()
    ItemFactory(milestone=first, kind=Kind.PROJECT, title="Sentiment API")
    ItemFactory(milestone=first, kind=Kind.CERTIFICATION, title="TensorFlow Developer")
    ItemFactory(milestone=first, kind=Kind.COURSE, title="Andrew Ng's course")
    return roadmap


@pytest.fixture
def student(roadmap):
    student = UserFactory(name="Asha Verma")
    follow_roadmap(student, roadmap)
    return student


def item(roadmap, title):
    return roadmap.stages.first().milestones.first().items.get(title=title)


@pytest.fixture
def done(student, roadmap):
    """Asha's done work: the project with evidence (verified by her mentor in
    "CSE 2027 — ML club"), the certification with evidence, the course self-reported,
    and a private note on the project."""
    project = item(roadmap, "Sentiment API")
    cert = item(roadmap, "TensorFlow Developer")
    course = item(roadmap, "Andrew Ng's course")
    mentor = UserFactory(name="Dr. Meera Rao", is_mentor=True)
    CohortFactory(name="CSE 2027 — ML club", roadmap=roadmap, mentors=[mentor], students=[student])
    progress = progress_set(
        student=student,
        item=project,
        status="done",
        evidence_url="https://github.com/asha/sentiment",
        note="SECRET-NOTE private thoughts",
    )
    review_evidence(
        mentor=mentor, progress=progress, verified=True, verified_in="CSE 2027 — ML club"
    )
    progress_set(student=student, item=cert, status="done", evidence_url="https://cert.example/tf")
    progress_set(student=student, item=course, status="done")
    return {"project": project, "cert": cert, "course": course, "mentor": mentor}


def turn_on(student, *items, name="asha-verma", **fields):
    portfolio = portfolio_of(student)
    fields.setdefault("is_public", True)
    return portfolio_update(portfolio, name=name, items=[i.pk for i in items], **fields)


def form_data(**overrides):
    data = {
        "is_public": "on",
        "name": "asha-verma",
        "headline": "ML engineering student, building deployed NLP projects",
        "github_url": "https://github.com/asha",
        "kaggle_url": "",
        "linkedin_url": "https://www.linkedin.com/in/asha",
        "blog_url": "https://asha.dev/blog",
        "items": [],
    }
    data.update(overrides)
    return data


class Links(HTMLParser):
    """Every <a> and <meta> of a page, as attribute dicts."""

    def __init__(self):
        super().__init__()
        self.links, self.metas = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs))
        if tag == "meta":
            self.metas.append(dict(attrs))


def field_block(html: str, field: str) -> str:
    """The markup of the form's part (a field's wrapper, or the items' fieldset) that
    holds the input named ``field``."""
    blocks = re.split(r'(?=<div class="field[ "]|<fieldset)', html)
    return next(block for block in blocks if f'name="{field}"' in block)


def parsed(html) -> Links:
    links = Links()
    links.feed(html)
    return links


# --- Settings: who may open them --------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_settings_ask_an_anonymous_visitor_to_sign_in(client, db, method):
    response = getattr(client, method)(SETTINGS)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not Portfolio.objects.exists()


def test_a_new_page_is_off_and_suggests_the_work_with_evidence(client, student, done):
    client.force_login(student)
    response = client.get(SETTINGS)
    assert response.status_code == 200
    assert "Your page is off: nobody else can open it." in response.text
    checked = set(re.findall(r'name="items" value="(\d+)"[^>]* checked', response.text))
    # Project and certification have evidence; a self-reported course is not suggested.
    assert checked == {str(done["project"].pk), str(done["cert"].pk)}
    # Each done item says how far it can be trusted, in the checklist's words.
    for kind, trust in [
        ("Project", "verified by a mentor"),
        ("Certification", "evidence attached"),
        ("Course", "self-reported"),
    ]:
        assert f"{kind} · {trust}</p>" in response.text
    # The suggested address comes from the student's name.
    assert 'value="asha-verma"' in response.text
    # Opening the settings saves nothing.
    assert not Portfolio.objects.filter(student=student).exists()


def test_saving_turns_the_page_on_with_the_chosen_items(client, student, done):
    client.force_login(student)
    response = client.post(SETTINGS, form_data(items=[done["project"].pk, done["course"].pk]))
    assert response.status_code == 302
    portfolio = Portfolio.objects.get(student=student)
    assert portfolio.is_public and portfolio.name == "asha-verma"
    assert set(portfolio.items.all()) == {done["project"], done["course"]}
    page = client.get(response["Location"])
    assert "Saved." in page.text
    assert 'Your page is on at <a href="http://testserver/p/asha-verma/">' in page.text


def test_a_student_changes_only_their_own_page(client, student, done):
    other = UserFactory(name="Ravi")
    turn_on(other, name="ravi")
    client.force_login(student)
    client.post(SETTINGS, form_data(name="asha", headline="Mine"))
    ravi = Portfolio.objects.get(student=other)
    assert (ravi.name, ravi.headline, ravi.is_public) == ("ravi", "", True)


# --- Settings: bad input gets a message next to the field and saves nothing -------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "admin", "kept for Waypoint"),
        ("name", "accounts", "kept for Waypoint"),
        ("name", "p", "at least 3"),
        ("name", "a" * 41, "at most 40"),
        ("name", "x" * 500, "at most 40"),
        ("name", "asha verma", "letters a–z, digits and single hyphens"),
        ("name", "asha_verma", "letters a–z, digits and single hyphens"),
        ("name", "-asha", "letters a–z, digits and single hyphens"),
        ("name", "asha--verma", "letters a–z, digits and single hyphens"),
        ("name", "आशा", "letters a–z, digits and single hyphens"),
        ("name", "asha/../admin", "letters a–z, digits and single hyphens"),
        ("name", "asha%2fx", "letters a–z, digits and single hyphens"),
        ("github_url", "javascript:alert(1)", "https://"),
        ("github_url", "github.com/asha", "https://"),
        ("blog_url", "ftp://asha.dev/blog", "https://"),
        ("blog_url", "data:text/html,hi", "https://"),
        ("blog_url", "http://localhost:8000/", "public web address"),
        ("blog_url", "https://user:pw@asha.dev/", "user name or password"),
        ("blog_url", "https://testserver/p/asha-verma/", "not to a Waypoint page"),
        ("blog_url", "https://a.dev/" + "x" * 200, "too long"),
        ("github_url", "https://gitlab.com/asha", "on github.com"),
        ("github_url", "https://github.com.evil.example/asha", "on github.com"),
        ("kaggle_url", "https://notkaggle.com/asha", "on kaggle.com"),
        ("linkedin_url", "https://linkedin.evil.example/in/asha", "on linkedin.com"),
        ("headline", "x" * 141, "under 140"),
        ("items", ["999999"], "not one of your done items"),
        ("items", ["abc"], "not one of your done items"),
        ("items", ["²"], "not one of your done items"),
        ("items", ["1" * 5000], "not one of your done items"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(
    client, student, done, field, value, message
):
    turn_on(student, done["project"], name="asha", headline="Before")
    before = Portfolio.objects.values().get(student=student)
    client.force_login(student)
    response = client.post(SETTINGS, form_data(**{field: value}))
    assert response.status_code == 400
    assert message in response.text
    assert message in field_block(response.text, field), "the message is next to its field"
    assert "Nothing was saved. Check <a href=" in response.text
    assert Portfolio.objects.values().get(student=student) == before
    assert list(Portfolio.objects.get(student=student).items.all()) == [done["project"]]
    assert client.get("/p/asha/").status_code == 200


def test_a_name_another_student_has_is_taken(client, student, done):
    turn_on(UserFactory(), name="asha-verma")
    client.force_login(student)
    response = client.post(SETTINGS, form_data(name="Asha-Verma"))
    assert response.status_code == 400
    assert "That address is taken" in response.text
    assert "Your page is off" in response.text
    assert not Portfolio.objects.filter(student=student).exists()


def test_a_name_another_student_used_before_stays_theirs(client, student, done):
    other = UserFactory()
    turn_on(other, name="asha-verma")
    turn_on(other, name="ravi")  # asha-verma's page was on: the name stays Ravi's
    client.force_login(student)
    response = client.post(SETTINGS, form_data(name="asha-verma"))
    assert response.status_code == 400
    assert "That address is taken" in response.text
    # Its owner can take it back.
    turn_on(other, name="asha-verma")
    assert client.get("/p/asha-verma/").status_code == 200


def test_a_name_the_page_was_never_on_under_is_let_go(student):
    other = UserFactory()
    turn_on(other, name="asha-verma", is_public=False)
    turn_on(other, name="ravi", is_public=False)
    assert turn_on(student, name="asha-verma").name == "asha-verma"


def test_a_deleted_accounts_names_stay_out_of_reach(student):
    other = UserFactory()
    turn_on(other, name="asha-verma")
    turn_on(other, name="ravi")
    other.delete()
    assert set(PortfolioName.objects.filter(portfolio=None).values_list("name", flat=True)) == {
        "asha-verma",
        "ravi",
    }
    for name in ["asha-verma", "ravi"]:
        with pytest.raises(NameTaken):
            turn_on(student, name=name)


def test_a_page_may_have_been_on_under_a_handful_of_names(client, student, done):
    for n in range(MAX_SHOWN_NAMES):
        turn_on(student, name=f"asha-{n}")
    client.force_login(student)
    response = client.post(SETTINGS, form_data(name="asha-new"))
    assert response.status_code == 400
    assert f"on under {MAX_SHOWN_NAMES} addresses" in field_block(response.text, "name")
    assert "asha-0" in response.text
    assert Portfolio.objects.get(student=student).name == f"asha-{MAX_SHOWN_NAMES - 1}"
    # One of them again is fine.
    assert client.post(SETTINGS, form_data(name="asha-0")).status_code == 302


def test_two_students_claiming_one_name_at_once_get_a_message_not_an_error(student):
    turn_on(UserFactory(), name="asha-verma")
    turn_on(student, name="asha", is_public=False)
    portfolio = portfolio_of(student)
    # As if the name were free when the form checked it, then taken before the save.
    with pytest.raises(NameTaken):
        portfolio_update(portfolio, name="asha-verma", items=[], is_public=True)
    assert (portfolio.name, portfolio.is_public) == ("asha", False)
    saved = Portfolio.objects.get(student=student)
    assert (saved.name, saved.is_public) == ("asha", False)
    assert list(PortfolioName.objects.filter(portfolio=saved).values_list("name", flat=True)) == [
        "asha"
    ]


def test_turning_the_page_on_needs_a_name(client, student, done):
    client.force_login(student)
    response = client.post(SETTINGS, form_data(name=""))
    assert response.status_code == 400
    assert "Choose an address name to turn your page on." in response.text


def test_upper_case_is_read_as_lower_case(client, student, done):
    client.force_login(student)
    client.post(SETTINGS, form_data(name="  Asha-Verma2027 "))
    assert Portfolio.objects.get(student=student).name == "asha-verma2027"


# --- The public page ---------------------------------------------------------------------


def test_the_page_shows_what_was_chosen_with_its_trust_in_words(client, student, done):
    turn_on(student, done["project"], done["cert"], done["course"], headline="Building NLP")
    response = client.get("/p/asha-verma/")
    assert response.status_code == 200
    text = response.text
    assert "Asha Verma" in text and "Building NLP" in text
    assert "Verified by Dr. Meera Rao, mentor of CSE 2027 — ML club, on" in text
    assert "Evidence attached, not verified by a mentor" in text
    assert "Self-reported" in text
    assert "https://github.com/asha/sentiment" in text
    # A summary by stage, with numbers.
    assert "Machine Learning Engineer:" in text and "% done" in text


def test_the_page_shows_nothing_that_was_not_chosen(client, student, done, roadmap):
    turn_on(student, done["project"])
    text = client.get("/p/asha-verma/").text
    assert "Sentiment API" in text
    assert "TensorFlow Developer" not in text and "Andrew Ng" not in text
    assert "SECRET-NOTE" not in text
    assert student.email not in text
    # Pace would tell the student's year; it is not shown.
    assert "pace" not in text.lower()


def test_a_chosen_item_no_longer_done_leaves_the_page(client, student, done):
    turn_on(student, done["project"], done["course"])
    progress_set(student=student, item=done["course"], status="in_progress")
    text = client.get("/p/asha-verma/").text
    assert "Andrew Ng" not in text and "Sentiment API" in text


def test_every_link_the_student_gave_is_nofollow_ugc_noopener(client, student, done):
    turn_on(
        student,
        done["project"],
        done["cert"],
        github_url="https://github.com/asha",
        blog_url="https://asha.dev/",
    )
    page = parsed(client.get("/p/asha-verma/").text)
    external = [a for a in page.links if not a["href"].startswith(("/", "#", "http://testserver"))]
    assert {a["href"] for a in external} >= {
        "https://github.com/asha",
        "https://asha.dev/",
        "https://github.com/asha/sentiment",
        "https://cert.example/tf",
    }
    for link in external:
        assert set(link.get("rel", "").split()) == {"nofollow", "ugc", "noopener"}, link


def test_the_page_asks_not_to_be_indexed_unless_the_student_allows_it(client, student, done):
    turn_on(student, done["project"])
    response = client.get("/p/asha-verma/")
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert {"name": "robots", "content": "noindex, nofollow"} in parsed(response.text).metas

    turn_on(student, done["project"], searchable=True)
    response = client.get("/p/asha-verma/")
    assert "X-Robots-Tag" not in response
    assert not [m for m in parsed(response.text).metas if m.get("name") == "robots"]


def test_a_shared_link_has_a_title_and_summary(client, student, done):
    turn_on(student, done["project"], done["cert"], headline="Building NLP")
    metas = {
        m.get("property") or m.get("name"): m.get("content")
        for m in parsed(client.get("/p/asha-verma/").text).metas
    }
    assert metas["og:title"] == "Asha Verma: portfolio · Machine Learning Engineer"
    assert metas["og:description"] == (
        "Building NLP · 2 items of work, 1 verified by a mentor at their college."
    )
    assert metas["og:url"] == "http://testserver/p/asha-verma/"
    assert metas["og:type"] == "profile"
    assert metas["twitter:card"] == "summary"
    assert metas["twitter:title"] == metas["og:title"]


def test_the_page_is_never_cached_and_sets_no_cookie(client, student, done):
    turn_on(student, done["project"])
    response = client.get("/p/asha-verma/")
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies


def test_a_signed_in_stranger_sees_the_page_as_anyone_does(client, student, done):
    turn_on(student, done["project"])
    anonymous = client.get("/p/asha-verma/").text
    client.force_login(UserFactory(name="Ravi"))
    signed_in = client.get("/p/asha-verma/").text
    assert "Sentiment API" in signed_in
    assert "Preview" not in signed_in and "Change what it shows" not in signed_in
    assert anonymous.count("Sentiment API") == signed_in.count("Sentiment API")


# --- Gone at once: off, taken down, renamed, inactive; all alike to a stranger ----------


def without_csrf_token(html: bytes) -> bytes:
    """The page without what differs on every request: its CSRF token and script nonce."""
    return re.sub(rb'"X-CSRFToken": "[^"]*"|nonce="[^"]*"', b"", html)


def not_found_body(client, path="/p/no-such-student/"):
    """The 404 page for an unknown name, as it reads at ``path``."""
    body = client.get("/p/no-such-student/").content
    return without_csrf_token(body.replace(b"/p/no-such-student/", path.encode()))


def turn_off(student, done):
    turn_on(student, done["project"], is_public=False)


def take_down(student, done):
    Portfolio.objects.get(student=student).take_down()


def deactivate(student, done):
    student.is_active = False
    student.save()


def rename(student, done):
    turn_on(student, done["project"], name="asha-2027")


@pytest.mark.parametrize("hide", [turn_off, take_down, deactivate, rename])
def test_a_hidden_page_is_gone_at_once_and_looks_like_an_unknown_name(client, student, done, hide):
    turn_on(student, done["project"])
    assert client.get("/p/asha-verma/").status_code == 200
    hide(student, done)
    response = client.get("/p/asha-verma/")
    assert response.status_code == 404
    assert without_csrf_token(response.content) == not_found_body(client, "/p/asha-verma/")
    # Not even a proxy may keep the 404, or the page would stay hidden once back on.
    assert "no-store" in response["Cache-Control"]


def test_a_renamed_page_answers_only_at_its_new_address(client, student, done):
    turn_on(student, done["project"])
    turn_on(student, done["project"], name="asha-2027")
    assert client.get("/p/asha-verma/").status_code == 404
    assert client.get("/p/asha-2027/").status_code == 200


def test_a_page_taken_down_by_staff_is_gone_and_stays_off(client, student, done):
    turn_on(student, done["project"])
    Portfolio.objects.get(student=student).take_down("Fake certificate reported.")
    assert client.get("/p/asha-verma/").status_code == 404
    client.force_login(student)
    settings_page = client.get(SETTINGS).text
    assert "took your page down" in settings_page and "Fake certificate reported." in settings_page
    client.post(SETTINGS, form_data(name="asha-verma", headline="Still me"))
    assert client.get("/p/asha-verma/").status_code == 404
    portfolio = Portfolio.objects.get(student=student)
    assert (portfolio.headline, portfolio.is_public) == ("Still me", True)


def test_the_page_of_an_inactive_account_is_gone(client, student, done):
    turn_on(student, done["project"])
    student.is_active = False
    student.save()
    assert client.get("/p/asha-verma/").status_code == 404


def test_names_are_read_in_any_case(client, student, done):
    turn_on(student, done["project"])
    assert client.get("/p/Asha-Verma/").status_code == 200


@pytest.mark.parametrize(
    "path", ["/p/x/", "/p/" + "a" * 300 + "/", "/p/%E0%A4%86/", "/p/asha-verma%20/", "/p/..%2f/"]
)
def test_odd_names_are_not_found_never_an_error(client, student, done, path):
    turn_on(student, done["project"])
    assert client.get(path).status_code == 404


# --- The student's preview ---------------------------------------------------------------


def test_the_preview_is_the_students_alone_and_never_indexed(client, student, done):
    assert client.get("/portfolio/preview/").status_code == 302
    turn_on(student, done["project"], is_public=False)
    client.force_login(student)
    response = client.get("/portfolio/preview/")
    assert response.status_code == 200
    assert "It is off: nobody else can open it." in response.text
    assert "Sentiment API" in response.text
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    # Another student's preview is their own, empty page.
    client.force_login(UserFactory(name="Ravi"))
    assert "Sentiment API" not in client.get("/portfolio/preview/").text


# --- Cost ---------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 6])
def test_the_page_costs_the_same_queries_for_few_and_many_items(
    client, student, done, roadmap, django_assert_num_queries, extra
):
    chosen = [done["project"], done["cert"]]
    for n in range(extra):
        more = ItemFactory(milestone=done["project"].milestone, kind=Kind.PROJECT, title=f"P{n}")
        progress_set(student=student, item=more, status="done", evidence_url=f"https://x.dev/{n}")
        chosen.append(more)
    turn_on(student, *chosen)
    # 3 for the public-page limit (its counts read and added to, the old ones swept as a
    # window starts), 1 portfolio, 2 entries and their verifications, 1 roadmaps, 2 for
    # the roadmap's figures.
    with django_assert_num_queries(9):
        response = client.get("/p/asha-verma/")
    assert response.text.count('class="proof"') == 2 + extra


def test_the_export_holds_the_page_settings_and_verifications(client, student, done):
    turn_on(student, done["project"], headline="Building NLP")
    client.force_login(student)
    data = client.get(reverse("roadmap:export", args=["json"])).json()
    assert data["portfolio"]["name"] == "asha-verma"
    assert data["portfolio"]["items"] == ["Sentiment API"]
    [verification] = data["portfolio"]["verifications"]
    assert verification["cohort_name"] == "CSE 2027 — ML club"
    assert verification["mentor_name"] == "Dr. Meera Rao"


# --- Staff take a page down from the admin -------------------------------------------------


def takedown(client, student, action):
    portfolio = Portfolio.objects.get(student=student)
    return client.post(
        reverse("admin:roadmap_portfolio_changelist"),
        {"action": action, "_selected_action": [portfolio.pk]},
    )


def test_only_staff_take_a_page_down(client, student, done, staff_user):
    turn_on(student, done["project"])
    for who in [None, student, UserFactory(is_mentor=True)]:
        client.logout()
        if who:
            client.force_login(who)
        response = takedown(client, student, "take_down")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
        assert client.get("/p/asha-verma/").status_code == 200

    client.force_login(staff_user)
    assert takedown(client, student, "take_down").status_code == 302
    assert client.get("/p/asha-verma/").status_code == 404
    portfolio = Portfolio.objects.get(student=student)
    assert portfolio.taken_down_at and portfolio.is_public  # the student's choice is kept

    assert takedown(client, student, "restore").status_code == 302
    assert client.get("/p/asha-verma/").status_code == 200


def test_staff_who_may_only_view_pages_cannot_take_one_down(client, student, done):
    turn_on(student, done["project"])
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_portfolio"))
    client.force_login(viewer)
    assert client.get(reverse("admin:roadmap_portfolio_changelist")).status_code == 200
    takedown(client, student, "take_down")
    assert Portfolio.objects.get(student=student).taken_down_at is None
    assert client.get("/p/asha-verma/").status_code == 200
