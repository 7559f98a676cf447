"""How mail leaves Waypoint when there is no SMTP relay (config/settings.py, "Mail")."""

from django.conf import settings
from django.core import checks
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend


class ReadableConsoleBackend(ConsoleBackend):
    """Development (DEBUG on, no SMTP): each mail printed to the console as a person reads
    it: its headers, then each text part decoded. Django's console backend prints the
    wire format, where a long line (the password-reset link) is cut by quoted-printable
    soft breaks, or all of it is base64, and cannot be copied."""

    def write_message(self, message):
        msg = message.message()
        for name, value in msg.items():
            if not name.lower().startswith(("content-", "mime-")):
                self.stream.write(f"{name}: {value}\n")
        for part in msg.walk():
            if part.get_content_maintype() == "text" and not part.is_attachment():
                self.stream.write(f"\n[{part.get_content_type()}]\n{part.get_content()}")
        self.stream.write("-" * 79 + "\n")


class MailUnavailable(RuntimeError):
    pass


class MailOffBackend(BaseEmailBackend):
    """Production without SMTP: mail is off. Every page that would send mail checks
    ``settings.MAIL_DELIVERS`` first and says so; a send that gets here anyway fails
    loudly rather than vanishing.

    Raises MailUnavailable on any attempt to send."""

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        raise MailUnavailable("Mail is off: DJANGO_EMAIL_HOST is not set (docs/deploy.md, 'Mail').")


@checks.register(checks.Tags.mail)
def check_links_in_mail(app_configs, **kwargs):
    """accounts.E002 at every start (migrate, the worker, the scheduler) when mail is on
    but WAYPOINT_BASE_URL is not set: every link in a digest or notification would be
    broken."""
    if not settings.MAIL_DELIVERS or settings.WAYPOINT_BASE_URL.startswith(("https://", "http://")):
        return []
    return [
        checks.Error(
            "WAYPOINT_BASE_URL is not set (or not an http(s) address): mail is on, and the "
            "links in digests, notifications and the calendar feed need the address people "
            "open Waypoint at.",
            hint="Set WAYPOINT_BASE_URL, e.g. https://waypoint.example.org (docs/deploy.md).",
            id="accounts.E002",
        )
    ]


@checks.register(checks.Tags.mail, deploy=True)
def check_mail_delivers(app_configs, **kwargs):
    """accounts.W001 when production runs without SMTP: password reset by email, email
    verification, digests and notifications are off."""
    if settings.MAIL_DELIVERS:
        return []
    return [
        checks.Warning(
            "DJANGO_EMAIL_HOST is not set: mail is off, so nobody can reset a forgotten "
            "password by email (the reset pages say to ask an admin), email addresses "
            "are not verified at sign-up (WAYPOINT_EMAIL_VERIFICATION=none), and no digest, "
            "review notification or nudge is sent (none is queued either).",
            hint="Set DJANGO_EMAIL_HOST (and DJANGO_EMAIL_PORT, DJANGO_EMAIL_USER, "
            "DJANGO_EMAIL_PASSWORD) to an SMTP relay; see docs/deploy.md.",
            id="accounts.W001",
        )
    ]
