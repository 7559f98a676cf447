from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from .forms import ResetSetPasswordForm, SignInForm
from .views import account, cohorts

app_name = "accounts"

urlpatterns = [
    path("signup/", account.signup, name="signup"),
    path(
        "login/",
        account.SignInView.as_view(
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
    path("password/", account.password_change, name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("password/reset/", account.password_reset, name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        account.ResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            form_class=ResetSetPasswordForm,
            # The mailbox's owner is signed in at once: an address that too many guesses
            # locked (a campus NAT, say) does not keep them out.
            post_reset_login=True,
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
