"""Waypoint's own account pages, and addresses from before django-allauth.

Sign-up, sign-in, sign-out, verification and passwords are allauth's (config/urls.py
includes ``allauth.urls`` under /accounts/ after these); two of its views are wrapped
here at their own addresses, so their names stay allauth's."""

from django.urls import path, re_path, reverse_lazy
from django.views.generic import RedirectView

from . import views

app_name = "accounts"


def _moved_to(name: str):
    return RedirectView.as_view(url=reverse_lazy(name))


urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("delete/", views.delete_account, name="delete"),
    path("mail/", views.mail_preferences, name="mail"),
    path("mail/works-again/", views.mail_works_again, name="mail_works_again"),
    path("mail/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("calendar/", views.calendar_address, name="calendar"),
    # Bookmarks and mails from before: the same pages under allauth's addresses. A reset
    # link mailed before cannot be checked any more: it leads to asking for a new one.
    path("password/", _moved_to("account_change_password")),
    path("password/done/", _moved_to("account_change_password")),
    path("password/reset/sent/", _moved_to("account_reset_password_done")),
    path("password/reset/complete/", _moved_to("account_login")),
    path("password/reset/<str:uidb64>/<str:token>/", _moved_to("account_reset_password")),
]

# allauth's views as Waypoint runs them, at allauth's addresses and names.
allauth_overrides = [
    path("signup/", views.signup, name="account_signup"),
    path("login/", views.login, name="account_login"),
    path("password/change/", views.password_change, name="account_change_password"),
    path("password/reset/", views.password_reset, name="account_reset_password"),
    re_path(
        r"^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        views.password_reset_from_key,
        name="account_reset_password_from_key",
    ),
]
