"""Field encryption and lookup hashes (no database)."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from bangfu.core.protect import (
    DecryptionError,
    clear_key_cache,
    data_key_is_configured,
    decrypt_text,
    encrypt_text,
    generate_data_key,
    lookup_hash,
)

KEY_A = base64.urlsafe_b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(100, 132))).decode()  # standard alphabet, with '+' and '/'


@pytest.fixture(autouse=True)
def _fresh_keys() -> Iterator[None]:
    clear_key_cache()
    yield
    clear_key_cache()


@pytest.fixture
def key_a(settings: Any) -> str:
    settings.BANGFU_DATA_KEY = KEY_A
    return KEY_A


def test_round_trip(key_a: str) -> None:
    for plain in ["532822199001011237", "", "岩温 Ai Wen", "x" * 10_000]:
        token = encrypt_text(plain)
        assert token.startswith("v1:")
        assert token.isascii()
        assert decrypt_text(token) == plain


def test_token_length_for_an_id_number(key_a: str) -> None:
    assert len(encrypt_text("11010519491231002X")) == 65


def test_same_text_encrypts_differently(key_a: str) -> None:
    tokens = {encrypt_text("532822199001011237") for _ in range(20)}
    assert len(tokens) == 20
    assert all(decrypt_text(t) == "532822199001011237" for t in tokens)


def test_every_single_character_change_is_detected(key_a: str) -> None:
    token = encrypt_text("532822199001011237")
    for i in range(len("v1:"), len(token)):
        for replacement in ("A", "-"):
            if token[i] == replacement:
                continue
            tampered = token[:i] + replacement + token[i + 1 :]
            with pytest.raises(DecryptionError):
                decrypt_text(tampered)


@pytest.mark.parametrize(
    "token",
    ["", "532822199001011237", "v2:AAAA", "v1:", "v1:AAAA", "v1:!!!!", "v1:岩温", "v1:AAAA=="],
)
def test_malformed_tokens(key_a: str, token: str) -> None:
    with pytest.raises(DecryptionError):
        decrypt_text(token)


def test_truncated_token(key_a: str) -> None:
    token = encrypt_text("532822199001011237")
    with pytest.raises(DecryptionError):
        decrypt_text(token[:-4])


def test_tamper_message_is_clear(key_a: str) -> None:
    token = encrypt_text("532822199001011237")
    flipped = token[:10] + ("B" if token[10] != "B" else "C") + token[11:]
    with pytest.raises(DecryptionError, match=r"altered|different BANGFU_DATA_KEY"):
        decrypt_text(flipped)


def test_token_from_another_key_is_refused(settings: Any) -> None:
    settings.BANGFU_DATA_KEY = KEY_A
    token = encrypt_text("532822199001011237")
    settings.BANGFU_DATA_KEY = KEY_B
    with pytest.raises(DecryptionError, match="different BANGFU_DATA_KEY"):
        decrypt_text(token)
    settings.BANGFU_DATA_KEY = KEY_A
    assert decrypt_text(token) == "532822199001011237"


def test_lookup_hash_is_deterministic_and_key_dependent(settings: Any) -> None:
    settings.BANGFU_DATA_KEY = KEY_A
    first = lookup_hash("532822199001011237")
    assert first == lookup_hash("532822199001011237")
    assert len(first) == 64
    assert int(first, 16) >= 0
    assert first != lookup_hash("532822199001011245")
    settings.BANGFU_DATA_KEY = KEY_B
    assert lookup_hash("532822199001011237") != first
    settings.BANGFU_DATA_KEY = KEY_A
    assert lookup_hash("532822199001011237") == first


def test_lookup_subkey_differs_from_a_plain_hmac_of_the_master_key(key_a: str) -> None:
    import hashlib
    import hmac

    master = base64.urlsafe_b64decode(KEY_A)
    plain = hmac.new(master, b"532822199001011237", hashlib.sha256).hexdigest()
    assert lookup_hash("532822199001011237") != plain


def test_key_encodings_are_equivalent(settings: Any) -> None:
    raw = bytes(range(200, 232))
    results = set()
    for text in [
        base64.urlsafe_b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        base64.b64encode(raw).decode(),
        "  " + base64.b64encode(raw).decode() + "\n",
    ]:
        settings.BANGFU_DATA_KEY = text
        results.add(lookup_hash("value"))
    assert len(results) == 1


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ("not base64 at all!", "not valid base64"),
        ("密钥" * 22, "not valid base64"),
        (base64.b64encode(b"short").decode(), "decodes to 5 bytes"),
        ("00" * 32, "decodes to 48 bytes"),  # a hex key is not what is asked for
    ],
)
def test_malformed_key_is_improperly_configured(settings: Any, key: str, match: str) -> None:
    settings.BANGFU_DATA_KEY = key
    with pytest.raises(ImproperlyConfigured, match=match) as info:
        encrypt_text("x")
    assert key not in str(info.value)
    with pytest.raises(ImproperlyConfigured):
        lookup_hash("x")


def test_generated_keys_are_valid_and_distinct(settings: Any) -> None:
    key = generate_data_key()
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert key != generate_data_key()
    settings.BANGFU_DATA_KEY = key
    assert decrypt_text(encrypt_text("ok")) == "ok"


def test_configured_flag(settings: Any) -> None:
    settings.BANGFU_DATA_KEY = ""
    assert not data_key_is_configured()
    settings.BANGFU_DATA_KEY = "   "
    assert not data_key_is_configured()
    settings.BANGFU_DATA_KEY = KEY_A
    assert data_key_is_configured()


def test_fallback_key_from_secret_key_outside_production(settings: Any) -> None:
    settings.BANGFU_DATA_KEY = ""
    settings.DEBUG = False
    settings.BANGFU_DEMO_ALLOWED = True
    token = encrypt_text("532822199001011237")
    first = lookup_hash("532822199001011237")
    assert decrypt_text(token) == "532822199001011237"
    settings.SECRET_KEY = "another-development-secret-key-0123456789-abcdefghijklmnop"
    assert lookup_hash("532822199001011237") != first
    with pytest.raises(DecryptionError):
        decrypt_text(token)


def test_fallback_differs_from_any_configured_key(settings: Any) -> None:
    settings.BANGFU_DATA_KEY = ""
    fallback = lookup_hash("v")
    settings.BANGFU_DATA_KEY = KEY_A
    assert lookup_hash("v") != fallback


def test_production_without_key_refuses(settings: Any) -> None:
    settings.BANGFU_DATA_KEY = ""
    settings.DEBUG = False
    settings.BANGFU_DEMO_ALLOWED = False
    with pytest.raises(ImproperlyConfigured, match="must be set in production"):
        encrypt_text("x")
    with pytest.raises(ImproperlyConfigured):
        lookup_hash("x")
    settings.DEBUG = True
    assert decrypt_text(encrypt_text("x")) == "x"


def test_non_text_is_a_type_error(key_a: str) -> None:
    with pytest.raises(TypeError):
        encrypt_text(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        lookup_hash(123)  # type: ignore[arg-type]


def test_generate_data_key_works_without_django_settings() -> None:
    """The documented one-liner runs without DJANGO_SETTINGS_MODULE."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from bangfu.core.protect import generate_data_key; print(generate_data_key())",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert len(base64.urlsafe_b64decode(result.stdout.strip())) == 32
