"""Protection of personal data at rest: field encryption and keyed lookup hashes.

One master key, ``BANGFU_DATA_KEY`` (base64, standard or URL-safe, padding optional, of 32
random bytes; make one with :func:`generate_data_key`), yields two independent subkeys by
HKDF-SHA256:

* ``info=b"bangfu-encrypt-v1"``: AES-256-GCM for :func:`encrypt_text` / :func:`decrypt_text`.
  A token is ``"v1:" + urlsafe-base64(nonce ‖ ciphertext ‖ tag)`` without padding; the nonce
  is 12 random bytes, so the same text encrypts differently each time. Length:
  ``3 + ceil(4 * (28 + utf8_bytes) / 3)``, e.g. 65 characters for an 18-character ID number.
* ``info=b"bangfu-lookup-v1"``: HMAC-SHA256 for :func:`lookup_hash`, a deterministic 64-hex
  digest for exact lookup and duplicate detection. ID numbers have little entropy (a region,
  a date, three digits), so a plain hash could be reversed by enumeration; the keyed hash
  cannot without the key. Callers hash the canonical form (``IdNumber.number``).

Without ``BANGFU_DATA_KEY`` a key derived from ``SECRET_KEY`` is used, but only where
``DEBUG`` or ``BANGFU_DEMO_ALLOWED`` is true (development, demo, tests). Production settings
set both to false, so there every use raises ``ImproperlyConfigured``;
:func:`data_key_is_configured` lets start-up checks refuse earlier. Data encrypted under the
fallback key becomes unreadable when ``SECRET_KEY`` changes, and data written under one key
cannot be read under another: there is no rotation yet (the ``v1:`` prefix leaves room).

Derived keys are cached per key string (:func:`functools.lru_cache`), so changing the setting
(e.g. ``override_settings`` in tests) takes effect at once; :func:`clear_key_cache` empties
the cache. Importing this module does not read the settings.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "DecryptionError",
    "Sealer",
    "clear_key_cache",
    "data_key_is_configured",
    "decrypt_text",
    "encrypt_text",
    "generate_data_key",
    "lookup_hash",
]

logger = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
VERSION_PREFIX = "v1:"
ENCRYPT_INFO = b"bangfu-encrypt-v1"
LOOKUP_INFO = b"bangfu-lookup-v1"
FALLBACK_INFO = b"bangfu-data-key-from-secret-key-v1"


class DecryptionError(ValueError):
    """A token that is not a Bangfu token, was altered, or was made with another key.

    The message names the reason, never the token's content.
    """


@dataclass(frozen=True, slots=True)
class _Keys:
    aead: AESGCM
    lookup: hmac.HMAC  # keyed, never updated: each hash works on a copy


def _hkdf(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(material)


def _decode_master_key(text: str) -> bytes:
    candidate = "".join(text.split()).replace("-", "+").replace("_", "/")
    candidate += "=" * (-len(candidate) % 4)
    try:
        raw = base64.b64decode(candidate, validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(
            "BANGFU_DATA_KEY is not valid base64. It must be the base64 (standard or URL-safe) "
            'of 32 random bytes; generate one with: python -c "from bangfu.core.protect import '
            'generate_data_key; print(generate_data_key())"'
        ) from None
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(
            f"BANGFU_DATA_KEY decodes to {len(raw)} bytes; it must be the base64 of exactly "
            f'{KEY_BYTES} random bytes (44 characters). Generate one with: python -c "from '
            'bangfu.core.protect import generate_data_key; print(generate_data_key())"'
        )
    return raw


@functools.lru_cache(maxsize=8)
def _derive_keys(data_key: str, fallback_secret: str | None) -> _Keys:
    """The subkeys for a configured key, or (data_key empty) for one derived from SECRET_KEY."""
    if data_key:
        master = _decode_master_key(data_key)
    else:
        assert fallback_secret is not None
        logger.warning(
            "BANGFU_DATA_KEY is not set: personal data is encrypted with a key derived from "
            "SECRET_KEY (development, demo and tests only)."
        )
        master = _hkdf(fallback_secret.encode("utf-8"), FALLBACK_INFO)
    return _Keys(
        aead=AESGCM(_hkdf(master, ENCRYPT_INFO)),
        lookup=hmac.new(_hkdf(master, LOOKUP_INFO), digestmod=hashlib.sha256),
    )


def _keys() -> _Keys:
    data_key = (getattr(settings, "BANGFU_DATA_KEY", "") or "").strip()
    if data_key:
        return _derive_keys(data_key, None)
    if not (settings.DEBUG or getattr(settings, "BANGFU_DEMO_ALLOWED", False)):
        raise ImproperlyConfigured(
            "BANGFU_DATA_KEY must be set in production: it encrypts personal data. Generate "
            'one with: python -c "from bangfu.core.protect import generate_data_key; '
            'print(generate_data_key())" and keep a backup; data cannot be read without it.'
        )
    return _derive_keys("", settings.SECRET_KEY)


def data_key_is_configured() -> bool:
    """True when ``BANGFU_DATA_KEY`` is set (non-blank); its shape is checked on first use."""
    return bool((getattr(settings, "BANGFU_DATA_KEY", "") or "").strip())


def clear_key_cache() -> None:
    """Forget the derived keys (tests that change keys; otherwise never needed)."""
    _derive_keys.cache_clear()


def generate_data_key() -> str:
    """A fresh value for ``BANGFU_DATA_KEY``: URL-safe base64 of 32 random bytes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


class Sealer:
    """:func:`encrypt_text` and :func:`lookup_hash` with the keys resolved once, for bulk work
    (an import seals 400,000 ID numbers; reading the settings for each costs more than the
    cipher). Make one per job, not per process: a later change of the key is not seen."""

    def __init__(self) -> None:
        keys = _keys()
        self._encrypt = keys.aead.encrypt
        self._lookup = keys.lookup

    def encrypt(self, plain: str) -> str:
        if not isinstance(plain, str):
            raise TypeError(f"encrypt_text needs a str, not {type(plain).__name__}")
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._encrypt(nonce, plain.encode("utf-8"), None)
        token = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return VERSION_PREFIX + token

    def lookup_hash(self, value: str) -> str:
        if not isinstance(value, str):
            raise TypeError(f"lookup_hash needs a str, not {type(value).__name__}")
        mac = self._lookup.copy()
        mac.update(value.encode("utf-8"))
        return mac.hexdigest()


def encrypt_text(plain: str) -> str:
    """``plain`` encrypted with AES-256-GCM under a random nonce, as an ASCII ``v1:`` token."""
    return Sealer().encrypt(plain)


def decrypt_text(token: str) -> str:
    """The text that :func:`encrypt_text` sealed in ``token``.

    Raises :class:`DecryptionError` when the token is not a ``v1:`` token, is not canonical
    base64, is too short, or fails authentication (altered, truncated, or made under another
    ``BANGFU_DATA_KEY``).
    """
    if not isinstance(token, str) or not token.startswith(VERSION_PREFIX):
        raise DecryptionError("Not an encrypted Bangfu value: it lacks the 'v1:' prefix.")
    body = token[len(VERSION_PREFIX) :]
    try:
        if not body.isascii():
            raise ValueError
        raw = base64.b64decode(
            body.replace("-", "+").replace("_", "/") + "=" * (-len(body) % 4), validate=True
        )
    except (binascii.Error, ValueError):
        raise DecryptionError("Encrypted value is damaged: it is not valid base64.") from None
    # Reject non-canonical encodings (stray bits in the last character) so that every change
    # to the token, even one that decodes to the same bytes, is refused.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != body:
        raise DecryptionError("Encrypted value is damaged: its base64 is not canonical.")
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("Encrypted value is damaged: it is too short.")
    try:
        plain = _keys().aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
    except InvalidTag:
        raise DecryptionError(
            "Encrypted value failed authentication: it was altered, or it was encrypted "
            "under a different BANGFU_DATA_KEY."
        ) from None
    return plain.decode("utf-8")


def lookup_hash(value: str) -> str:
    """HMAC-SHA256 of ``value`` (UTF-8) under the lookup subkey, as 64 lower-case hex digits.

    Deterministic for a given key: equal values give equal hashes, so a unique index on the
    hash finds duplicates and exact matches without storing the value in clear.
    """
    return Sealer().lookup_hash(value)
