"""WhatsApp Cloud API webhook payloads of the real shapes, built small.

    body = envelope(text_message("wamid.1", "6281234567890", "halo"))
    headers = signed(body, app_secret)          # X-Hub-Signature-256 over the exact bytes
    await client.post("/webhooks/whatsapp", content=body, headers=headers)

Each `*_message` returns one `value` object (metadata, contacts, messages); `status_update`
returns one with `statuses`; `envelope(*values)` wraps them into the POST body (bytes).
`user_id` adds the 2026 business-scoped user id; `wa_id=None` leaves the phone number out (a
user who chose a username).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

PHONE_NUMBER_ID = "1122334455"
DISPLAY_NUMBER = "628111222333"
WABA_ID = "102290129340398"
TIMESTAMP = "1795399200"  # 2026-11-23 02:00 UTC, the tests' clock

Value = dict[str, Any]


def _value(
    message: dict[str, Any],
    wa_id: str | None,
    user_id: str | None,
    name: str = "Warga",
) -> Value:
    contact: dict[str, Any] = {"profile": {"name": name}}
    if wa_id:
        contact["wa_id"] = wa_id
        message["from"] = wa_id
    if user_id:
        contact["user_id"] = user_id
        message["from_user_id"] = user_id
    message.setdefault("timestamp", TIMESTAMP)
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [contact],
        "messages": [message],
    }


def text_message(wamid: str, wa_id: str | None, body: str, *, user_id: str | None = None) -> Value:
    return _value({"id": wamid, "type": "text", "text": {"body": body}}, wa_id, user_id)


def _choice(
    kind: str,
    wamid: str,
    wa_id: str | None,
    chosen: dict[str, str],
    context_id: str,
    user_id: str | None,
) -> Value:
    """A press on our reply button or list row; `context` names the message it was on."""
    message = {
        "id": wamid,
        "type": "interactive",
        "context": {"from": DISPLAY_NUMBER, "id": context_id},
        "interactive": {"type": kind, kind: chosen},
    }
    return _value(message, wa_id, user_id)


def button_reply(
    wamid: str,
    wa_id: str | None,
    option_id: str,
    title: str = "Pilih",
    *,
    context_id: str = "wamid.PROMPT",
    user_id: str | None = None,
) -> Value:
    chosen = {"id": option_id, "title": title}
    return _choice("button_reply", wamid, wa_id, chosen, context_id, user_id)


def list_reply(
    wamid: str,
    wa_id: str | None,
    option_id: str,
    title: str = "Pilih",
    *,
    context_id: str = "wamid.PROMPT",
    user_id: str | None = None,
) -> Value:
    chosen = {"id": option_id, "title": title, "description": ""}
    return _choice("list_reply", wamid, wa_id, chosen, context_id, user_id)


def location_message(wamid: str, wa_id: str | None, latitude: float, longitude: float) -> Value:
    message = {
        "id": wamid,
        "type": "location",
        "location": {"latitude": latitude, "longitude": longitude, "name": "", "address": ""},
    }
    return _value(message, wa_id, None)


def image_message(
    wamid: str, wa_id: str | None, media_id: str, caption: str | None = None
) -> Value:
    image: dict[str, Any] = {"mime_type": "image/jpeg", "sha256": "aGFzaA==", "id": media_id}
    if caption:
        image["caption"] = caption
    return _value({"id": wamid, "type": "image", "image": image}, wa_id, None)


def video_message(wamid: str, wa_id: str | None, media_id: str) -> Value:
    video = {"mime_type": "video/mp4", "sha256": "aGFzaA==", "id": media_id}
    return _value({"id": wamid, "type": "video", "video": video}, wa_id, None)


def voice_message(wamid: str, wa_id: str | None, media_id: str) -> Value:
    audio = {"mime_type": "audio/ogg; codecs=opus", "sha256": "aGFzaA==", "id": media_id}
    return _value({"id": wamid, "type": "audio", "audio": {**audio, "voice": True}}, wa_id, None)


def contacts_message(wamid: str, wa_id: str | None, phone: str, card_wa_id: str | None) -> Value:
    card: dict[str, Any] = {
        "name": {"formatted_name": "Kontak", "first_name": "Kontak"},
        "phones": [
            {"phone": phone, "type": "CELL", **({"wa_id": card_wa_id} if card_wa_id else {})}
        ],
    }
    return _value({"id": wamid, "type": "contacts", "contacts": [card]}, wa_id, None)


def reaction_message(wamid: str, wa_id: str, to_wamid: str) -> Value:
    message = {"id": wamid, "type": "reaction", "reaction": {"message_id": to_wamid, "emoji": "👍"}}
    return _value(message, wa_id, None)


def status_update(
    wamid: str, status: str, recipient: str, *, error_code: int | None = None
) -> Value:
    entry: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": TIMESTAMP,
        "recipient_id": recipient,
    }
    if error_code is not None:
        entry["errors"] = [
            {
                "code": error_code,
                "title": "Message failed to send",
                "message": "Message failed to send",
                "error_data": {"details": "fake"},
            }
        ]
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
        "statuses": [entry],
    }


def envelope(*values: Value) -> bytes:
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": WABA_ID, "changes": [{"value": value, "field": "messages"} for value in values]}
        ],
    }
    return json.dumps(payload).encode()


def signature(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signed(body: bytes, app_secret: str) -> dict[str, str]:
    return {"X-Hub-Signature-256": signature(body, app_secret), "Content-Type": "application/json"}
