"""Activity pages: my tasks (today / overdue / upcoming / done), logging from a deal or a contact.

Reads start from the visibility helpers; writes go through `activities.services`. Answers to the
deal card re-render the card through `pipeline.views.deal.render_deal_card`.
"""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.accounts.visibility import (
    visible_activities,
    visible_contacts,
    visible_users,
)
from voronka.core.errors import DomainError
from voronka.core.redirects import safe_next_url
from voronka.pipeline.views.deal import (
    card_success,
    form_error_message,
    get_visible_deal,
    render_deal_card,
)

from . import services
from .filters import ActivityFilterSet
from .forms import ActivityForm, DealActivityForm, TaskFilterForm
from .models import ActivityKind

TABS = (
    ("today", gettext_lazy("Today")),
    ("overdue", gettext_lazy("Overdue")),
    ("upcoming", gettext_lazy("Upcoming")),
    ("done", gettext_lazy("Done")),
)
PAGE_SIZE = 50


def _tab_filters(now):
    start_today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start_tomorrow = start_today + timedelta(days=1)
    open_ = Q(done_at__isnull=True)
    scheduled = Q(due_at__isnull=False) | Q(kind=ActivityKind.TASK)
    return {
        "today": open_ & Q(due_at__gte=start_today, due_at__lt=start_tomorrow),
        "overdue": open_ & Q(due_at__lt=start_today),
        "upcoming": open_ & (Q(due_at__gte=start_tomorrow) | Q(due_at__isnull=True)),
        "done": Q(done_at__isnull=False) & scheduled,
    }


@login_required
@require_GET
def my_tasks(request):
    user = request.user
    tab = request.GET.get("tab", "today")
    if tab not in dict(TABS):
        tab = "today"
    owners = list(visible_users(user).order_by("last_name", "first_name"))
    filters = TaskFilterForm(request.GET or None, owners=owners, user=user)
    activities = visible_activities(user)
    kind, owner = "", ""
    if filters.is_bound and filters.is_valid():
        kind, owner = filters.cleaned_data["kind"], filters.cleaned_data["owner"]
    # The shared ActivityFilterSet (as the API's list); "Everyone I can see" and "Me" are
    # this page's own scopes.
    if owner == "all":
        activities = activities.filter(owner__in=visible_users(user).values("pk"))
    activities = ActivityFilterSet(
        {"kind": kind, "owner": "" if owner == "all" else owner or user.pk}, queryset=activities
    ).qs
    tab_filters = _tab_filters(timezone.now())
    counts = activities.aggregate(
        **{name: Count("pk", filter=condition) for name, condition in tab_filters.items()}
    )
    rows = activities.filter(tab_filters[tab]).select_related("deal", "contact", "company", "owner")
    rows = rows.order_by("-done_at", "-pk") if tab == "done" else rows.order_by("due_at", "pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("tab", None)
    context = {
        "tabs": [(name, label, counts[name]) for name, label in TABS],
        "tab": tab,
        "page": page,
        "filters": filters,
        "show_owner_filter": len(owners) > 1,
        "query": query.urlencode(),
        "can_edit": user.can_edit,
        "now": timezone.now(),
    }
    return render(request, "activities/my_tasks.html", context)


def _respond_after_toggle(request, activity):
    if request.POST.get("from") == "deal" and activity.deal_id:
        return card_success(request, activity.deal_id)
    next_url = safe_next_url(request, request.POST.get("next"), fallback="")
    if request.htmx:
        # The row keeps the list's address for a later post without htmx.
        context = {"activity": activity, "can_edit": True, "now": timezone.now()}
        context["next_url"] = next_url or reverse("activities:my_tasks")
        return render(request, "activities/partials/task_row.html", context)
    return redirect(next_url or "activities:my_tasks")


def _toggle(request, pk, service):
    activity = get_object_or_404(
        visible_activities(request.user).select_related("deal", "contact", "owner"), pk=pk
    )
    if not request.user.can_edit:
        raise PermissionDenied
    service(activity=activity)
    return _respond_after_toggle(request, activity)


@login_required
@require_POST
def activity_done(request, pk):
    return _toggle(request, pk, services.activity_complete)


@login_required
@require_POST
def activity_undo(request, pk):
    return _toggle(request, pk, services.activity_reopen)


@login_required
@require_POST
def deal_activity_create(request, deal_pk):
    """Log a call/meeting/email/note or schedule a task from the deal card."""
    deal = get_visible_deal(request.user, deal_pk)
    if not request.user.can_edit:
        raise PermissionDenied
    form = DealActivityForm(request.POST, deal=deal)
    if not form.is_valid():
        return render_deal_card(
            request, deal, status=400, error=form_error_message(form), section="activity"
        )
    data = form.cleaned_data
    try:
        services.activity_log(
            kind=data["kind"],
            subject=data["subject"],
            body=data["body"],
            due_at=data["due_at"],
            owner=request.user,
            deal=deal,
            contact=data["contact"],
        )
    except DomainError as error:
        return render_deal_card(
            request, deal, status=error.status, error=error.message, section="activity"
        )
    return card_success(request, deal.pk)


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request):
    """A full page to log an activity or schedule a task, optionally for a deal (?deal=pk)."""
    return _activity_form_page(request, contact=None)


@login_required
@require_http_methods(["GET", "POST"])
def contact_activity_create(request, contact_pk):
    """Log an activity for a contact; an htmx post gets the new timeline item back (201)."""
    contact = get_object_or_404(
        visible_contacts(request.user).select_related("company"), pk=contact_pk
    )
    return _activity_form_page(request, contact=contact)


def _activity_form_page(request, *, contact):
    user = request.user
    if request.method == "POST" and not user.can_edit:
        raise PermissionDenied
    deal = None
    deal_pk = request.GET.get("deal") or request.POST.get("deal")
    if deal_pk and str(deal_pk).isdigit():
        deal = get_visible_deal(user, int(deal_pk))
    form = ActivityForm(request.POST or None, initial={"kind": ActivityKind.TASK})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                activity = services.activity_log(
                    kind=data["kind"],
                    subject=data["subject"],
                    body=data["body"],
                    due_at=data["due_at"],
                    owner=user,
                    deal=deal,
                    contact=contact,
                    company=contact.company if contact else None,
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.status
            else:
                if request.htmx:
                    return render(
                        request,
                        "activities/partials/activity_item.html",
                        {"activity": activity},
                        status=201,
                    )
                if deal:
                    return redirect("pipeline:deal_detail", pk=deal.pk)
                if contact:
                    return redirect(f"/contacts/{contact.pk}/")
                return redirect("activities:my_tasks")
        else:
            status = 400
    context = {"form": form, "deal": deal, "contact": contact}
    return render(request, "activities/activity_form.html", context, status=status)
