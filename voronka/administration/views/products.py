"""Settings: products and product lines."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.catalog import services as catalog_services
from voronka.catalog.models import Direction, Product
from voronka.core.errors import DomainError
from voronka.core.form_pages import admin_required, form_error_from_domain, form_page

from ..forms import (
    DirectionForm,
    ProductForm,
)

# Products and product lines --------------------------------------------------------------------


def _products_page(request, *, product_form=None, direction_form=None, status=200):
    return render(
        request,
        "administration/products.html",
        {
            "section": "products",
            "products": Product.objects.select_related("direction"),
            "directions": Direction.objects.annotate(product_count=Count("products")),
            "product_form": product_form or ProductForm(initial={"is_active": True}),
            "direction_form": direction_form or DirectionForm(),
        },
        status=status,
    )


@admin_required
def products(request):
    if request.method == "POST":
        form = ProductForm(request.POST)
        if form.is_valid():
            try:
                catalog_services.product_save(**form.cleaned_data)
            except DomainError as error:
                form_error_from_domain(form, error)
            else:
                messages.success(request, _("The product is added."))
                return redirect("administration:products")
        return _products_page(request, product_form=form, status=400)
    return _products_page(request)


@admin_required
@require_POST
def direction_create(request):
    form = DirectionForm(request.POST)
    if form.is_valid():
        try:
            catalog_services.direction_save(**form.cleaned_data)
        except DomainError as error:
            form_error_from_domain(form, error)
        else:
            messages.success(request, _("The product line is added."))
            return redirect("administration:products")
    return _products_page(request, direction_form=form, status=400)


@admin_required
def product_edit(request, pk):
    product = get_object_or_404(Product, pk=pk)
    return form_page(
        request,
        form=ProductForm(request.POST if request.method == "POST" else None, instance=product),
        save=lambda data: catalog_services.product_save(product=product, **data),
        template="administration/simple_edit.html",
        context={
            "section": "products",
            "title": _("Product"),
            "back_url": reverse("administration:products"),
        },
        success_url=reverse("administration:products"),
        success_message=_("The product is saved."),
    )


@admin_required
def direction_edit(request, pk):
    direction = get_object_or_404(Direction, pk=pk)
    return form_page(
        request,
        form=DirectionForm(request.POST if request.method == "POST" else None, instance=direction),
        save=lambda data: catalog_services.direction_save(direction=direction, **data),
        template="administration/simple_edit.html",
        context={
            "section": "products",
            "title": _("Product line"),
            "back_url": reverse("administration:products"),
        },
        success_url=reverse("administration:products"),
        success_message=_("The product line is saved."),
    )
