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
from voronka.core.form_pages import admin_required
from voronka.pipeline.blueprints import BLUEPRINTS
from voronka.pipeline.models import Deal, Pipeline

from .. import services


def setup_needed() -> bool:
    """True while the install has no active pipeline: nothing can be sold yet."""
    return not Pipeline.objects.filter(is_active=True).exists()


@admin_required
@require_http_methods(["GET", "POST"])
def start(request):
    error = None
    if request.method == "POST":
        blueprint_key = request.POST.get("blueprint", "")
        name = request.POST.get("name", "").strip()
        if not blueprint_key and not name:
            error = _("Give the new pipeline a name, or pick a template.")
        else:
            try:
                pipeline = services.pipeline_create(
                    name=name, blueprint_key=blueprint_key, is_default=True
                )
            except DomainError as domain_error:
                error = domain_error.message
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
        "error": error,
        "pipelines": pipelines,
        "blueprints": list(BLUEPRINTS.values()),
        "user_count": User.objects.filter(is_active=True).count(),
        "has_deals": Deal.objects.exists(),
        "posted_name": request.POST.get("name", "") if error else "",
    }
    return render(request, "administration/start.html", context, status=400 if error else 200)
