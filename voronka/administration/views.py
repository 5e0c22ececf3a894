"""Settings pages for administrators. Views parse input, call a service, and render.

Every page except the logo is for administrators only (others get 403). Invalid input is shown
on the page with status 400; a refused operation (DomainError) becomes a message, never a 500.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.accounts.models import Department, User
from voronka.catalog import services as catalog_services
from voronka.catalog.models import Direction, Product
from voronka.core.errors import DomainError
from voronka.core.models import Organisation
from voronka.crm.models import LeadSource, LeadSourceCost
from voronka.pipeline.models import (
    Deal,
    DealStatus,
    LostReason,
    Pipeline,
    PlaybookStep,
    Stage,
    StageExitRequirement,
)
from voronka.pipeline.services import stages_reorder

from . import services
from .forms import (
    DepartmentForm,
    DirectionForm,
    ExitRequirementForm,
    LeadSourceCostForm,
    LeadSourceForm,
    LostReasonForm,
    OrganisationForm,
    PipelineCreateForm,
    PipelineRenameForm,
    PlaybookStepForm,
    ProductForm,
    StageForm,
    UserCreateForm,
    UserEditForm,
)


def organisation_logo(request):
    """The organisation's logo, served by the app so it works without a media server."""
    organisation = Organisation.current()
    if not organisation.logo:
        raise Http404
    return FileResponse(organisation.logo.open("rb"))


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _form_error(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


def _form_page(
    request,
    *,
    form,
    save: Callable[[dict], object],
    template: str,
    context: dict,
    success_url: str,
    success_message: str,
):
    """Show `form` on GET; on POST validate it, call `save` and redirect, or answer 400."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                save(form.cleaned_data)
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, success_message)
                return redirect(success_url)
        status = 400
    return render(request, template, {**context, "form": form}, status=status)


def _ordered_ids(request, name: str) -> list[int] | None:
    try:
        return [int(value) for value in request.POST.getlist(name)]
    except ValueError:
        return None


@admin_required
def settings_home(request):
    return redirect("administration:pipelines")


# Pipelines -------------------------------------------------------------------------------------


def _pipelines_page(request, *, form=None, status=200):
    pipeline_list = Pipeline.objects.annotate(stage_count=Count("stages"))
    open_deals = dict(
        Deal.objects.filter(status=DealStatus.OPEN)
        .values("pipeline")
        .annotate(n=Count("pk"))
        .values_list("pipeline", "n")
    )
    rows = [(pipeline, open_deals.get(pipeline.pk, 0)) for pipeline in pipeline_list]
    return render(
        request,
        "administration/pipelines.html",
        {"section": "pipelines", "rows": rows, "form": form or PipelineCreateForm()},
        status=status,
    )


@admin_required
def pipelines(request):
    if request.method != "POST":
        return _pipelines_page(request)
    form = PipelineCreateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            pipeline = services.pipeline_create(
                name=data["name"], blueprint_key=data["blueprint"], is_default=data["is_default"]
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The pipeline is created."))
            return redirect("administration:pipeline", pk=pipeline.pk)
    return _pipelines_page(request, form=form, status=400)


def _pipeline_page(request, pipeline, *, rename_form=None, stage_form=None, status=200):
    stages = list(
        pipeline.stages.annotate(
            open_deals=Count("deals", filter=Q(deals__status=DealStatus.OPEN)),
            step_count=Count("playbook_steps", distinct=True),
        ).order_by("order")
    )
    return render(
        request,
        "administration/pipeline_detail.html",
        {
            "section": "pipelines",
            "pipeline": pipeline,
            "stages": stages,
            "rename_form": rename_form or PipelineRenameForm(initial={"name": pipeline.name}),
            "stage_form": stage_form or StageForm(initial={"probability": 10}),
        },
        status=status,
    )


@admin_required
def pipeline_detail(request, pk):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    return _pipeline_page(request, pipeline)


@admin_required
@require_POST
def pipeline_rename(request, pk):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = PipelineRenameForm(request.POST)
    if form.is_valid():
        try:
            services.pipeline_rename(pipeline=pipeline, name=form.cleaned_data["name"])
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The pipeline is renamed."))
            return redirect("administration:pipeline", pk=pipeline.pk)
    pipeline.refresh_from_db()
    return _pipeline_page(request, pipeline, rename_form=form, status=400)


@admin_required
@require_POST
def pipeline_set_default(request, pk):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    services.pipeline_set_default(pipeline=pipeline)
    messages.success(request, _("«%(name)s» is now the default pipeline.") % {"name": pipeline})
    return redirect("administration:pipelines")


@admin_required
@require_POST
def pipeline_archive(request, pk):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    url = reverse("administration:pipelines")
    try:
        if request.POST.get("restore"):
            services.pipeline_restore(pipeline=pipeline)
            messages.success(request, _("The pipeline is restored."))
        else:
            services.pipeline_archive(pipeline=pipeline)
            messages.success(request, _("The pipeline is archived."))
    except DomainError as error:
        messages.error(request, str(error.message))
        return _pipelines_page(request, status=error.status)
    return redirect(url)


@admin_required
@require_POST
def pipeline_stages_reorder(request, pk):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    stage_ids = _ordered_ids(request, "stage")
    try:
        if stage_ids is None:
            raise DomainError(_("Give every stage of the pipeline exactly once."), field="stages")
        stages_reorder(pipeline=pipeline, stage_ids=stage_ids)
    except DomainError as error:
        return JsonResponse({"ok": False, "message": str(error.message)}, status=400)
    return JsonResponse({"ok": True, "order": stage_ids})


@admin_required
@require_POST
def stage_create(request, pk):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = StageForm(request.POST)
    if form.is_valid():
        stage = services.stage_create(pipeline=pipeline, **form.cleaned_data)
        messages.success(request, _("The stage «%(name)s» is added.") % {"name": stage.name})
        return redirect("administration:pipeline", pk=pipeline.pk)
    return _pipeline_page(request, pipeline, stage_form=form, status=400)


# Stages ----------------------------------------------------------------------------------------


def _stage_page(request, stage, *, form=None, step_form=None, requirement_form=None, status=200):
    return render(
        request,
        "administration/stage_detail.html",
        {
            "section": "pipelines",
            "stage": stage,
            "pipeline": stage.pipeline,
            "form": form or StageForm(instance=stage),
            "steps": list(stage.playbook_steps.order_by("order", "pk")),
            "requirements": list(stage.exit_requirements.order_by("pk")),
            "step_form": step_form or PlaybookStepForm(),
            "requirement_form": requirement_form or ExitRequirementForm(),
            "open_deals": stage.deals.filter(status=DealStatus.OPEN).count(),
        },
        status=status,
    )


@admin_required
def stage_detail(request, pk):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    if request.method == "POST":
        form = StageForm(request.POST, instance=Stage.objects.get(pk=stage.pk))
        if form.is_valid():
            services.stage_update(stage=stage, **form.cleaned_data)
            messages.success(request, _("The stage is saved."))
            return redirect("administration:stage", pk=stage.pk)
        return _stage_page(request, stage, form=form, status=400)
    return _stage_page(request, stage)


@admin_required
@require_POST
def stage_delete(request, pk):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    try:
        services.stage_delete(stage=stage)
    except DomainError as error:
        messages.error(request, str(error.message))
        return _stage_page(request, stage, status=error.status)
    messages.success(request, _("The stage «%(name)s» is deleted.") % {"name": stage.name})
    return redirect("administration:pipeline", pk=stage.pipeline_id)


@admin_required
@require_POST
def step_create(request, pk):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    form = PlaybookStepForm(request.POST)
    if form.is_valid():
        services.playbook_step_create(stage=stage, **form.cleaned_data)
        messages.success(request, _("The playbook step is added."))
        return redirect("administration:stage", pk=stage.pk)
    return _stage_page(request, stage, step_form=form, status=400)


@admin_required
def step_edit(request, pk):
    step = get_object_or_404(PlaybookStep.objects.select_related("stage__pipeline"), pk=pk)
    form = PlaybookStepForm(request.POST if request.method == "POST" else None, instance=step)
    return _form_page(
        request,
        form=form,
        save=lambda data: services.playbook_step_update(step=step, **data),
        template="administration/step_edit.html",
        context={"section": "pipelines", "step": step, "stage": step.stage},
        success_url=reverse("administration:stage", args=[step.stage_id]),
        success_message=_("The playbook step is saved."),
    )


@admin_required
@require_POST
def step_delete(request, pk):
    step = get_object_or_404(PlaybookStep, pk=pk)
    services.playbook_step_delete(step=step)
    messages.success(request, _("The playbook step is deleted."))
    return redirect("administration:stage", pk=step.stage_id)


@admin_required
@require_POST
def steps_reorder(request, pk):
    stage = get_object_or_404(Stage, pk=pk)
    step_ids = _ordered_ids(request, "step")
    try:
        if step_ids is None:
            raise DomainError(_("Give every step of the stage exactly once."), field="steps")
        services.playbook_steps_reorder(stage=stage, step_ids=step_ids)
    except DomainError as error:
        return JsonResponse({"ok": False, "message": str(error.message)}, status=400)
    return JsonResponse({"ok": True, "order": step_ids})


@admin_required
@require_POST
def requirement_create(request, pk):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    form = ExitRequirementForm(request.POST)
    if form.is_valid():
        try:
            services.exit_requirement_create(stage=stage, **form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The exit requirement is added."))
            return redirect("administration:stage", pk=stage.pk)
    return _stage_page(request, stage, requirement_form=form, status=400)


@admin_required
@require_POST
def requirement_delete(request, pk):
    requirement = get_object_or_404(StageExitRequirement, pk=pk)
    services.exit_requirement_delete(requirement=requirement)
    messages.success(request, _("The exit requirement is removed."))
    return redirect("administration:stage", pk=requirement.stage_id)


# Lost reasons and lead sources -----------------------------------------------------------------


@admin_required
def lost_reasons(request):
    reasons = LostReason.objects.annotate(deal_count=Count("deals"))
    return _form_page(
        request,
        form=LostReasonForm(
            request.POST if request.method == "POST" else None, initial={"is_active": True}
        ),
        save=lambda data: services.lost_reason_save(**data),
        template="administration/lost_reasons.html",
        context={"section": "lost_reasons", "reasons": reasons},
        success_url=reverse("administration:lost_reasons"),
        success_message=_("The lost reason is added."),
    )


@admin_required
def lost_reason_edit(request, pk):
    reason = get_object_or_404(LostReason, pk=pk)
    return _form_page(
        request,
        form=LostReasonForm(request.POST if request.method == "POST" else None, instance=reason),
        save=lambda data: services.lost_reason_save(reason=reason, **data),
        template="administration/simple_edit.html",
        context={
            "section": "lost_reasons",
            "title": _("Lost reason"),
            "back_url": reverse("administration:lost_reasons"),
        },
        success_url=reverse("administration:lost_reasons"),
        success_message=_("The lost reason is saved."),
    )


@admin_required
def lead_sources(request):
    sources = LeadSource.objects.annotate(
        deal_count=Count("deals", distinct=True), total_cost=Sum("costs__amount")
    )
    return _form_page(
        request,
        form=LeadSourceForm(
            request.POST if request.method == "POST" else None, initial={"is_active": True}
        ),
        save=lambda data: services.lead_source_save(**data),
        template="administration/lead_sources.html",
        context={"section": "lead_sources", "sources": sources},
        success_url=reverse("administration:lead_sources"),
        success_message=_("The lead source is added."),
    )


@admin_required
def lead_source_detail(request, pk):
    source = get_object_or_404(LeadSource, pk=pk)
    form = LeadSourceForm(request.POST if request.method == "POST" else None, instance=source)
    cost_form = LeadSourceCostForm()
    if request.method == "POST" and request.POST.get("form") == "cost":
        form = LeadSourceForm(instance=source)
        cost_form = LeadSourceCostForm(request.POST)
        if cost_form.is_valid():
            services.lead_source_cost_set(source=source, **cost_form.cleaned_data)
            messages.success(request, _("The monthly cost is saved."))
            return redirect("administration:lead_source", pk=source.pk)
        return render(
            request,
            "administration/lead_source_detail.html",
            {
                "section": "lead_sources",
                "source": source,
                "form": form,
                "cost_form": cost_form,
                "costs": source.costs.order_by("-month"),
            },
            status=400,
        )
    return _form_page(
        request,
        form=form,
        save=lambda data: services.lead_source_save(source=source, **data),
        template="administration/lead_source_detail.html",
        context={
            "section": "lead_sources",
            "source": source,
            "cost_form": cost_form,
            "costs": source.costs.order_by("-month"),
        },
        success_url=reverse("administration:lead_source", args=[source.pk]),
        success_message=_("The lead source is saved."),
    )


@admin_required
@require_POST
def lead_source_cost_delete(request, pk):
    cost = get_object_or_404(LeadSourceCost, pk=pk)
    services.lead_source_cost_delete(cost=cost)
    messages.success(request, _("The monthly cost is removed."))
    return redirect("administration:lead_source", pk=cost.source_id)


# Products and product lines --------------------------------------------------------------------


def _products_page(request, *, product_form=None, direction_form=None, status=200):
    return render(
        request,
        "administration/products.html",
        {
            "section": "products",
            "products": Product.objects.select_related("direction"),
            "directions": Direction.objects.annotate(product_count=Count("products")),
            "product_form": product_form or ProductForm(initial={"is_active": True}),
            "direction_form": direction_form or DirectionForm(),
        },
        status=status,
    )


@admin_required
def products(request):
    if request.method == "POST":
        form = ProductForm(request.POST)
        if form.is_valid():
            try:
                catalog_services.product_save(**form.cleaned_data)
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("The product is added."))
                return redirect("administration:products")
        return _products_page(request, product_form=form, status=400)
    return _products_page(request)


@admin_required
@require_POST
def direction_create(request):
    form = DirectionForm(request.POST)
    if form.is_valid():
        try:
            catalog_services.direction_save(**form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The product line is added."))
            return redirect("administration:products")
    return _products_page(request, direction_form=form, status=400)


@admin_required
def product_edit(request, pk):
    product = get_object_or_404(Product, pk=pk)
    return _form_page(
        request,
        form=ProductForm(request.POST if request.method == "POST" else None, instance=product),
        save=lambda data: catalog_services.product_save(product=product, **data),
        template="administration/simple_edit.html",
        context={
            "section": "products",
            "title": _("Product"),
            "back_url": reverse("administration:products"),
        },
        success_url=reverse("administration:products"),
        success_message=_("The product is saved."),
    )


@admin_required
def direction_edit(request, pk):
    direction = get_object_or_404(Direction, pk=pk)
    return _form_page(
        request,
        form=DirectionForm(request.POST if request.method == "POST" else None, instance=direction),
        save=lambda data: catalog_services.direction_save(direction=direction, **data),
        template="administration/simple_edit.html",
        context={
            "section": "products",
            "title": _("Product line"),
            "back_url": reverse("administration:products"),
        },
        success_url=reverse("administration:products"),
        success_message=_("The product line is saved."),
    )


# Users and departments -------------------------------------------------------------------------


def _users_context() -> dict:
    people = User.objects.select_related("department").order_by(
        "-is_active", "last_name", "first_name", "username"
    )
    return {"section": "users", "people": people}


def _users_page(request, *, form, status=200):
    return render(
        request, "administration/users.html", {**_users_context(), "form": form}, status=status
    )


@admin_required
def users(request):
    return _form_page(
        request,
        form=UserCreateForm(
            request.POST if request.method == "POST" else None, initial={"capacity": 60}
        ),
        save=lambda data: services.user_create(**data),
        template="administration/users.html",
        context=_users_context(),
        success_url=reverse("administration:users"),
        success_message=_("The user is created."),
    )


@admin_required
def user_edit(request, pk):
    person = get_object_or_404(User, pk=pk)
    return _form_page(
        request,
        form=UserEditForm(request.POST if request.method == "POST" else None, instance=person),
        save=lambda data: services.user_update(user=person, acting_user=request.user, **data),
        template="administration/user_edit.html",
        context={"section": "users", "person": person},
        success_url=reverse("administration:users"),
        success_message=_("The user is saved."),
    )


@admin_required
@require_POST
def user_set_active(request, pk):
    person = get_object_or_404(User, pk=pk)
    is_active = request.POST.get("active") == "1"
    try:
        services.user_set_active(user=person, acting_user=request.user, is_active=is_active)
    except DomainError as error:
        messages.error(request, str(error.message))
        return _users_page(
            request, form=UserCreateForm(initial={"capacity": 60}), status=error.status
        )
    if is_active:
        messages.success(request, _("%(name)s can sign in again.") % {"name": person})
    else:
        messages.success(request, _("%(name)s is deactivated.") % {"name": person})
    return redirect("administration:users")


@admin_required
def departments(request):
    return _form_page(
        request,
        form=DepartmentForm(request.POST if request.method == "POST" else None),
        save=lambda data: services.department_save(**data),
        template="administration/departments.html",
        context={
            "section": "departments",
            "departments": Department.objects.annotate(
                member_count=Count("members", filter=Q(members__is_active=True))
            ),
        },
        success_url=reverse("administration:departments"),
        success_message=_("The department is created."),
    )


@admin_required
def department_edit(request, pk):
    department = get_object_or_404(Department, pk=pk)
    return _form_page(
        request,
        form=DepartmentForm(
            request.POST if request.method == "POST" else None, instance=department
        ),
        save=lambda data: services.department_save(department=department, **data),
        template="administration/simple_edit.html",
        context={
            "section": "departments",
            "title": _("Department"),
            "back_url": reverse("administration:departments"),
        },
        success_url=reverse("administration:departments"),
        success_message=_("The department is renamed."),
    )


# Organisation ----------------------------------------------------------------------------------


@admin_required
def organisation(request):
    current = Organisation.current()
    form = OrganisationForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        instance=current,
    )

    def save(data):
        services.organisation_update(**data)

    return _form_page(
        request,
        form=form,
        save=save,
        template="administration/organisation.html",
        context={"section": "organisation", "current": Organisation.current()},
        success_url=reverse("administration:organisation"),
        success_message=_("The organisation profile is saved."),
    )
