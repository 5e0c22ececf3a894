"""The API refuses control characters in every string of a request body (issue 11, finding 3)."""

import pytest

from voronka.crm.models import Company


@pytest.mark.parametrize("name", ["Ctrl\u0001Char Co", "Esc\u001b[31m", "Del\u007f", "C1\u0085"])
def test_company_name_with_a_control_character_is_a_422_naming_the_field(admin_api, name):
    response = admin_api.post("companies", {"name": name})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    [message] = body["fields"]["name"]
    assert "invisible control character (U+" in message
    assert not Company.objects.exists()


def test_the_message_is_translated(admin_api):
    admin_api.headers["Accept-Language"] = "ru"
    response = admin_api.post("companies", {"name": "A", "notes": "x\u0001"})
    assert response.status_code == 422
    assert "невидимый управляющий символ (U+0001)" in response.json()["fields"]["notes"][0]


def test_multi_line_text_keeps_tabs_and_newlines(admin_api):
    response = admin_api.post("companies", {"name": "Ромашка", "notes": "one\r\n\ttwo\nthree"})
    assert response.status_code == 201
    assert Company.objects.get().notes == "one\r\n\ttwo\nthree"


def test_patch_is_checked_too(admin_api):
    company_id = admin_api.post("companies", {"name": "Ромашка"}).json()["id"]
    response = admin_api.patch(f"companies/{company_id}", {"address": "Москва\u0000"})
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["address"]
    assert Company.objects.get().address == ""


def test_a_lone_surrogate_in_json_is_a_422_not_a_500(admin_api):
    # "\ud800" is valid JSON but no character: PostgreSQL could not store it.
    response = admin_api.post("companies", {"name": "Ромашка\ud800"})
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["name"]
    assert not Company.objects.exists()
