"""Small units: the vault, the PDF writer, QR rendering, the error map, the CLI command."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from keys.generate import generate_private_key
from wallet_api.cli import serve_wallet
from wallet_api.errors import WALLET_HTTP_STATUS, http_status
from wallet_api.pdf import PaperField, PaperQr, render_paper_pdf
from wallet_api.qr import qr_matrix, qr_png, qr_svg
from wallet_api.vault import Vault
from wire.errors import ConfigurationError, Conflict
from wire.jwk import public_jwk


def test_vault_round_trips_and_binds_to_the_row() -> None:
    vault = Vault(SecretStr("s" * 40))
    copy_id, other = uuid.uuid4(), uuid.uuid4()
    key = generate_private_key("EdDSA")
    sealed = vault.seal_key(copy_id, key)
    assert sealed.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert public_jwk(vault.open_key(copy_id, sealed)) == public_jwk(key)
    with pytest.raises(ConfigurationError):
        vault.open_key(other, sealed)
    blob = vault.seal_credential(copy_id, "eyJ...~")
    assert vault.open_credential(copy_id, blob) == "eyJ...~"
    for bad in (
        vault.seal_credential(other, "x"),
        blob[:-1] + bytes([blob[-1] ^ 1]),
        b"\x02" + blob[1:],
        b"",
    ):
        with pytest.raises(ConfigurationError):
            vault.open_credential(copy_id, bad)
    with pytest.raises(ConfigurationError):
        Vault(SecretStr("t" * 40)).open_credential(copy_id, blob)
    assert vault.permit_ref("iss", "1") != vault.permit_ref("iss", "2")
    assert vault.permit_ref("iss", "1") != Vault(SecretStr("t" * 40)).permit_ref("iss", "1")
    assert "s" * 40 not in repr(vault)


def test_pdf_is_well_formed() -> None:
    pdf = render_paper_pdf(
        title="居住证（纸质）",
        subtitle="Residence permit (paper)",
        fields=[PaperField("姓名 Name", "李梅"), PaperField("No (a)", "x\\y")],
        qrs=[PaperQr("给房东看", qr_matrix("RP1:ABC"))],
        note="note",
    )
    assert pdf.startswith(b"%PDF-1.4")
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[xref:].startswith(b"xref\n0 ")
    count = int(pdf[xref:].split(b"\n")[1].split()[1])
    offsets = [int(line[:10]) for line in pdf[xref:].split(b"\n")[3 : 2 + count]]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(f"{number} 0 obj".encode())


def test_qr_renderings() -> None:
    assert qr_png("RP1:ABC").startswith(b"\x89PNG")
    assert b"<path" in qr_svg("RP1:ABC")
    matrix = qr_matrix("hello world, lower case uses byte mode")
    assert len(matrix) == len(matrix[0])
    assert len(matrix) >= 21 + 8


def test_error_statuses() -> None:
    assert WALLET_HTTP_STATUS["offer_already_redeemed"] == 409
    assert http_status(Conflict()) == 409


def test_serve_wallet_command_help() -> None:
    result = CliRunner().invoke(serve_wallet, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers", "--migrate"):
        assert option in result.output
    assert "8002" in result.output


def test_serve_wallet_refuses_bad_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERMIT_WALLET_ENVIRONMENT", "production")
    result = CliRunner().invoke(serve_wallet, [])
    assert result.exit_code == 1
    assert "key_encryption_secret" in result.output
