"""Sign-in with a throttle: five failed attempts per username and address lock it for a while."""

from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.utils.translation import gettext as _

from .forms import LoginForm

MAX_FAILED_LOGINS = 5
LOCKOUT_SECONDS = 15 * 60


def _client_address(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def failed_login_key(username: str, address: str) -> str:
    return f"login-failures:{username.strip().lower()[:150]}:{address}"


class ThrottledLoginView(auth_views.LoginView):
    """Django's login view; after `MAX_FAILED_LOGINS` failures within 15 minutes it answers 429."""

    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        key = failed_login_key(request.POST.get("username", ""), _client_address(request))
        if cache.get(key, 0) >= MAX_FAILED_LOGINS:
            # An unbound form: validating it would try the password once more.
            form = self.form_class(request, initial={"username": request.POST.get("username", "")})
            context = self.get_context_data(form=form, throttled=True)
            context["throttle_message"] = _(
                "Too many failed sign-in attempts. Wait 15 minutes and try again."
            )
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        key = failed_login_key(self.request.POST.get("username", ""), _client_address(self.request))
        # add() starts the 15-minute window on the first failure; incr() never extends it.
        if not cache.add(key, 1, LOCKOUT_SECONDS):
            try:
                cache.incr(key)
            except ValueError:
                cache.add(key, 1, LOCKOUT_SECONDS)
        return super().form_invalid(form)

    def form_valid(self, form):
        cache.delete(
            failed_login_key(form.get_user().get_username(), _client_address(self.request))
        )
        return super().form_valid(form)
