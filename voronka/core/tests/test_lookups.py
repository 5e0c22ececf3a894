"""`field__any_of`: the same rows as `__in`, on both databases."""

import pytest
from django.db.models import Q

from tests.factories import CompanyFactory, ContactFactory
from voronka.crm.models import Company, Contact

pytestmark = pytest.mark.django_db


def test_any_of_finds_the_rows_in_a_list_of_texts_and_of_ids():
    first = CompanyFactory(name="Альфа", inn="7700000001")
    second = CompanyFactory(name="Beta «B»", inn="")
    CompanyFactory(name="Gamma", inn="7700000003")
    by_name = Company.objects.filter(name__any_of=["Альфа", "Beta «B»", "nobody"])
    assert sorted(by_name.values_list("pk", flat=True)) == sorted([first.pk, second.pk])
    assert list(Company.objects.filter(pk__any_of=[second.pk]).values_list("name", flat=True)) == [
        "Beta «B»"
    ]
    either = Q(inn__any_of=["7700000001"]) | Q(name__any_of=["Gamma"])
    assert sorted(Company.objects.filter(either).values_list("name", flat=True)) == [
        "Gamma",
        "Альфа",
    ]


def test_any_of_an_empty_list_finds_nothing():
    CompanyFactory()
    assert not Company.objects.filter(name__any_of=[]).exists()
    assert Company.objects.exclude(pk__any_of=[]).count() == 1


def test_any_of_works_on_a_foreign_key():
    company = CompanyFactory()
    other = CompanyFactory()
    contact = ContactFactory(company=company)
    ContactFactory(company=other)
    found = Contact.objects.filter(company_id__any_of={company.pk}).values_list("pk", flat=True)
    assert list(found) == [contact.pk]
    assert list(
        Contact.objects.filter(company__any_of=[company.pk]).values_list("pk", flat=True)
    ) == [contact.pk]
