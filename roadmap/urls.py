from django.urls import path

from . import portfolio_views, views

app_name = "roadmap"

urlpatterns = [
    path("roadmaps/<slug:slug>/catch-up/", views.catch_up, name="catch_up"),
    path("roadmaps/<slug:slug>/catch-up/undo/", views.undo_catch_up, name="catch_up_undo"),
    path("roadmaps/<slug:slug>/", views.roadmap_detail, name="detail"),
    path("roadmaps/<slug:slug>/follow/", views.follow, name="follow"),
    path("roadmaps/<slug:slug>/checklist/", views.checklist, name="checklist"),
    path("roadmaps/<slug:slug>/dashboard/", views.dashboard, name="dashboard"),
    path("items/<int:pk>/", views.item, name="item"),
    path("items/<int:pk>/progress/", views.item_progress, name="item_progress"),
    path("welcome/", views.welcome, name="welcome"),
    path("me/export.<str:fmt>", views.export_my_data, name="export"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
    path("portfolio/", portfolio_views.portfolio_settings, name="portfolio_settings"),
    path("portfolio/preview/", portfolio_views.portfolio_preview, name="portfolio_preview"),
    path("p/<str:name>/", portfolio_views.portfolio_page, name="portfolio_page"),
    path("p/<str:name>/v/<str:token>/", portfolio_views.verification_page, name="verification"),
    path(
        "p/<str:name>/v/<str:token>/qr.svg",
        portfolio_views.verification_qr,
        name="verification_qr",
    ),
]
