"""Asking a customer for feedback, the public answer page, and the list heads read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Avg, Count, Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from voronka.accounts.visibility import visible_deals, visible_feedback
from voronka.core.errors import DomainError
from voronka.core.models import Organisation
from voronka.emails.views import deal_url

from . import services
from .forms import FeedbackAnswerForm, FeedbackRequestForm
from .models import Feedback


@login_required
def request_feedback(request, deal_pk):
    """GET shows the form; POST creates the link (and emails it when a contact is chosen)."""
    deal = get_object_or_404(visible_deals(request.user).select_related("company"), pk=deal_pk)
    if not services.can_request_feedback(request.user, deal):
        raise PermissionDenied
    form = FeedbackRequestForm(request.POST if request.method == "POST" else None, deal=deal)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            contact = form.cleaned_data["contact"]
            try:
                feedback = services.feedback_request(
                    deal=deal,
                    requested_by=request.user,
                    contact=contact,
                    link_for=lambda token: request.build_absolute_uri(
                        reverse("feedback:public", args=[token])
                    ),
                )
            except DomainError as error:
                form.add_error(
                    error.field if error.field in form.fields else None, str(error.message)
                )
            else:
                if contact is not None:
                    messages.success(
                        request, _("The link is emailed to %(email)s.") % {"email": contact.email}
                    )
                link = request.build_absolute_uri(reverse("feedback:public", args=[feedback.token]))
                return render(
                    request,
                    "feedback/requested.html",
                    {"deal": deal, "feedback": feedback, "link": link, "deal_url": deal_url(deal)},
                )
        status = 400
    return render(
        request,
        "feedback/request.html",
        {"deal": deal, "form": form, "deal_url": deal_url(deal)},
        status=status,
    )


def public(request, token):
    """The customer's page, in the organisation's language rather than whatever the visitor's
    browser asks for: the customer reads the same language as the rest of the correspondence."""
    language = Organisation.current().language
    with translation.override(language):
        response = _public_page(request, token)
    response["Content-Language"] = language
    return response


def _public_page(request, token):
    """No sign-in, the token is the key. One answer per link."""
    feedback = get_object_or_404(Feedback.objects.select_related("deal"), token=token)
    context = {"feedback": feedback, "deal": feedback.deal}
    if feedback.submitted_at is not None:
        status = 409 if request.method == "POST" else 200
        return render(
            request, "feedback/public_done.html", {**context, "already": True}, status=status
        )
    # Bound on every POST, even an empty one, so a missing score gets its message.
    form = FeedbackAnswerForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.feedback_submit(feedback=feedback, **form.cleaned_data)
            except services.FeedbackAlreadyGiven:
                return render(
                    request, "feedback/public_done.html", {**context, "already": True}, status=409
                )
            except DomainError as error:
                form.add_error(
                    error.field if error.field in form.fields else None, str(error.message)
                )
            else:
                return render(request, "feedback/public_done.html", {**context, "already": False})
        status = 400
    return render(request, "feedback/public.html", {**context, "form": form}, status=status)


@login_required
def feedback_list(request):
    """Answers (and open requests) on the deals a head or admin can see."""
    if not request.user.can_manage_team:
        raise PermissionDenied
    rows = visible_feedback(request.user)
    summary = rows.aggregate(
        answered=Count("pk", filter=Q(submitted_at__isnull=False)),
        waiting=Count("pk", filter=Q(submitted_at__isnull=True)),
        average=Avg("score"),
        promoters=Count("pk", filter=Q(score__gte=9)),
        detractors=Count("pk", filter=Q(score__lte=6)),
    )
    if summary["answered"]:
        summary["nps"] = round(
            100 * (summary["promoters"] - summary["detractors"]) / summary["answered"]
        )
    show = request.GET.get("show", "answered")
    if show == "answered":
        rows = rows.filter(submitted_at__isnull=False).order_by("-submitted_at", "-pk")
    else:
        show = "all"
        rows = rows.order_by("-requested_at", "-pk")
    page = Paginator(rows.select_related("deal", "deal__owner", "deal__company"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "feedback/list.html",
        {"section": "feedback", "page": page, "summary": summary, "show": show},
    )
