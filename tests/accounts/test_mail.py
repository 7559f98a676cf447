"""Password-reset mail: over real SMTP, on the development console, and with mail off."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.mail import send_mail
from django.test import Client
from django.urls import reverse

from accounts.mail import MailUnavailable
from tests.factories import NEW_PASSWORD, UserFactory
from tests.test_settings import deploy_check, start_django

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://testserver(/accounts/password/reset/[^\s/]+/[^\s/]+/)")


def test_reset_mail_over_smtp_is_limited_per_account_and_its_link_works(smtp_server, settings):
    user = UserFactory()
    for n in range(settings.WAYPOINT_RESET_MAILS_PER_ACCOUNT + 2):
        response = Client().post(
            reverse("account_reset_password"), {"email": user.email}, REMOTE_ADDR=f"10.1.0.{n}"
        )
        assert response["Location"] == reverse("account_reset_password_done")
    assert len(smtp_server.messages) == settings.WAYPOINT_RESET_MAILS_PER_ACCOUNT
    received = smtp_server.messages[-1]
    assert received["To"] == user.email
    body = received.get_body(("plain",)).get_content()
    client = Client()
    form_url = client.get(LINK.search(body)[1], follow=True).redirect_chain[-1][0]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert int(client.session[SESSION_KEY]) == user.pk
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_console_prints_the_reset_link_whole_so_it_can_be_copied(client, settings, capsys):
    settings.MAILERS = {"default": {"BACKEND": "accounts.mail.ReadableConsoleBackend"}}
    user = UserFactory(name="Ārya Ünal")  # non-ASCII text must not turn the mail into QP
    client.post(reverse("account_reset_password"), {"email": user.email})
    printed = capsys.readouterr().out
    assert "quoted-printable" not in printed and "=\n" not in printed
    assert "Hello Ārya Ünal," in printed
    link = LINK.search(printed)
    assert link, printed
    # A person copies the line as printed: the link opens the form to choose a password.
    response = client.get(link[1], follow=True)
    assert "Choose a new password" in response.text


def test_development_prints_mail_and_production_without_smtp_has_mail_off():
    code = "from django.conf import settings\nprint(settings.MAILERS['default']['BACKEND'])"
    development = start_django(code, DJANGO_DEBUG="1")
    assert development.stdout.split() == ["accounts.mail.ReadableConsoleBackend"]
    production = start_django(code, DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50)
    assert production.stdout.split() == ["accounts.mail.MailOffBackend"]
    with_smtp = start_django(
        code, DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50, DJANGO_EMAIL_HOST="smtp.example.org"
    )
    assert with_smtp.stdout.split() == ["django.core.mail.backends.smtp.EmailBackend"]


def test_deploy_check_without_smtp_names_mail_off_and_nothing_else():
    result = deploy_check()
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "accounts.W001" in output
    assert "mail.E001" not in output
    assert "1 issue" in output
    # Below the warning level, the same settings pass.
    passing = deploy_check("ERROR")
    assert passing.returncode == 0, passing.stdout + passing.stderr


def test_with_mail_off_the_reset_page_says_so_and_sends_nothing(client, settings):
    settings.MAIL_DELIVERS = False
    user = UserFactory()
    page = client.get(reverse("account_reset_password"))
    assert page.status_code == 200
    assert "does not send email" in page.text
    assert "<form" not in page.text
    posted = client.post(reverse("account_reset_password"), {"email": user.email})
    assert posted.status_code == 503
    assert mail.outbox == []


def test_with_mail_off_the_locked_page_points_to_an_admin_not_to_a_reset(settings):
    settings.MAIL_DELIVERS = False
    user = UserFactory()
    for _ in range(settings.WAYPOINT_GUESSES_PER_ACCOUNT + 1):
        response = Client().post(
            reverse("account_login"), {"login": user.email, "password": "wrong"}
        )
    assert response.status_code == 429
    assert "Ask your mentor or the college" in response.text
    assert reverse("account_reset_password") not in response.text


def test_mail_off_refuses_to_send_rather_than_drop_a_message(settings):
    settings.MAILERS = {"default": {"BACKEND": "accounts.mail.MailOffBackend"}}
    with pytest.raises(MailUnavailable):
        send_mail("Subject", "Body", None, ["someone@example.com"])
