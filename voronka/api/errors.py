"""One JSON error shape for the whole API: {"code", "message", "fields": {name: [messages]}}.

Domain errors keep their code and status; validation errors become 422 with the offending
fields; missing rows 404; authentication 401; permissions 403. Nothing leaks as HTML or 500.
"""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from voronka.core.errors import DomainError, InvalidInput


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


_DESCRIPTIONS = {
    400: "The request body cannot be parsed (malformed JSON or form data).",
    401: "No valid token or session, or the user is inactive.",
    403: "The user's role does not allow this.",
    404: "No such row, or the user may not see it; `invalid_reference` names the body field "
    "that refers to such a row.",
    409: "The change conflicts with the current data: a business rule (see `code`), a stale "
    "`expected_version`, a duplicate, or a row still in use.",
    422: "The input does not match the schema or a validation rule (a file type, a control "
    "character); `fields` names the problems.",
}


# Services name a model's fields; the API's bodies name references with an `_id` suffix, so a
# service's refusal is reported under the body field the client sent.
SERVICE_TO_API_FIELD = {
    "owner": "owner_id",
    "new_owner": "owner_id",
    "company": "company_id",
    "contact": "contact_id",
    "product": "product_id",
    "lost_reason": "lost_reason_id",
    "pipeline": "pipeline_id",
    "stage": "stage_id",
    "lead_source": "lead_source_id",
}


def error_responses(*codes: int) -> dict[int, type[ErrorOut]]:
    """Declare error responses for an operation: `response={200: Out, **error_responses(...)}`."""
    return {code: ErrorOut for code in codes}


# What every authenticated operation may answer, on top of its own codes.
READ_ERRORS = (401, 422)
ITEM_ERRORS = (401, 404, 422)
WRITE_ERRORS = (400, 401, 403, 404, 409, 422)


def describe_error_responses(schema: dict) -> None:
    """Replace ninja's generic "Bad Request"-style texts by what each code means here."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                description = _DESCRIPTIONS.get(int(code))
                if description:
                    response["description"] = description


def error_body(code: str, message, fields: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "fields": fields or {}}


def _location(loc) -> str:
    # ninja puts the source first ("body", "query", "path"); the body's schema name second.
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "form", "file", "header", "cookie"}:
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in {"payload", "data", "filters", "params"}:
            parts = parts[1:]
    return ".".join(parts) or "__all__"


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        field = SERVICE_TO_API_FIELD.get(exc.field, exc.field)
        fields = {field: [str(exc.message)]} if field else {}
        # The schema already rejects malformed input (422); a well-formed request that breaks a
        # business rule conflicts with the current data, so the API answers 409.
        status = 409 if exc.status == 400 else exc.status
        if isinstance(exc, InvalidInput):
            status = 422
        return api.create_response(
            request, error_body(exc.code, exc.message, fields), status=status
        )

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            fields.setdefault(_location(error.get("loc", ())), []).append(str(error.get("msg")))
        return api.create_response(
            request,
            error_body("validation_error", _("The input is not valid."), fields),
            status=422,
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        return api.create_response(
            request,
            error_body("not_authenticated", _("Send a valid API token or sign in.")),
            status=401,
        )

    @api.exception_handler(AuthorizationError)
    def authorization_error(request, exc):
        return api.create_response(
            request,
            error_body("not_permitted", _("You do not have permission to do this.")),
            status=403,
        )

    @api.exception_handler(PermissionDenied)
    def permission_denied(request, exc):
        return api.create_response(
            request,
            error_body("not_permitted", _("You do not have permission to do this.")),
            status=403,
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, error_body("not_found", _("Not found.")), status=404)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        code = {400: "bad_request", 403: "not_permitted", 404: "not_found", 409: "conflict"}
        return api.create_response(
            request,
            error_body(code.get(exc.status_code, "error"), exc.message),
            status=exc.status_code,
        )

    @api.exception_handler(IntegrityError)
    def integrity_error(request, exc):
        # A constraint the services did not foresee (e.g. a race on a unique value).
        return api.create_response(
            request,
            error_body("conflict", _("The change conflicts with existing data.")),
            status=409,
        )
