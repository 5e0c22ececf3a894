"""The filter every analytics figure takes: a pipeline, a cohort period and optional dimensions.

The cohort is the set of deals whose ``first_contact_at`` falls in ``[date_from, date_to]`` (both
days inclusive, in the site's time zone). Every figure is a plain function
``(AnalyticsFilter, user) -> data`` so pages, API and the CLI share them; ``deals(user)`` always
starts from ``visible_deals(user)``, so row-level visibility cannot be forgotten.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.departments import (
    department_choice_label,
    department_scope_ids,
    department_tree,
)
from voronka.accounts.models import Department, User
from voronka.accounts.visibility import head_department_ids, visible_deals, visible_users
from voronka.catalog.models import Product
from voronka.core.control_characters import ControlCharacterGuard
from voronka.crm.models import CustomerType, LeadSource
from voronka.pipeline.models import Deal, DealLineItem, Pipeline, Stage, StageVisit

from .grouping import group_by_choices

DEFAULT_PERIOD_DAYS = 365


def date_widget() -> forms.DateInput:
    """<input type="date"> only accepts ISO dates, whatever the page's language."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def day_start(day: date) -> datetime:
    """The first moment of ``day`` in the current time zone (aware)."""
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class AnalyticsFilter:
    pipeline: Pipeline
    date_from: date  # cohort period: deals whose first_contact_at falls in [date_from, date_to]
    date_to: date
    department_id: int | None = None
    owner_id: int | None = None
    lead_source_id: int | None = None
    product_id: int | None = None
    customer_type: str = ""
    group_by: str = ""  # a dimension of voronka.analytics.grouping; it does not filter deals

    @property
    def start(self) -> datetime:
        return day_start(self.date_from)

    @property
    def end(self) -> datetime:
        """Exclusive upper bound: the start of the day after ``date_to``."""
        return day_start(self.date_to + timedelta(days=1))

    def deals(self, user) -> QuerySet[Deal]:
        """Deals the user may see that belong to the pipeline, the period and the dimensions."""
        return self.deals_of_any_period(user).filter(
            first_contact_at__gte=self.start, first_contact_at__lt=self.end
        )

    def deals_of_any_period(self, user) -> QuerySet[Deal]:
        """The same deals whatever their first contact (today's pipeline, every win).

        No open-ended date range instead: SQLite would take it for a reason to read an index
        by first contact and sort the rows, rather than one already in the order asked for.
        """
        deals = visible_deals(user).filter(pipeline_id=self.pipeline.pk)
        if self.department_id is not None:
            # A department includes its sub-departments (an office its teams).
            deals = deals.filter(owner__department_id__in=department_scope_ids(self.department_id))
        if self.owner_id is not None:
            deals = deals.filter(owner_id=self.owner_id)
        if self.lead_source_id is not None:
            deals = deals.filter(lead_source_id=self.lead_source_id)
        if self.product_id is not None:
            # EXISTS, not a join: a deal with two lines of the product is still one deal.
            deals = deals.filter(
                Exists(
                    DealLineItem.objects.filter(deal_id=OuterRef("pk"), product_id=self.product_id)
                )
            )
        if self.customer_type:
            deals = deals.filter(company__customer_type=self.customer_type)
        return deals

    def visits(self, user) -> QuerySet[StageVisit]:
        """Stage visits of the filtered deals (only visits in this pipeline)."""
        return StageVisit.objects.filter(
            pipeline_id=self.pipeline.pk, deal__in=self.deals(user).values("pk")
        )

    def previous_period(self) -> AnalyticsFilter:
        """The same filter over the period of the same length that ends the day before."""
        length = self.date_to - self.date_from
        new_to = self.date_from - timedelta(days=1)
        return replace(self, date_from=new_to - length, date_to=new_to)

    def stages(self) -> list[Stage]:
        return list(self.pipeline.stages.order_by("order"))

    def as_query(self) -> dict[str, str]:
        """GET parameters that reproduce this filter (for links and export buttons)."""
        params = {
            "pipeline": str(self.pipeline.pk),
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
        }
        for key, value in (
            ("department", self.department_id),
            ("owner", self.owner_id),
            ("source", self.lead_source_id),
            ("product", self.product_id),
        ):
            if value is not None:
                params[key] = str(value)
        if self.customer_type:
            params["customer_type"] = self.customer_type
        if self.group_by:
            params["group_by"] = self.group_by
        return params


def default_pipeline() -> Pipeline | None:
    return (
        Pipeline.objects.filter(is_default=True).first()
        or Pipeline.objects.filter(is_active=True).order_by("order", "name").first()
        or Pipeline.objects.order_by("order", "name").first()
    )


def default_period(
    today: date | None = None, *, user: User | None = None, pipeline: Pipeline | None = None
) -> tuple[date, date]:
    """The period a page opens on: the last 12 months up to and including today.

    Given a user and a pipeline, the latest 12 months that hold the user's visible deals there
    instead (``history_period``), so an imported 2016–2017 history never opens on an empty page.
    """
    today = today or timezone.localdate()
    if user is not None and pipeline is not None:
        period = history_period(user, pipeline, today=today)
        if period is not None:
            return period
    return today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today


def history_period(user: User, pipeline: Pipeline, *, today: date | None = None):
    """The latest 12 months holding a visible deal's first contact in the pipeline, or None.

    It ends today when such a deal came in during the last 12 months, otherwise on the day of
    the latest first contact (a history imported from an old system ends years ago).
    """
    today = today or timezone.localdate()
    # The newest row, not MAX(): PostgreSQL reads the first_contact_at index backwards and
    # stops at the first visible deal (MAX over a head's deals scanned them all: 0.2 s at 1M).
    latest = (
        visible_deals(user)
        .filter(pipeline_id=pipeline.pk)
        .order_by("-first_contact_at")
        .values_list("first_contact_at", flat=True)
        .first()
    )
    if latest is None:
        return None
    period_from = today - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    end = timezone.localtime(latest).date()
    if end >= period_from:
        end = today
    return end - timedelta(days=DEFAULT_PERIOD_DAYS - 1), end


def empty_period_offer(analytics_filter: AnalyticsFilter, user: User) -> AnalyticsFilter | None:
    """When the chosen period holds no deal but the history does, the filter to offer instead."""
    if analytics_filter.deals(user).exists():
        return None
    period = history_period(user, analytics_filter.pipeline)
    if period is None or period == (analytics_filter.date_from, analytics_filter.date_to):
        return None
    return replace(analytics_filter, date_from=period[0], date_to=period[1])


class AnalyticsFilterForm(ControlCharacterGuard, forms.Form):
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"), queryset=Pipeline.objects.none(), required=False, empty_label=None
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=date_widget())
    date_to = forms.DateField(label=_("To"), required=False, widget=date_widget())
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("All departments"),
    )
    owner = forms.ModelChoiceField(
        label=_("Manager"), queryset=User.objects.none(), required=False, empty_label=_("All")
    )
    source = forms.ModelChoiceField(
        label=_("Lead source"),
        queryset=LeadSource.objects.none(),
        required=False,
        empty_label=_("All sources"),
    )
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        empty_label=_("All products"),
    )
    customer_type = forms.ChoiceField(
        label=_("Customer type"),
        choices=[("", _("All types"))] + list(CustomerType.choices),
        required=False,
    )
    group_by = forms.ChoiceField(label=_("Group by"), choices=[], required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].queryset = Pipeline.objects.order_by("order", "name")
        if user is not None:
            users = visible_users(user)
            self.fields["owner"].queryset = users.select_related(None)
            if user.sees_everything:
                departments = Department.objects.all()
            elif user.is_head and user.department_id is not None:
                departments = Department.objects.filter(pk__in=head_department_ids(user))
            else:
                departments = Department.objects.filter(pk__in=users.values("department_id"))
            department = self.fields["department"]
            department.queryset = departments
            department.choices = [("", department.empty_label)] + [
                (choice.pk, department_choice_label(choice, depth))
                for choice, depth in department_tree(departments)
            ]
        self.fields["group_by"].choices = functools.cache(group_by_choices)  # read when shown
        self.fields["source"].queryset = LeadSource.objects.order_by("name")
        self.fields["product"].queryset = Product.objects.order_by("name")

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return cleaned


def analytics_filter_from_request(request) -> tuple[AnalyticsFilter | None, AnalyticsFilterForm]:
    """Build the filter from GET parameters; invalid parameters fall back to defaults.

    The form keeps its errors (the page shows them). The filter is ``None`` only when no pipeline
    exists at all.
    """
    user = request.user
    pipeline = default_pipeline()
    default_from, default_to = default_period(user=user, pipeline=pipeline)
    form = AnalyticsFilterForm(request.GET or None, user=user)
    values: dict = {}
    if request.GET:
        # Use every field that validated on its own, even if another field is wrong.
        form.is_valid()
        values = {
            name: value
            for name, value in getattr(form, "cleaned_data", {}).items()
            if name not in form.errors
        }
    else:
        form = AnalyticsFilterForm(
            initial={
                "pipeline": pipeline.pk if pipeline else None,
                "date_from": default_from,
                "date_to": default_to,
            },
            user=user,
        )
    if values.get("pipeline") and values["pipeline"] != pipeline:
        pipeline = values["pipeline"]
        default_from, default_to = default_period(user=user, pipeline=pipeline)
    date_from = values.get("date_from") or default_from
    date_to = values.get("date_to") or default_to
    if date_from > date_to or form.non_field_errors():
        date_from, date_to = default_from, default_to
    if pipeline is None:
        return None, form

    def pk(name):
        value = values.get(name)
        return value.pk if value is not None else None

    analytics_filter = AnalyticsFilter(
        pipeline=pipeline,
        date_from=date_from,
        date_to=date_to,
        department_id=pk("department"),
        owner_id=pk("owner"),
        lead_source_id=pk("source"),
        product_id=pk("product"),
        customer_type=values.get("customer_type") or "",
        group_by=values.get("group_by") or "",
    )
    return analytics_filter, form
