from django.contrib import admin
from django.urls import include, path

from accounts import urls as accounts_urls
from cohorts import views as cohorts_views
from config.health import health
from config.http import moved
from roadmap import views as roadmap_views

admin.site.site_header = "Waypoint administration"
admin.site.site_title = "Waypoint admin"
admin.site.index_title = "Roadmaps, people and progress"

urlpatterns = [
    path("", roadmap_views.home, name="home"),
    path("health/", health, name="health"),
    path("dashboard/", cohorts_views.start, name="start"),
    path("", include("roadmap.urls")),
    path("cohorts/", include("cohorts.urls")),
    # Invite links and bookmarks from before cohorts had their own app.
    path("accounts/join/<path:rest>", moved("/cohorts/join/")),
    path("accounts/cohorts/<path:rest>", moved("/cohorts/")),
    path("accounts/cohorts/", moved("/cohorts/")),
    path("accounts/", include(accounts_urls.allauth_overrides)),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "config.http.bad_request"
handler403 = "config.http.permission_denied"
handler404 = "config.http.page_not_found"
handler500 = "config.http.server_error"
# allauth's own limits answer with this (config/settings.py, ACCOUNT_RATE_LIMITS).
handler429 = "accounts.views.too_many_requests"
