"""The session cookie (`<token>.<HMAC>`, signed with a key derived from the encryption key) and
the CSRF token of the dashboard's forms (an HMAC of the session token under another key)."""

from __future__ import annotations

import hashlib
import hmac

from bot.core.crypto import KeyRing
from bot.core.settings import Settings

COOKIE = "patbm_dasbor"
COOKIE_PATH = "/dashboard"


def _mac(keyring: KeyRing, purpose: str, value: str) -> str:
    return hmac.new(keyring.derive(purpose), value.encode(), hashlib.sha256).hexdigest()


def sign(keyring: KeyRing, token: str) -> str:
    return f"{token}.{_mac(keyring, 'dashboard-cookie', token)}"


def unsign(keyring: KeyRing, value: str) -> str | None:
    """The session token, or None when the cookie was not signed by us (tampered, forged)."""
    token, _, mac = value.rpartition(".")
    if not token or not hmac.compare_digest(mac, _mac(keyring, "dashboard-cookie", token)):
        return None
    return token


def csrf_token(keyring: KeyRing, session_token: str) -> str:
    return _mac(keyring, "dashboard-csrf", session_token)


def csrf_ok(keyring: KeyRing, session_token: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(given, csrf_token(keyring, session_token))


def cookie_options(settings: Settings) -> dict[str, object]:
    """HttpOnly, SameSite=Strict, Secure behind HTTPS; lives as long as the session."""
    return {
        "key": COOKIE,
        "max_age": int(settings.dashboard_session_hours * 3600),
        "path": COOKIE_PATH,
        "httponly": True,
        "samesite": "strict",
        "secure": settings.public_base_url.startswith("https://"),
    }
