from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from voronka.core.favicon import favicon

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("voronka.accounts.urls")),
    path("", include("voronka.core.urls")),
    path("", include("voronka.pipeline.urls_home")),
    path("", include("voronka.pipeline.urls")),
    path("", include("voronka.crm.urls")),
    path("", include("voronka.customfields.urls")),
    path("activities/", include("voronka.activities.urls")),
    path("documents/", include("voronka.documents.urls")),
    path("emails/", include("voronka.emails.urls")),
    path("plans/", include("voronka.plans.urls")),
    path("feedback/", include("voronka.feedback.urls")),
    path("analytics/", include("voronka.analytics.urls")),
    path("imports/", include("voronka.imports.urls")),
    path("backups/", include("voronka.backups.urls")),
    path("settings/", include("voronka.administration.urls")),
    path("api/v1/", include("voronka.api.urls")),
]

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
