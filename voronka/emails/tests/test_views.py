"""Email templates (heads and admins manage them) and sending a templated email from a deal:
placeholders filled from the deal, contact and sender; the send is logged on the timeline."""

from decimal import Decimal

import pytest
from django.core import mail

from tests.factories import CompanyFactory, ContactFactory, UserFactory, make_deal
from voronka.activities.models import Activity
from voronka.emails.models import EmailTemplate
from voronka.emails.services import email_template_save
from voronka.pipeline.models import Deal

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english(client):
    """Assert the English source messages whatever the default language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def head(manager):
    return UserFactory(role="head", department=manager.department)


@pytest.fixture
def template(db):
    return email_template_save(
        name="Коммерческое предложение",
        subject="КП по сделке «{deal.title}»",
        body=(
            "Здравствуйте, {contact.name}!\n"
            "Направляем предложение для {company.name} на сумму {deal.amount}.\n"
            "{manager.name}, {manager.email}"
        ),
    )


@pytest.fixture
def contact(manager):
    company = CompanyFactory(name="ООО «Северный ветер»", owner=manager)
    return ContactFactory(
        first_name="Игорь",
        last_name="Волков",
        email="volkov@veter.example",
        company=company,
        owner=manager,
    )


@pytest.fixture
def deal(manager, pipeline, contact):
    manager.first_name, manager.last_name = "Анна", "Смирнова"
    manager.save()
    return make_deal(
        owner=manager,
        pipeline=pipeline,
        title="Станки ЧПУ",
        company=contact.company,
        contacts=[contact],
        amount=Decimal("1480000.50"),
        currency="RUB",
    )


# ----------------------------------------------------------------- templates


def test_head_lists_creates_edits_and_deletes_templates(client, head, template):
    client.force_login(head)
    response = client.get("/emails/templates/")
    assert response.status_code == 200
    assert "Коммерческое предложение" in response.content.decode()

    response = client.post(
        "/emails/templates/new/",
        {"name": "Спасибо", "subject": "Спасибо, {contact.name}", "body": "До встречи!"},
    )
    assert (response.status_code, response["Location"]) == (302, "/emails/templates/")
    created = EmailTemplate.objects.get(name="Спасибо")
    assert (created.subject, created.is_active) == ("Спасибо, {contact.name}", False)

    response = client.post(
        f"/emails/templates/{created.pk}/",
        {"name": "Спасибо", "subject": "Спасибо!", "body": "До встречи!", "is_active": "on"},
    )
    assert response.status_code == 302
    created.refresh_from_db()
    assert (created.subject, created.is_active) == ("Спасибо!", True)

    response = client.post(f"/emails/templates/{created.pk}/delete/")
    assert response.status_code == 302
    assert list(EmailTemplate.objects.values_list("name", flat=True)) == [
        "Коммерческое предложение"
    ]


def test_unknown_placeholder_is_refused_naming_it(client, head):
    client.force_login(head)
    response = client.post(
        "/emails/templates/new/",
        {"name": "Опечатка", "subject": "Привет, {contact.nmae}", "body": "{deal.__class__} {x}"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Unknown placeholder(s): {contact.nmae}. Use only the listed placeholders." in html
    assert "Unknown placeholder(s): {deal.__class__}, {x}." in html
    assert not EmailTemplate.objects.exists()


def test_template_without_required_fields_is_400(client, head):
    client.force_login(head)
    response = client.post("/emails/templates/new/", {"name": "", "subject": "", "body": ""})
    assert response.status_code == 400
    assert response.content.decode().count("This field is required.") == 3


def test_duplicate_template_name_is_400(client, head, template):
    client.force_login(head)
    response = client.post(
        "/emails/templates/new/",
        {"name": "Коммерческое предложение", "subject": "x", "body": "y"},
    )
    assert response.status_code == 400
    assert "Email template with this Name already exists." in response.content.decode()


def test_manager_sees_active_templates_but_cannot_manage(client, manager, template):
    EmailTemplate.objects.create(name="Старый", subject="s", body="b", is_active=False)
    client.force_login(manager)
    response = client.get("/emails/templates/")
    assert response.status_code == 200
    assert [t.name for t in response.context["templates"]] == ["Коммерческое предложение"]
    assert "/emails/templates/new/" not in response.content.decode()
    assert client.get("/emails/templates/new/").status_code == 403
    assert client.get(f"/emails/templates/{template.pk}/").status_code == 403
    assert client.post(f"/emails/templates/{template.pk}/delete/").status_code == 403
    assert EmailTemplate.objects.count() == 2


def test_unknown_template_is_404(client, head, db):
    client.force_login(head)
    assert client.get("/emails/templates/999999/").status_code == 404


def test_template_list_query_count_does_not_grow(client, head, django_assert_max_num_queries):
    client.force_login(head)
    counts = []
    for size in (2, 25):
        for index in range(size - EmailTemplate.objects.count()):
            email_template_save(name=f"Шаблон {size}-{index}", subject="s", body="b", user=head)
        response = client.get("/emails/templates/")
        assert len(response.context["templates"]) == size
        with django_assert_max_num_queries(12) as queries:
            client.get("/emails/templates/")
        counts.append(len(queries))
    assert counts[0] == counts[1]


# ----------------------------------------------------------------- compose and send


def test_compose_fills_the_template_for_the_contact(client, manager, deal, template):
    client.force_login(manager)
    response = client.get(f"/emails/deal/{deal.pk}/compose/?template={template.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["subject"] == "КП по сделке «Станки ЧПУ»"
    assert form.initial["body"] == (
        "Здравствуйте, Игорь Волков!\n"
        "Направляем предложение для ООО «Северный ветер» на сумму 1,480,000.50 RUB.\n"
        f"Анна Смирнова, {manager.email}"
    )


def test_compose_with_htmx_returns_only_the_fields(client, manager, deal, template):
    client.force_login(manager)
    response = client.get(f"/emails/deal/{deal.pk}/compose/?template={template.pk}", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="compose-fields"')
    assert "КП по сделке «Станки ЧПУ»" in html


def test_compose_with_garbage_parameters_is_an_empty_form(client, manager, deal):
    client.force_login(manager)
    response = client.get(f"/emails/deal/{deal.pk}/compose/?template=abc&contact=-1")
    assert response.status_code == 200
    assert response.context["form"].initial["subject"] == ""


def test_send_logs_an_email_activity_and_sends_through_the_backend(
    client, manager, deal, contact, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/emails/deal/{deal.pk}/compose/",
            {
                "contact": contact.pk,
                "subject": "Привет, {contact.name}",
                "body": "Сумма {deal.amount}",
            },
        )
    assert (response.status_code, response["Location"]) == (302, f"/deals/{deal.pk}/")
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.to, sent.subject, sent.body) == (
        ["volkov@veter.example"],
        "Привет, Игорь Волков",
        "Сумма 1,480,000.50 RUB",
    )
    activity = Activity.objects.get(deal=deal)
    assert (activity.kind, activity.subject, activity.body, activity.contact_id) == (
        "email",
        "Привет, Игорь Волков",
        "Сумма 1,480,000.50 RUB",
        contact.pk,
    )
    assert activity.done_at is not None
    card = client.get(f"/deals/{deal.pk}/").content.decode()
    assert "Привет, Игорь Волков" in card
    assert "The email to volkov@veter.example is sent." in card


def test_contact_without_an_address_is_refused(client, manager, deal, contact):
    contact.email = ""
    contact.save()
    client.force_login(manager)
    response = client.post(
        f"/emails/deal/{deal.pk}/compose/", {"contact": contact.pk, "subject": "s", "body": "b"}
    )
    assert response.status_code == 400
    assert "Игорь Волков has no email address." in response.content.decode()
    assert not Activity.objects.exists()
    assert mail.outbox == []


def test_contact_not_on_the_deal_is_refused(client, manager, deal):
    stranger = ContactFactory(owner=manager, company__owner=manager)
    client.force_login(manager)
    response = client.post(
        f"/emails/deal/{deal.pk}/compose/", {"contact": stranger.pk, "subject": "s", "body": "b"}
    )
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"subject": "", "body": "b"}, "This field is required."),
        ({"subject": "s", "body": "   "}, "This field is required."),
        ({"subject": "s" * 256, "body": "b"}, "Ensure this value has at most 255 characters"),
    ],
)
def test_bad_email_input_is_400(client, manager, deal, contact, data, message):
    client.force_login(manager)
    response = client.post(f"/emails/deal/{deal.pk}/compose/", {"contact": contact.pk, **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Activity.objects.exists()


def test_compose_for_another_managers_deal_is_404(client, deal, contact):
    client.force_login(UserFactory(role="manager"))
    assert client.get(f"/emails/deal/{deal.pk}/compose/").status_code == 404
    response = client.post(
        f"/emails/deal/{deal.pk}/compose/", {"contact": contact.pk, "subject": "s", "body": "b"}
    )
    assert response.status_code == 404
    assert mail.outbox == []


def test_viewer_cannot_compose(client, deal):
    client.force_login(UserFactory(role="viewer"))
    assert client.get(f"/emails/deal/{deal.pk}/compose/").status_code == 403


def test_the_card_links_to_compose(client, manager, deal):
    client.force_login(manager)
    html = client.get(f"/deals/{deal.pk}/").content.decode()
    assert f'href="/emails/deal/{deal.pk}/compose/" data-testid="email-compose"' in html


def test_line_breaks_in_filled_values_never_reach_the_subject_header(
    client, manager, deal, contact, django_capture_on_commit_callbacks
):
    Deal.objects.filter(pk=deal.pk).update(title="Станки\nЧПУ")
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/emails/deal/{deal.pk}/compose/",
            {"contact": contact.pk, "subject": "КП: {deal.title}", "body": "b"},
        )
    assert response.status_code == 302
    assert mail.outbox[0].subject == "КП: Станки ЧПУ"


def test_a_failing_mail_server_does_not_break_the_page(
    client, manager, deal, contact, django_capture_on_commit_callbacks, monkeypatch
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("SMTP is down")

    monkeypatch.setattr("voronka.emails.tasks.send_mail", refuse)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/emails/deal/{deal.pk}/compose/",
            {"contact": contact.pk, "subject": "s", "body": "b"},
        )
    assert response.status_code == 302
    assert Activity.objects.filter(deal=deal, kind="email").count() == 1


def test_the_recipient_defaults_to_the_deals_first_contact_with_an_address(
    client, manager, deal, contact
):
    ContactFactory(first_name="Анна", last_name="Безадресная", email="", company=contact.company)
    deal.contacts.add(*contact.company.contacts.all())
    client.force_login(manager)
    response = client.get(f"/emails/deal/{deal.pk}/compose/")
    assert response.context["form"].initial["contact"] == contact
    html = response.content.decode()
    assert f'<option value="{contact.pk}" selected>' in html
    assert "— choose a recipient —" in html
    assert "---------" not in html
