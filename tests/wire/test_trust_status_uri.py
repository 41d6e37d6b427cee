"""wire.trust's status-URI policy (DESIGN §5): a status list is fetched only below one of the
issuer's prefixes, and no spelling of a URL escapes them.
"""

from __future__ import annotations

from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wire.trust import status_uri_allowed

PREFIX = "https://permits.sh.example/status/"
SH = [PREFIX]
LOOP = ["http://127.0.0.1:8000/status/"]

ALLOWED: list[tuple[str, list[str], bool]] = [
    ("https://permits.sh.example/status/1", SH, False),
    ("https://permits.sh.example/status/lists/42", SH, False),
    ("https://permits.sh.example/status/", SH, False),
    ("https://PERMITS.SH.Example/status/1", SH, False),
    ("HTTPS://permits.sh.example/status/1", SH, False),
    ("https://permits.sh.example:443/status/1", SH, False),
    ("https://permits.sh.example/status/1", ["https://PERMITS.sh.example:443/status/"], False),
    ("https://permits.sh.example/status/a%20b", SH, False),
    ("https://permits.sh.example/status/list-1.jwt", SH, False),
    (
        "https://permits.sh.example:8443/status/1",
        ["https://permits.sh.example:8443/status/"],
        False,
    ),
    ("https://other.example/s/1", [PREFIX, "https://other.example/s/"], False),
    ("https://203.0.113.5/status/1", ["https://203.0.113.5/status/"], False),
    ("https://[2001:DB8:0::1]/status/x", ["https://[2001:db8::1]/status/"], False),
    ("https://[2001:db8::1]:443/status/x", ["https://[2001:db8::1]/status/"], False),
    ("https://XN--FIQS8S.example/status/1", ["https://xn--fiqs8s.example/status/"], False),
    ("https://permits.sh.example/", ["https://permits.sh.example/"], False),
    ("http://127.0.0.1:8000/status/1", LOOP, True),
    ("http://127.9.8.7/status/1", ["http://127.9.8.7/status/"], True),
    ("http://localhost:8080/status/1", ["http://LOCALHOST:8080/status/"], True),
    ("http://[::1]:8080/status/1", ["http://[0:0::1]:8080/status/"], True),
    ("http://127.0.0.1/status/1", ["http://127.0.0.1:80/status/"], True),
    ("https://127.0.0.1:8443/status/1", ["https://127.0.0.1:8443/status/"], False),
]

REFUSED: list[tuple[str, list[str], bool]] = [
    # path must be below the prefix, on a segment boundary, case-sensitively
    ("https://permits.sh.example/status-evil/1", SH, False),
    ("https://permits.sh.example/status", SH, False),
    ("https://permits.sh.example/Status/1", SH, False),
    ("https://permits.sh.example/other/1", SH, False),
    # dot segments, plain or encoded, and other traversal tricks
    ("https://permits.sh.example/status/../admin", SH, False),
    ("https://permits.sh.example/status/./1", SH, False),
    ("https://permits.sh.example/status/..", SH, False),
    ("https://permits.sh.example/status/%2e%2e/admin", SH, False),
    ("https://permits.sh.example/status/%2E%2E/admin", SH, False),
    ("https://permits.sh.example/status/.%2e/admin", SH, False),
    ("https://permits.sh.example/status/..%2Fadmin", SH, False),
    ("https://permits.sh.example/status/%2fadmin", SH, False),
    ("https://permits.sh.example/status/%2F..%2Fadmin", SH, False),
    ("https://permits.sh.example/status/%5c..%5cadmin", SH, False),
    ("https://permits.sh.example/status/%5C", SH, False),
    ("https://permits.sh.example/status/%252e%252e/admin", SH, False),
    ("https://permits.sh.example/status/1%00", SH, False),
    ("https://permits.sh.example/status/1%0a", SH, False),
    ("https://permits.sh.example/status/%zz", SH, False),
    ("https://permits.sh.example/status/%2", SH, False),
    ("https://permits.sh.example/status\\..\\admin", SH, False),
    ("https://permits.sh.example/status/\\admin", SH, False),
    ("https://permits.sh.example/status//1", SH, False),
    ("https://permits.sh.example/status/;x", SH, False),
    ("https://permits.sh.example/status/..;/admin", SH, False),
    # query, fragment, userinfo
    ("https://permits.sh.example/status/1?x=1", SH, False),
    ("https://permits.sh.example/status/1?", SH, False),
    ("https://permits.sh.example/status/1#frag", SH, False),
    ("https://permits.sh.example/status/1#", SH, False),
    ("https://user@permits.sh.example/status/1", SH, False),
    ("https://user:pass@permits.sh.example/status/1", SH, False),
    ("https://permits.sh.example@evil.example/status/1", SH, False),
    ("https://@permits.sh.example/status/1", SH, False),
    # host and port
    ("https://evil.example/status/1", SH, False),
    ("https://permits.sh.example.evil.example/status/1", SH, False),
    ("https://evilpermits.sh.example/status/1", SH, False),
    ("https://permits.sh.example./status/1", SH, False),
    ("https://permits.sh.example:8443/status/1", SH, False),
    ("https://permits.sh.example:80/status/1", SH, False),
    ("https://permits.sh.example:/status/1", SH, False),
    ("https://permits.sh.example:0/status/1", SH, False),
    ("https://permits.sh.example:99999/status/1", SH, False),
    ("https://permits.sh.example:+443/status/1", SH, False),
    ("https:///status/1", SH, False),
    ("https:/permits.sh.example/status/1", SH, False),
    ("//permits.sh.example/status/1", SH, False),
    ("/status/1", SH, False),
    ("https://[2001:db8::2]/status/x", ["https://[2001:db8::1]/status/"], False),
    ("https://[fe80::1%25eth0]/status/x", ["https://[fe80::1%25eth0]/status/"], False),
    ("https://127.1/status/1", ["https://127.0.0.1/status/"], False),
    ("https://0x7f.0.0.1/status/1", ["https://127.0.0.1/status/"], False),
    ("https://2130706433/status/1", ["https://2130706433/status/"], False),
    # IDN: only the A-label form is accepted; Unicode hosts and look-alikes never match
    ("https://permits.上海.example/status/1", ["https://permits.上海.example/status/"], False),
    (
        "https://permits.上海.example/status/1",
        ["https://permits.xn--fhqz8b.example/status/"],
        False,
    ),
    ("https://permits.sh.exаmple/status/1", SH, False),  # Cyrillic "а"
    ("https://permits．sh.example/status/1", SH, False),  # full-width dot
    ("https://permits.sh.example/status/ü", SH, False),
    # scheme
    ("http://permits.sh.example/status/1", ["http://permits.sh.example/status/"], True),
    ("http://permits.sh.example/status/1", SH, True),
    ("ftp://permits.sh.example/status/1", ["ftp://permits.sh.example/status/"], False),
    ("javascript://permits.sh.example/status/1", SH, False),
    # loopback http only with the flag, only for real loopback hosts, same scheme and port
    ("http://127.0.0.1:8000/status/1", LOOP, False),
    ("http://127.0.0.1:8001/status/1", LOOP, True),
    ("https://127.0.0.1:8000/status/1", LOOP, True),
    ("http://127.0.0.1:443/status/1", ["https://127.0.0.1/status/"], True),
    ("http://localhost.evil.example/status/1", ["http://localhost.evil.example/status/"], True),
    ("http://[::ffff:127.0.0.1]/status/1", ["http://[::ffff:127.0.0.1]/status/"], True),
    ("http://10.0.0.1/status/1", ["http://10.0.0.1/status/"], True),
    # whitespace and control characters anywhere (urlsplit would silently strip some)
    (" https://permits.sh.example/status/1", SH, False),
    ("https://permits.sh.example/status/1 ", SH, False),
    ("https://permits.sh.example/status/1\n", SH, False),
    ("https://permits.sh.example/sta\ttus/1", SH, False),
    ("https://permits.sh.exa\nmple/status/1", SH, False),
    ("https://permits.sh.example/status/a b", SH, False),
    ("https://permits.sh.example/status/1\x00", SH, False),
    ("https://permits.sh.example/status/1\x7f", SH, False),
    # invalid prefixes match nothing
    ("https://permits.sh.example/status/1", ["https://permits.sh.example/status"], False),
    ("https://permits.sh.example/status/1", ["https://permits.sh.example/status/?"], False),
    ("https://permits.sh.example/status/1", ["https://u@permits.sh.example/status/"], False),
    ("https://permits.sh.example/status/1", [], False),
    # size
    ("https://permits.sh.example/status/" + "a" * 2048, SH, False),
]


@pytest.mark.parametrize(("uri", "prefixes", "loopback"), ALLOWED)
def test_status_uri_allowed(uri: str, prefixes: list[str], loopback: bool) -> None:
    assert status_uri_allowed(uri, prefixes, allow_insecure_loopback=loopback)


@pytest.mark.parametrize(("uri", "prefixes", "loopback"), REFUSED)
def test_status_uri_refused(uri: str, prefixes: list[str], loopback: bool) -> None:
    assert not status_uri_allowed(uri, prefixes, allow_insecure_loopback=loopback)


@pytest.mark.parametrize("uri", [None, 42, b"https://permits.sh.example/status/1"])
def test_status_uri_of_wrong_type_is_refused(uri: object) -> None:
    assert not status_uri_allowed(cast(str, uri), SH, allow_insecure_loopback=False)


def test_prefixes_given_as_a_string_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        status_uri_allowed(PREFIX + "1", PREFIX, allow_insecure_loopback=False)


_SEGMENT = st.from_regex(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,11}", fullmatch=True).filter(
    lambda seg: seg not in (".", "..")
)


@given(st.lists(_SEGMENT, min_size=1, max_size=6))
def test_any_clean_path_below_the_prefix_is_allowed(segments: list[str]) -> None:
    assert status_uri_allowed(PREFIX + "/".join(segments), SH, allow_insecure_loopback=False)


@given(st.lists(_SEGMENT, min_size=1, max_size=4), st.sampled_from(["..", "."]))
def test_a_dot_segment_anywhere_is_refused(segments: list[str], dots: str) -> None:
    for position in range(len(segments) + 1):
        parts = [*segments[:position], dots, *segments[position:]]
        uri = PREFIX + "/".join(parts)
        assert not status_uri_allowed(uri, SH, allow_insecure_loopback=False)


@given(st.text(max_size=60))
def test_sibling_paths_never_match(suffix: str) -> None:
    # Anything glued to "/status" other than "/" stays outside "/status/".
    if suffix.startswith("/"):
        return
    uri = "https://permits.sh.example/status" + suffix
    assert not status_uri_allowed(uri, SH, allow_insecure_loopback=False)


@settings(max_examples=300)
@given(st.text(max_size=80), st.booleans())
def test_arbitrary_suffix_never_escapes_or_crashes(suffix: str, loopback: bool) -> None:
    uri = PREFIX + suffix
    if status_uri_allowed(uri, SH, allow_insecure_loopback=loopback):
        assert uri.isascii()
        assert not any(ch in uri for ch in "\\?#; \t\r\n")
        segments = suffix.split("/")
        assert "." not in segments
        assert ".." not in segments
        assert "%2e" not in uri.lower()
        assert "%2f" not in uri.lower()


@given(st.text(max_size=80), st.lists(st.text(max_size=40), max_size=3), st.booleans())
def test_arbitrary_input_never_raises(uri: str, prefixes: list[str], loopback: bool) -> None:
    status_uri_allowed(uri, prefixes, allow_insecure_loopback=loopback)
