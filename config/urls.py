from django.contrib import admin
from django.urls import include, path

from config.health import health
from roadmap import views as roadmap_views

admin.site.site_header = "Waypoint administration"
admin.site.site_title = "Waypoint admin"
admin.site.index_title = "Roadmaps, people and progress"

urlpatterns = [
    path("", roadmap_views.home, name="home"),
    path("health/", health, name="health"),
    path("", include("roadmap.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "config.http.bad_request"
handler403 = "config.http.permission_denied"
handler404 = "config.http.page_not_found"
handler500 = "config.http.server_error"
