"""Encryption at rest for personal fields (Fernet, with a key list so keys can rotate)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

KEY_FILE_NAME = "patbm.key"


class KeyRing:
    """The first key encrypts; every key decrypts, so old rows stay readable during rotation."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self.keys = keys
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")

    def encrypt_bytes(self, plain: bytes) -> str:
        return self._fernet.encrypt(plain).decode("ascii")

    def decrypt_bytes(self, token: str) -> bytes:
        return self._fernet.decrypt(token.encode("ascii"))

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the primary key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    def encrypt_json(self, value: Any) -> str:
        return self.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def decrypt_json(self, token: str) -> Any:
        return json.loads(self.decrypt(token))

    def derive(self, purpose: str) -> bytes:
        """A key for one purpose (signing the dashboard cookie), from the primary key."""
        import hashlib
        import hmac

        return hmac.new(self.keys[0].encode(), purpose.encode(), hashlib.sha256).digest()

    @property
    def primary_is(self) -> str:
        return self.keys[0]


def parse_keys(raw: str) -> list[str]:
    return [k.strip() for k in raw.split(",") if k.strip()]


def load_keyring(raw: str | None, data_dir: Path) -> KeyRing:
    """Keys from the setting; else from the key file in the data folder, made on first run."""
    if raw:
        return KeyRing(parse_keys(raw))
    path = data_dir / KEY_FILE_NAME
    if path.exists():
        return KeyRing(parse_keys(path.read_text()))
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    log.warning(
        "no PATBM_ENCRYPTION_KEY set: generated a new key in %s; back it up, "
        "without it the encrypted case data cannot be read",
        path,
    )
    return KeyRing([key])


_keyring: KeyRing | None = None


def set_keyring(keyring: KeyRing) -> None:
    global _keyring
    _keyring = keyring


def get_keyring() -> KeyRing:
    if _keyring is None:
        raise RuntimeError(
            "encryption keys are not loaded (call bot.core.app.setup or set_keyring)"
        )
    return _keyring


__all__ = ["InvalidToken", "KeyRing", "get_keyring", "load_keyring", "set_keyring"]
