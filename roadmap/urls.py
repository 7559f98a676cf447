from django.urls import path

from . import views

app_name = "roadmap"

urlpatterns = [
    path("<slug:slug>/", views.roadmap_detail, name="detail"),
]
