"""The routes to check: every named URL pattern and every operation of the OpenAPI schema."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Path parameters: which object of the shared world (or which literal) fills them, per route.
ROUTE_ARGUMENTS = {
    "pipeline:board": {"pipeline_id": "pipeline"},
    "pipeline:board_column": {"pipeline_id": "pipeline", "stage_id": "stage"},
    "pipeline:deal_options": {"kind": "=companies"},
    "pipeline:deal_edit_field": {"pk": "deal", "field": "=title"},
    "pipeline:deal_line_item_update": {"pk": "deal", "item_pk": "line_item"},
    "pipeline:deal_line_item_remove": {"pk": "deal", "item_pk": "line_item"},
    "pipeline:deal_playbook_done": {"pk": "deal", "step_pk": "step"},
    "pipeline:deal_playbook_undo": {"pk": "deal", "step_pk": "step"},
    "customfields:edit": {"pk": "custom_field"},
    "customfields:deal": {"pk": "deal"},
    "customfields:company": {"pk": "company"},
    "activities:deal_create": {"deal_pk": "deal"},
    "activities:contact_create": {"contact_pk": "contact"},
    "documents:upload": {"deal_pk": "deal"},
    "emails:compose": {"deal_pk": "deal"},
    "feedback:request": {"deal_pk": "deal"},
    "feedback:public": {"token": "feedback.token"},
    "imports:export": {"entity": "=deals", "fmt": "=csv"},
    "api_docs_asset": {"name": "=swagger-ui.css"},
    "lockout_lift": {"attempt_id": "lockout"},
    "backups:download": {"pk": "=1"},
    "backups:progress": {"pk": "=1"},
    "password_set": {"uidb64": "=MQ", "token": "=set-password"},
}
# For routes not listed above, `pk` is the object named by the route's prefix.
PK_BY_PREFIX = {
    "pipeline:board_": "deal",
    "pipeline:deal_": "deal",
    "crm:company_": "company",
    "crm:contact_": "contact",
    "activities:": "activity",
    "documents:": "document",
    "emails:template": "email_template",
    "plans:": "plan",
    "imports:": "import_job",
    "administration:pipeline": "pipeline",
    "administration:stages_reorder": "pipeline",
    "administration:stage_create": "pipeline",
    "administration:stage": "stage",
    "administration:step_create": "stage",
    "administration:steps_reorder": "stage",
    "administration:requirement_create": "stage",
    "administration:step": "step",
    "administration:requirement_delete": "requirement",
    "administration:lost_reason": "lost_reason",
    "administration:lead_source": "lead_source",
    "administration:lead_cost_delete": "lead_cost",
    "administration:product": "product",
    "administration:direction": "direction",
    "administration:user": "user",
    "administration:department": "department",
    "api_token_revoke": "owner_token",
    "api_webhook_": "webhook",
}
# Values of API path parameters.
API_PARAMETERS = {
    "company_id": "company",
    "contact_id": "contact",
    "source_id": "lead_source",
    "direction_id": "direction",
    "product_id": "product",
    "reason_id": "lost_reason",
    "pipeline_id": "pipeline",
    "stage_id": "stage",
    "deal_id": "deal",
    "item_id": "line_item",
    "activity_id": "activity",
    "document_id": "document",
    "plan_id": "plan",
    "user_id": "user",
    "name": "=funnel",
}


@dataclass(frozen=True)
class WebRoute:
    name: str
    pattern: str
    parameters: tuple[str, ...]


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield WebRoute(
                name or prefix + str(entry.pattern),
                prefix + str(entry.pattern),
                tuple(entry.pattern.regex.groupindex),
            )


def web_routes() -> list[WebRoute]:
    """Every page route; the API's operations come from the OpenAPI schema instead.

    The admin site's per-object pages (change, delete, history of one row) are left out: the
    admin checks staff status for all of them in one place, tested through its list pages.
    """
    routes = {}
    for route in _walk(get_resolver().url_patterns):
        if route.name.startswith("api-v1:") and route.name not in {
            "api-v1:openapi-json",
            "api-v1:openapi-view",
            "api-v1:api-root",
        }:
            continue
        if route.pattern.startswith("admin/") and (
            route.parameters or not route.name.startswith("admin:") or route.name == "admin:"
        ):
            continue
        routes.setdefault(route.name, route)
    return sorted(routes.values(), key=lambda route: route.name)


def _value(world, reference: str):
    if reference.startswith("="):
        return reference[1:]
    key, _, attribute = reference.partition(".")
    target = world.objects[key]
    return getattr(target, attribute) if attribute else target.pk


def route_kwargs(world, route: WebRoute) -> dict:
    explicit = ROUTE_ARGUMENTS.get(route.name, {})
    kwargs = {}
    for parameter in route.parameters:
        if parameter in explicit:
            kwargs[parameter] = _value(world, explicit[parameter])
            continue
        matches = [prefix for prefix in PK_BY_PREFIX if route.name.startswith(prefix)]
        if parameter != "pk" or not matches:
            raise LookupError(f"{route.name}: say what fills <{parameter}> in ROUTE_ARGUMENTS")
        kwargs[parameter] = _value(world, PK_BY_PREFIX[max(matches, key=len)])
    return kwargs


def api_operations(schema: dict) -> list[tuple[str, str]]:
    """(METHOD, path template) for every operation of the OpenAPI schema."""
    return sorted(
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )


def api_url(world, path: str) -> str:
    for parameter, reference in API_PARAMETERS.items():
        path = path.replace("{" + parameter + "}", str(_value(world, reference)))
    if "{" in path:
        raise LookupError(f"{path}: say what fills it in API_PARAMETERS")
    return path


def _version(world) -> int:
    from voronka.pipeline.models import Deal

    return Deal.objects.get(pk=world.objects["deal"].pk).version


# Valid request bodies, so that a write is refused for who the caller is, not for its input.
API_BODIES = {
    "POST /api/v1/companies": lambda w: {"name": "New company"},
    "PATCH /api/v1/companies/{company_id}": lambda w: {"name": "Renamed"},
    "POST /api/v1/contacts": lambda w: {"first_name": "New"},
    "PATCH /api/v1/contacts/{contact_id}": lambda w: {"first_name": "Renamed"},
    "POST /api/v1/lead-sources": lambda w: {"name": "New source"},
    "PATCH /api/v1/lead-sources/{source_id}": lambda w: {"name": "Renamed source"},
    "POST /api/v1/directions": lambda w: {"name": "New line"},
    "PATCH /api/v1/directions/{direction_id}": lambda w: {"name": "Renamed line"},
    "POST /api/v1/products": lambda w: {
        "name": "New product",
        "sku": "SKU-NEW",
        "direction_id": w.objects["direction"].pk,
        "price": "10.00",
    },
    "PATCH /api/v1/products/{product_id}": lambda w: {"name": "Renamed product"},
    "POST /api/v1/lost-reasons": lambda w: {"name": "New reason"},
    "PATCH /api/v1/lost-reasons/{reason_id}": lambda w: {"name": "Renamed reason"},
    "POST /api/v1/pipelines": lambda w: {"name": "New pipeline"},
    "PATCH /api/v1/pipelines/{pipeline_id}": lambda w: {"name": "Renamed pipeline"},
    "POST /api/v1/stages": lambda w: {"pipeline_id": w.objects["pipeline"].pk, "name": "New"},
    "PATCH /api/v1/stages/{stage_id}": lambda w: {"name": "Renamed stage"},
    "POST /api/v1/deals": lambda w: {"title": "New deal"},
    "PATCH /api/v1/deals/{deal_id}": lambda w: {"expected_version": _version(w), "title": "New"},
    "POST /api/v1/deals/{deal_id}/move": lambda w: {
        "stage_id": w.objects["stage"].pk,
        "expected_version": _version(w),
    },
    "POST /api/v1/deals/{deal_id}/lose": lambda w: {
        "lost_reason_id": w.objects["lost_reason"].pk,
        "expected_version": _version(w),
    },
    "POST /api/v1/deals/{deal_id}/reassign": lambda w: {
        "owner_id": w.users["owner"].pk,
        "expected_version": _version(w),
    },
    "POST /api/v1/deals/{deal_id}/amount": lambda w: {
        "amount": "5.00",
        "expected_version": _version(w),
    },
    "POST /api/v1/deals/{deal_id}/line-items": lambda w: {"product_id": w.objects["product"].pk},
    "PATCH /api/v1/deals/{deal_id}/line-items/{item_id}": lambda w: {"quantity": "2"},
    "POST /api/v1/activities": lambda w: {
        "kind": "note",
        "subject": "Note",
        "deal_id": w.objects["deal"].pk,
    },
    "PATCH /api/v1/activities/{activity_id}": lambda w: {"subject": "Renamed"},
    "POST /api/v1/plans": lambda w: {
        "period": "month",
        "period_start": "2026-01-01",
        "dimension": "employee",
        "user_id": w.users["owner"].pk,
        "target_amount": "100.00",
    },
    "PATCH /api/v1/plans/{plan_id}": lambda w: {"target_amount": "200.00"},
}
