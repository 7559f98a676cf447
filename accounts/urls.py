from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from .forms import SignInForm
from .views import account, cohorts

app_name = "accounts"

urlpatterns = [
    path("signup/", account.signup, name="signup"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            authentication_form=SignInForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", account.profile, name="profile"),
    path("delete/", account.delete_account, name="delete"),
    path("join/<str:code>/", cohorts.join, name="join"),
    path("cohorts/", cohorts.cohort_list, name="cohorts"),
    path("cohorts/new/", cohorts.cohort_create, name="cohort_create"),
    path("cohorts/<int:pk>/", cohorts.cohort_dashboard, name="cohort"),
    path("cohorts/<int:pk>/grid/", cohorts.cohort_grid, name="cohort_grid"),
    path("cohorts/<int:pk>/export.csv", cohorts.cohort_export, name="cohort_export"),
    path("cohorts/<int:pk>/review/", cohorts.cohort_review, name="cohort_review"),
    path("cohorts/<int:pk>/review/<int:progress_pk>/", cohorts.review, name="review"),
    path(
        "cohorts/<int:pk>/students/<int:student_pk>/",
        cohorts.cohort_student,
        name="cohort_student",
    ),
    path(
        "cohorts/<int:pk>/students/<int:student_pk>/remove/",
        cohorts.remove_student,
        name="remove_student",
    ),
    path("cohorts/<int:pk>/invite/", cohorts.regenerate_code, name="regenerate_code"),
    path("cohorts/<int:pk>/active/", cohorts.set_active, name="set_active"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("accounts:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/email/password_reset.txt",
            subject_template_name="accounts/email/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
