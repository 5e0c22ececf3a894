"""Settings: pipelines, their stages, playbook steps and exit requirements."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.core.errors import DomainError
from voronka.core.form_pages import (
    admin_required,
    form_error_from_domain,
    form_page,
    ordered_post_ids,
)
from voronka.pipeline.models import (
    Deal,
    DealStatus,
    Pipeline,
    PlaybookStep,
    Stage,
    StageExitRequirement,
)
from voronka.pipeline.services import stages_reorder

from .. import services
from ..forms import (
    ExitRequirementForm,
    PipelineCreateForm,
    PipelineRenameForm,
    PlaybookStepForm,
    StageForm,
)


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
            form_error_from_domain(form, error)
        else:
            messages.success(request, _("The pipeline is created."))
            return redirect("administration:pipeline", pk=pipeline.pk)
    return _pipelines_page(request, form=form, status=400)


def _pipeline_page(request, pipeline, *, rename_form=None, stage_form=None, status=200):
    stages = list(
        pipeline.stages.annotate(
            # distinct: the playbook-step join below would otherwise multiply the deals.
            open_deals=Count("deals", filter=Q(deals__status=DealStatus.OPEN), distinct=True),
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
            form_error_from_domain(form, error)
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
    stage_ids = ordered_post_ids(request, "stage")
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
    return form_page(
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
    step_ids = ordered_post_ids(request, "step")
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
            form_error_from_domain(form, error)
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
