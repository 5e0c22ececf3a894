"""A logo that declares billions of pixels (a decompression bomb) is a form error, not a 500."""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from voronka.administration.services import InvalidLogo, logo_check
from voronka.core.models import Organisation

from .test_reference_settings import ORGANISATION

pytestmark = pytest.mark.django_db


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header declaring width × height 1-bit pixels, a few dozen bytes long."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


# Above twice Pillow's limit it raises; between the limit and twice it only warns.
SIDE_ERROR = 20_000  # 400 million pixels
SIDE_WARNING = 10_000  # 100 million pixels


def test_the_sizes_cover_both_of_pillows_reactions():
    assert SIDE_ERROR**2 > 2 * Image.MAX_IMAGE_PIXELS
    assert Image.MAX_IMAGE_PIXELS < SIDE_WARNING**2 < 2 * Image.MAX_IMAGE_PIXELS


@pytest.mark.parametrize("side", [SIDE_ERROR, SIDE_WARNING])
def test_logo_check_refuses_a_bomb(side):
    with pytest.raises(InvalidLogo) as refused:
        logo_check(SimpleUploadedFile("logo.png", bomb_png(side, side)))
    assert refused.value.field == "logo"
    assert str(refused.value.message) == (
        "The image has too many pixels for a logo; upload a smaller one."
    )


@pytest.mark.parametrize("side", [SIDE_ERROR, SIDE_WARNING])
def test_organisation_page_shows_the_bomb_as_a_form_error(client, admin_user, side):
    client.force_login(admin_user)
    response = client.post(
        reverse("administration:organisation"),
        {**ORGANISATION, "logo": SimpleUploadedFile("logo.png", bomb_png(side, side))},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "too many pixels for a logo" in response.content.decode()
    assert not Organisation.current().logo
