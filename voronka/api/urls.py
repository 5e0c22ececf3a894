from django.urls import path

from . import docs, views
from .main import api

urlpatterns = [
    path("settings/tokens/", views.tokens, name="api_tokens"),
    path("settings/tokens/<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
    path("settings/webhooks/", views.webhooks, name="api_webhooks"),
    path("settings/webhooks/<int:pk>/toggle/", views.webhook_toggle, name="api_webhook_toggle"),
    path("settings/webhooks/<int:pk>/delete/", views.webhook_delete, name="api_webhook_delete"),
    path("docs/assets/<str:name>", docs.docs_asset, name="api_docs_asset"),
    path("", api.urls),
]
