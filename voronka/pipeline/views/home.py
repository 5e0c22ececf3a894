"""The home page: what needs attention today (my tasks due, my rotting deals, my open pipeline
by stage; heads also see their department). It lives with the pipeline it summarises."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from voronka.accounts.visibility import owner_filter, visible_activities, visible_deals
from voronka.core.formatting import currency_symbol
from voronka.core.models import Organisation
from voronka.pipeline.filters import rotting_q
from voronka.pipeline.models import DealStatus, Pipeline, Stage
from voronka.pipeline.probability import effective_probability

# The home page lists at most this many rows per block; the counts above them are exact.
LIST_LIMIT = 12


def _end_of_today() -> datetime:
    today = timezone.localdate()
    return datetime.combine(
        today + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )


def _start_of_today() -> datetime:
    return datetime.combine(timezone.localdate(), time.min, tzinfo=timezone.get_current_timezone())


def tasks_due(activities: QuerySet) -> tuple[list, int, int]:
    """Open activities due today or earlier: (first rows, total, overdue), in one query for rows
    and one for both counts."""
    due = activities.filter(done_at__isnull=True, due_at__lt=_end_of_today())
    counts = due.aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=_start_of_today()))
    )
    rows = list(
        due.select_related("deal", "owner", "contact").order_by("due_at", "pk")[:LIST_LIMIT]
    )
    return rows, counts["total"], counts["overdue"]


def rotting_deals(deals: QuerySet, condition: Q) -> tuple[list, int]:
    """Open deals idle in their stage beyond its rotting days, the longest idle first."""
    rotting = deals.filter(condition)
    rows = list(
        rotting.select_related("stage", "company", "owner").order_by("stage_entered_at", "pk")[
            : LIST_LIMIT + 1
        ]
    )
    for deal in rows:
        deal.home_days = deal.days_in_stage
        deal.home_overdue_by = deal.home_days - (deal.stage.rotting_days or 0)
    total = len(rows) if len(rows) <= LIST_LIMIT else rotting.count()
    return rows[:LIST_LIMIT], total


def pipeline_by_stage(stages: list[Stage], deals: QuerySet) -> tuple[list[dict], dict]:
    """Open deals per stage of the chosen pipeline (count, amount, weighted) in one query.

    Owner, status and stage sit in WHERE, so the database reads only those deals through an
    index instead of aggregating every deal with per-stage FILTER clauses."""
    if not stages:
        return [], {"count": 0, "amount": Decimal(0), "weighted": Decimal(0)}
    probability = effective_probability()
    figures = {
        figure["stage_id"]: figure
        for figure in deals.filter(status=DealStatus.OPEN, stage__in=[stage.pk for stage in stages])
        .order_by()
        .values("stage_id")
        .annotate(
            open_count=Count("pk"),
            open_amount=Sum("amount"),
            open_weighted=Sum(
                Cast(F("amount"), FloatField()) * probability, output_field=FloatField()
            ),
        )
    }
    result = []
    for stage in stages:
        figure = figures.get(stage.pk, {})
        result.append(
            {
                "stage": {
                    "pk": stage.pk,
                    "name": stage.name,
                    "order": stage.order,
                    "color": stage.color,
                },
                "count": figure.get("open_count", 0),
                "amount": figure.get("open_amount") or Decimal(0),
                "weighted": Decimal(str(round(figure.get("open_weighted") or 0, 2))),
            }
        )
    biggest = max((row["amount"] for row in result), default=Decimal(0)) or Decimal(1)
    for row in result:
        row["share"] = int(row["amount"] * 100 / biggest)
    totals = {
        "count": sum(row["count"] for row in result),
        "amount": sum((row["amount"] for row in result), Decimal(0)),
        "weighted": sum((row["weighted"] for row in result), Decimal(0)),
    }
    return result, totals


def _block(user, *, activities, deals, stages, rotting) -> dict:
    tasks, task_total, overdue_total = tasks_due(activities)
    rotting_rows, rotting_total = rotting_deals(deals, rotting)
    by_stage, totals = pipeline_by_stage(stages, deals)
    return {
        "tasks": tasks,
        "task_total": task_total,
        "overdue_total": overdue_total,
        "rotting": rotting_rows,
        "rotting_total": rotting_total,
        "by_stage": by_stage,
        "totals": totals,
    }


@login_required
@require_GET
def home(request):
    """My tasks due today and overdue, my rotting deals, my open pipeline by stage; heads also see
    the same for their department. A fixed number of queries whatever the data."""
    user = request.user
    pipelines = list(Pipeline.objects.filter(is_active=True).order_by("-is_default", "order"))
    if not pipelines and user.is_admin:
        # An empty install: the first admin is led to set it up rather than shown zeros.
        return redirect("administration:start")
    pipeline = pipelines[0] if pipelines else None
    if request.GET.get("pipeline"):
        # ?pipeline= picks another pipeline for the by-stage table; the default comes first.
        try:
            chosen = int(request.GET["pipeline"])
        except ValueError:
            return HttpResponseBadRequest(
                _("The pipeline must be a number."), content_type="text/plain; charset=utf-8"
            )
        pipeline = next((item for item in pipelines if item.pk == chosen), None)
        if pipeline is None:
            raise Http404(_("No such pipeline."))
    stages = list(pipeline.stages.order_by("order")) if pipeline else []
    rotting = rotting_q()
    mine = _block(
        user,
        activities=visible_activities(user).filter(owner=user),
        deals=visible_deals(user).filter(owner=user),
        stages=stages,
        rotting=rotting,
    )
    team = None
    if user.is_head and user.department_id is not None:
        # The head's whole scope: the department and every sub-department (office → teams).
        # A head sees exactly the deals of the scope's members, so the visible deals are the
        # team's; activities are narrowed to the members' own by the same owner rule (a
        # subquery on the few users, not a join to users on every row).
        team = _block(
            user,
            activities=visible_activities(user).filter(owner_filter(user)),
            deals=visible_deals(user),
            stages=stages,
            rotting=rotting,
        )
    organisation = Organisation.current()
    request.organisation = organisation  # the header's context processor reuses it
    return render(
        request,
        "core/home.html",
        {
            "pipeline": pipeline,
            "pipelines": pipelines,
            "mine": mine,
            "team": team,
            "now": timezone.now(),
            "currency_symbol": currency_symbol(organisation.currency),
        },
    )
