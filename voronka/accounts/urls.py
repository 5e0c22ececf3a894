"""Sign-in pages. Names are global (``login``, ``logout``…) as Django's auth settings expect."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("lockouts/<int:attempt_id>/lift/", views.lockout_lift_view, name="lockout_lift"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("password_change_done"),
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
    # An invitation (Settings → Users → Invite): a one-time link to set the first password.
    path(
        "password/set/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_set.html",
            success_url=reverse_lazy("password_set_done"),
        ),
        name="password_set",
    ),
    path(
        "password/set/done/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_set_done.html"),
        name="password_set_done",
    ),
]
