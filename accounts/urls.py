from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import two_factor_views, views
from accounts.forms import LoginForm, QueuedPasswordResetForm
from portal.ratelimit import ratelimit


def _reset_email(request):
    email = request.POST.get("email", "").strip().lower()
    return f"email:{email}" if email else None


# Per address against bulk abuse, per email so nobody is flooded with reset mail.
password_reset = ratelimit(
    key=_reset_email,
    rate="RATELIMIT_PASSWORD_RESET_PER_EMAIL",
    name="password-reset-email",
    message="Too many reset links were asked for this email address.",
)(
    auth_views.PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        form_class=QueuedPasswordResetForm,
        email_template_name="emails/password_reset_body.txt",
        html_email_template_name="emails/password_reset_body.html",
        subject_template_name="emails/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password_reset_done"),
    )
)
password_reset = ratelimit(
    key="ip",
    rate="RATELIMIT_PASSWORD_RESET_PER_ADDRESS",
    name="password-reset-address",
    message="Too many password resets were asked for from your network.",
)(password_reset)

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("signup/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            redirect_authenticated_user=True,
            authentication_form=LoginForm,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("password/reset/", password_reset, name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="accounts/password_reset_done.html"
        ),
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
    path("2fa/", two_factor_views.verify, name="2fa_verify"),
    path("2fa/setup/", two_factor_views.setup, name="2fa_setup"),
    path("verify/", views.verify_email, name="verify_email"),
    path("verify/resend/", views.verify_email_resend, name="verify_email_resend"),
    path(
        "verify/<uidb64>/<token>/",
        views.verify_email_confirm,
        name="verify_email_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
