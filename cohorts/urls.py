from django.urls import path

from . import review_views, roster_views, views

app_name = "cohorts"

urlpatterns = [
    path("", views.cohort_list, name="list"),
    path("new/", views.cohort_create, name="create"),
    path("join/<str:code>/", views.join, name="join"),
    path("<int:pk>/", views.cohort_dashboard, name="dashboard"),
    path("<int:pk>/grid/", views.cohort_grid, name="grid"),
    path("<int:pk>/export.csv", views.cohort_export, name="export"),
    path("<int:pk>/review/", review_views.review_queue, name="review_queue"),
    path("<int:pk>/review/<int:progress_pk>/", review_views.review, name="review"),
    path("<int:pk>/review/<int:progress_pk>/undo/", review_views.review_undo, name="review_undo"),
    path("<int:pk>/nudge/", views.nudge, name="nudge"),
    path("<int:pk>/students/<int:student_pk>/", views.cohort_student, name="student"),
    path("<int:pk>/students/<int:student_pk>/remove/", views.remove_student, name="remove_student"),
    path("<int:pk>/invite/", views.new_invite_code, name="new_invite_code"),
    path("<int:pk>/active/", views.set_active, name="set_active"),
    path("<int:pk>/roster/", roster_views.roster_upload, name="roster_upload"),
    path("<int:pk>/roster/confirm/", roster_views.roster_confirm, name="roster_confirm"),
]
