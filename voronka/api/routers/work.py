"""Activities, documents, plans and users."""

from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from voronka.accounts.models import Department
from voronka.accounts.visibility import (
    visible_activities,
    visible_companies,
    visible_contacts,
    visible_deals,
    visible_documents,
    visible_users,
)
from voronka.activities import services as activity_services
from voronka.activities.filters import ActivityFilterSet
from voronka.catalog.models import Direction, Product
from voronka.documents.services import DocumentRejected, document_attach, document_delete
from voronka.plans import services as plan_services
from voronka.plans.filters import PlanFilterSet
from voronka.plans.selectors import visible_plans
from voronka.plans.services import TARGET_FIELDS

from ..auth import require_editor
from ..errors import ITEM_ERRORS, READ_ERRORS, WRITE_ERRORS, error_responses
from ..schemas.common import Id, Ordering, Pagination, Text, order
from ..schemas.deals import Day
from ..schemas.other import (
    ActivityIn,
    ActivityKindValue,
    ActivityOut,
    ActivityPatch,
    DocumentKindValue,
    DocumentOut,
    PlanDimensionValue,
    PlanIn,
    PlanOut,
    PlanPatch,
    PlanPeriodValue,
    UserOut,
)
from .common import filtered, reference, visible_or_404

router = Router()

ACTIVITY_ORDERING = ("created_at", "due_at", "done_at")


# Activities ------------------------------------------------------------------------------------


class ActivityFilters(Schema):
    deal_id: Id | None = None
    contact_id: Id | None = None
    company_id: Id | None = None
    kind: ActivityKindValue | None = None
    done: bool | None = None
    owner_id: Id | None = None
    ordering: Ordering(ACTIVITY_ORDERING) | None = None


@router.get(
    "/activities",
    response={200: list[ActivityOut], **error_responses(*READ_ERRORS)},
    tags=["Activities"],
    summary="List activities",
    description=f"Ordering: {', '.join(ACTIVITY_ORDERING)} (prefix `-` to reverse).",
)
@paginate(Pagination)
def activity_list(request, filters: Query[ActivityFilters]):
    names = {
        "deal": "deal_id",
        "contact": "contact_id",
        "company": "company_id",
        "owner": "owner_id",
    }
    data = {name: getattr(filters, api_name) for name, api_name in names.items()}
    activities = filtered(
        ActivityFilterSet,
        visible_activities(request.user),
        request,
        {**data, "kind": filters.kind, "done": filters.done},
        api_names=names,
    )
    return order(activities, filters.ordering, ACTIVITY_ORDERING)


@router.post(
    "/activities",
    response={201: ActivityOut, **error_responses(*WRITE_ERRORS)},
    tags=["Activities"],
    summary="Log an activity",
)
def activity_create(request, payload: ActivityIn):
    user = request.user
    require_editor(user)
    activity = activity_services.activity_log(
        kind=payload.kind,
        subject=payload.subject,
        owner=user,
        deal=reference(visible_deals(user), payload.deal_id, "deal_id"),
        contact=reference(visible_contacts(user), payload.contact_id, "contact_id"),
        company=reference(visible_companies(user), payload.company_id, "company_id"),
        body=payload.body,
        due_at=payload.due_at,
        done=payload.done,
    )
    return Status(201, activity)


@router.get(
    "/activities/{activity_id}",
    response={200: ActivityOut, **error_responses(*ITEM_ERRORS)},
    tags=["Activities"],
    summary="Read an activity",
)
def activity_read(request, activity_id: Id):
    return visible_or_404(visible_activities(request.user), activity_id)


@router.patch(
    "/activities/{activity_id}",
    response={200: ActivityOut, **error_responses(*WRITE_ERRORS)},
    tags=["Activities"],
    summary="Change, complete or reopen an activity",
)
def activity_update(request, activity_id: Id, payload: ActivityPatch):
    require_editor(request.user)
    activity = visible_or_404(visible_activities(request.user), activity_id)
    return activity_services.activity_update(
        activity=activity, user=request.user, **payload.dict(exclude_unset=True)
    )


@router.delete(
    "/activities/{activity_id}",
    response={204: None, **error_responses(*WRITE_ERRORS)},
    tags=["Activities"],
    summary="Delete an activity (its owner or an administrator)",
)
def activity_destroy(request, activity_id: Id):
    require_editor(request.user)
    activity = visible_or_404(visible_activities(request.user), activity_id)
    activity_services.activity_delete(activity=activity, user=request.user)
    return Status(204, None)


# Documents -------------------------------------------------------------------------------------


def _documents(user):
    return visible_documents(user)


@router.get(
    "/documents",
    response={200: list[DocumentOut], **error_responses(*READ_ERRORS)},
    tags=["Documents"],
    summary="List documents of visible deals",
)
@paginate(Pagination)
def document_list(request, deal_id: Id | None = None, kind: DocumentKindValue | None = None):
    documents = _documents(request.user)
    if deal_id:
        documents = documents.filter(deal_id=deal_id)
    if kind:
        documents = documents.filter(kind=kind)
    return documents


@router.post(
    "/documents",
    response={201: DocumentOut, **error_responses(*WRITE_ERRORS)},
    tags=["Documents"],
    summary="Upload a document to a deal (multipart/form-data)",
    description="Checked by `document_attach`: allowed file types and size; a missing, empty "
    "or refused file is a 422 `document_rejected` naming the `file` field.",
)
def document_create(
    request,
    deal_id: Form[Id],
    kind: Form[DocumentKindValue],
    file: File[UploadedFile | None] = None,
):
    require_editor(request.user)
    deal = reference(visible_deals(request.user), deal_id, "deal_id")
    if file is None:
        # Browsers and HTTP libraries drop an empty file part, so "missing" and "empty" meet here.
        raise DocumentRejected(_("Choose a file to upload."), field="file")
    return Status(201, document_attach(deal=deal, kind=kind, upload=file, user=request.user))


@router.get(
    "/documents/{document_id}",
    response={200: DocumentOut, **error_responses(*ITEM_ERRORS)},
    tags=["Documents"],
    summary="Read a document's metadata",
)
def document_read(request, document_id: Id):
    return visible_or_404(_documents(request.user), document_id)


@router.get(
    "/documents/{document_id}/download",
    response={200: None, **error_responses(*ITEM_ERRORS)},
    tags=["Documents"],
    summary="Download a document's file",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, streamed.",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def document_download(request, document_id: Id):
    document = visible_or_404(_documents(request.user), document_id)
    response = FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.original_name
    )
    response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.delete(
    "/documents/{document_id}",
    response={204: None, **error_responses(*WRITE_ERRORS)},
    tags=["Documents"],
    summary="Delete a document (deal owner, uploader or administrator)",
)
def document_destroy(request, document_id: Id):
    require_editor(request.user)
    document = visible_or_404(_documents(request.user).select_related("deal"), document_id)
    document_delete(document=document, user=request.user)
    return Status(204, None)


# Plans -----------------------------------------------------------------------------------------


@router.get(
    "/plans",
    response={200: list[PlanOut], **error_responses(*READ_ERRORS)},
    tags=["Plans"],
    summary="List plans",
    description="The plans page's filters (plans in force on a day, dimension, department with "
    "its sub-departments) plus the period kind and a range of period starts.",
)
@paginate(Pagination)
def plan_list(
    request,
    on: Day | None = None,
    period: PlanPeriodValue | None = None,
    dimension: PlanDimensionValue | None = None,
    department_id: Id | None = None,
    period_from: Day | None = None,
    period_to: Day | None = None,
):
    data = {
        "on": on,
        "period": period,
        "dimension": dimension,
        "department": department_id,
        "period_from": period_from,
        "period_to": period_to,
    }
    return filtered(
        PlanFilterSet,
        visible_plans(request.user),
        request,
        data,
        api_names={"department": "department_id"},
    )


def _plan_target(user, payload: PlanIn):
    """The one row the plan is for, as its dimension says; the other target ids are ignored."""
    field = f"{TARGET_FIELDS[payload.dimension]}_id"
    rows = {
        "user_id": visible_users(user),
        "department_id": Department.objects.all(),
        "product_id": Product.objects.all(),
        "direction_id": Direction.objects.all(),
        "company_id": visible_companies(user),
    }
    return reference(rows[field], getattr(payload, field), field)


@router.post(
    "/plans",
    response={201: PlanOut, **error_responses(*WRITE_ERRORS)},
    tags=["Plans"],
    summary="Set a plan (heads and administrators)",
    description="Set the target id that matches `dimension` (e.g. `user_id` for `employee`); "
    "`period_start` is the first day of the month, quarter or year.",
)
def plan_create(request, payload: PlanIn):
    require_editor(request.user)
    plan = plan_services.plan_create(
        user=request.user,
        period=payload.period,
        period_start=payload.period_start,
        dimension=payload.dimension,
        target=_plan_target(request.user, payload),
        target_amount=payload.target_amount,
        target_count=payload.target_count,
    )
    return Status(201, plan)


@router.get(
    "/plans/{plan_id}",
    response={200: PlanOut, **error_responses(*ITEM_ERRORS)},
    tags=["Plans"],
    summary="Read a plan",
)
def plan_read(request, plan_id: Id):
    return visible_or_404(visible_plans(request.user), plan_id)


@router.patch(
    "/plans/{plan_id}",
    response={200: PlanOut, **error_responses(*WRITE_ERRORS)},
    tags=["Plans"],
    summary="Change a plan's targets (heads and administrators)",
)
def plan_update(request, plan_id: Id, payload: PlanPatch):
    require_editor(request.user)
    plan = visible_or_404(visible_plans(request.user), plan_id)
    data = payload.dict(exclude_unset=True)
    return plan_services.plan_update(
        plan=plan,
        user=request.user,
        target_amount=data.get("target_amount", plan.target_amount),
        target_count=data.get("target_count", plan.target_count),
    )


@router.delete(
    "/plans/{plan_id}",
    response={204: None, **error_responses(*WRITE_ERRORS)},
    tags=["Plans"],
    summary="Delete a plan (heads and administrators)",
)
def plan_destroy(request, plan_id: Id):
    require_editor(request.user)
    plan_services.plan_delete(
        plan=visible_or_404(visible_plans(request.user), plan_id), user=request.user
    )
    return Status(204, None)


# Users (read-only) -----------------------------------------------------------------------------


@router.get(
    "/users",
    response={200: list[UserOut], **error_responses(*READ_ERRORS)},
    tags=["Users"],
    summary="List the users whose work you see",
)
@paginate(Pagination)
def user_list(request, department_id: Id | None = None, role: Text(16) | None = None):
    users = visible_users(request.user)
    if department_id:
        users = users.filter(department_id=department_id)
    if role:
        users = users.filter(role=role)
    return users


@router.get(
    "/users/me",
    response={200: UserOut, **error_responses(401)},
    tags=["Users"],
    summary="The caller",
)
def user_me(request):
    return request.user


@router.get(
    "/users/{user_id}",
    response={200: UserOut, **error_responses(*ITEM_ERRORS)},
    tags=["Users"],
    summary="Read a user",
)
def user_read(request, user_id: Id):
    return visible_or_404(visible_users(request.user), user_id)
