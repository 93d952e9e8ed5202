"""The fake Bot API's state and HTTP side (see tests/fakes/telegram_api.py for the how-to)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse

BOT_USER = {"id": 999000, "is_bot": True, "first_name": "PATBM Lapor", "username": "patbm_bot"}
# Form fields PTB sends JSON-encoded; everything else is kept as the string it is.
_JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "offset",
    "limit",
    "timeout",
    "chat_id",
    "message_id",
    "drop_pending_updates",
    "show_alert",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float


@dataclass
class Fault:
    remaining: int
    status: int
    retry_after: int | None
    description: str
    chat_id: int | None = None  # only calls to this chat (None: any)


@dataclass
class State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 100
    calls: list[Call] = field(default_factory=list)
    chats: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    next_message_id: dict[int, int] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    hanging: set[str] = field(default_factory=set)
    abandoned: list[Call] = field(default_factory=list)  # held calls whose caller went away
    blocked: set[int] = field(default_factory=set)
    unknown: set[int] = field(default_factory=set)
    webhook: dict[str, Any] | None = None


class BotApiServer:
    """The Bot API methods, with Telegram's answers; state under `_lock`."""

    token: str
    state: State
    _lock: threading.RLock
    _changed: asyncio.Condition | None
    _closing: bool

    @property
    def webhook(self) -> dict[str, Any] | None:
        with self._lock:
            return self.state.webhook

    def _next_message_id(self, chat_id: int) -> int:
        value = self.state.next_message_id.get(chat_id, 1)
        self.state.next_message_id[chat_id] = value + 1
        return value

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        body = await request.body()
        if body:
            content_type = request.headers.get("content-type", "")
            if content_type.startswith("application/json"):
                params.update(json.loads(body))
            elif content_type.startswith("multipart/form-data"):
                # Uploads (the weekly chart): a file part is recorded as its bytes.
                params.update(_multipart(content_type, body))
            else:
                params.update(parse_qsl(body.decode(), keep_blank_values=True))
        for key in _JSON_FIELDS & params.keys():
            if isinstance(params[key], str):
                with suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        params = await self._params(request)
        with self._lock:
            self.state.calls.append(Call(method, params, time.monotonic()))
        hung = False
        while True:
            with self._lock:
                hanging = method in self.state.hanging or "*" in self.state.hanging
            if not hanging:
                break
            hung = True
            if await request.is_disconnected():
                break
            await asyncio.sleep(0.02)
        if hung and await request.is_disconnected():
            # The caller gave up (killed, timed out) while we hung: nothing is delivered.
            with self._lock:
                self.state.abandoned.append(Call(method, params, time.monotonic()))
            return _error(499, "client went away")
        fault = self._take_fault(method, params.get("chat_id"))
        if fault is not None:
            extra = {"retry_after": fault.retry_after} if fault.retry_after else None
            return _error(fault.status, fault.description, extra)
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int | str) and str(chat_id).lstrip("-").isdigit():
            with self._lock:
                if int(chat_id) in self.state.blocked:
                    return _error(403, "Forbidden: bot was blocked by the user")
                if int(chat_id) in self.state.unknown:
                    return _error(400, "Bad Request: chat not found")
        handler = getattr(self, "_api_" + method, None)
        if handler is None:
            if method.startswith("send"):
                return _ok(self._store_message(params, {"caption": params.get("caption")}))
            return _error(404, "Not Found")
        result: JSONResponse = await handler(params)
        return result

    def _take_fault(self, method: str, chat_id: Any) -> Fault | None:
        with self._lock:
            for key in (method, "*"):
                faults = self.state.faults.get(key) or []
                for fault in faults:
                    if fault.chat_id is not None and str(fault.chat_id) != str(chat_id):
                        continue
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        faults.remove(fault)
                    return fault
        return None

    async def _api_getMe(self, params: dict[str, Any]) -> JSONResponse:
        return _ok(BOT_USER)

    async def _api_getUpdates(self, params: dict[str, Any]) -> JSONResponse:
        if self.webhook is not None:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = params.get("offset")
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        with self._lock:
            if isinstance(offset, int):
                # A higher offset confirms every update before it: they are gone for good.
                self.state.updates = [u for u in self.state.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        assert self._changed is not None
        while True:
            with self._lock:
                batch = self.state.updates[:limit]
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                return _ok(batch)
            async with self._changed:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))

    def _store_message(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        with self._lock:
            message = {
                "message_id": self._next_message_id(chat_id),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                **{k: v for k, v in content.items() if v is not None},
            }
            markup = params.get("reply_markup")
            if isinstance(markup, dict):
                message["reply_markup"] = markup
            self.state.chats.setdefault(chat_id, []).append(message)
            return _as_returned(message)

    async def _api_sendMessage(self, params: dict[str, Any]) -> JSONResponse:
        return _ok(self._store_message(params, {"text": params.get("text", "")}))

    def _edit(self, params: dict[str, Any], text: str | None) -> JSONResponse:
        chat_id = int(params["chat_id"])
        message_id = int(params["message_id"])
        markup = params.get("reply_markup")
        with self._lock:
            for message in self.state.chats.get(chat_id, []):
                if message["message_id"] != message_id:
                    continue
                new_text = message.get("text") if text is None else text
                if new_text == message.get("text") and markup == message.get("reply_markup"):
                    return _error(
                        400,
                        "Bad Request: message is not modified: specified new message content "
                        "and reply markup are exactly the same",
                    )
                message["text"] = new_text
                message["edited"] = message.get("edited", 0) + 1
                if isinstance(markup, dict):
                    message["reply_markup"] = markup
                else:
                    message.pop("reply_markup", None)
                return _ok(_as_returned(message))
        return _error(400, "Bad Request: message to edit not found")

    async def _api_editMessageText(self, params: dict[str, Any]) -> JSONResponse:
        return self._edit(params, str(params.get("text", "")))

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> JSONResponse:
        return self._edit(params, None)

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> JSONResponse:
        return _ok(True)

    async def _api_setWebhook(self, params: dict[str, Any]) -> JSONResponse:
        with self._lock:
            self.state.webhook = params if params.get("url") else None
        return _ok(True)

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> JSONResponse:
        with self._lock:
            self.state.webhook = None
            if params.get("drop_pending_updates"):
                self.state.updates.clear()
        return _ok(True)


def _as_returned(message: dict[str, Any]) -> dict[str, Any]:
    """The Message Telegram answers: its `reply_markup` is only ever an inline keyboard.

    A reply keyboard (the contact button) or its removal shows under the person's input field
    (kept in the chat for tests to read), but is not part of the returned Message.
    """
    returned = dict(message)
    if "inline_keyboard" not in (returned.get("reply_markup") or {}):
        returned.pop("reply_markup", None)
    return returned


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        fields[name] = payload if part.get_filename() else payload.decode()
    return fields
