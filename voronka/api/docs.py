"""Interactive API docs served entirely by the app: Swagger UI from the ninja package's own
static files (no CDN), so the docs work on an offline, self-hosted install.

ninja only uses its local template when "ninja" is in INSTALLED_APPS; the API app serves the
few asset files itself instead, from an explicit whitelist.
"""

import mimetypes
from pathlib import Path

import ninja
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from ninja.openapi.docs import DocsBase

ASSETS_DIR = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = frozenset(
    {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.svg", "favicon.png"}
)


class LocalSwagger(DocsBase):
    settings = {"layout": "BaseLayout", "deepLinking": True, "persistAuthorization": True}

    def render_page(self, request, api, **kwargs):
        import json

        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(
            request,
            "api/swagger.html",
            {"api": api, "swagger_settings": json.dumps(settings)},
        )


@cache_control(public=True, max_age=86400)
def docs_asset(request, name: str):
    if name not in ASSETS:
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse((ASSETS_DIR / name).open("rb"), content_type=content_type)


def asset_url(name: str) -> str:
    return reverse("api_docs_asset", args=[name])
