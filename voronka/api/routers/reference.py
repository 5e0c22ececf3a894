"""Reference lists every user reads and administrators change: product lines, products,
lost reasons, pipelines and stages. Writes go through the catalog and administration services."""

from django.db import transaction
from ninja import Router, Status
from ninja.pagination import paginate

from voronka.administration import services as settings_services
from voronka.catalog import services as catalog_services
from voronka.catalog.models import Direction, Product
from voronka.catalog.services import direction_save, product_save
from voronka.pipeline.models import LostReason, Pipeline, Stage

from ..auth import require_admin
from ..errors import ITEM_ERRORS, READ_ERRORS, WRITE_ERRORS, error_responses
from ..schemas.common import Id, Pagination, Text
from ..schemas.reference import (
    DirectionIn,
    DirectionOut,
    LostReasonIn,
    LostReasonOut,
    LostReasonPatch,
    PipelineIn,
    PipelineOut,
    PipelinePatch,
    ProductIn,
    ProductOut,
    ProductPatch,
    StageIn,
    StageOut,
    StagePatch,
)
from .common import reference, unique_on, visible_or_404

router = Router()


# Product lines ---------------------------------------------------------------------------------


@router.get(
    "/directions",
    response={200: list[DirectionOut], **error_responses(*READ_ERRORS)},
    tags=["Products"],
    summary="List product lines",
)
@paginate(Pagination)
def direction_list(request):
    return Direction.objects.all()


@router.post(
    "/directions",
    response={201: DirectionOut, **error_responses(*WRITE_ERRORS)},
    tags=["Products"],
    summary="Create a product line (administrators)",
)
def direction_create(request, payload: DirectionIn):
    require_admin(request.user)
    with unique_on("name"):
        direction = direction_save(name=payload.name)
    return Status(201, direction)


@router.get(
    "/directions/{direction_id}",
    response={200: DirectionOut, **error_responses(*ITEM_ERRORS)},
    tags=["Products"],
    summary="Read a product line",
)
def direction_read(request, direction_id: Id):
    return visible_or_404(Direction.objects.all(), direction_id)


@router.patch(
    "/directions/{direction_id}",
    response={200: DirectionOut, **error_responses(*WRITE_ERRORS)},
    tags=["Products"],
    summary="Rename a product line (administrators)",
)
def direction_update(request, direction_id: Id, payload: DirectionIn):
    require_admin(request.user)
    direction = visible_or_404(Direction.objects.all(), direction_id)
    with unique_on("name"):
        return direction_save(name=payload.name, direction=direction)


@router.delete(
    "/directions/{direction_id}",
    response={204: None, **error_responses(*WRITE_ERRORS)},
    tags=["Products"],
    summary="Delete an unused product line (administrators)",
)
def direction_destroy(request, direction_id: Id):
    require_admin(request.user)
    catalog_services.direction_delete(
        direction=visible_or_404(Direction.objects.all(), direction_id)
    )
    return Status(204, None)


# Products --------------------------------------------------------------------------------------


@router.get(
    "/products",
    response={200: list[ProductOut], **error_responses(*READ_ERRORS)},
    tags=["Products"],
    summary="List products",
)
@paginate(Pagination)
def product_list(
    request,
    direction_id: Id | None = None,
    is_active: bool | None = None,
    search: Text(100) | None = None,
):
    products = Product.objects.all()
    if direction_id:
        products = products.filter(direction_id=direction_id)
    if is_active is not None:
        products = products.filter(is_active=is_active)
    if search:
        products = products.filter(name__icontains=search) | products.filter(sku__iexact=search)
    return products


@router.post(
    "/products",
    response={201: ProductOut, **error_responses(*WRITE_ERRORS)},
    tags=["Products"],
    summary="Create a product (administrators)",
)
def product_create(request, payload: ProductIn):
    require_admin(request.user)
    data = payload.dict()
    data["direction"] = reference(Direction.objects.all(), data.pop("direction_id"), "direction_id")
    with unique_on("sku"):
        product = product_save(**data)
    return Status(201, product)


@router.get(
    "/products/{product_id}",
    response={200: ProductOut, **error_responses(*ITEM_ERRORS)},
    tags=["Products"],
    summary="Read a product",
)
def product_read(request, product_id: Id):
    return visible_or_404(Product.objects.all(), product_id)


@router.patch(
    "/products/{product_id}",
    response={200: ProductOut, **error_responses(*WRITE_ERRORS)},
    tags=["Products"],
    summary="Change a product (administrators)",
)
def product_update(request, product_id: Id, payload: ProductPatch):
    require_admin(request.user)
    product = visible_or_404(Product.objects.all(), product_id)
    data = payload.dict(exclude_unset=True)
    direction = reference(Direction.objects.all(), data.pop("direction_id", None), "direction_id")
    values = {
        "name": product.name,
        "sku": product.sku,
        "direction": direction or product.direction,
        "price": product.price,
        "unit": product.unit,
        "is_active": product.is_active,
        **data,
    }
    with unique_on("sku"):
        return product_save(product=product, **values)


@router.delete(
    "/products/{product_id}",
    response={204: None, **error_responses(*WRITE_ERRORS)},
    tags=["Products"],
    summary="Delete a product no deal uses (administrators)",
)
def product_destroy(request, product_id: Id):
    require_admin(request.user)
    catalog_services.product_delete(product=visible_or_404(Product.objects.all(), product_id))
    return Status(204, None)


# Lost reasons ----------------------------------------------------------------------------------


@router.get(
    "/lost-reasons",
    response={200: list[LostReasonOut], **error_responses(*READ_ERRORS)},
    tags=["Lost reasons"],
    summary="List lost reasons",
)
@paginate(Pagination)
def lost_reason_list(request, is_active: bool | None = None):
    reasons = LostReason.objects.all()
    return reasons if is_active is None else reasons.filter(is_active=is_active)


@router.post(
    "/lost-reasons",
    response={201: LostReasonOut, **error_responses(*WRITE_ERRORS)},
    tags=["Lost reasons"],
    summary="Create a lost reason (administrators)",
)
def lost_reason_create(request, payload: LostReasonIn):
    require_admin(request.user)
    with unique_on("name"):
        reason = settings_services.lost_reason_save(**payload.dict())
    return Status(201, reason)


@router.get(
    "/lost-reasons/{reason_id}",
    response={200: LostReasonOut, **error_responses(*ITEM_ERRORS)},
    tags=["Lost reasons"],
    summary="Read a lost reason",
)
def lost_reason_read(request, reason_id: Id):
    return visible_or_404(LostReason.objects.all(), reason_id)


@router.patch(
    "/lost-reasons/{reason_id}",
    response={200: LostReasonOut, **error_responses(*WRITE_ERRORS)},
    tags=["Lost reasons"],
    summary="Change a lost reason (administrators)",
)
def lost_reason_update(request, reason_id: Id, payload: LostReasonPatch):
    require_admin(request.user)
    reason = visible_or_404(LostReason.objects.all(), reason_id)
    values = {
        "name": reason.name,
        "order": reason.order,
        "is_active": reason.is_active,
        **payload.dict(exclude_unset=True),
    }
    with unique_on("name"):
        return settings_services.lost_reason_save(reason=reason, **values)


# Pipelines and stages --------------------------------------------------------------------------


@router.get(
    "/pipelines",
    response={200: list[PipelineOut], **error_responses(*READ_ERRORS)},
    tags=["Pipelines"],
    summary="List pipelines",
)
@paginate(Pagination)
def pipeline_list(request, is_active: bool | None = None):
    pipelines = Pipeline.objects.all()
    return pipelines if is_active is None else pipelines.filter(is_active=is_active)


@router.post(
    "/pipelines",
    response={201: PipelineOut, **error_responses(*WRITE_ERRORS)},
    tags=["Pipelines"],
    summary="Create an empty pipeline (administrators)",
)
def pipeline_create(request, payload: PipelineIn):
    require_admin(request.user)
    return Status(
        201, settings_services.pipeline_create(name=payload.name, is_default=payload.is_default)
    )


@router.get(
    "/pipelines/{pipeline_id}",
    response={200: PipelineOut, **error_responses(*ITEM_ERRORS)},
    tags=["Pipelines"],
    summary="Read a pipeline",
)
def pipeline_read(request, pipeline_id: Id):
    return visible_or_404(Pipeline.objects.all(), pipeline_id)


@router.patch(
    "/pipelines/{pipeline_id}",
    response={200: PipelineOut, **error_responses(*WRITE_ERRORS)},
    tags=["Pipelines"],
    summary="Rename, make default, archive or restore (administrators)",
)
@transaction.atomic
def pipeline_update(request, pipeline_id: Id, payload: PipelinePatch):
    require_admin(request.user)
    pipeline = visible_or_404(Pipeline.objects.all(), pipeline_id)
    data = payload.dict(exclude_unset=True)
    if "name" in data:
        settings_services.pipeline_rename(pipeline=pipeline, name=data["name"])
    if data.get("is_active") is False:
        settings_services.pipeline_archive(pipeline=pipeline)
    elif data.get("is_active") is True:
        settings_services.pipeline_restore(pipeline=pipeline)
    if data.get("is_default"):
        settings_services.pipeline_set_default(pipeline=pipeline)
    return pipeline


@router.get(
    "/stages",
    response={200: list[StageOut], **error_responses(*READ_ERRORS)},
    tags=["Pipelines"],
    summary="List stages (in pipeline order)",
)
@paginate(Pagination)
def stage_list(request, pipeline_id: Id | None = None):
    stages = Stage.objects.order_by("pipeline__order", "pipeline_id", "order")
    return stages.filter(pipeline_id=pipeline_id) if pipeline_id else stages


@router.post(
    "/stages",
    response={201: StageOut, **error_responses(*WRITE_ERRORS)},
    tags=["Pipelines"],
    summary="Add a stage at the end of a pipeline (administrators)",
)
def stage_create(request, payload: StageIn):
    require_admin(request.user)
    data = payload.dict()
    pipeline = reference(Pipeline.objects.all(), data.pop("pipeline_id"), "pipeline_id")
    return Status(201, settings_services.stage_create(pipeline=pipeline, **data))


@router.get(
    "/stages/{stage_id}",
    response={200: StageOut, **error_responses(*ITEM_ERRORS)},
    tags=["Pipelines"],
    summary="Read a stage",
)
def stage_read(request, stage_id: Id):
    return visible_or_404(Stage.objects.all(), stage_id)


@router.patch(
    "/stages/{stage_id}",
    response={200: StageOut, **error_responses(*WRITE_ERRORS)},
    tags=["Pipelines"],
    summary="Change a stage (administrators)",
)
def stage_update(request, stage_id: Id, payload: StagePatch):
    require_admin(request.user)
    stage = visible_or_404(Stage.objects.all(), stage_id)
    return settings_services.stage_update(stage=stage, **payload.dict(exclude_unset=True))


@router.delete(
    "/stages/{stage_id}",
    response={204: None, **error_responses(*WRITE_ERRORS)},
    tags=["Pipelines"],
    summary="Delete a stage no deal ever reached (administrators)",
)
def stage_destroy(request, stage_id: Id):
    require_admin(request.user)
    settings_services.stage_delete(stage=visible_or_404(Stage.objects.all(), stage_id))
    return Status(204, None)
