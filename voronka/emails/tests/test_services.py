"""Placeholders: only the documented ones, filled by plain substitution (never a template engine)."""

from decimal import Decimal

import pytest
from django.utils import translation

from tests.factories import CompanyFactory, ContactFactory, UserFactory, make_deal
from voronka.core.errors import DomainError
from voronka.emails.services import (
    UnknownPlaceholder,
    email_fill,
    email_template_save,
    fill_placeholders,
    unknown_placeholders,
)


def test_unknown_placeholders_are_listed_once_in_order():
    text = "{deal.title} {deal.owner.password} {{x}} {contact.name} {x} {deal.owner.password}"
    assert unknown_placeholders(text) == ["deal.owner.password", "x"]


def test_unknown_placeholders_are_refused_on_save(db):
    with pytest.raises(UnknownPlaceholder) as error:
        email_template_save(name="Плохой", subject="ok", body="{settings.SECRET_KEY}")
    assert error.value.field == "body"
    assert "{settings.SECRET_KEY}" in str(error.value.message)


def test_a_multi_line_subject_is_refused(db):
    with pytest.raises(DomainError) as error:
        email_template_save(name="Две строки", subject="a\nb", body="b")
    assert error.value.field == "subject"


def test_filling_is_plain_substitution_and_leaves_anything_else_as_written():
    values = {"deal.title": "{contact.name} {{ 7*7 }}", "contact.name": "Игорь"}
    text = "{deal.title} | {contact.name} | {unknown} | {{ deal.title }}"
    assert (
        fill_placeholders(text, values)
        == "{contact.name} {{ 7*7 }} | Игорь | {unknown} | {{ deal.title }}"
    )


def test_email_fill_uses_the_deal_contact_and_sender(db):
    sender = UserFactory(first_name="Анна", last_name="Смирнова", phone="+7 900 000-00-00")
    company = CompanyFactory(name="ООО Ромашка", owner=sender)
    contact = ContactFactory(first_name="Игорь", last_name="Волков", company=company, owner=sender)
    deal = make_deal(
        owner=sender, title="Станки", company=company, amount=Decimal("1234567.8"), currency="USD"
    )
    template = email_template_save(
        name="Все поля",
        subject="{deal.title} для {company.name}",
        body="{contact.name}|{deal.amount}|{manager.name}|{manager.email}|{manager.phone}",
    )
    with translation.override("en"):
        filled = email_fill(template=template, deal=deal, contact=contact, sender=sender)
    assert filled.subject == "Станки для ООО Ромашка"
    assert filled.body == (
        f"Игорь Волков|1,234,567.80 USD|Анна Смирнова|{sender.email}|+7 900 000-00-00"
    )


def test_email_fill_without_a_contact_or_company_leaves_them_empty(db):
    sender = UserFactory()
    deal = make_deal(owner=sender, title="Без компании")
    template = email_template_save(name="Т", subject="{company.name}!", body="{contact.name}.")
    filled = email_fill(template=template, deal=deal, contact=None, sender=sender)
    assert (filled.subject, filled.body) == ("!", ".")
