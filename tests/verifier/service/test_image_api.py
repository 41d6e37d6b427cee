"""``POST /v1/verify/image``: a photo of the QR through the same pipeline, and its errors."""

from __future__ import annotations

import io
from typing import Any

import qrcode
import qrcode.constants
from PIL import Image

from tests.verifier.service.conftest import Federation, TestClient
from verifier.qrimage import MAX_IMAGE_BYTES
from wire.qrcodec import encode_qr_payload


def qr_photo(text: str, *, fmt: str = "PNG", scale: int = 4) -> bytes:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=scale)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image().get_image().convert("RGB")
    # A "photo": the code on a larger grey background, slightly rotated.
    canvas = Image.new("RGB", (image.width + 200, image.height + 160), (200, 200, 195))
    canvas.paste(image.rotate(3, expand=True, fillcolor=(255, 255, 255)), (90, 70))
    buffer = io.BytesIO()
    canvas.save(buffer, fmt)
    return buffer.getvalue()


def post_image(
    client: TestClient, fed: Federation, data: bytes, account: str = "landlord", **form: str
) -> Any:
    return client.post(
        "/v1/verify/image",
        files={"image": ("photo.jpg", data, "image/jpeg")},
        data=form,
        headers=fed.auth(account),
    )


def test_a_photo_of_the_compact_qr_verifies(client: TestClient, federation: Federation) -> None:
    photo = qr_photo(encode_qr_payload(federation.present()), fmt="JPEG")
    response = post_image(client, federation, photo)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is True
    assert body["claims"]["residence_address"] == {"district": "浦东新区"}


def test_the_image_goes_through_the_same_pipeline(
    client: TestClient, federation: Federation
) -> None:
    text = encode_qr_payload(federation.present())
    assert post_image(client, federation, qr_photo(text)).json()["valid"] is True
    assert post_image(client, federation, qr_photo(text)).json()["reason"] == "replayed"
    federation.publish("sh", 2)
    federation.clock.advance(301)
    fresh = qr_photo(encode_qr_payload(federation.present()))
    assert post_image(client, federation, fresh).json()["reason"] == "suspended"


def test_a_photo_without_a_qr_code_is_422_qr_not_found(
    client: TestClient, federation: Federation
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (120, 160, 200)).save(buffer, "PNG")
    response = post_image(client, federation, buffer.getvalue())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "qr_not_found"


def test_a_file_that_is_not_an_image_is_422_qr_unreadable(
    client: TestClient, federation: Federation
) -> None:
    response = post_image(client, federation, b"GIF89a this is not really an image")
    assert (response.status_code, response.json()["code"]) == (422, "qr_unreadable")


def test_an_image_over_the_byte_limit_is_413(client: TestClient, federation: Federation) -> None:
    response = post_image(client, federation, b"\xff\xd8\xff" + b"\0" * MAX_IMAGE_BYTES)
    assert (response.status_code, response.json()["code"]) == (413, "image_too_large")
    body = b"\0" * (MAX_IMAGE_BYTES + 128 * 1024)
    response = post_image(client, federation, body)
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")


def test_an_image_over_the_pixel_limit_is_413(client: TestClient, federation: Federation) -> None:
    """A small file that would decompress to a huge bitmap (a decompression bomb)."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000), 1).save(buffer, "PNG")
    assert len(buffer.getvalue()) < 1024 * 1024
    response = post_image(client, federation, buffer.getvalue())
    assert (response.status_code, response.json()["code"]) == (413, "image_too_large")


def test_the_image_field_is_required(client: TestClient, federation: Federation) -> None:
    response = client.post(
        "/v1/verify/image", data={"profile": "landlord"}, headers=federation.auth("landlord")
    )
    assert (response.status_code, response.json()["field"]) == (422, "image")


def test_image_profile_rules_match_the_text_endpoint(
    client: TestClient, federation: Federation
) -> None:
    photo = qr_photo(encode_qr_payload(federation.present()))
    assert post_image(client, federation, photo, profile="school").status_code == 403
    assert post_image(client, federation, photo, account="bank").status_code == 409
    no_key = client.post("/v1/verify/image", files={"image": ("a.png", photo, "image/png")})
    assert no_key.status_code == 401
