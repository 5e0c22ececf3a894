"""Settings: the organisation profile and its logo."""

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from voronka.core.form_pages import admin_required, form_page
from voronka.core.models import Organisation

from .. import services
from ..forms import (
    OrganisationForm,
)


def organisation_logo(request):
    """The organisation's logo, served by the app so it works without a media server."""
    organisation = Organisation.current()
    if not organisation.logo:
        raise Http404
    return FileResponse(organisation.logo.open("rb"))


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

    return form_page(
        request,
        form=form,
        save=save,
        template="administration/organisation.html",
        context={"section": "organisation", "current": Organisation.current()},
        success_url=reverse("administration:organisation"),
        success_message=_("The organisation profile is saved."),
    )
