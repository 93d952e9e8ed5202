"""A fake WhatsApp Cloud (Graph) API on 127.0.0.1, for tests.

    async with FakeWhatsAppAPI(token="tok") as fake:
        settings.whatsapp_api_url = fake.url          # e.g. http://127.0.0.1:40123
        ... send ...
        fake.sent                                      # every accepted message (the JSON posted)
        fake.to("6281234")                             # the messages to one recipient
        fake.fail_next(131047)                         # the next send answers that error
        fake.fail_next(http_status=500, times=2)       # ... or a bare HTTP error

`POST /{version}/{phone_number_id}/messages` checks the bearer token and the platform's limits
(reply buttons ≤ 3 with titles ≤ 20 and unique, list rows ≤ 10 with titles ≤ 24 and
descriptions ≤ 72, list button ≤ 20, interactive body ≤ 1024, text ≤ 4096, footer ≤ 60)
and answers like the real API: `{"messages": [{"id": "wamid..."}]}` or
`{"error": {"code": ..., ...}}`. `POST /{version}/{phone_number_id}/media` stores an upload
(`fake.uploads`: id, type, size and the bytes as `content`) and answers its id.
Media a user sent: `fake.add_media("880011", b"...", "image/jpeg")`; then
`GET /{version}/880011` answers its `url`, `mime_type`, `sha256`, `file_size` like the real
API, and `GET` of that url (bearer token) gives the bytes. It runs a real uvicorn server in the
test's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import hashlib
import socket
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesParser
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.waiting import eventually


class _QuietServer(uvicorn.Server):
    """No signal handling of its own: the test runner keeps Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class _Failure:
    code: int | None
    http_status: int


def _error(code: int, message: str, http_status: int = 400) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": message},
                "fbtrace_id": "fake",
            }
        },
        status_code=http_status,
    )


def _multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    """The fields of a multipart/form-data body (python-multipart is not a dependency)."""
    parsed = BytesParser(policy=email.policy.default).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict[str, bytes] = {}
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload
    return fields


def limit_problems(message: dict[str, Any]) -> list[str]:
    """What the real API would refuse in this message (empty when it is fine)."""
    problems: list[str] = []
    kind = message.get("type")
    if kind == "text":
        if len(message["text"]["body"]) > 4096:
            problems.append("text body over 4096")
        if not message["text"]["body"]:
            problems.append("empty text body")
    if kind != "interactive":
        return problems
    interactive = message["interactive"]
    if len(interactive["body"]["text"]) > 1024:
        problems.append("interactive body over 1024")
    footer = interactive.get("footer", {}).get("text", "")
    if len(footer) > 60:
        problems.append("footer over 60")
    action = interactive["action"]
    if interactive["type"] == "button":
        buttons = action["buttons"]
        titles = [b["reply"]["title"] for b in buttons]
        if len(buttons) > 3:
            problems.append("more than 3 buttons")
        if any(len(t) > 20 for t in titles):
            problems.append("button title over 20")
        if len(set(titles)) != len(titles):
            problems.append("button titles not unique")
    elif interactive["type"] == "list":
        rows = [row for section in action["sections"] for row in section["rows"]]
        if len(rows) > 10:
            problems.append("more than 10 rows")
        if len(action["button"]) > 20:
            problems.append("list button over 20")
        if any(len(r["title"]) > 24 for r in rows):
            problems.append("row title over 24")
        if any(len(r.get("description", "")) > 72 for r in rows):
            problems.append("row description over 72")
        if any(len(s.get("title", "")) > 24 for s in action["sections"]):
            problems.append("section title over 24")
        if len({r["id"] for r in rows}) != len(rows):
            problems.append("row ids not unique")
    return problems


class FakeWhatsAppAPI:
    def __init__(self, *, token: str = "test-token", phone_number_id: str = "1122334455") -> None:
        self.token = token
        self.phone_number_id = phone_number_id
        self.sent: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []
        self.uploads: list[dict[str, Any]] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.downloads: list[str] = []
        self._failures: deque[_Failure] = deque()
        self._counter = 0
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_media(self, media_id: str, content: bytes, mime_type: str) -> None:
        self.media[media_id] = (content, mime_type)

    def uploaded(self, media_id: str) -> bytes:
        return bytes(next(u["content"] for u in self.uploads if u["id"] == media_id))

    def fail_next(
        self, code: int | None = None, *, http_status: int | None = None, times: int = 1
    ) -> None:
        status = http_status or (429 if code in (130429, 131056) else 400)
        for _ in range(times):
            self._failures.append(_Failure(code, status))

    def to(self, recipient: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if recipient in (m.get("to"), m.get("recipient"))]

    def texts_to(self, recipient: str) -> list[str]:
        """The visible text of each message to a recipient (text body or interactive body)."""
        texts = []
        for m in self.to(recipient):
            if m["type"] == "text":
                texts.append(m["text"]["body"])
            elif m["type"] == "interactive":
                texts.append(m["interactive"]["body"]["text"])
            elif m["type"] == "template":
                texts.append(f"[template {m['template']['name']}]")
        return texts

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    async def _messages(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(190, "Invalid OAuth access token", 401)
        if request.path_params["phone_id"] != self.phone_number_id:
            return _error(100, "Unsupported post request", 400)
        body: dict[str, Any] = await request.json()
        if self._failures:
            failure = self._failures.popleft()
            self.refused.append(body)
            if failure.code is None:
                return Response("upstream error", status_code=failure.http_status)
            return _error(failure.code, f"fake error {failure.code}", failure.http_status)
        problems = limit_problems(body)
        if problems or not (body.get("to") or body.get("recipient")):
            self.refused.append(body)
            return _error(131009, "; ".join(problems) or "no recipient", 400)
        self._counter += 1
        wamid = f"wamid.FAKE{self._counter:06d}"
        body["_wamid"] = wamid
        self.sent.append(body)
        recipient = body.get("to") or body.get("recipient")
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": recipient, "wa_id": recipient}],
                "messages": [{"id": wamid}],
            }
        )

    async def _media(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(190, "Invalid OAuth access token", 401)
        fields = _multipart(request.headers.get("content-type", ""), await request.body())
        if "file" not in fields or "type" not in fields:
            return _error(100, "file and type are required", 400)
        self._counter += 1
        media_id = f"media{self._counter:06d}"
        kind = fields["type"].decode()
        self.uploads.append(
            {"id": media_id, "type": kind, "size": len(fields["file"]), "content": fields["file"]}
        )
        return JSONResponse({"id": media_id})

    async def _media_info(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(190, "Invalid OAuth access token", 401)
        media_id = request.path_params["media_id"]
        if media_id not in self.media:
            return _error(100, "Unsupported get request", 400)
        content, mime = self.media[media_id]
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.url}/download/{media_id}?token=short-lived",
                "mime_type": mime,
                "sha256": hashlib.sha256(content).hexdigest(),
                "file_size": len(content),
                "id": media_id,
            }
        )

    async def _download(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response(status_code=401)
        media_id = request.path_params["media_id"]
        if media_id not in self.media:
            return Response(status_code=404)
        self.downloads.append(media_id)
        content, mime = self.media[media_id]
        return Response(content, media_type=mime)

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/download/{media_id}", self._download, methods=["GET"]),
                Route("/{version}/{media_id}", self._media_info, methods=["GET"]),
                Route("/{version}/{phone_id}/messages", self._messages, methods=["POST"]),
                Route("/{version}/{phone_id}/media", self._media, methods=["POST"]),
            ]
        )

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self._app(), log_level="warning", lifespan="off")
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        server = self._server  # uvicorn offers no event for "started": polled
        await eventually(
            lambda: server.started, within=5, what="the fake Graph API started", step=0.01
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def __aenter__(self) -> FakeWhatsAppAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
