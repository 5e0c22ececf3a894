"""Settings pages for lost reasons, lead sources and costs, products, people and organisation."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.factories import (
    DepartmentFactory,
    DirectionFactory,
    LeadSourceFactory,
    LostReasonFactory,
    ProductFactory,
    UserFactory,
)
from voronka.accounts.models import Department, User
from voronka.catalog.models import Direction, Product
from voronka.core.models import Organisation
from voronka.crm.models import LeadSource, LeadSourceCost
from voronka.pipeline.models import LostReason

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(admin_user)
    return client


def image_file(image_format="PNG", name="logo.png", size=(40, 20)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#2f6fed").save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.mark.parametrize(
    "url_name",
    [
        "administration:lost_reasons",
        "administration:lead_sources",
        "administration:products",
        "administration:users",
        "administration:departments",
        "administration:organisation",
    ],
)
@pytest.mark.parametrize("role", ["manager", "head", "viewer"])
def test_posting_to_settings_is_403_for_non_admins(client, role, url_name):
    client.force_login(UserFactory(role=role))
    assert client.post(reverse(url_name), {"name": "X"}).status_code == 403


def test_lost_reasons_add_and_edit(admin_client):
    admin_client.post(
        reverse("administration:lost_reasons"), {"name": "Дорого", "order": "2", "is_active": "on"}
    )
    reason = LostReason.objects.get()
    assert (reason.name, reason.order, reason.is_active) == ("Дорого", 2, True)
    admin_client.post(
        reverse("administration:lost_reason", args=[reason.pk]), {"name": "Цена", "order": "1"}
    )
    reason.refresh_from_db()
    assert (reason.name, reason.order, reason.is_active) == ("Цена", 1, False)


def test_lost_reason_duplicate_is_400(admin_client):
    LostReasonFactory(name="Дорого")
    response = admin_client.post(
        reverse("administration:lost_reasons"), {"name": "Дорого", "order": "0"}
    )
    assert response.status_code == 400
    assert "Lost reason with this Name already exists." in response.content.decode()


def test_lead_source_with_monthly_costs(admin_client):
    admin_client.post(
        reverse("administration:lead_sources"), {"name": "Выставка", "is_active": "on"}
    )
    source = LeadSource.objects.get(name="Выставка")
    url = reverse("administration:lead_source", args=[source.pk])
    admin_client.post(url, {"form": "cost", "month": "2026-03", "amount": "150000"})
    admin_client.post(url, {"form": "cost", "month": "2026-04", "amount": "90000.50"})
    # A second figure for March replaces the first.
    admin_client.post(url, {"form": "cost", "month": "2026-03", "amount": "120000"})
    assert list(source.costs.order_by("month").values_list("month", "amount")) == [
        (date(2026, 3, 1), Decimal("120000.00")),
        (date(2026, 4, 1), Decimal("90000.50")),
    ]
    response = admin_client.get(reverse("administration:lead_sources"))
    assert "210" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"month": "2026-13", "amount": "10"}, "Enter a valid date."),
        ({"month": "2026-03", "amount": "-5"}, "Ensure this value is greater than or equal to 0."),
        ({"month": "2026-03", "amount": "lots"}, "Enter a number."),
    ],
)
def test_lead_source_cost_bad_input_is_400(admin_client, data, message):
    source = LeadSourceFactory()
    response = admin_client.post(
        reverse("administration:lead_source", args=[source.pk]), {"form": "cost", **data}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LeadSourceCost.objects.exists()


def test_lead_source_cost_remove(admin_client):
    source = LeadSourceFactory()
    cost = LeadSourceCost.objects.create(source=source, month=date(2026, 1, 1), amount=5)
    admin_client.post(reverse("administration:lead_cost_delete", args=[cost.pk]))
    assert not LeadSourceCost.objects.exists()


def test_products_and_product_lines(admin_client):
    admin_client.post(reverse("administration:direction_create"), {"name": "Оборудование"})
    direction = Direction.objects.get()
    response = admin_client.post(
        reverse("administration:products"),
        {
            "name": "Станок",
            "sku": "ST-1",
            "direction": direction.pk,
            "unit": "шт.",
            "price": "250000",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.name, product.sku, product.price, product.direction) == (
        "Станок",
        "ST-1",
        Decimal("250000.00"),
        direction,
    )
    admin_client.post(reverse("administration:direction", args=[direction.pk]), {"name": "Станки"})
    direction.refresh_from_db()
    assert direction.name == "Станки"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"price": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"sku": "taken"}, "Product with this SKU already exists."),
        ({"direction": "999999"}, "Select a valid choice."),
    ],
)
def test_product_bad_input_is_400(admin_client, data, message):
    direction = DirectionFactory()
    ProductFactory(sku="taken")
    payload = {"name": "X", "sku": "NEW", "direction": direction.pk, "unit": "шт.", "price": "1"}
    response = admin_client.post(reverse("administration:products"), {**payload, **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Product.objects.count() == 1


def test_product_line_duplicate_name_in_another_case_is_400(admin_client):
    DirectionFactory(name="Оборудование")
    response = admin_client.post(
        reverse("administration:direction_create"), {"name": "оборудование"}
    )
    assert response.status_code == 400
    assert "A product line with this name already exists." in response.content.decode()


def test_create_user_with_password_role_department_and_capacity(admin_client, client):
    department = DepartmentFactory(name="Москва")
    response = admin_client.post(
        reverse("administration:users"),
        {
            "username": "ivanova",
            "first_name": "Анна",
            "last_name": "Иванова",
            "email": "anna@example.com",
            "phone": "+7 900 000-00-00",
            "role": "head",
            "department": department.pk,
            "capacity": "40",
            "password": "Kp9-long-enough",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="ivanova")
    assert (user.role, user.department, user.capacity, user.is_active) == (
        "head",
        department,
        40,
        True,
    )
    assert user.check_password("Kp9-long-enough")


@pytest.mark.parametrize(
    ("password", "message"),
    [("123", "This password is too short."), ("password123", "This password is too common.")],
)
def test_create_user_with_a_weak_password_is_400(admin_client, password, message):
    response = admin_client.post(
        reverse("administration:users"),
        {"username": "weak", "role": "manager", "capacity": "10", "password": password},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.filter(username="weak").exists()


def test_edit_user_role_and_department(admin_client):
    person = UserFactory(role="manager")
    department = DepartmentFactory()
    admin_client.post(
        reverse("administration:user", args=[person.pk]),
        {"first_name": "Пётр", "role": "viewer", "department": department.pk, "capacity": "5"},
    )
    person.refresh_from_db()
    assert (person.first_name, person.role, person.department, person.capacity) == (
        "Пётр",
        "viewer",
        department,
        5,
    )


def test_deactivate_and_reactivate_user(admin_client):
    person = UserFactory()
    url = reverse("administration:user_active", args=[person.pk])
    admin_client.post(url)
    person.refresh_from_db()
    assert not person.is_active
    admin_client.post(url, {"active": "1"})
    person.refresh_from_db()
    assert person.is_active


def test_admin_cannot_deactivate_or_demote_themselves(client):
    me = UserFactory(role="admin")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(me)
    response = client.post(reverse("administration:user_active", args=[me.pk]))
    assert response.status_code == 400
    assert "You cannot deactivate yourself" in response.content.decode()
    response = client.post(
        reverse("administration:user", args=[me.pk]), {"role": "manager", "capacity": "5"}
    )
    assert response.status_code == 400
    me.refresh_from_db()
    assert (me.is_active, me.role) == (True, "admin")


def test_departments_create_and_rename(admin_client):
    admin_client.post(reverse("administration:departments"), {"name": "Регионы"})
    department = Department.objects.get(name="Регионы")
    admin_client.post(reverse("administration:department", args=[department.pk]), {"name": "Юг"})
    department.refresh_from_db()
    assert department.name == "Юг"
    response = admin_client.post(reverse("administration:departments"), {"name": ""})
    assert response.status_code == 400


ORGANISATION = {
    "name": "ООО Ромашка",
    "primary_color": "#aa3300",
    "currency": "USD",
    "time_zone": "Asia/Yekaterinburg",
    "language": "en",
}


def test_organisation_profile_and_logo_upload(admin_client, client):
    response = admin_client.post(
        reverse("administration:organisation"), {**ORGANISATION, "logo": image_file()}
    )
    assert response.status_code == 302
    organisation = Organisation.current()
    assert (organisation.name, organisation.primary_color, organisation.currency) == (
        "ООО Ромашка",
        "#aa3300",
        "USD",
    )
    assert (organisation.time_zone, organisation.language) == ("Asia/Yekaterinburg", "en")
    assert organisation.logo.name.startswith("logo/") and organisation.logo.name.endswith(".png")
    assert "logo.png" not in organisation.logo.name  # stored under a generated name
    logo = client.get(reverse("administration:logo"))
    assert logo.status_code == 200
    assert b"".join(logo.streaming_content).startswith(b"\x89PNG")
    page = admin_client.get(reverse("administration:organisation"))
    assert 'class="brand-logo"' in page.content.decode()


@pytest.mark.parametrize(("image_format", "name"), [("JPEG", "logo.jpg"), ("WEBP", "logo.webp")])
def test_jpeg_and_webp_logos_are_accepted(admin_client, image_format, name):
    admin_client.post(
        reverse("administration:organisation"),
        {**ORGANISATION, "logo": image_file(image_format, name)},
    )
    assert Organisation.current().logo.name.endswith(name.rsplit(".", 1)[1])


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile(
                "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'
            ),
            "Upload a PNG, JPEG or WebP image of at most 2 MB.",
        ),
        (SimpleUploadedFile("logo.png", b"not an image at all"), "Upload a PNG, JPEG or WebP"),
        ("gif", "Upload a PNG, JPEG or WebP"),
        (SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024)), "larger than 2 MB"),
    ],
)
def test_bad_logo_is_400_with_a_clear_message(admin_client, upload, message):
    if upload == "gif":
        upload = image_file("GIF", "logo.gif")
    response = admin_client.post(
        reverse("administration:organisation"), {**ORGANISATION, "logo": upload}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Organisation.current().logo


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("primary_color", "red", "Use a colour like #2f6fed."),
        ("currency", "rub", "Use a three-letter code such as RUB."),
        ("time_zone", "Mars/Olympus", "Select a valid choice."),
    ],
)
def test_organisation_bad_input_is_400(admin_client, field, value, message):
    response = admin_client.post(
        reverse("administration:organisation"), {**ORGANISATION, field: value}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Organisation.current().name == "Voronka"


REFERENCE_PAGES = (
    "administration:products",
    "administration:users",
    "administration:lead_sources",
    "administration:departments",
    "administration:lost_reasons",
)


def _reference_page_queries(client) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for url_name in REFERENCE_PAGES:
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse(url_name)).status_code == 200
        counts[url_name] = len(context)
    return counts


def test_reference_pages_do_not_grow_queries_with_data(admin_client):
    # The organisation row is created on the very first page view; later views only read it.
    Organisation.current()

    def add_rows(count):
        department = DepartmentFactory()
        for _ in range(count):
            ProductFactory(direction=DirectionFactory())
            UserFactory(department=department)
            LeadSourceFactory()
            LostReasonFactory()
            DepartmentFactory()

    add_rows(2)
    small = _reference_page_queries(admin_client)
    add_rows(20)
    large = _reference_page_queries(admin_client)
    assert large == small
    assert max(small.values()) <= 8


def test_the_time_zone_select_offers_every_zone_with_the_current_one_chosen(admin_client):
    import zoneinfo

    organisation = Organisation.current()
    organisation.time_zone = "Asia/Yekaterinburg"
    organisation.save()
    page = admin_client.get(reverse("administration:organisation")).content.decode()
    select = page.split('name="time_zone"', 1)[1].split("</select>", 1)[0]
    assert select.count("<option") == len(zoneinfo.available_timezones())
    assert select.count(" selected") == 1
    assert '<option value="Asia/Yekaterinburg" selected>Asia/Yekaterinburg</option>' in select
    label_target = page.split('<label for="id_time_zone"', 1)
    assert len(label_target) == 2 and 'id="id_time_zone"' in page
