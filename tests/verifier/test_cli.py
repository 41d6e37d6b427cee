"""``permit verify`` end to end: inputs, exit codes, status fetching, caches, offline mode."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import qrcode
from click.testing import CliRunner

from permit_cli.main import cli
from tests.verifier.conftest import World
from wire.qrcodec import encode_qr_payload

CANARIES = ("王小明", "11010519900102123X")


def run(args: list[str], stdin: str | None = None) -> tuple[int, dict[str, Any] | None, str]:
    result = CliRunner().invoke(cli, ["verify", *args], input=stdin)
    try:
        body = json.loads(result.stdout)
    except ValueError:
        body = None
    return result.exit_code, body, result.stderr


def test_valid_landlord_presentation(world: World) -> None:
    code, body, _ = run([world.present(), *world.args("--profile", "landlord")])
    assert code == 0
    assert body is not None
    assert body["valid"] is True
    assert body["reason"] is None
    assert body["issuer"] == world.iss
    assert body["status"] == "valid"
    assert body["claims"] == {
        "name": "王小明",
        "permit_class": "standard",
        "residence_address": {"district": "浦东新区"},
        "endorsed_until": body["claims"]["endorsed_until"],
    }


def test_verifier_returns_only_profile_claims(world: World) -> None:
    """An agency-level presentation shown to a landlord yields only the landlord's claims."""
    code, body, _ = run([world.present("school"), *world.args("--profile", "landlord")])
    assert code == 1
    assert body is not None
    assert body["reason"] == "insufficient_disclosure"
    assert body["claims"] == {}


def test_stdin_and_trailing_newline(world: World) -> None:
    code, body, _ = run(["-", *world.args("--profile", "landlord")], stdin=world.present() + "\n")
    assert code == 0
    assert body is not None
    assert body["valid"] is True


def test_compact_qr_text_is_accepted(world: World) -> None:
    compact = encode_qr_payload(world.present())
    assert compact.startswith("RP1:")
    code, body, _ = run([compact, *world.args("--profile", "landlord")])
    assert code == 0
    assert body is not None
    assert body["valid"] is True


def test_qr_image_is_decoded(world: World, tmp_path: Path) -> None:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(encode_qr_payload(world.present()))
    qr.make(fit=True)
    image = tmp_path / "qr.png"
    qr.make_image().save(image)
    code, body, _ = run([str(image), *world.args("--profile", "landlord")])
    assert code == 0
    assert body is not None
    assert body["valid"] is True


def test_image_without_qr_is_a_usage_error(world: World, tmp_path: Path) -> None:
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    code, body, stderr = run([str(blank), *world.args()])
    assert code == 2
    assert body is None
    assert "no QR code" in stderr


def test_rejected_exit_code_and_empty_claims(world: World) -> None:
    tampered = world.present().replace("~", "~x", 1)
    code, body, _ = run([tampered, *world.args("--profile", "landlord")])
    assert code == 1
    assert body is not None
    assert body["valid"] is False
    assert body["claims"] == {}


def test_replay_is_detected_across_runs(world: World) -> None:
    presentation = world.present()
    assert run([presentation, *world.args("--profile", "landlord")])[0] == 0
    code, body, _ = run([presentation, *world.args("--profile", "landlord")])
    assert code == 1
    assert body is not None
    assert body["reason"] == "replayed"


def test_suspended_and_revoked(world: World) -> None:
    world.publish(2)
    code, body, _ = run([world.present(), *world.args("--profile", "landlord")])
    assert (code, body and body["reason"], body and body["status"]) == (1, "suspended", "suspended")


def test_status_cached_within_ttl_then_refetched(world: World) -> None:
    assert run([world.present(), *world.args("--profile", "landlord")])[0] == 0
    assert world.server.requests == ["/status/1"]
    world.publish(1)  # revoked at the issuer, but the cached list is inside its 300 s ttl
    assert run([world.present(), *world.args("--profile", "landlord")])[0] == 0
    assert world.server.requests == ["/status/1"]
    later = world.now + 301
    code, body, _ = run(
        [world.present(iat=later), *world.args("--profile", "landlord", "--now", str(later))]
    )
    assert code == 1
    assert body is not None
    assert body["reason"] == "revoked"
    assert world.server.requests == ["/status/1", "/status/1"]


def test_offline_uses_cache_within_max_age(world: World) -> None:
    assert run([world.present(), *world.args("--profile", "landlord")])[0] == 0
    world.server.routes.clear()  # the issuer is gone
    later = world.now + 1000
    code, body, _ = run(
        [
            world.present(iat=later),
            *world.args("--profile", "landlord", "--offline", "--now", str(later)),
        ]
    )
    assert code == 0, body
    too_late = world.now + 3000
    code, body, _ = run(
        [
            world.present(iat=too_late),
            *world.args(
                "--profile",
                "landlord",
                "--offline",
                "--max-offline-age",
                "1800",
                "--now",
                str(too_late),
            ),
        ]
    )
    assert code == 1
    assert body is not None
    assert body["reason"] == "status_unavailable"
    assert world.server.requests == ["/status/1"]


def test_offline_without_cache_is_unavailable(world: World) -> None:
    code, body, _ = run([world.present(), *world.args("--profile", "landlord", "--offline")])
    assert code == 1
    assert body is not None
    assert body["reason"] == "status_unavailable"
    assert world.server.requests == []


def test_tampered_cache_file_is_not_trusted_offline(world: World) -> None:
    assert run([world.present(), *world.args("--profile", "landlord")])[0] == 0
    (cached,) = (world.cache_dir / "status").glob("status-*.json")
    record = json.loads(cached.read_text())
    header, payload, signature = record["token"].split(".")
    record["token"] = f"{header}.{payload}.{signature[::-1]}"
    cached.write_text(json.dumps(record))
    code, body, _ = run([world.present(), *world.args("--profile", "landlord", "--offline")])
    assert code == 1
    assert body is not None
    assert body["reason"] == "status_invalid"


def test_status_server_down_is_unavailable_online(world: World) -> None:
    world.server.routes.clear()
    code, body, _ = run([world.present(), *world.args("--profile", "landlord")])
    assert (code, body and body["reason"]) == (1, "status_unavailable")


def test_redirect_is_not_followed(world: World) -> None:
    world.server.routes["/status/1"] = (302, {"Location": world.server.base + "evil"}, b"")
    code, body, _ = run([world.present(), *world.args("--profile", "landlord")])
    assert (code, body and body["reason"]) == (1, "status_unavailable")
    assert world.server.requests == ["/status/1"]


def test_wrong_content_type_is_invalid(world: World) -> None:
    world.publish(0, content_type="application/jwt")
    code, body, _ = run([world.present(), *world.args("--profile", "landlord")])
    assert (code, body and body["reason"]) == (1, "status_invalid")


def test_oversized_status_response_is_invalid(world: World) -> None:
    huge = b"a" * (4 * 1024 * 1024 + 10)
    world.server.routes["/status/1"] = (200, {"Content-Type": "application/statuslist+jwt"}, huge)
    code, body, _ = run([world.present(), *world.args("--profile", "landlord")])
    assert (code, body and body["reason"]) == (1, "status_invalid")


def test_loopback_http_needs_the_flag(world: World) -> None:
    args = [a for a in world.args("--profile", "landlord") if a != "--allow-insecure-loopback"]
    code, _, stderr = run([world.present(), *args])
    assert code == 2  # the trust list itself names http loopback URLs
    assert "error" in stderr


def test_verifier_bound_profile_needs_audience_and_nonce(world: World) -> None:
    code, body, stderr = run([world.present("bank"), *world.args("--profile", "bank")])
    assert code == 2
    assert body is None
    assert "verifier-bound" in stderr


def test_unknown_profile_and_missing_trust_list(world: World, tmp_path: Path) -> None:
    assert run([world.present(), *world.args("--profile", "nope")])[0] == 2
    missing = ["--trust-list", str(tmp_path / "none.json")]
    assert run([world.present(), *missing])[0] == 2


def test_no_personal_data_on_stderr_or_in_rejections(world: World) -> None:
    world.publish(1)
    code, body, stderr = run([world.present(), *world.args("--profile", "landlord")])
    assert code == 1
    text = json.dumps(body, ensure_ascii=False) + stderr
    assert not any(canary in text for canary in CANARIES)


def test_human_output(world: World) -> None:
    args = [a for a in world.args("--profile", "landlord") if a != "--json"]
    result = CliRunner().invoke(cli, ["verify", world.present(), *args])
    assert result.exit_code == 0
    assert result.stdout.startswith("VALID")
    assert "浦东新区" in result.stdout
    out = io.StringIO(result.stdout)
    assert "id_number" not in out.getvalue()


def test_directory_cache_writers_do_not_collide(world: World, tmp_path: Path) -> None:
    """Concurrent writers of the same URI each rename their own temporary file."""
    import threading

    from verifier.status import CachedStatus, DirectoryStatusCache
    from wire.statuslist import StatusList

    cache = DirectoryStatusCache(tmp_path / "shared")
    token = world.publish(0)
    entry = CachedStatus(world.status_uri, token, world.now, 300, world.now + 3600,
                         StatusList.from_entries(8, 2, {}))  # fmt: skip
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(50):
                cache.put(entry)
        except OSError as exc:  # pragma: no cover - the failure this test guards against
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache.load(world.status_uri) == (token, world.now)
    assert not list((tmp_path / "shared").glob("*.tmp"))
