"""The paper permit: obtained from the issuer without cnf, printed as JSON, HTML and PDF."""

from __future__ import annotations

import io
import re
import zlib

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from tests.wallet.conftest import Holders, receive
from tests.wallet.fake_issuer import FakeIssuer, verify_with
from wire.errors import HolderBindingMissing
from wire.qrcodec import presentation_from_transport
from wire.sdjwt import split_presentation


def _with_paper(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> tuple[str, dict[str, str]]:
    holder = holders()
    permit_id = receive(client, holder, fake)
    response = client.post(f"/v1/permits/{permit_id}/paper", headers=holder.headers)
    assert response.status_code == 201, response.text
    assert response.json()["copies"] == 1
    return permit_id, holder.headers


def test_paper_sheet_has_one_unbound_qr_per_paper_profile(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    permit_id, headers = _with_paper(client, holders, fake)
    assert fake.issued[-1][2] is True  # issued without cnf
    listed = client.get("/v1/permits", headers=headers).json()
    assert listed[0]["paper_available"] is True
    sheet = client.get(f"/v1/permits/{permit_id}/paper", headers=headers).json()
    assert [q["profile"] for q in sheet["qrs"]] == ["landlord", "school"]
    claims = [f["claim"] for f in sheet["fields"]]
    assert "id_number" not in claims
    assert "name" in claims
    for qr in sheet["qrs"]:
        verified = verify_with(fake, qr["qr_text"], qr["profile"])
        assert verified.holder_jwk is None
        assert split_presentation(presentation_from_transport(qr["qr_text"])).kb_jwt is None
    with pytest.raises(HolderBindingMissing):
        verify_with(fake, sheet["qrs"][0]["qr_text"], "bank", audience="a", nonce="n" * 16)
    history = client.get("/v1/history", headers=headers).json()
    assert {(h["profile"], h["channel"]) for h in history} == {
        ("landlord", "paper"),
        ("school", "paper"),
    }


def test_paper_pdf_and_html(client: TestClient, holders: Holders, fake: FakeIssuer) -> None:
    permit_id, headers = _with_paper(client, holders, fake)
    pdf = client.get(f"/v1/permits/{permit_id}/paper.pdf", headers=headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    data = pdf.content
    assert data.startswith(b"%PDF-1.4")
    assert data.rstrip().endswith(b"%%EOF")
    assert b"/STSong-Light" in data
    assert b"/UniGB-UCS2-H" in data
    # the QR images are the bytes a printer gets: read them back and verify them
    images = re.findall(
        rb"/Width (\d+) /Height (\d+) [^>]*/FlateDecode /Length (\d+) >>\nstream\n", data
    )
    assert len(images) == 2
    texts = []
    for match in re.finditer(rb"/Width (\d+) /Height (\d+) [^>]*/Length (\d+) >>\nstream\n", data):
        width, height, length = (int(g) for g in match.groups())
        raw = zlib.decompress(data[match.end() : match.end() + length])
        image = Image.frombytes("L", (width, height), raw).resize(
            (width * 4, height * 4), Image.Resampling.NEAREST
        )
        [decoded] = zxingcpp.read_barcodes(image)
        texts.append(decoded.text)
    verify_with(fake, texts[0], "landlord")  # printed in profile order
    verify_with(fake, texts[1], "school")
    html = client.get(f"/v1/permits/{permit_id}/paper.html", headers=headers)
    assert html.status_code == 200
    assert "<svg" in html.text
    assert "李梅" in html.text
    assert "default-src 'none'" in html.headers["content-security-policy"]


def test_no_paper_yet_and_issuer_without_paper(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    missing = client.get(f"/v1/permits/{permit_id}/paper", headers=holder.headers)
    assert missing.status_code == 404
    fake.paper = False
    refused = client.post(f"/v1/permits/{permit_id}/paper", headers=holder.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "paper_not_offered"


def test_renewal_drops_the_old_paper_copy(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    permit_id, headers = _with_paper(client, holders, fake)
    uri, pin = fake.offer(endorsed_until="2028-03-02")
    client.post("/v1/offers", json={"offer": uri, "tx_code": pin}, headers=headers)
    assert client.get(f"/v1/permits/{permit_id}/paper", headers=headers).status_code == 404
    assert client.get("/v1/permits", headers=headers).json()[0]["paper_available"] is False


def test_revoked_permit_gets_no_paper(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    permit_id = receive(client, holder, fake)
    fake.set_status(1)
    refused = client.post(f"/v1/permits/{permit_id}/paper", headers=holder.headers)
    assert refused.status_code == 400
    assert refused.json()["issuer_error"] == "invalid_proof"
    assert io.BytesIO(b"").read() == b""
