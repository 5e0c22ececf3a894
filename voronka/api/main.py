"""The REST API at /api/v1/: one NinjaAPI, a router per area, one error shape, two ways in."""

from ninja import NinjaAPI

from .auth import ActiveSessionAuth, TokenAuth
from .docs import LocalSwagger
from .errors import describe_error_responses, install_error_handlers
from .routers import analytics, crm, deals, reference, work

DESCRIPTION = """
The Voronka REST API. Authenticate with a personal token from the “API tokens” settings page
(`Authorization: Bearer vrk_…`) or, in the browser, with your session (send `X-CSRFToken`).
The API shows and changes exactly what the token's user may see and change on the pages.

Amounts go in as integers or decimal strings (`"1500.50"`, never floats) and come back as
decimal strings; days are `YYYY-MM-DD`, moments ISO 8601 with a time zone.
Lists take `limit` (1–200, default 50) and `offset`, and answer `{"items": [...], "count": n}`.
Errors are JSON: `{"code": "...", "message": "...", "fields": {"field": ["message"]}}`:
401 without a valid token or session, 403 when the role does not allow the action, 404 for a
row you may not see (and `invalid_reference` for a body field naming one), 409 when a
well-formed request breaks a business rule or conflicts with the current data, 422 when the
input does not match the schema.
Deals are changed through actions that keep their history; `expected_version` guards against
overwriting someone else's change (409 `stale_version`).
"""


class VoronkaAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        describe_error_responses(schema)
        return schema


api = VoronkaAPI(
    title="Voronka API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[TokenAuth(), ActiveSessionAuth()],
    docs=LocalSwagger(),
)
install_error_handlers(api)

api.add_router("", crm.router)
api.add_router("", reference.router)
api.add_router("", deals.router)
api.add_router("", work.router)
api.add_router("", analytics.router)
