"""Getting started: what an empty install asks of its first administrator, one step at a time.

An install started without demo data has no pipeline, so the board, lists and analytics have
nothing to show. The first admin lands here (the home page sends them) and creates the first
pipeline from a template or from scratch, then adds the team and brings in data.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from voronka.accounts.models import User
from voronka.core.errors import DomainError
from voronka.core.form_pages import admin_required, form_error_from_domain
from voronka.pipeline.blueprints import BLUEPRINTS
from voronka.pipeline.models import Deal, Pipeline

from .. import services
from ..forms import PipelineCreateForm


@admin_required
@require_http_methods(["GET", "POST"])
def start(request):
    # The same form and rule as Settings → Pipelines ("a name or a template"); a pipeline made
    # here becomes the default one.
    form = PipelineCreateForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        blueprint_key = form.cleaned_data["blueprint"]
        try:
            pipeline = services.pipeline_create(
                name=form.cleaned_data["name"], blueprint_key=blueprint_key, is_default=True
            )
        except DomainError as error:
            form_error_from_domain(form, error)
        else:
            if blueprint_key:
                messages.success(
                    request,
                    _("The pipeline «%(name)s» is ready. Next: add your team.")
                    % {"name": pipeline.name},
                )
                return redirect("administration:start")
            messages.success(request, _("The pipeline is created: now add its stages."))
            return redirect("administration:pipeline", pk=pipeline.pk)
    pipelines = list(Pipeline.objects.filter(is_active=True).order_by("-is_default", "order"))
    context = {
        "section": "start",
        "errors": [error for errors in form.errors.values() for error in errors],
        "pipelines": pipelines,
        "blueprints": list(BLUEPRINTS.values()),
        "user_count": User.objects.filter(is_active=True).count(),
        "has_deals": Deal.objects.exists(),
        "posted_name": request.POST.get("name", "") if form.is_bound else "",
    }
    status = 400 if form.is_bound else 200  # a valid POST has redirected above
    return render(request, "administration/start.html", context, status=status)
