"""Sign-in and the "Sign-in lockouts" settings page.

The failure limit itself is django-axes' (see `lockouts.py`): it guards `authenticate()`, so this
login page and the Django admin's share one count per username and client address.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.core.errors import DomainError
from voronka.core.form_pages import admin_required

from .forms import LoginForm
from .lockouts import lockout_lift, sign_in_lockouts


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True


@admin_required
def lockouts(request):
    return render(
        request,
        "accounts/lockouts.html",
        {"section": "lockouts", "lockouts": sign_in_lockouts()},
    )


@admin_required
@require_POST
def lockout_lift_view(request, attempt_id: int):
    try:
        lifted = lockout_lift(actor=request.user, attempt_id=attempt_id)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("lockouts")
    messages.success(
        request,
        _("The lockout of %(username)s from %(address)s is lifted.")
        % {"username": lifted.username, "address": lifted.ip_address},
    )
    return redirect("lockouts")
