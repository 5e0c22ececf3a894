"""The one deal filter set: the board, the deal list page and the API all filter through it.

Build it on a queryset that already went through `visible_deals(user)` and pass the request,
so the owner and department choices offered are only those the user may see.
"""

from datetime import datetime, timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.departments import department_scope_ids
from voronka.accounts.models import Department, Role, User
from voronka.accounts.visibility import head_department_ids, visible_companies, visible_users
from voronka.catalog.models import Product
from voronka.core.text_search import text_match
from voronka.crm.models import Company, LeadSource
from voronka.customfields.filters import custom_field_filters

from .models import Deal, DealLineItem, DealStatus, LostReason, Pipeline, Stage


def rotting_q(*, now: datetime | None = None, stages: QuerySet | None = None) -> Q:
    """Open deals idle in their stage longer than the stage's rotting days, as a SQL condition.

    A deal rots when its whole days in stage exceed ``rotting_days`` (see `Deal.is_rotting`),
    i.e. it entered the stage at least ``rotting_days + 1`` days ago. Stages are few, so one
    small query over them turns the per-stage threshold into an indexed condition per stage.
    """
    now = now or timezone.now()
    stages = Stage.objects.all() if stages is None else stages
    condition = Q(pk__in=[])
    for stage_id, days in stages.filter(rotting_days__isnull=False).values_list(
        "pk", "rotting_days"
    ):
        condition |= Q(stage_id=stage_id, stage_entered_at__lte=now - timedelta(days=days + 1))
    return Q(status=DealStatus.OPEN) & condition


def _owners(request):
    if request is None or not request.user.is_authenticated:
        return User.objects.none()
    return visible_users(request.user).exclude(role=Role.VIEWER)


def _companies(request):
    if request is None or not request.user.is_authenticated:
        return Company.objects.none()
    return visible_companies(request.user)


def _departments(request):
    if request is None or not request.user.is_authenticated:
        return Department.objects.none()
    user = request.user
    if user.sees_everything:
        return Department.objects.all()
    if user.department_id is None:
        return Department.objects.none()
    if user.is_head:
        return Department.objects.filter(pk__in=head_department_ids(user))
    return Department.objects.filter(pk=user.department_id)


class DealFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    # Any pipeline validates (an archived one's deals stay reachable by a link and the API);
    # the select offers the active ones (see `form`).
    pipeline = django_filters.ModelChoiceFilter(
        queryset=Pipeline.objects.all(),
        label=_("Pipeline"),
        empty_label=_("All pipelines"),
    )
    stage = django_filters.ModelChoiceFilter(
        queryset=Stage.objects.select_related("pipeline"),
        label=_("Stage"),
        empty_label=_("All stages"),
    )
    status = django_filters.ChoiceFilter(
        choices=DealStatus.choices, label=_("Status"), empty_label=_("Any status")
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=_owners, label=_("Owner"), empty_label=_("All owners")
    )
    department = django_filters.ModelChoiceFilter(
        field_name="owner__department",
        method="filter_department",
        queryset=_departments,
        label=_("Department"),
        empty_label=_("All departments"),
    )
    lead_source = django_filters.ModelChoiceFilter(
        queryset=LeadSource.objects.all(), label=_("Lead source"), empty_label=_("All sources")
    )
    product = django_filters.ModelChoiceFilter(
        queryset=Product.objects.all(),
        method="filter_product",
        label=_("Product"),
        empty_label=_("All products"),
    )
    created = django_filters.DateFromToRangeFilter(
        field_name="created_at", label=_("Created"), method="filter_created"
    )
    expected_close = django_filters.DateFromToRangeFilter(
        field_name="expected_close_date", label=_("Expected close")
    )
    # No select of every company on the page (the company card lists its deals); a link or the
    # API's company_id narrows the list, and the hidden field keeps it while other filters change.
    company = django_filters.ModelChoiceFilter(
        queryset=_companies, label=_("Company"), widget=forms.HiddenInput
    )
    lost_reason = django_filters.ModelChoiceFilter(
        queryset=LostReason.objects.all(), label=_("Lost reason"), empty_label=_("Any reason")
    )
    only_rotting = django_filters.BooleanFilter(
        method="filter_only_rotting",
        label=_("Only rotting"),
        widget=django_filters.widgets.BooleanWidget(),
    )

    class Meta:
        model = Deal
        fields = [
            "q",
            "pipeline",
            "stage",
            "status",
            "owner",
            "department",
            "lead_source",
            "product",
            "created",
            "expected_close",
            "company",
            "lost_reason",
            "only_rotting",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters.update(custom_field_filters())

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # text_match, not a bare icontains: SQLite folds the case of ASCII letters only.
        return queryset.filter(text_match("title", value) | text_match("company__name", value))

    def filter_department(self, queryset, name, value):
        # A department includes its sub-departments (an office its teams).
        if value is None:
            return queryset
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated and value.pk == user.department_id:
            scope = head_department_ids(user)  # already read for the user's visibility
        else:
            scope = department_scope_ids(value.pk)
        return queryset.filter(owner__department_id__in=scope)

    def filter_product(self, queryset, name, value):
        # Exists, not a join: a deal with two lines of the product still appears once.
        if value is None:
            return queryset
        return queryset.filter(
            Exists(DealLineItem.objects.filter(deal_id=OuterRef("pk"), product=value))
        )

    def filter_created(self, queryset, name, value):
        # Dates are whole days in the current time zone, both ends inclusive.
        if not value:
            return queryset
        tz = timezone.get_current_timezone()
        if value.start is not None:
            start = datetime.combine(value.start, datetime.min.time(), tzinfo=tz)
            queryset = queryset.filter(created_at__gte=start)
        if value.stop is not None:
            stop = datetime.combine(value.stop, datetime.min.time(), tzinfo=tz) + timedelta(days=1)
            queryset = queryset.filter(created_at__lt=stop)
        return queryset

    def filter_only_rotting(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(rotting_q())

    @property
    def form(self) -> forms.Form:
        form = super().form
        if not getattr(form, "_pipelines_offered", False):
            # The select offers the active pipelines and the chosen one; it stays lazy (one query
            # when rendered, none on the board, which does not show it).
            field = form.fields["pipeline"]
            offered = Q(is_active=True)
            value = str(self.data.get("pipeline", "")) if self.data else ""
            if value.isdigit():
                offered |= Q(pk=int(value))
            shown = forms.ModelChoiceField(
                queryset=Pipeline.objects.filter(offered), empty_label=field.empty_label
            )
            field.widget.choices = shown.choices
            form._pipelines_offered = True
        return form

    @property
    def active_count(self) -> int:
        """How many filters carry a value: the filter bar shows it."""
        if not self.is_bound or not self.is_valid():
            return 0
        return sum(1 for value in self.form.cleaned_data.values() if value not in (None, "", False))
