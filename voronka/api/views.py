"""Settings pages of the API: personal tokens (every user) and webhooks (administrators)."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.core.errors import DomainError
from voronka.core.models import Organisation

from . import services
from .forms import TokenForm, WebhookEndpointForm
from .models import ApiToken, WebhookDelivery, WebhookEndpoint
from .webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER

NEW_TOKEN_SESSION_KEY = "api_new_token"
RECENT_DELIVERIES = 50


@login_required
def tokens(request):
    lifetime_days = Organisation.current().api_token_lifetime_days
    form = TokenForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        lifetime_days=lifetime_days,
    )
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.api_token_create(user=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            # Shown on the next page load only; the database keeps just the digest.
            request.session[NEW_TOKEN_SESSION_KEY] = issued.raw
            return redirect("api_tokens")
    status = 400 if request.method == "POST" else 200
    context = {
        "section": "api_tokens",
        "form": form,
        "lifetime_days": lifetime_days,
        "tokens": ApiToken.objects.filter(user=request.user),
        "new_token": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
    }
    return render(request, "api/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(token=token, user=request.user)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api_tokens")


def _admin(request) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
def webhooks(request):
    _admin(request)
    form = WebhookEndpointForm(request.POST or None, initial={"secret": secrets.token_urlsafe(24)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.webhook_endpoint_save(
                url=data["url"],
                secret=data["secret"],
                event_names=data["events"],
                description=data["description"],
                user=request.user,
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, _("The webhook endpoint is added."))
            return redirect("api_webhooks")
    deliveries = WebhookDelivery.objects.select_related("endpoint")[:RECENT_DELIVERIES]
    context = {
        "section": "api_webhooks",
        "form": form,
        "endpoints": WebhookEndpoint.objects.all(),
        "deliveries": deliveries,
        "signature_header": SIGNATURE_HEADER,
        "timestamp_header": TIMESTAMP_HEADER,
    }
    return render(request, "api/webhooks.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def webhook_toggle(request, pk):
    _admin(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    services.webhook_endpoint_save(
        url=endpoint.url,
        secret=endpoint.secret,
        event_names=endpoint.events,
        description=endpoint.description,
        is_active=not endpoint.is_active,
        user=request.user,
        endpoint=endpoint,
    )
    return redirect("api_webhooks")


@login_required
@require_POST
def webhook_delete(request, pk):
    _admin(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    services.webhook_endpoint_delete(endpoint=endpoint, user=request.user)
    messages.success(request, _("The webhook endpoint is deleted."))
    return redirect("api_webhooks")
