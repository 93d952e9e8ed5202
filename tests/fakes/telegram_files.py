"""The fake Bot API's files: `getFile`, file downloads, and media uploads (recorded as bytes).

    fake.add_file("PHOTO1", b"...jpeg bytes...")     # a file a user sent (file_id -> bytes)
    fake.uploads(1001)                              # what the bot uploaded to a chat, in order:
                                                    # [Upload(method, field, content, caption)]

`getFile` answers `file_path` and `file_size` like Telegram (400 "file is too big" over the
Bot API's 20 MB download limit, 400 "invalid file_id" for an unknown id); the bytes are at
`/file/bot<token>/<file_path>`. `sendPhoto`/`sendDocument`/`sendVoice`/`sendVideo`/`sendAudio`
with a multipart upload record the file's bytes; with a file id (a string) they record none.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

DOWNLOAD_LIMIT = 20 * 1024 * 1024
_MEDIA_FIELDS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendVideo": "video",
    "sendAudio": "audio",
}


@dataclass(frozen=True)
class Upload:
    method: str
    field: str
    content: bytes | None
    caption: str | None


class FileApi:
    token: str
    _lock: threading.RLock
    _files: dict[str, bytes]
    _uploads: dict[int, list[Upload]]
    # BotApiServer's (after this class in FakeTelegram's bases).
    _store_message: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]

    def _init_files(self) -> None:
        self._files = {}
        self._uploads = {}

    def add_file(self, file_id: str, content: bytes) -> None:
        with self._lock:
            self._files[file_id] = content

    def uploads(self, chat_id: int) -> list[Upload]:
        with self._lock:
            return list(self._uploads.get(chat_id, []))

    async def _api_getFile(self, params: dict[str, Any]) -> JSONResponse:
        file_id = str(params.get("file_id") or "")
        with self._lock:
            content = self._files.get(file_id)
        if content is None:
            return _error(400, "Bad Request: invalid file_id")
        if len(content) > DOWNLOAD_LIMIT:
            return _error(400, "Bad Request: file is too big")
        return JSONResponse(
            {
                "ok": True,
                "result": {
                    "file_id": file_id,
                    "file_unique_id": f"u{abs(hash(file_id)) % 10**8}",
                    "file_size": len(content),
                    "file_path": f"files/{file_id}",
                },
            }
        )

    async def _file_endpoint(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        path = str(request.path_params["path"])
        with self._lock:
            content = self._files.get(path.removeprefix("files/"))
        if content is None:
            return Response(status_code=404)
        return Response(content, media_type="application/octet-stream")

    def _upload(self, method: str, params: dict[str, Any]) -> JSONResponse:
        field = _MEDIA_FIELDS[method]
        value = params.get(field)
        chat_id = int(params["chat_id"])
        caption = params.get("caption")
        upload = Upload(method, field, value if isinstance(value, bytes) else None, caption)
        with self._lock:
            self._uploads.setdefault(chat_id, []).append(upload)
            number = sum(len(v) for v in self._uploads.values())
        stored: dict[str, Any] = {"file_id": f"UPLOADED{number}", "file_unique_id": f"up{number}"}
        # What Telegram's answer carries for each kind (python-telegram-bot requires them).
        if field in ("photo", "video"):
            stored.update(width=800, height=600)
        if field in ("voice", "video", "audio"):
            stored["duration"] = 3
        body = [stored] if field == "photo" else stored
        message = self._store_message(params, {field: body, "caption": caption})
        return JSONResponse({"ok": True, "result": message})

    async def _api_sendPhoto(self, params: dict[str, Any]) -> JSONResponse:
        return self._upload("sendPhoto", params)

    async def _api_sendDocument(self, params: dict[str, Any]) -> JSONResponse:
        return self._upload("sendDocument", params)

    async def _api_sendVoice(self, params: dict[str, Any]) -> JSONResponse:
        return self._upload("sendVoice", params)

    async def _api_sendVideo(self, params: dict[str, Any]) -> JSONResponse:
        return self._upload("sendVideo", params)

    async def _api_sendAudio(self, params: dict[str, Any]) -> JSONResponse:
        return self._upload("sendAudio", params)


def _error(status: int, description: str) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "error_code": status, "description": description}, status_code=status
    )
