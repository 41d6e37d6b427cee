"""``permit keys`` and ``permit trust-list`` through click's CliRunner."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from keys.ring import KeyRing
from keys.store import FileKeyStore
from keys.trustlist import TRUST_LIST_TYP
from permit_cli.main import cli
from wire.errors import Malformed
from wire.jws import parse_compact

PASSPHRASE = "cli test passphrase, not a secret"
NOW = 1_750_000_000


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KEY_DIR", "KEY_PASSPHRASE_FILE", "ENVIRONMENT"):
        monkeypatch.delenv(f"PERMIT_{name}", raising=False)
    monkeypatch.setenv("PERMIT_KEY_PASSPHRASE", PASSPHRASE)


def permit(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def ok(*args: str | Path) -> str:
    result = permit(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(*args: str | Path) -> str:
    """Run a command that must fail cleanly: exit 2, one line on stderr, no traceback."""
    result = permit(*args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert PASSPHRASE not in result.output
    return result.stderr


def ring_in(directory: Path) -> KeyRing:
    return KeyRing.load(FileKeyStore(directory, PASSPHRASE.encode()))


# --- permit keys ------------------------------------------------------------------------------


def test_generate_creates_an_encrypted_ring(tmp_path: Path) -> None:
    ring_dir = tmp_path / "ring"
    kid = ok("keys", "generate", "--dir", ring_dir).strip()
    ring = ring_in(ring_dir)
    assert ring.kids == (kid,)
    assert ring.active_alg == "ES256"
    pem = ring_dir / f"{kid}.pem"
    assert pem.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert json.loads((ring_dir / "jwks.json").read_text()) == ring.jwks()


def test_generate_refuses_to_overwrite_a_ring(tmp_path: Path) -> None:
    ok("keys", "generate", "--dir", tmp_path)
    assert "rotate" in refused("keys", "generate", "--dir", tmp_path)
    assert len(ring_in(tmp_path).kids) == 1


def test_key_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERMIT_KEY_DIR", str(tmp_path))
    kid = ok("keys", "generate", "--alg", "EdDSA").strip()
    assert ring_in(tmp_path).active_kid == kid
    assert ring_in(tmp_path).active_alg == "EdDSA"


def test_rotate_list_jwks_retire(tmp_path: Path) -> None:
    first = ok("keys", "generate", "--dir", tmp_path).strip()
    second = ok("keys", "rotate", "--dir", tmp_path, "--alg", "EdDSA").strip()
    assert ring_in(tmp_path).kids == (second, first)

    listing = ok("keys", "list", "--dir", tmp_path).splitlines()
    assert listing == [f"{second}\tEdDSA\tactive", f"{first}\tES256\tverify-only"]

    jwks = json.loads(ok("keys", "jwks", "--dir", tmp_path))
    assert [jwk["kid"] for jwk in jwks["keys"]] == [second, first]
    assert all("d" not in jwk for jwk in jwks["keys"])
    assert json.loads((tmp_path / "jwks.json").read_text()) == jwks

    assert "active" in refused("keys", "retire", "--dir", tmp_path, second)
    ok("keys", "retire", "--dir", tmp_path, first)
    assert ring_in(tmp_path).kids == (second,)
    assert not (tmp_path / f"{first}.pem").exists()
    assert [jwk["kid"] for jwk in json.loads((tmp_path / "jwks.json").read_text())["keys"]] == [
        second
    ]


def test_jwks_to_a_file(tmp_path: Path) -> None:
    ok("keys", "generate", "--dir", tmp_path / "ring")
    out = tmp_path / "public.json"
    assert ok("keys", "jwks", "--dir", tmp_path / "ring", "-o", out) == ""
    assert json.loads(out.read_text()) == ring_in(tmp_path / "ring").jwks()


def test_retire_unknown_kid(tmp_path: Path) -> None:
    ok("keys", "generate", "--dir", tmp_path)
    assert "no key" in refused("keys", "retire", "--dir", tmp_path, "A" * 43)
    assert "kid" in refused("keys", "retire", "--dir", tmp_path, "../../etc/passwd")


def test_wrong_passphrase_exits_2_without_leaking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok("keys", "generate", "--dir", tmp_path)
    monkeypatch.setenv("PERMIT_KEY_PASSPHRASE", "a different passphrase")
    stderr = refused("keys", "jwks", "--dir", tmp_path)
    assert stderr.startswith("Error: ")
    assert len(stderr.strip().splitlines()) == 1
    assert "a different passphrase" not in stderr


def test_missing_passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERMIT_KEY_PASSPHRASE")
    assert "PERMIT_KEY_PASSPHRASE" in refused("keys", "generate", "--dir", tmp_path)
    assert not (tmp_path / "ring.json").exists()


def test_missing_key_dir() -> None:
    assert "PERMIT_KEY_DIR" in refused("keys", "generate")


def test_passphrase_file_option_wins(tmp_path: Path) -> None:
    secret = tmp_path / "passphrase.txt"
    secret.write_text("from a file\n")
    ring_dir = tmp_path / "ring"
    ok("keys", "generate", "--dir", ring_dir, "--passphrase-file", secret)
    assert FileKeyStore(ring_dir, b"from a file").load_manifest() is not None
    KeyRing.load(FileKeyStore(ring_dir, b"from a file"))
    refused("keys", "list", "--dir", ring_dir)  # the environment passphrase does not open it


def test_placeholder_passphrase_refused_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERMIT_ENVIRONMENT", "production")
    monkeypatch.setenv("PERMIT_KEY_PASSPHRASE", "changethis")
    assert "placeholder" in refused("keys", "generate", "--dir", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_no_ring_in_directory(tmp_path: Path) -> None:
    assert "permit keys generate" in refused("keys", "rotate", "--dir", tmp_path)


# --- permit trust-list ------------------------------------------------------------------------


@pytest.fixture
def federation(tmp_path: Path) -> dict[str, Path]:
    """An issuer ring, an anchor ring and an issuers file pointing at the issuer's JWKS."""
    issuer_dir, anchor_dir = tmp_path / "issuer-keys", tmp_path / "anchor-keys"
    ok("keys", "generate", "--dir", issuer_dir)
    ok("keys", "generate", "--dir", anchor_dir, "--alg", "EdDSA")
    ok("keys", "jwks", "--dir", anchor_dir, "-o", tmp_path / "anchor.jwks.json")
    issuers = tmp_path / "issuers.json"
    issuers.write_text(
        json.dumps(
            {
                "issuers": [
                    {
                        "iss": "https://permits.sh.example/issuer",
                        "name": "上海市公安局",
                        "region_code": "310000",
                        "jwks_file": "issuer-keys/jwks.json",
                        "status_list_prefixes": ["https://permits.sh.example/status/"],
                    }
                ]
            },
            ensure_ascii=False,
        )
    )
    return {
        "dir": tmp_path,
        "issuers": issuers,
        "issuer_dir": issuer_dir,
        "anchor_dir": anchor_dir,
        "anchor_jwks": tmp_path / "anchor.jwks.json",
    }


def test_build_sign_verify(federation: dict[str, Path]) -> None:
    out = federation["dir"]
    built = json.loads(ok("trust-list", "build", federation["issuers"]))
    assert built["issuers"][0]["jwks"] == ring_in(federation["issuer_dir"]).jwks()
    ok("trust-list", "build", federation["issuers"], "-o", out / "tl.json")
    assert json.loads((out / "tl.json").read_text()) == built

    ok(
        "trust-list", "sign", out / "tl.json",
        "--anchor-dir", federation["anchor_dir"],
        "--ttl-days", "7", "--now", str(NOW), "-o", out / "tl.jwt",
    )  # fmt: skip
    jws = parse_compact((out / "tl.jwt").read_text().strip(), Malformed)
    assert jws.header["typ"] == TRUST_LIST_TYP
    assert jws.header["kid"] == ring_in(federation["anchor_dir"]).active_kid
    assert jws.payload["exp"] - jws.payload["iat"] == 7 * 86_400

    report = ok(
        "trust-list", "verify", out / "tl.jwt",
        "--anchor-jwks", federation["anchor_jwks"], "--now", str(NOW + 60),
    )  # fmt: skip
    assert report.splitlines()[0] == "trust list OK: 1 issuer(s)"
    assert "https://permits.sh.example/issuer\t310000\t上海市公安局\t1 key(s)" in report

    as_json: dict[str, Any] = json.loads(
        ok("trust-list", "verify", out / "tl.jwt", "--anchor-jwks", federation["anchor_jwks"],
           "--now", str(NOW), "--json")
    )  # fmt: skip
    assert as_json == built


def test_verify_refusals(federation: dict[str, Path]) -> None:
    out = federation["dir"]
    ok("trust-list", "build", federation["issuers"], "-o", out / "tl.json")
    ok("trust-list", "sign", out / "tl.json", "--anchor-dir", federation["anchor_dir"],
       "--now", str(NOW), "-o", out / "tl.jwt")  # fmt: skip
    anchor = federation["anchor_jwks"]

    assert "expired" in refused(
        "trust-list", "verify", out / "tl.jwt", "--anchor-jwks", anchor,
        "--now", str(NOW + 30 * 86_400),
    )  # fmt: skip
    assert "anchor" in refused("trust-list", "verify", out / "tl.jwt", "--now", str(NOW))
    assert "not signed" in refused("trust-list", "verify", out / "tl.json", "--anchor-jwks", anchor)
    # A different anchor (the issuer's own JWKS) does not verify the list.
    issuer_jwks = federation["issuer_dir"] / "jwks.json"
    assert "anchor" in refused(
        "trust-list", "verify", out / "tl.jwt", "--anchor-jwks", issuer_jwks, "--now", str(NOW)
    )
    # The plain list is fine when no anchor is configured.
    assert ok("trust-list", "verify", out / "tl.json").startswith("trust list OK")


def test_build_from_toml_with_inline_jwks(federation: dict[str, Path]) -> None:
    jwks = json.loads((federation["issuer_dir"] / "jwks.json").read_text())
    key = jwks["keys"][0]
    toml = federation["dir"] / "issuers.toml"
    toml.write_text(
        "[[issuers]]\n"
        'iss = "https://permits.bj.example/issuer"\n'
        'name = "北京市公安局"\n'
        'region_code = "110000"\n'
        'status_list_prefixes = ["https://permits.bj.example/status/"]\n'
        "[[issuers.jwks.keys]]\n" + "".join(f'{name} = "{value}"\n' for name, value in key.items()),
        encoding="utf-8",
    )
    built = json.loads(ok("trust-list", "build", toml))
    assert built["issuers"][0]["jwks"] == {"keys": [key]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"region_code": "31"}, "region_code"),
        ({"jwks": {"keys": []}}, "both"),
        ({"jwks_file": "missing.json"}, "JWKS file"),
        ({"status_list_prefixes": ["https://permits.sh.example/status"]}, "prefixes"),
        ({"iss": "http://permits.sh.example/issuer"}, ".iss:"),
    ],
)
def test_build_refuses_invalid_entries(
    federation: dict[str, Path], change: dict[str, Any], message: str
) -> None:
    document = json.loads(federation["issuers"].read_text())
    document["issuers"][0].update(change)
    federation["issuers"].write_text(json.dumps(document))
    out = federation["dir"] / "tl.json"
    assert message in refused("trust-list", "build", federation["issuers"], "-o", out)
    assert not out.exists()


@pytest.mark.parametrize("content", ["not json", "[]", '{"issuers": []}', '{"issuer": [{}]}'])
def test_build_refuses_bad_issuers_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "issuers.json"
    path.write_text(content)
    refused("trust-list", "build", path)


def test_build_loopback_flag(federation: dict[str, Path]) -> None:
    document = json.loads(federation["issuers"].read_text())
    document["issuers"][0]["iss"] = "http://127.0.0.1:8000/issuer"
    document["issuers"][0]["status_list_prefixes"] = ["http://127.0.0.1:8000/status/"]
    federation["issuers"].write_text(json.dumps(document))
    refused("trust-list", "build", federation["issuers"])
    built = json.loads(
        ok("trust-list", "build", federation["issuers"], "--allow-insecure-loopback")
    )
    assert built["issuers"][0]["iss"] == "http://127.0.0.1:8000/issuer"


def test_sign_refuses_an_invalid_list(federation: dict[str, Path]) -> None:
    path = federation["dir"] / "tl.json"
    path.write_text('{"version": 1, "issuers": []}')
    refused("trust-list", "sign", path, "--anchor-dir", federation["anchor_dir"])


def test_missing_input_file_is_a_usage_error(tmp_path: Path) -> None:
    result = permit("trust-list", "verify", tmp_path / "absent.json")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_help_lists_the_subcommands() -> None:
    assert {"generate", "rotate", "retire", "list", "jwks"} <= {
        line.split()[0] for line in ok("keys", "--help").split("Commands:")[1].splitlines() if line
    }
    assert "build" in ok("trust-list", "--help")
